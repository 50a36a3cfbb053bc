// The cgroupfs manager: finds the host's hierarchies (v1, hybrid or v2), creates the
// container's cgroup only in the controllers its resources need, writes the limits, places
// init, and removes exactly the directories it created.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, fail, sysFail } from "../errors/failure";
import { EEXIST, ENOENT, EBUSY, EINTR } from "../errors/errno";
import { readFileAt, writeExisting, writeString } from "../sys/io";
import { Resources, CgroupWrite, defaultDeviceRules } from "./resources";

export class Hierarchy {
  constructor(public controllers: string, public mount: string, public own: string) {}
}

export class CgroupHost {
  v1: Hierarchy[] = [];
  v2: Hierarchy | null = null;   // the unified hierarchy (pure v2, or hybrid's unified mount)
  get pureV2(): bool { return this.v1.length == 0 && this.v2 != null; }
}

let cached: CgroupHost | null = null;

// /proc/self/cgroup -> hierarchies at the standard mount points under /sys/fs/cgroup
// (read once per process).
export function hostCgroups(): Result<CgroupHost> {
  if (cached != null) return ok<CgroupHost>(cached!);
  const r = readFileAt(sys.AT_FDCWD, "/proc/self/cgroup");
  if (!r.ok) return err<CgroupHost>(r.err!);
  const h = new CgroupHost();
  cached = h;
  const lines = String.UTF8.decode(r.value).split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const a = lines[i].indexOf(":"), b = lines[i].indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const ctl = lines[i].substring(a + 1, b);
    const own = lines[i].substring(b + 1);
    if (ctl.length == 0) {
      h.v2 = new Hierarchy("", "/sys/fs/cgroup", own);
    } else {
      const dir = ctl.startsWith("name=") ? ctl.substring(5) : ctl;
      h.v1.push(new Hierarchy(ctl, "/sys/fs/cgroup/" + dir, own));
    }
  }
  if (h.v1.length > 0 && h.v2 != null) h.v2!.mount = "/sys/fs/cgroup/unified";
  return ok<CgroupHost>(h);
}

// cgroupsPath: absolute as given; relative to tsrun's own cgroup (as runc); empty -> own/<id>.
export function resolvePath(cgroupsPath: string, own: string, id: string): string {
  const base = own == "/" ? "" : own;
  if (cgroupsPath.length == 0) return base + "/" + id;
  if (cgroupsPath.startsWith("/")) return cgroupsPath;
  return base + "/" + cgroupsPath;
}

export class CgroupPlan {
  dirs: string[] = [];        // one cgroup directory per controller used (v1) or one (v2)
  writes: string[][] = [];    // per dir: [file, value, file, value, ...]
  created: string[] = [];     // directories made by tsrun, deepest first
  v2: bool = false;
  freezerDir: string = "";    // where pause/resume write (v1 freezer, or the v2 cgroup)
  allDirs: string[] = [];     // "controllers=dir" for every hierarchy (for update)
}

function findV1(h: CgroupHost, controller: string): Hierarchy | null {
  for (let i = 0; i < h.v1.length; i++) {
    const parts = h.v1[i].controllers.split(",");
    if (parts.includes(controller)) return h.v1[i];
  }
  return null;
}

function v2Writes(w: CgroupWrite, out: string[]): void {
  if (w.file == "memory.limit_in_bytes") { out.push("memory.max"); out.push(w.value == "-1" ? "max" : w.value); }
  else if (w.file == "memory.soft_limit_in_bytes") { out.push("memory.low"); out.push(w.value == "-1" ? "max" : w.value); }
  else if (w.file == "pids.max") { out.push("pids.max"); out.push(w.value); }
  else if (w.file == "cpu.shares") {
    // runc/crun's conversion of shares [2, 262144] to weight [1, 10000].
    const s = I64.parseInt(w.value);
    out.push("cpu.weight"); out.push((1 + ((s - 2) * 9999) / 262142).toString());
  }
}

// v1 device rules as file=value pairs: the config's rules in order, then runc's defaults
// and the config's own device nodes.
function deviceWrites(res: Resources, extraDevices: string[], w: string[]): void {
  for (let k = 0; k < res.devices.length; k++) { const d = res.devices[k]; w.push(d.allow ? "devices.allow" : "devices.deny"); w.push(d.text()); }
  const defs = defaultDeviceRules();
  for (let k = 0; k < defs.length; k++) { w.push("devices.allow"); w.push(defs[k].text()); }
  for (let k = 0; k < extraDevices.length; k++) { w.push("devices.allow"); w.push(extraDevices[k]); }
}

