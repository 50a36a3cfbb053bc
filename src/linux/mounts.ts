// Executing the mount part of the plan inside container init (before pivot_root).
import * as sys from "../sys/syscall";
import { Failure, sysFail, fail } from "../errors/failure";
import { ENOENT, ENOTDIR, EEXIST, ELOOP, EPERM } from "../errors/errno";
import { RESOLVE_NO_SYMLINKS } from "./consts";
import { MountOp, MountKind, Plan } from "../plan/plan";
import { ensureInRoot, openInRoot, fdPath, doneWith } from "./inroot";
import { copyTree } from "./copyup";
import { MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MOUNT_ATTR_RDONLY } from "../spec/mountopts";

const SYS_open_tree = 428, SYS_move_mount = 429;
const OPEN_TREE_CLONE: i64 = 1;
const MOVE_MOUNT_F_EMPTY_PATH: i64 = 4, MOVE_MOUNT_T_EMPTY_PATH: i64 = 0x40;

const attr = memory.data(32);

// mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], {set, clr, propagation, userns_fd}).
export function setAttr(fd: i32, path: string, set: u64, clr: u64, propagation: u64, recursive: bool, usernsFd: i32 = 0): i64 {
  store<u64>(attr, set);
  store<u64>(attr, clr, 8);
  store<u64>(attr, propagation, 16);
  store<u64>(attr, <u64>usernsFd, 24);
  const flags = (path.length == 0 ? sys.AT_EMPTY_PATH : 0) | (recursive ? sys.AT_RECURSIVE : 0);
  return sys.mountSetattr(fd, path, flags, attr, 32);
}

function bindMount(rootfd: i32, op: MountOp): Failure | null {
  // An idmapped source was cloned and mapped by the parent (linux/idmap.ts).
  const tree = op.treeFd >= 0 ? <i64>op.treeFd : sys.sys6Raw(SYS_open_tree, sys.AT_FDCWD, sys.cstr(op.source),
    OPEN_TREE_CLONE | sys.O_CLOEXEC | (op.recursive ? sys.AT_RECURSIVE : 0), 0, 0, 0);
  if (tree < 0) return sysFail("bind mount", op.source, tree);
  const t = <i32>tree;
  let rc: i64 = 0;
  if (op.attrSet != 0 || op.attrClr != 0) rc = setAttr(t, "", op.attrSet, op.attrClr, 0, false);
  if (rc == 0 && (op.recSet != 0 || op.recClr != 0)) rc = setAttr(t, "", op.recSet, op.recClr, 0, true);
  if (rc == 0 && op.propagation != 0) rc = setAttr(t, "", 0, 0, op.propagation & ~MS_REC, (op.propagation & MS_REC) != 0);
  if (rc < 0) { sys.close(t); return sysFail("set mount attributes of", "/" + op.dest, rc); }
  const target = ensureInRoot(rootfd, op.dest, op.isFile, "/" + op.dest, 0, 0, op.missing);
  if (!target.ok) { sys.close(t); return target.err; }
  rc = sys.sys6Raw(SYS_move_mount, t, sys.cstr(""), target.value, sys.cstr(""),
    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, 0);
  sys.close(target.value);
  sys.close(t);
  if (rc < 0) return sysFail("bind mount " + op.source + " on", "/" + op.dest, rc);
  return null;
}

// Propagation and recursive attributes of a freshly mounted filesystem at op.dest.
function finishFsMount(rootfd: i32, op: MountOp): Failure | null {
  if (op.propagation == 0 && op.recSet == 0 && op.recClr == 0) return null;
  const fd = openInRoot(rootfd, op.dest);
  if (fd < 0) return sysFail("open", "/" + op.dest, fd);
  let rc: i64 = 0;
  if (op.recSet != 0 || op.recClr != 0) rc = setAttr(<i32>fd, "", op.recSet, op.recClr, 0, true);
  if (rc == 0 && op.propagation != 0) rc = setAttr(<i32>fd, "", 0, 0, op.propagation & ~MS_REC, (op.propagation & MS_REC) != 0);
  doneWith(<i32>fd);
  if (rc < 0) return sysFail("set mount attributes of", "/" + op.dest, rc);
  return null;
}

