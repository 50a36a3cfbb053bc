// Spec + command-line options -> Plan. Runs in the parent, before clone3: every string,
// path lookup and decision is made here so that container init only executes.
import * as sys from "../sys/syscall";
import { Spec, Mount, Process, IdMapping } from "../spec/model";
import { hostCgroups } from "../cgroups/manager";
import { Plan, MountOp, MountKind, DeviceOp, NsJoin, Rlim } from "./plan";
import { Failure, Result, ok, err, fail, sysFail } from "../errors/failure";
import { readFileAt, readFd, closeFile } from "../sys/io";
import { openInRoot } from "../linux/inroot";
import { MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_NODIRATIME,
  MS_STRICTATIME, MS_RELATIME, MS_SLAVE, MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODIRATIME, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME,
  MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW } from "../spec/mountopts";
import { CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWNET } from "../linux/consts";
import { planLsm, selinuxEnabled } from "../linux/lsm";
import { compileFilter, BPF_MAXINSNS } from "../seccomp/bpf";
import { FEATURE_SECCOMP } from "../features";
import { FLAG_TSYNC, FLAG_TSYNC_ESRCH, FLAG_NEW_LISTENER } from "../seccomp/model";

export class CreateOptions {
  bundle: string = "";
  noPivot: bool = false;
  preserveFds: i32 = 0;
  listenFds: i32 = 0;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_DEVICES: string[] = ["null", "zero", "full", "random", "urandom", "tty"];
const DEFAULT_MAJOR: u32[] = [1, 1, 1, 1, 1, 5];
const DEFAULT_MINOR: u32[] = [3, 5, 7, 8, 9, 0];

export function makedev(major: u64, minor: u64): u64 {
  return ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff);
}

// "/a/b/" -> "a/b"; "rel" -> "rel" (relative destinations are relative to the rootfs root).
export function rootRelative(p: string): string {
  let s = 0, e = p.length;
  while (s < e && p.charCodeAt(s) == 0x2f) s++;
  while (e > s && p.charCodeAt(e - 1) == 0x2f) e--;
  return p.substring(s, e);
}

// `dest` cannot exist yet when its parent is the root of a tmpfs an earlier entry mounts (empty,
// not filled by tmpcopyup) and no entry after that one mounts on `dest`, under it, or over the
// parent. /dev/pts, /dev/shm and /dev/mqueue on the /dev tmpfs of every engine's config are such.
function missingOnFreshTmpfs(done: MountOp[], dest: string): bool {
  const slash = dest.lastIndexOf("/");
  if (slash <= 0) return false;
  const parent = dest.substring(0, slash);
  const name = dest.substring(slash + 1);
  if (name.length == 0 || name == "." || name == "..") return false;
  for (let k = done.length - 1; k >= 0; k--) {
    const d = done[k].dest;
    if (d == dest || d.startsWith(dest + "/")) return false;
    if (d == parent) return done[k].kind == MountKind.Fs && done[k].fstype == "tmpfs" && !done[k].copyUp;
    if (parent.startsWith(d + "/") || d.length == 0) return false;
  }
  return false;
}

function absolute(base: string, p: string): string {
  return p.startsWith("/") ? p : base + "/" + p;
}

// The host's cgroup hierarchies, for a "cgroup" mount.
function cgroupMount(op: MountOp, m: Mount): Failure | null {
  const r = hostCgroups();
  if (!r.ok) return r.err;
  const h = r.value;
  for (let i = 0; i < h.v1.length; i++) {
    const ctl = h.v1[i].controllers;
    op.cgroupDirs.push(ctl.startsWith("name=") ? ctl.substring(5) : ctl);
    op.cgroupData.push(ctl.startsWith("name=") ? "none," + ctl : ctl);
    op.cgroupOwn.push(h.v1[i].own);
  }
  op.kind = op.cgroupDirs.length > 0 ? MountKind.CgroupV1 : MountKind.Cgroup2;
  return null;
}

