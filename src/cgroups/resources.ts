// linux.resources -> the cgroup files to write, per controller, in cgroup v1 terms (cgroups/v2.ts
// maps them for the unified hierarchy). Parsed and validated in the parent; every field of
// runtime-spec 1.3.0 is either written or refused by name where the host cannot honour it.
import { JValue, Kind } from "../json/value";
import { Checker } from "../spec/parse";

export class CgroupWrite {
  // field: the JSON path of the setting (for errors); raw: a linux.resources.unified key.
  // alt/altValue: written instead when `file` does not exist (blkio.weight on a BFQ-only
  // kernel, io.bfq.weight without BFQ).
  alt: string = "";
  altValue: string = "";
  constructor(public controller: string, public file: string, public value: string, public field: string, public raw: bool = false) {}
  withAlt(file: string, value: string): CgroupWrite { this.alt = file; this.altValue = value; return this; }
}

export class DeviceRule {
  constructor(public allow: bool, public type: string, public major: i64, public minor: i64, public access: string) {}
  // v1 devices.allow/deny syntax: "c 1:3 rwm", "a *:* rwm".
  text(): string {
    const maj = this.major < 0 ? "*" : this.major.toString();
    const min = this.minor < 0 ? "*" : this.minor.toString();
    return this.type + " " + maj + ":" + min + " " + this.access;
  }
}

export const ACCOUNTING: string[] = ["memory", "pids", "cpu", "cpuacct", "blkio"];

export class Resources {
  devices: DeviceRule[] = [];
  hasDevices: bool = false;
  writes: CgroupWrite[] = [];   // non-device settings (v1 file names, unified keys as raw)
  checkBeforeUpdate: bool = false;
  // A config that names its cgroup (engines do; their stats read memory, pids, cpu and blkio
  // from it, as runc joins every hierarchy): those controllers too, without limits.
  accounting: bool = false;
  // The controllers the settings need. withFreezer: every container gets a freezer cgroup
  // (pause/resume, and a clean kill of a paused one); update asks without it.
  controllers(withFreezer: bool = true): string[] {
    const out: string[] = [];
    if (this.hasDevices) out.push("devices");
    for (let i = 0; i < this.writes.length; i++) {
      if (this.writes[i].raw) continue;  // unified keys: placed by the manager on cgroup v2
      const c = this.writes[i].controller;
      if (!out.includes(c)) out.push(c);
      // cpu usage is accounted by cpuacct (a separate v1 hierarchy on many hosts): stats.
      if (c == "cpu" && !out.includes("cpuacct")) out.push("cpuacct");
    }
    for (let i = 0; this.accounting && i < ACCOUNTING.length; i++) if (!out.includes(ACCOUNTING[i])) out.push(ACCOUNTING[i]);
    if (withFreezer && !out.includes("freezer")) out.push("freezer");
    return out;
  }
  // A setting (not a raw unified key) for this controller.
  sets(controller: string): bool {
    for (let i = 0; i < this.writes.length; i++) if (!this.writes[i].raw && this.writes[i].controller == controller) return true;
    return false;
  }
  firstField(controller: string): string {
    for (let i = 0; i < this.writes.length; i++) if (this.writes[i].controller == controller) return this.writes[i].field;
    return controller == "devices" ? "linux.resources.devices" : "";
  }
}

// Devices every container may use, as runc allows them (null, zero, full, random, urandom,
// tty, ptmx, pts, tun and mknod of anything).
export function defaultDeviceRules(): DeviceRule[] {
  return [
    new DeviceRule(true, "c", -1, -1, "m"), new DeviceRule(true, "b", -1, -1, "m"),
    new DeviceRule(true, "c", 1, 3, "rwm"), new DeviceRule(true, "c", 1, 8, "rwm"),
    new DeviceRule(true, "c", 1, 7, "rwm"), new DeviceRule(true, "c", 5, 0, "rwm"),
    new DeviceRule(true, "c", 1, 5, "rwm"), new DeviceRule(true, "c", 1, 9, "rwm"),
    new DeviceRule(true, "c", 136, -1, "rwm"), new DeviceRule(true, "c", 5, 2, "rwm"),
    new DeviceRule(true, "c", 10, 200, "rwm"),
  ];
}

