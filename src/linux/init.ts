// Container init: runs in the child of clone3 and executes the plan, nothing else.
// Reports one message to the parent over the sync socket: "\0" when ready (blocked on
// exec.fifo), or "\1<error>" and exit 1. Then waits for `start` and execs the user process.
import { unblockSignals } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { ENOENT, EINTR, EEXIST, ENOSYS, EPERM } from "../errors/errno";
import { setgroupsDenied } from "./userns";
import { writeString, writeExisting } from "../sys/io";
import { Plan } from "../plan/plan";
import { doMounts, maskPaths, readonlyPaths, setAttr } from "./mounts";
import { makeDevices } from "./devices";
import { doneWith } from "./inroot";
import { bindRootInPlace } from "./hostmounts";
import { MS_BIND, MS_REC, MS_MOVE, MS_SLAVE, MOUNT_ATTR_RDONLY } from "../spec/mountopts";
import { MNT_DETACH, PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_KEEPCAPS, PR_CAP_AMBIENT,
  PR_CAP_AMBIENT_RAISE, PR_SET_NO_NEW_PRIVS, SIGKILL, CLOSE_RANGE_CLOEXEC } from "./consts";
import { mkdirAll } from "../state/store";
import { runHooks } from "../hooks/run";
import { setupConsole } from "./console";
import { openLsmAttrs, applyLsmAttrs } from "./lsm";
import { FEATURE_HOOKS, FEATURE_TERMINAL } from "../features";
import { loadFilter } from "../seccomp/load";

function joinNamespaces(p: Plan): Failure | null {
  for (let i = 0; i < p.joins.length; i++) {
    const j = p.joins[i];
    const fd = sys.openat(sys.AT_FDCWD, j.path, sys.O_RDONLY | sys.O_CLOEXEC);
    if (fd < 0) return sysFail("open " + j.type + " namespace", j.path, fd);
    const rc = sys.setns(<i32>fd, j.flag);
    sys.close(<i32>fd);
    if (rc < 0) return sysFail("join " + j.type + " namespace", j.path, rc);
  }
  return null;
}

// Nothing done in the container's mount namespace propagates to the host: rslave, then
// the rootfs bound onto itself so it is a mount point pivot_root accepts.
function prepareRoot(p: Plan): Failure | null {
  let rc = sys.mount(null, "/", null, MS_SLAVE | MS_REC, null);
  if (rc < 0) return sysFail("set propagation of", "/", rc);
  rc = sys.mount(p.rootfs, p.rootfs, null, MS_BIND | MS_REC, null);
  if (rc < 0) return sysFail("bind rootfs", p.rootfs, rc);
  return null;
}

function enterRoot(p: Plan, rootfd: i32): Failure | null {
  if (!p.ownMountNs) {
    // The runtime's mount namespace is shared: no pivot_root (it would move the host's
    // root), a chroot into root.path, as runc and crun do.
    let rc = sys.fchdir(rootfd);
    if (rc == 0) rc = sys.chroot(".");
    if (rc < 0) return sysFail("chroot", p.rootfs, rc);
  } else if (p.noPivot) {
    let rc = sys.fchdir(rootfd);
    if (rc == 0) rc = sys.mount(p.rootfs, "/", null, MS_MOVE, null);
    if (rc < 0) return sysFail("move rootfs to /", p.rootfs, rc);
    rc = sys.chroot(".");
    if (rc < 0) return sysFail("chroot", p.rootfs, rc);
  } else {
    // pivot_root(".", "."): the old root ends up stacked on the new one; detach it.
    let rc = sys.fchdir(rootfd);
    if (rc < 0) return sysFail("chdir", p.rootfs, rc);
    rc = sys.pivotRoot(".", ".");
    if (rc < 0) return sysFail("pivot_root", p.rootfs, rc);
    rc = sys.umount2(".", MNT_DETACH);
    if (rc < 0) return sysFail("detach old root", "/", rc);
  }
  let rc = sys.chdir("/");
  if (rc < 0) return sysFail("chdir", "/", rc);
  if (p.rootPropagation != 0) {
    rc = sys.mount(null, "/", null, p.rootPropagation, null);
    if (rc < 0) return sysFail("set rootfsPropagation of", "/", rc);
  }
  return null;
}

function writeSysctls(p: Plan): Failure | null {
  for (let i = 0; i < p.sysctlPaths.length; i++) {
    const f = writeExisting(p.sysctlPaths[i], p.sysctlValues[i]);
    if (f != null) return f.within("sysctl");
  }
  return null;
}

