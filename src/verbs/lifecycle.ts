// start, kill, delete: the verbs that move a container through its states.
import * as sys from "../sys/syscall";
import { Failure, fail, sysFail } from "../errors/failure";
import { ENXIO, ESRCH } from "../errors/errno";
import { Globals } from "../cli/globals";
import { Status, statusName } from "../state/status";
import { FIFO, START_FIFO } from "../state/store";
import { readFd } from "../sys/io";
import { bindNotify, forwardReady, NOTIFY_DIR } from "../linux/notify";
import { loadContainer, Loaded, parseSignal, signalInit, signalAll, waitInitExit } from "./common";
import { SIGKILL, SIGTERM } from "../linux/consts";
import { setFrozen, killCgroup } from "../cgroups/manager";
import { releaseHeld } from "./release";
import { ContainerState } from "../state/container";
import { FEATURE_HOOKS, FEATURE_CGROUPS } from "../features";
import { runHook, runHooks } from "../hooks/run";
import { stateJson } from "./query";
import { warn } from "../cli/report";

// Releases init blocked on exec.fifo; it then execs the user process.
// mainPid: the MAINPID passed on with READY (-1: the container's init).
export function startLoaded(c: Loaded, mainPid: i32 = -1): Failure | null {
  const id = c.state.id;
  if (c.status == Status.Stopped) return fail("start", id, "cannot start a container that has stopped");
  if (c.status != Status.Created) return fail("start", id, "cannot start a container in the " + statusName(c.status) + " state");
  // Opened before init is released: init holds it open (O_RDWR) until its exec, so this
  // open does not block and the read below ends at EOF exactly when the exec happened.
  let sfd: i64 = -1;
  if (c.state.startSync) {
    sfd = sys.openat(c.dirfd, START_FIFO, sys.O_RDONLY | sys.O_CLOEXEC);
    if (sfd < 0) return sysFail("start: open", c.store.dirOf(id) + "/" + START_FIFO, sfd);
  }
  const nfd = c.state.notifySocket.length > 0 ? bindNotify(c.store.dirOf(id) + "/" + NOTIFY_DIR) : -1;
  const fd = sys.openat(c.dirfd, FIFO, sys.O_WRONLY | sys.O_NONBLOCK | sys.O_CLOEXEC);
  if (fd < 0 && nfd >= 0) sys.close(nfd);
  if (fd < 0 && sfd >= 0) sys.close(<i32>sfd);
  if (fd == -ENXIO) return fail("start", id, "container init has exited");
  if (fd < 0) return sysFail("start: open", c.store.dirOf(id) + "/" + FIFO, fd);
  const b = memory.data(8);
  store<u8>(b, 0x30);
  const rc = sys.write(<i32>fd, b, 1);
  sys.close(<i32>fd);
  if (rc < 0) { if (sfd >= 0) sys.close(<i32>sfd); return sysFail("start: write", c.store.dirOf(id) + "/" + FIFO, rc); }
  sys.unlinkat(c.dirfd, FIFO, 0);
  if (sfd >= 0) {
    const msg = readFd(<i32>sfd, START_FIFO);
    sys.close(<i32>sfd);
    sys.unlinkat(c.dirfd, START_FIFO, 0);
    if (msg.ok && msg.value.byteLength > 0) {
      signalInit(c.state, SIGKILL);
      return fail("start", id, String.UTF8.decode(msg.value));
    }
  }
  // sd_notify: start returns once the container said READY (or its init exited).
  if (nfd >= 0) {
    const nf = forwardReady(nfd, c.state.pid, mainPid >= 0 ? mainPid : c.state.pid, c.state.notifySocket);
    if (nf != null) return nf;
  }
  // poststart: a failure stops the container and fails start (runtime-spec 1.3).
  const hf = FEATURE_HOOKS && c.state.poststart.length > 0 ? runHooks("poststart", c.state.poststart, stateJson(c.state, Status.Running, 0)) : null;
  if (hf != null) {
    signalInit(c.state, SIGKILL);
    return hf.within("start " + id);
  }
  return null;
}

export function start(g: Globals, id: string): Failure | null {
  const r = loadContainer(g, id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return r.err; }
  const c = r.loaded!;
  const f = startLoaded(c);
  c.close();
  return f;
}

export function kill(g: Globals, id: string, signal: string, all: bool): Failure | null {
  const sig = parseSignal(signal);
  if (sig < 0) return fail("kill", id, "invalid signal \"" + signal + "\"");
  const r = loadContainer(g, id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return r.err; }
  const c = r.loaded!;
  let f: Failure | null = null;
  if (c.status == Status.Stopped) {
    // Engines send `kill --all ID 9` after init exited: success, and in a shared PID
    // namespace init's exit did not take the other processes with it.
    if (!all) f = fail("kill", id, "container is not running");
    else if (!c.state.newPidNs) killAll(c, sig);
  } else if (all) {
    killAll(c, sig);
  } else {
    const rc = signalInit(c.state, sig);
    if (rc == -ESRCH) f = fail("kill", id, "container is not running");
    else if (rc < 0) f = sysFail("kill", id, rc);
  }
  c.close();
  return f;
}

