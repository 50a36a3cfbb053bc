// Adding a process to a running container (`exec`): join init's namespaces through its
// pidfd, its cgroups, then the process setup container init uses, then exec.
import { forkProcess, unblockSignals } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { EINTR } from "../errors/errno";
import { readFileAt, writeExisting, writeString } from "../sys/io";
import { Plan } from "../plan/plan";
import { enterCwd, setupProcess, findExecutable, closeFds } from "./init";
import { openLsmAttrs, applyLsmAttrs } from "./lsm";
import { loadFilter } from "../seccomp/load";
import { Agent, handOver } from "../seccomp/agent";
import { AF_UNIX, SOCK_SEQPACKET, SOCK_CLOEXEC, SIGCHLD, SIGKILL, PR_SET_DUMPABLE, CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID,
  CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME } from "./consts";

const NS_NAMES: string[] = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"];
const NS_FLAGS: u64[] = [CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
  CLONE_NEWCGROUP, CLONE_NEWTIME];

// The identity of a namespace of a process ("mnt:[4026531840]"), or "".
export function nsLink(pid: string, name: string): string {
  const buf = memory.data(128);
  const n = sys.readlinkat(sys.AT_FDCWD, "/proc/" + pid + "/ns/" + name, buf, 128);
  return n > 0 ? String.UTF8.decodeUnsafe(buf, <usize>n) : "";
}

// The namespaces of `pid` that differ from ours (joining one's own user namespace is EINVAL).
export function foreignNamespaces(pid: i32): u64 {
  let flags: u64 = 0;
  const p = pid.toString();
  for (let i = 0; i < NS_NAMES.length; i++) {
    const theirs = nsLink(p, NS_NAMES[i]);
    if (theirs.length > 0 && theirs != nsLink("self", NS_NAMES[i])) flags |= NS_FLAGS[i];
  }
  return flags;
}

// cgroup.procs files of init's cgroups that are not ours (v1 hierarchies and v2).
export function foreignCgroups(pid: i32): string[] {
  const out: string[] = [];
  const theirPath = "/proc/" + pid.toString() + "/cgroup";
  const theirs = readFileAt(sys.AT_FDCWD, theirPath, theirPath, true);
  const ours = readFileAt(sys.AT_FDCWD, "/proc/self/cgroup", "/proc/self/cgroup", true);
  if (!theirs.ok || !ours.ok) return out;
  const mine = String.UTF8.decode(ours.value).split("\n");
  const lines = String.UTF8.decode(theirs.value).split("\n");
  let v1 = false;
  for (let i = 0; i < lines.length; i++) if (lines[i].indexOf(":") > 0 && !lines[i].includes("::")) v1 = true;
  // cgroup2 mounted at /sys/fs/cgroup (pure v2, or v1 hidden in a mount namespace).
  const sfs = memory.data(120);
  if (v1 && sys.statfs("/sys/fs/cgroup", sfs) == 0 && load<i64>(sfs) == 0x63677270) v1 = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length == 0 || mine.includes(l)) continue;
    const a = l.indexOf(":"), b = l.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const ctl = l.substring(a + 1, b), path = l.substring(b + 1);
    if (!v1 && ctl.length > 0) continue;
    let mount: string;
    if (ctl.length == 0) mount = v1 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
    else mount = "/sys/fs/cgroup/" + (ctl.startsWith("name=") ? ctl.substring(5) : ctl);
    out.push(mount + (path == "/" ? "" : path) + "/cgroup.procs");
  }
  return out;
}

export class Entered {
  constructor(public pid: i32, public syncFd: i32) {}
}

