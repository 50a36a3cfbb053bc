#!/bin/bash
# lifecycle.sh — the timed loop: N containers, one after another, with one runtime.
#
# usage: lifecycle.sh -n N -m MODE -b BUNDLE -s STATE_PARENT RUNTIME
#   lifecycle  RUNTIME create (--pid-file); RUNTIME start; wait until the container
#              process (/bin/true) is gone; RUNTIME delete
#   run        RUNTIME run (foreground: runc/crun remove the container themselves);
#              a `delete -f` is issued, and timed, only if state is left behind
#   null       the loop's own cost: 3 execs of RUNTIME (use /bin/true) per iteration
#   nullrun    1 exec of RUNTIME per iteration (the loop cost of `run`)
#   floor      RUNTIME is the floor program: RUNTIME BUNDLE/rootfs HOSTNAME
# Cheap built-in checks make a runtime that does nothing fail instead of looking
# fast: create must write the pid file, delete must remove <root>/<id>. The wait
# polls with builtins only (no fork, no busy loop stealing a vCPU from the
# container) and gives up after 10 s. A watchdog (one forked subshell per call,
# in every mode, so the null loops pay it too) kills this loop after 20 + 10*N s:
# a runtime that hangs once makes this hyperfine run fail instead of hanging the
# benchmark (the reaper kills the hung process at the end). Exits non-zero on the
# first failure, so hyperfine records it. State: a fresh dir under STATE_PARENT,
# removed at exit.
# Runs inside ns.sh + reaper (the reaper reaps the inits `create` orphans).
set -euo pipefail
N=10 MODE=lifecycle BUNDLE='' SP=''
while getopts n:m:b:s: opt; do
  case $opt in n) N=$OPTARG ;; m) MODE=$OPTARG ;; b) BUNDLE=$OPTARG ;; s) SP=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
RT=$1
tmp=$(mktemp -d "$SP/lc.XXXXXX")
root=$tmp/state prefix=lc$$
mkfifo "$tmp/never"; exec {nf}<>"$tmp/never"    # read -t on it: a fork-free sleep
limit=${LC_WATCHDOG:-$((20 + 10 * N))}
( read -r -t "$limit" -u "$nf" || :; echo "lifecycle.sh: watchdog: killed after $limit s" >&2; kill -KILL $$ ) &
wd=$!; disown $wd
trap 'kill -KILL $wd 2>/dev/null; rm -rf "$tmp"' EXIT

fail() { echo "lifecycle.sh: $RT: $*" >&2; exit 1; }

case $MODE in
lifecycle)
  for ((i = 0; i < N; i++)); do
    id=$prefix-$i
    "$RT" --root "$root" create --bundle "$BUNDLE" --pid-file "$tmp/$id.pid" "$id" </dev/null >/dev/null
    pid=; [[ -s $tmp/$id.pid ]] && { read -r pid <"$tmp/$id.pid" || [[ -n $pid ]]; }
    [[ $pid =~ ^[0-9]+$ ]] || fail "create wrote no pid file"
    "$RT" --root "$root" start "$id" </dev/null >/dev/null
    end=$(( ${EPOCHREALTIME/./} + 10000000 ))
    while kill -0 "$pid" 2>/dev/null; do
      (( ${EPOCHREALTIME/./} < end )) || fail "container $id still running 10 s after start"
      read -r -t 0.0002 -u "$nf" || :
    done
    "$RT" --root "$root" delete "$id" </dev/null >/dev/null
    [[ ! -e $root/$id ]] || fail "delete left $root/$id"
  done ;;
run)
  for ((i = 0; i < N; i++)); do
    id=$prefix-$i
    "$RT" --root "$root" run --bundle "$BUNDLE" "$id" </dev/null >/dev/null
    if [[ -e $root/$id ]]; then "$RT" --root "$root" delete -f "$id" </dev/null >/dev/null; fi
  done ;;
null)
  for ((i = 0; i < N; i++)); do
    id=$prefix-$i
    "$RT" --root "$root" create --bundle "$BUNDLE" --pid-file "$tmp/$id.pid" "$id" </dev/null >/dev/null
    "$RT" --root "$root" start "$id" </dev/null >/dev/null
    "$RT" --root "$root" delete "$id" </dev/null >/dev/null
  done ;;
nullrun)
  for ((i = 0; i < N; i++)); do
    "$RT" --root "$root" run --bundle "$BUNDLE" "$prefix-$i" </dev/null >/dev/null
  done ;;
floor)
  for ((i = 0; i < N; i++)); do
    "$RT" "$BUNDLE/rootfs" bench </dev/null >/dev/null
  done ;;
*) echo "lifecycle.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
