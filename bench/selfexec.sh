#!/bin/bash
# selfexec.sh — what tsrun's CVE-2019-5736 defence costs. create, run and exec re-execute
# tsrun from a sealed memfd copy of its binary, except when the binary sits on a
# read-only mount (it cannot be overwritten, src/linux/selfexec.ts). So the same binary
# measured from a writable path and from a read-only bind mount differs only by the
# copy: side by side,
#   - time (hyperfine, warm; wall and user+sys CPU): lifecycle (create+start+delete) and
#     `run` of the benchmark bundle, N containers per hyperfine run (lifecycle.sh), and
#     `run` timed by hyperfine directly (one per run: no loop around it, less noise);
#   - syscalls (strace -f -c): create (strace -D, stopped when create returns, as in
#     syscalls.sh) and `run`; the calls that differ, by name;
#   - memory of the init waiting between create and start, and of the `run` parent while
#     its container runs (/proc/PID/status, smaps_rollup, and the blocks of the memfd
#     they execute: the copy each holds), plus the machine's Shmem with HOLD waiting inits.
# ~1.5 min (not part of bench/run.sh). Root. Inside ns.sh + reaper (private mount namespace: the read-only bind vanishes
# with it). Reuses bench/run.sh's work dir, tools and bundle (made here when missing).
#
#   bench/selfexec.sh            prints a markdown report, saved as $BENCH_WORK/selfexec/report.md
# Environment: TSRUN (binary, default bin/tsrun), N RUNS WARMUP (10 20 3), ROUNDS
# (hyperfine invocations, alternating, merged; 2), K_MEM (3), HOLD (10), BENCH_WORK.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
export BENCH_DIR REPO
SE=${BENCH_WORK:-/tmp/tsrun-bench}/selfexec
export BENCH_RAW=$SE/raw
source "$BENCH_DIR/lib.sh"

if [[ ${1:-} != --inner ]]; then
  [[ $(id -u) == 0 ]] || { log "error: run as root"; exit 1; }
  for p in hyperfine strace gcc python3 unshare busybox; do
    command -v "$p" >/dev/null || { log "error: $p is missing (bench/run.sh installs what it needs)"; exit 1; }
  done
  TSRUN=$(cd "$REPO" && realpath "${TSRUN:-bin/tsrun}")
  [[ -x $TSRUN ]] || { log "error: no $TSRUN (./build.sh)"; exit 1; }
  mkdir -p "$WORK"
  exec {lock}>"$WORK/.lock"
  flock -n "$lock" || { log "error: another benchmark is using $WORK"; exit 1; }
  tool reaper -O2
  tool rusage -O2 -static
  lay_out_bundles "$(command -v busybox)"
  rm -rf "$SE"; mkdir -p "$RAW" "$SE/bin/rw" "$SE/bin/ro"
  # the same bytes twice, on the same filesystem; only the read-only bind differs
  cp "$TSRUN" "$SE/bin/rw/tsrun"; cp "$TSRUN" "$SE/bin/ro/tsrun"
  # a container that stays up (the `run` parent is measured while it runs)
  python3 "$BENCH_DIR/bundle.py" "$SE/bundle-sleep" "$BUNDLE/rootfs" "/$CG_NAME" bench /bin/sleep 30
  # HOLD containers alive at once: one cgroup each (delete removes its container's cgroup)
  for ((i = 0; i < ${HOLD:-10}; i++)); do
    python3 "$BENCH_DIR/bundle.py" "$SE/hold/h$i" "$BUNDLE/rootfs" "/$CG_NAME/h$i" bench /bin/true
  done
  export N=${N:-10} RUNS=${RUNS:-20} WARMUP=${WARMUP:-3} ROUNDS=${ROUNDS:-2} K_MEM=${K_MEM:-3} HOLD=${HOLD:-10} SE
  trap cleanup_cgroups EXIT
  log "measuring the machine's load"
  cpu_busy 2 >"$RAW/load-before"
  "$BENCH_DIR/ns.sh" "$TOOLS/reaper" "$BENCH_DIR/selfexec.sh" --inner
  cpu_busy 2 >"$RAW/load-after"
  python3 - "$RAW" "$TSRUN" "$REPO" >"$SE/report.md" <<'PY'
import json, os, re, statistics, sys
raw, tsrun, repo = sys.argv[1:4]
env = os.environ
n = int(env["N"])
rd = lambda f: open(os.path.join(raw, f)).read()
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("## Cost of the CVE-2019-5736 defence (bench/selfexec.sh)\n")
print(f"Binary: {os.path.relpath(tsrun, repo)}, {os.path.getsize(tsrun):,} B; copies in a writable "
      "directory (`rw`: re-executed from a sealed memfd) and in a read-only bind mount (`ro`: the copy is "
      f"skipped). Load before: {rd('load-before').strip()}; after: {rd('load-after').strip()}.\n")
