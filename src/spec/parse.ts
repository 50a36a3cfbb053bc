// config.json (a JSON tree) -> spec/model.ts, validated. Every error names the JSON path
// of the offending field. Anything tsrun does not implement is rejected here, by name,
// before any state is created.
import { JValue, Kind } from "../json/value";
import { Failure, Result, ok, err, fail } from "../errors/failure";
import { Spec, Process, Mount, Namespace, IdMapping, Device, Hook, Rlimit, Capabilities } from "./model";
import { capNumber } from "./caps";
import { applyMountOptions, propagationFlags } from "./mountopts";
import { parseResources } from "../cgroups/resources";
import { parseSeccomp } from "../seccomp/parse";
import { parseIntelRdt } from "../resctrl/schema";
import { FEATURE_CGROUPS, FEATURE_HOOKS, FEATURE_TERMINAL, FEATURE_SECCOMP, BUILD_NAME } from "../features";
import { parseScheduler, parseIoPriority, parseCpuList, parseTimeOffsets, parsePersonality } from "./procextra";

const NS_TYPES: string[] = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];
const NS_FLAGS: i32[] = [0x20000000, 0x40000000, 0x00020000, 0x08000000, 0x04000000, 0x10000000, 0x02000000, 0x00000080];

const RLIMIT_NAMES: string[] = ["RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
  "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"];

export function nsFlag(type: string): i32 {
  const i = NS_TYPES.indexOf(type);
  return i < 0 ? 0 : NS_FLAGS[i];
}

// Collects the first validation error; accessors return defaults after an error.
export class Checker {
  err: Failure | null = null;
  constructor(public file: string) {}

  bad(path: string, why: string): void {
    if (this.err == null) this.err = fail(this.file, "", path + ": " + why);
  }

  object(v: JValue | null, path: string, required: bool): JValue | null {
    if (v == null || v.kind == Kind.Null) {
      if (required) this.bad(path, "is required");
      return null;
    }
    if (v.kind != Kind.Object) { this.bad(path, "must be an object, not " + v.kindName()); return null; }
    return v;
  }

  str(o: JValue, key: string, path: string, required: bool = false, def: string = ""): string {
    const v = o.get(key);
    if (v == null || v.kind == Kind.Null) {
      if (required) this.bad(path + "." + key, "is required");
      return def;
    }
    if (v.kind != Kind.String) { this.bad(path + "." + key, "must be a string, not " + v.kindName()); return def; }
    return v.text;
  }

  bool(o: JValue, key: string, path: string): bool {
    const v = o.get(key);
    if (v == null || v.kind == Kind.Null) return false;
    if (v.kind != Kind.Bool) { this.bad(path + "." + key, "must be a boolean, not " + v.kindName()); return false; }
    return v.bool;
  }

  has(o: JValue, key: string): bool {
    const v = o.get(key);
    return v != null && v.kind != Kind.Null;
  }

  // An integer within [min, max] (as i64; u64 values use u64()).
  int(o: JValue, key: string, path: string, min: i64, max: i64, def: i64 = 0): i64 {
    const v = o.get(key);
    if (v == null || v.kind == Kind.Null) return def;
    return this.intValue(v, path + "." + key, min, max, def);
  }