const I64MAX: i64 = 0x7fffffffffffffff;
const P = "linux.resources";

// "0-3,5,7-8": cpuset list syntax (cpus and mems).
export function isCpuList(s: string): bool {
  if (s.length == 0) return false;
  const parts = s.split(",");
  for (let i = 0; i < parts.length; i++) {
    const r = parts[i].split("-");
    if (r.length > 2) return false;
    for (let k = 0; k < r.length; k++) {
      const t = r[k];
      if (t.length == 0 || t.length > 5) return false;
      for (let j = 0; j < t.length; j++) { const c = t.charCodeAt(j); if (c < 0x30 || c > 0x39) return false; }
    }
    if (r.length == 2 && I32.parseInt(r[0]) > I32.parseInt(r[1])) return false;
  }
  return true;
}

// "2MB", "1GB", "64KB": a hugepage size as the kernel names hugetlb files.
export function isPageSize(s: string): bool {
  if (s.length < 3 || !(s.endsWith("KB") || s.endsWith("MB") || s.endsWith("GB"))) return false;
  for (let j = 0; j < s.length - 2; j++) { const c = s.charCodeAt(j); if (c < 0x30 || c > 0x39) return false; }
  return true;
}

class Reader {
  constructor(public c: Checker, public res: Resources) {}
  // A number field; 0 (or absent) asks for nothing, as runc treats it (Docker sends zeros).
  put(o: JValue, key: string, path: string, min: i64, max: i64, ctl: string, file: string): i64 {
    if (!this.c.has(o, key)) return 0;
    const v = this.c.int(o, key, path, min, max, 0);
    if (this.c.err == null && v != 0) this.res.writes.push(new CgroupWrite(ctl, file, v.toString(), path + "." + key));
    return v;
  }
}

function devicesOf(c: Checker, r: JValue, res: Resources): void {
  const devs = c.array(r, "devices", P);
  for (let i = 0; i < devs.length && c.err == null; i++) {
    const dp = P + ".devices[" + i.toString() + "]";
    const d = c.object(devs[i], dp, true);
    if (d == null) break;
    let type = c.str(d, "type", dp, false, "a");
    if (type.length == 0) type = "a";
    if (c.err == null && type != "a" && type != "c" && type != "b") c.bad(dp + ".type", "must be a, c or b");
    let access = c.str(d, "access", dp, false, "rwm");
    if (access.length == 0) access = "rwm";
    for (let k = 0; k < access.length && c.err == null; k++) {
      const ch = access.charAt(k);
      if (ch != "r" && ch != "w" && ch != "m") c.bad(dp + ".access", "must be made of r, w and m");
    }
    const major = c.has(d, "major") ? c.int(d, "major", dp, -1, 0xfff) : -1;
    const minor = c.has(d, "minor") ? c.int(d, "minor", dp, -1, 0xfffff) : -1;
    res.devices.push(new DeviceRule(c.bool(d, "allow", dp), type, major, minor, access));
    res.hasDevices = true;
  }
}

