// mounts[].options -> mount(2) flags, propagation, recursive attributes and fs data.
import { Mount } from "./model";
import { joinStrings } from "../util/strings";

export const MS_RDONLY: u64 = 1, MS_NOSUID: u64 = 2, MS_NODEV: u64 = 4, MS_NOEXEC: u64 = 8,
  MS_SYNCHRONOUS: u64 = 16, MS_REMOUNT: u64 = 32, MS_MANDLOCK: u64 = 64, MS_DIRSYNC: u64 = 128,
  MS_NOSYMFOLLOW: u64 = 256, MS_NOATIME: u64 = 1024, MS_NODIRATIME: u64 = 2048, MS_BIND: u64 = 4096,
  MS_MOVE: u64 = 8192, MS_REC: u64 = 16384, MS_SILENT: u64 = 32768, MS_UNBINDABLE: u64 = 1 << 17,
  MS_PRIVATE: u64 = 1 << 18, MS_SLAVE: u64 = 1 << 19, MS_SHARED: u64 = 1 << 20,
  MS_RELATIME: u64 = 1 << 21, MS_I_VERSION: u64 = 1 << 23, MS_STRICTATIME: u64 = 1 << 24,
  MS_LAZYTIME: u64 = 1 << 25;

// mount_setattr(2) attributes.
export const MOUNT_ATTR_RDONLY: u64 = 0x1, MOUNT_ATTR_NOSUID: u64 = 0x2, MOUNT_ATTR_NODEV: u64 = 0x4,
  MOUNT_ATTR_NOEXEC: u64 = 0x8, MOUNT_ATTR__ATIME: u64 = 0x70, MOUNT_ATTR_RELATIME: u64 = 0,
  MOUNT_ATTR_NOATIME: u64 = 0x10, MOUNT_ATTR_STRICTATIME: u64 = 0x20, MOUNT_ATTR_NODIRATIME: u64 = 0x80,
  MOUNT_ATTR_NOSYMFOLLOW: u64 = 0x200000, MOUNT_ATTR_IDMAP: u64 = 0x100000;

const FLAG_NAMES: string[] = [
  "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "remount",
  "mand", "nomand", "dirsync", "noatime", "atime", "nodiratime", "diratime", "bind", "rbind",
  "relatime", "norelatime", "strictatime", "nostrictatime", "silent", "loud", "iversion",
  "noiversion", "lazytime", "nolazytime", "nosymfollow", "symfollow", "defaults",
];
// For each name: flag to set (or to clear when CLEAR[i]).
const FLAG_BITS: u64[] = [
  MS_RDONLY, MS_RDONLY, MS_NOSUID, MS_NOSUID, MS_NODEV, MS_NODEV, MS_NOEXEC, MS_NOEXEC, MS_SYNCHRONOUS,
  MS_SYNCHRONOUS, MS_REMOUNT, MS_MANDLOCK, MS_MANDLOCK, MS_DIRSYNC, MS_NOATIME, MS_NOATIME, MS_NODIRATIME,
  MS_NODIRATIME, MS_BIND, MS_BIND | MS_REC, MS_RELATIME, MS_RELATIME, MS_STRICTATIME, MS_STRICTATIME,
  MS_SILENT, MS_SILENT, MS_I_VERSION, MS_I_VERSION, MS_LAZYTIME, MS_LAZYTIME, MS_NOSYMFOLLOW,
  MS_NOSYMFOLLOW, 0,
];
const CLEAR: bool[] = [
  false, true, false, true, false, true, false, true, false, true, false, false, true, false, false, true,
  false, true, false, false, false, true, false, true, false, true, false, true, false, true, false, true,
  false,
];

const PROPAGATION_NAMES: string[] = ["private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"];
const PROPAGATION_BITS: u64[] = [
  MS_PRIVATE, MS_PRIVATE | MS_REC, MS_SHARED, MS_SHARED | MS_REC, MS_SLAVE, MS_SLAVE | MS_REC,
  MS_UNBINDABLE, MS_UNBINDABLE | MS_REC,
];

// Recursive attributes (applied with mount_setattr(AT_RECURSIVE)).
const REC_NAMES: string[] = ["rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
  "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime",
  "rnostrictatime", "rnosymfollow", "rsymfollow"];
const REC_BITS: u64[] = [MOUNT_ATTR_RDONLY, MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_NODEV, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NODIRATIME,
  MOUNT_ATTR_NODIRATIME, MOUNT_ATTR__ATIME, MOUNT_ATTR__ATIME, MOUNT_ATTR__ATIME, MOUNT_ATTR__ATIME,
  MOUNT_ATTR__ATIME, MOUNT_ATTR__ATIME, MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW];

export function propagationFlags(name: string): u64 {
  const i = PROPAGATION_NAMES.indexOf(name);
  return i < 0 ? 0 : PROPAGATION_BITS[i];
}

// Fills m.flags/clearFlags/propagation/recAttr*/idmap/data from m.options. Returns the first
// option tsrun cannot honour, or "" when all are understood. Unknown options are fs data,
// as the kernel's own mount(8) conventions have it.
export function applyMountOptions(m: Mount): string {
  const data: string[] = [];
  for (let i = 0; i < m.options.length; i++) {
    const o = m.options[i];
    let k = FLAG_NAMES.indexOf(o);
    if (k >= 0) {
      if (CLEAR[k]) { m.flags &= ~FLAG_BITS[k]; m.clearFlags |= FLAG_BITS[k]; }
      else { m.flags |= FLAG_BITS[k]; m.clearFlags &= ~FLAG_BITS[k]; }
      continue;
    }
    k = PROPAGATION_NAMES.indexOf(o);
    if (k >= 0) { m.propagation |= PROPAGATION_BITS[k]; continue; }
    k = REC_NAMES.indexOf(o);
    if (k >= 0) {
      const bits = REC_BITS[k];
      if (o == "rrelatime") { m.recAttrClr |= MOUNT_ATTR__ATIME; m.recAttrSet = (m.recAttrSet & ~MOUNT_ATTR__ATIME) | MOUNT_ATTR_RELATIME; continue; }
      if (o == "rnoatime") { m.recAttrClr |= MOUNT_ATTR__ATIME; m.recAttrSet = (m.recAttrSet & ~MOUNT_ATTR__ATIME) | MOUNT_ATTR_NOATIME; continue; }
      if (o == "rstrictatime") { m.recAttrClr |= MOUNT_ATTR__ATIME; m.recAttrSet = (m.recAttrSet & ~MOUNT_ATTR__ATIME) | MOUNT_ATTR_STRICTATIME; continue; }
      if (o == "ratime" || o == "rnorelatime" || o == "rnostrictatime") { m.recAttrClr |= MOUNT_ATTR__ATIME; continue; }
      // "rX" sets X, "rnoX"'s opposite ("rrw", "rsuid", ...) clears it.
      const clears = o == "rrw" || o == "rsuid" || o == "rdev" || o == "rexec" || o == "rdiratime" || o == "rsymfollow";
      if (clears) { m.recAttrClr |= bits; m.recAttrSet &= ~bits; } else { m.recAttrSet |= bits; m.recAttrClr &= ~bits; }
      continue;
    }
    if (o == "idmap" || o == "ridmap") { m.idmap = true; if (o == "ridmap") m.idmapRecursive = true; continue; }
    if (o == "tmpcopyup") { m.tmpcopyup = true; continue; }
    if (o == "copy-symlink" || o == "src-nofollow") return o;
    data.push(o);
  }
  m.data = joinStrings(data, ",");
  return "";
}
