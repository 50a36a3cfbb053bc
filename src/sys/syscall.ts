// Typed wrappers over raw Linux x86_64 syscalls. Every wrapper returns the kernel's
// result: >= 0 on success, -errno on failure. Pointers passed to the kernel are host
// addresses: BASE (where linear memory starts) + the Wasm offset.
import { sys6, membase } from "./imports";

export const BASE: u64 = membase();

// Host address of a Wasm pointer.
@inline export function host(p: usize): i64 { return <i64>(BASE + <u64>p); }

// A NUL-terminated UTF-8 copy of s, as a host pointer.
export function cstr(s: string): i64 {
  return host(changetype<usize>(String.UTF8.encode(s, true)));
}

// A NULL-terminated host char*[] of strings (argv, envp for execve).
export function cstrArray(items: string[]): i64 {
  const buf = new ArrayBuffer((items.length + 1) * 8);
  const p = changetype<usize>(buf);
  for (let i = 0; i < items.length; i++) store<i64>(p + <usize>i * 8, cstr(items[i]));
  store<i64>(p + <usize>items.length * 8, 0);
  return host(p);
}

export const AT_FDCWD: i32 = -100;
export const O_RDONLY: i32 = 0;
export const O_WRONLY: i32 = 1;
export const O_RDWR: i32 = 2;
export const O_CREAT: i32 = 0o100;
export const O_EXCL: i32 = 0o200;
export const O_NOCTTY: i32 = 0o400;
export const O_TRUNC: i32 = 0o1000;
export const O_APPEND: i32 = 0o2000;
export const O_NONBLOCK: i32 = 0o4000;
export const O_DIRECTORY: i32 = 0o200000;
export const O_NOFOLLOW: i32 = 0o400000;
export const O_CLOEXEC: i32 = 0o2000000;
export const O_PATH: i32 = 0o10000000;

export const AT_SYMLINK_NOFOLLOW: i32 = 0x100;
export const AT_REMOVEDIR: i32 = 0x200;
export const AT_EMPTY_PATH: i32 = 0x1000;
export const AT_RECURSIVE: i32 = 0x8000;

export const S_IFMT: u32 = 0o170000;
export const S_IFDIR: u32 = 0o040000;
export const S_IFCHR: u32 = 0o020000;
export const S_IFBLK: u32 = 0o060000;
export const S_IFREG: u32 = 0o100000;
export const S_IFIFO: u32 = 0o010000;
export const S_IFLNK: u32 = 0o120000;
export const S_IFSOCK: u32 = 0o140000;

const SYS_read = 0, SYS_write = 1, SYS_close = 3, SYS_fstat = 5, SYS_poll = 7, SYS_lseek = 8,
  SYS_rt_sigprocmask = 14, SYS_ioctl = 16, SYS_access = 21, SYS_dup3 = 292, SYS_nanosleep = 35,
  SYS_getpid = 39, SYS_socket = 41, SYS_connect = 42, SYS_sendmsg = 46, SYS_recvmsg = 47,
  SYS_exit = 60, SYS_wait4 = 61, SYS_kill = 62, SYS_fcntl = 72, SYS_flock = 73, SYS_fsync = 74,
  SYS_ftruncate = 77, SYS_chdir = 80, SYS_fchdir = 81, SYS_umask = 95, SYS_getuid = 102,
  SYS_getgid = 104, SYS_setpgid = 109, SYS_getppid = 110, SYS_setsid = 112,
  SYS_setgroups = 116, SYS_setresuid = 117, SYS_setresgid = 119, SYS_capget = 125,
  SYS_capset = 126, SYS_statfs = 137, SYS_prctl = 157, SYS_chroot = 161, SYS_mount = 165,
  SYS_umount2 = 166, SYS_sethostname = 170, SYS_setdomainname = 171, SYS_gettid = 186,
  SYS_clock_gettime = 228, SYS_exit_group = 231, SYS_openat = 257, SYS_mkdirat = 258,
  SYS_mknodat = 259, SYS_fchownat = 260, SYS_newfstatat = 262, SYS_unlinkat = 263,
  SYS_renameat = 264, SYS_symlinkat = 266, SYS_readlinkat = 267, SYS_fchmodat = 268,
  SYS_faccessat = 269, SYS_unshare = 272, SYS_signalfd4 = 289, SYS_pipe2 = 293,
  SYS_prlimit64 = 302, SYS_setns = 308, SYS_getdents64 = 217, SYS_memfd_create = 319,
  SYS_execveat = 322, SYS_pivot_root = 155, SYS_execve = 59, SYS_sendfile = 40,
  SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434, SYS_clone3 = 435, SYS_close_range = 436,
  SYS_openat2 = 437, SYS_mount_setattr = 442, SYS_seccomp = 317, SYS_getrandom = 318,
  SYS_waitid = 247, SYS_fchmod = 91, SYS_fchown = 93, SYS_socketpair = 53,
  SYS_open_tree = 428, SYS_move_mount = 429, SYS_fsopen = 430, SYS_fsconfig = 431, SYS_fsmount = 432;

