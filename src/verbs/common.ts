// Helpers shared by the verbs: the state store, a loaded container, signals.
import { nsLink } from "../linux/enter";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { EINTR, ESRCH } from "../errors/errno";
import { Globals } from "../cli/globals";
import { listDir, readFileAt } from "../sys/io";
import { FEATURE_CGROUPS } from "../features";
import { Store, validateId } from "../state/store";
import { ContainerState } from "../state/container";
import { Status, statusOf } from "../state/status";
import { procStat } from "../state/status";

export class Loaded {
  constructor(public store: Store, public dirfd: i32, public state: ContainerState, public status: Status) {}
  close(): void { sys.close(this.dirfd); }
}

export function openStore(g: Globals, create: bool): Result<Store> {
  return Store.open(g.root, create);
}

// Opens, locks and reads a container. `incomplete` is set when the state dir exists but
// state.json does not (a create that was killed before it recorded init).
export class LoadResult {
  constructor(public loaded: Loaded | null, public err: Failure | null, public store: Store | null,
    public dirfd: i32, public incomplete: bool) {}
}

export function loadContainer(g: Globals, id: string): LoadResult {
  const bad = validateId(id);
  if (bad != null) return new LoadResult(null, bad, null, -1, false);
  const s = openStore(g, false);
  if (!s.ok) {
    if (s.err!.errno == 2) return new LoadResult(null, fail("container", id, "does not exist"), null, -1, false);
    return new LoadResult(null, s.err, null, -1, false);
  }
  const store = s.value;
  const d = store.openDir(id);
  if (!d.ok) return new LoadResult(null, d.err, store, -1, false);
  const st = store.load(d.value, id);
  if (!st.ok) {
    const incomplete = st.err!.errno == 2;
    return new LoadResult(null, incomplete ? fail("container", id, "is still being created or its create failed") : st.err, store, d.value, incomplete);
  }
  const status = statusOf(st.value, d.value);
  return new LoadResult(new Loaded(store, d.value, st.value, status), null, store, d.value, false);
}

const SIG_NAMES: string[] = ["", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
  "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"];

// "TERM", "SIGTERM", "15", "RTMIN+3" -> signal number, or -1.
export function parseSignal(s: string): i32 {
  if (s.length == 0) return -1;
  let allDigits = true;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 0x30 || c > 0x39) allDigits = false; }
  if (allDigits) {
    if (s.length > 2) return -1;
    const n = I32.parseInt(s);
    return n >= 0 && n <= 64 ? n : -1; // 0: only checks that init exists (as runc)
  }
  let name = s.toUpperCase();
  if (name.startsWith("SIG")) name = name.substring(3);
  if (name == "IOT") return 6;
  if (name == "POLL") return 29;
  const i = SIG_NAMES.indexOf(name);
  if (i > 0) return i;
  if (name.startsWith("RTMIN")) {
    if (name.length == 5) return 34;
    if (name.startsWith("RTMIN+")) { const k = I32.parseInt(name.substring(6)); if (k >= 1 && k <= 30) return 34 + k; }
  }
  if (name == "RTMAX") return 64;
  if (name.startsWith("RTMAX-")) { const k = I32.parseInt(name.substring(6)); if (k >= 1 && k <= 30) return 64 - k; }
  return -1;
}

// Sends sig to the container's init through a pidfd (no race with PID reuse once the
// start time has been checked).
export function signalInit(st: ContainerState, sig: i32): i64 {
  const fd = sys.pidfdOpen(st.pid, 0);
  if (fd < 0) return fd;
  const ps = procStat(st.pid);
  if (ps == null || ps.startTime != st.pidStart) { sys.close(<i32>fd); return -ESRCH; }
  const rc = sys.pidfdSendSignal(<i32>fd, sig);
  sys.close(<i32>fd);
  return rc;
}


// PIDs of every process in the container: the members of its freezer cgroup (every process
// it forks, and every exec, is placed there); without cgroups (minimal build), those sharing
// init's mount namespace (exec joins it), else its PID namespace, when init has one of its
// own; else init alone (never the host's processes).
export function containerPids(st: ContainerState): i32[] {
  const out: i32[] = [];
  if (FEATURE_CGROUPS && st.freezerDir.length > 0) {
    const r = readFileAt(sys.AT_FDCWD, st.freezerDir + "/cgroup.procs");
    if (r.ok) {
      const lines = String.UTF8.decode(r.value).split("\n");
      for (let i = 0; i < lines.length; i++) if (lines[i].length > 0) out.push(I32.parseInt(lines[i]));
      return out;
    }
  }
  const pid = st.pid.toString();
  let ns = "mnt";
  let want = nsLink(pid, ns);
  if (want.length > 0 && want == nsLink("self", ns)) {
    ns = "pid";
    want = nsLink(pid, ns);
    if (want.length > 0 && want == nsLink("self", ns)) { out.push(st.pid); return out; }
  }
  if (want.length == 0) return out;
  const names = listDir(sys.AT_FDCWD, "/proc", true);
  for (let i = 0; i < names.length; i++) {
    const c = names[i].charCodeAt(0);
    if (c >= 0x30 && c <= 0x39 && nsLink(names[i], ns) == want) out.push(I32.parseInt(names[i]));
  }
  return out;
}

// Signals every process of the container.
export function signalAll(st: ContainerState, sig: i32): void {
  const pids = containerPids(st);
  for (let i = 0; i < pids.length; i++) sys.kill(pids[i], sig);
}

// Waits (up to timeoutMs) until init has exited, by polling its pidfd.
export function waitInitExit(st: ContainerState, timeoutMs: i32): bool {
  const fd = sys.pidfdOpen(st.pid, 0);
  if (fd < 0) return true;
  const pfd = memory.data(8);
  store<i32>(pfd, <i32>fd);
  store<i16>(pfd, 1, 4); // POLLIN
  store<i16>(pfd, 0, 6);
  let rc: i64;
  do { rc = sys.poll(pfd, 1, timeoutMs); } while (rc == -EINTR);
  sys.close(<i32>fd);
  return rc > 0;
}