// kill --all: SIGKILL on a cgroup v2 directory of the container -> cgroup.kill (every member,
// forks racing included); SIGKILL with a PID namespace -> init (the kernel kills the rest);
// otherwise freeze, signal every member, thaw (no fork escapes the list).
function killAll(c: Loaded, sig: i32): void {
  const v2 = FEATURE_CGROUPS ? v2Dir(c.state) : "";
  if (sig == SIGKILL && v2.length > 0 && killCgroup(v2)) return;
  if (c.state.newPidNs && sig == SIGKILL) { signalInit(c.state, sig); return; }
  const freeze = FEATURE_CGROUPS && c.state.freezerDir.length > 0 && c.status != Status.Paused &&
    setFrozen(c.state.freezerDir, c.state.cgroupV2, true) == null;
  signalAll(c.state, sig);
  if (freeze) setFrozen(c.state.freezerDir, c.state.cgroupV2, false);
}

// The container's own cgroup v2 directory: pure v2, or one tsrun made on the hybrid unified
// hierarchy (hugetlb, unified keys); "" when none.
function v2Dir(st: ContainerState): string {
  for (let i = 0; i < st.cgroupAll.length; i++) {
    if (!st.cgroupAll[i].startsWith("=")) continue;
    const d = st.cgroupAll[i].substring(1);
    if (st.cgroupV2 || st.cgroupDirs.includes(d) || st.systemdUnit.length > 0) return d;
  }
  return "";
}

// Kills whatever is left of the container and waits for init to be gone.
function stopAll(c: Loaded): void {
  if (c.state.newPidNs) signalInit(c.state, SIGKILL);
  else signalAll(c.state, SIGKILL);
  // Frozen processes die only once thawed.
  if (FEATURE_CGROUPS && c.status == Status.Paused) setFrozen(c.state.freezerDir, c.state.cgroupV2, false);
  waitInitExit(c.state, 10000);
}

export function removeLoaded(g: Globals, c: Loaded, force: bool): Failure | null {
  const id = c.state.id;
  if (c.status == Status.Running || c.status == Status.Paused) {
    if (!force) return fail("delete", id, "cannot delete a container that is " + statusName(c.status) + " (use --force)");
    stopAll(c);
  } else if (c.status == Status.Created) {
    stopAll(c);
  } else if (!c.state.newPidNs) {
    // Stopped, but init's exit kills the rest only in a PID namespace of its own (runc's too).
    killAll(c, SIGKILL);
  }
  let f = releaseHeld(c.state, g, force);
  if (f == null) f = c.store.remove(id, c.dirfd, c.state);
  if (f != null) return f;
  // poststop: failures are warnings; the container is gone either way.
  const st = stateJson(c.state, Status.Stopped, 0);
  for (let i = 0; FEATURE_HOOKS && i < c.state.poststop.length; i++) {
    const hf = runHook("poststop", c.state.poststop[i], st);
    if (hf != null) warn(g, hf.message());
  }
  return null;
}

export function deleteContainer(g: Globals, id: string, force: bool): Failure | null {
  const r = loadContainer(g, id);
  if (r.err != null) {
    let f: Failure | null = r.err;
    if (r.incomplete && r.store != null) {
      // A create that died before recording init: its init died with it (PDEATHSIG).
      f = force ? r.store!.remove(id, r.dirfd) : r.err;
    } else if (force && r.dirfd < 0 && r.err!.why == "does not exist") {
      f = null; // `delete --force` of an unknown id succeeds, as runc's does.
    }
    if (r.dirfd >= 0) sys.close(r.dirfd);
    return f;
  }
  const c = r.loaded!;
  const f = removeLoaded(g, c, force);
  c.close();
  return f;
}

// pause / resume: freeze or thaw every process of the container through its cgroup.
export function pauseResume(g: Globals, id: string, pause: bool): Failure | null {
  const verb = pause ? "pause" : "resume";
  const r = loadContainer(g, id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return r.err; }
  const c = r.loaded!;
  let f: Failure | null = null;
  // As runc: a created (not yet started) container can be paused too.
  if (pause && c.status != Status.Running && c.status != Status.Created) f = fail(verb, id, "the container is " + statusName(c.status) + ", not running");
  else if (!pause && c.status != Status.Paused) f = fail(verb, id, "the container is " + statusName(c.status) + ", not paused");
  else if (!FEATURE_CGROUPS || c.state.freezerDir.length == 0) f = fail(verb, id, "the container has no freezer cgroup");
  if (f == null) f = setFrozen(c.state.freezerDir, c.state.cgroupV2, pause);
  if (f == null) {
    c.state.paused = pause;
    f = c.store.save(c.dirfd, c.state);
    // Not recorded (e.g. the root is full): undo, so the state on disk stays the truth.
    if (f != null) setFrozen(c.state.freezerDir, c.state.cgroupV2, !pause);
  }
  c.close();
  return f;
}
