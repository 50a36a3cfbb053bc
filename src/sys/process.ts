// Process primitives shared by container init, exec, hooks and `ps`.
import * as sys from "./syscall";

// clone3 with `flags` (new namespaces or none), SIGCHLD on exit: a fork. 0 in the child.
// cgroupFd >= 0: born in that cgroup v2 directory (CLONE_INTO_CGROUP).
export function forkProcess(flags: u64, cgroupFd: i32 = -1): i64 {
  const args = memory.data(88);
  memory.fill(args, 0, 88);
  store<u64>(args, cgroupFd >= 0 ? flags | 0x200000000 /* CLONE_INTO_CGROUP */ : flags);
  // exit_signal; with CLONE_PARENT (0x8000) it must be 0: the caller's own one is used.
  store<u64>(args, (flags & 0x8000) != 0 ? 0 : 17 /* SIGCHLD */, 32);
  if (cgroupFd >= 0) store<u64>(args, <u64>cgroupFd, 80);
  return sys.clone3(args, 88);
}

// Right before execve: the signals tsrun blocked must not stay blocked in the new program.
export function unblockSignals(): void {
  const empty = memory.data(8);
  store<u64>(empty, 0);
  sys.sigprocmask(2 /* SIG_SETMASK */, empty, 0);
}

// A wait status as a shell reports it: the exit code, or 128 + the signal.
export function shellStatus(s: i32): i32 {
  const sig = s & 0x7f;
  return sig == 0 ? (s >> 8) & 0xff : 128 + sig;
}
