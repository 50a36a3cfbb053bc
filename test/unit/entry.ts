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
