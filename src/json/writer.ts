// Builds JSON text. `indent` > 0 pretty-prints (as runc does for `state` and `spec`).
export class JsonWriter {
  private parts: string[] = [];
  private first: bool[] = [true];
  private depth: i32 = 0;
  private afterKey: bool = false;

  constructor(private indent: i32 = 0) {}

  private sep(): void {
    if (this.afterKey) { this.afterKey = false; return; }
    const top = this.first.length - 1;
    if (this.depth > 0) {
      if (!this.first[top]) this.parts.push(",");
      if (this.indent > 0) this.parts.push("\n" + " ".repeat(this.depth * this.indent));
    }
    this.first[top] = false;
  }

  private open(c: string): JsonWriter {
    this.sep();
    this.parts.push(c);
    this.depth++;
    this.first.push(true);
    return this;
  }

  private close(c: string): JsonWriter {
    const empty = this.first.pop();
    this.depth--;
    if (!empty && this.indent > 0) this.parts.push("\n" + " ".repeat(this.depth * this.indent));
    this.parts.push(c);
    return this;
  }

  beginObject(): JsonWriter { return this.open("{"); }
  endObject(): JsonWriter { return this.close("}"); }
  beginArray(): JsonWriter { return this.open("["); }
  endArray(): JsonWriter { return this.close("]"); }

  key(k: string): JsonWriter {
    this.sep();
    this.parts.push(quote(k));
    this.parts.push(this.indent > 0 ? ": " : ":");
    this.afterKey = true;
    return this;
  }

  str(v: string): JsonWriter { this.sep(); this.parts.push(quote(v)); return this; }
  num(v: i64): JsonWriter { this.sep(); this.parts.push(v.toString()); return this; }
  unum(v: u64): JsonWriter { this.sep(); this.parts.push(v.toString()); return this; }
  bool(v: bool): JsonWriter { this.sep(); this.parts.push(v ? "true" : "false"); return this; }
  nul(): JsonWriter { this.sep(); this.parts.push("null"); return this; }
  // Pre-serialized JSON text.
  raw(text: string): JsonWriter { this.sep(); this.parts.push(text); return this; }

  strArray(items: string[]): JsonWriter {
    this.beginArray();
    for (let i = 0; i < items.length; i++) this.str(items[i]);
    return this.endArray();
  }

  // Shorthands for "key": value.
  kstr(k: string, v: string): JsonWriter { return this.key(k).str(v); }
  knum(k: string, v: i64): JsonWriter { return this.key(k).num(v); }
  kbool(k: string, v: bool): JsonWriter { return this.key(k).bool(v); }
  kstrs(k: string, v: string[]): JsonWriter { return this.key(k).strArray(v); }

  toString(): string { return this.parts.join(""); }
}

const HEX = "0123456789abcdef";

export function quote(s: string): string {
  let needs = false;
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5c) { needs = true; break; }
  }
  if (!needs) return "\"" + s + "\"";
  const out: string[] = ["\""];
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out.push("\\\"");
    else if (c == 0x5c) out.push("\\\\");
    else if (c == 0x0a) out.push("\\n");
    else if (c == 0x0d) out.push("\\r");
    else if (c == 0x09) out.push("\\t");
    else if (c < 0x20) out.push("\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
    else out.push(String.fromCharCode(c));
  }
  out.push("\"");
  return out.join("");
}
