// Intel RDT through the resctrl filesystem (as runc's libcontainer/intelrdt does): find the
// resctrl mount, check what the config asks for before anything is made, then (with init's
// pid) make or join the group, write its schemata, add init to `tasks`, make the monitoring
// group; remove what tsrun made at delete. Only reached when linux.intelRdt is set: the
// default create path makes none of these syscalls.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, fail, sysFail } from "../errors/failure";
import { EEXIST, ENOENT } from "../errors/errno";
import { readFileAt, writeExisting, pathExists } from "../sys/io";
import { IntelRdt, groupDir, monDir, resctrlMount, resourceOf, schemataMismatch } from "./schema";
import { joinStrings, trimSpaces } from "../util/strings";

export class RdtPlan {
  root: string = "";      // the resctrl mount
  group: string = "";     // the container's CTRL_MON group
  mon: string = "";       // its MON group (enableMonitoring), or ""
  lines: string[] = [];   // schema lines to write
  exists: bool = false;   // the group was there before (closID made beforehand, or "/")
  created: bool = false;  // tsrun made the group (removed at delete)
}

// The resctrl mount point, or a Failure saying why there is none.
export function findResctrl(): Result<string> {
  const r = readFileAt(sys.AT_FDCWD, "/proc/self/mountinfo");
  if (!r.ok) return err<string>(r.err!);
  const root = resctrlMount(String.UTF8.decode(r.value));
  if (root.length > 0) return ok<string>(root);
  // Which of the two: the kernel has no resctrl at all, or nobody mounted it.
  const fs = readFileAt(sys.AT_FDCWD, "/proc/filesystems");
  const known = fs.ok && String.UTF8.decode(fs.value).includes("\tresctrl\n");
  return err<string>(fail("linux.intelRdt", "", "resctrl is not mounted on this host (" +
    (known ? "mount it first: mount -t resctrl resctrl /sys/fs/resctrl" : "this kernel offers no resctrl filesystem: no Intel RDT / AMD PQoS hardware or support") + ")"));
}

// Everything that can be checked before the container exists.
export function planRdt(rdt: IntelRdt, id: string): Result<RdtPlan> {
  const rr = findResctrl();
  if (!rr.ok) return err<RdtPlan>(rr.err!);
  const p = new RdtPlan();
  p.root = rr.value;
  p.group = groupDir(p.root, rdt.closID, id);
  p.lines = rdt.lines();
  // Each resource must be one this host controls (info/L3, info/MB, ...: CAT, MBA).
  for (let i = 0; i < p.lines.length; i++) {
    const res = resourceOf(p.lines[i]);
    if (!pathExists(p.root + "/info/" + res)) {
      return err<RdtPlan>(fail(rdtField(rdt, p.lines[i]), "", "resource " + res + " is not available on this host (no " + p.root + "/info/" + res + ")"));
    }
  }
  if (rdt.enableMonitoring) {
    if (!pathExists(p.root + "/info/L3_MON")) {
      return err<RdtPlan>(fail("linux.intelRdt.enableMonitoring", "", "resctrl monitoring is not available on this host (no " + p.root + "/info/L3_MON)"));
    }
    p.mon = monDir(p.group, id);
  }
  p.exists = rdt.closID == "/" || pathExists(p.group);
  if (rdt.closID.length > 0 && p.lines.length == 0 && !p.exists) {
    return err<RdtPlan>(fail("linux.intelRdt.closID", p.group, "does not exist (a group without l3CacheSchema, memBwSchema or schemata must be made beforehand)"));
  }
  return ok<RdtPlan>(p);
}

// The config field a schema line came from, for messages.
function rdtField(rdt: IntelRdt, line: string): string {
  if (line == rdt.l3CacheSchema) return "linux.intelRdt.l3CacheSchema";
  if (line == rdt.memBwSchema) return "linux.intelRdt.memBwSchema";
  return "linux.intelRdt.schemata";
}

// The kernel's reason for the last failed resctrl write (info/last_cmd_status), if any.
function lastStatus(root: string): string {
  const r = readFileAt(sys.AT_FDCWD, root + "/info/last_cmd_status");
  if (!r.ok) return "";
  const s = trimSpaces(String.UTF8.decode(r.value));
  return s != "ok" ? s : "";
}

function withStatus(f: Failure, root: string): Failure {
  const s = lastStatus(root);
  if (s.length > 0) f.why = (f.why.length > 0 ? f.why + "; " : "") + "resctrl says \"" + s + "\"";
  return f;
}

// Writes schema lines to a group's schemata file (one write: the kernel applies it whole).
export function writeSchemata(root: string, group: string, lines: string[]): Failure | null {
  const f = writeExisting(group + "/schemata", joinStrings(lines, "\n") + "\n");
  return f == null ? null : withStatus(f, root);
}

// Makes or joins the group and puts pid in it. On failure, undoes what it made.
export function applyRdt(p: RdtPlan, pid: i32): Failure | null {
  if (!p.exists) {
    const rc = sys.mkdirat(sys.AT_FDCWD, p.group, 0o755);
    if (rc == 0) p.created = true;
    else if (rc == -EEXIST) p.exists = true;   // made meanwhile: treated as made beforehand
    else return withStatus(sysFail("create resctrl group", p.group, rc), p.root);
  }
  let f: Failure | null = null;
  if (p.lines.length > 0) {
    if (p.created) {
      f = writeSchemata(p.root, p.group, p.lines);
    } else {
      // A group made beforehand is shared: its schemata must already be what we ask.
      const cur = readFileAt(sys.AT_FDCWD, p.group + "/schemata");
      if (!cur.ok) f = cur.err;
      else {
        const bad = schemataMismatch(p.lines, String.UTF8.decode(cur.value));
        if (bad.length > 0) f = fail("linux.intelRdt", p.group, "the existing group's schemata do not match \"" + bad + "\"");
      }
    }
  }
  if (f == null) f = writeTasks(p.root, p.group, pid);
  if (f == null && p.mon.length > 0) {
    const rc = sys.mkdirat(sys.AT_FDCWD, p.mon, 0o755);
    if (rc < 0 && rc != -EEXIST) f = withStatus(sysFail("create resctrl monitoring group", p.mon, rc), p.root);
    else f = writeTasks(p.root, p.mon, pid);
  }
  if (f != null) removeRdt(p.mon, p.created ? p.group : "");
  return f;
}

function writeTasks(root: string, group: string, pid: i32): Failure | null {
  const f = writeExisting(group + "/tasks", pid.toString());
  return f == null ? null : withStatus(f, root);
}

// delete: the monitoring group, and the group itself when tsrun made it ("" = keep).
export function removeRdt(mon: string, group: string): Failure | null {
  if (mon.length > 0) {
    const rc = sys.unlinkat(sys.AT_FDCWD, mon, sys.AT_REMOVEDIR);
    if (rc < 0 && rc != -ENOENT) return sysFail("remove resctrl monitoring group", mon, rc);
  }
  if (group.length > 0) {
    const rc = sys.unlinkat(sys.AT_FDCWD, group, sys.AT_REMOVEDIR);
    if (rc < 0 && rc != -ENOENT) return sysFail("remove resctrl group", group, rc);
  }
  return null;
}
