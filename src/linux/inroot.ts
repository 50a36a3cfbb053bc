// Paths inside the container's rootfs, resolved by the kernel with the rootfs as "/"
// (openat2 RESOLVE_IN_ROOT): a symlink or ".." in the image can never lead outside it.
import * as sys from "../sys/syscall";
import { Result, ok, err, sysFail } from "../errors/failure";
import { ENOENT, EEXIST } from "../errors/errno";
import { RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS } from "./consts";

const how = memory.data(24);

// O_PATH fd of `rel` (relative to the rootfs) or -errno.
export function openInRoot(rootfd: i32, rel: string, flags: i32 = sys.O_PATH): i64 {
  store<u64>(how, <u64>(flags | sys.O_CLOEXEC));
  store<u64>(how, 0, 8);
  store<u64>(how, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, 16);
  return sys.openat2(rootfd, rel.length == 0 ? "." : rel, how, 24);
}

// Opens `rel` in the rootfs, creating missing directories (0755) and, when asFile, the final
// component as an empty regular file (a bind-mount target for a file). Returns an O_PATH fd.
export function ensureInRoot(rootfd: i32, rel: string, asFile: bool, what: string): Result<i32> {
  let fd = openInRoot(rootfd, rel);
  if (fd >= 0) return ok<i32>(<i32>fd);
  if (fd != -ENOENT) return err<i32>(sysFail("open", what, fd));
  const parts = rel.split("/");
  let prefix = "";
  let parent: i32 = -1;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i];
    if (name.length == 0 || name == ".") continue;
    const next = prefix.length == 0 ? name : prefix + "/" + name;
    fd = openInRoot(rootfd, next);
    if (fd == -ENOENT && name != "..") {
      const last = i == parts.length - 1;
      const at = parent >= 0 ? parent : rootfd;
      let rc: i64;
      if (last && asFile) {
        rc = sys.openat(at, name, sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL | sys.O_CLOEXEC | sys.O_NOFOLLOW, 0o644);
        if (rc >= 0) sys.close(<i32>rc);
      } else {
        rc = sys.mkdirat(at, name, 0o755);
      }
      if (rc < 0 && rc != -EEXIST) {
        if (parent >= 0) sys.close(parent);
        return err<i32>(sysFail(last && asFile ? "create" : "mkdir", what, rc));
      }
      fd = openInRoot(rootfd, next);
    }
    if (parent >= 0) sys.close(parent);
    if (fd < 0) return err<i32>(sysFail("open", what, fd));
    parent = <i32>fd;
    prefix = next;
  }
  if (parent < 0) return err<i32>(sysFail("open", what, -ENOENT));
  return ok<i32>(parent);
}

// "/proc/self/fd/N": how mount(2) is pointed at an fd-resolved target.
export function fdPath(fd: i32): string {
  return "/proc/self/fd/" + fd.toString();
}
