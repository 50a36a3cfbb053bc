# podman scenarios (podman --runtime PATH; conmon drives the runtime), sourced by
# test/engines/run.sh. Each sc_podman_* takes the runtime name (runc | tsrun).

h_prun() { pm --runtime "$(rtpath "$RT")" run --cgroup-parent "/$PM_CG" ${TSRUN_ENGINES_RUN_OPTS:-} "$@"; }
h_p() { pm --runtime "$(rtpath "$RT")" "$@"; }
h_pstate() { pm inspect -f "{{.State.$2}}" "$1"; }
h_pclean() { pm rm -f -t 0 "$@" >/dev/null 2>&1; true; }
# the runtime's default root (podman passes none): nothing of the container may stay there
h_prtlist() { nsrun "$(rtpath "$RT")" list -q 2>/dev/null; }
h_pgone() {
  h_prtlist | grep -qx "$1" && fail "runtime state of $1 left behind"
  [ -z "$(ls -d /sys/fs/cgroup/*/"$PM_CG"/libpod-"$1" 2>/dev/null)" ] || fail "cgroups of $1 left behind"
  true
}

sc_podman_01_run_rm_output_exit() {
  RT=$1; local n=p-rm-$RT
  expect output hello "$(h_prun --rm --name "$n" "$PIMG" echo hello)"
  h_prun --rm --name "$n" "$PIMG" sh -c 'exit 3'; expect "exit code" 3 $?
}

sc_podman_02_run_it_pty() {
  RT=$1; local out
  out=$(nsenter -t "$(nspid)" -m -n -- "$HERE/pty.py" 33 101 --send typed -- podman --runtime "$(rtpath "$RT")" run --rm -it --cgroup-parent "/$PM_CG" ${TSRUN_ENGINES_RUN_OPTS:-} "$PIMG" \
        sh -c "$H_WAIT_SIZE"'; echo size:$s; tty; echo READY; read x; echo got:$x; exit 5')
  expect "exit code" 5 $?
  out=$(printf '%s' "$out" | tr -d '\r')
  expect_in "window size" "size:33 101" "$out"
  expect_in "terminal" "/dev/pts/0" "$out"
  expect_in "input" "got:typed" "$out"
}

sc_podman_03_exec() {
  RT=$1; local n=p-exec-$RT out
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  expect exec hi "$(h_p exec "$n" echo hi)"
  h_p exec "$n" sh -c 'exit 4'; expect "exec exit code" 4 $?
  out=$(h_p exec -t "$n" tty | tr -d '\r'); expect_in "exec -t" /dev/pts/ "$out"
  out=$(nsenter -t "$(nspid)" -m -n -- "$HERE/pty.py" 20 70 --send yo -- podman --runtime "$(rtpath "$RT")" exec -it "$n" \
        sh -c "$H_WAIT_SIZE"'; echo size:$s; echo READY; read x; echo got:$x' | tr -d '\r')
  expect_in "exec -it window size" "size:20 70" "$out"
  expect_in "exec -it input" "got:yo" "$out"
  h_p exec -d "$n" sh -c 'echo detached > /tmp/flag' >/dev/null || fail "exec -d"
  waitfor "h_p exec $n cat /tmp/flag"
  expect "exec -u" "1000 1000" "$(h_p exec -u 1000:1000 "$n" sh -c 'echo $(id -u) $(id -g)')"
  h_pclean "$n"
}

sc_podman_04_stop_kill_restart_rm() {
  RT=$1; local n=p-life-$RT id p1 p2
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  h_p stop -t 1 "$n" >/dev/null || fail "stop"
  expect "exit code after SIGKILL" 137 "$(h_pstate "$n" ExitCode)"
  h_p start "$n" >/dev/null || fail "start again"
  p1=$(h_pstate "$n" Pid)
  h_p restart -t 1 "$n" >/dev/null || fail "restart"
  p2=$(h_pstate "$n" Pid)
  [ "$p1" != "$p2" ] && [ "$p2" -gt 0 ] || fail "same or no pid after restart: $p1 $p2"
  h_p kill "$n" >/dev/null || fail "kill"
  waitfor "[ \$(pm inspect -f '{{.State.Running}}' $n) = false ]"
  h_p start "$n" >/dev/null || fail "start after kill"
  id=$(pm inspect -f '{{.Id}}' "$n")
  h_p rm -f -t 0 "$n" >/dev/null || fail "rm -f"
  h_pgone "$id"
}

sc_podman_05_pause_unpause_top() {
  RT=$1; local n=p-pause-$RT
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  expect_in "top" "sleep 1000" "$(h_p top "$n")"
  h_p pause "$n" >/dev/null || fail "pause"
  expect status paused "$(h_pstate "$n" Status)"
  h_p unpause "$n" >/dev/null || fail "unpause"
  expect "exec after unpause" hi "$(h_p exec "$n" echo hi)"
  h_pclean "$n"
}

