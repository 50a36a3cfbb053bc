// The child side (container init, or a process `exec` adds): install the compiled filter.
import * as sys from "../sys/syscall";
import { Failure, sysFail, fail } from "../errors/failure";
import { EINTR } from "../errors/errno";
import { writeString } from "../sys/io";
import { Plan } from "../plan/plan";
import { FLAG_NEW_LISTENER } from "./model";
import { FEATURE_SECCOMP } from "../features";

// With SCMP_ACT_NOTIFY the kernel returns a listener fd. Its number goes to the parent
// ("\x02<fd>" on the sync socket) and the child waits for a one-byte answer: the parent
// takes a copy (pidfd_getfd) and hands it to the seccomp agent before this process makes
// any syscall that could wait for the agent. Only write(2) and read(2) happen in between,
// which is why write may not be notified (read may: the agent has the fd by then).
export function loadFilter(p: Plan): Failure | null {
  const prog = p.seccompProg;
  if (!FEATURE_SECCOMP || prog == null) return null;
  const fprog = memory.data(16);
  store<u64>(fprog, 0);
  store<u16>(fprog, <u16>(prog.byteLength >> 3));
  store<i64>(fprog, sys.host(changetype<usize>(prog)), 8);
  const rc = sys.seccompSetFilter(p.seccompFlags, fprog);
  if (rc < 0) return sysFail("load seccomp filter", "linux.seccomp", rc);
  if ((p.seccompFlags & FLAG_NEW_LISTENER) == 0) return null;
  p.listenerFd = <i32>rc;
  const w = writeString(p.syncFd, "\x02" + rc.toString());
  if (w < 0) return sysFail("hand over", "seccomp listener", w);
  const b = memory.data(8);
  let n: i64;
  do { n = sys.read(p.syncFd, b, 1); } while (n == -EINTR);
  if (n != 1) return fail("hand over", "seccomp listener", "the runtime did not take it");
  return null;
}