# timing: the rounds merged, per container
times, cpu = {}, {}
for f in sorted(os.listdir(raw)):
    if re.fullmatch(r"timing\.r\d+\.json", f):
        for r in json.load(open(os.path.join(raw, f)))["results"]:
            k = 1 if r["command"].endswith("direct") else n   # direct: one `run` per hyperfine run
            times.setdefault(r["command"], []).extend(t / k * 1000 for t in r["times"])
            cpu.setdefault(r["command"], []).append((r["user"] + r["system"]) / k * 1000)
print(f"### Time, warm (ms per container; wall: median, min–max of {len(times.get('rw lifecycle', []))} runs × N={n} "
      "(lifecycle.sh loops) or × 1 (direct: hyperfine runs `tsrun run` itself); CPU: user+sys, mean)\n")
print("| | rw wall (memfd copy) | ro wall (no copy) | wall cost of the copy | rw CPU | ro CPU | CPU cost |\n"
      "|---|---:|---:|---:|---:|---:|---:|")
for what in ("lifecycle", "run", "run, direct"):
    a, b = times.get(f"rw {what}", []), times.get(f"ro {what}", [])
    ca, cb = statistics.mean(cpu.get(f"rw {what}", [0])), statistics.mean(cpu.get(f"ro {what}", [0]))
    d = med(a) - med(b)
    print(f"| {what} | {med(a):.2f} ({min(a, default=0):.1f}–{max(a, default=0):.1f}) | "
          f"{med(b):.2f} ({min(b, default=0):.1f}–{max(b, default=0):.1f}) | {d:+.2f} ({d / med(b) * 100:+.0f} %) | "
          f"{ca:.2f} | {cb:.2f} | {ca - cb:+.2f} |")
# syscalls
def counts(f):
    c = {}
    try:
        for line in open(os.path.join(raw, f)):
            p = line.split()
            if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                c[p[-1]] = int(p[3])
    except FileNotFoundError:
        pass
    return c
print("\n### Syscalls (strace -f -c)\n")
print("| verb | rw | ro | difference | calls that differ (rw/ro) |\n|---|---:|---:|---:|---|")
for verb in ("create", "run"):
    a, b = counts(f"rw.{verb}.c"), counts(f"ro.{verb}.c")
    diff = [f"{k} {a.get(k, 0)}/{b.get(k, 0)}" for k in sorted(set(a) | set(b)) if a.get(k, 0) != b.get(k, 0)]
    print(f"| {verb} | {sum(a.values())} | {sum(b.values())} | {sum(a.values()) - sum(b.values()):+d} | {', '.join(diff)} |")
# memory
def kv(f):
    d = {}
    try:
        for line in open(os.path.join(raw, f)):
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m: d[m[1]] = int(m[2])
    except FileNotFoundError:
        pass
    return d
print(f"\n### Memory (KiB, median of {env['K_MEM']})\n")
print("| process | exe | VmRSS | RssAnon | RssFile | RssShmem | Pss | memfd held |\n|---|---|---:|---:|---:|---:|---:|---:|")
for who, label in (("init", "init waiting between create and start"), ("runparent", "`run` parent while its container runs")):
    for v in ("rw", "ro"):
        ks = sorted(int(m[1]) for f in os.listdir(raw) if (m := re.fullmatch(rf"{v}\.{who}\.(\d+)\.status", f)))
        st = [kv(f"{v}.{who}.{k}.status") for k in ks]; sm = [kv(f"{v}.{who}.{k}.smaps") for k in ks]
        ex = [rd(f"{v}.{who}.{k}.exe").split("\t") for k in ks]
        g = lambda L, key: med([x.get(key, 0) for x in L])
        held = med([int(e[1]) // 2 if "memfd" in e[0] else 0 for e in ex])
        print(f"| {label}, {v} | {ex[0][0] if ex else '?'} | {g(st, 'VmRSS'):.0f} | {g(st, 'RssAnon'):.0f} | "
              f"{g(st, 'RssFile'):.0f} | {g(st, 'RssShmem'):.0f} | {g(sm, 'Pss'):.0f} | {held:.0f} |")
hold = env["HOLD"]
print(f"\nShmem of the machine (/proc/meminfo) with {hold} waiting inits, minus before them "
      "(other tenants' noise included):", ", ".join(f"{v} {rd(v + '.hold').strip()} KiB" for v in ("rw", "ro")))
print(f"\nraw data: $BENCH_WORK/selfexec/raw; hyperfine command: `{rd('timing.r1.cmd').strip()}`")
PY
  sed -i "s#$REPO/#./#g; s#$WORK/#\$BENCH_WORK/#g" "$SE/report.md"
  cat "$SE/report.md"
  exit 0
fi

# ------------------------------------------------------------------ inside ns.sh + reaper
RW=$SE/bin/rw/tsrun RO=$SE/bin/ro/tsrun
mount --bind "$SE/bin/ro" "$SE/bin/ro"
mount -o remount,bind,ro "$SE/bin/ro"
trap cleanup_cgroups EXIT
cleanup_cgroups

exe_of() { printf '%s\t%s\n' "$(readlink "/proc/$1/exe")" "$(stat -L -c %b "/proc/$1/exe")"; }

# preflight: rw runs init from the memfd, ro from the file on disk
for v in rw ro; do
  rt=$SE/bin/$v/tsrun r=$STATE/pre-$v
  "$rt" --root "$r" create --bundle "$CHECK_BUNDLE" --pid-file "$r.pid" pre </dev/null >/dev/null
  p=$(<"$r.pid") e=$(readlink "/proc/$(<"$r.pid")/exe")
  same=0; [[ $(stat -L -c %d:%i "/proc/$p/exe") == $(stat -c %d:%i "$rt") ]] && same=1
  "$rt" --root "$r" delete -f pre
  case $v:$same:$e in rw:0:/memfd:*|ro:1:*) log "preflight $v: init runs $e" ;;
    *) log "error: preflight $v: init runs $e (the binary itself: $same)"; exit 1 ;; esac