function fsMount(rootfd: i32, op: MountOp, source: string, fstype: string, flags: u64, data: string, dest: string): Failure | null {
  // proc and sysfs only on a real directory of the rootfs, never through a symlink (runc's
  // CVE-2019-19921 / CVE-2019-16884 rule): later steps (masked paths, LSM labels, sysctls)
  // must find the real /proc, not a decoy the image put there.
  const pseudo = fstype == "proc" || fstype == "sysfs";
  const target = ensureInRoot(rootfd, dest, false, "/" + dest, 0, pseudo ? RESOLVE_NO_SYMLINKS : 0, op.missing && dest == op.dest);
  if (!target.ok) {
    if (pseudo && target.err!.errno == ELOOP) return fail("mount " + fstype + " on", "/" + dest, "must be an ordinary directory, not reached through a symlink");
    return target.err;
  }
  if (op.copyUp) return copyUpMount(rootfd, target.value, op, flags, data, dest);
  const rc = sys.mount(source, fdPath(target.value), fstype, flags, data.length > 0 ? data : null);
  doneWith(target.value);
  if (rc == -EPERM && op.sysfsBind) {
    const b = new MountOp();
    b.kind = MountKind.Bind;
    b.source = "/sys";
    b.dest = dest;
    b.recursive = true;
    b.attrSet = op.attrSet;
    return bindMount(rootfd, b);
  }
  if (rc < 0) return sysFail("mount " + fstype + " on", "/" + dest, rc);
  return null;
}