function memoryOf(rd: Reader, mem: JValue): void {
  const c = rd.c, res = rd.res, mp = P + ".memory";
  rd.put(mem, "limit", mp, -1, I64MAX, "memory", "memory.limit_in_bytes");
  rd.put(mem, "reservation", mp, -1, I64MAX, "memory", "memory.soft_limit_in_bytes");
  rd.put(mem, "swap", mp, -1, I64MAX, "memory", "memory.memsw.limit_in_bytes");
  rd.put(mem, "kernel", mp, -1, I64MAX, "memory", "memory.kmem.limit_in_bytes");
  rd.put(mem, "kernelTCP", mp, -1, I64MAX, "memory", "memory.kmem.tcp.limit_in_bytes");
  // swappiness 0 is a real setting (no swapping), unlike the other zeros.
  if (c.has(mem, "swappiness")) {
    const v = c.u64Value(mem.get("swappiness")!, mp + ".swappiness");
    if (c.err == null && v > 100) c.bad(mp + ".swappiness", "must be within 0..100");
    else if (c.err == null) res.writes.push(new CgroupWrite("memory", "memory.swappiness", v.toString(), mp + ".swappiness"));
  }
  if (c.bool(mem, "disableOOMKiller", mp)) res.writes.push(new CgroupWrite("memory", "memory.oom_control", "1", mp + ".disableOOMKiller"));
  if (c.has(mem, "useHierarchy")) {
    const v = c.bool(mem, "useHierarchy", mp);
    if (v) res.writes.push(new CgroupWrite("memory", "memory.use_hierarchy", "1", mp + ".useHierarchy"));
    else if (c.err == null) c.bad(mp + ".useHierarchy", "false is not possible: every memory cgroup is hierarchical since Linux 6.0");
  }
  res.checkBeforeUpdate = c.bool(mem, "checkBeforeUpdate", mp);
}

function cpuOf(rd: Reader, cpu: JValue): void {
  const c = rd.c, res = rd.res, cp = P + ".cpu";
  rd.put(cpu, "shares", cp, 0, 262144, "cpu", "cpu.shares");
  const sh = c.int(cpu, "shares", cp, 0, 262144, 0);
  if (c.err == null && sh == 1) c.bad(cp + ".shares", "must be at least 2");
  rd.put(cpu, "period", cp, 0, 1000000, "cpu", "cpu.cfs_period_us");
  const period = c.int(cpu, "period", cp, 0, 1000000, 0);
  if (c.err == null && period > 0 && period < 1000) c.bad(cp + ".period", "must be within 1000..1000000 (microseconds)");
  const quota = rd.put(cpu, "quota", cp, -1, 0x7fffffffffff, "cpu", "cpu.cfs_quota_us");
  if (c.err == null && quota > 0 && quota < 1000) c.bad(cp + ".quota", "must be -1 or at least 1000 (microseconds)");
  const burst = rd.put(cpu, "burst", cp, 0, 0x7fffffffffff, "cpu", "cpu.cfs_burst_us");
  if (c.err == null && burst > 0 && quota > 0 && burst > quota) c.bad(cp + ".burst", "must not exceed cpu.quota");
  if (c.has(cpu, "idle")) {
    const v = c.int(cpu, "idle", cp, 0, 1, 0);
    if (c.err == null) res.writes.push(new CgroupWrite("cpu", "cpu.idle", v.toString(), cp + ".idle"));
  }
  // The period first: the kernel checks a runtime against the current period.
  rd.put(cpu, "realtimePeriod", cp, 0, 1000000, "cpu", "cpu.rt_period_us");
  rd.put(cpu, "realtimeRuntime", cp, -1, 1000000, "cpu", "cpu.rt_runtime_us");
  const cpus = c.str(cpu, "cpus", cp), mems = c.str(cpu, "mems", cp);
  if (c.err == null && cpus.length > 0 && !isCpuList(cpus)) c.bad(cp + ".cpus", "\"" + cpus + "\" is not a cpu list such as 0-3,5");
  if (c.err == null && mems.length > 0 && !isCpuList(mems)) c.bad(cp + ".mems", "\"" + mems + "\" is not a node list such as 0-1");
  if (c.err == null && cpus.length > 0) res.writes.push(new CgroupWrite("cpuset", "cpuset.cpus", cpus, cp + ".cpus"));
  if (c.err == null && mems.length > 0) res.writes.push(new CgroupWrite("cpuset", "cpuset.mems", mems, cp + ".mems"));
}

