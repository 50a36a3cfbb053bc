// errno names and short descriptions for error messages.
const NAMES: string[] = [
  "0", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
  "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
  "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
  "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
];
const TEXTS: string[] = [
  "success", "operation not permitted", "no such file or directory", "no such process",
  "interrupted system call", "input/output error", "no such device or address", "argument list too long",
  "exec format error", "bad file descriptor", "no child processes", "resource temporarily unavailable",
  "cannot allocate memory", "permission denied", "bad address", "block device required",
  "device or resource busy", "file exists", "invalid cross-device link", "no such device", "not a directory",
  "is a directory", "invalid argument", "too many open files in system", "too many open files",
  "inappropriate ioctl for device", "text file busy", "file too large", "no space left on device",
  "illegal seek", "read-only file system", "too many links", "broken pipe", "numerical argument out of domain",
  "numerical result out of range", "resource deadlock avoided", "file name too long", "no locks available",
  "function not implemented", "directory not empty", "too many levels of symbolic links",
];

export const EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
  EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
  EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EMFILE = 24, ENOTTY = 25, ETXTBSY = 26,
  ENOSPC = 28, EROFS = 30, EPIPE = 32, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39,
  ELOOP = 40, EOPNOTSUPP = 95, ECONNREFUSED = 111, ETIMEDOUT = 110, ECONNRESET = 104;

export function errnoName(e: i32): string {
  if (e > 0 && e < NAMES.length) return NAMES[e];
  if (e == EOPNOTSUPP) return "EOPNOTSUPP";
  if (e == 75) return "EOVERFLOW";
  if (e == ETIMEDOUT) return "ETIMEDOUT";
  if (e == ECONNREFUSED) return "ECONNREFUSED";
  if (e == ECONNRESET) return "ECONNRESET";
  if (e == 18 + 95) return "EHOSTUNREACH";
  return "errno " + e.toString();
}

export function errnoText(e: i32): string {
  if (e > 0 && e < TEXTS.length) return TEXTS[e];
  if (e == EOPNOTSUPP) return "operation not supported";
  if (e == 75) return "value too large for defined data type";
  if (e == ETIMEDOUT) return "timed out";
  if (e == ECONNREFUSED) return "connection refused";
  if (e == ECONNRESET) return "connection reset by peer";
  return "error " + e.toString();
}
