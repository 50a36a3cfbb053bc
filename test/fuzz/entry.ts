// Fuzz entry points: the JSON reader, the config.json validator and the state.json reader,
// fed raw bytes. Built by test/fuzz/build.sh with the same compiler options as bin/tsrun
// (stub runtime, --noAssert, -Oz), translated by wasm2c and linked into a libFuzzer
// harness (harness.c) and a corpus replayer (replay.c). Any trap (abort, unreachable,
// out-of-bounds, call stack exhausted) is a crash.
import { parseJsonBuffer } from "../../src/json/reader";
import { parseSpec } from "../../src/spec/parse";
import { ContainerState } from "../../src/state/container";
import { JValue, Kind } from "../../src/json/value";
import { JsonWriter } from "../../src/json/writer";

// Writes a parsed tree back (compact and pretty, as state.json and `state` are written).
function rewrite(v: JValue, indent: i32): string {
  const w = new JsonWriter(indent);
  writeValue(w, v);
  return w.toString();
}

function writeValue(w: JsonWriter, v: JValue): void {
  if (v.kind == Kind.Null) w.nul();
  else if (v.kind == Kind.Bool) w.bool(v.bool);
  else if (v.kind == Kind.Number) w.raw(v.text);
  else if (v.kind == Kind.String) w.str(v.text);
  else if (v.kind == Kind.Array) {
    w.beginArray();
    for (let i = 0; i < v.items.length; i++) writeValue(w, v.items[i]);
    w.endArray();
  } else {
    w.beginObject();
    for (let i = 0; i < v.keys.length; i++) { w.key(v.keys[i]); writeValue(w, v.items[i]); }
    w.endObject();
  }
}

// A buffer the harness fills with one input (the stub runtime never frees; the harness
// makes a fresh instance for every input).
export function inputBuffer(len: i32): usize {
  return changetype<usize>(new ArrayBuffer(len));
}

// 0: valid JSON (written back compact, as state.json is, and the text read again),
// 1: a clean error (a Failure with a message).
export function fuzzJson(buf: usize): i32 {
  const r = parseJsonBuffer(changetype<ArrayBuffer>(buf), "fuzz.json");
  if (r.err != null) return r.err!.message().length > 0 ? 1 : 2;
  if (r.value == null) return 2;
  const text = rewrite(r.value!, 0);
  const again = parseJsonBuffer(String.UTF8.encode(text), "rewritten.json");
  return again.err == null ? 0 : 2;
}

// The JSON reader, then parseSpec (every config.json rule, 40 capabilities as on current
// kernels) and the state.json reader on the same document. 0: accepted, 1: clean error.
export function fuzzConfig(buf: usize): i32 {
  const r = parseJsonBuffer(changetype<ArrayBuffer>(buf), "config.json");
  if (r.err != null) return 1;
  const s = parseSpec(r.value!, 40);
  const st = ContainerState.fromJson(r.value!);
  if (st != null) st.toJson();
  if (!s.ok) return s.err!.message().length > 0 ? 1 : 2;
  return 0;
}
