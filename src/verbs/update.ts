// update: change a running container's cgroup limits (`--resources FILE|-` with a
// linux.resources JSON object, or runc's single-resource flags). 0 / absent = unchanged.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, fail } from "../errors/failure";
import { Globals } from "../cli/globals";
import { Parsed } from "../cli/flags";
import { readFd, readFile } from "../sys/io";
import { parseJsonBuffer } from "../json/reader";
import { Checker } from "../spec/parse";
import { Resources, parseResources } from "../cgroups/resources";
import { updateCgroups } from "../cgroups/manager";
import { Status } from "../state/status";
import { loadContainer } from "./common";
import { joinStrings } from "../util/strings";
import { ContainerState } from "../state/container";
import { schemaLineError, resourceOf } from "../resctrl/schema";
import { findResctrl, writeSchemata } from "../resctrl/manager";

// "64m", "1G", "1048576", "-1" -> bytes (runc's RAMInBytes units, binary multiples).
export function parseBytes(s: string): i64 {
  if (s == "-1") return -1;
  let n = s.toLowerCase();
  if (n.endsWith("b")) n = n.substring(0, n.length - 1);
  let mult: i64 = 1;
  const last = n.length > 0 ? n.charAt(n.length - 1) : "";
  const units = ["k", "m", "g", "t"];
  const u = units.indexOf(last);
  if (u >= 0) { n = n.substring(0, n.length - 1); mult = (<i64>1) << (10 * (u + 1)); }
  const v = I64.parseInt(n);
  if (n.length == 0 || v.toString() != n || v < 0) return -2;
  return v * mult;
}

// runc's single-resource flags and the linux.resources field each one sets (runc spells
// --cpu-share; --cpu-shares is accepted too).
const FLAG_KEYS: string[] = ["memory", "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp",
  "cpu-share", "cpu-shares", "cpu-quota", "cpu-period", "cpu-rt-runtime", "cpu-rt-period", "cpuset-cpus", "cpuset-mems",
  "pids-limit", "blkio-weight"];
const JSON_PATHS: string[] = ["memory.limit", "memory.reservation", "memory.swap", "memory.kernel", "memory.kernelTCP",
  "cpu.shares", "cpu.shares", "cpu.quota", "cpu.period", "cpu.realtimeRuntime", "cpu.realtimePeriod", "cpu.cpus", "cpu.mems",
  "pids.limit", "blockIO.weight"];
const GROUPS: string[] = ["memory", "cpu", "pids", "blockIO"];

// The single-resource flags as a linux.resources JSON text (values checked by parseResources).
function flagsJson(p: Parsed): Result<string> {
  const parts: string[] = [];
  for (let g = 0; g < GROUPS.length; g++) {
    const fields: string[] = [];
    for (let i = 0; i < FLAG_KEYS.length; i++) {
      if (!JSON_PATHS[i].startsWith(GROUPS[g] + ".") || !p.has(FLAG_KEYS[i])) continue;
      const raw = p.get(FLAG_KEYS[i]);
      const key = "\"" + JSON_PATHS[i].substring(GROUPS[g].length + 1) + "\":";
      if (FLAG_KEYS[i].startsWith("cpuset")) {
        if (raw.includes("\"") || raw.includes("\\")) return err<string>(fail("update", "--" + FLAG_KEYS[i], "invalid value \"" + raw + "\""));
        fields.push(key + "\"" + raw + "\"");
        continue;
      }
      const v = FLAG_KEYS[i].startsWith("memory") || FLAG_KEYS[i].startsWith("kernel") ? parseBytes(raw) : I64.parseInt(raw);
      if (v < -1 || (!FLAG_KEYS[i].startsWith("memory") && !FLAG_KEYS[i].startsWith("kernel") && v.toString() != raw)) {
        return err<string>(fail("update", "--" + FLAG_KEYS[i], "invalid value \"" + raw + "\""));
      }
      fields.push(key + v.toString());
    }
    if (fields.length > 0) parts.push("\"" + GROUPS[g] + "\":{" + joinStrings(fields, ",") + "}");
  }
  return ok<string>("{" + joinStrings(parts, ",") + "}");
}

