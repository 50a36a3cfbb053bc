// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.personality and
// linux.timeOffsets: parsed into what the kernel calls take.
import { JValue, Kind } from "../json/value";
import { Checker } from "./parse";
import { trimSpaces } from "../util/strings";

export class Scheduler {
  policy: u32 = 0;
  flags: u64 = 0;
  nice: i32 = 0;
  priority: u32 = 0;
  runtime: u64 = 0;
  deadline: u64 = 0;
  period: u64 = 0;
}

const POLICIES: string[] = ["SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"];
const SCHED_FLAGS: string[] = ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
  "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"];
const IOPRIO_CLASSES: string[] = ["", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"];

export function parseScheduler(c: Checker, o: JValue, path: string): Scheduler {
  const s = new Scheduler();
  const policy = c.str(o, "policy", path, true);
  const i = POLICIES.indexOf(policy);
  if (c.err == null && i < 0) c.bad(path + ".policy", "unknown scheduling policy " + policy);
  s.policy = <u32>max(i, 0);
  s.nice = <i32>c.int(o, "nice", path, -20, 19);
  s.priority = <u32>c.int(o, "priority", path, 0, 99);
  const flags = c.strings(o, "flags", path);
  for (let k = 0; k < flags.length && c.err == null; k++) {
    const f = SCHED_FLAGS.indexOf(flags[k]);
    if (f < 0) c.bad(path + ".flags[" + k.toString() + "]", "unknown scheduler flag " + flags[k]);
    else s.flags |= (<u64>1) << f;
  }
  s.runtime = <u64>c.int(o, "runtime", path, 0, 0x7fffffffffffffff);
  s.deadline = <u64>c.int(o, "deadline", path, 0, 0x7fffffffffffffff);
  s.period = <u64>c.int(o, "period", path, 0, 0x7fffffffffffffff);
  return s;
}

// ioprio_set's value: class << 13 | priority.
export function parseIoPriority(c: Checker, o: JValue, path: string): i32 {
  const cls = c.str(o, "class", path, true);
  const k = IOPRIO_CLASSES.indexOf(cls);
  if (c.err == null && k <= 0) c.bad(path + ".class", "unknown I/O priority class " + cls);
  const prio = <i32>c.int(o, "priority", path, 0, 7);
  return (max(k, 0) << 13) | prio;
}

// "0-3,6" -> a CPU bit mask (up to 1024 CPUs), or null when malformed.
export function parseCpuList(list: string): Uint64Array | null {
  const mask = new Uint64Array(16);
  const parts = list.split(",");
  for (let i = 0; i < parts.length; i++) {
    const p = trimSpaces(parts[i]);
    if (p.length == 0) return null;
    const dash = p.indexOf("-");
    const a = dash < 0 ? p : p.substring(0, dash), b = dash < 0 ? p : p.substring(dash + 1);
    const lo = I32.parseInt(a), hi = I32.parseInt(b);
    if (lo.toString() != a || hi.toString() != b || lo < 0 || hi < lo || hi >= 1024) return null;
    for (let cpu = lo; cpu <= hi; cpu++) mask[cpu >> 6] |= (<u64>1) << (cpu & 63);
  }
  return mask;
}

// linux.timeOffsets -> the text /proc/self/timens_offsets takes.
export function parseTimeOffsets(c: Checker, o: JValue): string {
  let text = "";
  const names = ["monotonic", "boottime"];
  for (let i = 0; i < o.keys.length && c.err == null; i++) {
    const k = o.keys[i];
    if (!names.includes(k)) { c.bad("linux.timeOffsets." + k, "unknown clock (monotonic or boottime)"); break; }
    const v = c.object(o.items[i], "linux.timeOffsets." + k, true);
    if (v == null) break;
    const secs = c.int(v, "secs", "linux.timeOffsets." + k, -0x7fffffffffffffff, 0x7fffffffffffffff);
    const ns = c.int(v, "nanosecs", "linux.timeOffsets." + k, 0, 999999999);
    text += k + " " + secs.toString() + " " + ns.toString() + "\n";
  }
  return text;
}

// linux.personality.domain -> personality(2) value.
export function parsePersonality(c: Checker, o: JValue): i32 {
  const d = c.str(o, "domain", "linux.personality", true);
  if (c.strings(o, "flags", "linux.personality").length > 0) c.bad("linux.personality.flags", "no personality flags are supported");
  if (d == "LINUX") return 0;
  if (d == "LINUX32") return 0x0008;
  if (c.err == null) c.bad("linux.personality.domain", "must be LINUX or LINUX32, not " + d);
  return 0;
}
