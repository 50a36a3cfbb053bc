#!/bin/bash
# seccomp.sh — what a Docker-sized seccomp profile costs: syscalls (strace -f -c, `run` of
# /bin/true: create + start + wait + delete) and wall time (hyperfine, one run, every
# runtime side by side), with and without the profile. Root; inside a private mount
# namespace with the hybrid host's cgroup2 mount hidden (crun 1.8.1 refuses hybrid hosts).
#   bench/seccomp.sh            RUNS=30 by default
#   OLD_TSRUN=path bench/seccomp.sh   also count syscalls of another tsrun (the default
#                                     path before seccomp) on the plain bundle
set -euo pipefail
cd "$(dirname "$0")/.."
W=${BENCH_WORK:-/tmp/tsrun-bench}/seccomp
RUNS=${RUNS:-30}
rm -rf "$W"; mkdir -p "$W"
node bench/seccomp-bundles.mjs "$W"
TSRUN=$PWD/bin/tsrun
export W RUNS TSRUN OLD_TSRUN=${OLD_TSRUN:-}
exec unshare -m --propagation private -- /bin/bash -c '
set -euo pipefail
if mountpoint -q /sys/fs/cgroup/unified; then
  umount /sys/fs/cgroup/unified
  mount -t tmpfs -o size=1m,mode=755 tsrun-bench-unified-shadow /sys/fs/cgroup/unified
fi
declare -A RT=([tsrun]=$TSRUN [runc]=/usr/sbin/runc [crun]=/usr/bin/crun)
[[ -n $OLD_TSRUN ]] && RT[tsrun-before]=$OLD_TSRUN
count() { # runtime bundle -> total syscalls of `run`
  local out=$W/sc.$$; strace -f -c -o "$out" "$2" --root "$W/root-$1" run --bundle "$W/$3" "sc-$1" >/dev/null 2>&1 </dev/null || true
  awk "/total$/ {print \$4}" "$out"
}
echo "| runtime | syscalls, plain | syscalls, with the profile |"
echo "|---|---|---|"
for r in tsrun-before tsrun runc crun; do
  [[ -n ${RT[$r]:-} ]] || continue
  p=$(count "$r" "${RT[$r]}" plain); s=$( [[ $r == tsrun-before ]] && echo - || count "$r" "${RT[$r]}" profile)
  echo "| $r | $p | $s |"
done
cmds=()
for r in tsrun runc crun; do
  for b in plain profile; do cmds+=(-n "$r $b" "${RT[$r]} --root $W/root-$r run --bundle $W/$b h-$r-$b"); done
done
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$W/hyperfine.md" "${cmds[@]}" >/dev/null
cat "$W/hyperfine.md"
'
