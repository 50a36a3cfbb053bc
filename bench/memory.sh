#!/bin/bash
# memory.sh — memory of each runtime per verb, and of the init waiting between
# create and start. Inside ns.sh + reaper; K_MEM repeats (default 5), runtimes
# interleaved within each repeat. Only verbs that passed check.sh are measured.
#
#   tools/rusage RT create|start|delete|run   -> max RSS (ru_maxrss of wait4: the
#       process or any descendant it waited for), minor/major faults, exit status
#   init between create and start (pid file): /proc/PID/status (VmRSS, RssAnon,
#       RssFile, RssShmem, VmHWM), /proc/PID/smaps_rollup (Pss...), cmdline
# References: the floor program and /bin/true under the same rusage (a static, tiny
# launcher, so its own pages barely count: see /bin/true's row).
# Writes $RAW/memory/<label>/<k>/{create,start,delete,run}.ru, init.{status,smaps,cmdline}
set -uo pipefail
source "$(dirname "$0")/lib.sh"
K=${K_MEM:-5}
RU="$TOOLS/rusage -t 30"
for ((k = 1; k <= K; k++)); do
  for label in $(rt_labels); do
    rt=$(rt_path "$label"); d=$RAW/memory/$label/$k; mkdir -p "$d"
    r=$(mktemp -d "$STATE/mem.XXXXXX"); id=mem-$label-$k-$$ pid='' created=0
    if verb_ok "$label" create; then
      $RU "$d/create.ru" "$rt" --root "$r/s" create --bundle "$BUNDLE" --pid-file "$r/pid" "$id" \
        </dev/null >/dev/null 2>"$d/create.err" && created=1
      [[ -s $r/pid ]] && read -r pid <"$r/pid"
      if ((created)) && [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]]; then
        cat "/proc/$pid/status" >"$d/init.status" 2>/dev/null
        cat "/proc/$pid/smaps_rollup" >"$d/init.smaps" 2>/dev/null
        tr '\0' ' ' <"/proc/$pid/cmdline" >"$d/init.cmdline" 2>/dev/null
      fi
      if ((created)) && verb_ok "$label" start; then
        $RU "$d/start.ru" "$rt" --root "$r/s" start "$id" </dev/null >/dev/null 2>"$d/start.err" \
          && [[ -n $pid ]] && wait_gone "$pid" 10 \
          && verb_ok "$label" delete \
          && $RU "$d/delete.ru" "$rt" --root "$r/s" delete "$id" </dev/null >/dev/null 2>"$d/delete.err"
      fi
      # anything not completed: remove it, untimed
      if [[ -e $r/s/$id ]]; then
        timeout -k 1 10 "$rt" --root "$r/s" delete -f "$id" </dev/null >/dev/null 2>&1
        [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
      fi
    fi
    if verb_ok "$label" run; then
      $RU "$d/run.ru" "$rt" --root "$r/s" run --bundle "$BUNDLE" "$id-run" </dev/null >/dev/null 2>"$d/run.err"
      [[ -e $r/s/$id-run ]] && timeout -k 1 10 "$rt" --root "$r/s" delete -f "$id-run" </dev/null >/dev/null 2>&1
    fi
    rm -rf "$r"
  done
  d=$RAW/memory/floor/$k; mkdir -p "$d"
  $RU "$d/run.ru" "$TOOLS/floor" "$BUNDLE/rootfs" bench </dev/null >/dev/null 2>"$d/run.err"
  d=$RAW/memory/true/$k; mkdir -p "$d"
  $RU "$d/run.ru" /bin/true
done
cleanup_cgroups
log "memory: $K repeats done"
exit 0