// Decides directories and file writes; no filesystem change yet.
export function planCgroups(res: Resources, cgroupsPath: string, id: string, extraDevices: string[]): Result<CgroupPlan> {
  const hr = hostCgroups();
  if (!hr.ok) return err<CgroupPlan>(hr.err!);
  const h = hr.value;
  const p = new CgroupPlan();
  const ctls = res.controllers();
  for (let i = 0; i < h.v1.length; i++) p.allDirs.push(h.v1[i].controllers + "=" + h.v1[i].mount + resolvePath(cgroupsPath, h.v1[i].own, id));
  if (h.pureV2) p.allDirs.push("=" + h.v2!.mount + resolvePath(cgroupsPath, h.v2!.own, id));
  if (h.pureV2) {
    if (res.hasDevices) return err<CgroupPlan>(fail("config.json", "", "linux.resources.devices: device rules on cgroup v2 need an eBPF program, not supported by this version of tsrun"));
    for (let i = 0; i < res.writes.length; i++) {
      const f = res.writes[i].file;
      if (f != "memory.limit_in_bytes" && f != "memory.soft_limit_in_bytes" && f != "pids.max" && f != "cpu.shares") {
        return err<CgroupPlan>(fail("config.json", "", "linux.resources: " + f + " has no cgroup v2 equivalent in this version of tsrun"));
      }
    }
    const w: string[] = [];
    for (let i = 0; i < res.writes.length; i++) v2Writes(res.writes[i], w);
    const quota = findWrite(res, "cpu.cfs_quota_us"), period = findWrite(res, "cpu.cfs_period_us");
    if (quota.length > 0 || period.length > 0) {
      w.push("cpu.max");
      w.push((quota.length == 0 || quota == "-1" ? "max" : quota) + " " + (period.length > 0 ? period : "100000"));
    }
    p.v2 = true;
    p.dirs.push(h.v2!.mount + resolvePath(cgroupsPath, h.v2!.own, id));
    p.freezerDir = p.dirs[0];
    p.writes.push(w);
    return ok<CgroupPlan>(p);
  }
  for (let i = 0; i < ctls.length; i++) {
    const hier = findV1(h, ctls[i]);
    if (hier == null) return err<CgroupPlan>(fail("cgroup controller", ctls[i], "is not mounted on this host"));
    const dir = hier.mount + resolvePath(cgroupsPath, hier.own, id);
    if (ctls[i] == "freezer") p.freezerDir = dir;
    const w: string[] = [];
    if (ctls[i] == "devices") deviceWrites(res, extraDevices, w);
    for (let k = 0; k < res.writes.length; k++) {
      if (res.writes[k].controller == ctls[i]) { w.push(res.writes[k].file); w.push(res.writes[k].value); }
    }
    const at = p.dirs.indexOf(dir);
    if (at >= 0) { for (let k = 0; k < w.length; k++) p.writes[at].push(w[k]); continue; }
    p.dirs.push(dir);
    p.writes.push(w);
  }
  return ok<CgroupPlan>(p);
}

function findWrite(res: Resources, file: string): string {
  for (let i = 0; i < res.writes.length; i++) if (res.writes[i].file == file) return res.writes[i].value;
  return "";
}

// mkdir -p, remembering which directories are new (for removal).
function makeDirs(path: string, created: string[]): Failure | null {
  const rc = sys.mkdirat(sys.AT_FDCWD, path, 0o755);
  if (rc == 0) { created.push(path); return null; }
  if (rc == -EEXIST) return null;
  if (rc != -ENOENT) return sysFail("create cgroup", path, rc);
  const slash = path.lastIndexOf("/");
  if (slash <= 0) return sysFail("create cgroup", path, rc);
  const f = makeDirs(path.substring(0, slash), created);
  if (f != null) return f;
  const rc2 = sys.mkdirat(sys.AT_FDCWD, path, 0o755);
  if (rc2 == 0) { created.push(path); return null; }
  if (rc2 == -EEXIST) return null;
  return sysFail("create cgroup", path, rc2);
}

// Creates the directories, writes every limit and moves pid in. On failure, the caller
// removes p.created.
export function applyCgroups(p: CgroupPlan, pid: i32): Failure | null {
  const v2 = p.v2;
  for (let i = 0; i < p.dirs.length; i++) {
    const created: string[] = [];
    const f = makeDirs(p.dirs[i], created);
    for (let k = 0; k < created.length; k++) p.created.unshift(created[k]);
    if (f != null) return f;
    if (v2) {
      const f2 = enableV2Controllers(p.dirs[i], p.writes[i]);
      if (f2 != null) return f2;
    }
    const wf = writeAll(p.dirs[i], p.writes[i]);
    if (wf != null) return wf;
    const pf = writeExisting(p.dirs[i] + "/cgroup.procs", pid.toString());
    if (pf != null) return pf;
  }
  return null;
}

// Writes file=value pairs; consecutive writes to one file (device rules) share one open.
function writeAll(dir: string, w: string[]): Failure | null {
  let fd: i64 = -1;
  for (let k = 0; k + 1 < w.length; k += 2) {
    if (fd < 0 || w[k] != w[k - 2]) {
      if (fd >= 0) sys.close(<i32>fd);
      fd = sys.openat(sys.AT_FDCWD, dir + "/" + w[k], sys.O_WRONLY | sys.O_CLOEXEC);
      if (fd < 0) return sysFail("open", dir + "/" + w[k], fd);
    }
    const rc = writeString(<i32>fd, w[k + 1]);
    if (rc < 0) { sys.close(<i32>fd); return sysFail("cgroup limit " + w[k] + "=" + w[k + 1] + " in", dir, rc); }
  }
  if (fd >= 0) sys.close(<i32>fd);
  return null;
}

