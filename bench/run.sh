#!/bin/bash
# bench/run.sh — tsrun's benchmark suite, one command: tsrun side by side with runc,
# crun and the syscall floor, in one run. Root; Debian (installs what it needs).
#
#   bench/run.sh [--quick] [--cold] [--no-install]      measure, print the report,
#                                                       save it as bench/results/latest.md
#   bench/run.sh --report                               re-render the report from the raw
#                                                       data of the last run (no measuring)
#   bench/run.sh --clean                                remove the work dir ($BENCH_WORK)
#
# Measures: wall time (hyperfine, warm; cold cache with --cold) of the
# create+start+delete lifecycle and of `run`, next to a null loop and the floor
# (floor.c: namespaces + pivot_root + exec, no runtime); max RSS per verb and of the
# init waiting between create and start; `strace -f` syscall counts per verb and per
# lifecycle; binary sizes. See bench/README.md.
#
# Environment (all optional):
#   RUNTIMES="runc crun tsrun"  words: a name (runc, crun: from PATH; tsrun: bin/tsrun;
#                               tsrun-minimal: bin/tsrun-minimal) or label=path
#                               (relative paths are relative to the repository)
#   QUICK=1 (or --quick)        a smoke run under a minute: fewer runs and repeats
#   COLD=1 (or --cold)          also time with a cold page cache (drops the caches of
#                               the whole machine before every run)
#   N RUNS WARMUP               containers per hyperfine run, runs, warmup runs (10 20 3)
#   ROUNDS=R                    split the runs into R interleaved hyperfine invocations (1)
#   COLD_N COLD_RUNS            same for the cold run (1 15)
#   K_MEM K_SC                  repeats of the memory and strace phases (5 3)
#   PHASES="timing memory syscalls"   the phases to run (the preflight always runs)
#   ORDER=reverse               reverse hyperfine's command order
#   WAIT_QUIET=S                wait up to S seconds for an idle machine before timing
#   CGROUP_VIEW=auto|v1|v2|host the cgroup layout the runtimes see (see ns.sh)
#   MINIMAL_BUILD=1             build bin/tsrun-minimal (TSRUN_FEATURES=minimal) if missing
#   BENCH_WORK=/tmp/tsrun-bench work dir: tools, bundles, raw results of the last run
#   BENCH_CGROUP=tsrun-bench    the cgroup the bundle uses (/BENCH_CGROUP), removed after
#   NO_INSTALL=1 (or --no-install)  never call apt-get
set -euo pipefail

# the exact command, as typed from the repository root (before defaults are applied)
cmdline=
for v in RUNTIMES QUICK COLD N RUNS WARMUP ROUNDS COLD_N COLD_RUNS K_MEM K_SC PHASES ORDER WAIT_QUIET \
         CGROUP_VIEW MINIMAL_BUILD BENCH_WORK BENCH_CGROUP NO_INSTALL; do
  [[ -n ${!v+x} ]] && cmdline+="$v=$(printf '%q' "${!v}") "
done
cmdline+="bench/run.sh${*:+ $*}"

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
export BENCH_DIR REPO
source "$BENCH_DIR/lib.sh"