  intValue(v: JValue, path: string, min: i64, max: i64, def: i64 = 0): i64 {
    if (v.kind != Kind.Number) { this.bad(path, "must be a number, not " + v.kindName()); return def; }
    const t = v.text;
    let neg = false, i = 0, n: u64 = 0;
    if (t.charCodeAt(0) == 0x2d) { neg = true; i = 1; }
    if (i >= t.length) { this.bad(path, "must be an integer"); return def; }
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 0x30 || c > 0x39) { this.bad(path, "must be an integer, not " + t); return def; }
      const d = <u64>(c - 0x30);
      if (n > (<u64>0x7fffffffffffffff - d) / 10) { this.bad(path, "is out of range: " + t); return def; }
      n = n * 10 + d;
    }
    const r: i64 = neg ? -<i64>n : <i64>n;
    if (r < min || r > max) { this.bad(path, "is out of range: " + t); return def; }
    return r;
  }

  u64Value(v: JValue, path: string): u64 {
    if (v.kind != Kind.Number) { this.bad(path, "must be a number, not " + v.kindName()); return 0; }
    const t = v.text;
    let n: u64 = 0;
    if (t.length == 0 || t.length > 20) { this.bad(path, "must be an unsigned 64-bit integer, not " + t); return 0; }
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 0x30 || c > 0x39) { this.bad(path, "must be an unsigned 64-bit integer, not " + t); return 0; }
      const d = <u64>(c - 0x30);
      if (n > (<u64>0xffffffffffffffff - d) / 10) { this.bad(path, "is out of range: " + t); return 0; }
      n = n * 10 + d;
    }
    return n;
  }

  array(o: JValue, key: string, path: string): JValue[] {
    const v = o.get(key);
    if (v == null || v.kind == Kind.Null) return [];
    if (v.kind != Kind.Array) { this.bad(path + "." + key, "must be an array, not " + v.kindName()); return []; }
    return v.items;
  }

  strings(o: JValue, key: string, path: string): string[] {
    const items = this.array(o, key, path);
    const out = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) {
      if (items[i].kind != Kind.String) {
        this.bad(path + "." + key + "[" + i.toString() + "]", "must be a string, not " + items[i].kindName());
        return [];
      }
      out[i] = items[i].text;
    }
    return out;
  }

  // A string->string map (annotations, sysctl).
  stringMap(o: JValue, key: string, path: string, keys: string[], values: string[]): void {
    const m = this.object(o.get(key), path + "." + key, false);
    if (m == null) return;
    for (let i = 0; i < m.keys.length; i++) {
      const v = m.items[i];
      if (v.kind != Kind.String) { this.bad(path + "." + key + "." + m.keys[i], "must be a string"); return; }
      keys.push(m.keys[i]);
      values.push(v.text);
    }
  }
}

// MAJOR.MINOR.PATCH[-prerelease][+build] (semver 2.0).
export function isSemver(v: string): bool {
  let i = 0;
  for (let part = 0; part < 3; part++) {
    const start = i;
    while (i < v.length && v.charCodeAt(i) >= 0x30 && v.charCodeAt(i) <= 0x39) i++;
    if (i == start) return false;
    if (i - start > 1 && v.charCodeAt(start) == 0x30) return false;
    if (part < 2) {
      if (i >= v.length || v.charCodeAt(i) != 0x2e) return false;
      i++;
    }
  }
  if (i == v.length) return true;
  const c = v.charCodeAt(i);
  if (c != 0x2d && c != 0x2b) return false;
  const rest = v.substring(i + 1);
  if (rest.length == 0) return false;
  for (let k = 0; k < rest.length; k++) {
    const d = rest.charCodeAt(k);
    const okc = (d >= 0x30 && d <= 0x39) || (d >= 0x41 && d <= 0x5a) || (d >= 0x61 && d <= 0x7a) || d == 0x2d || d == 0x2e || d == 0x2b;
    if (!okc) return false;
  }
  return true;
}

function parseCapSet(c: Checker, o: JValue, key: string, path: string, lastCap: i32): u64 {
  const names = c.strings(o, key, path);
  let bits: u64 = 0;
  for (let i = 0; i < names.length; i++) {
    const n = capNumber(names[i]);
    if (n < 0) { c.bad(path + "." + key + "[" + i.toString() + "]", "unknown capability " + names[i]); return 0; }
    // Known to tsrun but not to this kernel: skipped, as runc does.
    if (n <= lastCap) bits |= (<u64>1) << n;
  }
  return bits;
}

