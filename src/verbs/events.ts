// events [--stats] [--interval D] ID: runc's JSON event stream (one object per line): a
// "stats" event every interval and an "oom" event when the kernel's OOM killer acts in the
// container's memory cgroup (v1: memory.oom_control through cgroup.event_control and an
// eventfd; v2: memory.events, whose changes wake poll). Ends when init exits. `--stats`:
// one stats event, then exit. `stats ID`: the stats object alone (runc has no such verb).
import * as sys from "../sys/syscall";
import { Failure, Result, err, fail, ok, sysFail } from "../errors/failure";
import { EINTR } from "../errors/errno";
import { Globals } from "../cli/globals";
import { print, writeExisting } from "../sys/io";
import { JsonWriter } from "../json/writer";
import { Status } from "../state/status";
import { ContainerState } from "../state/container";
import { statsJson } from "../cgroups/stats";
import { loadContainer } from "./common";

// Go's time.Duration syntax as runc's --interval takes it ("5s", "100ms", "1m30s", "1.5s")
// -> milliseconds; -1 when invalid.
export function parseDurationMs(s: string): i64 {
  let total: f64 = 0;
  let i = 0;
  if (s.length == 0) return -1;
  while (i < s.length) {
    const start = i;
    while (i < s.length && ((s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) || s.charCodeAt(i) == 0x2e)) i++;
    if (i == start) return -1;
    const digits = s.substring(start, i);
    if (digits.indexOf(".") != digits.lastIndexOf(".")) return -1;  // "1.2.3"
    const n = F64.parseFloat(digits);
    if (!isFinite(n)) return -1;  // "."
    const us = i;
    while (i < s.length && !(s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) && s.charCodeAt(i) != 0x2e) i++;
    const unit = s.substring(us, i);
    let ms: f64;
    if (unit == "ns") ms = 0.000001;
    else if (unit == "us" || unit == "µs") ms = 0.001;
    else if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60000;
    else if (unit == "h") ms = 3600000;
    else return -1;
    total += n * ms;
  }
  if (total > 86400000.0 * 365) return -1;
  return <i64>Math.ceil(total);
}

function statsEvent(st: ContainerState): string {
  const w = new JsonWriter();
  w.beginObject().kstr("type", "stats").kstr("id", st.id).key("data").raw(statsJson(st.cgroupAll, st.cgroupV2)).endObject();
  return w.toString();
}

function oomEvent(id: string): string {
  return new JsonWriter().beginObject().kstr("type", "oom").kstr("id", id).endObject().toString();
}

function dirFor(st: ContainerState, ctl: string): string {
  for (let k = 0; k < st.cgroupAll.length; k++) {
    const e = st.cgroupAll[k], eq = e.indexOf("=");
    if ((st.cgroupV2 && eq == 0) || (eq > 0 && e.substring(0, eq).split(",").includes(ctl))) return e.substring(eq + 1);
  }
  return "";
}

// The oom_kill count of memory.events, read through the watched fd (re-arms its poll).
function counter(fd: i32, key: string): i64 {
  const buf = new ArrayBuffer(4096);
  sys.lseek(fd, 0, 0);
  const n = sys.read(fd, changetype<usize>(buf), 4096);
  if (n <= 0) return 0;
  const lines = String.UTF8.decode(buf.slice(0, <i32>n)).split("\n");
  for (let i = 0; i < lines.length; i++) if (lines[i].startsWith(key + " ")) return I64.parseInt(lines[i].substring(key.length + 1));
  return 0;
}

const SYS_eventfd2: i32 = 290;
const POLLIN: i16 = 1, POLLPRI: i16 = 2;

