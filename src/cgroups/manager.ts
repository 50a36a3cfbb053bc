// The cgroupfs manager: finds the host's hierarchies (v1, hybrid or v2), creates the
// container's cgroup only in the controllers its resources need, writes the limits, places
// init, and removes exactly the directories it created.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, fail, sysFail } from "../errors/failure";
import { EEXIST, ENOENT, EBUSY, EINVAL } from "../errors/errno";
import { readFileAt, writeExisting, writeString } from "../sys/io";
import { Resources, CgroupWrite, DeviceRule, defaultDeviceRules } from "./resources";
import { toV2 } from "./v2";
import { deviceProgram } from "./devfilter";
import { attachDeviceProgram } from "./bpf";

export class Hierarchy {
  constructor(public controllers: string, public mount: string, public own: string) {}
}

export class CgroupHost {
  v1: Hierarchy[] = [];
  v2: Hierarchy | null = null;   // the unified hierarchy (pure v2, or hybrid's unified mount)
  get pureV2(): bool { return this.v1.length == 0 && this.v2 != null; }
}

let cached: CgroupHost | null = null;
const CGROUP2_SUPER_MAGIC: i64 = 0x63677270;

// /proc/self/cgroup -> hierarchies at the standard mount points under /sys/fs/cgroup. The
// hierarchy list is global, so what is mounted decides: cgroup2 at /sys/fs/cgroup is a pure
// v2 host (or a private mount namespace that hides v1), whatever v1 hierarchies exist.
export function hostCgroups(): Result<CgroupHost> {
  if (cached != null) return ok<CgroupHost>(cached!);
  const r = readFileAt(sys.AT_FDCWD, "/proc/self/cgroup");
  if (!r.ok) return err<CgroupHost>(r.err!);
  const sfs = memory.data(120);
  const pure = sys.statfs("/sys/fs/cgroup", sfs) == 0 && load<i64>(sfs) == CGROUP2_SUPER_MAGIC;
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
    } else if (!pure) {
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

// One cgroup directory of the container and what goes into it.
export class CgroupDir {
  writes: CgroupWrite[] = [];
  rules: DeviceRule[] = [];   // v2: the device filter's rules
  bpf: bool = false;
  cpuset: bool = false;       // v1 cpuset: new directories start empty, filled from the parent
  constructor(public path: string, public v2: bool) {}
  // The mount root of a v2 directory (where enabling controllers starts).
  get mount(): string { return this.path.startsWith("/sys/fs/cgroup/unified/") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"; }
}

export class CgroupPlan {
  dirs: CgroupDir[] = [];
  created: string[] = [];     // directories made by tsrun, deepest first
  v2: bool = false;           // pure v2: one directory, init cloned into it
  freezerDir: string = "";    // where pause/resume write (v1 freezer, or the v2 cgroup)
  allDirs: string[] = [];     // "controllers=dir" for every hierarchy ("=dir": cgroup v2)
  intoFd: i32 = -1;           // pure v2: the directory's fd for clone3's CLONE_INTO_CGROUP
}

function dirOf(entries: string[], controller: string): string {
  for (let k = 0; k < entries.length; k++) {
    const eq = entries[k].indexOf("=");
    if (eq > 0 && entries[k].substring(0, eq).split(",").includes(controller)) return entries[k].substring(eq + 1);
  }
  return "";
}

function v2DirOf(entries: string[]): string {
  for (let k = 0; k < entries.length; k++) if (entries[k].startsWith("=")) return entries[k].substring(1);
  return "";
}

function getDir(dirs: CgroupDir[], path: string, v2: bool): CgroupDir {
  for (let i = 0; i < dirs.length; i++) if (dirs[i].path == path) return dirs[i];
  const d = new CgroupDir(path, v2);
  dirs.push(d);
  return d;
}

// The controllers the unified hierarchy offers (its root's cgroup.controllers).
function v2Controllers(dir: string): string[] {
  const d = new CgroupDir(dir, true);
  const r = readFileAt(sys.AT_FDCWD, d.mount + "/cgroup.controllers");
  return r.ok ? String.UTF8.decode(r.value).trim().split(" ") : [];
}

// Device rules: the config's rules in order, then runc's defaults. linux.devices only makes
// the nodes: access to them is what resources.devices allows (docker run --device X:r stays
// read-only, as with runc).
export function deviceRules(res: Resources): DeviceRule[] {
  const out: DeviceRule[] = [];
  for (let k = 0; k < res.devices.length; k++) out.push(res.devices[k]);
  const defs = defaultDeviceRules();
  for (let k = 0; k < defs.length; k++) out.push(defs[k]);
  return out;
}

// Which directory gets which setting, for the hierarchies in `entries` ("ctls=dir", "=dir"
// for cgroup v2). A controller v1 lacks but the hybrid unified hierarchy has (hugetlb on
// this kind of host) goes there with the v2 file names. No filesystem change.
export function layout(res: Resources, entries: string[], withFreezer: bool): Result<CgroupDir[]> {
  const dirs: CgroupDir[] = [];
  const v2dir = v2DirOf(entries);
  let pureV2 = v2dir.length > 0;
  for (let k = 0; k < entries.length; k++) if (!entries[k].startsWith("=")) pureV2 = false;
  let offered: string[] | null = null;
  const ctls = res.controllers(withFreezer);
  for (let i = 0; i < ctls.length; i++) {
    const ctl = ctls[i];
    if (pureV2 && (ctl == "freezer" || ctl == "devices")) {
      const d = getDir(dirs, v2dir, true);
      if (ctl == "devices") { d.bpf = true; d.rules = deviceRules(res); }
      continue;
    }
    const v1dir = pureV2 ? "" : dirOf(entries, ctl);
    if (v1dir.length > 0) {
      const d = getDir(dirs, v1dir, false);
      if (ctl == "cpuset") d.cpuset = true;
      if (ctl == "devices") {
        const rules = deviceRules(res);
        for (let k = 0; k < rules.length; k++) d.writes.push(new CgroupWrite("devices", rules[k].allow ? "devices.allow" : "devices.deny", rules[k].text(), "linux.resources.devices"));
      }
      for (let k = 0; k < res.writes.length; k++) if (!res.writes[k].raw && res.writes[k].controller == ctl) d.writes.push(res.writes[k]);
      continue;
    }
    if (ctl == "cpuacct") continue;  // only for stats; v2 accounts cpu in every cgroup
    const field = res.firstField(ctl);
    if (v2dir.length == 0 || ctl == "freezer" || ctl == "devices") {
      return err<CgroupDir[]>(fail(field.length > 0 ? field : "cgroups", "", "the " + ctl + " cgroup controller is not mounted on this host"));
    }
    if (offered == null) offered = v2Controllers(v2dir);
    if (!offered!.includes(ctl)) {
      return err<CgroupDir[]>(fail(field, "", "the " + ctl + " controller is not available on this host (not in the cgroup v2 cgroup.controllers" + (pureV2 ? ")" : ", nor a v1 hierarchy)")));
    }
    const d = getDir(dirs, v2dir, true);
    for (let k = 0; k < res.writes.length; k++) {
      const w = res.writes[k];
      if (w.raw || w.controller != ctl) continue;
      const why = toV2(w, res.writes, d.writes);
      if (why.length > 0) return err<CgroupDir[]>(fail(w.field, "", why));
    }
  }
  // linux.resources.unified: last, so its raw values win.
  for (let k = 0; k < res.writes.length; k++) {
    const w = res.writes[k];
    if (!w.raw) continue;
    if (v2dir.length == 0) return err<CgroupDir[]>(fail(w.field, "", "needs cgroup v2 (this host has cgroup v1 only)"));
    if (offered == null) offered = v2Controllers(v2dir);
    if (w.controller != "cgroup" && !offered!.includes(w.controller)) {
      return err<CgroupDir[]>(fail(w.field, "", "the " + w.controller + " controller is not on this host's cgroup v2 hierarchy" + (pureV2 ? "" : " (it is a v1 one here)")));
    }
    getDir(dirs, v2dir, true).writes.push(w);
  }
  return ok<CgroupDir[]>(dirs);
}

// Decides directories and file writes; no filesystem change yet.
export function planCgroups(res: Resources, cgroupsPath: string, id: string): Result<CgroupPlan> {
  const hr = hostCgroups();
  if (!hr.ok) return err<CgroupPlan>(hr.err!);
  const h = hr.value;
  const p = new CgroupPlan();
  for (let i = 0; i < h.v1.length; i++) p.allDirs.push(h.v1[i].controllers + "=" + h.v1[i].mount + resolvePath(cgroupsPath, h.v1[i].own, id));
  if (h.v2 != null) p.allDirs.push("=" + h.v2!.mount + resolvePath(cgroupsPath, h.v2!.own, id));
  const lr = layout(res, p.allDirs, true);
  if (!lr.ok) return err<CgroupPlan>(lr.err!);
  p.dirs = lr.value;
  p.v2 = h.pureV2;
  p.freezerDir = p.v2 ? v2DirOf(p.allDirs) : dirOf(p.allDirs, "freezer");
  return ok<CgroupPlan>(p);
}

// mkdir -p, remembering which directories are new, shallowest first.
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

// Creates every directory, writes the limits, attaches the device filter and moves pid in
// (pid 0: pure v2, init is cloned into p.intoFd instead). The caller removes p.created on
// failure.
export function applyCgroups(p: CgroupPlan, pid: i32): Failure | null {
  for (let i = 0; i < p.dirs.length; i++) {
    const f = applyDir(p.dirs[i], p.created, pid, "");
    if (f != null) return f;
  }
  if (p.v2 && pid == 0 && p.dirs.length > 0) {
    const fd = sys.openat(sys.AT_FDCWD, p.dirs[0].path, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
    if (fd < 0) return sysFail("open cgroup", p.dirs[0].path, fd);
    p.intoFd = <i32>fd;
  }
  return null;
}

// moveFrom: a freezer cgroup whose processes move into a directory made now (update).
function applyDir(d: CgroupDir, created: string[], pid: i32, moveFrom: string): Failure | null {
  const mine: string[] = [];
  let f = makeDirs(d.path, mine);
  for (let k = 0; k < mine.length; k++) created.unshift(mine[k]);
  if (f != null) return f;
  if (d.cpuset) f = inheritCpuset(d, mine);
  if (f == null && d.v2) f = enableControllers(d);
  if (f == null) f = writeAll(d.path, d.writes);
  if (f == null && d.bpf) {
    const fd = sys.openat(sys.AT_FDCWD, d.path, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
    if (fd < 0) return sysFail("open cgroup", d.path, fd);
    f = attachDeviceProgram(<i32>fd, deviceProgram(d.rules), d.path);
    sys.close(<i32>fd);
  }
  if (f == null && pid > 0) f = writeExisting(d.path + "/cgroup.procs", pid.toString());
  if (f == null && mine.length > 0 && moveFrom.length > 0 && moveFrom != d.path) f = moveAll(moveFrom, d.path);
  return f;
}

// v1 cpuset: a new cgroup has no cpus and no mems (no task could run there); each new level
// gets its parent's, unless the config sets them on the container's own directory.
function inheritCpuset(d: CgroupDir, mine: string[]): Failure | null {
  const files = ["cpuset.cpus", "cpuset.mems"];
  for (let i = 0; i < mine.length; i++) {
    const parent = mine[i].substring(0, mine[i].lastIndexOf("/"));
    for (let k = 0; k < files.length; k++) {
      if (mine[i] == d.path && hasWrite(d.writes, files[k])) continue;
      const r = readFileAt(sys.AT_FDCWD, parent + "/" + files[k]);
      if (!r.ok) return r.err;
      const f = writeExisting(mine[i] + "/" + files[k], String.UTF8.decode(r.value).trim());
      if (f != null) return f;
    }
  }
  return null;
}

function hasWrite(w: CgroupWrite[], file: string): bool {
  for (let i = 0; i < w.length; i++) if (w[i].file == file) return true;
  return false;
}

function openWrite(path: string): i64 { return sys.openat(sys.AT_FDCWD, path, sys.O_WRONLY | sys.O_CLOEXEC); }

// Writes the settings in order; consecutive writes to one file (device rules) share one
// open. A file the kernel lacks is reported with the config field that asked for it.
function writeAll(dir: string, w: CgroupWrite[]): Failure | null {
  let fd: i64 = -1;
  let open = "";
  for (let k = 0; k < w.length; k++) {
    let file = w[k].file, value = w[k].value;
    if (file == "cpu.max" && value.startsWith("keep")) {
      const cur = readFileAt(sys.AT_FDCWD, dir + "/cpu.max");
      if (!cur.ok) return cur.err;
      const t = String.UTF8.decode(cur.value);
      value = t.substring(0, t.indexOf(" ")) + value.substring(4);
    }
    if (fd < 0 || file != open) {
      if (fd >= 0) sys.close(<i32>fd);
      fd = openWrite(dir + "/" + file);
      if (fd == -ENOENT && w[k].alt.length > 0) { file = w[k].alt; value = w[k].altValue; fd = openWrite(dir + "/" + file); }
      if (fd == -ENOENT) return fail(w[k].field, "", "this kernel has no " + file + " in " + dir);
      if (fd < 0) return sysFail(w[k].field + ": open", dir + "/" + file, fd);
      open = file;
    }
    let rc = writeString(<i32>fd, value);
    // v1: memory.limit_in_bytes may not exceed memsw; raising both writes memsw first.
    if (rc == -EINVAL && file == "memory.limit_in_bytes") {
      for (let j = k + 1; j < w.length; j++) {
        if (w[j].file != "memory.memsw.limit_in_bytes") continue;
        const f = writeExisting(dir + "/" + w[j].file, w[j].value);
        if (f == null) rc = writeString(<i32>fd, value);
      }
    }
    if (rc < 0) { sys.close(<i32>fd); return sysFail(w[k].field + ": write " + file + "=" + value + " in", dir, rc); }
    // Linux 6.1 keeps the file but ignores it: a limit that is not enforced is an error.
    if (file == "memory.kmem.limit_in_bytes" && value != "-1") {
      const back = readFileAt(sys.AT_FDCWD, dir + "/" + file);
      if (back.ok && String.UTF8.decode(back.value).trim() == "9223372036854771712") {
        sys.close(<i32>fd);
        return fail(w[k].field, "", "this kernel no longer limits kernel memory (it ignores memory.kmem.limit_in_bytes since Linux 6.1)");
      }
    }
  }
  if (fd >= 0) sys.close(<i32>fd);
  return null;
}

// v2: the controllers used must be enabled in every ancestor's cgroup.subtree_control.
function enableControllers(d: CgroupDir): Failure | null {
  const need: string[] = [];
  for (let k = 0; k < d.writes.length; k++) {
    const c = d.writes[k].controller;
    if (c != "cgroup" && !need.includes(c)) need.push(c);
  }
  if (need.length == 0) return null;
  const text = "+" + need.join(" +");
  const root = d.mount;
  const parents: string[] = [];
  let at = d.path.lastIndexOf("/");
  while (at >= root.length) { parents.unshift(d.path.substring(0, at)); at = d.path.lastIndexOf("/", at - 1); }
  for (let i = 0; i < parents.length; i++) {
    const f = writeExisting(parents[i] + "/cgroup.subtree_control", text);
    if (f != null) return f.within("enable cgroup controllers");
  }
  return null;
}

function pause(ns: i64): void {
  const ts = memory.data(16);
  store<i64>(ts, 0);
  store<i64>(ts, ns, 8);
  sys.nanosleep(ts);
}

// Removes the directories tsrun created (deepest first). Retries briefly while the last
// tasks are still leaving (EBUSY right after init died).
export function removeCgroups(dirs: string[]): Failure | null {
  for (let i = 0; i < dirs.length; i++) {
    let rc: i64 = 0;
    for (let tries = 0; tries < 200; tries++) {
      rc = sys.unlinkat(sys.AT_FDCWD, dirs[i], sys.AT_REMOVEDIR);
      if (rc != -EBUSY) break;
      pause(5000000);
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
    pause(1000000);
  }
  return fail(frozen ? "pause" : "resume", dir, "the cgroup did not reach " + want);
}

// kill --all with SIGKILL on cgroup v2: cgroup.kill (Linux 5.14) kills every member at once,
// forks racing included. false: the file is not there (older kernel), signal one by one.
export function killCgroup(dir: string): bool {
  return writeExisting(dir + "/cgroup.kill", "1") == null;
}

// update: the limits in res written to the container's cgroups. A controller the container
// had no cgroup in yet gets one: the container is frozen, every process moved in, thawed.
// Appends the directories it created to `created` (for delete).
export function updateCgroups(res: Resources, allDirs: string[], freezerDir: string, created: string[]): Failure | null {
  const lr = layout(res, allDirs, false);
  if (!lr.ok) return lr.err;
  const dirs = lr.value;
  if (res.checkBeforeUpdate) {
    const f = checkMemoryUsage(res, dirs);
    if (f != null) return f;
  }
  for (let i = 0; i < dirs.length; i++) {
    const f = applyDir(dirs[i], created, 0, freezerDir);
    if (f != null) return f;
  }
  return null;
}

// memory.checkBeforeUpdate: a new limit below the current usage is refused, not applied.
function checkMemoryUsage(res: Resources, dirs: CgroupDir[]): Failure | null {
  for (let i = 0; i < dirs.length; i++) {
    for (let k = 0; k < dirs[i].writes.length; k++) {
      const w = dirs[i].writes[k];
      if (w.file != "memory.limit_in_bytes" && w.file != "memory.max") continue;
      if (w.value == "-1" || w.value == "max") continue;
      const r = readFileAt(sys.AT_FDCWD, dirs[i].path + "/" + (dirs[i].v2 ? "memory.current" : "memory.usage_in_bytes"));
      if (!r.ok) continue;  // no cgroup yet: nothing is using memory there
      const usage = I64.parseInt(String.UTF8.decode(r.value).trim());
      if (I64.parseInt(w.value) < usage) return fail(w.field, "", "the new limit " + w.value + " is below the current usage " + usage.toString() + " (memory.checkBeforeUpdate)");
    }
  }
  return null;
}

// Moves every process of the freezer cgroup into dir, frozen so none can fork meanwhile
// (a paused container stays frozen).
function moveAll(freezerDir: string, dir: string): Failure | null {
  const v2 = !freezerDir.startsWith("/sys/fs/cgroup/freezer/");
  const cur = readFileAt(sys.AT_FDCWD, freezerDir + (v2 ? "/cgroup.freeze" : "/freezer.state"));
  const paused = cur.ok && String.UTF8.decode(cur.value).trim() == (v2 ? "1" : "FROZEN");
  let f: Failure | null = paused ? null : setFrozen(freezerDir, v2, true);
  if (f != null) return f;
  const r = readFileAt(sys.AT_FDCWD, freezerDir + "/cgroup.procs");
  if (r.ok) {
    const pids = String.UTF8.decode(r.value).split("\n");
    for (let i = 0; i < pids.length && f == null; i++) {
      if (pids[i].length > 0) f = writeExisting(dir + "/cgroup.procs", pids[i]);
    }
  }
  const t: Failure | null = paused ? null : setFrozen(freezerDir, v2, false);
  return f != null ? f : t;
}
