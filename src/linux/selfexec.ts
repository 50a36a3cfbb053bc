// CVE-2019-5736 defence: a process that enters a container must not have the on-disk tsrun
// binary as /proc/self/exe, or a container process could reopen it for writing (through
// `#!/proc/self/exe` or /proc/PID/exe) and replace the host's runtime.
//
// Only verbs whose process (or child) enters the container pay for it (create, run; exec):
// they re-execute themselves once from a sealed memfd copy, so init inherits a memfd as its
// exe. Verbs that never enter a container (start, state, kill, delete, list) keep the cheap
// path: container processes cannot reach them through /proc without ptrace rights over a
// process that holds more capabilities than they do. When the binary sits on a read-only
// mount, it cannot be overwritten at all and the copy is skipped.
import * as sys from "../sys/syscall";
import { Failure, sysFail } from "../errors/failure";
import { hostArgv, hostEnvp } from "../sys/imports";
import { closeFile } from "../sys/io";

const F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
const MFD_CLOEXEC: u32 = 1, MFD_ALLOW_SEALING: u32 = 2;
const ST_RDONLY: u64 = 1;

// Returns only when no copy is needed (already sealed, or read-only binary) or on failure.
export function ensureSealedSelf(): Failure | null {
  const exe = sys.openat(sys.AT_FDCWD, "/proc/self/exe", sys.O_RDONLY | sys.O_CLOEXEC);
  if (exe < 0) return sysFail("open", "/proc/self/exe", exe);
  const fd = <i32>exe;
  if (sys.fcntl(fd, F_GET_SEALS, 0) >= 0) { closeFile(fd); return null; }
  const buf = memory.data(120);
  if (sys.sys6Raw(138 /* fstatfs */, fd, sys.host(buf), 0, 0, 0, 0) == 0 && (load<u64>(buf, 80) & ST_RDONLY) != 0) {
    closeFile(fd);
    return null;
  }
  const st = memory.data(144);
  let rc = sys.fstat(fd, st);
  if (rc < 0) { sys.close(fd); return sysFail("stat", "/proc/self/exe", rc); }
  const size = load<i64>(st, 48);
  const mfd = sys.memfdCreate("tsrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) { sys.close(fd); return sysFail("memfd_create", "tsrun", mfd); }
  let copied: i64 = 0;
  while (copied < size) {
    rc = sys.sendfile(<i32>mfd, fd, <usize>(size - copied));
    if (rc <= 0) break;
    copied += rc;
  }
  closeFile(fd); // O_CLOEXEC: the execveat below closes it
  if (copied != size) { sys.close(<i32>mfd); return sysFail("copy", "/proc/self/exe", rc < 0 ? rc : -5); }
  rc = sys.fcntl(<i32>mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  if (rc < 0) { sys.close(<i32>mfd); return sysFail("seal", "memfd", rc); }
  rc = sys.execveat(<i32>mfd, sys.cstr(""), <i64>hostArgv(), <i64>hostEnvp(), sys.AT_EMPTY_PATH);
  sys.close(<i32>mfd);
  return sysFail("re-execute from memfd", "/proc/self/exe", rc);
}
