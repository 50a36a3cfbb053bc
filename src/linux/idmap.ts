// User namespaces as id maps: uid_map/gid_map text, and the idmapped bind mounts
// (mount_setattr MOUNT_ATTR_IDMAP), prepared by the parent before clone3 because the kernel
// wants CAP_SYS_ADMIN over the source filesystem, which init in a user namespace lacks.
import * as sys from "../sys/syscall";
import { forkProcess } from "../sys/process";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { writeExisting, writeString, readFd } from "../sys/io";
import { getenv } from "../cli/argv";
import { IdMapping } from "../spec/model";
import { Plan, MountOp } from "../plan/plan";
import { CLONE_NEWUSER } from "./consts";
import { MOUNT_ATTR_IDMAP } from "../spec/mountopts";
import { setAttr } from "./mounts";
import { joinStrings, trimSpaces } from "../util/strings";

export function mapText(ms: IdMapping[]): string {
  let s = "";
  for (let i = 0; i < ms.length; i++) {
    s += ms[i].containerID.toString() + " " + ms[i].hostID.toString() + " " + ms[i].size.toString() + "\n";
  }
  return s;
}

// newuidmap/newgidmap PID ID LOWER COUNT...: the setuid helpers (Debian package uidmap) that
// check the ranges against /etc/subuid and /etc/subgid for an unprivileged caller.
function runMapTool(tool: string, pid: i32, ms: IdMapping[]): Failure | null {
  const args: string[] = [tool, pid.toString()];
  for (let i = 0; i < ms.length; i++) {
    args.push(ms[i].containerID.toString());
    args.push(ms[i].hostID.toString());
    args.push(ms[i].size.toString());
  }
  const what = joinStrings(args, " ");
  const pathVar = getenv("PATH");
  const dirs = (pathVar != null && pathVar.length > 0 ? pathVar : "/usr/sbin:/usr/bin:/sbin:/bin").split(":");
  const paths: i64[] = [];
  for (let i = 0; i < dirs.length; i++) if (dirs[i].startsWith("/")) paths.push(sys.cstr(dirs[i] + "/" + tool));
  const argv = sys.cstrArray(args);
  const envp = sys.cstrArray([]);
  // Its stdout/stderr (and our exec error) come back on one pipe, read until EOF.
  const fds = memory.data(8);
  let rc = sys.pipe2(fds, sys.O_CLOEXEC);
  if (rc < 0) return sysFail("pipe for", tool, rc);
  const rd = load<i32>(fds), wr = load<i32>(fds, 4);
  rc = forkProcess(0);
  if (rc == 0) {
    sys.dup3(wr, 1, 0);
    sys.dup3(wr, 2, 0);
    // As execvp: a directory we cannot search or a missing file means the next one.
    let e: i64 = -2, seen: i64 = -2;
    for (let i = 0; i < paths.length; i++) {
      e = sys.execve(paths[i], argv, envp);
      if (e != -2 /* ENOENT */ && e != -13 /* EACCES */ && e != -20 /* ENOTDIR */) break;
      if (e != -2) seen = e;
    }
    if (e == -2 || e == -20) e = seen;
    writeString(2, e == -2 ? "not found in $PATH (install the uidmap package)" : sysFail("exec", tool, e).message());
    sys.exit(127);
  }
  sys.close(wr);
  if (rc < 0) { sys.close(rd); return sysFail("fork", tool, rc); }
  const out = readFd(rd, tool, false);
  sys.close(rd);
  const st = memory.data(8);
  while (sys.wait4(<i32>rc, st, 0) == -4 /* EINTR */) {}
  const status = load<i32>(st);
  if (status == 0) return null;
  let msg = out.ok ? trimSpaces(String.UTF8.decode(out.value)).replaceAll("\n", "; ") : "";
  if (msg.length == 0) msg = "exit status " + ((status >> 8) & 0xff).toString();
  return fail(what, "", msg);
}

// Writes the maps of init's new user namespace: directly (root, or an unprivileged caller's
// own id), through newuidmap/newgidmap otherwise (p.uidMapTool/gidMapTool, see compile).
export function writeIdMaps(pid: i32, p: Plan, uid: IdMapping[], gid: IdMapping[]): Failure | null {
  const base = "/proc/" + pid.toString() + "/";
  let f = p.uidMapTool ? runMapTool("newuidmap", pid, uid) : writeExisting(base + "uid_map", mapText(uid));
  if (f != null) return f.within("linux.uidMappings");
  if (p.denySetgroups) {
    f = writeExisting(base + "setgroups", "deny");
    if (f != null) return f;
  }
  f = p.gidMapTool ? runMapTool("newgidmap", pid, gid) : writeExisting(base + "gid_map", mapText(gid));
  if (f != null) return f.within("linux.gidMappings");
  return null;
}

