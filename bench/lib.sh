# shellcheck shell=bash disable=SC2034
# lib.sh — shared settings and helpers, sourced by the bench/ scripts (bash).
# Everything is configured by environment variables; run.sh sets and exports them.

BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
REPO=${REPO:-$(cd "$BENCH_DIR/.." && pwd)}
WORK=${BENCH_WORK:-/tmp/tsrun-bench}       # tools, bundles, raw results, state tmpfs
TOOLS=$WORK/tools                          # floor, reaper, rusage (compiled from bench/*.c)
BUNDLE=$WORK/bundle-true                   # the measured bundle: busybox rootfs, /bin/true
CHECK_BUNDLE=$WORK/bundle-check            # same config, process prints proof it ran contained
STATE=$WORK/state                          # a tmpfs inside the private mount namespace
RAW=${BENCH_RAW:-$WORK/raw}                # raw results of the current run
CG_NAME=${BENCH_CGROUP:-tsrun-bench}       # the only cgroup the benchmark creates (cgroupsPath /$CG_NAME)
# runtimes as "label=path" words; run.sh resolves RUNTIMES into this
RT_LIST=${BENCH_RT_LIST:-}

# Ctrl-C / TERM: stop at once, even when the foreground child (strace) handled the
# signal and exited normally (bash would otherwise carry on with the next command)
trap 'exit 130' INT TERM

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

rt_labels() { local w; for w in $RT_LIST; do printf '%s\n' "${w%%=*}"; done; }
rt_path() { local w; for w in $RT_LIST; do [[ ${w%%=*} == "$1" ]] && { printf '%s\n' "${w#*=}"; return 0; }; done; return 1; }

# preflight verdict of runtime $1 for verb $2 (create|start|delete|run): true if it passed
verb_ok() { [[ -f $RAW/check/$1.$2 && $(<"$RAW/check/$1.$2") == ok ]]; }

# fork-free sleeps: a fifo that never gets data, read with a timeout
_nap_fd=
nap() {
  if [[ -z $_nap_fd ]]; then
    local f; f=$(mktemp -u "${TMPDIR:-/tmp}/bench-nap.XXXXXX"); mkfifo "$f"
    exec {_nap_fd}<>"$f"; rm -f "$f"
  fi
  read -r -t "$1" -u "$_nap_fd" || :
}

# compile bench/NAME.c into $TOOLS/NAME when missing or older: tool NAME GCC-FLAGS...
tool() {
  local name=$1; shift
  mkdir -p "$TOOLS"
  if [[ ! -x $TOOLS/$name || $BENCH_DIR/$name.c -nt $TOOLS/$name ]]; then
    gcc "$@" -Wall -Wextra -o "$TOOLS/$name.tmp" "$BENCH_DIR/$name.c" && mv "$TOOLS/$name.tmp" "$TOOLS/$name"
  fi
}

# the two bundles on a busybox rootfs (static busybox $1): $BUNDLE runs /bin/true,
# $CHECK_BUNDLE (same config) prints proof that it ran contained
lay_out_bundles() {
  local bb=$1 rootfs=$BUNDLE/rootfs c
  mkdir -p "$rootfs"/{bin,proc,dev,sys,tmp}
  cmp -s "$bb" "$rootfs/bin/busybox" || cp "$bb" "$rootfs/bin/busybox"
  for c in sh true echo cat ls sleep hostname; do ln -sfn busybox "$rootfs/bin/$c"; done
  python3 "$BENCH_DIR/bundle.py" "$BUNDLE" rootfs "/$CG_NAME" bench /bin/true
  python3 "$BENCH_DIR/bundle.py" "$CHECK_BUNDLE" "$rootfs" "/$CG_NAME" bench-check \
    /bin/sh -c 'echo tsrun-bench-ok pid=$$ host=$(hostname)'
}

# the detached `strace -D` tracer writing to file $1 (found by its unique -o argument)
find_tracer() {
  local f a p
  for f in /proc/[0-9]*/cmdline; do
    p=${f#/proc/}; p=${p%/cmdline}
    mapfile -d '' a <"$f" 2>/dev/null || continue
    [[ ${a[0]:-} == strace || ${a[0]:-} == */strace ]] || continue
    [[ " ${a[*]} " == *" $1 "* ]] && { echo "$p"; return 0; }
  done
  return 1
}

# wait until process $1 is gone (reaped), at most $2 seconds (default 10); 1 on timeout
wait_gone() {
  local pid=$1 limit=${2:-10} end
  end=$(( ${EPOCHREALTIME/./} + limit * 1000000 ))
  while kill -0 "$pid" 2>/dev/null; do
    (( ${EPOCHREALTIME/./} < end )) || return 1
    nap 0.0005
  done
}

# kill whatever is left in our cgroup (only ours: $CG_NAME) and remove it, in every
# hierarchy visible from this mount namespace. Deepest first. A directory a runtime
# created in a plain tmpfs (a v1 runtime writing where it believes a hierarchy is)
# is removed too.
cleanup_cgroups() {
  local top d p
  for top in /sys/fs/cgroup/"$CG_NAME" /sys/fs/cgroup/*/"$CG_NAME"; do
    [[ -d $top ]] || continue
    while IFS= read -r d; do
      if [[ -f $d/cgroup.procs && $(stat -f -c %T "$d") == cgroup* ]]; then
        while read -r p; do kill -KILL "$p" 2>/dev/null || :; done <"$d/cgroup.procs"
        [[ -f $d/freezer.state ]] && echo THAWED >"$d/freezer.state" 2>/dev/null
        [[ -f $d/cgroup.freeze ]] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
        local i; for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
      elif [[ $(stat -f -c %T "$d") == tmpfs && $d == /sys/fs/cgroup/* ]]; then
        rm -rf -- "$d"
      fi
    done < <(find "$top" -depth -type d 2>/dev/null)
    [[ -d $top ]] && log "warning: could not remove $top"
  done
  return 0
}

# CPU busy % of the whole machine over $1 seconds (other tenants' load is noise)
cpu_busy() {
  local s=${1:-2} a b c d e f g h a2 b2 c2 d2 e2 f2 g2 h2 busy idle
  read -r _ a b c d e f g h _ </proc/stat
  sleep "$s"
  read -r _ a2 b2 c2 d2 e2 f2 g2 h2 _ </proc/stat
  busy=$(( (a2-a)+(b2-b)+(c2-c)+(f2-f)+(g2-g)+(h2-h) )); idle=$(( (d2-d)+(e2-e) ))
  echo "$(( 100*busy/(busy+idle > 0 ? busy+idle : 1) ))% busy over ${s}s ($(nproc) CPUs), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
}
