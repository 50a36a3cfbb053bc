// Go-style flag parsing as runc's CLI accepts it: `--name value`, `--name=value`, `-name`,
// short aliases (`-b DIR`), boolean flags with optional `=true|false`. Parsing stops at the
// first positional argument or at `--` (so `exec ID cmd --flag` keeps cmd's flags).
import { Failure, fail } from "../errors/failure";

export class FlagSpec {
  constructor(public name: string, public short: string, public takesValue: bool, public repeatable: bool = false) {}
}

export class Parsed {
  names: string[] = [];
  values: string[] = [];
  positional: string[] = [];

  has(name: string): bool { return this.names.includes(name); }

  // Last value given for name, or def.
  get(name: string, def: string = ""): string {
    for (let i = this.names.length - 1; i >= 0; i--) if (this.names[i] == name) return this.values[i];
    return def;
  }

  all(name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] == name) out.push(this.values[i]);
    return out;
  }

  // A boolean flag: present without value, or with =true/=false.
  flag(name: string): bool {
    const v = this.get(name, "false");
    return v == "true" || v == "1";
  }
}

function find(specs: FlagSpec[], name: string): FlagSpec | null {
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i];
    if (s.name == name || (s.short.length > 0 && s.short == name)) return s;
  }
  return null;
}

export class ParseResult {
  constructor(public parsed: Parsed, public err: Failure | null) {}
}

export function parseFlags(args: string[], start: i32, specs: FlagSpec[], verb: string, stopAtPositional: bool = true): ParseResult {
  const p = new Parsed();
  let i = start;
  while (i < args.length) {
    const a = args[i];
    if (a == "--") { i++; break; }
    if (a.length < 2 || a.charCodeAt(0) != 0x2d) {
      if (stopAtPositional) break;
      p.positional.push(a);
      i++;
      continue;
    }
    let body = a.charCodeAt(1) == 0x2d ? a.substring(2) : a.substring(1);
    let value: string | null = null;
    const eq = body.indexOf("=");
    if (eq >= 0) { value = body.substring(eq + 1); body = body.substring(0, eq); }
    const spec = find(specs, body);
    if (spec == null) return new ParseResult(p, fail(verb, "", "unknown flag: " + a));
    if (spec.takesValue) {
      if (value == null) {
        if (i + 1 >= args.length) return new ParseResult(p, fail(verb, "", "flag needs a value: " + a));
        value = args[++i];
      }
    } else if (value == null) {
      value = "true";
    } else if (value != "true" && value != "false" && value != "1" && value != "0") {
      return new ParseResult(p, fail(verb, "", "invalid boolean value for " + a + ": " + value));
    }
    p.names.push(spec.name);
    p.values.push(value!);
    i++;
  }
  for (; i < args.length; i++) p.positional.push(args[i]);
  return new ParseResult(p, null);
}