function finishRoot(p: Plan): Failure | null {
  let f = p.ownMountNs ? writeSysctls(p) : null;
  if (f != null) return f;
  f = maskPaths(p.maskedPaths);
  if (f != null) return f;
  f = readonlyPaths(p.readonlyPaths);
  if (f != null) return f;
  if (p.rootReadonly) {
    const rc = setAttr(sys.AT_FDCWD, "/", MOUNT_ATTR_RDONLY, 0, 0, false);
    if (rc < 0) return sysFail("make rootfs read-only", "/", rc);
  }
  if (p.setHostname) {
    const rc = sys.sethostname(p.hostname);
    if (rc < 0) return sysFail("sethostname", p.hostname, rc);
  }
  if (p.setDomainname) {
    const rc = sys.setdomainname(p.domainname);
    if (rc < 0) return sysFail("setdomainname", p.domainname, rc);
  }
  return null;
}

// cwd must exist inside the container (created if missing, as runc does) and be reachable
// from its root: a cwd like /proc/self/fd/N pointing at a host directory is refused.
// atRoot: the caller has just chdir()ed to "/" of the container (init, after enterRoot), so a
// cwd of "/" needs neither the chdir nor the check.
export function enterCwd(p: Plan, atRoot: bool = false): Failure | null {
  if (atRoot && p.cwd == "/") return null;
  let rc = sys.chdir(p.cwd);
  if (rc == -ENOENT && p.createCwd) {
    const f = mkdirAll(p.cwd, 0o755);
    if (f != null) return f.within("create cwd");
    rc = sys.chdir(p.cwd);
  }
  if (rc < 0) return sysFail("chdir to cwd", p.cwd, rc);
  const buf = memory.data(4096);
  const n = sys.getcwd(buf, 4096);
  if (n < 0 || load<u8>(buf) != 0x2f) return fail("chdir to cwd", p.cwd, "resolves outside the container");
  return null;
}

function setAffinity(mask: Uint64Array): i64 {
  return sys.sys6Raw(203 /* sched_setaffinity */, 0, 128, sys.host(mask.dataStart), 0, 0, 0);
}

// Scheduling, I/O priority and CPU affinity of the process (before dropping privileges).
function setupScheduling(p: Plan): Failure | null {
  if (p.cpusInitial != null) {
    const rc = setAffinity(p.cpusInitial!);
    if (rc < 0) return sysFail("sched_setaffinity", "process.execCPUAffinity.initial", rc);
  }
  if (p.ioPriority >= 0) {
    const rc = sys.sys6Raw(251 /* ioprio_set */, 1 /* IOPRIO_WHO_PROCESS */, 0, p.ioPriority, 0, 0, 0);
    if (rc < 0) return sysFail("ioprio_set", "process.ioPriority", rc);
  }
  if (p.scheduler != null) {
    const s = p.scheduler!;
    const a = memory.data(56);
    memory.fill(a, 0, 56);
    store<u32>(a, 56);
    store<u32>(a, s.policy, 4);
    store<u64>(a, s.flags, 8);
    store<i32>(a, s.nice, 16);
    store<u32>(a, s.priority, 20);
    store<u64>(a, s.runtime, 24);
    store<u64>(a, s.deadline, 32);
    store<u64>(a, s.period, 40);
    const rc = sys.sys6Raw(314 /* sched_setattr */, 0, sys.host(a), 0, 0, 0, 0);
    if (rc < 0) return sysFail("sched_setattr", "process.scheduler", rc);
  }
  return null;
}