// One line per device ("8:0 1048576"), one write each: the kernel takes one rule per write.
function deviceLines(c: Checker, o: JValue, key: string, bp: string, valueKey: string, min: i64, max: i64, file: string, res: Resources): void {
  const list = c.array(o, key, bp);
  for (let i = 0; i < list.length && c.err == null; i++) {
    const dp = bp + "." + key + "[" + i.toString() + "]";
    const d = c.object(list[i], dp, true);
    if (d == null) return;
    const major = c.int(d, "major", dp, 0, 0xfff, -1), minor = c.int(d, "minor", dp, 0, 0xfffff, -1);
    if (c.err == null && (!c.has(d, "major") || !c.has(d, "minor"))) { c.bad(dp, "needs major and minor"); return; }
    const dev = major.toString() + ":" + minor.toString();
    if (valueKey == "weight") {
      const w = c.int(d, "weight", dp, 0, 1000, 0), lw = c.int(d, "leafWeight", dp, 0, 1000, 0);
      if (c.err == null && ((w > 0 && w < 10) || (lw > 0 && lw < 10))) c.bad(dp, "weights must be within 10..1000");
      if (c.err == null && w > 0) res.writes.push(new CgroupWrite("blkio", "blkio.weight_device", dev + " " + w.toString(), dp + ".weight").withAlt("blkio.bfq.weight_device", dev + " " + w.toString()));
      if (c.err == null && lw > 0) res.writes.push(new CgroupWrite("blkio", "blkio.leaf_weight_device", dev + " " + lw.toString(), dp + ".leafWeight"));
    } else {
      if (!c.has(d, "rate")) { c.bad(dp + ".rate", "is required"); return; }
      const rate = c.u64Value(d.get("rate")!, dp + ".rate");
      if (c.err == null) res.writes.push(new CgroupWrite("blkio", file, dev + " " + rate.toString(), dp + ".rate"));
    }
  }
}

function blockIOOf(rd: Reader, b: JValue): void {
  const c = rd.c, res = rd.res, bp = P + ".blockIO";
  const w = rd.put(b, "weight", bp, 0, 1000, "blkio", "blkio.weight");
  if (c.err == null && w > 0) res.writes[res.writes.length - 1].withAlt("blkio.bfq.weight", w.toString());
  if (c.err == null && w > 0 && w < 10) c.bad(bp + ".weight", "must be within 10..1000");
  const lw = rd.put(b, "leafWeight", bp, 0, 1000, "blkio", "blkio.leaf_weight");
  if (c.err == null && lw > 0 && lw < 10) c.bad(bp + ".leafWeight", "must be within 10..1000");
  deviceLines(c, b, "weightDevice", bp, "weight", 10, 1000, "", res);
  deviceLines(c, b, "throttleReadBpsDevice", bp, "rate", 0, 0, "blkio.throttle.read_bps_device", res);
  deviceLines(c, b, "throttleWriteBpsDevice", bp, "rate", 0, 0, "blkio.throttle.write_bps_device", res);
  deviceLines(c, b, "throttleReadIOPSDevice", bp, "rate", 0, 0, "blkio.throttle.read_iops_device", res);
  deviceLines(c, b, "throttleWriteIOPSDevice", bp, "rate", 0, 0, "blkio.throttle.write_iops_device", res);
}

function hugepagesOf(c: Checker, r: JValue, res: Resources): void {
  const list = c.array(r, "hugepageLimits", P);
  for (let i = 0; i < list.length && c.err == null; i++) {
    const hp = P + ".hugepageLimits[" + i.toString() + "]";
    const h = c.object(list[i], hp, true);
    if (h == null) return;
    const size = c.str(h, "pageSize", hp, true);
    if (c.err == null && !isPageSize(size)) { c.bad(hp + ".pageSize", "\"" + size + "\" is not a page size such as 2MB or 1GB"); return; }
    if (!c.has(h, "limit")) { c.bad(hp + ".limit", "is required"); return; }
    const limit = c.u64Value(h.get("limit")!, hp + ".limit");
    if (c.err == null) res.writes.push(new CgroupWrite("hugetlb", "hugetlb." + size + ".limit_in_bytes", limit.toString(), hp + ".limit"));
  }
}

