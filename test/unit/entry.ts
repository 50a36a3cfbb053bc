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
    (m.idmap ? (m.idmapRecursive ? " ridmap" : " idmap") : "") + (m.tmpcopyup ? " tmpcopyup" : "");
}

// ---- cgroup value conversions (cgroups/v2.ts) and the device filter (cgroups/devfilter.ts) ----

import { sharesToWeight, blkioToIoWeight, cpuMax, swapMax, toV2 } from "../../src/cgroups/v2";
import { deviceProgram } from "../../src/cgroups/devfilter";
import { isCpuList, CgroupWrite, DeviceRule } from "../../src/cgroups/resources";

export function cgSharesToWeight(s: i64): i64 { return sharesToWeight(s); }
export function cgBlkioToIoWeight(w: i64): i64 { return blkioToIoWeight(w); }
export function cgCpuMax(quota: string, period: string): string { return cpuMax(quota, period); }
export function cgSwapMax(swap: string, limit: string): string {
  const r = swapMax(swap, limit);
  return r.why.length > 0 ? "ERROR: " + r.why : r.value;
}
export function cgCpuList(s: string): bool { return isCpuList(s); }

// linux.resources of a config.json text -> its cgroup v1 writes and their v2 forms, or the
// first error ("ERROR: field: why").
export function cgroupForms(input: string): string {
  const r = parseJsonBuffer(String.UTF8.encode(input), "config.json");
  if (r.err != null) return "ERROR: " + r.err!.message();
  const sr = parseSpec(r.value!, 40);
  if (!sr.ok) return "ERROR: " + sr.err!.message();
  const res = sr.value.linux.resources;
  const w = new JsonWriter(0);
  w.beginObject().key("v1").beginArray();
  if (res != null) for (let i = 0; i < res.writes.length; i++) w.str(res.writes[i].file + "=" + res.writes[i].value + (res.writes[i].alt.length > 0 ? " | " + res.writes[i].alt + "=" + res.writes[i].altValue : ""));
  w.endArray().key("v2").beginArray();
  const out: CgroupWrite[] = [];
  let why = "";
  if (res != null) for (let i = 0; i < res.writes.length && why.length == 0; i++) {
    why = toV2(res.writes[i], res.writes, out);
    if (why.length > 0) why = res.writes[i].field + ": " + why;
  }
  for (let i = 0; i < out.length; i++) w.str(out[i].file + "=" + out[i].value + (out[i].alt.length > 0 ? " | " + out[i].alt + "=" + out[i].altValue : ""));
  w.endArray().kstr("v2error", why).endObject();
  return w.toString();
}

// Device rules "allow type major minor access;..." (major/minor -1 = any) -> program hex.
export function cgDeviceProgram(rules: string): string {
  const list: DeviceRule[] = [];
  const items = rules.split(";");
  for (let i = 0; i < items.length; i++) {
    const p = items[i].trim().split(" ");
    if (p.length != 5) continue;
    list.push(new DeviceRule(p[0] == "allow", p[1], I64.parseInt(p[2]), I64.parseInt(p[3]), p[4]));
  }
  const prog = deviceProgram(list);
  let s = "";
  for (let i = 0; i < prog.length; i++) s += (prog[i] < 16 ? "0" : "") + prog[i].toString(16);
  return s;
}

// ---- seccomp --------------------------------------------------------------------------
import { parseSeccomp } from "../../src/seccomp/parse";
import { compileFilter } from "../../src/seccomp/bpf";
import { Checker } from "../../src/spec/parse";

// The BPF program (struct sock_filter[]) compiled from a linux.seccomp JSON object, or an
// empty buffer when it is invalid or disabled (seccompCheck says why).
export function seccompCompile(input: string): ArrayBuffer {
  const r = parseJsonBuffer(String.UTF8.encode(input), "seccomp.json");
  if (r.err != null) return new ArrayBuffer(0);
  const c = new Checker("config.json");
  const s = parseSeccomp(c, r.value!, "linux.seccomp");
  if (c.err != null || s == null) return new ArrayBuffer(0);
  return compileFilter(s!);
}

