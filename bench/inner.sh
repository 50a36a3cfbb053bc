#!/bin/bash
# inner.sh — the measurement phases, in order, inside ns.sh + reaper:
#   check.sh (preflight) -> timing.sh (hyperfine) -> memory.sh -> syscalls.sh
# A phase that fails is recorded in $RAW/phase-errors and the next one still runs.
# PHASES (default "timing memory syscalls") selects the measured phases.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
trap cleanup_cgroups EXIT
cleanup_cgroups
: >"$RAW/phase-errors"
"$BENCH_DIR/check.sh" || echo "check.sh exited $?" >>"$RAW/phase-errors"
for phase in ${PHASES-timing memory syscalls}; do
  case $phase in timing|memory|syscalls) ;; *) log "unknown phase $phase (timing, memory, syscalls)"; continue ;; esac
  log "phase $phase"
  "$BENCH_DIR/$phase.sh" || echo "$phase.sh exited $?" >>"$RAW/phase-errors"
done