// An fd that becomes ready on OOM (v1 eventfd, v2 memory.events); -1 without a memory cgroup.
function oomWatch(st: ContainerState): i64 {
  const mem = dirFor(st, "memory");
  if (mem.length == 0 || sys.faccessat(sys.AT_FDCWD, mem + (st.cgroupV2 ? "/memory.events" : "/memory.oom_control"), 0) != 0) return -1;
  if (st.cgroupV2) return sys.openat(sys.AT_FDCWD, mem + "/memory.events", sys.O_RDONLY | sys.O_CLOEXEC);
  const efd = sys.sys6Raw(SYS_eventfd2, 0, sys.O_CLOEXEC, 0, 0, 0, 0);
  if (efd < 0) return efd;
  const ofd = sys.openat(sys.AT_FDCWD, mem + "/memory.oom_control", sys.O_RDONLY | sys.O_CLOEXEC);
  if (ofd < 0) { sys.close(<i32>efd); return ofd; }
  const f = writeExisting(mem + "/cgroup.event_control", efd.toString() + " " + ofd.toString());
  sys.close(<i32>ofd);
  if (f != null) { sys.close(<i32>efd); return -1; }
  return efd;
}

// The state of a container that is not stopped and has cgroups to read (events, stats).
function runningWithCgroups(g: Globals, id: string, verb: string): Result<ContainerState> {
  const r = loadContainer(g, id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return err<ContainerState>(r.err!); }
  const c = r.loaded!;
  const st = c.state;
  const status = c.status;
  c.close();
  if (status == Status.Stopped) return err<ContainerState>(fail(verb, id, "the container is not running"));
  if (st.cgroupAll.length == 0) return err<ContainerState>(fail(verb, id, "the container has no cgroups"));
  return ok<ContainerState>(st);
}

export function events(g: Globals, id: string, once: bool, interval: string): Failure | null {
  const ms = parseDurationMs(interval);
  if (ms <= 0) return fail("events", "--interval", "invalid duration \"" + interval + "\" (e.g. 5s, 500ms)");
  const r = runningWithCgroups(g, id, "events");
  if (r.err != null) return r.err;
  const st = r.value;
  if (once) { print(statsEvent(st) + "\n"); return null; }

  const pidfd = sys.pidfdOpen(st.pid, 0);
  if (pidfd < 0) return sysFail("events: watch init of", id, pidfd);
  const oom = oomWatch(st);
  let kills = st.cgroupV2 && oom >= 0 ? counter(<i32>oom, "oom_kill") : 0;
  const pfd = memory.data(16);
  const buf = memory.data(8);
  for (;;) {
    store<i32>(pfd, <i32>pidfd); store<i16>(pfd, POLLIN, 4); store<i16>(pfd, 0, 6);
    store<i32>(pfd, <i32>oom, 8); store<i16>(pfd, st.cgroupV2 ? POLLPRI : POLLIN, 12); store<i16>(pfd, 0, 14);
    const rc = sys.poll(pfd, oom >= 0 ? 2 : 1, <i32>ms);
    if (rc == -EINTR) continue;
    if (rc < 0) { sys.close(<i32>pidfd); if (oom >= 0) sys.close(<i32>oom); return sysFail("events: poll", id, rc); }
    if (rc == 0) { print(statsEvent(st) + "\n"); continue; }
    if (oom >= 0 && load<i16>(pfd, 14) != 0) {
      if (st.cgroupV2) {
        const now = counter(<i32>oom, "oom_kill");
        for (let k = kills; k < now; k++) print(oomEvent(id) + "\n");
        kills = now;
      } else {
        sys.read(<i32>oom, buf, 8);
        print(oomEvent(id) + "\n");
      }
    }
    if (load<i16>(pfd, 6) != 0) break;  // init exited: the container stopped
  }
  sys.close(<i32>pidfd);
  if (oom >= 0) sys.close(<i32>oom);
  return null;
}

export function stats(g: Globals, id: string): Failure | null {
  const r = runningWithCgroups(g, id, "stats");
  if (r.err != null) return r.err;
  const st = r.value;
  print(statsJson(st.cgroupAll, st.cgroupV2) + "\n");
  return null;
}
