// cgroup v1 settings (resources.ts) -> cgroup v2 files, with the value conversions runc and
// crun use. Pure: unit-tested without a kernel (test/unit/config.test.mjs).
import { CgroupWrite } from "./resources";

// cpu.shares [2, 262144] -> cpu.weight [1, 10000] (linear, as runc 1.1 and crun 1.8).
export function sharesToWeight(shares: i64): i64 {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  return 1 + ((shares - 2) * 9999) / 262142;
}

// blkio weight [10, 1000] -> io.weight [1, 10000] (runc's conversion).
export function blkioToIoWeight(w: i64): i64 {
  if (w <= 10) return 1;
  if (w >= 1000) return 10000;
  return 1 + ((w - 10) * 9999) / 990;
}

// cpu.max: "$QUOTA $PERIOD"; quota -1 -> "max"; no period -> only the quota (the kernel keeps
// the period); no quota -> "keep" (the writer puts the current quota back).
export function cpuMax(quota: string, period: string): string {
  const q = quota.length == 0 ? "keep" : quota == "-1" ? "max" : quota;
  return period.length == 0 ? q : q + " " + period;
}

// memory.swap.max from runtime-spec's memory.swap (memory + swap, v1 memsw semantics).
// Returns "" and sets why on a combination v2 cannot express.
export class Swap { value: string = ""; why: string = ""; }
export function swapMax(swap: string, limit: string): Swap {
  const r = new Swap();
  if (swap == "-1") { r.value = "max"; return r; }
  if (limit.length == 0) { r.why = "on cgroup v2 needs memory.limit in the same request (swap.max = swap - limit)"; return r; }
  if (limit == "-1") { r.why = "a finite swap with an unlimited memory.limit has no cgroup v2 equivalent"; return r; }
  const s = I64.parseInt(swap), l = I64.parseInt(limit);
  if (s < l) { r.why = "must be at least memory.limit (it counts memory plus swap)"; return r; }
  r.value = (s - l).toString();
  return r;
}

function valueOf(all: CgroupWrite[], file: string): string {
  for (let i = 0; i < all.length; i++) if (!all[i].raw && all[i].file == file) return all[i].value;
  return "";
}

function put(ctl: string, file: string, value: string, field: string): CgroupWrite { return new CgroupWrite(ctl, file, value, field); }

const THROTTLE: string[] = ["blkio.throttle.read_bps_device", "rbps", "blkio.throttle.write_bps_device", "wbps",
  "blkio.throttle.read_iops_device", "riops", "blkio.throttle.write_iops_device", "wiops"];

// Appends the v2 form of w to out; returns why it cannot be expressed ("" = fine).
export function toV2(w: CgroupWrite, all: CgroupWrite[], out: CgroupWrite[]): string {
  if (w.raw) { out.push(w); return ""; }
  const f = w.file, v = w.value;
  if (f == "memory.limit_in_bytes") out.push(put("memory", "memory.max", v == "-1" ? "max" : v, w.field));
  else if (f == "memory.soft_limit_in_bytes") out.push(put("memory", "memory.low", v == "-1" ? "max" : v, w.field));
  else if (f == "memory.memsw.limit_in_bytes") {
    const s = swapMax(v, valueOf(all, "memory.limit_in_bytes"));
    if (s.why.length > 0) return s.why;
    out.push(put("memory", "memory.swap.max", s.value, w.field));
  } else if (f == "memory.use_hierarchy") { /* v2 is always hierarchical: true holds */ }
  else if (f == "pids.max" || f == "cpuset.cpus" || f == "cpuset.mems" || f == "cpu.idle" || f == "rdma.max") out.push(put(w.controller, f, v, w.field));
  else if (f == "cpu.shares") out.push(put("cpu", "cpu.weight", sharesToWeight(I64.parseInt(v)).toString(), w.field));
  else if (f == "cpu.cfs_quota_us" || f == "cpu.cfs_period_us") {
    // One cpu.max write for both, at the first of them.
    for (let i = 0; i < out.length; i++) if (out[i].file == "cpu.max") return "";
    out.push(put("cpu", "cpu.max", cpuMax(valueOf(all, "cpu.cfs_quota_us"), valueOf(all, "cpu.cfs_period_us")), w.field));
  } else if (f == "cpu.cfs_burst_us") out.push(put("cpu", "cpu.max.burst", v, w.field));
  else if (f == "blkio.weight") {
    out.push(put("io", "io.bfq.weight", v, w.field).withAlt("io.weight", "default " + blkioToIoWeight(I64.parseInt(v)).toString()));
  } else if (f == "blkio.weight_device") {
    const sp = v.indexOf(" ");
    const conv = v.substring(0, sp) + " " + blkioToIoWeight(I64.parseInt(v.substring(sp + 1))).toString();
    out.push(put("io", "io.bfq.weight", v, w.field).withAlt("io.weight", conv));
  } else if (f.startsWith("hugetlb.") && f.endsWith(".limit_in_bytes")) {
    out.push(put("hugetlb", f.substring(0, f.length - 15) + ".max", v, w.field));
  } else {
    const t = THROTTLE.indexOf(f);
    if (t >= 0) {
      const sp = v.indexOf(" ");
      const rate = v.substring(sp + 1);
      out.push(put("io", "io.max", v.substring(0, sp) + " " + THROTTLE[t + 1] + "=" + (rate == "0" ? "max" : rate), w.field));
    } else return "has no cgroup v2 equivalent (" + f + " is cgroup v1 only)";
  }
  return "";
}
