// Runs one OCI hook: fork, the container state JSON on stdin, execve(path, args, env),
// wait with the hook's timeout (killed and failed when it passes). Used by the parent
// (prestart, createRuntime, poststart, poststop) and by init (createContainer, startContainer).
import { forkProcess, unblockSignals } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, fail, sysFail } from "../errors/failure";
import { EINTR } from "../errors/errno";
import { writeString, readFd } from "../sys/io";
import { Hook } from "../spec/model";
import { SIGCHLD, SIGKILL, SIGPIPE } from "../linux/consts";
import { monotonicMs } from "../util/time";

export function runHook(kind: string, h: Hook, stateJson: string): Failure | null {
  const what = kind + " hook " + h.path;
  // A hook that exits without reading stdin must give us EPIPE, not kill us.
  const pipeMask = memory.data(8);
  store<u64>(pipeMask, (<u64>1) << (SIGPIPE - 1));
  sys.sigprocmask(0 /* SIG_BLOCK */, pipeMask, 0);
  // Everything the child needs is prepared before the fork.
  const path = sys.cstr(h.path);
  const argv = sys.cstrArray(h.args.length > 0 ? h.args : [h.path]);
  const envp = sys.cstrArray(h.env);
  const fds = memory.data(16);
  let rc = sys.pipe2(fds, sys.O_CLOEXEC);
  if (rc == 0) rc = sys.pipe2(fds + 8, sys.O_CLOEXEC);
  if (rc < 0) return sysFail("pipe for", what, rc);
  const rd = load<i32>(fds), wr = load<i32>(fds, 4);
  // The exec error, if any, comes back on this close-on-exec pipe (EOF: exec happened).
  const errRd = load<i32>(fds, 8), errWr = load<i32>(fds, 12);
  rc = forkProcess(0);
  if (rc == 0) {
    sys.dup3(rd, 0, 0);
    unblockSignals();
    const e = sys.execve(path, argv, envp);
    writeString(errWr, sysFail("exec", what, e).message());
    sys.exit(127);
  }
  sys.close(rd);
  sys.close(errWr);
  if (rc < 0) { sys.close(wr); sys.close(errRd); return sysFail("fork", what, rc); }
  const pid = <i32>rc;
  writeString(wr, stateJson);
  sys.close(wr);
  const execErr = readFd(errRd, what);
  sys.close(errRd);
  const f = waitHook(pid, h, what);
  if (execErr.ok && execErr.value.byteLength > 0) return new Failure(String.UTF8.decode(execErr.value), "", 0);
  return f;
}

function waitHook(pid: i32, h: Hook, what: string): Failure | null {
  const status = memory.data(8);
  if (h.hasTimeout) {
    const pfd = sys.pidfdOpen(pid, 0);
    if (pfd >= 0) {
      const deadline = monotonicMs() + <i64>h.timeout * 1000;
      const pf = memory.data(8);
      store<i32>(pf, <i32>pfd);
      store<i16>(pf, 1, 4);
      store<i16>(pf, 0, 6);
      let r: i64 = 0;
      while (true) {
        const left = deadline - monotonicMs();
        if (left <= 0) { r = 0; break; }
        r = sys.poll(pf, 1, <i32>left);
        if (r != -EINTR) break;
      }
      sys.close(<i32>pfd);
      if (r == 0) {
        sys.kill(pid, SIGKILL);
        while (sys.wait4(pid, status, 0) == -EINTR) {}
        return fail(what, "", "timed out after " + h.timeout.toString() + "s (killed)");
      }
    }
  }
  let w: i64;
  do { w = sys.wait4(pid, status, 0); } while (w == -EINTR);
  if (w < 0) return sysFail("wait for", what, w);
  const s = load<i32>(status);
  if ((s & 0x7f) != 0) return fail(what, "", "killed by signal " + (s & 0x7f).toString());
  const code = (s >> 8) & 0xff;
  if (code != 0) return fail(what, "", "exited with status " + code.toString());
  return null;
}

export function runHooks(kind: string, hooks: Hook[], stateJson: string): Failure | null {
  for (let i = 0; i < hooks.length; i++) {
    const f = runHook(kind, hooks[i], stateJson);
    if (f != null) return f;
  }
  return null;
}
