// Paths inside the container's rootfs, resolved by the kernel with the rootfs as "/"
// (openat2 RESOLVE_IN_ROOT): a symlink or ".." in the image can never lead outside it.
import * as sys from "../sys/syscall";
import { Result, ok, err, sysFail } from "../errors/failure";
import { ENOENT, EEXIST } from "../errors/errno";
import { RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS } from "./consts";

const how = memory.data(24);

// O_PATH fd of `rel` (relative to the rootfs) or -errno.
export function openInRoot(rootfd: i32, rel: string, flags: i32 = sys.O_PATH, resolve: u64 = 0): i64 {
  store<u64>(how, <u64>(flags | sys.O_CLOEXEC));
  store<u64>(how, 0, 8);
  store<u64>(how, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve, 16);
  return sys.openat2(rootfd, rel.length == 0 ? "." : rel, how, 24);
}

// Opens `rel` in the rootfs, creating missing directories (0755) and, when asFile, the final
// component as an empty regular file (a bind-mount target for a file). Returns an O_PATH fd.
// Missing components are created under their parent's resolved fd, so a symlink in the image
// is followed inside the rootfs only.
// resolve: extra RESOLVE_* flags (RESOLVE_NO_SYMLINKS: no symlink anywhere on the path).
// missing: the plan knows `rel` does not exist yet (MountOp.missing): no lookup to see it fail.
export function ensureInRoot(rootfd: i32, rel: string, asFile: bool, what: string, depth: i32 = 0, resolve: u64 = 0, missing: bool = false): Result<i32> {
  const fd = missing ? -ENOENT : openInRoot(rootfd, rel, sys.O_PATH, resolve);
  if (fd >= 0) return ok<i32>(<i32>fd);
  if (fd != -ENOENT || depth > 40) return err<i32>(sysFail("open", what, fd));
  let end = rel.length;
  while (end > 0 && rel.charCodeAt(end - 1) == 0x2f) end--;
  const slash = rel.lastIndexOf("/", end - 1);
  const name = rel.substring(slash + 1, end);
  if (name.length == 0 || name == "." || name == "..") return err<i32>(sysFail("open", what, fd));
  const parentRel = slash < 0 ? "" : rel.substring(0, slash);
  const parent = slash < 0 ? ok<i32>(-1) : ensureInRoot(rootfd, parentRel, false, what, depth + 1, resolve);
  if (!parent.ok) return parent;
  const at = parent.value >= 0 ? parent.value : rootfd;
  let rc: i64;
  if (asFile) {
    rc = sys.openat(at, name, sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL | sys.O_CLOEXEC | sys.O_NOFOLLOW, 0o644);
    if (rc >= 0) sys.close(<i32>rc);
  } else {
    rc = sys.mkdirat(at, name, 0o755);
  }
  if (rc == -EEXIST) {
    // A dangling symlink: create its target, resolved inside the rootfs (as runc does).
    const buf = memory.data(4096);
    const n = sys.readlinkat(at, name, buf, 4096);
    if (parent.value >= 0) sys.close(parent.value);
    if (n <= 0) return err<i32>(sysFail("open", what, -ENOENT));
    const target = String.UTF8.decodeUnsafe(buf, <usize>n);
    const next = target.startsWith("/") ? target.substring(1) : (parentRel.length > 0 ? parentRel + "/" + target : target);
    return ensureInRoot(rootfd, next, asFile, what, depth + 1);
  }
  if (rc < 0) {
    if (parent.value >= 0) sys.close(parent.value);
    return err<i32>(sysFail(asFile ? "create" : "mkdir", what, rc));
  }
  // Just created by us, before any container process exists: not a symlink.
  const r = sys.openat(at, name, sys.O_PATH | sys.O_NOFOLLOW | sys.O_CLOEXEC);
  if (parent.value >= 0) doneWith(parent.value);
  if (r < 0) return err<i32>(sysFail("open", what, r));
  return ok<i32>(<i32>r);
}

// Init is done with `fd`. Every fd init opens is O_CLOEXEC and init execs the container's
// process moments later (close_range(CLOEXEC) before it covers any stray one), so the exec
// closes it: an explicit close would be a syscall that earns nothing. Only a config with very
// many mounts, whose fds could crowd RLIMIT_NOFILE, gets them closed at once.
export function doneWith(fd: i32): void {
  if (fd >= 256) sys.close(fd);
}

// "/proc/self/fd/N": how mount(2) is pointed at an fd-resolved target.
export function fdPath(fd: i32): string {
  return "/proc/self/fd/" + fd.toString();
}