done

# wall time: ROUNDS hyperfine invocations, the runs split between them
lc="$BENCH_DIR/lifecycle.sh -n $N -b $BUNDLE -s $STATE"
per=$(( (RUNS + ROUNDS - 1) / ROUNDS )) warm=$WARMUP
for ((r = 1; r <= ROUNDS; r++)); do
  args=(-N --warmup "$warm" --runs "$per" --export-json "$RAW/timing.r$r.json"
    --command-name "rw lifecycle" "$lc -m lifecycle $RW" --command-name "ro lifecycle" "$lc -m lifecycle $RO"
    --command-name "rw run" "$lc -m run $RW" --command-name "ro run" "$lc -m run $RO"
    --command-name "rw run, direct" "$RW --root $STATE/d-rw run --bundle $BUNDLE d"
    --command-name "ro run, direct" "$RO --root $STATE/d-ro run --bundle $BUNDLE d")
  echo "hyperfine ${args[*]}" >"$RAW/timing.r$r.cmd"
  log "hyperfine round $r/$ROUNDS: 6 commands, $per runs x $N containers (+$warm warmup)"
  hyperfine "${args[@]}" >"$RAW/timing.r$r.log" 2>&1
  warm=0
done

# syscalls: create (its own process tree; the tracer stopped when create returns), run
for v in rw ro; do
  rt=$SE/bin/$v/tsrun r=$STATE/sc-$v
  timeout -k 2 60 strace -I2 -D -f -c -o "$RAW/$v.create.c" "$rt" --root "$r" create --bundle "$BUNDLE" --pid-file "$r.pid" sc </dev/null >/dev/null &
  wait $!
  tracer=$(find_tracer "$RAW/$v.create.c") && { kill -INT "$tracer"; wait_gone "$tracer" 10; }
  "$rt" --root "$r" start sc; wait_gone "$(<"$r.pid")" 10; "$rt" --root "$r" delete sc
  timeout -k 2 60 strace -I2 -f -c -o "$RAW/$v.run.c" "$rt" --root "$r" run --bundle "$BUNDLE" scr </dev/null >/dev/null
done

# memory: the waiting init, the `run` parent
for ((k = 1; k <= K_MEM; k++)); do
  for v in rw ro; do
    rt=$SE/bin/$v/tsrun r=$STATE/mem-$v-$k
    "$rt" --root "$r" create --bundle "$BUNDLE" --pid-file "$r.pid" m </dev/null >/dev/null
    p=$(<"$r.pid")
    cat "/proc/$p/status" >"$RAW/$v.init.$k.status"; cat "/proc/$p/smaps_rollup" >"$RAW/$v.init.$k.smaps"
    exe_of "$p" >"$RAW/$v.init.$k.exe"
    "$rt" --root "$r" delete -f m
    "$rt" --root "$r" run --bundle "$SE/bundle-sleep" s </dev/null >/dev/null 2>&1 &
    p=$! end=$(( ${EPOCHREALTIME/./} + 10000000 ))
    until [[ $("$rt" --root "$r" state s 2>/dev/null) == *'"running"'* ]]; do
      (( ${EPOCHREALTIME/./} < end )) || { log "error: run of bundle-sleep ($v) not running after 10 s"; exit 1; }
      nap 0.01
    done
    cat "/proc/$p/status" >"$RAW/$v.runparent.$k.status"; cat "/proc/$p/smaps_rollup" >"$RAW/$v.runparent.$k.smaps"
    exe_of "$p" >"$RAW/$v.runparent.$k.exe"
    "$rt" --root "$r" kill s KILL; wait "$p" || :
    [[ -e $r/s ]] && "$rt" --root "$r" delete -f s
  done
done
# HOLD waiting inits at once: the machine's Shmem before and with them
for v in rw ro; do
  rt=$SE/bin/$v/tsrun r=$STATE/hold-$v
  sync; before=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)
  for ((i = 0; i < HOLD; i++)); do "$rt" --root "$r" create --bundle "$SE/hold/h$i" "h$i" </dev/null >/dev/null; done
  after=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)
  echo $(( after - before )) >"$RAW/$v.hold"
  # newest first: h0 made /$CG_NAME, and delete removes the directories its container made
  for ((i = HOLD - 1; i >= 0; i--)); do "$rt" --root "$r" delete -f "h$i"; done
done
log "selfexec: done"