// A "cgroup" mount without a cgroup namespace would show every hierarchy from its root (the
// host's limits, every other cgroup). As runc, bind the container's own cgroup of each
// hierarchy instead (dirs: the ones tsrun places init in; tsrun's own cgroup elsewhere).
// Init then waits for the parent, which makes those directories.
export function bindContainerCgroups(p: Plan, dirs: string[]): void {
  for (let i = 0; i < p.mounts.length; i++) {
    const op = p.mounts[i];
    if (op.kind != MountKind.CgroupV1) continue;
    for (let k = 0; k < op.cgroupDirs.length; k++) {
      const mount = "/sys/fs/cgroup/" + op.cgroupDirs[k];
      let src = mount + (op.cgroupOwn[k] == "/" ? "" : op.cgroupOwn[k]);
      for (let d = 0; d < dirs.length; d++) if (dirs[d].startsWith(mount + "/")) { src = dirs[d]; break; }
      op.cgroupSources.push(src);
    }
    p.waitForParent = true;
  }
}

// mount(2) flags -> mount_setattr attributes, for bind mounts.
function attrsOf(flags: u64): u64 {
  let a: u64 = 0;
  if (flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (flags & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

function compileMount(m: Mount, index: i32, bundle: string): Result<MountOp> {
  const op = new MountOp();
  op.dest = rootRelative(m.destination);
  op.fstype = m.type;
  op.data = m.data;
  op.propagation = m.propagation;
  op.recSet = m.recAttrSet;
  op.recClr = m.recAttrClr;
  const where = "mounts[" + index.toString() + "]";
  if (op.dest.length == 0 || op.dest == "." ) return err<MountOp>(fail("config.json", "", where + ".destination: must not be the container's root"));
  if ((m.flags & MS_BIND) != 0 || m.type == "bind") {
    op.kind = MountKind.Bind;
    op.source = absolute(bundle, m.source);
    op.recursive = (m.flags & MS_REC) != 0;
    op.attrSet = attrsOf(m.flags);
    op.attrClr = attrsOf(m.clearFlags);
    if ((m.flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) != 0) op.attrClr |= MOUNT_ATTR__ATIME;
    const st = memory.data(144);
    const rc = sys.fstatat(sys.AT_FDCWD, op.source, st, 0);
    if (rc < 0) return err<MountOp>(sysFail(where + ".source", op.source, rc));
    op.isFile = (load<u32>(st, 24) & sys.S_IFMT) != sys.S_IFDIR;
    if (m.idmap) {
      // runc's rule too: the kernel wants CAP_SYS_ADMIN over the source filesystem.
      if (sys.geteuid() != 0) return err<MountOp>(fail("config.json", "", where + ".options: idmapped mounts need root (they are not supported in rootless containers)"));
      op.idmap = true;
      op.idmapRecursive = m.idmapRecursive;
      op.idmapUid = m.uidMappings;
      op.idmapGid = m.gidMappings;
    }
    return ok<MountOp>(op);
  }
  op.source = m.source.length > 0 ? m.source : m.type;
  op.flags = m.flags & ~(MS_REC);
  op.copyUp = m.tmpcopyup;
  if (m.type == "cgroup" || m.type == "cgroup2") {
    if (m.type == "cgroup2") op.kind = MountKind.Cgroup2;
    else { const f = cgroupMount(op, m); if (f != null) return err<MountOp>(f); }
  }
  return ok<MountOp>(op);
}

// $HOME for the container user from the image's /etc/passwd (runc sets it when unset).
function homeOf(rootfs: string, uid: u32): string {
  const rootfd = sys.openat(sys.AT_FDCWD, rootfs, sys.O_PATH | sys.O_DIRECTORY | sys.O_CLOEXEC);
  if (rootfd < 0) return "/";
  const fd = openInRoot(<i32>rootfd, "etc/passwd", sys.O_RDONLY);
  closeFile(<i32>rootfd);
  if (fd < 0) return "/";
  const r = readFd(<i32>fd, "etc/passwd");
  closeFile(<i32>fd);
  if (!r.ok) return "/";
  const lines = String.UTF8.decode(r.value).split("\n");
  const want = uid.toString();
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i].split(":");
    if (f.length >= 6 && f[2] == want) return f[5];
  }
  return "/";
}

function envValue(env: string[], key: string): string | null {
  const prefix = key + "=";
  for (let i = 0; i < env.length; i++) if (env[i].startsWith(prefix)) return env[i].substring(prefix.length);
  return null;
}

// One mapping of exactly one id, the caller's own: what an unprivileged process may write.
function ownIdOnly(m: IdMapping[], id: u32): bool {
  return m.length == 1 && m[0].size == 1 && m[0].hostID == id;
}

// Whether path is the mount namespace tsrun runs in (same device and inode).
function isOwnMountNs(path: string): bool {
  const a = memory.data(144), b = memory.data(144);
  if (sys.fstatat(sys.AT_FDCWD, path, a, 0) < 0 || sys.fstatat(sys.AT_FDCWD, "/proc/self/ns/mnt", b, 0) < 0) return false;
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

export function compile(spec: Spec, opts: CreateOptions, lastCap: i32): Result<Plan> {
  const p = new Plan();
  const L = spec.linux;
  const proc = spec.process!;

  // Namespaces: new ones in the clone3 flags; existing ones joined by path (user first).
  for (let i = 0; i < L.namespaces.length; i++) {
    const ns = L.namespaces[i];
    if (ns.path.length == 0) { p.cloneFlags |= <u64><u32>ns.flag; continue; }
    if (ns.type == "mount" && isOwnMountNs(ns.path)) {
      // init would make "/" rslave and pivot_root in the runtime's (the host's) namespace
      return err<Plan>(fail("config.json", "", "linux.namespaces: the mount namespace " + ns.path + " is the runtime's own: leave \"mount\" out to share it"));
    }
    if (ns.type == "pid") p.pidJoin = ns.path;
    else if (ns.type == "user") p.joins.unshift(new NsJoin(ns.path, ns.flag, ns.type));
    else p.joins.push(new NsJoin(ns.path, ns.flag, ns.type));
  }
  p.newUserNs = (p.cloneFlags & CLONE_NEWUSER) != 0;
  p.inUserNs = p.newUserNs || (p.joins.length > 0 && p.joins[0].type == "user");
  if (p.newUserNs) {
    // Namespaces made after the maps are written belong to the container's root, not to an
    // unmapped host uid (mqueue and /proc ownership, as with runc): unshared by init.
    p.unshareFlags = p.cloneFlags & ~(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWTIME);
    p.cloneFlags &= ~p.unshareFlags;
  }
  if (p.newUserNs && sys.geteuid() != 0) {
    p.uidMapTool = !ownIdOnly(L.uidMappings, sys.geteuid());
    p.gidMapTool = !ownIdOnly(L.gidMappings, sys.getegid());
    if (!p.gidMapTool) {
      p.denySetgroups = true;
      p.setGroups = false;
      if (proc.user.additionalGids.length > 0) {
        return err<Plan>(fail("config.json", "", "process.user.additionalGids: setgroups is denied in a user namespace whose gid map is only the caller's gid (map more gids, through newgidmap)"));
      }
    }
  }
  p.createContainerHooks = spec.hooks.createContainer;
  p.startContainerHooks = spec.hooks.startContainer;
  // Init waits for the parent when the parent has work between clone and setup: uid/gid
  // maps, runtime-namespace hooks, or the state JSON the container-namespace hooks read.
  p.waitForParent = p.newUserNs || spec.hooks.prestart.length > 0 || spec.hooks.createRuntime.length > 0 ||
    p.createContainerHooks.length > 0 || p.startContainerHooks.length > 0;

  p.rootfs = absolute(opts.bundle, spec.rootPath);
  p.personality = L.personality;
  if (L.timeOffsets.length > 0) {
    // Offsets must be set before any process is in the namespace: the parent unshares it
    // (it then applies to the parent's children only) and writes them, init is born in it.
    p.timeOffsets = L.timeOffsets;
    p.cloneFlags &= ~CLONE_NEWTIME;
    p.unshareFlags &= ~CLONE_NEWTIME;
  }
  p.rootPropagation = L.rootfsPropagation;
  p.noPivot = opts.noPivot;

  let devIsBind = false, devIsFs = false;
  for (let i = 0; i < spec.mounts.length; i++) {
    const r = compileMount(spec.mounts[i], i, opts.bundle);
    if (!r.ok) return err<Plan>(r.err!);
    const op = r.value;
    if (op.dest == "dev" && op.kind == MountKind.Bind) devIsBind = true;
    if (op.dest == "dev" && op.kind == MountKind.Fs) devIsFs = true;
    if (op.kind == MountKind.Fs && op.fstype == "sysfs" && p.inUserNs && (p.cloneFlags & CLONE_NEWNET) == 0 && (p.unshareFlags & CLONE_NEWNET) == 0) {
      op.sysfsBind = true;
      op.attrSet = attrsOf(op.flags);
    }
    if (op.idmap && op.idmapUid.length == 0) {
      // "idmap" alone: the container's user namespace mappings (or the one it joins).
      const u = L.namespace("user");
      if (u != null && u.path.length > 0) op.idmapUsernsPath = u.path;
      op.idmapUid = L.uidMappings;
      op.idmapGid = L.gidMappings;
    }
    op.missing = missingOnFreshTmpfs(p.mounts, op.dest);
    p.mounts.push(op);
  }

  // /dev: the default nodes unless /dev comes from the host; then linux.devices.
  const inUserNs = p.inUserNs;
  p.ownMountNs = L.namespace("mount") != null;
  // Without a mount namespace: the image's /dev as it is, unless `mounts` puts a filesystem
  // of ours there (a tmpfs under the rootfs bind, gone at delete).
  p.devDir = !devIsBind && (p.ownMountNs || devIsFs);
  if (p.devDir) {
    for (let i = 0; i < DEFAULT_DEVICES.length; i++) {
      const path = "dev/" + DEFAULT_DEVICES[i];
      let listed = false;
      for (let k = 0; k < L.devices.length; k++) if (rootRelative(L.devices[k].path) == path) listed = true;
      if (!listed) p.devices.push(new DeviceOp(path, sys.S_IFCHR | 0o666, makedev(DEFAULT_MAJOR[i], DEFAULT_MINOR[i]), 0, 0, false));
    }
  }
  for (let i = 0; i < L.devices.length; i++) {
    const d = L.devices[i];
    const type = d.type == "b" ? sys.S_IFBLK : d.type == "p" ? sys.S_IFIFO : sys.S_IFCHR;
    const mode = d.hasFileMode ? d.fileMode & 0o7777 : 0o666;
    p.devices.push(new DeviceOp(rootRelative(d.path), type | mode, makedev(<u64>d.major, <u64>d.minor),
      d.uid, d.gid, d.hasUid || d.hasGid));
  }
  // mknod is not allowed in a user namespace: bind the host's node instead (as runc does).
  if (inUserNs) for (let i = 0; i < p.devices.length; i++) p.devices[i].bind = true;

  for (let i = 0; i < L.sysctlKeys.length; i++) {
    const key = L.sysctlKeys[i];
    p.sysctlPaths.push("/proc/sys/" + (key.includes("/") ? key : key.replaceAll(".", "/")));
    p.sysctlValues.push(L.sysctlValues[i]);
  }
  p.maskedPaths = L.maskedPaths;
  p.readonlyPaths = L.readonlyPaths;
  p.rootReadonly = spec.rootReadonly;
  p.setHostname = spec.hostname.length > 0;
  p.hostname = spec.hostname;
  p.setDomainname = spec.domainname.length > 0;
  p.domainname = spec.domainname;

  // SELinux: the mount label on the filesystems made for the container (when enabled).
  if (L.mountLabel.length > 0 && selinuxEnabled()) {
    for (let i = 0; i < p.mounts.length; i++) {
      const op = p.mounts[i];
      if (op.kind != MountKind.Fs || (op.fstype != "tmpfs" && op.fstype != "devpts" && op.fstype != "mqueue")) continue;
      op.data = (op.data.length > 0 ? op.data + "," : "") + "context=\"" + L.mountLabel + "\"";
    }
  }
  if (FEATURE_SECCOMP && L.seccomp != null) {
    const s = L.seccomp!;
    const prog = compileFilter(s);
    const n = prog.byteLength >> 3;
    if (n > BPF_MAXINSNS) return err<Plan>(fail("config.json", "", "linux.seccomp: the filter needs " + n.toString() + " BPF instructions, more than the kernel's " + BPF_MAXINSNS.toString()));
    p.seccompProg = prog;
    p.seccompFlags = s.flags;
    // TSYNC and a listener together need TSYNC_ESRCH (init is single-threaded anyway).
    if ((s.flags & (FLAG_TSYNC | FLAG_NEW_LISTENER)) == (FLAG_TSYNC | FLAG_NEW_LISTENER)) p.seccompFlags |= FLAG_TSYNC_ESRCH;
  }
  compileProcess(p, proc, lastCap, opts.listenFds, opts.preserveFds);
  return ok<Plan>(p);
}

// The process part of a plan (container init, or a process `exec` adds): user, caps,
// rlimits, cwd, environment and the executable's lookup candidates. p.rootfs must be set.
export function compileProcess(p: Plan, proc: Process, lastCap: i32, listenFds: i32, preserveFds: i32): void {
  if (proc.hasOomScoreAdj) p.oomScoreAdj = proc.oomScoreAdj.toString();
  for (let i = 0; i < proc.rlimits.length; i++) {
    const r = proc.rlimits[i];
    p.rlimits.push(new Rlim(r.resource, r.soft, r.hard));
  }
  p.uid = proc.user.uid;
  p.gid = proc.user.gid;
  p.groups = proc.user.additionalGids;
  if (proc.user.umask >= 0) p.umask = <u32>proc.user.umask;

  // No process.capabilities means no capabilities at all (as runc: an empty set, not root's).
  const caps = proc.caps;
  {
    p.hasCaps = true;
    for (let c = 0; c <= lastCap; c++) if ((caps.bounding & ((<u64>1) << c)) == 0) p.capDrop.push(c);
    p.capEffective = caps.effective;
    p.capPermitted = caps.permitted;
    p.capInheritable = caps.inheritable;
    // The kernel only lets a capability into the ambient set when it is permitted and
    // inheritable; runc skips the others silently, and so do we.
    const ambient = caps.ambient & caps.inheritable & caps.permitted;
    for (let c = 0; c <= lastCap; c++) if ((ambient & ((<u64>1) << c)) != 0) p.capAmbient.push(c);
  }
  p.noNewPrivs = proc.noNewPrivileges;
  planLsm(p, proc.apparmorProfile, proc.selinuxLabel);
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before capabilities go.
  p.seccompEarly = !proc.noNewPrivileges;
  p.ioPriority = proc.ioPriority;
  p.scheduler = proc.scheduler;
  p.cpusInitial = proc.cpusInitial;
  p.cpusFinal = proc.cpusFinal;
  p.cwd = proc.cwd;

  // The environment: config env, runc's HOME default, and socket activation fds.
  const env = proc.env.slice(0);
  if (envValue(env, "HOME") == null) env.push("HOME=" + homeOf(p.rootfs, proc.user.uid));
  if (listenFds > 0) {
    env.push("LISTEN_FDS=" + listenFds.toString());
    env.push("LISTEN_PID=1");
  }
  p.preserveFds = listenFds + preserveFds;

  // Executable lookup candidates, tried by init inside the container (PATH from config env).
  const arg0 = proc.args[0];
  p.exeName = arg0;
  if (arg0.includes("/")) {
    p.exeCandidates.push(arg0.startsWith("/") ? arg0 : (proc.cwd == "/" ? "/" : proc.cwd + "/") + arg0);
  } else {
    const pathVar = envValue(env, "PATH");
    const dirs = (pathVar != null ? pathVar : DEFAULT_PATH).split(":");
    for (let i = 0; i < dirs.length; i++) {
      const d = dirs[i].length == 0 ? "." : dirs[i];
      p.exeCandidates.push((d.endsWith("/") ? d : d + "/") + arg0);
    }
  }
  p.argv = sys.cstrArray(proc.args);
  p.envp = sys.cstrArray(env);
}