export function parseProcess(c: Checker, o: JValue, path: string, lastCap: i32): Process {
  const p = new Process();
  p.terminal = c.bool(o, "terminal", path);
  if (p.terminal && !FEATURE_TERMINAL) c.bad(path + ".terminal", "terminals are not in this build of tsrun (" + BUILD_NAME + ")");
  const cs = c.object(o.get("consoleSize"), path + ".consoleSize", false);
  if (cs != null) {
    p.consoleHeight = <u32>c.int(cs, "height", path + ".consoleSize", 0, 0xffff);
    p.consoleWidth = <u32>c.int(cs, "width", path + ".consoleSize", 0, 0xffff);
  }
  const u = c.object(o.get("user"), path + ".user", false);
  if (u != null) {
    p.user.uid = <u32>c.int(u, "uid", path + ".user", 0, 0xffffffff);
    p.user.gid = <u32>c.int(u, "gid", path + ".user", 0, 0xffffffff);
    if (c.has(u, "umask")) p.user.umask = <i32>c.int(u, "umask", path + ".user", 0, 0o777);
    const g = c.array(u, "additionalGids", path + ".user");
    for (let i = 0; i < g.length; i++) {
      p.user.additionalGids.push(<u32>c.intValue(g[i], path + ".user.additionalGids[" + i.toString() + "]", 0, 0xffffffff));
    }
    if (c.has(u, "username")) c.bad(path + ".user.username", "is a Windows field, not supported on Linux");
  }
  p.args = c.strings(o, "args", path);
  if (c.err == null && p.args.length == 0) c.bad(path + ".args", "must be a non-empty array of strings");
  if (c.err == null && p.args[0].length == 0) c.bad(path + ".args[0]", "must not be empty");
  if (c.has(o, "commandLine")) c.bad(path + ".commandLine", "is a Windows field, not supported on Linux");
  p.env = c.strings(o, "env", path);
  for (let i = 0; i < p.env.length && c.err == null; i++) {
    if (p.env[i].indexOf("=") <= 0) c.bad(path + ".env[" + i.toString() + "]", "must be KEY=value, not \"" + p.env[i] + "\"");
  }
  p.cwd = c.str(o, "cwd", path, true);
  if (c.err == null && !p.cwd.startsWith("/")) c.bad(path + ".cwd", "must be an absolute path, not \"" + p.cwd + "\"");
  const caps = c.object(o.get("capabilities"), path + ".capabilities", false);
  if (caps != null) {
    const cp = path + ".capabilities";
    const k = new Capabilities();
    k.bounding = parseCapSet(c, caps, "bounding", cp, lastCap);
    k.effective = parseCapSet(c, caps, "effective", cp, lastCap);
    k.inheritable = parseCapSet(c, caps, "inheritable", cp, lastCap);
    k.permitted = parseCapSet(c, caps, "permitted", cp, lastCap);
    k.ambient = parseCapSet(c, caps, "ambient", cp, lastCap);
    p.caps = k;
  }
  const rl = c.array(o, "rlimits", path);
  for (let i = 0; i < rl.length && c.err == null; i++) {
    const rp = path + ".rlimits[" + i.toString() + "]";
    const r = c.object(rl[i], rp, true);
    if (r == null) break;
    const type = c.str(r, "type", rp, true);
    const res = RLIMIT_NAMES.indexOf(type);
    if (c.err == null && res < 0) { c.bad(rp + ".type", "unknown rlimit type " + type); break; }
    for (let k = 0; k < p.rlimits.length; k++) {
      if (p.rlimits[k].type == type) { c.bad(rp + ".type", "duplicate rlimit type " + type); break; }
    }
    const hv = r.get("hard"), sv = r.get("soft");
    if (hv == null) { c.bad(rp + ".hard", "is required"); break; }
    if (sv == null) { c.bad(rp + ".soft", "is required"); break; }
    const hard = c.u64Value(hv, rp + ".hard");
    const soft = c.u64Value(sv, rp + ".soft");
    if (c.err == null && soft > hard) c.bad(rp, "soft limit " + soft.toString() + " is above hard limit " + hard.toString());
    p.rlimits.push(new Rlimit(type, res, hard, soft));
  }
  p.noNewPrivileges = c.bool(o, "noNewPrivileges", path);
  if (c.has(o, "oomScoreAdj")) {
    p.hasOomScoreAdj = true;
    p.oomScoreAdj = <i32>c.int(o, "oomScoreAdj", path, -1000, 1000);
  }
  p.apparmorProfile = c.str(o, "apparmorProfile", path);
  p.selinuxLabel = c.str(o, "selinuxLabel", path);
  const sched = c.object(o.get("scheduler"), path + ".scheduler", false);
  if (sched != null) p.scheduler = parseScheduler(c, sched, path + ".scheduler");
  const io = c.object(o.get("ioPriority"), path + ".ioPriority", false);
  if (io != null) p.ioPriority = parseIoPriority(c, io, path + ".ioPriority");
  const aff = c.object(o.get("execCPUAffinity"), path + ".execCPUAffinity", false);
  if (aff != null) {
    const ini = c.str(aff, "initial", path + ".execCPUAffinity"), fin = c.str(aff, "final", path + ".execCPUAffinity");
    if (ini.length > 0) { p.cpusInitial = parseCpuList(ini); if (p.cpusInitial == null) c.bad(path + ".execCPUAffinity.initial", "is not a CPU list: " + ini); }
    if (fin.length > 0) { p.cpusFinal = parseCpuList(fin); if (p.cpusFinal == null) c.bad(path + ".execCPUAffinity.final", "is not a CPU list: " + fin); }
  }
  return p;
}

