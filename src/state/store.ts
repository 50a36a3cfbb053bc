// The state directory: <root>/<id>/ holding state.json and, until `start`, exec.fifo.
// A verb that changes a container holds flock(LOCK_EX) on <root>/<id> for its duration,
// so concurrent verbs on one id serialise; state.json is replaced atomically.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { EEXIST, ENOENT, EINTR, ENOTEMPTY, EISDIR } from "../errors/errno";
import { readFileAt, writeFileAtomic, listDir } from "../sys/io";
import { parseJsonBuffer } from "../json/reader";
import { ContainerState } from "./container";
import { quote } from "../json/writer";

export const STATE_FILE = "state.json";
export const FIFO = "exec.fifo";
// Only with startContainer/poststart hooks: init reports on it after `start` (error text, or
// EOF when its exec succeeded), so start can fail or run poststart after the exec.
export const START_FIFO = "start.fifo";
// The compiled seccomp filter, for `exec` (seccomp/persist.ts).
export const SECCOMP_FILE = "seccomp.bpf";
const LOCK_EX = 2;

// runc's rule: [A-Za-z0-9_+.-]+, not "." or "..". Bounded by the file name limit.
export function validateId(id: string): Failure | null {
  if (id.length == 0) return fail("invalid container id", "\"\"", "must not be empty");
  if (id.length > 255) return fail("invalid container id", "(" + id.length.toString() + " characters)", "longer than 255 characters");
  if (id == "." || id == "..") return fail("invalid container id", id, "must not be . or ..");
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const okc = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c == 0x5f || c == 0x2b || c == 0x2d || c == 0x2e;
    if (!okc) return fail("invalid container id", quote(id), "only letters, digits and _ + - . are allowed");
  }
  return null;
}

// mkdir -p for an absolute or relative path.
export function mkdirAll(path: string, mode: u32): Failure | null {
  let rc = sys.mkdirat(sys.AT_FDCWD, path, mode);
  if (rc == 0 || rc == -EEXIST) return null;
  if (rc != -ENOENT) return sysFail("mkdir", path, rc);
  const slash = path.lastIndexOf("/");
  if (slash <= 0) return sysFail("mkdir", path, rc);
  const f = mkdirAll(path.substring(0, slash), mode);
  if (f != null) return f;
  rc = sys.mkdirat(sys.AT_FDCWD, path, mode);
  if (rc == 0 || rc == -EEXIST) return null;
  return sysFail("mkdir", path, rc);
}

export class Store {
  constructor(public root: string, public rootfd: i32) {}

  static open(root: string, create: bool): Result<Store> {
    let fd = sys.openat(sys.AT_FDCWD, root, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
    if (fd == -ENOENT && create) {
      const f = mkdirAll(root, 0o700);
      if (f != null) return err<Store>(f);
      fd = sys.openat(sys.AT_FDCWD, root, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
    }
    if (fd < 0) return err<Store>(sysFail("open state root", root, fd));
    return ok<Store>(new Store(root, <i32>fd));
  }

  dirOf(id: string): string { return this.root + "/" + id; }

  // Creates <root>/<id> exclusively and locks it. EEXIST means the id is taken.
  createDir(id: string): Result<i32> {
    const rc = sys.mkdirat(this.rootfd, id, 0o711);
    if (rc == -EEXIST) return err<i32>(fail("create", id, "a container with this id already exists"));
    if (rc < 0) return err<i32>(sysFail("mkdir", this.dirOf(id), rc));
    const fd = sys.openat(this.rootfd, id, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
    if (fd < 0) { sys.unlinkat(this.rootfd, id, sys.AT_REMOVEDIR); return err<i32>(sysFail("open", this.dirOf(id), fd)); }
    lock(<i32>fd);
    return ok<i32>(<i32>fd);
  }

  // Opens and locks <root>/<id>. ENOENT -> "container does not exist".
  openDir(id: string): Result<i32> {
    const fd = sys.openat(this.rootfd, id, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
    if (fd == -ENOENT) return err<i32>(fail("container", id, "does not exist"));
    if (fd < 0) return err<i32>(sysFail("open", this.dirOf(id), fd));
    lock(<i32>fd);
    return ok<i32>(<i32>fd);
  }

  // Reads state.json from a locked dir. A dir without state.json is a create that never
  // finished (killed mid-way): reported as a Failure with errno ENOENT.
  load(dirfd: i32, id: string): Result<ContainerState> {
    const r = readFileAt(dirfd, STATE_FILE, this.dirOf(id) + "/" + STATE_FILE);
    if (!r.ok) return err<ContainerState>(r.err!);
    const j = parseJsonBuffer(r.value, this.dirOf(id) + "/" + STATE_FILE);
    if (j.err != null) return err<ContainerState>(j.err!);
    const s = ContainerState.fromJson(j.value!);
    if (s == null) return err<ContainerState>(fail("read", this.dirOf(id) + "/" + STATE_FILE, "malformed state"));
    return ok<ContainerState>(s);
  }

  save(dirfd: i32, st: ContainerState): Failure | null {
    return writeFileAtomic(dirfd, STATE_FILE, st.toJson(), this.dirOf(st.id) + "/" + STATE_FILE);
  }

  // Removes <root>/<id>: the files the state says exist, then the directory; anything else
  // (a create killed half-way, a crash between write and rename) is swept when rmdir says
  // ENOTEMPTY.
  remove(id: string, dirfd: i32, st: ContainerState | null = null): Failure | null {
    sys.unlinkat(dirfd, FIFO, 0);
    sys.unlinkat(dirfd, STATE_FILE, 0);
    if (st != null && st.startSync) sys.unlinkat(dirfd, START_FIFO, 0);
    if (st != null && st.seccomp) sys.unlinkat(dirfd, SECCOMP_FILE, 0);
    if (st != null && st.notifySocket.length > 0) {
      sys.unlinkat(dirfd, "notify/notify.sock", 0);
      sys.unlinkat(dirfd, "notify", sys.AT_REMOVEDIR);
    }
    let rc = sys.unlinkat(this.rootfd, id, sys.AT_REMOVEDIR);
    if (rc == -ENOTEMPTY) {
      const names = listDir(dirfd, ".", false);
      for (let i = 0; i < names.length; i++) {
        const sub = listDir(dirfd, names[i], false);
        for (let k = 0; k < sub.length; k++) sys.unlinkat(dirfd, names[i] + "/" + sub[k], 0);
        if (sys.unlinkat(dirfd, names[i], 0) == -EISDIR) sys.unlinkat(dirfd, names[i], sys.AT_REMOVEDIR);
      }
      rc = sys.unlinkat(this.rootfd, id, sys.AT_REMOVEDIR);
    }
    if (rc < 0 && rc != -ENOENT) return sysFail("remove", this.dirOf(id), rc);
    return null;
  }

  // Ids of all containers (directories in the root).
  ids(): string[] {
    return listDir(this.rootfd, ".", true).sort();
  }
}

function lock(fd: i32): void {
  while (sys.flock(fd, LOCK_EX) == -EINTR) {}
}