sc_podman_06_limits() {
  RT=$1; local out
  out=$(h_prun --rm --pids-limit 8 "$PIMG" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done 2>&1 | head -1; kill $(jobs -p) 2>/dev/null' 2>&1)
  expect_in "fork refused by pids.max" "can't fork" "$out"
  h_prun --rm --memory 32m --memory-swap 32m "$PIMG" dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null
  expect "48 MB buffer under --memory 32m: killed" 137 $?
}

sc_podman_07_caps_readonly_user_env_workdir() {
  RT=$1; local out
  local def want
  def=$(h_prun --rm "$PIMG" grep CapEff /proc/self/status) || fail "run"
  want=$(printf 'CapEff:\t%016x' $(( (0x${def##*[[:space:]]} | (1 << 21)) & ~1 )))   # + SYS_ADMIN (21) - CHOWN (0)
  expect "CapEff +SYS_ADMIN -CHOWN" "$want" "$(h_prun --rm --cap-add SYS_ADMIN --cap-drop CHOWN "$PIMG" grep CapEff /proc/self/status)"
  out=$(h_prun --rm --read-only "$PIMG" touch /x 2>&1) && fail "write to a read-only rootfs"
  expect_in "read-only" "Read-only file system" "$out"
  expect "--user" "uid=1000(user) gid=1000(user) groups=1000(user)" "$(h_prun --rm --user 1000:1000 "$PIMG" id)"
  expect "env and workdir" "bar /tmp" "$(h_prun --rm -e FOO=bar -w /tmp "$PIMG" sh -c 'echo $FOO $PWD')"
}

sc_podman_08_volumes_tmpfs_device() {
  RT=$1; local d=$W/vol/p-$RT out
  mkdir -p "$d"
  h_prun --rm -v "$d:/data" "$PIMG" sh -c 'echo from-container > /data/out' || fail "bind write"
  expect "bind write seen on the host" from-container "$(cat "$d/out")"
  h_prun --rm -v "$d:/data:ro" "$PIMG" sh -c 'echo x > /data/ro' 2>/dev/null && fail "write to a :ro bind"
  out=$(h_prun --rm --tmpfs /scratch:size=1m "$PIMG" grep " /scratch " /proc/mounts)
  expect_in "tmpfs" "tmpfs /scratch tmpfs" "$out"
  expect "device" " 00 00 00" "$(h_prun --rm --device /dev/zero:/dev/myzero "$PIMG" sh -c 'head -c 3 /dev/myzero | od -An -tx1')"
}

sc_podman_09_bridge_published_port() {
  RT=$1; local n=p-net-$RT port
  port=$((20000 + RANDOM % 20000))
  h_prun -d --name "$n" -p "127.0.0.1:$port:80" "$PIMG" sh -c \
    'mkdir -p /www && echo hello-http > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null || fail "run -d -p"
  waitfor "nsrun busybox wget -qO- http://127.0.0.1:$port/"
  expect "published port" hello-http "$(nsrun busybox wget -qO- "http://127.0.0.1:$port/")"
  h_pclean "$n"
}

sc_podman_10_shared_namespaces() {
  RT=$1; local n=p-ns-$RT
  expect "--pid host" "$(nsrun readlink /proc/self/ns/pid)" "$(h_prun --rm --pid host "$PIMG" readlink /proc/self/ns/pid)"
  h_prun -d --name "$n" "$PIMG" sleep 1003 >/dev/null || fail "run -d"
  expect "--pid/--ipc/--net container:X" "$(h_p exec "$n" sh -c 'readlink /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/net')" \
    "$(h_prun --rm --pid "container:$n" --ipc "container:$n" --net "container:$n" "$PIMG" sh -c 'readlink /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/net')"
  h_pclean "$n"
}

sc_podman_11_init() {
  RT=$1
  expect "pid 1 (catatonit)" podman-init "$(h_prun --rm --init "$PIMG" cat /proc/1/comm)"
}

sc_podman_12_bad_input() {
  RT=$1; local n=p-bad-$RT out rc id
  out=$(h_prun --name "$n" --entrypoint /no/such/binary "$PIMG" 2>&1); rc=$?
  echo "podman said: $out"
  [ "$rc" = 127 ] || [ "$rc" = 126 ] || fail "exit code $rc"
  expect_in "error names the path" "/no/such/binary" "$out"
  id=$(pm inspect -f '{{.Id}}' "$n"); h_pclean "$n"; h_pgone "$id"
  h_prun --rm "$PIMG" sh -c 'exit 42'; expect "exit code" 42 $?
  out=$(h_prun --rm --memory 1k "$PIMG" true 2>&1) && fail "--memory 1k accepted"
  echo "podman said: $out"
  true
}

sc_podman_13_nothing_left() {
  RT=$1
  [ -z "$(h_prtlist)" ] || fail "runtime state left: $(h_prtlist)"
}
