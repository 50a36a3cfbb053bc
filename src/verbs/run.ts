// run: create + start, then (unless --detach) wait for the container, forwarding
// signals to it, remove it, and exit with its status.
import { shellStatus } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail } from "../errors/failure";
import { EINTR, EAGAIN, ECHILD } from "../errors/errno";
import { Globals } from "../cli/globals";
import { debug } from "../cli/report";
import { relayTerminal } from "../linux/relay";
import { createContainer, CreateRequest } from "./create";
import { startLoaded, removeLoaded } from "./lifecycle";
import { Loaded, loadContainer } from "./common";
import { Status } from "../state/status";
import { SIGCHLD, SIGKILL, SIGSTOP, WNOHANG, PR_SET_CHILD_SUBREAPER } from "../linux/consts";

// Every signal but KILL/STOP (and the real-time range) is forwarded.
export function forwardedMask(): u64 {
  let m: u64 = 0;
  for (let s = 1; s <= 31; s++) if (s != SIGKILL && s != SIGSTOP) m |= (<u64>1) << (s - 1);
  return m;
}

// keep: leave the stopped container in place after it exits (runc's run --keep).
export function run(g: Globals, req: CreateRequest, detach: bool, keep: bool): Result<i32> {
  const mask = memory.data(8);
  const old = memory.data(8);
  if (!detach) {
    // Blocked before clone3 so none is lost; init unblocks them before exec.
    store<u64>(mask, forwardedMask());
    sys.sigprocmask(0 /* SIG_BLOCK */, mask, old);
    // Like runc: orphans of the container (shared PID namespace) are reaped by us.
    sys.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  }
  req.relayTerminal = !detach;
  const cr = createContainer(g, req);
  if (!cr.ok) return err<i32>(cr.err!);
  const created = cr.value;
  const c = new Loaded(created.store, created.dirfd, created.state, Status.Created);
  // Foreground: the host's service is tsrun itself (MAINPID), as with runc.
  let f = startLoaded(c, detach ? -1 : sys.getpid());
  if (f != null || detach) {
    if (f != null) removeLoaded(g, c, true);
    c.close();
    return f != null ? err<i32>(f) : ok<i32>(0);
  }
  // Other verbs (state, kill) must not wait for us while the container runs.
  c.close();
  const code = created.masterFd >= 0 ? relayTerminal(created.masterFd, created.state.pid, mask) : waitForward(created.state.pid, mask);
  debug(g, "run " + req.id + ": init exited, status " + code.toString());
  if (keep) return ok<i32>(code);
  const r = loadContainer(g, req.id);
  if (r.loaded != null) {
    f = removeLoaded(g, r.loaded!, true);
    r.loaded!.close();
  } else if (r.dirfd >= 0) sys.close(r.dirfd);
  if (f != null) return err<i32>(f);
  return ok<i32>(code);
}

// Reaps until init exits; returns its exit status the way a shell reports it.
export function waitForward(pid: i32, mask: usize): i32 {
  const sfd = sys.signalfd(-1, mask, sys.O_CLOEXEC);
  const info = memory.data(128);
  const status = memory.data(8);
  while (true) {
    if (sfd >= 0) {
      const n = sys.read(<i32>sfd, info, 128);
      if (n == -EINTR) continue;
      if (n == 128) {
        const sig = load<i32>(info);
        if (sig != SIGCHLD) { sys.kill(pid, sig); continue; }
      }
    }
    // SIGCHLD (or no signalfd): reap whatever exited.
    while (true) {
      const w = sys.wait4(-1, status, sfd >= 0 ? WNOHANG : 0);
      if (w == -EINTR) continue;
      if (w <= 0) { if (w == -ECHILD) return 255; break; }
      if (<i32>w == pid) {
        if (sfd >= 0) sys.close(<i32>sfd);
        return shellStatus(load<i32>(status));
      }
    }
  }
}
