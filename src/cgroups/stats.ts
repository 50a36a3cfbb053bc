// Resource usage of a container from its cgroup files, as runc's `events` prints it (the
// "data" of a "stats" event: cpu, cpuset, memory, pids, blkio, hugetlb). Only the
// controllers the container has a cgroup in are read (tsrun makes cgroups only for the
// controllers its config uses, plus the freezer).
import * as sys from "../sys/syscall";
import { readFileAt, listDir, pathExists } from "../sys/io";
import { JsonWriter } from "../json/writer";
import { trimSpaces } from "../util/strings";

class Dirs {
  v1: string[] = [];    // "controllers=dir"
  v2: string = "";
  of(ctl: string): string {
    for (let k = 0; k < this.v1.length; k++) {
      const eq = this.v1[k].indexOf("=");
      if (this.v1[k].substring(0, eq).split(",").includes(ctl)) return this.v1[k].substring(eq + 1);
    }
    return "";
  }
}

function text(path: string): string {
  const r = readFileAt(sys.AT_FDCWD, path);
  return r.ok ? trimSpaces(String.UTF8.decode(r.value)) : "";
}

function num(s: string): u64 {
  if (s.length == 0 || s == "max") return 0;
  return U64.parseInt(s);
}

// "key value" lines -> value of key (0 when absent).
function field(t: string, key: string): u64 {
  const lines = t.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const sp = lines[i].indexOf(" ");
    if (sp > 0 && lines[i].substring(0, sp) == key) return num(trimSpaces(lines[i].substring(sp + 1)));
  }
  return 0;
}

function numbers(w: JsonWriter, t: string): void {
  w.beginArray();
  const parts = t.split(" ");
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) w.unum(num(parts[i]));
  w.endArray();
}

// "0-2,4" -> [0,1,2,4]
function cpuList(w: JsonWriter, t: string): void {
  w.beginArray();
  const parts = t.split(",");
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].length == 0) continue;
    const r = parts[i].split("-");
    const a = I32.parseInt(r[0]), b = r.length > 1 ? I32.parseInt(r[1]) : a;
    for (let k = a; k <= b && k - a < 4096; k++) w.num(k);
  }
  w.endArray();
}

function memoryData(w: JsonWriter, k: string, dir: string, prefix: string, withMax: bool): void {
  w.key(k).beginObject();
  w.key("limit").unum(num(text(dir + "/" + prefix + "limit_in_bytes")));
  w.key("usage").unum(num(text(dir + "/" + prefix + "usage_in_bytes")));
  if (withMax) w.key("max").unum(num(text(dir + "/" + prefix + "max_usage_in_bytes")));
  w.key("failcnt").unum(num(text(dir + "/" + prefix + "failcnt")));
  w.endObject();
}

function raw(w: JsonWriter, t: string): void {
  w.key("raw").beginObject();
  const lines = t.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const sp = lines[i].indexOf(" ");
    if (sp > 0) w.key(lines[i].substring(0, sp)).unum(num(trimSpaces(lines[i].substring(sp + 1))));
  }
  w.endObject();
}

// blkio "8:0 Read 4096" lines (v1) as runc's entries.
function blkioEntries(w: JsonWriter, key: string, t: string): void {
  w.key(key).beginArray();
  const lines = t.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const p = lines[i].split(" ");
    if (p.length != 3) continue;
    const c = p[0].indexOf(":");
    if (c < 0) continue;
    w.beginObject().key("major").unum(num(p[0].substring(0, c))).key("minor").unum(num(p[0].substring(c + 1)));
    w.kstr("op", p[1]).key("value").unum(num(p[2])).endObject();
  }
  w.endArray();
}

