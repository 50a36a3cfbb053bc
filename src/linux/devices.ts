// /dev inside the container: device nodes (mknod) and the standard links.
import * as sys from "../sys/syscall";
import { Failure, sysFail } from "../errors/failure";
import { EEXIST, EPERM } from "../errors/errno";
import { runtimeInUserNs } from "./userns";
import { Plan } from "../plan/plan";
import { ensureInRoot, fdPath, doneWith } from "./inroot";
import { MS_BIND } from "../spec/mountopts";

const LINK_NAMES: string[] = ["fd", "stdin", "stdout", "stderr", "ptmx"];
const LINK_TARGETS: string[] = ["/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "pts/ptmx"];

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.substring(0, i);
}

function basename(p: string): string {
  return p.substring(p.lastIndexOf("/") + 1);
}

function bindDevice(rootfd: i32, path: string): Failure | null {
  const t = ensureInRoot(rootfd, path, true, "/" + path);
  if (!t.ok) return t.err;
  const rc = sys.mount("/" + path, fdPath(t.value), null, MS_BIND, null);
  doneWith(t.value);
  return rc < 0 ? sysFail("bind device", "/" + path, rc) : null;
}

export function makeDevices(p: Plan, rootfd: i32): Failure | null {
  let dirPath = "";
  let dirfd: i32 = -1;
  if (p.devDir) {
    const d = ensureInRoot(rootfd, "dev", false, "/dev");
    if (!d.ok) return d.err;
    dirfd = d.value;
    dirPath = "dev";
    for (let i = 0; i < LINK_NAMES.length; i++) {
      const rc = sys.symlinkat(LINK_TARGETS[i], dirfd, LINK_NAMES[i]);
      if (rc < 0 && rc != -EEXIST) { sys.close(dirfd); return sysFail("symlink", "/dev/" + LINK_NAMES[i], rc); }
    }
  }
  for (let i = 0; i < p.devices.length; i++) {
    const d = p.devices[i];
    const parent = dirname(d.path);
    if (parent != dirPath) {
      if (dirfd >= 0) doneWith(dirfd);
      const r = ensureInRoot(rootfd, parent, false, "/" + parent);
      if (!r.ok) return r.err;
      dirfd = r.value;
      dirPath = parent;
    }
    const name = basename(d.path);
    if (!d.bind) {
      const rc = sys.mknodat(dirfd, name, d.mode, d.dev);
      if (rc == -EPERM && runtimeInUserNs()) {
        // tsrun runs as uid 0 of a user namespace (rootlesskit...): no mknod there, bind this
        // and the remaining nodes from the host as runc does. Found out on this failure, not
        // asked on every create.
        for (let k = i; k < p.devices.length; k++) p.devices[k].bind = true;
      } else {
        if (rc < 0 && rc != -EEXIST) { sys.close(dirfd); return sysFail("mknod", "/" + d.path, rc); }
        if (d.chown) {
          const c = sys.fchownat(dirfd, name, d.uid, d.gid, sys.AT_SYMLINK_NOFOLLOW);
          if (c < 0) { sys.close(dirfd); return sysFail("chown", "/" + d.path, c); }
        }
        continue;
      }
    }
    const f = bindDevice(rootfd, d.path);
    if (f != null) { sys.close(dirfd); return f; }
  }
  if (dirfd >= 0) doneWith(dirfd);
  return null;
}
