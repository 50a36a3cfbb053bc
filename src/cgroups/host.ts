// The host's cgroup hierarchies: v1 (one per controller group), hybrid (v1 plus the unified
// hierarchy at /sys/fs/cgroup/unified) or pure v2; and where a container's cgroup goes.
import * as sys from "../sys/syscall";
import { Result, ok, err } from "../errors/failure";
import { readFileAt } from "../sys/io";

export class Hierarchy {
  constructor(public controllers: string, public mount: string, public own: string) {}
}

export class CgroupHost {
  v1: Hierarchy[] = [];
  v2: Hierarchy | null = null;   // the unified hierarchy (pure v2, or hybrid's unified mount)
  get pureV2(): bool { return this.v1.length == 0 && this.v2 != null; }
}

let cached: CgroupHost | null = null;
const CGROUP2_SUPER_MAGIC: i64 = 0x63677270;

// /proc/self/cgroup -> hierarchies at the standard mount points under /sys/fs/cgroup. The
// hierarchy list is global, so what is mounted decides: cgroup2 at /sys/fs/cgroup is a pure
// v2 host (or a private mount namespace that hides v1), whatever v1 hierarchies exist.
export function hostCgroups(): Result<CgroupHost> {
  if (cached != null) return ok<CgroupHost>(cached!);
  const r = readFileAt(sys.AT_FDCWD, "/proc/self/cgroup", "/proc/self/cgroup", true);
  if (!r.ok) return err<CgroupHost>(r.err!);
  const sfs = memory.data(120);
  const pure = sys.statfs("/sys/fs/cgroup", sfs) == 0 && load<i64>(sfs) == CGROUP2_SUPER_MAGIC;
  const h = new CgroupHost();
  cached = h;
  const lines = String.UTF8.decode(r.value).split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const a = lines[i].indexOf(":"), b = lines[i].indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const ctl = lines[i].substring(a + 1, b);
    const own = lines[i].substring(b + 1);
    if (ctl.length == 0) {
      h.v2 = new Hierarchy("", "/sys/fs/cgroup", own);
    } else if (!pure) {
      const dir = ctl.startsWith("name=") ? ctl.substring(5) : ctl;
      h.v1.push(new Hierarchy(ctl, "/sys/fs/cgroup/" + dir, own));
    }
  }
  if (h.v1.length > 0 && h.v2 != null) h.v2!.mount = "/sys/fs/cgroup/unified";
  return ok<CgroupHost>(h);
}

// cgroupsPath: absolute as given; relative to tsrun's own cgroup (as runc); empty -> own/<id>.
export function resolvePath(cgroupsPath: string, own: string, id: string): string {
  const base = own == "/" ? "" : own;
  if (cgroupsPath.length == 0) return base + "/" + id;
  if (cgroupsPath.startsWith("/")) return cgroupsPath;
  return base + "/" + cgroupsPath;
}
