// The parent side of container creation: one clone3 with every new namespace, uid/gid
// maps for a new user namespace, and the wait for init's ready/error message.
import { forkProcess } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { EINTR } from "../errors/errno";
import { writeExisting, writeString } from "../sys/io";
import { Plan } from "../plan/plan";
import { IdMapping } from "../spec/model";
import { containerInit } from "./init";
import { writeIdMaps, prepareIdmappedMounts, closeIdmappedMounts } from "./idmap";
import { AF_UNIX, SOCK_SEQPACKET, SOCK_CLOEXEC, SIGCHLD, SIGKILL, CLONE_NEWPID, CLONE_NEWTIME } from "./consts";

export class Child {
  constructor(public pid: i32, public syncFd: i32) {}
}

// clone3 into init. Returns the child (parent side) or a Failure; the child never returns.
export function spawnInit(p: Plan): Result<Child> {
  const fds = memory.data(8);
  let rc = sys.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
  if (rc < 0) return err<Child>(sysFail("socketpair", "", rc));
  const parentEnd = load<i32>(fds), childEnd = load<i32>(fds, 4);
  p.syncFd = childEnd;

  if (p.pidJoin.length > 0) {
    // Joining a PID namespace only affects children: do it here, so init is born in it.
    const fd = sys.openat(sys.AT_FDCWD, p.pidJoin, sys.O_RDONLY | sys.O_CLOEXEC);
    if (fd < 0) { sys.close(parentEnd); sys.close(childEnd); return err<Child>(sysFail("open pid namespace", p.pidJoin, fd)); }
    rc = sys.setns(<i32>fd, <i32>CLONE_NEWPID);
    sys.close(<i32>fd);
    if (rc < 0) { sys.close(parentEnd); sys.close(childEnd); return err<Child>(sysFail("join pid namespace", p.pidJoin, rc)); }
  }

  if (p.timeOffsets.length > 0) {
    let f: Failure | null = null;
    rc = sys.unshare(<i32>CLONE_NEWTIME);
    if (rc < 0) f = sysFail("unshare", "time namespace", rc);
    else f = writeExisting("/proc/self/timens_offsets", p.timeOffsets);
    if (f != null) { sys.close(parentEnd); sys.close(childEnd); return err<Child>(f.within("linux.timeOffsets")); }
  }
  const mf = prepareIdmappedMounts(p);
  if (mf != null) { sys.close(parentEnd); sys.close(childEnd); return err<Child>(mf); }
  rc = forkProcess(p.cloneFlags, p.cgroupFd);
  if (rc == 0) {
    sys.close(parentEnd);
    containerInit(p);
    sys.exit(1);
  }
  closeIdmappedMounts(p);
  sys.close(childEnd);
  if (rc < 0) { sys.close(parentEnd); return err<Child>(sysFail("clone3", "container init", rc)); }
  return ok<Child>(new Child(<i32>rc, parentEnd));
}

// Writes uid_map/gid_map of a new user namespace, then lets init continue.
export function releaseInit(c: Child, p: Plan, uidMaps: IdMapping[], gidMaps: IdMapping[]): Failure | null {
  if (!p.waitForParent) return null;
  if (p.newUserNs) {
    const f = writeIdMaps(c.pid, p, uidMaps, gidMaps);
    if (f != null) return f;
  }
  // "go", carrying the state documents init's own hooks read on stdin.
  const rc = writeString(c.syncFd, "\x01" + p.hookStates[0] + "\x00" + p.hookStates[1]);
  if (rc < 0) return sysFail("signal", "container init", rc);
  return null;
}

// Waits for init's one message: null when init is ready, else its Failure.
export function awaitInit(c: Child): Failure | null {
  const buf = new ArrayBuffer(4096);
  const p = changetype<usize>(buf);
  let n: i64;
  do { n = sys.read(c.syncFd, p, 4096); } while (n == -EINTR);
  sys.close(c.syncFd);
  if (n < 0) return sysFail("read from", "container init", n);
  if (n == 0) return fail("container init", "", "exited before it was ready");
  if (load<u8>(p) == 0) return null;
  return new Failure(String.UTF8.decodeUnsafe(p + 1, <usize>n - 1), "", 0);
}

// Kills and reaps a child that failed during create.
export function killInit(pid: i32): void {
  sys.kill(pid, SIGKILL);
  const st = memory.data(8);
  while (sys.wait4(pid, st, 0) == -EINTR) {}
}