// --l3-cache-schema / --mem-bw-schema: the schema lines to write to the container's resctrl
// group (checked as linux.intelRdt's are).
function rdtLines(p: Parsed): Result<string[]> {
  const out: string[] = [];
  const flags = ["l3-cache-schema", "mem-bw-schema"];
  for (let i = 0; i < flags.length; i++) {
    if (!p.has(flags[i])) continue;
    const v = p.get(flags[i]);
    let why = schemaLineError(v);
    if (why.length == 0 && i == 0 && !resourceOf(v).startsWith("L3")) why = "must be an L3 schema (\"L3:<cache id>=<bitmask>;...\")";
    if (why.length == 0 && i == 1 && resourceOf(v) != "MB") why = "must start with \"MB:\" (\"MB:<cache id>=<bandwidth>;...\")";
    if (why.length > 0) return err<string[]>(fail("update", "--" + flags[i], why));
    out.push(v);
  }
  return ok<string[]>(out);
}

// Rewrites the schemata of the container's resctrl group (the kernel keeps the lines of
// resources not written).
function updateRdt(st: ContainerState, id: string, lines: string[]): Failure | null {
  if (st.rdtGroup.length == 0) return fail("update", id, "the container has no Intel RDT group (linux.intelRdt was not set at create)");
  const rr = findResctrl();
  if (!rr.ok) return rr.err;
  return writeSchemata(rr.value, st.rdtGroup, lines);
}

export function update(g: Globals, id: string, p: Parsed): Failure | null {
  const rl = rdtLines(p);
  if (!rl.ok) return rl.err;
  const rdt = rl.value;
  let buf: ArrayBuffer;
  let what = "--resources";
  if (p.has("resources")) {
    const file = p.get("resources");
    what = file == "-" ? "resources (stdin)" : file;
    const r = file == "-" ? readFd(0, what, false) : readFile(file);
    if (!r.ok) return r.err;
    buf = r.value;
  } else {
    const j = flagsJson(p);
    if (!j.ok) return j.err;
    // Only RDT flags: no cgroup update (a container may have an RDT group and no cgroups).
    if (rdt.length > 0 && j.value == "{}") return updateRdtOnly(g, id, rdt);
    buf = String.UTF8.encode(j.value);
  }
  const jr = parseJsonBuffer(buf, what);
  if (jr.err != null) return jr.err;
  const c = new Checker(what);
  const o = c.object(jr.value, "resources", true);
  if (o == null) return c.err;
  const res = parseResources(c, o!);
  if (c.err != null) return c.err;

  const lr = loadContainer(g, id);
  if (lr.err != null) { if (lr.dirfd >= 0) sys.close(lr.dirfd); return lr.err; }
  const ct = lr.loaded!;
  let f: Failure | null = null;
  if (ct.status == Status.Stopped) f = fail("update", id, "the container is stopped");
  else if (ct.state.cgroupAll.length == 0) f = fail("update", id, "the container has no cgroups");
  if (f == null && rdt.length > 0) f = updateRdt(ct.state, id, rdt);
  if (f == null) {
    const created: string[] = [];
    f = updateCgroups(res, ct.state.cgroupAll, ct.state.freezerDir, created);
    if (created.length > 0) {
      ct.state.cgroupDirs = created.concat(ct.state.cgroupDirs);
      const sf = ct.store.save(ct.dirfd, ct.state);
      if (f == null) f = sf;
    }
  }
  ct.close();
  return f;
}

function updateRdtOnly(g: Globals, id: string, lines: string[]): Failure | null {
  const lr = loadContainer(g, id);
  if (lr.err != null) { if (lr.dirfd >= 0) sys.close(lr.dirfd); return lr.err; }
  const ct = lr.loaded!;
  const f = ct.status == Status.Stopped ? fail("update", id, "the container is stopped") : updateRdt(ct.state, id, lines);
  ct.close();
  return f;
}
