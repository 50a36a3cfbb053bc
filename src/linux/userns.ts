// Whether tsrun itself runs in a user namespace other than the initial one (runc's
// RunningInUserNS): uid 0 there is not root on the host (rootlesskit, rootless Docker or
// Podman run the runtime so). The initial namespace is the only one whose uid_map is the
// whole identity map, "0 0 4294967295". Read at most once per process, and only where an
// answer is needed (a non-root euid answers the rootless questions without it).
import * as sys from "../sys/syscall";
import { readFileAt } from "../sys/io";
import { trimSpaces, words } from "../util/strings";

let known: bool = false;
let inUserNs: bool = false;

function isIdentityMap(text: string): bool {
  const w = words(text);
  return w.length == 3 && w[0] == "0" && w[1] == "0" && w[2] == "4294967295";
}

export function runtimeInUserNs(): bool {
  if (known) return inUserNs;
  known = true;
  // No such file: a kernel without user namespaces, hence the initial one.
  const r = readFileAt(sys.AT_FDCWD, "/proc/self/uid_map");
  inUserNs = r.ok && !isIdentityMap(String.UTF8.decode(r.value));
  return inUserNs;
}

// runc's notion of a rootless runtime: a non-root euid, or uid 0 in a user namespace.
export function runtimeIsRootless(): bool {
  return sys.geteuid() != 0 || runtimeInUserNs();
}

// Whether this process's user namespace refuses setgroups (an ancestor namespace was made
// with setgroups "deny", e.g. by `unshare --map-root-user`). Asked only after an EPERM.
export function setgroupsDenied(): bool {
  const r = readFileAt(sys.AT_FDCWD, "/proc/self/setgroups");
  return r.ok && trimSpaces(String.UTF8.decode(r.value)) == "deny";
}