export function setupProcess(p: Plan): Failure | null {
  let sf = setupScheduling(p);
  if (sf != null) return sf;
  const lim = memory.data(16);
  for (let i = 0; i < p.rlimits.length; i++) {
    const r = p.rlimits[i];
    store<u64>(lim, r.soft);
    store<u64>(lim, r.hard, 8);
    const rc = sys.prlimit(0, r.resource, lim, 0);
    if (rc < 0) return sysFail("setrlimit", r.resource.toString(), rc);
  }
  sys.setsid();
  if (FEATURE_TERMINAL && p.consoleFd >= 0) {
    const cf = setupConsole(p.consoleFd, p.consoleRows, p.consoleCols);
    if (cf != null) return cf;
  }
  if (p.seccompEarly) {
    // No no_new_privs: the filter needs CAP_SYS_ADMIN, so it goes in before capabilities
    // and ids change (as runc); what follows runs under it.
    sf = loadFilter(p);
    if (sf != null) return sf;
  }
  if (p.hasCaps) {
    for (let i = 0; i < p.capDrop.length; i++) {
      const rc = sys.prctl(PR_CAPBSET_DROP, p.capDrop[i], 0, 0, 0);
      if (rc < 0) return sysFail("drop capability", p.capDrop[i].toString(), rc);
    }
  }
  if (p.setGroups) {
    const g = memory.data(4 * 256);
    const n = min(p.groups.length, 256);
    for (let i = 0; i < n; i++) store<u32>(g + <usize>i * 4, p.groups[i]);
    const rc = sys.setgroups(n, g);
    if (rc < 0 && !(rc == -EPERM && n == 0 && setgroupsDenied())) return sysFail("setgroups", "process.user.additionalGids", rc);
  }
  let rc = sys.setresgid(p.gid, p.gid, p.gid);
  if (rc < 0) return sysFail("setgid", p.gid.toString(), rc);
  if (p.hasCaps && p.uid != 0) sys.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  rc = sys.setresuid(p.uid, p.uid, p.uid);
  if (rc < 0) return sysFail("setuid", p.uid.toString(), rc);
  if (p.hasCaps) {
    const hdr = memory.data(8);
    const data = memory.data(24);
    store<u32>(hdr, 0x20080522); // _LINUX_CAPABILITY_VERSION_3
    store<u32>(hdr, 0, 4);
    store<u32>(data, <u32>p.capEffective);
    store<u32>(data, <u32>p.capPermitted, 4);
    store<u32>(data, <u32>p.capInheritable, 8);
    store<u32>(data, <u32>(p.capEffective >> 32), 12);
    store<u32>(data, <u32>(p.capPermitted >> 32), 16);
    store<u32>(data, <u32>(p.capInheritable >> 32), 20);
    rc = sys.capset(hdr, data);
    if (rc < 0) return sysFail("capset", "process.capabilities", rc);
    for (let i = 0; i < p.capAmbient.length; i++) {
      rc = sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, p.capAmbient[i], 0, 0);
      if (rc < 0) return sysFail("raise ambient capability", p.capAmbient[i].toString(), rc);
    }
  }
  if (p.noNewPrivs) {
    rc = sys.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (rc < 0) return sysFail("prctl", "no_new_privs", rc);
  }
  sys.umask(p.umask);
  return null;
}

// The first candidate that is an executable regular file; like runc, checked before
// `create` returns so a missing binary fails create, not start.
export function findExecutable(p: Plan): string | null {
  const st = memory.data(144);
  for (let i = 0; i < p.exeCandidates.length; i++) {
    const c = p.exeCandidates[i];
    if (sys.fstatat(sys.AT_FDCWD, c, st, 0) != 0) continue;
    const mode = load<u32>(st, 24);
    if ((mode & sys.S_IFMT) == sys.S_IFREG && (mode & 0o111) != 0) return c;
  }
  return null;
}

export function closeFds(p: Plan): void {
  // Preserved fds must survive exec; every other fd >= 3 is marked close-on-exec.
  for (let fd = 3; fd < 3 + p.preserveFds; fd++) {
    if (fd != p.syncFd && fd != p.fifoFd && fd != p.listenerFd) sys.fcntl(fd, 2 /* F_SETFD */, 0);
  }
  sys.closeRange(<u32>(3 + p.preserveFds), 0xffffffff, CLOSE_RANGE_CLOEXEC);
}