// Any syscall by number (for the rarely used ones).
export function sys6Raw(nr: i32, a: i64, b: i64, c: i64, d: i64, e: i64, f: i64): i64 { return sys6(nr, a, b, c, d, e, f); }

@inline function s0(nr: i32): i64 { return sys6(nr, 0, 0, 0, 0, 0, 0); }
@inline function s1(nr: i32, a: i64): i64 { return sys6(nr, a, 0, 0, 0, 0, 0); }
@inline function s2(nr: i32, a: i64, b: i64): i64 { return sys6(nr, a, b, 0, 0, 0, 0); }
@inline function s3(nr: i32, a: i64, b: i64, c: i64): i64 { return sys6(nr, a, b, c, 0, 0, 0); }
@inline function s4(nr: i32, a: i64, b: i64, c: i64, d: i64): i64 { return sys6(nr, a, b, c, d, 0, 0); }
@inline function s5(nr: i32, a: i64, b: i64, c: i64, d: i64, e: i64): i64 { return sys6(nr, a, b, c, d, e, 0); }

export function read(fd: i32, buf: usize, n: usize): i64 { return s3(SYS_read, fd, host(buf), n); }
export function write(fd: i32, buf: usize, n: usize): i64 { return s3(SYS_write, fd, host(buf), n); }
export function close(fd: i32): i64 { return s1(SYS_close, fd); }
export function openat(dirfd: i32, path: string, flags: i32, mode: u32 = 0): i64 {
  return s4(SYS_openat, dirfd, cstr(path), flags, mode);
}
export function openatRaw(dirfd: i32, path: i64, flags: i32, mode: u32 = 0): i64 {
  return s4(SYS_openat, dirfd, path, flags, mode);
}
export function mkdirat(dirfd: i32, path: string, mode: u32): i64 { return s3(SYS_mkdirat, dirfd, cstr(path), mode); }
export function mknodat(dirfd: i32, path: string, mode: u32, dev: u64): i64 {
  return s4(SYS_mknodat, dirfd, cstr(path), mode, <i64>dev);
}
export function unlinkat(dirfd: i32, path: string, flags: i32): i64 { return s3(SYS_unlinkat, dirfd, cstr(path), flags); }
export function renameat(olddir: i32, oldp: string, newdir: i32, newp: string): i64 {
  return s4(SYS_renameat, olddir, cstr(oldp), newdir, cstr(newp));
}
export function symlinkat(target: string, dirfd: i32, path: string): i64 {
  return s3(SYS_symlinkat, cstr(target), dirfd, cstr(path));
}
export function readlinkat(dirfd: i32, path: string, buf: usize, n: usize): i64 {
  return s4(SYS_readlinkat, dirfd, cstr(path), host(buf), n);
}
export function fchownat(dirfd: i32, path: string, uid: u32, gid: u32, flags: i32): i64 {
  return s5(SYS_fchownat, dirfd, cstr(path), uid, gid, flags);
}
export function fchmodat(dirfd: i32, path: string, mode: u32): i64 { return s3(SYS_fchmodat, dirfd, cstr(path), mode); }
export function fchmod(fd: i32, mode: u32): i64 { return s2(SYS_fchmod, fd, mode); }
export function fchown(fd: i32, uid: u32, gid: u32): i64 { return s3(SYS_fchown, fd, uid, gid); }
export function fstatat(dirfd: i32, path: string, st: usize, flags: i32): i64 {
  return s4(SYS_newfstatat, dirfd, cstr(path), host(st), flags);
}
export function fstat(fd: i32, st: usize): i64 { return s2(SYS_fstat, fd, host(st)); }
export function faccessat(dirfd: i32, path: string, mode: i32): i64 { return s3(SYS_faccessat, dirfd, cstr(path), mode); }
export function getdents64(fd: i32, buf: usize, n: usize): i64 { return s3(SYS_getdents64, fd, host(buf), n); }
export function lseek(fd: i32, off: i64, whence: i32): i64 { return s3(SYS_lseek, fd, off, whence); }
export function ftruncate(fd: i32, len: i64): i64 { return s2(SYS_ftruncate, fd, len); }
export function fsync(fd: i32): i64 { return s1(SYS_fsync, fd); }
export function flock(fd: i32, op: i32): i64 { return s2(SYS_flock, fd, op); }
export function fcntl(fd: i32, cmd: i32, arg: i64): i64 { return s3(SYS_fcntl, fd, cmd, arg); }
export function dup3(oldfd: i32, newfd: i32, flags: i32): i64 { return s3(SYS_dup3, oldfd, newfd, flags); }
export function pipe2(fds: usize, flags: i32): i64 { return s2(SYS_pipe2, host(fds), flags); }
export function socketpair(domain: i32, type: i32, proto: i32, fds: usize): i64 {
  return s4(SYS_socketpair, domain, type, proto, host(fds));
}
export function socket(domain: i32, type: i32, proto: i32): i64 { return s3(SYS_socket, domain, type, proto); }
export function connect(fd: i32, addr: usize, len: u32): i64 { return s3(SYS_connect, fd, host(addr), len); }
export function sendmsg(fd: i32, msg: usize, flags: i32): i64 { return s3(SYS_sendmsg, fd, host(msg), flags); }
export function recvmsg(fd: i32, msg: usize, flags: i32): i64 { return s3(SYS_recvmsg, fd, host(msg), flags); }
export function ioctl(fd: i32, req: u64, arg: i64): i64 { return s3(SYS_ioctl, fd, <i64>req, arg); }
export function poll(fds: usize, n: u32, timeoutMs: i32): i64 { return s3(SYS_poll, host(fds), n, timeoutMs); }
export function nanosleep(req: usize): i64 { return s2(SYS_nanosleep, host(req), 0); }
export function statfs(path: string, buf: usize): i64 { return s2(SYS_statfs, cstr(path), host(buf)); }
export function memfdCreate(name: string, flags: u32): i64 { return s2(SYS_memfd_create, cstr(name), flags); }
export function sendfile(out: i32, inp: i32, count: usize): i64 { return s4(SYS_sendfile, out, inp, 0, count); }

