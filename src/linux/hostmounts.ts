// `mounts` of a container that shares the runtime's (the host's) mount namespace.
// Init binds root.path onto itself first and mounts everything under that bind, so one
// lazy unmount of the bind removes them all: the host's mount table is left as it was
// (runc and crun leave such mounts behind after delete). The propagation of existing host
// mounts is never changed; the bind keeps the one it inherits, so its detach reaches any
// copy of it made in another namespace.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail } from "../errors/failure";
import { ENOENT, EINVAL } from "../errors/errno";
import { MS_BIND, MS_REC } from "../spec/mountopts";
import { MNT_DETACH } from "./consts";

const SYS_statx = 332;
const STATX_MNT_ID: u32 = 0x1000;

// The id of the mount path resolves into (statx stx_mnt_id), or -errno.
export function mountIdOf(path: string): Result<u64> {
  const buf = memory.data(256);
  const rc = sys.sys6Raw(SYS_statx, sys.AT_FDCWD, sys.cstr(path), 0, STATX_MNT_ID, sys.host(buf), 0);
  if (rc < 0) return err<u64>(sysFail("statx", path, rc));
  if ((load<u32>(buf) & STATX_MNT_ID) == 0) return err<u64>(sysFail("statx (mount id)", path, -EINVAL));
  return ok<u64>(load<u64>(buf, 0x90));
}

// In init, before `mounts`: the bind that holds them.
export function bindRootInPlace(rootfs: string): Failure | null {
  const rc = sys.mount(rootfs, rootfs, null, MS_BIND | MS_REC, null);
  if (rc < 0) return sysFail("bind rootfs onto itself", rootfs, rc);
  return null;
}

// delete, or a failed create: lazily unmount what was stacked on rootfs since create
// recorded the mount under it (base), the bind and with it every mount beneath. A path
// back on base (never bound, or already removed) or gone is left alone.
export function detachHostMounts(rootfs: string, base: u64): Failure | null {
  for (let i = 0; i < 16; i++) {
    const id = mountIdOf(rootfs);
    if (!id.ok) return id.err!.errno == ENOENT ? null : id.err;
    if (id.value == base) return null;
    const rc = sys.umount2(rootfs, MNT_DETACH);
    if (rc == -ENOENT || rc == -EINVAL) return null;
    if (rc < 0) return sysFail("unmount the container's mounts on", rootfs, rc);
  }
  return null;
}
