// tmpfs "tmpcopyup" (runc's extension; podman adds it to every --tmpfs): the new tmpfs gets
// a copy of what the image had at the mount point, with modes and owners. Runs in init,
// before pivot_root, between two directory fds: the covered directory and the tmpfs root.
import * as sys from "../sys/syscall";
import { Failure, sysFail } from "../errors/failure";
import { listDir } from "../sys/io";

const MAX_DEPTH = 64;
const stat = memory.data(144);
const link = memory.data(4096);

export function copyTree(src: i32, dst: i32, path: string, depth: i32 = 0): Failure | null {
  if (depth > MAX_DEPTH) return sysFail("copy up", path, -40 /* ELOOP */);
  const names = listDir(src, ".", false);
  for (let i = 0; i < names.length; i++) {
    const name = names[i], what = path + "/" + name;
    let rc = sys.fstatat(src, name, stat, sys.AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return sysFail("copy up: stat", what, rc);
    const mode = load<u32>(stat, 24), uid = load<u32>(stat, 28), gid = load<u32>(stat, 32), rdev = load<u64>(stat, 40);
    const type = mode & sys.S_IFMT;
    if (type == sys.S_IFDIR) {
      rc = sys.mkdirat(dst, name, 0o700);
      if (rc < 0) return sysFail("copy up: mkdir", what, rc);
      const s = sys.openat(src, name, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_NOFOLLOW | sys.O_CLOEXEC);
      if (s < 0) return sysFail("copy up: open", what, s);
      const d = sys.openat(dst, name, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_NOFOLLOW | sys.O_CLOEXEC);
      if (d < 0) { sys.close(<i32>s); return sysFail("copy up: open", what, d); }
      const f = copyTree(<i32>s, <i32>d, what, depth + 1);
      sys.close(<i32>s);
      sys.close(<i32>d);
      if (f != null) return f;
    } else if (type == sys.S_IFREG) {
      const f = copyFile(src, dst, name, what, <i64>load<u64>(stat, 48));
      if (f != null) return f;
    } else if (type == sys.S_IFLNK) {
      const n = sys.readlinkat(src, name, link, 4096);
      if (n < 0) return sysFail("copy up: readlink", what, n);
      rc = sys.symlinkat(String.UTF8.decodeUnsafe(link, <usize>n), dst, name);
      if (rc < 0) return sysFail("copy up: symlink", what, rc);
    } else {
      rc = sys.mknodat(dst, name, mode, rdev);   // fifo, socket, device node
      if (rc < 0) return sysFail("copy up: mknod", what, rc);
    }
    // owner, then mode (a chown clears set-id bits); a symlink has no mode of its own
    rc = sys.fchownat(dst, name, uid, gid, sys.AT_SYMLINK_NOFOLLOW);
    if (rc == 0 && type != sys.S_IFLNK) rc = sys.fchmodat(dst, name, mode & 0o7777);
    if (rc < 0) return sysFail("copy up: set owner and mode of", what, rc);
  }
  return null;
}

function copyFile(src: i32, dst: i32, name: string, what: string, size: i64): Failure | null {
  const i = sys.openat(src, name, sys.O_RDONLY | sys.O_NOFOLLOW | sys.O_CLOEXEC);
  if (i < 0) return sysFail("copy up: open", what, i);
  const o = sys.openat(dst, name, sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL | sys.O_NOFOLLOW | sys.O_CLOEXEC, 0o600);
  if (o < 0) { sys.close(<i32>i); return sysFail("copy up: create", what, o); }
  let left = size, rc: i64 = 0;
  while (left > 0) {
    rc = sys.sendfile(<i32>o, <i32>i, <usize>(left < 0x40000000 ? left : 0x40000000));
    if (rc <= 0) break;
    left -= rc;
  }
  sys.close(<i32>i);
  sys.close(<i32>o);
  if (rc < 0) return sysFail("copy up: copy", what, rc);
  return null;
}
