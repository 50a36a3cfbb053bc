// Unit-test entry point: exports thin wrappers around the pure TypeScript parts of tsrun so
// that test/unit/*.test.mjs can call them from Node. Built by test/unit/build.sh into
// build/unit.wasm (+ build/unit.js, the ESM bindings). Only pure modules belong here: nothing
// that imports src/sys/ (the syscall layer) may be pulled in.
import { parseJsonBuffer } from "../../src/json/reader";
import { JValue, Kind } from "../../src/json/value";
import { JsonWriter } from "../../src/json/writer";

// ---- JSON reader ----------------------------------------------------------------------

// "ok" when `input` (encoded as UTF-8) is one valid JSON document, else the error message.
export function jsonCheck(input: string): string {
  return jsonCheckBytes(String.UTF8.encode(input));
}

// Same for raw bytes (used for invalid UTF-8, which a JS string cannot carry).
export function jsonCheckBytes(bytes: ArrayBuffer): string {
  const r = parseJsonBuffer(bytes, "test.json");
  const e = r.err;
  if (e != null) return e.message();
  if (r.value == null) return "internal: no value and no error";
  return "ok";
}

// Parses `input` and re-serialises the tree as compact JSON (numbers keep their source
// text). On error returns "ERROR: " + the message (no JSON text starts with "E").
export function jsonRoundTrip(input: string): string {
  return jsonRoundTripBytes(String.UTF8.encode(input));
}

export function jsonRoundTripBytes(bytes: ArrayBuffer): string {
  const r = parseJsonBuffer(bytes, "test.json");
  const e = r.err;
  if (e != null) return "ERROR: " + e.message();
  const v = r.value;
  if (v == null) return "ERROR: internal: no value and no error";
  const w = new JsonWriter(0);
  writeValue(w, v);
  return w.toString();
}

// Same, pretty-printed with `indent` spaces (the form runc uses for `state` and `spec`).
export function jsonPretty(input: string, indent: i32): string {
  const r = parseJsonBuffer(String.UTF8.encode(input), "test.json");
  const e = r.err;
  if (e != null) return "ERROR: " + e.message();
  const w = new JsonWriter(indent);
  writeValue(w, r.value!);
  return w.toString();
}

function writeValue(w: JsonWriter, v: JValue): void {
  switch (v.kind) {
    case Kind.Null: w.nul(); break;
    case Kind.Bool: w.bool(v.bool); break;
    case Kind.Number: w.raw(v.text); break;
    case Kind.String: w.str(v.text); break;
    case Kind.Array: {
      w.beginArray();
      for (let i = 0; i < v.items.length; i++) writeValue(w, v.items[i]);
      w.endArray();
      break;
    }
    default: {
      w.beginObject();
      for (let i = 0; i < v.keys.length; i++) {
        w.key(v.keys[i]);
        writeValue(w, v.items[i]);
      }
      w.endObject();
    }
  }
}

// ---- config.json validation (spec/parse.ts) -----------------------------------------------

import { parseSpec, isSemver } from "../../src/spec/parse";
import { parseFlags, FlagSpec } from "../../src/cli/flags";
import { parseSignal } from "../../src/verbs/common";
import { validateId } from "../../src/state/store";
import { Mount } from "../../src/spec/model";
import { applyMountOptions } from "../../src/spec/mountopts";

// "ok" or the one-line error for a config.json text (lastCap 40, as on current kernels).
export function configCheck(input: string): string {
  const r = parseJsonBuffer(String.UTF8.encode(input), "config.json");
  if (r.err != null) return r.err!.message();
  const s = parseSpec(r.value!, 40);
  if (!s.ok) return s.err!.message();
  return "ok";
}

// A summary of what the parser derived, for assertions on the typed model.
export function configSummary(input: string): string {
  const r = parseJsonBuffer(String.UTF8.encode(input), "config.json");
  if (r.err != null) return "ERROR: " + r.err!.message();
  const sr = parseSpec(r.value!, 40);
  if (!sr.ok) return "ERROR: " + sr.err!.message();
  const s = sr.value;
  const w = new JsonWriter(0);
  w.beginObject();
  w.kstr("ociVersion", s.ociVersion).kstr("root", s.rootPath).kbool("readonly", s.rootReadonly);
  w.knum("nsFlags", s.linux.nsFlags());
  const p = s.process!;
  w.kstrs("args", p.args).kstr("cwd", p.cwd).knum("uid", p.user.uid).knum("gid", p.user.gid);
  w.key("capBounding").unum(p.caps.bounding);
  w.key("rlimits").beginArray();
  for (let i = 0; i < p.rlimits.length; i++) {
    w.beginObject().kstr("type", p.rlimits[i].type).key("hard").unum(p.rlimits[i].hard).key("soft").unum(p.rlimits[i].soft).endObject();
  }
  w.endArray();
  w.key("mounts").beginArray();
  for (let i = 0; i < s.mounts.length; i++) {
    const m = s.mounts[i];
    w.beginObject().kstr("dest", m.destination).key("flags").unum(m.flags).key("propagation").unum(m.propagation).kstr("data", m.data).endObject();
  }
  w.endArray();
  const res = s.linux.resources;
  w.key("cgroupWrites").beginArray();
  if (res != null) for (let i = 0; i < res.writes.length; i++) w.str(res.writes[i].file + "=" + res.writes[i].value);
  w.endArray();
  w.knum("deviceRules", res != null ? res.devices.length : 0);
  w.endObject();
  return w.toString();
}

export function semver(v: string): bool { return isSemver(v); }

export function signalNumber(s: string): i32 { return parseSignal(s); }

export function idCheck(id: string): string {
  const f = validateId(id);
  return f == null ? "ok" : f.message();
}

// Global + create flags as runc parses them; args separated by "\n". Returns
// "name=value;..." then "|" and the positional arguments, or "ERROR: ...".
export function flagsParse(joined: string): string {
  const specs: FlagSpec[] = [
    new FlagSpec("bundle", "b", true), new FlagSpec("pid-file", "", true), new FlagSpec("detach", "d", false),
    new FlagSpec("preserve-fds", "", true),
  ];
  const r = parseFlags(joined.split("\n"), 0, specs, "create");
  if (r.err != null) return "ERROR: " + r.err!.message();
  const parts: string[] = [];
  for (let i = 0; i < r.parsed.names.length; i++) parts.push(r.parsed.names[i] + "=" + r.parsed.values[i]);
  return parts.join(";") + "|" + r.parsed.positional.join(" ");
}

// mount options -> "flags,clear,propagation,recSet,recClr,data".
export function mountOptions(joined: string): string {
  const m = new Mount();
  m.options = joined.length == 0 ? [] : joined.split(",");
  const bad = applyMountOptions(m);
  if (bad.length > 0) return "UNSUPPORTED " + bad;
  return m.flags.toString() + "," + m.clearFlags.toString() + "," + m.propagation.toString() + "," +
    m.recAttrSet.toString() + "," + m.recAttrClr.toString() + "," + m.data +
    (m.idmap ? (m.idmapRecursive ? " ridmap" : " idmap") : "");
}
