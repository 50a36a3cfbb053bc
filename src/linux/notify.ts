// NOTIFY_SOCKET (sd_notify) pass-through, as runc does it: when tsrun itself runs under a
// NOTIFY_SOCKET, the container gets its own socket (<state dir>/notify/notify.sock, bound
// read-only at /run/notify in the container, NOTIFY_SOCKET=/run/notify/notify.sock), and
// `start` / `run` wait for the container's READY=… and pass it on to the host's socket with
// MAINPID.
import * as sys from "../sys/syscall";
import { Failure, fail, sysFail } from "../errors/failure";
import { EINTR } from "../errors/errno";
import { writeString } from "../sys/io";

export const NOTIFY_DIR = "notify";
export const NOTIFY_IN_CONTAINER = "/run/notify/notify.sock";
const AF_UNIX = 1, SOCK_DGRAM = 2;

// sockaddr_un for path ("@name" is an abstract address); returns its length, 0 if too long.
function sockaddr(addr: usize, path: string): u32 {
  const bytes = String.UTF8.encode(path);
  if (bytes.byteLength > 107) return 0;
  memory.fill(addr, 0, 110);
  store<u16>(addr, <u16>AF_UNIX);
  memory.copy(addr + 2, changetype<usize>(bytes), bytes.byteLength);
  if (path.startsWith("@")) { store<u8>(addr + 2, 0); return 2 + <u32>bytes.byteLength; }
  return 110;
}

// Binds the container's notify socket (in `start`/`run`, right before init is released).
export function bindNotify(dir: string): i32 {
  const path = dir + "/notify.sock";
  const fd = sys.socket(AF_UNIX, SOCK_DGRAM | sys.O_CLOEXEC, 0);
  if (fd < 0) return -1;
  sys.unlinkat(sys.AT_FDCWD, path, 0);
  const addr = memory.data(112);
  const len = sockaddr(addr, path);
  if (len == 0 || sys.sys6Raw(49 /* bind */, fd, sys.host(addr), len, 0, 0, 0) < 0) { sys.close(<i32>fd); return -1; }
  sys.fchmodat(sys.AT_FDCWD, path, 0o777);
  return <i32>fd;
}

// Waits for the container's READY=… (or init's exit) and forwards it to the host socket.
export function forwardReady(sock: i32, initPid: i32, mainPid: i32, hostSocket: string): Failure | null {
  const pidfd = sys.pidfdOpen(initPid, 0);
  const fds = memory.data(16);
  const buf = new ArrayBuffer(4096);
  let ready = "";
  while (ready.length == 0) {
    store<i32>(fds, sock); store<i16>(fds, 1, 4); store<i16>(fds, 0, 6);
    store<i32>(fds, <i32>pidfd, 8); store<i16>(fds, 1, 12); store<i16>(fds, 0, 14);
    const n = sys.poll(fds, pidfd >= 0 ? 2 : 1, -1);
    if (n == -EINTR) continue;
    if (n < 0) break;
    if (load<i16>(fds, 6) != 0) {
      const r = sys.read(sock, changetype<usize>(buf), 4096);
      if (r > 0) {
        const lines = String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>r).split("\n");
        for (let i = 0; i < lines.length; i++) if (lines[i].startsWith("READY=")) ready = lines[i];
      }
    }
    if (ready.length == 0 && pidfd >= 0 && load<i16>(fds, 14) != 0) break; // init exited
  }
  if (pidfd >= 0) sys.close(<i32>pidfd);
  sys.close(sock);
  if (ready.length == 0) return null;
  const out = sys.socket(AF_UNIX, SOCK_DGRAM | sys.O_CLOEXEC, 0);
  if (out < 0) return sysFail("socket for", hostSocket, out);
  const addr = memory.data(112);
  const len = sockaddr(addr, hostSocket);
  if (len == 0) { sys.close(<i32>out); return fail("NOTIFY_SOCKET", hostSocket, "path too long"); }
  let rc = sys.connect(<i32>out, addr, len);
  if (rc == 0) rc = writeString(<i32>out, ready + "\n");
  if (rc >= 0) rc = writeString(<i32>out, "MAINPID=" + mainPid.toString() + "\n");
  sys.close(<i32>out);
  if (rc < 0) return sysFail("notify", hostSocket, rc);
  return null;
}
