// The compiled filter in the state dir (seccomp.bpf: u32 flags, then struct sock_filter[]),
// so that `exec` applies the container's filter without recompiling the profile.
import * as sys from "../sys/syscall";
import { Failure, sysFail, fail } from "../errors/failure";
import { writeAll, readFileAt } from "../sys/io";
import { Plan } from "../plan/plan";
import { SECCOMP_FILE } from "../state/store";

export function saveFilter(dirfd: i32, p: Plan, what: string): Failure | null {
  const prog = p.seccompProg!;
  const fd = sys.openat(dirfd, SECCOMP_FILE, sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL | sys.O_CLOEXEC, 0o600);
  if (fd < 0) return sysFail("create", what, fd);
  const head = memory.data(4);
  store<u32>(head, p.seccompFlags);
  let rc = writeAll(<i32>fd, head, 4);
  if (rc == 0) rc = writeAll(<i32>fd, changetype<usize>(prog), prog.byteLength);
  sys.close(<i32>fd);
  if (rc < 0) return sysFail("write", what, rc);
  return null;
}

export function loadSavedFilter(dirfd: i32, p: Plan, what: string): Failure | null {
  const r = readFileAt(dirfd, SECCOMP_FILE, what);
  if (!r.ok) return r.err;
  const b = r.value;
  if (b.byteLength < 12 || ((b.byteLength - 4) & 7) != 0) return fail("read", what, "not a seccomp filter");
  p.seccompFlags = load<u32>(changetype<usize>(b));
  p.seccompProg = b.slice(4);
  return null;
}
