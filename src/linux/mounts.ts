// Executing the mount part of the plan inside container init (before pivot_root).
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { ENOENT, ENOTDIR, EEXIST, ELOOP, EPERM } from "../errors/errno";
import { RESOLVE_NO_SYMLINKS } from "./consts";
import { MountOp, MountKind, Plan } from "../plan/plan";
import { ensureInRoot, openInRoot, fdPath, doneWith } from "./inroot";
import { copyTree } from "./copyup";
import { MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MOUNT_ATTR_RDONLY } from "../spec/mountopts";

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
  const tree = op.treeFd >= 0 ? <i64>op.treeFd
    : sys.openTree(sys.AT_FDCWD, op.source, sys.OPEN_TREE_CLONE | sys.O_CLOEXEC | (op.recursive ? sys.AT_RECURSIVE : 0));
  if (tree < 0) return sysFail("bind mount", op.source, tree);
  const t = <i32>tree;
  let rc: i64 = 0;
  if (op.attrSet != 0 || op.attrClr != 0) rc = setAttr(t, "", op.attrSet, op.attrClr, 0, false);
  if (rc == 0 && (op.recSet != 0 || op.recClr != 0)) rc = setAttr(t, "", op.recSet, op.recClr, 0, true);
  if (rc == 0 && op.propagation != 0) rc = setAttr(t, "", 0, 0, op.propagation & ~MS_REC, (op.propagation & MS_REC) != 0);
  if (rc < 0) { sys.close(t); return sysFail("set mount attributes of", "/" + op.dest, rc); }
  const target = ensureInRoot(rootfd, op.dest, op.isFile, "/" + op.dest, 0, 0, op.missing);
  if (!target.ok) { sys.close(t); return target.err; }
  rc = sys.moveMountFd(t, target.value);
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

// maskedPaths and readonlyPaths run after pivot_root, when the container's rootfs is "/" (and
// the cwd). Race-free, as the CVE-2025-31133/-52565 class asks: each target is resolved once,
// inside the root and without magic links (openat2), and every mount is put on that fd — a
// symlink swapped in by the image, or by another container sharing the rootfs, cannot redirect
// it. Nothing is mounted by path.

const nullStat = memory.data(144);
const NULL_RDEV: u64 = (1 << 8) | 3; // makedev(1, 3)

function notNullDevice(): Failure {
  return fail("mask with", "/dev/null", "is not the null device (char 1:3), refusing to bind it over maskedPaths");
}

// The container's /dev/null, reached without any symlink and checked to be the null device:
// an image cannot make a masked file show (or write through to) a file of its choosing.
function openNullDevice(): Result<i32> {
  const fd = openInRoot(sys.AT_FDCWD, "/dev/null", sys.O_PATH, RESOLVE_NO_SYMLINKS);
  if (fd == -ELOOP) return err<i32>(notNullDevice());
  if (fd < 0) return err<i32>(sysFail("open", "/dev/null (the source of maskedPaths)", fd));
  const rc = sys.fstat(<i32>fd, nullStat);
  if (rc < 0) return err<i32>(sysFail("stat", "/dev/null", rc));
  if ((load<u32>(nullStat, 24) & sys.S_IFMT) != sys.S_IFCHR || load<u64>(nullStat, 40) != NULL_RDEV) return err<i32>(notNullDevice());
  return ok<i32>(<i32>fd);
}

// An empty read-only tmpfs (read-only superblock too), as a detached mount.
function emptyReadonlyTmpfs(): i64 {
  const fs = sys.fsopen("tmpfs", sys.FSOPEN_CLOEXEC);
  if (fs < 0) return fs;
  let rc = sys.fsconfig(<i32>fs, sys.FSCONFIG_SET_FLAG, "ro", null, 0);
  if (rc == 0) rc = sys.fsconfig(<i32>fs, sys.FSCONFIG_CMD_CREATE, null, null, 0);
  if (rc == 0) rc = sys.fsmount(<i32>fs, sys.FSMOUNT_CLOEXEC, <u32>MOUNT_ATTR_RDONLY);
  doneWith(<i32>fs);
  return rc;
}

// maskedPaths: files hidden behind /dev/null, directories behind an empty read-only tmpfs.
// The target is opened as a directory first (a file answers ENOTDIR and is opened again), so
// a directory costs one lookup. The first directory gets the new tmpfs itself, the others a
// clone of it (one superblock, empty and read-only, for all of them).
export function maskPaths(paths: string[]): Failure | null {
  let devNull: i32 = -1, emptyDir: i64 = -1;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    let t = openInRoot(sys.AT_FDCWD, p, sys.O_PATH | sys.O_DIRECTORY);
    const isDir = t >= 0;
    if (t == -ENOTDIR) t = openInRoot(sys.AT_FDCWD, p);
    if (t == -ENOENT) continue;
    if (t < 0) return sysFail("mask", p, t);
    let src: i64;
    if (isDir) {
      src = emptyDir < 0 ? emptyReadonlyTmpfs() : sys.openTree(<i32>emptyDir, "", sys.OPEN_TREE_CLONE | sys.AT_EMPTY_PATH | sys.O_CLOEXEC);
      if (src >= 0 && emptyDir < 0) emptyDir = src;
    } else {
      if (devNull < 0) {
        const n = openNullDevice();
        if (!n.ok) { doneWith(<i32>t); return n.err; }
        devNull = n.value;
      }
      src = sys.openTree(devNull, "", sys.OPEN_TREE_CLONE | sys.AT_EMPTY_PATH | sys.O_CLOEXEC);
    }
    const rc = src < 0 ? src : sys.moveMountFd(<i32>src, <i32>t);
    if (src >= 0 && src != emptyDir) doneWith(<i32>src);
    doneWith(<i32>t);
    if (rc < 0) return sysFail("mask", p, rc);
  }
  return null;
}

// readonlyPaths: a recursive clone of the path's tree, made read-only recursively while still
// detached, then mounted back on it.
export function readonlyPaths(paths: string[]): Failure | null {
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    const t = openInRoot(sys.AT_FDCWD, p);
    if (t == -ENOENT) continue;
    if (t < 0) return sysFail("make read-only", p, t);
    const tree = sys.openTree(<i32>t, "", sys.OPEN_TREE_CLONE | sys.AT_RECURSIVE | sys.AT_EMPTY_PATH | sys.O_CLOEXEC);
    let rc = tree < 0 ? tree : setAttr(<i32>tree, "", MOUNT_ATTR_RDONLY, 0, 0, true);
    if (rc == 0) rc = sys.moveMountFd(<i32>tree, <i32>t);
    if (tree >= 0) doneWith(<i32>tree);
    doneWith(<i32>t);
    if (rc < 0) return sysFail("make read-only", p, rc);
  }
  return null;
}
