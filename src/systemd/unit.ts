// linux.cgroupsPath under the systemd driver: "slice:prefix:name" (runc's form). The unit is
// "prefix-name.scope" in `slice` (system.slice when empty), or the slice unit `name` when it
// ends in ".slice"; its cgroup path follows systemd's naming (a-b.slice -> /a.slice/a-b.slice).
import { Result, ok, err, fail } from "../errors/failure";

export class UnitPlan {
  unit: string = "";    // tsrun-ID.scope, or X.slice
  slice: string = "";   // the parent slice (Slice= of a scope, Wants= of a slice)
  path: string = "";    // its cgroup, from the hierarchy root: /system.slice/tsrun-ID.scope
  get isSlice(): bool { return this.unit.endsWith(".slice"); }
}

// systemd's unit name characters (unit_name_is_valid): [A-Za-z0-9:_.\-@], at most 255 bytes.
function validUnitName(s: string): bool {
  if (s.length == 0 || s.length > 255) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum && c != 58 && c != 95 && c != 46 && c != 45 && c != 64 && c != 92) return false;
  }
  return true;
}

// A slice name -> its cgroup path ("-.slice": the root, ""); an error naming
// linux.cgroupsPath unless every dash-separated part is non-empty, there is no "/" and the
// name ends in ".slice".
export function expandSlice(slice: string): Result<string> {
  const bad = err<string>(fail("linux.cgroupsPath", "\"" + slice + "\"", "is not a valid systemd slice name (e.g. system.slice, machine-app.slice)"));
  if (!slice.endsWith(".slice") || slice.includes("/") || !validUnitName(slice)) return bad;
  if (slice == "-.slice") return ok<string>("");
  const stem = slice.substring(0, slice.length - 6);
  const parts = stem.split("-");
  let path = "", prefix = "";
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].length == 0) return bad;
    prefix = i == 0 ? parts[i] : prefix + "-" + parts[i];
    path += "/" + prefix + ".slice";
  }
  return ok<string>(path);
}

// cgroupsPath (empty: ":tsrun:ID", as runc's ":runc:ID") -> unit, slice, cgroup path.
export function unitFor(cgroupsPath: string, id: string): Result<UnitPlan> {
  const given = cgroupsPath.length > 0 ? cgroupsPath : ":tsrun:" + id;
  const parts = given.split(":");
  if (parts.length != 3 || parts[2].length == 0) {
    return err<UnitPlan>(fail("linux.cgroupsPath", "\"" + cgroupsPath + "\"", "with --systemd-cgroup must be \"slice:prefix:name\" (e.g. \"system.slice:tsrun:" + id + "\")"));
  }
  const u = new UnitPlan();
  u.slice = parts[0].length > 0 ? parts[0] : "system.slice";
  const sp = expandSlice(u.slice);
  if (!sp.ok) return err<UnitPlan>(sp.err!);
  if (parts[2].endsWith(".slice")) {
    u.unit = parts[2];
    const own = expandSlice(u.unit);
    if (!own.ok) return err<UnitPlan>(own.err!);
    u.path = own.value;
    if (u.path.length == 0) return err<UnitPlan>(fail("linux.cgroupsPath", "\"" + cgroupsPath + "\"", "cannot name the root slice as the container's unit"));
    return ok<UnitPlan>(u);
  }
  u.unit = (parts[1].length > 0 ? parts[1] + "-" : "") + parts[2] + ".scope";
  if (!validUnitName(u.unit)) {
    return err<UnitPlan>(fail("linux.cgroupsPath", "\"" + cgroupsPath + "\"", "gives the unit name \"" + u.unit + "\", which systemd does not accept (letters, digits, \":_.-@\\\" only)"));
  }
  u.path = sp.value + "/" + u.unit;
  return ok<UnitPlan>(u);
}