// v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." -> the same entries.
function ioStat(w: JsonWriter, t: string): void {
  const keys = ["rbytes", "Read", "wbytes", "Write", "rios", "Read", "wios", "Write"];
  const lines = t.split("\n");
  for (let pass = 0; pass < 2; pass++) {
    w.key(pass == 0 ? "ioServiceBytesRecursive" : "ioServicedRecursive").beginArray();
    for (let i = 0; i < lines.length; i++) {
      const p = lines[i].split(" ");
      const c = p[0].indexOf(":");
      if (c < 0) continue;
      for (let k = 1; k < p.length; k++) {
        const eq = p[k].indexOf("=");
        const at = keys.indexOf(p[k].substring(0, eq));
        if (eq < 0 || at < 0 || (at / 4) != pass) continue;
        w.beginObject().key("major").unum(num(p[0].substring(0, c))).key("minor").unum(num(p[0].substring(c + 1)));
        w.kstr("op", keys[at + 1]).key("value").unum(num(p[k].substring(eq + 1))).endObject();
      }
    }
    w.endArray();
  }
}

// The host's huge page sizes as hugetlb files name them ("hugepages-2048kB" -> "2MB").
export function pageSizes(): string[] {
  const out: string[] = [];
  const names = listDir(sys.AT_FDCWD, "/sys/kernel/mm/hugepages", true);
  for (let i = 0; i < names.length; i++) {
    if (!names[i].startsWith("hugepages-") || !names[i].endsWith("kB")) continue;
    const kb = U64.parseInt(names[i].substring(10, names[i].length - 2));
    out.push(kb % 1048576 == 0 ? (kb / 1048576).toString() + "GB" : kb % 1024 == 0 ? (kb / 1024).toString() + "MB" : kb.toString() + "KB");
  }
  return out;
}

function hugetlb(w: JsonWriter, dir: string, v2: bool): void {
  w.key("hugetlb").beginObject();
  const sizes = dir.length > 0 ? pageSizes() : [];
  for (let i = 0; i < sizes.length; i++) {
    const b = dir + "/hugetlb." + sizes[i];
    if (!pathExists(b + (v2 ? ".current" : ".usage_in_bytes"))) continue;
    w.key(sizes[i]).beginObject();
    if (v2) {
      w.key("usage").unum(num(text(b + ".current")));
      w.key("failcnt").unum(field(text(b + ".events"), "max"));
    } else {
      w.key("usage").unum(num(text(b + ".usage_in_bytes")));
      w.key("max").unum(num(text(b + ".max_usage_in_bytes")));
      w.key("failcnt").unum(num(text(b + ".failcnt")));
    }
    w.endObject();
  }
  w.endObject();
}

function v1Stats(w: JsonWriter, d: Dirs, v2dir: string): void {
  const acct = d.of("cpuacct"), cpu = d.of("cpu");
  w.key("cpu").beginObject();
  if (pathExists(acct)) {
    const st = text(acct + "/cpuacct.stat");
    const tick: u64 = 10000000; // USER_HZ 100 -> ns
    w.key("usage").beginObject();
    w.key("total").unum(num(text(acct + "/cpuacct.usage")));
    w.key("percpu"); numbers(w, text(acct + "/cpuacct.usage_percpu"));
    w.key("percpu_kernel"); numbers(w, text(acct + "/cpuacct.usage_percpu_sys"));
    w.key("percpu_user"); numbers(w, text(acct + "/cpuacct.usage_percpu_user"));
    w.key("kernel").unum(field(st, "system") * tick).key("user").unum(field(st, "user") * tick);
    w.endObject();
  }
  if (pathExists(cpu)) {
    const st = text(cpu + "/cpu.stat");
    w.key("throttling").beginObject().key("periods").unum(field(st, "nr_periods"))
      .key("throttled_periods").unum(field(st, "nr_throttled")).key("throttled_time").unum(field(st, "throttled_time")).endObject();
  }
  w.endObject();
  const cs = d.of("cpuset");
  if (pathExists(cs)) {
    w.key("cpuset").beginObject();
    w.key("cpus"); cpuList(w, text(cs + "/cpuset.cpus"));
    w.key("mems"); cpuList(w, text(cs + "/cpuset.mems"));
    w.endObject();
  }
  const mem = d.of("memory");
  if (pathExists(mem)) {
    const st = text(mem + "/memory.stat");
    w.key("memory").beginObject();
    w.key("cache").unum(field(st, "cache"));
    memoryData(w, "usage", mem, "memory.", true);
    memoryData(w, "swap", mem, "memory.memsw.", true);
    memoryData(w, "kernel", mem, "memory.kmem.", true);
    memoryData(w, "kernelTCP", mem, "memory.kmem.tcp.", true);
    raw(w, st);
    w.endObject();
  }
  const pids = d.of("pids");
  if (pathExists(pids)) w.key("pids").beginObject().key("current").unum(num(text(pids + "/pids.current"))).key("limit").unum(num(text(pids + "/pids.max"))).endObject();
  const blk = d.of("blkio");
  w.key("blkio").beginObject();
  if (pathExists(blk)) {
    blkioEntries(w, "ioServiceBytesRecursive", text(blk + "/blkio.throttle.io_service_bytes_recursive"));
    blkioEntries(w, "ioServicedRecursive", text(blk + "/blkio.throttle.io_serviced_recursive"));
  }
  w.endObject();
  const hv1 = d.of("hugetlb");
  if (pathExists(hv1)) hugetlb(w, hv1, false);
  else hugetlb(w, pathExists(v2dir) ? v2dir : "", true);
}

