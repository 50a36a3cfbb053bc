#!/bin/bash
# check.sh — preflight: does each runtime really run the bundle, verb by verb?
#
# Runs inside ns.sh + reaper, before anything is timed, with $CHECK_BUNDLE (the
# measured config; the process prints "tsrun-bench-ok pid=$$ host=$(hostname)", which
# only a real container prints as pid=1 host=bench-check). Per runtime and verb it
# writes $RAW/check/<label>.<verb>: "ok" or "failed: <reason>" (create, start,
# delete, run); notes in <label>.notes; `--version` in <label>.version.
#   create  exit 0 within 20 s; the pid file names a live process in another pid namespace
#   start   exit 0; that process exits within 10 s; it printed the proof line
#   delete  exit 0; <root>/<id> is gone; no cgroup named $CG_NAME is left
#   run     exit 0; the proof line was printed; (state left behind: noted)
# Later phases time and measure only the verbs that passed; the report shows
# "failed" for the others. A runtime's failure never stops the other runtimes.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
mkdir -p "$RAW/check"
EXPECT="tsrun-bench-ok pid=1 host=bench-check"

reason() {  # one line for a table footnote: exit status + first stderr line
  local rc=$1 f=$2 msg
  if ((rc == 124 || rc == 137)); then echo "timed out"; return; fi
  msg=$(grep -m1 -v '^[[:space:]]*$' "$f" 2>/dev/null | tr -d '\r' | cut -c1-160 | tr '|`' '/'"'")
  echo "exit $rc${msg:+: $msg}"
}
# a real cgroup left (not the plain dir a v1 runtime makes in the shadow tmpfs of ns.sh)
cg_left() {
  local d
  for d in /sys/fs/cgroup/"$CG_NAME" /sys/fs/cgroup/*/"$CG_NAME"; do
    [[ -d $d && $(stat -f -c %T "$d") == cgroup* ]] && return 0
  done
  return 1
}

for label in $(rt_labels); do
  rt=$(rt_path "$label")
  res() { echo "$2" >"$RAW/check/$label.$1"; }
  note() { echo "$*" >>"$RAW/check/$label.notes"; }
  rm -f "$RAW/check/$label".*
  if [[ ! -x $rt ]]; then
    for v in create start delete run; do res $v "failed: no executable at $rt"; done
    continue
  fi
  timeout 5 "$rt" --version </dev/null 2>&1 | head -n 3 | tr '\n' ' ' >"$RAW/check/$label.version" || :
  d=$(mktemp -d "$STATE/check.XXXXXX"); R=$d/root; id=chk-$label-$$; pid=
  cleanup_one() {
    timeout -k 1 10 "$rt" --root "$R" delete -f "$1" </dev/null >/dev/null 2>&1 || :
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
    cleanup_cgroups
  }
  cleanup_cgroups
  # --- create
  timeout -k 1 20 "$rt" --root "$R" create --bundle "$CHECK_BUNDLE" --pid-file "$d/pid" "$id" \
    </dev/null >"$d/out" 2>"$d/err"; rc=$?
  [[ -s $d/pid ]] && read -r pid <"$d/pid"
  if ((rc != 0)); then res create "failed: create: $(reason $rc "$d/err")"
  elif [[ ! $pid =~ ^[0-9]+$ ]]; then res create "failed: create exited 0 but wrote no pid file"; pid=
  elif [[ ! -d /proc/$pid ]]; then res create "failed: create exited 0 but pid $pid is not running"
  elif [[ $(readlink "/proc/$pid/ns/pid") == "$(readlink /proc/self/ns/pid)" ]]; then
    res create "failed: create exited 0 but pid $pid is not in a new pid namespace"
  else res create ok; fi
  if ! verb_ok "$label" create; then
    res start "failed: not run (create failed)"; res delete "failed: not run (create failed)"
    cleanup_one "$id"
  else
    # --- start
    timeout -k 1 20 "$rt" --root "$R" start "$id" </dev/null >/dev/null 2>"$d/err"; rc=$?
    if ((rc != 0)); then res start "failed: start: $(reason $rc "$d/err")"
    elif ! wait_gone "$pid" 10; then res start "failed: container still running 10 s after start"
    elif ! grep -qx "$EXPECT" "$d/out"; then
      res start "failed: container output was '$(head -c 80 "$d/out" | tr '\n|' ' /')', expected '$EXPECT'"
    else res start ok; fi
    if ! verb_ok "$label" start; then
      res delete "failed: not run (start failed)"; cleanup_one "$id"
    else
      # --- delete
      timeout -k 1 20 "$rt" --root "$R" delete "$id" </dev/null >/dev/null 2>"$d/err"; rc=$?
      if ((rc != 0)); then res delete "failed: delete: $(reason $rc "$d/err")"
      elif [[ -e $R/$id ]]; then res delete "failed: delete exited 0 but left $R/$id"
      elif cg_left; then res delete "failed: delete exited 0 but left cgroup $CG_NAME"
      else res delete ok; fi
      verb_ok "$label" delete || cleanup_one "$id"
    fi
  fi
  # --- run
  pid=
  timeout -k 1 20 "$rt" --root "$R" run --bundle "$CHECK_BUNDLE" "$id-run" </dev/null >"$d/out" 2>"$d/err"; rc=$?
  if ((rc != 0)); then res run "failed: run: $(reason $rc "$d/err")"
  elif ! grep -qx "$EXPECT" "$d/out"; then
    res run "failed: container output was '$(head -c 80 "$d/out" | tr '\n|' ' /')', expected '$EXPECT'"
  else
    res run ok
    [[ -e $R/$id-run ]] && note "run left its state behind; the timed loop deletes it (delete -f, timed)"
  fi
  cleanup_one "$id-run"
  rm -rf "$d"
  log "check $label: create=$(<"$RAW/check/$label.create") start=$(<"$RAW/check/$label.start") delete=$(<"$RAW/check/$label.delete") run=$(<"$RAW/check/$label.run")"
done
exit 0