function parseHooks(c: Checker, list: JValue[], path: string, out: Hook[]): void {
  for (let i = 0; i < list.length && c.err == null; i++) {
    const hp = path + "[" + i.toString() + "]";
    const h = c.object(list[i], hp, true);
    if (h == null) return;
    const k = new Hook();
    k.path = c.str(h, "path", hp, true);
    if (c.err == null && !k.path.startsWith("/")) c.bad(hp + ".path", "must be an absolute path");
    k.args = c.strings(h, "args", hp);
    k.env = c.strings(h, "env", hp);
    if (c.has(h, "timeout")) {
      k.hasTimeout = true;
      k.timeout = <i32>c.int(h, "timeout", hp, 1, 0x7fffffff);
    }
    out.push(k);
  }
}

// The kernel's limit on the lines of uid_map/gid_map.
const MAX_MAP_EXTENTS = 340;

function parseMappings(c: Checker, o: JValue, key: string, path: string, out: IdMapping[]): void {
  const items = c.array(o, key, path);
  if (c.err == null && items.length > MAX_MAP_EXTENTS) c.bad(path + "." + key, "at most " + MAX_MAP_EXTENTS.toString() + " ranges (the kernel's limit)");
  for (let i = 0; i < items.length && c.err == null; i++) {
    const mp = path + "." + key + "[" + i.toString() + "]";
    const m = c.object(items[i], mp, true);
    if (m == null) return;
    const cid = c.int(m, "containerID", mp, 0, 0xffffffff);
    const hid = c.int(m, "hostID", mp, 0, 0xffffffff);
    const size = c.int(m, "size", mp, 1, 0xffffffff);
    if (c.err != null) return;
    if (!c.has(m, "containerID")) { c.bad(mp + ".containerID", "is required"); return; }
    if (!c.has(m, "hostID")) { c.bad(mp + ".hostID", "is required"); return; }
    if (!c.has(m, "size")) { c.bad(mp + ".size", "is required"); return; }
    // The kernel needs first + size to fit in 32 bits: the last id is 4294967294.
    if (cid + size > 0xffffffff) { c.bad(mp, "containerID " + cid.toString() + " + size " + size.toString() + " exceeds 4294967295"); return; }
    if (hid + size > 0xffffffff) { c.bad(mp, "hostID " + hid.toString() + " + size " + size.toString() + " exceeds 4294967295"); return; }
    for (let k = 0; k < out.length; k++) {
      const q = out[k];
      const qc = <i64>q.containerID, qh = <i64>q.hostID, qs = <i64>q.size;
      if (cid < qc + qs && qc < cid + size) { c.bad(mp, "containerID range overlaps " + path + "." + key + "[" + k.toString() + "]"); return; }
      if (hid < qh + qs && qh < hid + size) { c.bad(mp, "hostID range overlaps " + path + "." + key + "[" + k.toString() + "]"); return; }
    }
    out.push(new IdMapping(<u32>cid, <u32>hid, <u32>size));
  }
}

