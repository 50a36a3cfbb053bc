// Which cgroup directory gets which setting (no filesystem change): per controller a v1
// hierarchy, else the unified hierarchy when it offers the controller, else an error naming
// the config field; settings mapped to v2 files where they land on cgroup v2.
import * as sys from "../sys/syscall";
import { Result, ok, err, fail } from "../errors/failure";
import { readFileAt } from "../sys/io";
import { Resources, CgroupWrite, DeviceRule, defaultDeviceRules, ACCOUNTING } from "./resources";
import { toV2 } from "./v2";
import { hostCgroups, resolvePath } from "./host";
import { trimSpaces } from "../util/strings";

// One cgroup directory of the container and what goes into it.
export class CgroupDir {
  writes: CgroupWrite[] = [];
  rules: DeviceRule[] = [];   // v2: the device filter's rules
  bpf: bool = false;
  cpuset: bool = false;       // v1 cpuset: new directories start empty, filled from the parent
  constructor(public path: string, public v2: bool) {}
  // The mount root of a v2 directory (where enabling controllers starts).
  get mount(): string { return this.path.startsWith("/sys/fs/cgroup/unified/") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"; }
}

export class CgroupPlan {
  dirs: CgroupDir[] = [];
  created: string[] = [];     // directories made by tsrun, deepest first
  v2: bool = false;           // pure v2: one directory, init cloned into it
  freezerDir: string = "";    // where pause/resume write (v1 freezer, or the v2 cgroup)
  allDirs: string[] = [];     // "controllers=dir" for every hierarchy ("=dir": cgroup v2)
  intoFd: i32 = -1;           // pure v2: the directory's fd for clone3's CLONE_INTO_CGROUP
  systemdUnit: string = "";   // --systemd-cgroup: the unit whose cgroup `dirs` are (made by systemd)
}

export function dirOf(entries: string[], controller: string): string {
  for (let k = 0; k < entries.length; k++) {
    const eq = entries[k].indexOf("=");
    if (eq > 0 && entries[k].substring(0, eq).split(",").includes(controller)) return entries[k].substring(eq + 1);
  }
  return "";
}

export function v2DirOf(entries: string[]): string {
  for (let k = 0; k < entries.length; k++) if (entries[k].startsWith("=")) return entries[k].substring(1);
  return "";
}

function getDir(dirs: CgroupDir[], path: string, v2: bool): CgroupDir {
  for (let i = 0; i < dirs.length; i++) if (dirs[i].path == path) return dirs[i];
  const d = new CgroupDir(path, v2);
  dirs.push(d);
  return d;
}

// The controllers the unified hierarchy offers (its root's cgroup.controllers).
function v2Controllers(dir: string): string[] {
  const d = new CgroupDir(dir, true);
  const r = readFileAt(sys.AT_FDCWD, d.mount + "/cgroup.controllers");
  return r.ok ? trimSpaces(String.UTF8.decode(r.value)).split(" ") : [];
}

// Device rules: the config's rules in order, then runc's defaults. linux.devices only makes
// the nodes: access to them is what resources.devices allows (docker run --device X:r stays
// read-only, as with runc).
export function deviceRules(res: Resources): DeviceRule[] {
  const out: DeviceRule[] = [];
  for (let k = 0; k < res.devices.length; k++) out.push(res.devices[k]);
  const defs = defaultDeviceRules();
  for (let k = 0; k < defs.length; k++) out.push(defs[k]);
  return out;
}

// Which directory gets which setting, for the hierarchies in `entries` ("ctls=dir", "=dir"
// for cgroup v2). A controller v1 lacks but the hybrid unified hierarchy has (hugetlb on
// this kind of host) goes there with the v2 file names. No filesystem change.
export function layout(res: Resources, entries: string[], withFreezer: bool): Result<CgroupDir[]> {
  const dirs: CgroupDir[] = [];
  const v2dir = v2DirOf(entries);
  let pureV2 = v2dir.length > 0;
  for (let k = 0; k < entries.length; k++) if (!entries[k].startsWith("=")) pureV2 = false;
  let offered: string[] | null = null;
  const ctls = res.controllers(withFreezer);
  for (let i = 0; i < ctls.length; i++) {
    const ctl = ctls[i];
    if (pureV2 && (ctl == "freezer" || ctl == "devices")) {
      const d = getDir(dirs, v2dir, true);
      if (ctl == "devices") { d.bpf = true; d.rules = deviceRules(res); }
      continue;
    }
    const v1dir = pureV2 ? "" : dirOf(entries, ctl);
    if (v1dir.length > 0) {
      const d = getDir(dirs, v1dir, false);
      if (ctl == "cpuset") d.cpuset = true;
      if (ctl == "devices") {
        const rules = deviceRules(res);
        for (let k = 0; k < rules.length; k++) d.writes.push(new CgroupWrite("devices", rules[k].allow ? "devices.allow" : "devices.deny", rules[k].text(), "linux.resources.devices"));
      }
      for (let k = 0; k < res.writes.length; k++) if (!res.writes[k].raw && res.writes[k].controller == ctl) d.writes.push(res.writes[k]);
      continue;
    }
    if (ctl == "cpuacct") continue;  // only for stats; v2 accounts cpu in every cgroup
    if (res.accounting && ACCOUNTING.includes(ctl) && !res.sets(ctl)) continue;  // not on this host: no stats
    const field = res.firstField(ctl);
    if (v2dir.length == 0 || ctl == "freezer" || ctl == "devices") {
      return err<CgroupDir[]>(fail(field.length > 0 ? field : "cgroups", "", "the " + ctl + " cgroup controller is not mounted on this host"));
    }
    if (offered == null) offered = v2Controllers(v2dir);
    if (!offered!.includes(ctl)) {
      return err<CgroupDir[]>(fail(field, "", "the " + ctl + " controller is not available on this host (not in the cgroup v2 cgroup.controllers" + (pureV2 ? ")" : ", nor a v1 hierarchy)")));
    }
    const d = getDir(dirs, v2dir, true);
    for (let k = 0; k < res.writes.length; k++) {
      const w = res.writes[k];
      if (w.raw || w.controller != ctl) continue;
      const why = toV2(w, res.writes, d.writes);
      if (why.length > 0) return err<CgroupDir[]>(fail(w.field, "", why));
    }
  }
  // linux.resources.unified: last, so its raw values win.
  for (let k = 0; k < res.writes.length; k++) {
    const w = res.writes[k];
    if (!w.raw) continue;
    if (v2dir.length == 0) return err<CgroupDir[]>(fail(w.field, "", "needs cgroup v2 (this host has cgroup v1 only)"));
    if (offered == null) offered = v2Controllers(v2dir);
    if (w.controller != "cgroup" && !offered!.includes(w.controller)) {
      return err<CgroupDir[]>(fail(w.field, "", "the " + w.controller + " controller is not on this host's cgroup v2 hierarchy" + (pureV2 ? "" : " (it is a v1 one here)")));
    }
    getDir(dirs, v2dir, true).writes.push(w);
  }
  return ok<CgroupDir[]>(dirs);
}

// Decides directories and file writes; no filesystem change yet. unitPath: under the
// systemd driver, the unit's cgroup path (the same in every hierarchy, from its root).
export function planCgroups(res: Resources, cgroupsPath: string, id: string, unitPath: string = ""): Result<CgroupPlan> {
  const hr = hostCgroups();
  if (!hr.ok) return err<CgroupPlan>(hr.err!);
  const h = hr.value;
  const p = new CgroupPlan();
  const sd = unitPath.length > 0;
  for (let i = 0; i < h.v1.length; i++) p.allDirs.push(h.v1[i].controllers + "=" + h.v1[i].mount + (sd ? unitPath : resolvePath(cgroupsPath, h.v1[i].own, id)));
  if (h.v2 != null) p.allDirs.push("=" + h.v2!.mount + (sd ? unitPath : resolvePath(cgroupsPath, h.v2!.own, id)));
  const lr = layout(res, p.allDirs, true);
  if (!lr.ok) return err<CgroupPlan>(lr.err!);
  p.dirs = lr.value;
  p.v2 = h.pureV2;
  p.freezerDir = p.v2 ? v2DirOf(p.allDirs) : dirOf(p.allDirs, "freezer");
  return ok<CgroupPlan>(p);
}
