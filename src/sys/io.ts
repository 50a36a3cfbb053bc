// File and stream helpers over raw syscalls.
import * as sys from "./syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { EINTR, EAGAIN } from "../errors/errno";

export function writeAll(fd: i32, buf: usize, len: usize): i64 {
  let done: usize = 0;
  while (done < len) {
    const rc = sys.write(fd, buf + done, len - done);
    if (rc == -EINTR) continue;
    if (rc < 0) return rc;
    done += <usize>rc;
  }
  return 0;
}

export function writeString(fd: i32, s: string): i64 {
  const b = String.UTF8.encode(s);
  return writeAll(fd, changetype<usize>(b), b.byteLength);
}

export function print(s: string): void { writeString(1, s); }

// Largest file tsrun reads (config.json, state.json, process.json, /proc files). Engines'
// configs are tens of KB; a bound keeps hostile input from costing hundreds of MB (the
// runtime's allocator never frees: tsrun is a short-lived process).
export const MAX_FILE: i32 = 4 << 20;

// Reads a whole file. The buffer is exactly as long as the content.
// sized: ask fstat for the size first (regular files: one buffer, one read); false for
// /proc files, which report size 0. oneRecord: a /proc file the kernel prints as one seq_file
// record (/proc/PID/stat, /proc/self/cgroup): a read shorter than the buffer returned all of it,
// so no second read is needed to see the end.
export function readFd(fd: i32, what: string, sized: bool = true, oneRecord: bool = false): Result<ArrayBuffer> {
  let cap = 16384;
  let expect = -1;
  const st = memory.data(144);
  if (sized && sys.fstat(fd, st) == 0 && (load<u32>(st, 24) & sys.S_IFMT) == sys.S_IFREG) {
    const size = load<i64>(st, 48);
    if (size > <i64>MAX_FILE) return err<ArrayBuffer>(fail("read", what, "larger than " + (MAX_FILE >> 20).toString() + " MiB"));
    if (size > 0) { expect = <i32>size; cap = expect; }
  }
  let buf = new ArrayBuffer(cap);
  let len = 0;
  while (len != expect) {
    if (len == cap) {
      if (cap >= MAX_FILE) return err<ArrayBuffer>(fail("read", what, "larger than " + (MAX_FILE >> 20).toString() + " MiB"));
      cap *= 2;
      const nb = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(nb), changetype<usize>(buf), len);
      buf = nb;
    }
    const rc = sys.read(fd, changetype<usize>(buf) + len, cap - len);
    if (rc == -EINTR || rc == -EAGAIN) continue;
    if (rc < 0) return err<ArrayBuffer>(sysFail("read", what, rc));
    if (rc == 0) break;
    len += <i32>rc;
    if (oneRecord && len < cap) break;
  }
  return ok<ArrayBuffer>(len == cap ? buf : buf.slice(0, len));
}

// A verb whose process exits as soon as its work is done (create, run's setup, start, delete,
// kill, state) lets the exit close the regular files it read or wrote: a close() there earns
// nothing (cgroup and /proc writes take effect at write(); every fd is O_CLOEXEC, so init's
// exec and hooks never see them). The fds past 63 are still closed at once, so a long
// process cannot pile them up. Pipes, sockets and fifos keep their explicit closes: theirs
// is a signal to the other end.
let exitCloses = false;
export function letExitCloseFiles(): void { exitCloses = true; }
export function closeFile(fd: i32): void {
  if (!exitCloses || fd >= 64) sys.close(fd);
}

export function readFileAt(dirfd: i32, path: string, what: string = path, oneRecord: bool = false): Result<ArrayBuffer> {
  const fd = sys.openat(dirfd, path, sys.O_RDONLY | sys.O_CLOEXEC | sys.O_NOCTTY);
  if (fd < 0) return err<ArrayBuffer>(sysFail("open", what, fd));
  const r = readFd(<i32>fd, what, !path.startsWith("/proc/"), oneRecord);
  closeFile(<i32>fd);
  return r;
}

export function readFile(path: string): Result<ArrayBuffer> { return readFileAt(sys.AT_FDCWD, path); }

export function readText(path: string): Result<string> {
  const r = readFile(path);
  if (!r.ok) return err<string>(r.err!);
  return ok<string>(String.UTF8.decode(r.value));
}

// Whether `path` names something (symlinks followed); "" does not.
export function pathExists(path: string): bool {
  return path.length > 0 && sys.faccessat(sys.AT_FDCWD, path, 0) == 0;
}

// Writes `data` to path, creating or truncating it.
export function writeFileAt(dirfd: i32, path: string, data: string, mode: u32 = 0o644, what: string = path): Failure | null {
  const fd = sys.openat(dirfd, path, sys.O_WRONLY | sys.O_CREAT | sys.O_TRUNC | sys.O_CLOEXEC | sys.O_NOCTTY, mode);
  if (fd < 0) return sysFail("open", what, fd);
  const rc = writeString(<i32>fd, data);
  closeFile(<i32>fd);
  if (rc < 0) return sysFail("write", what, rc);
  return null;
}

// Writes to an existing file (e.g. /proc or /sys knobs) without O_CREAT/O_TRUNC.
export function writeExisting(path: string, data: string): Failure | null {
  const fd = sys.openat(sys.AT_FDCWD, path, sys.O_WRONLY | sys.O_CLOEXEC | sys.O_NOCTTY);
  if (fd < 0) return sysFail("open", path, fd);
  const rc = writeString(<i32>fd, data);
  closeFile(<i32>fd);
  if (rc < 0) return sysFail("write", path, rc);
  return null;
}

// Atomic replace: write a temporary file in the same directory, then rename over the target.
export function writeFileAtomic(dirfd: i32, name: string, data: string, what: string): Failure | null {
  const tmp = "." + name + ".tmp";
  const f = writeFileAt(dirfd, tmp, data, 0o644, what);
  if (f != null) { sys.unlinkat(dirfd, tmp, 0); return f; }
  const rc = sys.renameat(dirfd, tmp, dirfd, name);
  if (rc < 0) { sys.unlinkat(dirfd, tmp, 0); return sysFail("rename", what, rc); }
  return null;
}

// Names of the entries of directory `path` (relative to dirfd), without "." and "..".
// dirsOnly: only subdirectories (d_type DT_DIR).
export function listDir(dirfd: i32, path: string, dirsOnly: bool): string[] {
  const out: string[] = [];
  const fd = sys.openat(dirfd, path, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
  if (fd < 0) return out;
  const buf = new ArrayBuffer(16384);
  const base = changetype<usize>(buf);
  while (true) {
    const n = sys.getdents64(<i32>fd, base, 16384);
    if (n <= 0) break;
    let off: usize = 0;
    while (off < <usize>n) {
      const reclen = load<u16>(base + off + 16);
      const type = load<u8>(base + off + 18);
      let len: usize = 0;
      while (load<u8>(base + off + 19 + len) != 0) len++;
      const name = String.UTF8.decodeUnsafe(base + off + 19, len);
      if ((!dirsOnly || type == 4 /* DT_DIR */) && name != "." && name != "..") out.push(name);
      off += reclen;
    }
  }
  closeFile(<i32>fd);
  return out;
}