// Validates and converts a config.json tree. lastCap: the kernel's highest capability number.
export function parseSpec(root: JValue, lastCap: i32): Result<Spec> {
  const c = new Checker("config.json");
  const s = new Spec();
  if (root.kind != Kind.Object) return err<Spec>(fail("config.json", "", "must be a JSON object, not " + root.kindName()));
  s.ociVersion = c.str(root, "ociVersion", "", true);
  if (c.err == null && !isSemver(s.ociVersion)) c.bad("ociVersion", "\"" + s.ociVersion + "\" is not a semantic version");
  if (c.err == null && !s.ociVersion.startsWith("1.")) c.bad("ociVersion", "\"" + s.ociVersion + "\" is not supported (tsrun implements 1.0.0 to 1.3.0)");

  const rootObj = c.object(root.get("root"), "root", true);
  if (rootObj != null) {
    s.rootPath = c.str(rootObj, "path", "root", true);
    if (c.err == null && s.rootPath.length == 0) c.bad("root.path", "must not be empty");
    s.rootReadonly = c.bool(rootObj, "readonly", "root");
  }

  const proc = c.object(root.get("process"), "process", false);
  if (proc != null) s.process = parseProcess(c, proc, "process", lastCap);

  s.hasHostname = c.has(root, "hostname");
  s.hostname = c.str(root, "hostname", "");
  s.hasDomainname = c.has(root, "domainname");
  s.domainname = c.str(root, "domainname", "");

  const mounts = c.array(root, "mounts", "");
  for (let i = 0; i < mounts.length && c.err == null; i++) {
    const mp = "mounts[" + i.toString() + "]";
    const mo = c.object(mounts[i], mp, true);
    if (mo == null) break;
    const m = new Mount();
    m.destination = c.str(mo, "destination", mp, true);
    if (c.err == null && m.destination.length == 0) c.bad(mp + ".destination", "must not be empty");
    m.type = c.str(mo, "type", mp);
    m.source = c.str(mo, "source", mp);
    m.options = c.strings(mo, "options", mp);
    parseMappings(c, mo, "uidMappings", mp, m.uidMappings);
    parseMappings(c, mo, "gidMappings", mp, m.gidMappings);
    const unsupported = applyMountOptions(m);
    if (c.err == null && unsupported.length > 0) c.bad(mp + ".options", "option \"" + unsupported + "\" is not supported by this version of tsrun");
    const isBind = (m.flags & 4096) != 0 || m.type == "bind";
    if (c.err == null && m.tmpcopyup && m.type != "tmpfs") c.bad(mp + ".options", "tmpcopyup applies to tmpfs mounts only");
    if (c.err == null && m.type.length == 0 && !isBind) c.bad(mp + ".type", "is required unless the mount is a bind mount");
    if (c.err == null && (m.uidMappings.length > 0) != (m.gidMappings.length > 0)) {
      c.bad(mp + (m.uidMappings.length > 0 ? ".gidMappings" : ".uidMappings"), "idmapped mounts need both uidMappings and gidMappings");
    }
    if (m.uidMappings.length > 0) m.idmap = true;
    if (c.err == null && m.idmap && !isBind) c.bad(mp + ".options", "idmapped mounts are only supported for bind mounts");
    s.mounts.push(m);
  }

  const hooks = c.object(root.get("hooks"), "hooks", false);
  if (hooks != null && !FEATURE_HOOKS && hooks.keys.length > 0) c.bad("hooks", "are not in this build of tsrun (" + BUILD_NAME + ")");
  if (hooks != null && FEATURE_HOOKS) {
    parseHooks(c, c.array(hooks, "prestart", "hooks"), "hooks.prestart", s.hooks.prestart);
    parseHooks(c, c.array(hooks, "createRuntime", "hooks"), "hooks.createRuntime", s.hooks.createRuntime);
    parseHooks(c, c.array(hooks, "createContainer", "hooks"), "hooks.createContainer", s.hooks.createContainer);
    parseHooks(c, c.array(hooks, "startContainer", "hooks"), "hooks.startContainer", s.hooks.startContainer);
    parseHooks(c, c.array(hooks, "poststart", "hooks"), "hooks.poststart", s.hooks.poststart);
    parseHooks(c, c.array(hooks, "poststop", "hooks"), "hooks.poststop", s.hooks.poststop);
  }
  c.stringMap(root, "annotations", "", s.annotationKeys, s.annotationValues);

  const lx = c.object(root.get("linux"), "linux", false);
  if (lx != null) parseLinux(c, lx, s);
  if (c.has(root, "windows") || c.has(root, "solaris") || c.has(root, "vm")) c.bad("windows", "only Linux containers are supported");

  if (c.err != null) return err<Spec>(c.err!);
  const v = crossCheck(s);
  if (v != null) return err<Spec>(v);
  return ok<Spec>(s);
}

