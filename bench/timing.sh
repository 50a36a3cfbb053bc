#!/bin/bash
# timing.sh — wall time, side by side in ONE hyperfine run: null loops, floor, and
# each runtime's lifecycle (create+start+delete) and `run`. Inside ns.sh + reaper.
#
# Only the verbs that passed check.sh are timed (the report shows the others as
# failed); hyperfine runs with --ignore-failure and the exit code of every run is
# kept, so a runtime failing half-way shows as failed instead of stopping the run.
# Env: N (containers per hyperfine run), RUNS, WARMUP; COLD=1 adds a cold-cache run
# (COLD_N, COLD_RUNS; caches dropped before every run); ORDER=reverse reverses the
# command order (to expose drift); WAIT_QUIET=S waits up to S s for a quiet machine;
# ROUNDS=R (default 1) splits the runs into R hyperfine invocations, one after the
# other, each with every command, merged in the report: when other tenants' load
# comes and goes, every command gets its share of it (warmup in round 1 only).
# Writes $RAW/timing/{warm,cold}.rK.{json,md,log,cmd} (K = round).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
N=${N:-10} RUNS=${RUNS:-20} WARMUP=${WARMUP:-3} COLD=${COLD:-0} COLD_N=${COLD_N:-1} COLD_RUNS=${COLD_RUNS:-15}
ROUNDS=${ROUNDS:-1}
out=$RAW/timing; mkdir -p "$out"

if [[ -n ${WAIT_QUIET:-} ]]; then
  start=$SECONDS
  until l=$(cpu_busy 3); (( ${l%%%*} < 15 )); do
    (( SECONDS - start < WAIT_QUIET )) || { log "machine not quiet after ${WAIT_QUIET}s: $l"; break; }
  done
  log "quiet check: $l"
fi

one_run() {  # one_run TAG N RUNS WARMUP [hyperfine args...]
  local tag=$1 n=$2 runs=$3 warm=$4; shift 4
  local names=() cmds=() lc="$BENCH_DIR/lifecycle.sh -n $n -b $BUNDLE -s $STATE"
  names+=("null") cmds+=("$lc -m null /bin/true")
  names+=("null run") cmds+=("$lc -m nullrun /bin/true")
  names+=("floor") cmds+=("$lc -m floor $TOOLS/floor")
  local label rt
  for label in $(rt_labels); do
    rt=$(rt_path "$label")
    if verb_ok "$label" create && verb_ok "$label" start && verb_ok "$label" delete; then
      names+=("$label lifecycle") cmds+=("$lc -m lifecycle $rt")
    fi
    verb_ok "$label" run && { names+=("$label run") cmds+=("$lc -m run $rt"); }
  done
  local idx=() i args=(-N --ignore-failure --warmup "$warm" --runs "$runs" --export-json "$out/$tag.json" --export-markdown "$out/$tag.md" "$@")
  for ((i = 0; i < ${#cmds[@]}; i++)); do idx+=("$i"); done
  [[ ${ORDER:-} == reverse ]] && { local r=(); for ((i = ${#idx[@]} - 1; i >= 0; i--)); do r+=("${idx[i]}"); done; idx=("${r[@]}"); }
  for i in "${idx[@]}"; do args+=(--command-name "${names[i]}" "${cmds[i]}"); done
  local a q=hyperfine
  for a in "${args[@]}"; do [[ $a =~ ^[A-Za-z0-9_./=:-]+$ ]] && q+=" $a" || q+=" '$a'"; done
  echo "$q" >"$out/$tag.cmd"
  echo "$n" >"$out/$tag.n"
  log "hyperfine $tag: ${#cmds[@]} commands, $runs runs x $n containers (+$warm warmup)"
  cpu_busy 2 >"$out/$tag.load-before"
  hyperfine "${args[@]}" >"$out/$tag.log" 2>&1; local rc=$?
  cpu_busy 2 >"$out/$tag.load-after"
  ((rc == 0)) || log "hyperfine $tag exited $rc (see $out/$tag.log)"
  grep -E '^(Benchmark|  Time)' "$out/$tag.log" | sed 's/^/  /' >&2 || :
}

rounds() {  # rounds TAG N RUNS WARMUP [hyperfine args...]
  local tag=$1 n=$2 runs=$3 warm=$4 r per; shift 4
  per=$(( (runs + ROUNDS - 1) / ROUNDS ))
  for ((r = 1; r <= ROUNDS; r++)); do
    one_run "$tag.r$r" "$n" "$per" "$warm" "$@"
    warm=0
  done
}
rounds warm "$N" "$RUNS" "$WARMUP"
if [[ $COLD == 1 ]]; then
  rounds cold "$COLD_N" "$COLD_RUNS" 0 --prepare "$BENCH_DIR/dropcaches.sh"
fi
exit 0