function setup(p: Plan): Result<string> {
  let f = joinNamespaces(p);
  if (f != null) return err<string>(f);
  if (p.oomScoreAdj.length > 0) {
    f = writeExisting("/proc/self/oom_score_adj", p.oomScoreAdj);
    if (f != null) return err<string>(f);
  }
  if (p.keyring) {
    // A fresh session keyring per container (ENOSYS: kernel without keys; ignored as runc does).
    const rc = sys.sys6Raw(250 /* keyctl */, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, sys.cstr(p.keyringName), 0, 0, 0, 0);
    if (rc < 0 && rc != -ENOSYS) return err<string>(sysFail("join session keyring", p.keyringName, rc));
  }
  f = openLsmAttrs(p);
  if (f != null) return err<string>(f);
  sys.umask(0);
  // Without a mount namespace of its own the host's mounts are left as they are, and
  // sysctls go through the host's /proc: the chroot may have none.
  f = p.ownMountNs ? prepareRoot(p) : writeSysctls(p);
  // Sharing it, `mounts` go under one bind of the rootfs, which delete removes whole.
  if (f == null && p.hostMounts) f = bindRootInPlace(p.rootfs);
  if (f != null) return err<string>(f);
  const rootfd = sys.openat(sys.AT_FDCWD, p.rootfs, sys.O_PATH | sys.O_DIRECTORY | sys.O_CLOEXEC);
  if (rootfd < 0) return err<string>(sysFail("open rootfs", p.rootfs, rootfd));
  f = doMounts(p, <i32>rootfd);
  if (f == null) f = makeDevices(p, <i32>rootfd);
  if (FEATURE_HOOKS && f == null) f = runHooks("createContainer", p.createContainerHooks, p.hookStates[0]);
  if (f == null) f = enterRoot(p, <i32>rootfd);
  doneWith(<i32>rootfd);
  if (f != null) return err<string>(f);
  f = finishRoot(p);
  if (f != null) return err<string>(f);
  f = enterCwd(p, true);
  if (f != null) return err<string>(f);
  f = applyLsmAttrs(p);
  if (f != null) return err<string>(f);
  f = setupProcess(p);
  if (f != null) return err<string>(f);
  const exe = findExecutable(p);
  if (exe == null) {
    if (p.exeName.includes("/")) return err<string>(fail("exec", "\"" + p.exeName + "\"", "no such file or directory in the container"));
    return err<string>(fail("exec", "\"" + p.exeName + "\"", "executable file not found in $PATH"));
  }
  closeFds(p);
  if (p.personality >= 0) {
    const rc = sys.sys6Raw(135 /* personality */, p.personality, 0, 0, 0, 0, 0);
    if (rc < 0) return err<string>(sysFail("personality", "linux.personality", rc));
  }
  // With no_new_privs, as late as possible: only the ready message, the wait for `start`
  // and execve (plus startContainer hooks) run under the filter.
  if (!p.seccompEarly) {
    f = loadFilter(p);
    if (f != null) return err<string>(f);
  }
  return ok<string>(exe);
}

// Never returns.
export function containerInit(p: Plan): void {
  // Die with the parent until it has recorded this process in state.json.
  sys.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The parent's lock on the state dir must not live on in init (flock follows the fd).
  for (let i = 0; i < p.closeFds.length; i++) sys.close(p.closeFds[i]);
  if (p.waitForParent) {
    const buf = new ArrayBuffer(65536);
    const b = changetype<usize>(buf);
    const n = sys.read(p.syncFd, b, 65536);
    if (n < 1) sys.exit(1);
    if (n > 1) {
      const states = String.UTF8.decodeUnsafe(b + 1, <usize>n - 1).split("\x00");
      if (states.length == 2) p.hookStates = states;
    }
  }
  if (p.lateCgroupNs) {
    const rc = sys.unshare(0x02000000);  // CLONE_NEWCGROUP
    if (rc < 0) { writeString(p.syncFd, "\x01" + sysFail("unshare", "cgroup namespace", rc).message()); sys.exit(1); }
  }
  if (p.newUserNs) {
    // The maps are written: become the namespace's root, then make the other namespaces.
    sys.setresuid(0, 0, 0);
    if (p.unshareFlags != 0) {
      const rc = sys.unshare(<i32>p.unshareFlags);
      if (rc < 0) { writeString(p.syncFd, "\x01" + sysFail("unshare", "namespaces", rc).message()); sys.exit(1); }
    }
    sys.setresgid(0, 0, 0);
  }
  const r = setup(p);
  if (!r.ok) {
    writeString(p.syncFd, "\x01" + r.err!.message());
    sys.exit(1);
  }
  const exe = r.value;
  sys.prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  writeString(p.syncFd, "\x00");
  // Block until `start` writes to exec.fifo.
  const b = memory.data(8);
  while (true) {
    const n = sys.read(p.fifoFd, b, 1);
    if (n == 1) break;
    if (n != -EINTR) sys.exit(1);
  }
  if (FEATURE_HOOKS && p.startContainerHooks.length > 0) {
    const hf = runHooks("startContainer", p.startContainerHooks, p.hookStates[1]);
    if (hf != null) startFailed(p, hf.message());
  }
  if (p.cpusFinal != null) setAffinity(p.cpusFinal!);
  unblockSignals();
  const rc = sys.execve(sys.cstr(exe), p.argv, p.envp);
  startFailed(p, sysFail("exec", exe, rc).message());
}

// After `start`: the error goes to start.fifo when `start` waits on it, else to stderr.
function startFailed(p: Plan, msg: string): void {
  if (p.startFd >= 0) writeString(p.startFd, msg);
  else writeString(2, "tsrun: " + msg + "\n");
  sys.exit(127);
}
