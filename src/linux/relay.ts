// A foreground terminal without a console socket (`run` or `exec -t` in a shell): tsrun
// holds the pty master itself and relays between it and its own stdin/stdout, with the
// caller's terminal in raw mode, window size changes passed on and signals forwarded.
import { shellStatus } from "../sys/process";
import * as sys from "../sys/syscall";
import { Result, ok, err, sysFail } from "../errors/failure";
import { EINTR, EAGAIN } from "../errors/errno";
import { writeAll } from "../sys/io";
import { SIGCHLD, SIGWINCH, WNOHANG } from "./consts";
import { msgHeader } from "./console";

const TCGETS: u64 = 0x5401, TCSETS: u64 = 0x5402, TIOCGWINSZ: u64 = 0x5413, TIOCSWINSZ: u64 = 0x5414;

// The pty master that init (or the exec child) sent over our end of a socketpair.
export function receiveFd(sock: i32): Result<i32> {
  const data = memory.data(64);
  const iov = memory.data(16);
  store<u64>(iov, <u64>sys.host(data));
  store<u64>(iov, 64, 8);
  const cmsg = memory.data(32);
  memory.fill(cmsg, 0, 32);
  const msg = msgHeader(iov, cmsg, 32);
  let rc: i64;
  do { rc = sys.recvmsg(sock, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */); } while (rc == -EINTR);
  if (rc < 0) return err<i32>(sysFail("receive", "pty master", rc));
  if (load<i32>(cmsg, 8) != 1 || load<i32>(cmsg, 12) != 1) return err<i32>(sysFail("receive", "pty master", -5));
  return ok<i32>(load<i32>(cmsg, 16));
}

function copyWinsize(master: i32): void {
  const ws = memory.data(8);
  if (sys.ioctl(0, TIOCGWINSZ, sys.host(ws)) == 0) sys.ioctl(master, TIOCSWINSZ, sys.host(ws));
}

// Relays until `pid` exits; returns its status as a shell reports it. `mask` holds the
// signals blocked before the fork (forwarded here).
export function relayTerminal(master: i32, pid: i32, mask: usize): i32 {
  const saved = memory.data(64);
  const raw = memory.data(64);
  const tty = sys.ioctl(0, TCGETS, sys.host(saved)) == 0;
  if (tty) {
    memory.copy(raw, saved, 64);
    store<u32>(raw, load<u32>(raw) & ~(<u32>(1 | 2 | 0o10 | 0o40 | 0o100 | 0o200 | 0o400 | 0o2000)));
    store<u32>(raw, load<u32>(raw, 4) & ~1, 4);
    store<u32>(raw, (load<u32>(raw, 8) & ~(<u32>(0o60 | 0o400))) | 0o60, 8);
    store<u32>(raw, load<u32>(raw, 12) & ~(<u32>(0o10 | 0o100 | 2 | 1 | 0o100000)), 12);
    store<u8>(raw, 0, 17 + 5);  // VTIME
    store<u8>(raw, 1, 17 + 6);  // VMIN
    sys.ioctl(0, TCSETS, sys.host(raw));
    copyWinsize(master);
  }
  const sfd = sys.signalfd(-1, mask, sys.O_CLOEXEC);
  const fds = memory.data(24);
  const buf = new ArrayBuffer(16384);
  const b = changetype<usize>(buf);
  const info = memory.data(128);
  const status = memory.data(8);
  let stdinOpen = true, masterOpen = true, exited = false, code = 255;
  while (!exited || masterOpen) {
    store<i32>(fds, stdinOpen && !exited ? 0 : -1); store<i16>(fds, 1, 4); store<i16>(fds, 0, 6);
    store<i32>(fds, masterOpen ? master : -1, 8); store<i16>(fds, 1, 12); store<i16>(fds, 0, 14);
    store<i32>(fds, <i32>sfd, 16); store<i16>(fds, 1, 20); store<i16>(fds, 0, 22);
    // Once the process is gone, drain what the pty still holds without waiting.
    const n = sys.poll(fds, 3, exited ? 0 : -1);
    if (n == -EINTR) continue;
    if (n <= 0) break;
    if (load<i16>(fds, 14) != 0) {
      const r = sys.read(master, b, 16384);
      if (r > 0) writeAll(1, b, <usize>r);
      else if (r != -EINTR && r != -EAGAIN) masterOpen = false;
    }
    if (load<i16>(fds, 6) != 0) {
      const r = sys.read(0, b, 16384);
      if (r > 0) writeAll(master, b, <usize>r);
      else if (r != -EINTR && r != -EAGAIN) stdinOpen = false;
    }
    if (load<i16>(fds, 22) != 0 && sys.read(<i32>sfd, info, 128) == 128) {
      const sig = load<i32>(info);
      if (sig == SIGWINCH) { if (tty) copyWinsize(master); }
      else if (sig != SIGCHLD) sys.kill(pid, sig);
    }
    while (!exited) {
      const w = sys.wait4(-1, status, WNOHANG);
      if (w <= 0) break;
      if (<i32>w == pid) {
        exited = true;
        code = shellStatus(load<i32>(status));
      }
    }
  }
  if (tty) sys.ioctl(0, TCSETS, sys.host(saved));
  if (sfd >= 0) sys.close(<i32>sfd);
  sys.close(master);
  return code;
}