// "ok", "off" (no filter) or the error for a linux.seccomp JSON object.
export function seccompCheck(input: string): string {
  const r = parseJsonBuffer(String.UTF8.encode(input), "seccomp.json");
  if (r.err != null) return r.err!.message();
  const c = new Checker("config.json");
  const s = parseSeccomp(c, r.value!, "linux.seccomp");
  if (c.err != null) return c.err!.message();
  return s == null ? "off" : "ok";
}

// ---- Intel RDT (resctrl/schema.ts) ----------------------------------------------------

import { schemaLineError, schemataMismatch, groupDir, monDir, resctrlMount } from "../../src/resctrl/schema";

// "" when a schema line is well formed, else why not.
export function rdtLine(line: string): string { return schemaLineError(line); }
// The first wanted line (wanted joined by "\n") the current schemata text lacks, or "".
export function rdtMismatch(wanted: string, current: string): string { return schemataMismatch(wanted.split("\n"), current); }
export function rdtGroupDir(root: string, closID: string, id: string): string { return groupDir(root, closID, id); }
export function rdtMonDir(group: string, id: string): string { return monDir(group, id); }
export function rdtMount(mountinfo: string): string { return resctrlMount(mountinfo); }
// The parsed linux.intelRdt of a config, as "closID|lines joined by ;;|monitoring", or the error.
export function rdtParsed(input: string): string {
  const r = parseJsonBuffer(String.UTF8.encode(input), "config.json");
  if (r.err != null) return r.err!.message();
  const s = parseSpec(r.value!, 40);
  if (!s.ok) return s.err!.message();
  const rdt = s.value.linux.intelRdt;
  if (rdt == null) return "none";
  return rdt.closID + "|" + rdt.lines().join(";;") + "|" + (rdt.enableMonitoring ? "mon" : "");
}

// ---- systemd driver: unit names and the D-Bus wire format -----------------------------
import { unitFor } from "../../src/systemd/unit";
import { Writer } from "../../src/systemd/wire";
import { methodCall, messageSize, parseMessage } from "../../src/systemd/message";

// "unit|slice|path" for a cgroupsPath under --systemd-cgroup, or the error.
export function sdUnit(cgroupsPath: string, id: string): string {
  const r = unitFor(cgroupsPath, id);
  return r.ok ? r.value.unit + "|" + r.value.slice + "|" + r.value.path : r.err!.message();
}

// The bytes of Manager.StopUnit(unit, "replace") with serial 7.
export function sdStopUnitCall(unit: string): ArrayBuffer {
  const b = new Writer();
  b.str(unit);
  b.str("replace");
  const m = methodCall(7, "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "StopUnit", "ss", b);
  return m.slice().buffer;
}

// A received message as "type|serial|replySerial|path|interface|member|error|signature|args"
// (string arguments only), "incomplete:N" or "malformed".
export function sdParse(bytes: ArrayBuffer): string {
  const u = Uint8Array.wrap(bytes);
  const size = messageSize(u, 0, u.length);
  if (size <= 0 || size > u.length) return "incomplete:" + size.toString();
  const m = parseMessage(u, 0, size);
  if (m == null) return "malformed";
  let args = "";
  for (let i = 0; i < m.signature.length && m.body != null; i++) {
    const t = m.signature.charAt(i);
    if (t != "s" && t != "o") break;
    args += (i > 0 ? "," : "") + m.body!.str();
  }
  if (m.body != null && m.body!.bad) args += "(bad)";
  return m.type.toString() + "|" + m.serial.toString() + "|" + m.replySerial.toString() + "|" + m.path + "|" + m.iface + "|" +
    m.member + "|" + m.errorName + "|" + m.signature + "|" + args;
}

// ---- strings ------------------------------------------------------------------------------

import { joinStrings, words } from "../../src/util/strings";

export function wordsOf(s: string): string { return joinStrings(words(s), "|"); }
