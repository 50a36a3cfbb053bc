// The cgroupfs manager: creates the directories the layout (layout.ts) decided, writes the
// limits, attaches the v2 device filter, places init, and removes exactly the directories it
// created; pause/resume, cgroup.kill and update.
import * as sys from "../sys/syscall";
import { Failure, fail, sysFail } from "../errors/failure";
import { EEXIST, ENOENT, EBUSY, EINVAL, EPERM, ENOTEMPTY } from "../errors/errno";
import { runtimeInUserNs } from "../linux/userns";
import { readFileAt, writeExisting, writeString, closeFile } from "../sys/io";
import { Resources, CgroupWrite } from "./resources";
import { deviceProgram } from "./devfilter";
import { attachDeviceProgram } from "./bpf";
import { CgroupDir, CgroupPlan, layout } from "./layout";
import { joinStrings, trimSpaces } from "../util/strings";

export { hostCgroups, resolvePath, CgroupHost, Hierarchy } from "./host";
export { CgroupDir, CgroupPlan, planCgroups, layout } from "./layout";

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
    closeFile(<i32>fd);
    if (f != null && f!.errno == EPERM && runtimeInUserNs()) f = null;  // see writeAll
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
      const f = writeExisting(mine[i] + "/" + files[k], trimSpaces(String.UTF8.decode(r.value)));
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
      if (fd >= 0) closeFile(<i32>fd);
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
    // Device rules need CAP_SYS_ADMIN on the host: uid 0 of a user namespace with a delegated
    // cgroup has none, and runc leaves the rules out there; so does tsrun (found out on
    // this failure, so root on the host never asks).
    if (rc == -EPERM && w[k].controller == "devices" && runtimeInUserNs()) continue;
    if (rc < 0) { closeFile(<i32>fd); return sysFail(w[k].field + ": write " + file + "=" + value + " in", dir, rc); }
    // Linux 6.1 keeps the file but ignores it: a limit that is not enforced is an error.
    if (file == "memory.kmem.limit_in_bytes" && value != "-1") {
      const back = readFileAt(sys.AT_FDCWD, dir + "/" + file);
      if (back.ok && trimSpaces(String.UTF8.decode(back.value)) == "9223372036854771712") {
        closeFile(<i32>fd);
        return fail(w[k].field, "", "this kernel no longer limits kernel memory (it ignores memory.kmem.limit_in_bytes since Linux 6.1)");
      }
    }
  }
  if (fd >= 0) closeFile(<i32>fd);
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
  const text = "+" + joinStrings(need, " +");
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
// tasks are still leaving (EBUSY right after init died). A parent directory create made on
// the way (cgroupsPath /a/b with no /a yet) may since hold other containers' cgroups: it is
// removed when empty and left alone when busy, without waiting.
export function removeCgroups(dirs: string[]): Failure | null {
  for (let i = 0; i < dirs.length; i++) {
    const parent = isParentOfAnother(dirs, i);
    let rc: i64 = 0;
    for (let tries = 0; tries < 200; tries++) {
      rc = sys.unlinkat(sys.AT_FDCWD, dirs[i], sys.AT_REMOVEDIR);
      if (rc != -EBUSY || parent) break;
      pause(5000000);
    }
    if (parent && (rc == -EBUSY || rc == -ENOTEMPTY)) continue;
    if (rc < 0 && rc != -ENOENT) return sysFail("remove cgroup", dirs[i], rc);
  }
  return null;
}

function isParentOfAnother(dirs: string[], i: i32): bool {
  const prefix = dirs[i] + "/";
  for (let j = 0; j < dirs.length; j++) if (dirs[j].startsWith(prefix)) return true;
  return false;
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

// Whether the OOM killer acted in one of these cgroups (v1 memory.oom_control, v2
// memory.events): tells why an init died before it was ready.
export function oomKilled(dirs: CgroupDir[]): bool {
  for (let i = 0; i < dirs.length; i++) {
    const r = readFileAt(sys.AT_FDCWD, dirs[i].path + (dirs[i].v2 ? "/memory.events" : "/memory.oom_control"));
    if (!r.ok) continue;
    const lines = String.UTF8.decode(r.value).split("\n");
    for (let k = 0; k < lines.length; k++) if (lines[k].startsWith("oom_kill ") && lines[k] != "oom_kill 0") return true;
  }
  return false;
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
      const usage = I64.parseInt(trimSpaces(String.UTF8.decode(r.value)));
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
  const paused = cur.ok && trimSpaces(String.UTF8.decode(cur.value)) == (v2 ? "1" : "FROZEN");
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