CLEAN=0 REPORT_ONLY=0
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;; --cold) COLD=1 ;; --no-install) NO_INSTALL=1 ;; --clean) CLEAN=1 ;; --report) REPORT_ONLY=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
die() { log "error: $*"; exit 1; }
[[ $(id -u) == 0 ]] || die "run as root (containers, mount namespaces, cgroups)"
[[ $WORK == /* && $WORK != *[[:space:]]* ]] || die "BENCH_WORK must be an absolute path without spaces"

mkdir -p "$WORK"
exec {lock}>"$WORK/.lock"
flock -n "$lock" || die "another bench/run.sh is using $WORK"
if ((CLEAN)); then
  cleanup_cgroups
  find "$WORK" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
  rm -f "$WORK/.lock"; rmdir "$WORK" 2>/dev/null || :
  log "removed $WORK"; exit 0
fi

render() {  # raw data -> bench/results/latest.md (+ a copy in $WORK/history/$1.md when given)
  local repo_meta
  python3 "$BENCH_DIR/report.py" "$RAW" "$RAW/syscalls-detail.md" >"$RAW/report.md"
  # no paths of this machine in files that may be committed: the repository is "."
  repo_meta=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["repo"])' "$RAW/meta.json")
  sed -i "s#$repo_meta/#./#g; s#$repo_meta#.#g" "$RAW/report.md" "$RAW/syscalls-detail.md"
  cp "$RAW/report.md" "$BENCH_DIR/results/latest.md"
  cp "$RAW/syscalls-detail.md" "$BENCH_DIR/results/latest-syscalls.md"
  [[ -z ${1:-} ]] || cp "$RAW/report.md" "$WORK/history/$1.md"
  cat "$BENCH_DIR/results/latest.md"
}
if ((REPORT_ONLY)); then
  [[ -f $RAW/meta.json ]] || die "no raw data in $RAW: run bench/run.sh first"
  mkdir -p "$BENCH_DIR/results"; render; exit 0
fi

QUICK=${QUICK:-0} COLD=${COLD:-0}
if [[ $QUICK == 1 ]]; then d_n=5 d_runs=5 d_warm=1 d_kmem=2 d_ksc=1 d_cruns=5 d_load=1
else d_n=10 d_runs=20 d_warm=3 d_kmem=5 d_ksc=3 d_cruns=15 d_load=2; fi
export N=${N:-$d_n} RUNS=${RUNS:-$d_runs} WARMUP=${WARMUP:-$d_warm} ROUNDS=${ROUNDS:-1} COLD COLD_N=${COLD_N:-1} \
  COLD_RUNS=${COLD_RUNS:-$d_cruns} K_MEM=${K_MEM:-$d_kmem} K_SC=${K_SC:-$d_ksc} \
  PHASES=${PHASES-timing memory syscalls} ORDER=${ORDER:-} WAIT_QUIET=${WAIT_QUIET:-} \
  CGROUP_VIEW=${CGROUP_VIEW:-auto} BENCH_WORK=$WORK BENCH_CGROUP=$CG_NAME
RUNTIMES=${RUNTIMES:-runc crun tsrun}
started=$SECONDS

# ------------------------------------------------------------------ packages
have() { command -v "$1" >/dev/null 2>&1; }
is_static() { ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
apt_install() {
  [[ $# -gt 0 ]] || return 0
  if [[ ${NO_INSTALL:-0} == 1 ]]; then log "missing packages (NO_INSTALL=1): $*"; return 0; fi
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
need=()
for p in hyperfine strace runc crun gcc python3; do have "$p" || need+=("$p"); done
have gcc && [[ -f $(gcc -print-file-name=libc.a) ]] || need+=(libc6-dev)
for p in unshare flock mountpoint; do have "$p" || { need+=(util-linux); break; }; done
bb=$(command -v busybox || true)
[[ -n $bb ]] && is_static "$bb" || need+=(busybox-static)
apt_install "${need[@]}"
bb=$(command -v busybox) || die "no busybox"
is_static "$bb" || die "$bb is not statically linked (install busybox-static)"
for p in hyperfine strace gcc python3 unshare; do have "$p" || die "$p is missing"; done

# ------------------------------------------------------------------ raw results dir
rm -rf "$RAW"; mkdir -p "$RAW" "$TOOLS" "$STATE"

# ------------------------------------------------------------------ runtimes
labels=()
declare -A paths=()
for w in $RUNTIMES; do
  case $w in
    *=*) label=${w%%=*} path=${w#*=} ;;
    tsrun) label=tsrun path=bin/tsrun ;;
    tsrun-minimal) label=tsrun-minimal path=bin/tsrun-minimal ;;
    */*) label=$(basename "$w") path=$w ;;
    *) label=$w path=$(command -v "$w" || echo "$w") ;;
  esac
  [[ $label =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ && $label != floor && $label != null && $label != true ]] ||
    die "bad runtime label '$label' in RUNTIMES"
  labels+=("$label") paths[$label]=$path