// Forks the process that will enter the container. The parent side returns once the child
// has exec'd (its sync socket closed) or failed (its message).
export function enterContainer(p: Plan, pidfd: i32, nsFlags: u64, cgroupProcs: string[], agent: Agent | null): Result<i32> {
  const fds = memory.data(8);
  let rc = sys.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
  if (rc < 0) return err<i32>(sysFail("socketpair", "", rc));
  const parentEnd = load<i32>(fds), childEnd = load<i32>(fds, 4);
  // PID and time namespaces apply to children: the parent joins them before the fork.
  let forChildren = nsFlags & (CLONE_NEWPID | CLONE_NEWTIME);
  // Without CAP_SYS_ADMIN on the host (rootless) those can only be joined from inside the
  // container's user namespace: the parent joins it too, made non-dumpable first so no
  // container process can ptrace it.
  if (forChildren != 0 && (nsFlags & CLONE_NEWUSER) != 0 && sys.geteuid() != 0) {
    sys.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    forChildren |= CLONE_NEWUSER;
  }
  if (forChildren != 0) {
    rc = sys.setns(pidfd, <i32>forChildren);
    if (rc < 0) { sys.close(parentEnd); sys.close(childEnd); return err<i32>(sysFail("join pid/time namespace of", "container init", rc)); }
  }
  rc = forkProcess(0);
  if (rc == 0) {
    sys.close(parentEnd);
    childSide(p, pidfd, nsFlags & ~forChildren, childEnd);
  }
  sys.close(childEnd);
  if (rc < 0) { sys.close(parentEnd); return err<i32>(sysFail("clone3", "exec process", rc)); }
  const pid = <i32>rc;
  let f: Failure | null = null;
  for (let i = 0; i < cgroupProcs.length && f == null; i++) f = writeExisting(cgroupProcs[i], pid.toString());
  if (f == null) {
    const go = memory.data(8);
    store<u8>(go, 1);
    const w = sys.write(parentEnd, go, 1);
    if (w < 0) f = sysFail("signal", "exec process", w);
  }
  if (f == null) {
    const buf = new ArrayBuffer(4096);
    const bp = changetype<usize>(buf);
    while (true) {
      let n: i64;
      do { n = sys.read(parentEnd, bp, 4096); } while (n == -EINTR);
      if (n > 1 && load<u8>(bp) == 2 && agent != null) {
        // The seccomp listener (seccomp/load.ts): to the agent, then the child goes on.
        f = handOver(agent!, pid, String.UTF8.decodeUnsafe(bp + 1, <usize>n - 1), parentEnd);
        if (f == null) continue;
      } else if (n > 0) f = new Failure(String.UTF8.decodeUnsafe(bp, <usize>n), "", 0);
      else if (n < 0) f = sysFail("read from", "exec process", n);
      break;
    }
  }
  sys.close(parentEnd);
  if (f != null) {
    sys.kill(pid, SIGKILL);
    const st = memory.data(8);
    while (sys.wait4(pid, st, 0) == -EINTR) {}
    return err<i32>(f);
  }
  return ok<i32>(pid);
}

function childSide(p: Plan, pidfd: i32, nsFlags: u64, sync: i32): void {
  p.syncFd = sync;
  const b = memory.data(8);
  if (sys.read(sync, b, 1) != 1) sys.exit(1);
  // The LSM attribute files on the host's procfs, before entering the container.
  let f: Failure | null = openLsmAttrs(p);
  if (f == null && nsFlags != 0) {
    const rc = sys.setns(pidfd, <i32>nsFlags);
    if (rc < 0) f = sysFail("join the namespaces of", "container init", rc);
  }
  sys.close(pidfd);
  if (f == null && p.enterRootFd >= 0) {
    let rc = sys.fchdir(p.enterRootFd);
    if (rc == 0) rc = sys.chroot(".");
    if (rc < 0) f = sysFail("chroot into the root of", "container init", rc);
  }
  if (p.enterRootFd >= 0) sys.close(p.enterRootFd);
  if (f == null) f = enterCwd(p);
  if (f == null) f = applyLsmAttrs(p);
  if (f == null) f = setupProcess(p);
  let exe: string | null = null;
  if (f == null) {
    exe = findExecutable(p);
    if (exe == null) f = fail("exec", "\"" + p.exeName + "\"", p.exeName.includes("/") ? "no such file or directory in the container" : "executable file not found in $PATH");
  }
  if (f != null) { writeString(sync, f.message()); sys.exit(1); }
  closeFds(p);
  if (!p.seccompEarly) {
    f = loadFilter(p);
    if (f != null) { writeString(sync, f.message()); sys.exit(1); }
  }
  if (p.cpusFinal != null) sys.sys6Raw(203, 0, 128, sys.host(p.cpusFinal!.dataStart), 0, 0, 0);
  unblockSignals();
  const rc = sys.execve(sys.cstr(exe!), p.argv, p.envp);
  writeString(sync, sysFail("exec", exe!, rc).message());
  sys.exit(127);
}
