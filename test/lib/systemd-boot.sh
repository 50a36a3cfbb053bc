#!/usr/bin/env bash
# Runs as PID 1 of fresh pid, mount, uts and cgroup namespaces (test/lib/systemd.mjs starts it
# with unshare, after moving itself into a dedicated cgroup v2 directory) and becomes a
# private systemd that shares NOTHING writable with the host:
#   - its root is a non-recursive read-only bind of the host's / (no submount comes along);
#   - tmpfs over /run, /tmp, /var, /etc (a few files copied in), /dev (a few nodes bound);
#   - proc (its /proc/sys read-only), sysfs (read-only) and cgroup2 mounted fresh: the
#     cgroup namespace root is the dedicated directory, so systemd's whole tree lives there;
#   - the boot target (tsrun-test.target) has DefaultDependencies=no and pulls in nothing: no
#     sysinit.target, no tmpfiles, no journald.
# $1: the test's work directory: $1/root (empty: the mount point of the private root) and
# $1/share (bound at /run/tsrun-share inside: bundles, the binary under test).
set -euo pipefail
share=$1/share
root=$1/root
# The unshare parent still sits in the dedicated cgroup (the namespace root): it is moved
# out first (a process there would block enabling controllers below it), then $1/go appears.
for _ in $(seq 1000); do [ -e "$1/go" ] && break; sleep 0.01; done
[ -e "$1/go" ] || { echo "systemd-boot: no go" >&2; exit 1; }
mount --make-rprivate /
mount --bind -o ro / "$root"
mount -o remount,bind,ro "$root"
for d in run tmp var etc dev; do mount -t tmpfs -o mode=0755,nosuid tsrun-sd "$root/$d"; done
mount -t proc proc "$root/proc"
# kernel settings are global: read-only for this systemd (as in any container)
for p in sys sysrq-trigger; do mount --bind "$root/proc/$p" "$root/proc/$p" && mount -o remount,bind,ro "$root/proc/$p"; done
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup"
for n in null zero full random urandom tty; do
  touch "$root/dev/$n"
  mount --bind "/dev/$n" "$root/dev/$n"
done
mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/run/tsrun-share"
ln -s ../run "$root/var/run"
mount --bind "$share" "$root/run/tsrun-share"
# /etc: only what name lookups and systemd need; the host's unit files stay out of reach.
for f in passwd group nsswitch.conf os-release; do [ -e "/etc/$f" ] && cp -L "/etc/$f" "$root/etc/$f"; done
: > "$root/etc/machine-id"
mkdir -p "$root/etc/systemd/system"
cat > "$root/etc/systemd/system/tsrun-test.target" <<'UNIT'
[Unit]
Description=tsrun test boot target (pulls in nothing)
DefaultDependencies=no
UNIT
cd "$root"
mkdir -p "$root/run/old-root"
pivot_root . run/old-root
exec /usr/sbin/chroot . /bin/sh -c 'umount -l /run/old-root && rmdir /run/old-root && exec env -i container=tsrun-test PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system --unit=tsrun-test.target --log-target=console --log-level=notice'
