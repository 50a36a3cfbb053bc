# containerd alone (ctr, runc shim v2 with --runc-binary), sourced by test/engines/run.sh.
# Each sc_ctr_* takes the runtime name (runc | tsrun).

h_crun() { C run --runc-binary "$(rtpath "$RT")" "$@"; }
h_crtlist() { nsrun "$(rtpath "$RT")" --root "/run/containerd/runc/$CTR_NS" list -q; }
h_cgone() {   # h_cgone ID: containerd forgot it, no runtime state, no cgroup
  C containers ls -q | grep -qx "$1" && fail "containerd still has $1"
  h_crtlist | grep -qx "$1" && fail "runtime state of $1 left behind"
  [ -z "$(ls -d /sys/fs/cgroup/*/"$CTR_NS/$1" 2>/dev/null)" ] || fail "cgroups of $1 left behind"
  true
}
h_cclean() { C task kill -s SIGKILL "$1" >/dev/null 2>&1; sleep 0.2; C task rm -f "$1" >/dev/null 2>&1; C containers rm "$1" >/dev/null 2>&1; true; }

sc_ctr_01_run_rm_output_exit() {
  RT=$1; local n=c-rm-$RT
  expect output hello "$(h_crun --rm "$CIMG" "$n" echo hello)"
  h_crun --rm "$CIMG" "$n" sh -c 'exit 3'; expect "exit code" 3 $?
  h_cgone "$n"
}

sc_ctr_02_run_tty() {
  RT=$1; local n=c-tty-$RT out
  out=$(nsenter -t "$(nspid)" -m -n -- "$HERE/pty.py" 25 90 --send typed -- ctr -n "$CTR_NS" run -t --rm \
        --runc-binary "$(rtpath "$RT")" "$CIMG" "$n" sh -c "$H_WAIT_SIZE"'; echo size:$s; tty; echo READY; read x; echo got:$x' | tr -d '\r')
  expect_in "window size" "size:25 90" "$out"
  expect_in "terminal" "/dev/pts/0" "$out"
  expect_in "input" "got:typed" "$out"
  h_cgone "$n"
}

sc_ctr_03_task_lifecycle() {
  RT=$1; local n=c-task-$RT out
  h_crun -d "$CIMG" "$n" sleep 1000 >/dev/null || fail "run -d"
  expect "exec" hi "$(C task exec --exec-id e1 "$n" echo hi)"
  C task exec --exec-id e2 "$n" sh -c 'exit 4'; expect "exec exit code" 4 $?
  out=$(C task ps "$n") || fail "task ps"
  expect "task ps: one process" 2 "$(echo "$out" | wc -l)"
  C task pause "$n" || fail "pause"
  expect "status" PAUSED "$(C task ls | awk -v n="$n" '$1 == n {print $3}')"
  C task resume "$n" || fail "resume"
  expect "status" RUNNING "$(C task ls | awk -v n="$n" '$1 == n {print $3}')"
  C task kill -s SIGKILL "$n" || fail "kill"
  waitfor "C task ls | awk -v n=$n '\$1 == n {print \$3}' | grep -qx STOPPED"
  C task rm "$n" >/dev/null || fail "task rm"
  C containers rm "$n" || fail "containers rm"
  h_cgone "$n"
}

sc_ctr_04_bad_entrypoint() {
  RT=$1; local n=c-bad-$RT out
  out=$(h_crun --rm "$CIMG" "$n" /no/such/binary 2>&1) && fail "run of a missing binary worked"
  echo "ctr said: $out"
  expect_in "error names the path" "/no/such/binary" "$out"
  h_cclean "$n"; h_cgone "$n"
}

sc_ctr_05_nothing_left() {
  RT=$1; local left
  # after all the scenarios above: no runtime state, no cgroup under the namespace's parent
  [ -z "$(h_crtlist)" ] || fail "runtime state left: $(h_crtlist)"
  left=$(find /sys/fs/cgroup/*/"$CTR_NS" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
  [ -z "$left" ] || fail "cgroups left: $left"
}
