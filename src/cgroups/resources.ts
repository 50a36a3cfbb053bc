// linux.resources -> the cgroup files to write, per controller. Parsed and validated in the
// parent; fields this version cannot enforce are rejected by name (never ignored).
import { JValue, Kind } from "../json/value";
import { Checker } from "../spec/parse";

export class CgroupWrite {
  constructor(public controller: string, public file: string, public value: string) {}
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

export class Resources {
  devices: DeviceRule[] = [];
  hasDevices: bool = false;
  writes: CgroupWrite[] = [];   // non-device settings, v1 file names (v2 mapped in cgroups/v2.ts)
  controllers(): string[] {
    const out: string[] = [];
    if (this.hasDevices) out.push("devices");
    for (let i = 0; i < this.writes.length; i++) if (!out.includes(this.writes[i].controller)) out.push(this.writes[i].controller);
    // Every container gets a freezer cgroup: pause/resume (and a clean kill of a paused one).
    if (!out.includes("freezer")) out.push("freezer");
    return out;
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

// Engines send whole objects with zeros for "unset" (Docker): those ask for nothing.
function isZero(v: JValue): bool {
  if (v.kind == Kind.Null) return true;
  if (v.kind == Kind.Bool) return !v.bool;
  if (v.kind == Kind.Number) return v.text == "0";
  if (v.kind == Kind.String) return v.text.length == 0;
  for (let i = 0; i < v.items.length; i++) if (!isZero(v.items[i])) return false;
  return true;
}

function num(c: Checker, o: JValue, key: string, path: string, min: i64, max: i64): i64 {
  return c.int(o, key, path, min, max, 0);
}

export function parseResources(c: Checker, r: JValue): Resources {
  const res = new Resources();
  const P = "linux.resources";
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
    const major = c.has(d, "major") ? num(c, d, "major", dp, -1, 0xfff) : -1;
    const minor = c.has(d, "minor") ? num(c, d, "minor", dp, -1, 0xfffff) : -1;
    res.devices.push(new DeviceRule(c.bool(d, "allow", dp), type, major, minor, access));
    res.hasDevices = true;
  }
  const mem = c.object(r.get("memory"), P + ".memory", false);
  if (mem != null) {
    const mp = P + ".memory";
    const I64MAX: i64 = 0x7fffffffffffffff;
    if (c.has(mem, "limit")) { const v = num(c, mem, "limit", mp, -1, I64MAX); if (v != 0) res.writes.push(new CgroupWrite("memory", "memory.limit_in_bytes", v.toString())); }
    if (c.has(mem, "reservation")) { const v = num(c, mem, "reservation", mp, -1, I64MAX); if (v != 0) res.writes.push(new CgroupWrite("memory", "memory.soft_limit_in_bytes", v.toString())); }
    if (c.has(mem, "swap")) { const v = num(c, mem, "swap", mp, -1, I64MAX); if (v != 0) res.writes.push(new CgroupWrite("memory", "memory.memsw.limit_in_bytes", v.toString())); }
    if (c.has(mem, "swappiness")) { const v = num(c, mem, "swappiness", mp, 0, 100); res.writes.push(new CgroupWrite("memory", "memory.swappiness", v.toString())); }
    if (c.bool(mem, "disableOOMKiller", mp)) res.writes.push(new CgroupWrite("memory", "memory.oom_control", "1"));
    const later = ["kernel", "kernelTCP", "useHierarchy", "checkBeforeUpdate"];
    for (let i = 0; i < later.length; i++) if (c.has(mem, later[i])) c.bad(mp + "." + later[i], "is not supported by this version of tsrun");
  }
  const cpu = c.object(r.get("cpu"), P + ".cpu", false);
  if (cpu != null) {
    const cp = P + ".cpu";
    if (c.has(cpu, "shares")) { const v = num(c, cpu, "shares", cp, 0, 262144); if (v != 0) res.writes.push(new CgroupWrite("cpu", "cpu.shares", v.toString())); }
    if (c.has(cpu, "period")) { const v = num(c, cpu, "period", cp, 0, 1000000); if (v != 0) res.writes.push(new CgroupWrite("cpu", "cpu.cfs_period_us", v.toString())); }
    if (c.has(cpu, "quota")) { const v = num(c, cpu, "quota", cp, -1, 0x7fffffffffff); if (v != 0) res.writes.push(new CgroupWrite("cpu", "cpu.cfs_quota_us", v.toString())); }
    const cpus = c.str(cpu, "cpus", cp), mems = c.str(cpu, "mems", cp);
    if (cpus.length > 0 || mems.length > 0) c.bad(cp + ".cpus", "cpuset limits are not supported by this version of tsrun");
    const later = ["realtimeRuntime", "realtimePeriod", "idle", "burst"];
    for (let i = 0; i < later.length; i++) if (c.has(cpu, later[i])) c.bad(cp + "." + later[i], "is not supported by this version of tsrun");
  }
  const pids = c.object(r.get("pids"), P + ".pids", false);
  if (pids != null) {
    const v = num(c, pids, "limit", P + ".pids", -1, 0x7fffffff);
    if (v != 0) res.writes.push(new CgroupWrite("pids", "pids.max", v < 0 ? "max" : v.toString()));
  }
  const later = ["blockIO", "hugepageLimits", "network", "rdma", "unified"];
  for (let i = 0; i < later.length; i++) {
    const v = r.get(later[i]);
    if (v == null || isZero(v)) continue;
    c.bad(P + "." + later[i], "is not supported by this version of tsrun");
  }
  return res;
}