export function mount(src: string | null, target: string, fstype: string | null, flags: u64, data: string | null): i64 {
  return s5(SYS_mount, src == null ? 0 : cstr(src), cstr(target), fstype == null ? 0 : cstr(fstype),
    <i64>flags, data == null ? 0 : cstr(data));
}
export function umount2(target: string, flags: i32): i64 { return s2(SYS_umount2, cstr(target), flags); }
export function pivotRoot(newRoot: string, putOld: string): i64 { return s2(SYS_pivot_root, cstr(newRoot), cstr(putOld)); }
export function mountSetattr(dirfd: i32, path: string, flags: u32, attr: usize, size: usize): i64 {
  return s5(SYS_mount_setattr, dirfd, cstr(path), flags, host(attr), size);
}
export function openat2(dirfd: i32, path: string, how: usize, size: usize): i64 {
  return s4(SYS_openat2, dirfd, cstr(path), host(how), size);
}
// The new mount API (Linux 5.2+): trees and filesystems handled as fds, never by path.
export const OPEN_TREE_CLONE: i32 = 1;
export const MOVE_MOUNT_F_EMPTY_PATH: i32 = 4, MOVE_MOUNT_T_EMPTY_PATH: i32 = 0x40;
export const FSCONFIG_SET_FLAG: i32 = 0, FSCONFIG_CMD_CREATE: i32 = 6;
export const FSOPEN_CLOEXEC: i32 = 1, FSMOUNT_CLOEXEC: i32 = 1;
export function openTree(dirfd: i32, path: string, flags: i32): i64 { return s3(SYS_open_tree, dirfd, cstr(path), flags); }
// The mount `from` (an fd from open_tree/fsmount) onto the object `to` is open on.
export function moveMountFd(from: i32, to: i32): i64 {
  const empty = cstr("");
  return s5(SYS_move_mount, from, empty, to, empty, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}
export function fsopen(fstype: string, flags: i32): i64 { return s2(SYS_fsopen, cstr(fstype), flags); }
export function fsconfig(fd: i32, cmd: i32, key: string | null, value: string | null, aux: i32): i64 {
  return s5(SYS_fsconfig, fd, cmd, key == null ? 0 : cstr(key), value == null ? 0 : cstr(value), aux);
}
export function fsmount(fd: i32, flags: i32, attrs: u32): i64 { return s3(SYS_fsmount, fd, flags, attrs); }
export function chdir(path: string): i64 { return s1(SYS_chdir, cstr(path)); }
export function fchdir(fd: i32): i64 { return s1(SYS_fchdir, fd); }
export function chroot(path: string): i64 { return s1(SYS_chroot, cstr(path)); }
export function sethostname(name: string): i64 {
  const b = String.UTF8.encode(name); return s2(SYS_sethostname, host(changetype<usize>(b)), b.byteLength);
}
export function setdomainname(name: string): i64 {
  const b = String.UTF8.encode(name); return s2(SYS_setdomainname, host(changetype<usize>(b)), b.byteLength);
}
export function setns(fd: i32, nstype: i32): i64 { return s2(SYS_setns, fd, nstype); }
export function unshare(flags: i32): i64 { return s1(SYS_unshare, flags); }
export function clone3(args: usize, size: usize): i64 { return s2(SYS_clone3, host(args), size); }
export function execve(path: i64, argv: i64, envp: i64): i64 { return s3(SYS_execve, path, argv, envp); }
export function execveat(dirfd: i32, path: i64, argv: i64, envp: i64, flags: i32): i64 {
  return s5(SYS_execveat, dirfd, path, argv, envp, flags);
}
export function exit(code: i32): void { s1(SYS_exit_group, code); unreachable(); }
export function exitThread(code: i32): void { s1(SYS_exit, code); unreachable(); }
export function wait4(pid: i32, status: usize, options: i32): i64 { return s4(SYS_wait4, pid, host(status), options, 0); }
export function kill(pid: i32, sig: i32): i64 { return s2(SYS_kill, pid, sig); }
export function pidfdOpen(pid: i32, flags: u32): i64 { return s2(SYS_pidfd_open, pid, flags); }
export function pidfdSendSignal(pidfd: i32, sig: i32): i64 { return s4(SYS_pidfd_send_signal, pidfd, sig, 0, 0); }
export function getpid(): i32 { return <i32>s0(SYS_getpid); }
export function getppid(): i32 { return <i32>s0(SYS_getppid); }
export function getuid(): u32 { return <u32>s0(SYS_getuid); }
export function getgid(): u32 { return <u32>s0(SYS_getgid); }
export function geteuid(): u32 { return <u32>s0(107); }
export function getegid(): u32 { return <u32>s0(108); }
export function setsid(): i64 { return s0(SYS_setsid); }
export function prctl(op: i32, a: i64, b: i64, c: i64, d: i64): i64 { return s5(SYS_prctl, op, a, b, c, d); }
export function capget(hdr: usize, data: usize): i64 { return s2(SYS_capget, host(hdr), host(data)); }
export function capset(hdr: usize, data: usize): i64 { return s2(SYS_capset, host(hdr), host(data)); }
export function setresuid(r: u32, e: u32, s: u32): i64 { return s3(SYS_setresuid, r, e, s); }
export function setresgid(r: u32, e: u32, s: u32): i64 { return s3(SYS_setresgid, r, e, s); }
export function setgroups(n: i32, list: usize): i64 { return s2(SYS_setgroups, n, n == 0 ? 0 : host(list)); }
export function prlimit(pid: i32, res: i32, newLim: usize, old: usize): i64 {
  return s4(SYS_prlimit64, pid, res, newLim == 0 ? 0 : host(newLim), old == 0 ? 0 : host(old));
}
export function umask(mask: u32): i64 { return s1(SYS_umask, mask); }
export function closeRange(first: u32, last: u32, flags: u32): i64 { return s3(SYS_close_range, first, last, flags); }
export function sigprocmask(how: i32, set: usize, old: usize): i64 {
  return s4(SYS_rt_sigprocmask, how, set == 0 ? 0 : host(set), old == 0 ? 0 : host(old), 8);
}
export function signalfd(fd: i32, mask: usize, flags: i32): i64 { return s4(SYS_signalfd4, fd, host(mask), 8, flags); }
export function clockGettime(clock: i32, ts: usize): i64 { return s2(SYS_clock_gettime, clock, host(ts)); }
export function seccompSetFilter(flags: u32, prog: usize): i64 { return s3(SYS_seccomp, 1, flags, host(prog)); }
export function getcwd(buf: usize, n: usize): i64 { return s2(79, host(buf), n); }
export function setpgid(pid: i32, pgid: i32): i64 { return s2(SYS_setpgid, pid, pgid); }
