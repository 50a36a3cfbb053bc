#!/bin/bash
# syscalls.sh — syscall counts per verb and per lifecycle, for each runtime and the
# floor. Inside ns.sh + reaper; K_SC repeats (default 3). Deterministic where wall
# time is not: the figure to optimise on a noisy machine.
#
# A) full traces, strace -f -ttt -o:
#    create  `strace -D -f ... RT create` in the background (-D: the traced runtime is
#            our own child, the tracer a detached grandchild); when RT create has
#            returned, T := now. The tracer keeps following the container init, so
#            the create trace also holds the init's work after start (lines after
#            T) and the payload /bin/true (after its execve; reported apart).
#    start, delete, run (foreground, auto-remove): one trace each.
# B) summaries, strace -f -c -o: the same verbs; the create tracer is interrupted as
#    soon as RT create has returned (strace detaches from the waiting init), so
#    create.c covers exactly the create command's process tree.
# Only verbs that passed check.sh are traced. Counted by report.py.
# Writes $RAW/syscalls/<label>/<k>/{create,start,delete,run}.{tr,c}, T
set -uo pipefail
source "$(dirname "$0")/lib.sh"
K=${K_SC:-3}
ST="timeout -k 2 120 strace -I2 -f"

for ((k = 1; k <= K; k++)); do
  for label in $(rt_labels); do
    verb_ok "$label" create || verb_ok "$label" run || continue
    rt=$(rt_path "$label"); d=$RAW/syscalls/$label/$k; mkdir -p "$d"
    r=$(mktemp -d "$STATE/sc.XXXXXX"); id=sc-$label-$k-$$
    lc_ok=0; verb_ok "$label" create && verb_ok "$label" start && verb_ok "$label" delete && lc_ok=1
    if ((lc_ok)); then
      # A) full traces
      $ST -D -ttt -s 64 -o "$d/create.tr" "$rt" --root "$r/s" create --bundle "$BUNDLE" --pid-file "$r/pid" "$id" \
        </dev/null >/dev/null 2>"$d/create.err" &
      wait $!; rc=$?
      tracer=$(find_tracer "$d/create.tr")
      echo "$EPOCHREALTIME" >"$d/T"
      if ((rc == 0)); then
        $ST -ttt -s 64 -o "$d/start.tr" "$rt" --root "$r/s" start "$id" </dev/null >/dev/null 2>"$d/start.err"
        [[ -n $tracer ]] && wait_gone "$tracer" 20     # the init ran /bin/true and exited
        [[ -s $r/pid ]] && wait_gone "$(<"$r/pid")" 10
        $ST -ttt -s 64 -o "$d/delete.tr" "$rt" --root "$r/s" delete "$id" </dev/null >/dev/null 2>"$d/delete.err"
      else
        echo "create failed under strace (exit $rc)" >"$d/failed"
      fi
      [[ -n $tracer ]] && { kill -INT "$tracer" 2>/dev/null; wait_gone "$tracer" 5; }
      [[ -e $r/s/$id ]] && timeout -k 1 10 "$rt" --root "$r/s" delete -f "$id" </dev/null >/dev/null 2>&1
      # B) strace -c summaries
      rm -f "$r/pid"
      $ST -D -c -o "$d/create.c" "$rt" --root "$r/s" create --bundle "$BUNDLE" --pid-file "$r/pid" "$id-c" \
        </dev/null >/dev/null 2>>"$d/create.err" &
      wait $!; rc=$?
      tracer=$(find_tracer "$d/create.c")
      [[ -n $tracer ]] && { kill -INT "$tracer"; wait_gone "$tracer" 10; }
      if ((rc == 0)); then
        $ST -c -o "$d/start.c" "$rt" --root "$r/s" start "$id-c" </dev/null >/dev/null 2>>"$d/start.err"
        [[ -s $r/pid ]] && wait_gone "$(<"$r/pid")" 10
        $ST -c -o "$d/delete.c" "$rt" --root "$r/s" delete "$id-c" </dev/null >/dev/null 2>>"$d/delete.err"
      fi
      [[ -e $r/s/$id-c ]] && timeout -k 1 10 "$rt" --root "$r/s" delete -f "$id-c" </dev/null >/dev/null 2>&1
    fi
    if verb_ok "$label" run; then
      $ST -ttt -s 64 -o "$d/run.tr" "$rt" --root "$r/s" run --bundle "$BUNDLE" "$id-run" </dev/null >/dev/null 2>"$d/run.err"
      $ST -c -o "$d/run.c" "$rt" --root "$r/s" run --bundle "$BUNDLE" "$id-runc" </dev/null >/dev/null 2>>"$d/run.err"
      for x in "$id-run" "$id-runc"; do
        [[ -e $r/s/$x ]] && timeout -k 1 10 "$rt" --root "$r/s" delete -f "$x" </dev/null >/dev/null 2>&1
      done
    fi
    rm -rf "$r"
    cleanup_cgroups
  done
  d=$RAW/syscalls/floor/$k; mkdir -p "$d"
  $ST -ttt -s 64 -o "$d/run.tr" "$TOOLS/floor" "$BUNDLE/rootfs" bench </dev/null >/dev/null 2>"$d/run.err"
  $ST -c -o "$d/run.c" "$TOOLS/floor" "$BUNDLE/rootfs" bench </dev/null >/dev/null 2>>"$d/run.err"
done
log "syscalls: $K repeats done"
exit 0
