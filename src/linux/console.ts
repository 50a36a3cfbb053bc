// process.terminal with --console-socket: init creates a pty inside the container, sends the
// master to the engine's unix socket (SCM_RIGHTS, with the name "/dev/ptmx" as data, the
// format runc uses and containerd-shim/conmon read) and makes the peer its controlling
// terminal and stdio.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail } from "../errors/failure";

const TIOCSPTLCK: u64 = 0x40045431, TIOCGPTPEER: u64 = 0x5441, TIOCSWINSZ: u64 = 0x5414, TIOCSCTTY: u64 = 0x540e;
const AF_UNIX = 1, SOCK_STREAM = 1, SOL_SOCKET = 1, SCM_RIGHTS = 1;

// Connects to the console socket (in the parent, before clone: the path is a host path).
export function connectConsole(path: string): Result<i32> { return connectUnix(path, "console socket"); }

// A connected AF_UNIX stream socket (close-on-exec); `what` names it in errors.
export function connectUnix(path: string, what: string): Result<i32> {
  const fd = sys.socket(AF_UNIX, SOCK_STREAM | sys.O_CLOEXEC, 0);
  if (fd < 0) return err<i32>(sysFail("socket for", path, fd));
  const bytes = String.UTF8.encode(path);
  if (bytes.byteLength > 107) { sys.close(<i32>fd); return err<i32>(sysFail(what + " path too long:", path, -36)); }
  const addr = memory.data(110);
  memory.fill(addr, 0, 110);
  store<u16>(addr, <u16>AF_UNIX);
  memory.copy(addr + 2, changetype<usize>(bytes), bytes.byteLength);
  const rc = sys.connect(<i32>fd, addr, 110);
  if (rc < 0) { sys.close(<i32>fd); return err<i32>(sysFail("connect to " + what, path, rc)); }
  return ok<i32>(<i32>fd);
}

// A msghdr with one iovec and a control buffer (for SCM_RIGHTS).
export function msgHeader(iov: usize, control: usize, controlLen: u64): usize {
  const msg = memory.data(56);
  memory.fill(msg, 0, 56);
  store<u64>(msg, <u64>sys.host(iov), 16);
  store<u64>(msg, 1, 24);
  store<u64>(msg, <u64>sys.host(control), 32);
  store<u64>(msg, controlLen, 40);
  return msg;
}

// Sends `text` with fd attached (SCM_RIGHTS); returns the bytes sent or -errno.
export function sendFd(sock: i32, fd: i32, text: string): i64 {
  const data = String.UTF8.encode(text);
  const iov = memory.data(16);
  store<u64>(iov, <u64>sys.host(changetype<usize>(data)));
  store<u64>(iov, <u64>data.byteLength, 8);
  const cmsg = memory.data(24); // cmsghdr (16) + one int, padded to 8
  memory.fill(cmsg, 0, 24);
  store<u64>(cmsg, 20);
  store<i32>(cmsg, SOL_SOCKET, 8);
  store<i32>(cmsg, SCM_RIGHTS, 12);
  store<i32>(cmsg, fd, 16);
  return sys.sendmsg(sock, msgHeader(iov, cmsg, 24), 0);
}

// In init, after setsid(): the pty, the master sent away, the peer as stdio.
export function setupConsole(sock: i32, rows: u32, cols: u32): Failure | null {
  const master = sys.openat(sys.AT_FDCWD, "/dev/ptmx", sys.O_RDWR | sys.O_NOCTTY | sys.O_CLOEXEC);
  if (master < 0) return sysFail("open", "/dev/ptmx", master);
  const m = <i32>master;
  const zero = memory.data(8);
  store<i32>(zero, 0);
  let rc = sys.ioctl(m, TIOCSPTLCK, sys.host(zero));
  if (rc < 0) { sys.close(m); return sysFail("unlock", "pty", rc); }
  if (rows > 0 || cols > 0) {
    const ws = memory.data(8);
    store<u16>(ws, <u16>rows);
    store<u16>(ws, <u16>cols, 2);
    store<u32>(ws, 0, 4);
    sys.ioctl(m, TIOCSWINSZ, sys.host(ws));
  }
  const peer = sys.ioctl(m, TIOCGPTPEER, sys.O_RDWR | sys.O_NOCTTY | sys.O_CLOEXEC);
  if (peer < 0) { sys.close(m); return sysFail("open", "pty peer", peer); }
  rc = sendFd(sock, m, "/dev/ptmx");
  sys.close(m);
  sys.close(sock);
  if (rc < 0) { sys.close(<i32>peer); return sysFail("send pty to", "console socket", rc); }
  const p = <i32>peer;
  rc = sys.ioctl(p, TIOCSCTTY, 0);
  if (rc < 0) { sys.close(p); return sysFail("set controlling terminal", "pty", rc); }
  for (let fd = 0; fd < 3; fd++) {
    rc = sys.dup3(p, fd, 0);
    if (rc < 0) { sys.close(p); return sysFail("dup pty to", fd.toString(), rc); }
  }
  sys.close(p);
  return null;
}
