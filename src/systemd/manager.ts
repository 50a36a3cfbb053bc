// org.freedesktop.systemd1.Manager calls of the systemd cgroup driver: StartTransientUnit
// (the container's scope with init's pid, delegated) and StopUnit, each waited for until
// its job's JobRemoved signal (Subscribe first; on the system bus an AddMatch too).
import { Failure, Result, ok, err, fail } from "../errors/failure";
import { monotonicMs } from "../util/time";
import { CgroupDir } from "../cgroups/layout";
import { Writer } from "./wire";
import { Bus, connectSystemd, SYSTEM_BUS } from "./bus";
import { UnitPlan } from "./unit";

const DEST = "org.freedesktop.systemd1";
const PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const TIMEOUT_MS: i64 = 30000;   // as runc's wait for the job
const U64_MAX: u64 = 0xffffffffffffffff;

// The a(sv) of unit properties.
class Props {
  at: i32;
  constructor(public w: Writer) { this.at = w.beginArray(8); }
  private head(name: string, sig: string): void { this.w.align(8); this.w.str(name); this.w.variant(sig); }
  str(name: string, v: string): void { this.head(name, "s"); this.w.str(v); }
  bool(name: string, v: bool): void { this.head(name, "b"); this.w.bool(v); }
  u64(name: string, v: u64): void { this.head(name, "t"); this.w.u64(v); }
  pids(name: string, pid: u32): void { this.head(name, "au"); const a = this.w.beginArray(4); this.w.u32(pid); this.w.endArray(a, 4); }
  strs(name: string, v: string): void { this.head(name, "as"); const a = this.w.beginArray(4); this.w.str(v); this.w.endArray(a, 4); }
  end(): void { this.w.endArray(this.at, 8); }
}

function limit(v: string): u64 { return v == "max" ? U64_MAX : U64.parseInt(v); }

// The limits systemd keeps on the unit too (so a daemon-reload does not undo them), as runc
// sends them: taken from the cgroup v2 writes the layout made — only controllers this
// host's unified hierarchy offers get there, so nothing is asked of a missing one. The
// cgroupfs writes that follow are what every other setting rests on.
function resourceProps(p: Props, dirs: CgroupDir[]): void {
  for (let i = 0; i < dirs.length; i++) {
    if (!dirs[i].v2) continue;
    const w = dirs[i].writes;
    for (let k = 0; k < w.length; k++) {
      const f = w[k].file, v = w[k].value;
      if (w[k].raw) continue;
      if (f == "memory.max") p.u64("MemoryMax", limit(v));
      else if (f == "memory.low") p.u64("MemoryLow", limit(v));
      else if (f == "memory.swap.max") p.u64("MemorySwapMax", limit(v));
      else if (f == "pids.max") p.u64("TasksMax", limit(v));
      else if (f == "cpu.weight") p.u64("CPUWeight", U64.parseInt(v));
      else if (f == "cpu.max" && !v.startsWith("keep")) {
        const sp = v.indexOf(" ");
        const quota = sp > 0 ? v.substring(0, sp) : v;
        const period: u64 = sp > 0 ? U64.parseInt(v.substring(sp + 1)) : 100000;
        if (period == 0) continue;
        if (sp > 0) p.u64("CPUQuotaPeriodUSec", period);
        p.u64("CPUQuotaPerSecUSec", quota == "max" ? U64_MAX : U64.parseInt(quota) * 1000000 / period);
      }
    }
  }
}

function managerCall(bus: Bus, member: string, signature: string, body: Writer | null): u32 {
  return bus.call(DEST, PATH, MANAGER, member, signature, body);
}

// Subscribe (JobRemoved is only sent to subscribers); the system bus also needs a match rule.
function subscribe(bus: Bus): void {
  if (bus.path == SYSTEM_BUS) {
    const m = new Writer();
    m.str("type='signal',sender='" + DEST + "',path='" + PATH + "',interface='" + MANAGER + "',member='JobRemoved'");
    bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s", m);
  }
  managerCall(bus, "Subscribe", "", null);
}

