// AppArmor (process.apparmorProfile) and SELinux (process.selinuxLabel, linux.mountLabel):
// the label the user process gets at execve, written to /proc/thread-self/attr/... .
// Where the LSM is not enabled the setting is dropped (AppArmor: as runc's callers expect and
// as crun does; SELinux: as runc does for labels). Where it is enabled, a failed write is an
// error: a profile that was asked for is never silently not applied.
import * as sys from "../sys/syscall";
import { Failure, sysFail } from "../errors/failure";
import { readFileAt, writeString } from "../sys/io";
import { Plan } from "../plan/plan";

// AppArmor is enabled when securityfs shows it and the module parameter says Y.
export function apparmorEnabled(): bool {
  if (sys.faccessat(sys.AT_FDCWD, "/sys/kernel/security/apparmor", 0) != 0) return false;
  const r = readFileAt(sys.AT_FDCWD, "/sys/module/apparmor/parameters/enabled");
  return r.ok && r.value.byteLength > 0 && load<u8>(changetype<usize>(r.value)) == 0x59; // 'Y'
}

// SELinux is enabled when selinuxfs is mounted.
export function selinuxEnabled(): bool {
  return sys.faccessat(sys.AT_FDCWD, "/sys/fs/selinux/enforce", 0) == 0;
}

// Decides the attribute writes (parent side; costs nothing when neither is asked for).
export function planLsm(p: Plan, apparmorProfile: string, selinuxLabel: string): void {
  if (apparmorProfile.length > 0 && apparmorEnabled()) {
    // The AppArmor-specific directory (Linux 5.8+, LSM stacking), else the shared one.
    const dir = sys.faccessat(sys.AT_FDCWD, "/proc/thread-self/attr/apparmor", 0) == 0 ? "apparmor/" : "";
    p.lsmAttrs.push(dir + "exec");
    p.lsmValues.push("exec " + apparmorProfile);
    p.lsmWhat.push("AppArmor profile " + apparmorProfile);
  }
  if (selinuxLabel.length > 0 && selinuxEnabled()) {
    p.lsmAttrs.push("exec");
    p.lsmValues.push(selinuxLabel);
    p.lsmWhat.push("SELinux label " + selinuxLabel);
  }
}

// Opens the attribute files while /proc is still the host's procfs (before pivot_root or
// setns into the container's mount namespace): a /proc the image controls cannot stand in
// for them (CVE-2019-16884).
export function openLsmAttrs(p: Plan): Failure | null {
  for (let i = 0; i < p.lsmAttrs.length; i++) {
    const path = "/proc/thread-self/attr/" + p.lsmAttrs[i];
    const fd = sys.openat(sys.AT_FDCWD, path, sys.O_WRONLY | sys.O_CLOEXEC);
    if (fd < 0) return sysFail("apply " + p.lsmWhat[i] + ": open", path, fd);
    p.lsmFds.push(<i32>fd);
  }
  return null;
}

// Sets the labels for the next execve (before capabilities and ids are dropped, as runc).
export function applyLsmAttrs(p: Plan): Failure | null {
  for (let i = 0; i < p.lsmFds.length; i++) {
    const rc = writeString(p.lsmFds[i], p.lsmValues[i]);
    sys.close(p.lsmFds[i]);
    if (rc < 0) return sysFail("apply " + p.lsmWhat[i], "/proc/thread-self/attr/" + p.lsmAttrs[i], rc);
  }
  return null;
}
