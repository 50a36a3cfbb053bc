#!/usr/bin/env bash
# soak.sh — N sequential container lifecycles with one runtime, then a leak report.
#
#   bash test/soak.sh [N]          (default 2000; as root)
#
# Each iteration: create (pid file), start, exec `true`, pause, resume, kill KILL, wait
# until init is gone, delete. Before and after the loop it measures what a runtime could
# leak: file handles (system-wide, and any fd anywhere that points into the soak's dirs),
# host mounts (all, and those mentioning the soak's dirs), cgroup directories (all, and
# those named after the soak's ids), state dirs, session keyrings named after the ids,
# zombie processes (system-wide, and under the soak's subreaper) and live processes in the
# rootfs. The soak-specific counts must end at zero growth (exit 1 otherwise); system-wide
# counts are reported too but other activity on the host moves them.
#
# The loop runs under bench/reaper.c as a child subreaper (as containerd-shim is), so the
# container inits that `create` leaves behind are reaped by us, not by PID 1.
# Environment: TSRUN_BIN (default bin/tsrun; /usr/sbin/runc works too), SOAK_TMP (/tmp).
set -Eeuo pipefail
trap 'echo "soak.sh: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
cd "$(dirname "$0")/.."
N=${1:-2000}
RT=${TSRUN_BIN:-$PWD/bin/tsrun}
[ "$(id -u)" = 0 ] || { echo "soak.sh: run as root" >&2; exit 1; }
[ -x "$RT" ] || { echo "soak.sh: $RT not found (./build.sh)" >&2; exit 1; }

if [ "${SOAK_INNER:-}" != 1 ]; then
  tmp=$(mktemp -d "${SOAK_TMP:-/tmp}/tsrun-soak.XXXXXX")
  prefix=soak$$
  # also after a failure: no container, cgroup or state left by the soak itself
  cleanup() {
    local id d
    for id in $(ls "$tmp/root" 2>/dev/null); do "$tmp/runtime" --root "$tmp/root" delete --force "$id" >/dev/null 2>&1 || :; done
    for d in /sys/fs/cgroup/*/"$prefix" /sys/fs/cgroup/"$prefix"; do
      [ -d "$d" ] || continue
      echo THAWED > "$d/freezer.state" 2>/dev/null || :
      rmdir "$d" 2>/dev/null || :
    done
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  gcc -O2 -o "$tmp/reaper" bench/reaper.c
  cp "$RT" "$tmp/runtime"   # a rebuild meanwhile does not change what is measured
  test/fixtures/mkbundle.sh "$tmp/bundle" >/dev/null
  # the container sleeps until killed; cgroupsPath names the soak
  node -e 'const fs = require("fs"), f = process.argv[1], c = JSON.parse(fs.readFileSync(f));
    c.process.args = ["sleep", "1000"]; c.linux.cgroupsPath = "/" + process.argv[2];
    fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$tmp/bundle/config.json" "$prefix"
  rc=0
  SOAK_INNER=1 SOAK_DIR=$tmp SOAK_PREFIX=$prefix TSRUN_BIN=$tmp/runtime "$tmp/reaper" bash ${SOAK_TRACE:+-x} "$0" "$N" || rc=$?
  [ $rc = 0 ] || echo "soak.sh: the loop ended with status $rc" >&2
  exit $rc
fi

tmp=$SOAK_DIR prefix=$SOAK_PREFIX
root=$tmp/root bundle=$tmp/bundle

# fork-free: /proc/PID/stat read with `read` (it may vanish meanwhile), the rootfs compared
# with -ef (device, inode)
is_zombie() { local st; { read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1; [[ $st =~ \)\ Z\  ]]; }
zombies() { local n=0 p; for p in /proc/[0-9]*; do is_zombie "${p#/proc/}" && n=$((n + 1)); done; echo $n; }
my_zombies() { local n=0 c; for c in $(cat /proc/$PPID/task/*/children 2>/dev/null); do
  is_zombie "$c" && n=$((n + 1)); done; echo $n; }
