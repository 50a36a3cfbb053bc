// The parent side of SCMP_ACT_NOTIFY: take a copy of the child's listener fd and send it to
// the seccomp agent at linux.seccomp.listenerPath with the container process state
// (runtime-spec ContainerProcessState: JSON payload, the fd by SCM_RIGHTS, one connection
// per process), then let the child go on.
import * as sys from "../sys/syscall";
import { Failure, sysFail, fail } from "../errors/failure";
import { writeAll } from "../sys/io";
import { JsonWriter } from "../json/writer";
import { connectUnix, sendFd } from "../linux/console";
import { OCI_VERSION } from "../verbs/query";
import { FEATURE_SECCOMP } from "../features";

const SYS_pidfd_getfd = 438;

export class Agent {
  // stateJson: the OCI state of the container ("creating" for init, "running" for exec).
  constructor(public listenerPath: string, public metadata: string, public stateJson: string) {}
}

// msg: what the child wrote after "\x02" (its listener's fd number); sync: our end.
export function handOver(a: Agent, pid: i32, msg: string, sync: i32): Failure | null {
  if (!FEATURE_SECCOMP) return fail("seccomp", "", "not in this build");
  const num = I32.parseInt(msg);
  const pidfd = sys.pidfdOpen(pid, 0);
  if (pidfd < 0) return sysFail("pidfd_open", pid.toString(), pidfd);
  const fd = sys.sys6Raw(SYS_pidfd_getfd, pidfd, num, 0, 0, 0, 0);
  sys.close(<i32>pidfd);
  if (fd < 0) return sysFail("take the seccomp listener of", pid.toString(), fd);
  const f = sendState(a, pid, <i32>fd);
  sys.close(<i32>fd);
  if (f != null) return f;
  const b = memory.data(8);
  store<u8>(b, 1);
  const rc = sys.write(sync, b, 1);
  if (rc < 0) return sysFail("signal", "process " + pid.toString(), rc);
  return null;
}

function sendState(a: Agent, pid: i32, fd: i32): Failure | null {
  const w = new JsonWriter();
  w.beginObject();
  w.kstr("ociVersion", OCI_VERSION);
  w.kstrs("fds", ["seccompFd"]);
  w.knum("pid", pid);
  if (a.metadata.length > 0) w.kstr("metadata", a.metadata);
  w.key("state").raw(a.stateJson);
  w.endObject();
  const text = w.toString();
  const c = connectUnix(a.listenerPath, "seccomp agent");
  if (!c.ok) return c.err!.within("linux.seccomp.listenerPath");
  const sock = c.value;
  const data = String.UTF8.encode(text);
  let rc = sendFd(sock, fd, text);
  // A stream may take less in one go; the rest follows without the fd (runtime-spec allows it).
  if (rc >= 0 && rc < data.byteLength) rc = writeAll(sock, changetype<usize>(data) + <usize>rc, data.byteLength - <usize>rc);
  sys.close(sock);
  if (rc < 0) return sysFail("send the seccomp listener to", a.listenerPath, rc);
  return null;
}