// v2: the controllers used must be enabled in every ancestor's cgroup.subtree_control.
function enableV2Controllers(dir: string, writes: string[]): Failure | null {
  const need: string[] = [];
  for (let k = 0; k < writes.length; k += 2) {
    const c = writes[k].substring(0, writes[k].indexOf("."));
    if (!need.includes(c)) need.push(c);
  }
  if (need.length == 0) return null;
  const text = "+" + need.join(" +");
  const root = "/sys/fs/cgroup";
  let at = dir.lastIndexOf("/");
  const parents: string[] = [];
  while (at > root.length - 1) { parents.unshift(dir.substring(0, at)); at = dir.lastIndexOf("/", at - 1); }
  for (let i = 0; i < parents.length; i++) {
    const f = writeExisting(parents[i] + "/cgroup.subtree_control", text);
    if (f != null) return f.within("enable cgroup controllers");
  }
  return null;
}

// Removes the directories tsrun created (deepest first). Retries briefly while the last
// tasks are still leaving (EBUSY right after init died).
export function removeCgroups(dirs: string[]): Failure | null {
  for (let i = 0; i < dirs.length; i++) {
    let rc: i64 = 0;
    for (let tries = 0; tries < 200; tries++) {
      rc = sys.unlinkat(sys.AT_FDCWD, dirs[i], sys.AT_REMOVEDIR);
      if (rc != -EBUSY) break;
      const ts = memory.data(16);
      store<i64>(ts, 0);
      store<i64>(ts, 5000000, 8);
      sys.nanosleep(ts);
    }
    if (rc < 0 && rc != -ENOENT) return sysFail("remove cgroup", dirs[i], rc);
  }
  return null;
}

// pause/resume: v1 freezer.state FROZEN/THAWED, v2 cgroup.freeze 1/0; waits until the
// kernel reports the state reached (freezing is asynchronous).
export function setFrozen(dir: string, v2: bool, frozen: bool): Failure | null {
  const file = v2 ? dir + "/cgroup.freeze" : dir + "/freezer.state";
  const f = writeExisting(file, v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED"));
  if (f != null) return f;
  const want = v2 ? (frozen ? "frozen 1" : "frozen 0") : (frozen ? "FROZEN" : "THAWED");
  const check = v2 ? dir + "/cgroup.events" : file;
  for (let i = 0; i < 2000; i++) {
    const r = readFileAt(sys.AT_FDCWD, check);
    if (r.ok && String.UTF8.decode(r.value).includes(want)) return null;
    const ts = memory.data(16);
    store<i64>(ts, 0);
    store<i64>(ts, 1000000, 8);
    sys.nanosleep(ts);
  }
  return fail(frozen ? "pause" : "resume", dir, "the cgroup did not reach " + want);
}

// update: the limits in res written to the container's cgroups. A controller the container
// had no cgroup in yet gets one: the container is frozen, every process moved in, thawed.
// Returns the directories it created (for delete).
export function updateCgroups(res: Resources, allDirs: string[], freezerDir: string, v2: bool, created: string[]): Failure | null {
  const ctls = res.controllers();
  for (let i = 0; i < ctls.length; i++) {
    if (ctls[i] == "freezer") continue;
    let dir = "";
    for (let k = 0; k < allDirs.length; k++) {
      const eq = allDirs[k].indexOf("=");
      const names = allDirs[k].substring(0, eq).split(",");
      if ((v2 && eq == 0) || names.includes(ctls[i])) dir = allDirs[k].substring(eq + 1);
    }
    if (dir.length == 0) return fail("update", ctls[i], "no such cgroup controller on this host");
    const w: string[] = [];
    if (ctls[i] == "devices") deviceWrites(res, [], w);
    for (let k = 0; k < res.writes.length; k++) {
      if (res.writes[k].controller != ctls[i]) continue;
      if (v2) v2Writes(res.writes[k], w);
      else { w.push(res.writes[k].file); w.push(res.writes[k].value); }
    }
    const mine: string[] = [];
    const f = makeDirs(dir, mine);
    for (let k = 0; k < mine.length; k++) created.unshift(mine[k]);
    if (f != null) return f;
    if (mine.length > 0 && !v2) {
      const mf = moveAll(freezerDir, dir);
      if (mf != null) return mf;
    }
    const wf = writeAll(dir, w);
    if (wf != null) return wf;
  }
  return null;
}

// Moves every process of the freezer cgroup into dir, frozen so none can fork meanwhile.
function moveAll(freezerDir: string, dir: string): Failure | null {
  let f = setFrozen(freezerDir, false, true);
  if (f != null) return f;
  const r = readFileAt(sys.AT_FDCWD, freezerDir + "/cgroup.procs");
  if (r.ok) {
    const pids = String.UTF8.decode(r.value).split("\n");
    for (let i = 0; i < pids.length && f == null; i++) {
      if (pids[i].length > 0) f = writeExisting(dir + "/cgroup.procs", pids[i]);
    }
  }
  const t = setFrozen(freezerDir, false, false);
  return f != null ? f : t;
}