function parseLinux(c: Checker, lx: JValue, s: Spec): void {
  const L = s.linux;
  const ns = c.array(lx, "namespaces", "linux");
  for (let i = 0; i < ns.length && c.err == null; i++) {
    const np = "linux.namespaces[" + i.toString() + "]";
    const n = c.object(ns[i], np, true);
    if (n == null) break;
    const type = c.str(n, "type", np, true);
    const flag = nsFlag(type);
    if (c.err == null && flag == 0) { c.bad(np + ".type", "unknown namespace type \"" + type + "\""); break; }
    if (L.namespace(type) != null) { c.bad(np + ".type", "duplicate namespace type \"" + type + "\""); break; }
    const path = c.str(n, "path", np);
    if (c.err == null && path.length > 0 && !path.startsWith("/")) c.bad(np + ".path", "must be an absolute path");
    L.namespaces.push(new Namespace(type, flag, path));
  }
  parseMappings(c, lx, "uidMappings", "linux", L.uidMappings);
  parseMappings(c, lx, "gidMappings", "linux", L.gidMappings);
  const devs = c.array(lx, "devices", "linux");
  for (let i = 0; i < devs.length && c.err == null; i++) {
    const dp = "linux.devices[" + i.toString() + "]";
    const o = c.object(devs[i], dp, true);
    if (o == null) break;
    const d = new Device();
    d.type = c.str(o, "type", dp, true);
    d.path = c.str(o, "path", dp, true);
    if (c.err == null && !d.path.startsWith("/")) c.bad(dp + ".path", "must be an absolute path");
    if (c.err == null && d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p") c.bad(dp + ".type", "must be one of c, b, u, p");
    if (d.type != "p") {
      if (c.err == null && (!c.has(o, "major") || !c.has(o, "minor"))) c.bad(dp, "major and minor are required for type " + d.type);
      d.major = c.int(o, "major", dp, 0, 0xfff);
      d.minor = c.int(o, "minor", dp, 0, 0xfffff);
    }
    d.hasFileMode = c.has(o, "fileMode");
    // Podman sends the file type bits too (0o20666 for a character device): accepted when
    // they match the type.
    d.fileMode = <u32>c.int(o, "fileMode", dp, 0, 0o177777);
    const fmt = d.fileMode & 0o170000;
    const want: u32 = d.type == "b" ? 0o060000 : d.type == "p" ? 0o010000 : 0o020000;
    if (c.err == null && fmt != 0 && fmt != want) c.bad(dp + ".fileMode", "file type bits 0o" + fmt.toString(8) + " do not match type " + d.type);
    d.hasUid = c.has(o, "uid");
    d.uid = <u32>c.int(o, "uid", dp, 0, 0xffffffff);
    d.hasGid = c.has(o, "gid");
    d.gid = <u32>c.int(o, "gid", dp, 0, 0xffffffff);
    L.devices.push(d);
  }
  L.cgroupsPath = c.str(lx, "cgroupsPath", "linux");
  const prop = c.str(lx, "rootfsPropagation", "linux");
  if (prop.length > 0) {
    L.rootfsPropagation = propagationFlags(prop);
    if (c.err == null && L.rootfsPropagation == 0) c.bad("linux.rootfsPropagation", "unknown propagation \"" + prop + "\"");
  }
  c.stringMap(lx, "sysctl", "linux", L.sysctlKeys, L.sysctlValues);
  L.maskedPaths = c.strings(lx, "maskedPaths", "linux");
  L.readonlyPaths = c.strings(lx, "readonlyPaths", "linux");
  L.mountLabel = c.str(lx, "mountLabel", "linux");
  const rv = c.object(lx.get("resources"), "linux.resources", false);
  if (rv != null && FEATURE_CGROUPS) L.resources = parseResources(c, rv);
  else if (rv != null) c.bad("linux.resources", "cgroup limits are not in this build of tsrun (" + BUILD_NAME + ")");
  const sc = c.object(lx.get("seccomp"), "linux.seccomp", false);
  if (FEATURE_SECCOMP && sc != null) L.seccomp = parseSeccomp(c, sc, "linux.seccomp");
  else if (sc != null && sc.keys.length > 0) c.bad("linux.seccomp", "seccomp is not in this build of tsrun (" + BUILD_NAME + ")");
  const to = c.object(lx.get("timeOffsets"), "linux.timeOffsets", false);
  if (to != null) L.timeOffsets = parseTimeOffsets(c, to);
  const pers = c.object(lx.get("personality"), "linux.personality", false);
  if (pers != null) L.personality = parsePersonality(c, pers);
  const rdt = c.object(lx.get("intelRdt"), "linux.intelRdt", false);
  if (FEATURE_CGROUPS && rdt != null) L.intelRdt = parseIntelRdt(c, rdt);
  else if (rdt != null) c.bad("linux.intelRdt", "Intel RDT is not in this build of tsrun (" + BUILD_NAME + ")");
}

const IPC_SYSCTLS: string[] = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

// Rules across fields, as runc enforces them.
function crossCheck(s: Spec): Failure | null {
  const L = s.linux;
  const bad = (path: string, why: string): Failure => fail("config.json", "", path + ": " + why);
  if (s.hasHostname && s.hostname.length > 0 && L.namespace("uts") == null) return bad("hostname", "requires a new uts namespace (linux.namespaces)");
  if (s.hasDomainname && s.domainname.length > 0 && L.namespace("uts") == null) return bad("domainname", "requires a new uts namespace (linux.namespaces)");
  const userns = L.namespace("user");
  if (userns != null && userns.path.length == 0 && (L.uidMappings.length == 0 || L.gidMappings.length == 0)) {
    return bad("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
  }
  if (userns == null && (L.uidMappings.length > 0 || L.gidMappings.length > 0)) {
    return bad("linux.uidMappings", "mappings need a new user namespace (linux.namespaces)");
  }
  for (let i = 0; i < L.sysctlKeys.length; i++) {
    // "kernel/msgmax" is accepted as "kernel.msgmax" (runc takes both forms).
    const k = L.sysctlKeys[i].replaceAll("/", ".");
    if (k.length == 0 || k.includes("..") || k.startsWith(".") || k.endsWith(".")) {
      return bad("linux.sysctl." + k, "is not a valid sysctl name");
    }
    // Only sysctls that belong to a namespace the container has (runc's rule).
    if (k.startsWith("net.")) {
      if (L.namespace("network") == null) return bad("linux.sysctl." + k, "needs a network namespace of the container's own (linux.namespaces)");
    } else if (IPC_SYSCTLS.includes(k) || k.startsWith("fs.mqueue.")) {
      if (L.namespace("ipc") == null) return bad("linux.sysctl." + k, "needs an ipc namespace of the container's own (linux.namespaces)");
    } else if (k == "kernel.hostname" || k == "kernel.domainname") {
      if (L.namespace("uts") == null) return bad("linux.sysctl." + k, "needs a uts namespace of the container's own (linux.namespaces)");
    } else {
      return bad("linux.sysctl." + k, "is not namespaced: setting it would change the host");
    }
  }
  for (let i = 0; i < s.mounts.length; i++) {
    const m = s.mounts[i];
    if (m.idmap && m.uidMappings.length == 0 && userns == null) {
      return bad("mounts[" + i.toString() + "].options", "idmap without uidMappings/gidMappings uses the container's user namespace, and there is none (linux.namespaces)");
    }
  }
  if (L.namespace("mount") == null) {
    // Sharing the runtime's mount namespace: `mounts` go under a bind of root.path onto
    // itself, removed whole at delete (linux/hostmounts.ts); the process is chroot()ed into
    // root.path. What would change the host's own mounts or files is refused (runc refuses
    // masked and read-only paths the same way).
    const why = "needs a mount namespace of the container's own (linux.namespaces): without one ";
    if (L.maskedPaths.length > 0) return bad("linux.maskedPaths", why + "they would be masked on the host");
    if (L.readonlyPaths.length > 0) return bad("linux.readonlyPaths", why + "they would be made read-only on the host");
    if (s.rootReadonly) return bad("root.readonly", why + "the host's mount would be made read-only");
    if (L.rootfsPropagation != 0) return bad("linux.rootfsPropagation", why + "it would change the host's mounts");
    if (L.devices.length > 0) return bad("linux.devices", why + "the nodes would be made in the image's /dev on disk");
  }
  if (L.timeOffsets.length > 0) {
    const t = L.namespace("time");
    if (t == null || t.path.length > 0) return bad("linux.timeOffsets", "needs a new time namespace (linux.namespaces)");
  }
  // process.apparmorProfile, process.selinuxLabel, linux.mountLabel: applied (or dropped
  // where the LSM is not enabled) by plan/compile.ts and linux/lsm.ts.
  return null;
}