function networkOf(rd: Reader, n: JValue): void {
  const c = rd.c, res = rd.res, np = P + ".network";
  if (c.has(n, "classID")) {
    const v = c.int(n, "classID", np, 0, 0xffffffff, 0);
    if (c.err == null && v != 0) res.writes.push(new CgroupWrite("net_cls", "net_cls.classid", v.toString(), np + ".classID"));
  }
  const prios = c.array(n, "priorities", np);
  for (let i = 0; i < prios.length && c.err == null; i++) {
    const pp = np + ".priorities[" + i.toString() + "]";
    const p = c.object(prios[i], pp, true);
    if (p == null) return;
    const name = c.str(p, "name", pp, true);
    if (c.err == null && (name.length == 0 || name.length > 15 || name.includes(" ") || name.includes("/"))) { c.bad(pp + ".name", "is not an interface name"); return; }
    const prio = c.int(p, "priority", pp, 0, 0xffffffff, 0);
    if (c.err == null) res.writes.push(new CgroupWrite("net_prio", "net_prio.ifpriomap", name + " " + prio.toString(), pp + ".priority"));
  }
}

function rdmaOf(c: Checker, r: JValue, res: Resources): void {
  const m = c.object(r.get("rdma"), P + ".rdma", false);
  if (m == null) return;
  for (let i = 0; i < m.keys.length && c.err == null; i++) {
    const rp = P + ".rdma." + m.keys[i];
    const d = c.object(m.items[i], rp, true);
    if (d == null) return;
    if (m.keys[i].length == 0 || m.keys[i].includes(" ")) { c.bad(rp, "is not an RDMA device name"); return; }
    const h = c.has(d, "hcaHandles") ? c.int(d, "hcaHandles", rp, 0, 0xffffffff).toString() : "max";
    const o = c.has(d, "hcaObjects") ? c.int(d, "hcaObjects", rp, 0, 0xffffffff).toString() : "max";
    if (c.err == null) res.writes.push(new CgroupWrite("rdma", "rdma.max", m.keys[i] + " hca_handle=" + h + " hca_object=" + o, rp));
  }
}

// linux.resources.unified: raw cgroup v2 "file": "value" pairs, written last (they win).
function unifiedOf(c: Checker, r: JValue, res: Resources): void {
  const m = c.object(r.get("unified"), P + ".unified", false);
  if (m == null) return;
  for (let i = 0; i < m.keys.length && c.err == null; i++) {
    const k = m.keys[i], up = P + ".unified." + k;
    const dot = k.indexOf(".");
    if (dot <= 0 || dot == k.length - 1 || k.includes("/") || k.includes("..")) { c.bad(up, "is not a cgroup v2 file name (controller.setting)"); return; }
    if (k == "cgroup.procs" || k == "cgroup.threads" || k == "cgroup.subtree_control" || k == "cgroup.type") { c.bad(up, "is managed by the runtime, not a resource"); return; }
    const v = m.items[i];
    if (v.kind != Kind.String) { c.bad(up, "must be a string, not " + v.kindName()); return; }
    res.writes.push(new CgroupWrite(k.substring(0, dot), k, v.text, up, true));
  }
}

export function parseResources(c: Checker, r: JValue): Resources {
  const res = new Resources();
  const rd = new Reader(c, res);
  devicesOf(c, r, res);
  const mem = c.object(r.get("memory"), P + ".memory", false);
  if (mem != null) memoryOf(rd, mem);
  const cpu = c.object(r.get("cpu"), P + ".cpu", false);
  if (cpu != null) cpuOf(rd, cpu);
  const pids = c.object(r.get("pids"), P + ".pids", false);
  if (pids != null) {
    const v = c.int(pids, "limit", P + ".pids", -1, 0x7fffffff, 0);
    if (c.err == null && v != 0) res.writes.push(new CgroupWrite("pids", "pids.max", v < 0 ? "max" : v.toString(), P + ".pids.limit"));
  }
  const b = c.object(r.get("blockIO"), P + ".blockIO", false);
  if (b != null) blockIOOf(rd, b);
  hugepagesOf(c, r, res);
  const n = c.object(r.get("network"), P + ".network", false);
  if (n != null) networkOf(rd, n);
  rdmaOf(c, r, res);
  unifiedOf(c, r, res);
  return res;
}