// tmpfs with "tmpcopyup": the covered directory stays readable through an fd opened before
// the mount; the tmpfs is mounted writable, filled, then made read-only if asked.
function copyUpMount(rootfd: i32, target: i32, op: MountOp, flags: u64, data: string, dest: string): Failure | null {
  const under = sys.openat(target, ".", sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
  let rc = under < 0 ? under : sys.mount("tmpfs", fdPath(target), "tmpfs", flags & ~MS_RDONLY, data.length > 0 ? data : null);
  sys.close(target);
  if (rc < 0) { if (under >= 0) sys.close(<i32>under); return sysFail("mount tmpfs on", "/" + dest, rc); }
  const top = openInRoot(rootfd, dest, sys.O_RDONLY | sys.O_DIRECTORY);
  if (top < 0) { sys.close(<i32>under); return sysFail("open", "/" + dest, top); }
  let f = copyTree(<i32>under, <i32>top, "/" + dest);
  sys.close(<i32>under);
  if (f == null && (flags & MS_RDONLY) != 0) {
    rc = sys.mount(null, fdPath(<i32>top), null, MS_REMOUNT | flags, data.length > 0 ? data : null);
    if (rc < 0) f = sysFail("remount read-only", "/" + dest, rc);
  }
  sys.close(<i32>top);
  return f;
}

// cgroup v1 (and hybrid) hosts: a tmpfs with one cgroup mount per hierarchy; the mount's
// options (ro...) apply to the hierarchies, the tmpfs stays writable (as runc does).
// In a user namespace cgroup v1 cannot be mounted: the host's hierarchies are bound instead,
// each at the cgroup init starts in. Without a cgroup namespace, the container's own cgroups
// are bound (op.cgroupSources, see bindContainerCgroups).
function cgroupV1Mount(rootfd: i32, op: MountOp, userns: bool): Failure | null {
  let f = fsMount(rootfd, op, "tmpfs", "tmpfs", op.flags & ~MS_RDONLY, "mode=755", op.dest);
  if (f != null) return f;
  for (let i = 0; i < op.cgroupDirs.length && userns; i++) {
    const b = new MountOp();
    b.kind = MountKind.Bind;
    b.source = "/sys/fs/cgroup/" + op.cgroupDirs[i] + (op.cgroupOwn[i] == "/" ? "" : op.cgroupOwn[i]);
    b.dest = op.dest + "/" + op.cgroupDirs[i];
    b.recursive = true;
    b.attrSet = (op.flags & MS_RDONLY) != 0 ? MOUNT_ATTR_RDONLY : 0;
    f = bindMount(rootfd, b);
    if (f != null) return f;
  }
  if (userns) return null;
  // The tmpfs is ours and new: its directories are made and mounted through one fd.
  const dfd = openInRoot(rootfd, op.dest);
  if (dfd < 0) return sysFail("open", "/" + op.dest, dfd);
  const base = fdPath(<i32>dfd) + "/";
  const bind = op.cgroupSources.length > 0;
  const locked = op.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  for (let i = 0; i < op.cgroupDirs.length; i++) {
    const name = op.cgroupDirs[i];
    let rc = sys.mkdirat(<i32>dfd, name, 0o755);
    if (rc == 0 && !bind) rc = sys.mount("cgroup", base + name, "cgroup", op.flags, op.cgroupData[i]);
    // the container's own cgroup, bound, then the mount's options (a bind ignores them)
    if (rc == 0 && bind) rc = sys.mount(op.cgroupSources[i], base + name, null, MS_BIND | MS_REC, null);
    if (rc < 0) { sys.close(<i32>dfd); return sysFail("mount cgroup on", "/" + op.dest + "/" + name, rc); }
  }
  // The mount's options on every bound hierarchy at once (a bind ignores them): set them on
  // the whole tree, then give the tmpfs back its writability — 2 calls instead of one
  // remount per hierarchy. (MS_RDONLY/NOSUID/NODEV/NOEXEC are the MOUNT_ATTR_* bits.)
  let rc: i64 = 0;
  if (bind && locked != 0) rc = setAttr(<i32>dfd, "", locked, 0, 0, true);
  if (rc == 0 && bind && (locked & MS_RDONLY) != 0) rc = setAttr(<i32>dfd, "", 0, MOUNT_ATTR_RDONLY, 0, false);
  doneWith(<i32>dfd);
  if (rc < 0) return sysFail("set mount attributes of", "/" + op.dest, rc);
  return null;
}

export function doMounts(p: Plan, rootfd: i32): Failure | null {
  for (let i = 0; i < p.mounts.length; i++) {
    const op = p.mounts[i];
    let f: Failure | null = null;
    switch (op.kind) {
      case MountKind.Bind: f = bindMount(rootfd, op); break;
      case MountKind.CgroupV1: f = cgroupV1Mount(rootfd, op, p.inUserNs); break;
      case MountKind.Cgroup2: f = fsMount(rootfd, op, "cgroup2", "cgroup2", op.flags, op.data, op.dest); break;
      default: f = fsMount(rootfd, op, op.source, op.fstype, op.flags, op.data, op.dest);
    }
    if (f == null && op.kind != MountKind.Bind) f = finishFsMount(rootfd, op);
    if (f != null) return f;
  }
  return null;
}

// maskedPaths: files hidden behind /dev/null, directories behind an empty read-only tmpfs.
export function maskPaths(paths: string[]): Failure | null {
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    let rc = sys.mount("/dev/null", p, null, MS_BIND, null);
    if (rc == -ENOTDIR) rc = sys.mount("tmpfs", p, "tmpfs", MS_RDONLY, null);
    if (rc < 0 && rc != -ENOENT) return sysFail("mask", p, rc);
  }
  return null;
}

// readonlyPaths: a recursive bind onto itself, made read-only recursively.
export function readonlyPaths(paths: string[]): Failure | null {
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    let rc = sys.mount(p, p, null, MS_BIND | MS_REC, null);
    if (rc == -ENOENT) continue;
    if (rc == 0) rc = setAttr(sys.AT_FDCWD, p, MOUNT_ATTR_RDONLY, 0, 0, true);
    if (rc < 0) return sysFail("make read-only", p, rc);
  }
  return null;
}