function v2Stats(w: JsonWriter, dir: string): void {
  const st = text(dir + "/cpu.stat");
  w.key("cpu").beginObject();
  w.key("usage").beginObject().key("total").unum(field(st, "usage_usec") * 1000)
    .key("kernel").unum(field(st, "system_usec") * 1000).key("user").unum(field(st, "user_usec") * 1000).endObject();
  w.key("throttling").beginObject().key("periods").unum(field(st, "nr_periods"))
    .key("throttled_periods").unum(field(st, "nr_throttled")).key("throttled_time").unum(field(st, "throttled_usec") * 1000).endObject();
  w.endObject();
  if (pathExists(dir + "/memory.current")) {
    const ms = text(dir + "/memory.stat");
    w.key("memory").beginObject();
    w.key("cache").unum(field(ms, "file"));
    w.key("usage").beginObject().key("limit").unum(num(text(dir + "/memory.max"))).key("usage").unum(num(text(dir + "/memory.current")))
      .key("max").unum(num(text(dir + "/memory.peak"))).key("failcnt").unum(field(text(dir + "/memory.events"), "max")).endObject();
    w.key("swap").beginObject().key("limit").unum(num(text(dir + "/memory.swap.max"))).key("usage").unum(num(text(dir + "/memory.swap.current"))).endObject();
    raw(w, ms);
    w.endObject();
  }
  if (pathExists(dir + "/pids.current")) w.key("pids").beginObject().key("current").unum(num(text(dir + "/pids.current"))).key("limit").unum(num(text(dir + "/pids.max"))).endObject();
  w.key("blkio").beginObject();
  if (pathExists(dir + "/io.stat")) ioStat(w, text(dir + "/io.stat"));
  w.endObject();
  hugetlb(w, dir, true);
}

// The "data" object of a stats event. allDirs: the state's "controllers=dir" entries.
export function statsJson(allDirs: string[], pureV2: bool): string {
  const d = new Dirs();
  for (let i = 0; i < allDirs.length; i++) {
    if (allDirs[i].startsWith("=")) d.v2 = allDirs[i].substring(1);
    else d.v1.push(allDirs[i]);
  }
  const w = new JsonWriter();
  w.beginObject();
  if (pureV2) v2Stats(w, d.v2);
  else v1Stats(w, d, d.v2);
  w.key("intel_rdt").beginObject().endObject();
  w.key("network_interfaces").nul();
  w.endObject();
  return w.toString();
}
