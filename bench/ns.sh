#!/bin/bash
# ns.sh CMD [ARGS...] — run CMD in a private mount namespace prepared for the benchmark.
#
# Nothing changes in the host's mount namespace (--propagation private: no mount
# event propagates back). Inside:
#  * cgroup view (CGROUP_VIEW, default auto):
#      auto  hybrid host (cgroup2 at /sys/fs/cgroup/unified): unmount it, so every
#            runtime sees pure cgroup v1 (crun 1.8.1 refuses hybrid hosts); pure v1
#            and pure v2 hosts are left as they are
#      v1    like auto, but refuse to run on a pure v2 host
#      v2    hybrid host: mount cgroup2 over /sys/fs/cgroup (only the controllers
#            the unified hierarchy has, here hugetlb); pure v2 host: as is
#      host  change nothing
#    The unmounted /sys/fs/cgroup/unified gets a small throw-away tmpfs in its
#    place: a runtime that believes it is on v1 mkdirs <unified>/<cgroupsPath> and
#    writes cgroup.procs there; without the tmpfs those writes would land in the
#    host's /sys/fs/cgroup tmpfs, hidden under the cgroup2 mount.
#  * a tmpfs on $WORK/state: parent of the runtimes' --root state dirs (like /run).
# The view chosen is written to $RAW/cgroup-view. Root only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
mkdir -p "$STATE" "$RAW"
export CGROUP_VIEW=${CGROUP_VIEW:-auto} STATE RAW
exec unshare -m --propagation private -- /bin/bash -c '
set -euo pipefail
cg2() { [[ $(stat -f -c %T "$1" 2>/dev/null) == cgroup2fs ]]; }
hybrid=0; mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && cg2 /sys/fs/cgroup/unified && hybrid=1
hide_unified() {
  umount /sys/fs/cgroup/unified
  mount -t tmpfs -o size=1m,mode=755 tsrun-bench-unified-shadow /sys/fs/cgroup/unified
}
case $CGROUP_VIEW in
  auto|v1)
    if ((hybrid)); then hide_unified; view="v1 (hybrid host; its cgroup2 mount hidden in the benchmark namespace)"
    elif cg2 /sys/fs/cgroup; then
      [[ $CGROUP_VIEW == v1 ]] && { echo "ns.sh: pure cgroup v2 host: no v1 view possible" >&2; exit 1; }
      view="v2 (host)"
    else view="v1 (host)"; fi ;;
  v2)
    if cg2 /sys/fs/cgroup; then view="v2 (host)"
    elif ((hybrid)); then
      hide_unified; mount -t cgroup2 -o nosuid,nodev,noexec tsrun-bench-cgroup2 /sys/fs/cgroup
      view="v2 (hybrid host; cgroup2 mounted over /sys/fs/cgroup in the benchmark namespace)"
    else echo "ns.sh: no cgroup2 hierarchy on this host" >&2; exit 1; fi ;;
  host) view="host as is" ;;
  *) echo "ns.sh: CGROUP_VIEW must be auto, v1, v2 or host" >&2; exit 2 ;;
esac
mount -t tmpfs -o size=256m,mode=700 tsrun-bench-state "$STATE"
echo "$view" >"$RAW/cgroup-view"
exec "$@"' ns "$@"