// Sends `member(unit, "replace", ...)` and waits for its job to end; "done" is success.
function runJob(bus: Bus, member: string, signature: string, body: Writer, unit: string, deadline: i64): Result<string> {
  const serial = managerCall(bus, member, signature, body);
  const f = bus.flush();
  if (f != null) return err<string>(f);
  const r = bus.reply(serial, "systemd " + member, unit, deadline);
  if (!r.ok) return err<string>(r.err!);
  const job = r.value.body!.str();
  if (r.value.body!.bad) return err<string>(fail("systemd " + member, unit, "the reply carries no job path"));
  const j = bus.jobResult(job, deadline);
  if (!j.ok) return err<string>(j.err!.within("systemd " + member + " " + unit + ": wait for job " + job));
  return ok<string>(j.value);
}

function nameMode(unit: string): Writer {
  const b = new Writer();
  b.str(unit);
  b.str("replace");
  return b;
}

// The container's unit, init (pid) in it before init runs anything of the container.
// On failure the unit is stopped again: nothing is left.
export function startUnit(u: UnitPlan, id: string, pid: i32, dirs: CgroupDir[]): Failure | null {
  const deadline = monotonicMs() + TIMEOUT_MS;
  const c = connectSystemd(deadline);
  if (!c.ok) return c.err;
  const bus = c.value;
  subscribe(bus);
  const b = nameMode(u.unit);
  const p = new Props(b);
  p.str("Description", "tsrun container " + id);
  p.bool("DefaultDependencies", false);
  // accounting on (runc's set): on v1 and hybrid hosts it also gives the unit its cgroups
  // in the memory, cpu, blkio and pids hierarchies
  p.bool("MemoryAccounting", true);
  p.bool("CPUAccounting", true);
  p.bool("IOAccounting", true);
  p.bool("TasksAccounting", true);
  if (u.isSlice) {
    p.strs("Wants", u.slice);
  } else {
    p.str("Slice", u.slice);
    p.bool("Delegate", true);
    p.pids("PIDs", <u32>pid);
  }
  resourceProps(p, dirs);
  p.end();
  const aux = b.beginArray(8);
  b.endArray(aux, 8);
  const r = runJob(bus, "StartTransientUnit", "ssa(sv)a(sa(sv))", b, u.unit, deadline);
  let f: Failure | null = r.ok ? null : r.err;
  if (f == null && r.value != "done") f = fail("systemd StartTransientUnit", u.unit, "the start job ended \"" + r.value + "\" (journalctl -u " + u.unit + ")");
  if (f != null && r.ok) stopWith(bus, u.unit, deadline);
  bus.close();
  return f;
}

// StopUnit and wait; a unit systemd no longer knows is already stopped.
function stopWith(bus: Bus, unit: string, deadline: i64): Failure | null {
  const r = runJob(bus, "StopUnit", "ss", nameMode(unit), unit, deadline);
  if (!r.ok) {
    if (r.err!.why.startsWith("org.freedesktop.systemd1.NoSuchUnit")) return null;
    return r.err;
  }
  // A failed scope stays loaded (and named) until reset.
  // (its error, for a unit that did not fail, is of no interest)
  const b = new Writer();
  b.str(unit);
  const serial = managerCall(bus, "ResetFailedUnit", "s", b);
  if (bus.flush() == null) bus.reply(serial, "systemd ResetFailedUnit", unit, deadline);
  return null;
}

export function stopUnit(unit: string): Failure | null {
  const deadline = monotonicMs() + TIMEOUT_MS;
  const c = connectSystemd(deadline);
  if (!c.ok) return c.err;
  subscribe(c.value);
  const f = stopWith(c.value, unit, deadline);
  c.value.close();
  return f;
}
