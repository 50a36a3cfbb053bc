// The parent side of container creation: one clone3 with every new namespace, uid/gid
// maps for a new user namespace, and the wait for init's ready/error message.
import { forkProcess } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { EINTR, ECHILD, ECONNRESET } from "../errors/errno";
import { writeExisting, writeString } from "../sys/io";
import { Plan } from "../plan/plan";
import { IdMapping } from "../spec/model";
import { containerInit } from "./init";
import { writeIdMaps, prepareIdmappedMounts, closeIdmappedMounts } from "./idmap";
import { Agent, handOver } from "../seccomp/agent";
import { AF_UNIX, SOCK_SEQPACKET, SOCK_CLOEXEC, SIGCHLD, SIGKILL, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_PARENT } from "./consts";

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
  const joinUser = p.joins.length > 0 && p.joins[0].type == "user";
  rc = joinUser ? cloneInJoinedUserNs(p, parentEnd) : forkProcess(p.cloneFlags, p.cgroupFd);
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

// Joining a user namespace by path: the namespaces clone3 makes belong to the user namespace
// of its caller, and the container's must belong to the joined one (or init could not mount
// in them). A short-lived helper joins it, becomes its root (as runc) and clones init with
// CLONE_PARENT, so init is still tsrun's own child. Returns init's pid (0 in init), or -errno.
function cloneInJoinedUserNs(p: Plan, parentEnd: i32): i64 {
  const j = p.joins.shift();
  const nsfd = sys.openat(sys.AT_FDCWD, j.path, sys.O_RDONLY | sys.O_CLOEXEC);
  if (nsfd < 0) { p.joins.unshift(j); return nsfd; }
  const fds = memory.data(8);
  let rc = sys.pipe2(fds, sys.O_CLOEXEC);
  if (rc < 0) { sys.close(<i32>nsfd); return rc; }
  const rd = load<i32>(fds), wr = load<i32>(fds, 4);
  const helper = forkProcess(0);
  if (helper == 0) {
    sys.close(rd);
    const out = memory.data(8);
    let r = sys.setns(<i32>nsfd, <i32>CLONE_NEWUSER);
    if (r == 0) { sys.setresgid(0, 0, 0); r = sys.setresuid(0, 0, 0); }
    if (r == 0) r = forkProcess(p.cloneFlags | CLONE_PARENT, p.cgroupFd);
    if (r == 0) { sys.close(wr); return 0; }  // init
    store<i64>(out, r);
    sys.write(wr, out, 8);
    sys.exit(0);
  }
  sys.close(wr);
  sys.close(<i32>nsfd);
  if (helper < 0) { sys.close(rd); return helper; }
  const got = memory.data(8);
  store<i64>(got, -EINTR);
  const n = sys.read(rd, got, 8);
  sys.close(rd);
  const st = memory.data(8);
  while (sys.wait4(<i32>helper, st, 0) == -EINTR) {}
  return n == 8 ? load<i64>(got) : -ECHILD;
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
// agent: where a seccomp listener goes ("\x02<fd>" from init, see seccomp/load.ts).
export function awaitInit(c: Child, agent: Agent | null): Failure | null {
  const buf = new ArrayBuffer(4096);
  const p = changetype<usize>(buf);
  let n: i64;
  while (true) {
    do { n = sys.read(c.syncFd, p, 4096); } while (n == -EINTR);
    if (n < 2 || load<u8>(p) != 2 || agent == null) break;
    const f = handOver(agent!, c.pid, String.UTF8.decodeUnsafe(p + 1, <usize>n - 1), c.syncFd);
    if (f != null) { sys.close(c.syncFd); return f; }
  }
  sys.close(c.syncFd);
  // ECONNRESET: init died with our messages still unread in its queue; that is an exit too.
  if (n < 0 && n != -ECONNRESET) return sysFail("read from", "container init", n);
  if (n <= 0) return fail("container init", "", "exited before it was ready");
  if (load<u8>(p) == 0) return null;
  return new Failure(String.UTF8.decodeUnsafe(p + 1, <usize>n - 1), "", 0);
}

// Kills and reaps a child that failed during create.
export function killInit(pid: i32): void {
  sys.kill(pid, SIGKILL);
  const st = memory.data(8);
  while (sys.wait4(pid, st, 0) == -EINTR) {}
}