// An fd of a user namespace with these maps: a child born in a new user namespace waits on a
// pipe while its maps are written and its /proc/PID/ns/user opened, then exits (it also
// exits when the parent dies: the pipe's write end closes).
export function userNsWithMaps(uid: IdMapping[], gid: IdMapping[]): Result<i32> {
  const fds = memory.data(8);
  let rc = sys.pipe2(fds, sys.O_CLOEXEC);
  if (rc < 0) return err<i32>(sysFail("pipe", "idmapped mount", rc));
  const rd = load<i32>(fds), wr = load<i32>(fds, 4);
  const pid = forkProcess(CLONE_NEWUSER);
  if (pid == 0) {
    sys.close(wr);
    sys.read(rd, memory.data(8), 1);
    sys.exit(0);
  }
  sys.close(rd);
  if (pid < 0) { sys.close(wr); return err<i32>(sysFail("clone3", "user namespace of an idmapped mount", pid)); }
  const base = "/proc/" + pid.toString() + "/";
  let f = writeExisting(base + "uid_map", mapText(uid));
  if (f == null) f = writeExisting(base + "gid_map", mapText(gid));
  let fd: i64 = -1;
  if (f == null) {
    fd = sys.openat(sys.AT_FDCWD, base + "ns/user", sys.O_RDONLY | sys.O_CLOEXEC);
    if (fd < 0) f = sysFail("open", base + "ns/user", fd);
  }
  sys.close(wr);
  const st = memory.data(8);
  while (sys.wait4(<i32>pid, st, 0) == -4 /* EINTR */) {}
  if (f != null) return err<i32>(f);
  return ok<i32>(<i32>fd);
}

function sameMaps(a: IdMapping[], b: IdMapping[]): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].containerID != b[i].containerID || a[i].hostID != b[i].hostID || a[i].size != b[i].size) return false;
  }
  return true;
}

// Detached, idmapped copies of every idmapped bind source (op.treeFd); init moves them into
// place. One helper user namespace per distinct mapping.
export function prepareIdmappedMounts(p: Plan): Failure | null {
  const nsFds: i32[] = [];
  const nsOps: MountOp[] = [];
  let f: Failure | null = null;
  for (let i = 0; i < p.mounts.length && f == null; i++) {
    const op = p.mounts[i];
    if (!op.idmap) continue;
    let ns: i32 = -1;
    for (let k = 0; k < nsOps.length; k++) {
      const q = nsOps[k];
      if (q.idmapUsernsPath == op.idmapUsernsPath && sameMaps(q.idmapUid, op.idmapUid) && sameMaps(q.idmapGid, op.idmapGid)) ns = nsFds[k];
    }
    if (ns < 0) {
      if (op.idmapUsernsPath.length > 0) {
        const fd = sys.openat(sys.AT_FDCWD, op.idmapUsernsPath, sys.O_RDONLY | sys.O_CLOEXEC);
        if (fd < 0) { f = sysFail("open user namespace", op.idmapUsernsPath, fd); break; }
        ns = <i32>fd;
      } else {
        const r = userNsWithMaps(op.idmapUid, op.idmapGid);
        if (!r.ok) { f = r.err!.within("idmapped mount on /" + op.dest); break; }
        ns = r.value;
      }
      nsFds.push(ns);
      nsOps.push(op);
    }
    const tree = sys.openTree(sys.AT_FDCWD, op.source, sys.OPEN_TREE_CLONE | sys.O_CLOEXEC | (op.recursive ? sys.AT_RECURSIVE : 0));
    if (tree < 0) { f = sysFail("bind mount", op.source, tree); break; }
    op.treeFd = <i32>tree;
    const rc = setAttr(op.treeFd, "", MOUNT_ATTR_IDMAP, 0, 0, op.idmapRecursive, ns);
    if (rc < 0) f = sysFail("idmap mount of " + op.source + " on", "/" + op.dest, rc);
  }
  for (let k = 0; k < nsFds.length; k++) sys.close(nsFds[k]);
  if (f != null) closeIdmappedMounts(p);
  return f;
}

// The parent's copies of the detached trees (init has its own after clone3).
export function closeIdmappedMounts(p: Plan): void {
  for (let i = 0; i < p.mounts.length; i++) {
    const op = p.mounts[i];
    if (op.treeFd >= 0) { sys.close(op.treeFd); op.treeFd = -1; }
  }
}