in_rootfs() { local n=0 p; for p in /proc/[0-9]*; do
  [[ $p/root/. -ef $bundle/rootfs && ${p#/proc/} != "$$" ]] && n=$((n + 1)); done; echo $n; }
# (find fails when a process vanishes while it walks /proc: counted anyway)
fds_into() { { find /proc/[0-9]*/fd \( -lname "$root*" -o -lname "$bundle*" \) 2>/dev/null || :; } | wc -l; }
cgroup_dirs() { { find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null || :; } | wc -l; }
cgroups_named() { { find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "$prefix*" 2>/dev/null || :; } | wc -l; }
keyrings() { grep -c "_ses\.$prefix" /proc/keys || true; }

measure() {
  declare -gA "$1"
  local -n m=$1
  m[file handles (system)]=$(cut -f1 /proc/sys/fs/file-nr)
  m[fds into the root or bundle]=$(fds_into)
  m[mounts (host namespace)]=$(wc -l < /proc/self/mountinfo)
  m[mounts mentioning the soak]=$(grep -c "$tmp" /proc/self/mountinfo || true)
  m[cgroup dirs (all, depth 3)]=$(cgroup_dirs)
  m[cgroup dirs of the soak]=$(cgroups_named)
  m[state dirs]=$({ find "$root" -mindepth 1 -maxdepth 1 2>/dev/null || :; } | wc -l)
  m[session keyrings of the soak]=$(keyrings)
  m[zombies (system)]=$(zombies)
  m[zombies under the soak]=$(my_zombies)
  m[processes in the rootfs]=$(in_rootfs)
}
# the soak-specific measures: any growth is a leak
strict=("fds into the root or bundle" "mounts mentioning the soak" "cgroup dirs of the soak" "state dirs"
  "session keyrings of the soak" "zombies under the soak" "processes in the rootfs")
order=("file handles (system)" "fds into the root or bundle" "mounts (host namespace)" "mounts mentioning the soak"
  "cgroup dirs (all, depth 3)" "cgroup dirs of the soak" "state dirs" "session keyrings of the soak"
  "zombies (system)" "zombies under the soak" "processes in the rootfs")

fail() { echo "soak.sh: iteration $i: $*" >&2; exit 1; }
mkfifo "$tmp/nap"; exec {nap}<>"$tmp/nap"   # read -t on it: a fork-free sleep
gone() { [[ ! -e /proc/$1/stat ]] || is_zombie "$1"; }

# one warm-up lifecycle so first-use effects (the root dir, page cache) are not counted
lifecycle() {
  local id=$prefix-$1
  "$RT" --root "$root" create --bundle "$bundle" --pid-file "$tmp/pid" "$id" </dev/null >/dev/null 2>"$tmp/err" || fail "create: $(<"$tmp/err")"
  local pid; pid=$(<"$tmp/pid")
  "$RT" --root "$root" start "$id" 2>"$tmp/err" || fail "start: $(<"$tmp/err")"
  "$RT" --root "$root" exec "$id" true </dev/null >/dev/null 2>"$tmp/err" || fail "exec: $(<"$tmp/err")"
  "$RT" --root "$root" pause "$id" 2>"$tmp/err" || fail "pause: $(<"$tmp/err")"
  "$RT" --root "$root" resume "$id" 2>"$tmp/err" || fail "resume: $(<"$tmp/err")"
  "$RT" --root "$root" kill "$id" KILL 2>"$tmp/err" || fail "kill: $(<"$tmp/err")"
  local w=0
  until gone "$pid"; do w=$((w + 1)); ((w < 5000)) || fail "init $pid did not exit"; read -r -t 0.002 -u "$nap" || :; done
  "$RT" --root "$root" delete "$id" 2>"$tmp/err" || fail "delete: $(<"$tmp/err")"
}
i=warmup; lifecycle warmup
sleep 0.2
measure before
start=$(date +%s.%N)
for ((i = 1; i <= N; i++)); do
  lifecycle "$i"
  if ((N >= 100 && i % (N / 10) == 0)); then echo "soak: $i/$N" >&2; fi
done
end=$(date +%s.%N)
sleep 0.5   # the last init's reaping, the last cgroup's release
measure after

echo "soak: $N lifecycles (create, start, exec, pause, resume, kill, delete) with $("$RT" --version | head -1)"
awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN { printf "soak: %.1f s, %.1f ms per lifecycle\n", e - s, (e - s) * 1000 / n }'
printf '%-32s %10s %10s %8s\n' measure before after growth
leak=0
for k in "${order[@]}"; do
  g=$((after[$k] - before[$k]))
  mark=''
  for s in "${strict[@]}"; do [[ $s == "$k" ]] && ((g > 0)) && { mark=' LEAK'; leak=1; }; done
  printf '%-32s %10s %10s %8s%s\n' "$k" "${before[$k]}" "${after[$k]}" "$g" "$mark"
done
if ((leak)); then echo "soak: FAILED: something grew" >&2; exit 1; fi
echo "soak: no growth"