done
abs() { [[ $1 == /* ]] && echo "$1" || echo "$REPO/$1"; }

# ------------------------------------------------------------------ tsrun builds
build_note='' minimal_note=''
if [[ ${paths[tsrun]:-} == bin/tsrun && ! -x $REPO/bin/tsrun ]]; then
  have npm || apt_install nodejs npm
  log "bin/tsrun is missing: ./build.sh (log: $RAW/build.log)"
  if (cd "$REPO" && ./build.sh) >"$RAW/build.log" 2>&1; then build_note="bin/tsrun was built by run.sh"
  else build_note="./build.sh failed; tsrun could not be measured"; log "$build_note"; fi
fi
if [[ ${MINIMAL_BUILD:-0} == 1 && ! -x $REPO/bin/tsrun-minimal ]]; then
  log "building bin/tsrun-minimal (TSRUN_FEATURES=minimal; log: $RAW/build-minimal.log)"
  (cd "$REPO" && TSRUN_FEATURES=minimal TSRUN_OUT=bin/tsrun-minimal ./build.sh) >"$RAW/build-minimal.log" 2>&1 ||
    minimal_note="The minimal build (TSRUN_FEATURES=minimal TSRUN_OUT=bin/tsrun-minimal ./build.sh) failed."
fi
if [[ -x $REPO/bin/tsrun-minimal && -x $REPO/bin/tsrun ]] && cmp -s "$REPO/bin/tsrun" "$REPO/bin/tsrun-minimal"; then
  minimal_note="bin/tsrun-minimal is identical to bin/tsrun: TSRUN_FEATURES=minimal is not implemented yet?"
elif [[ ! -x $REPO/bin/tsrun-minimal ]]; then
  minimal_note="${minimal_note:-No minimal build (bin/tsrun-minimal): build it with MINIMAL_BUILD=1 bench/run.sh.}"
fi

# ------------------------------------------------------------------ tools and bundles
tool floor -O2 -static      # static: no dynamic loader work in the floor
tool rusage -O2 -static     # static and tiny: its own pages barely count in ru_maxrss
tool reaper -O2
lay_out_bundles "$bb"

# ------------------------------------------------------------------ cleanup, even on failure
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  cleanup_cgroups
  if grep -q 'tsrun-bench-' /proc/self/mounts; then log "warning: benchmark mounts visible in the host namespace"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ meta
cpu=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)
[[ -n $cpu ]] || cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)
rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
[[ -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]] && rev+=" + uncommitted changes"
. /etc/os-release 2>/dev/null || PRETTY_NAME='?'
log "measuring the machine's load"
load_before=$(cpu_busy "$d_load")
BENCH_RT_LIST=
for l in "${labels[@]}"; do BENCH_RT_LIST+="$l=$(abs "${paths[$l]}") "; done
export BENCH_RT_LIST RT_LIST=$BENCH_RT_LIST
settings="N=$N containers per hyperfine run, $RUNS runs + $WARMUP warmup"
((ROUNDS > 1)) && settings+=" in $ROUNDS rounds"
[[ $COLD == 1 ]] && settings+="; cold: N=$COLD_N, $COLD_RUNS runs" || settings+="; cold: off (--cold)"
settings+="; memory: $K_MEM repeats; strace: $K_SC repeats; phases: $PHASES${ORDER:+; order: $ORDER}"
python3 - "$RAW/meta.json" <<PY
import json, sys
labels = """${labels[*]}""".split()
paths = {$(for l in "${labels[@]}"; do printf '"%s": """%s""", ' "$l" "${paths[$l]}"; done)}
json.dump({
  "date": """$(date -u '+%Y-%m-%d %H:%M UTC')""",
  "command": """$cmdline""",
  "repo": """$REPO""",
  "labels": labels, "paths": paths,
  "extra_binaries": [["tsrun-minimal", "bin/tsrun-minimal"]],
  "machine": {
    "kernel": """$(uname -r)""",
    "CPU": """${cpu:-?} ($(nproc) CPUs online)""",
    "memory": """$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)""",
    "OS": """$PRETTY_NAME""",
    "tools": """$(hyperfine --version), $(strace -V | head -n1 | sed 's/ -- version//'), $(python3 --version)""",
    "tsrun commit": """$rev""",
  },
  "settings": """$settings""",
  "settings_raw": {"N": $N, "RUNS": $RUNS, "ROUNDS": $ROUNDS, "WARMUP": $WARMUP, "K_MEM": $K_MEM, "K_SC": $K_SC, "COLD": $COLD},
  "load_before": """$load_before""",
  "build_note": """$build_note""",
  "minimal_note": """$minimal_note""",
}, open(sys.argv[1], "w"), indent=1)
PY

# ------------------------------------------------------------------ measure
log "runtimes: $BENCH_RT_LIST"
log "$settings"
rc=0
"$BENCH_DIR/ns.sh" "$TOOLS/reaper" "$BENCH_DIR/inner.sh" || rc=$?
((rc == 0)) || log "measurement phases exited $rc (the report shows what was measured)"
cpu_busy "$d_load" >"$RAW/load-after"

# ------------------------------------------------------------------ report
mkdir -p "$BENCH_DIR/results" "$WORK/history"
render "$(date +%Y%m%d-%H%M%S)"
log "done in $((SECONDS - started)) s: bench/results/latest.md, bench/results/latest-syscalls.md; raw data in $RAW"
