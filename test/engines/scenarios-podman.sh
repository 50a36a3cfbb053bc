# podman scenarios (podman --runtime PATH; conmon drives the runtime), sourced by
# test/engines/run.sh. Each sc_podman_* takes the runtime name (runc | tsrun). Numbers follow
# the Docker scenarios they mirror (scenarios-docker.sh).

h_prun() { pm --runtime "$(rtpath "$RT")" run --cgroup-parent "/$PM_CG" ${TSRUN_ENGINES_RUN_OPTS:-} "$@"; }
h_p() { pm --runtime "$(rtpath "$RT")" "$@"; }
h_pstate() { pm inspect -f "{{.State.$2}}" "$1"; }
h_pid() { pm inspect -f '{{.Id}}' "$1"; }
h_pclean() { pm rm -f -t 0 "$@" >/dev/null 2>&1; true; }
# h_pcg CONTROLLER ID FILE: a cgroup file of the container (podman's cgroupfs layout)
h_pcg() { cat "/sys/fs/cgroup/$1/$PM_CG/libpod-$2/$3"; }
# the runtime's default root (podman passes none): nothing of the container may stay there
h_prtlist() { nsrun "$(rtpath "$RT")" list -q 2>/dev/null; }
h_pgone() {
  h_prtlist | grep -qx "$1" && fail "runtime state of $1 left behind"
  [ -z "$(ls -d /sys/fs/cgroup/*/"$PM_CG"/libpod-"$1" 2>/dev/null)" ] || fail "cgroups of $1 left behind"
  true
}
h_pwait_exited() { waitfor "[ \$(pm inspect -f '{{.State.Running}}' $1) = false ]"; }

sc_podman_01_run_rm_output_exit() {
  RT=$1; local n=p-rm-$RT
  expect output hello "$(h_prun --rm --name "$n" "$PIMG" echo hello)"
  h_prun --rm --name "$n" "$PIMG" sh -c 'echo out; echo err >&2; exit 42' > "$W/$n.out" 2> "$W/$n.err"
  expect "exit code" 42 $?
  expect stdout out "$(cat "$W/$n.out")"
  expect stderr err "$(cat "$W/$n.err")"
  expect "container removed" "" "$(pm ps -aq --filter name="^$n\$")"
  [ -z "$(h_prtlist)" ] || fail "runtime state left: $(h_prtlist)"
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
  RT=$1; local n=p-exec-$RT out rc
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
  expect "exec -u user -w" "user /tmp" "$(h_p exec -u user -w /tmp "$n" sh -c 'echo $(id -un) $PWD')"
  out=$(h_p exec "$n" /nonexistent 2>&1); rc=$?
  echo "podman said: $out"
  expect "exec of a missing binary: exit code" 127 "$rc"
  expect_in "exec of a missing binary: the error names it" /nonexistent "$out"
  h_pclean "$n"
}

sc_podman_04_stop_term_then_kill() {
  RT=$1; local n=p-stop-$RT id
  # sleep as PID 1 ignores SIGTERM: stop sends 15, then 9 after the timeout
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  h_p stop -t 1 "$n" >/dev/null || fail "stop"
  expect "exit code after SIGKILL" 137 "$(h_pstate "$n" ExitCode)"
  id=$(h_pid "$n"); h_pclean "$n"; h_pgone "$id"
  h_prun -d --name "$n" "$PIMG" sh -c 'trap "exit 7" TERM; echo READY; while :; do sleep 0.1; done' >/dev/null || fail "run -d"
  waitfor "pm logs $n | grep -q READY"
  h_p stop -t 20 "$n" >/dev/null || fail "stop"
  expect "exit code of the TERM handler" 7 "$(h_pstate "$n" ExitCode)"
  h_pclean "$n"
}

sc_podman_05_kill() {
  RT=$1; local n=p-kill-$RT
  h_prun -d --name "$n" "$PIMG" sh -c 'trap "exit 9" USR1; echo READY; while :; do sleep 0.1; done' >/dev/null || fail "run -d"
  waitfor "pm logs $n | grep -q READY"
  h_p kill -s USR1 "$n" >/dev/null || fail "kill -s USR1"
  h_pwait_exited "$n"
  expect "exit code of the USR1 handler" 9 "$(h_pstate "$n" ExitCode)"
  h_pclean "$n"
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  h_p kill "$n" >/dev/null || fail "kill"
  h_pwait_exited "$n"
  expect "exit code" 137 "$(h_pstate "$n" ExitCode)"
  h_pclean "$n"
}

sc_podman_06_restart() {
  RT=$1; local n=p-restart-$RT p1 p2
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  p1=$(h_pstate "$n" Pid)
  h_p restart -t 0 "$n" >/dev/null || fail "restart"
  p2=$(h_pstate "$n" Pid)
  expect running true "$(h_pstate "$n" Running)"
  [ "$p1" != "$p2" ] && [ "$p2" -gt 0 ] || fail "same or no pid after restart: $p1 $p2"
  alive "$p1" && fail "process $p1 of the first start still alive"
  expect "exec after restart" hi "$(h_p exec "$n" echo hi)"
  h_pclean "$n"
}

sc_podman_07_rm_force() {
  RT=$1; local n=p-rmf-$RT id pid
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  id=$(h_pid "$n"); pid=$(h_pstate "$n" Pid)
  h_p rm -f -t 0 "$n" >/dev/null || fail "rm -f"
  alive "$pid" && fail "container process $pid still alive"
  h_pgone "$id"
}

sc_podman_08_pause_unpause() {
  RT=$1; local n=p-pause-$RT id
  h_prun -d --name "$n" "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  id=$(h_pid "$n")
  h_p pause "$n" >/dev/null || fail "pause"
  expect status paused "$(h_pstate "$n" Status)"
  expect "freezer state" FROZEN "$(h_pcg freezer "$id" freezer.state)"
  h_p exec "$n" true 2>/dev/null && fail "exec into a paused container worked"
  h_p unpause "$n" >/dev/null || fail "unpause"
  expect "freezer state" THAWED "$(h_pcg freezer "$id" freezer.state)"
  expect "exec after unpause" hi "$(h_p exec "$n" echo hi)"
  h_pclean "$n"
}

sc_podman_09_update_resources() {
  RT=$1; local n=p-update-$RT id
  # podman 4.3's update has --memory, --memory-swap and --cpus but no --pids-limit
  h_prun -d --name "$n" --memory 64m --memory-swap 64m --cpus 0.5 --pids-limit 50 "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  id=$(h_pid "$n")
  expect "memory before" 67108864 "$(h_pcg memory "$id" memory.limit_in_bytes)"
  expect "cpu quota before" 50000 "$(h_pcg cpu "$id" cpu.cfs_quota_us)"
  expect "pids before" 50 "$(h_pcg pids "$id" pids.max)"
  h_p update --memory 128m --memory-swap 256m --cpus 1.5 "$n" >/dev/null || fail "update"
  expect memory 134217728 "$(h_pcg memory "$id" memory.limit_in_bytes)"
  expect "memory+swap" 268435456 "$(h_pcg memory "$id" memory.memsw.limit_in_bytes)"
  expect "cpu quota" 150000 "$(h_pcg cpu "$id" cpu.cfs_quota_us)"
  expect "pids unchanged" 50 "$(h_pcg pids "$id" pids.max)"
  expect "still running" true "$(h_pstate "$n" Running)"
  h_pclean "$n"
}

sc_podman_10_top() {
  RT=$1; local n=p-top-$RT id out listed procs
  h_prun -d --name "$n" "$PIMG" sh -c 'sleep 1001 & sleep 1002' >/dev/null || fail "run -d"
  id=$(h_pid "$n")
  waitfor "h_p top $n | grep -q 'sleep 1001'"
  out=$(h_p top "$n" hpid args) || fail "top"
  echo "$out"
  expect_in "top" "sleep 1002" "$out"
  # every process of the container (its cgroup) and nothing else
  listed=$(echo "$out" | tail -n +2 | awk '{print $1}' | sort -n | tr '\n' ' ')
  procs=$(sort -n "/sys/fs/cgroup/pids/$PM_CG/libpod-$id/cgroup.procs" | tr '\n' ' ')
  expect "processes listed = the container's cgroup" "$procs" "$listed"
  h_pclean "$n"
}

sc_podman_11_oom_kill_reported() {
  RT=$1; local n=p-oom-$RT
  # conmon learns of the OOM kill from the container's memory cgroup (an eventfd on its
  # memory.oom_control) and writes an "oom" file into its working directory: podman 4.3.1 runs
  # it in podman's own one (PM_WD here) but looks for the file in the bundle, so State.OOMKilled
  # stays false with every runtime (runc too); the file is what conmon reports
  export PM_WD=$W/pmwd/oom-$RT; mkdir -p "$PM_WD"
  h_prun --name "$n" --memory 16m --memory-swap 16m "$PIMG" dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null
  expect "exit code" 137 $?
  [ -e "$PM_WD/oom" ] || fail "conmon saw no OOM event in the container's memory cgroup"
  echo "State.OOMKilled: $(h_pstate "$n" OOMKilled) (podman 4.3.1 with conmon 2.1: false, see above)"
  h_pclean "$n"
}

sc_podman_12_limits_inside() {
  RT=$1; local out n=p-limits-$RT pid cg
  out=$(h_prun --rm --memory 32m --memory-swap 32m "$PIMG" sh -c '
    dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null && echo 16M-fine
    dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null; echo 48M-exit:$?')
  expect "16 MB buffer under --memory 32m: fine; 48 MB: killed" "16M-fine
48M-exit:137" "$out"
  h_prun -d --name "$n" --pids-limit 8 --cpus 0.5 "$PIMG" sleep 1000 >/dev/null || fail "run -d"
  out=$(h_p exec "$n" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done 2>&1 | head -1; kill $(jobs -p) 2>/dev/null' 2>&1)
  expect_in "fork refused by pids.max" "can't fork" "$out"
  # --cpus: the quota is on the cpu cgroup the container's process is in
  pid=$(h_pstate "$n" Pid)
  cg=$(grep -E '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' "/proc/$pid/cgroup" | cut -d: -f3)
  expect "cpu quota" 50000 "$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us" 2>&1)"
  h_pclean "$n"
}

sc_podman_12b_cgroup_view_inside() { RT=$1; h_shared_cgroup_view_inside h_prun "$PIMG"; }

sc_podman_13_cap_add_drop() {
  RT=$1; local out def want
  out=$(h_prun --rm "$PIMG" sh -c 'grep CapEff /proc/self/status; chown 1000 /tmp && echo chown-ok') || fail "run"
  expect_in "chown with CAP_CHOWN" chown-ok "$out"
  def=$(echo "$out" | grep CapEff)
  want=$(printf 'CapEff:\t%016x' $(( (0x${def##*[[:space:]]} | (1 << 21)) & ~1 )))   # + SYS_ADMIN (21) - CHOWN (0)
  out=$(h_prun --rm --cap-add SYS_ADMIN --cap-drop CHOWN "$PIMG" sh -c 'grep CapEff /proc/self/status; chown 1000 /tmp 2>&1')
  expect_in "CapEff +SYS_ADMIN -CHOWN" "$want" "$out"
  expect_in "chown without CAP_CHOWN" "Operation not permitted" "$out"
}

sc_podman_14_seccomp_default_profile() {
  RT=$1; local out
  [ "$RT" = tsrun ] && [ "$TSRUN_SECCOMP" != 1 ] && { echo "skipped: this tsrun has no seccomp"; exit 77; }
  # podman's default profile (unlike Docker's) allows unshare; it denies swapoff even with
  # CAP_SYS_ADMIN (EPERM), which the kernel alone lets through to the path lookup (ENOENT)
  out=$(h_p run --rm --cgroup-parent "/$PM_CG" --cap-add SYS_ADMIN --security-opt seccomp=unconfined "$PIMG" \
        sh -c 'swapoff /no/such 2>&1; grep ^Seccomp: /proc/self/status')
  expect_in "swapoff unconfined" "No such file or directory" "$out"
  expect_in "seccomp mode unconfined" "Seccomp:	0" "$out"
  out=$(h_p run --rm --cgroup-parent "/$PM_CG" --cap-add SYS_ADMIN "$PIMG" sh -c 'swapoff /no/such 2>&1; grep ^Seccomp: /proc/self/status')
  expect_in "swapoff under the default profile" "Operation not permitted" "$out"
  expect_in "seccomp mode" "Seccomp:	2" "$out"
}

sc_podman_15_read_only() {
  RT=$1; local out
  # podman's --read-only also mounts tmpfs on /tmp, /run and /var/tmp: --tmpfs on another path
  out=$(h_prun --rm --read-only --tmpfs /scratch "$PIMG" sh -c 'touch /x 2>&1; touch /scratch/x && echo scratch-written')
  expect_in "write to the rootfs" "Read-only file system" "$out"
  expect_in "write to a --tmpfs of a read-only rootfs" scratch-written "$out"
}

sc_podman_16_volumes_binds() {
  RT=$1; local d=$W/vol/p-$RT v=p-vol-$RT out
  mkdir -p "$d"; echo from-host > "$d/in"
  expect "bind read" from-host "$(h_prun --rm -v "$d:/data" "$PIMG" sh -c 'cat /data/in; echo from-container > /data/out')"
  expect "bind write seen on the host" from-container "$(cat "$d/out")"
  out=$(h_prun --rm -v "$d:/data:ro" --mount "type=bind,src=$d,dst=/m,readonly" "$PIMG" sh -c 'cat /m/in; echo x > /data/ro' 2>&1)
  expect_in "--mount bind" from-host "$out"
  expect_in "write to a :ro bind" "Read-only file system" "$out"
  [ -e "$d/ro" ] && fail "file written through a :ro bind"
  h_prun --rm -v "$v:/v" "$PIMG" sh -c 'echo kept > /v/f' || fail "named volume write"
  expect "named volume" kept "$(h_prun --rm -v "$v:/v" "$PIMG" cat /v/f)"
  pm volume rm "$v" >/dev/null
}

sc_podman_17_bridge_published_port() {
  RT=$1; local n=p-net-$RT port ip out
  port=$((20000 + RANDOM % 20000))
  h_prun -d --name "$n" -p "127.0.0.1:$port:80" "$PIMG" sh -c \
    'mkdir -p /www && echo hello-http > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null || fail "run -d -p"
  waitfor "nsrun busybox wget -qO- http://127.0.0.1:$port/"
  expect "published port" hello-http "$(nsrun busybox wget -qO- "http://127.0.0.1:$port/")"
  ip=$(pm inspect -f '{{.NetworkSettings.IPAddress}}' "$n")
  [ -n "$ip" ] || fail "no address in podman inspect"
  out=$(h_p exec "$n" ip -4 addr show eth0); expect_in "bridge address on eth0" "inet $ip/" "$out"
  h_pclean "$n"
}

sc_podman_18_pid_host() {
  RT=$1; local n=p-pidhost-$RT id pids p
  expect "pid namespace" "$(nsrun readlink /proc/self/ns/pid)" "$(h_prun --rm --pid host "$PIMG" readlink /proc/self/ns/pid)"
  # stop kills every process of the container (kill --all), not only init
  h_prun -d --name "$n" --pid host "$PIMG" sh -c 'sleep 1001 & sleep 1002 & wait' >/dev/null || fail "run -d"
  id=$(h_pid "$n")
  waitfor "[ \$(wc -l < /sys/fs/cgroup/pids/$PM_CG/libpod-$id/cgroup.procs) = 3 ]"
  pids=$(cat "/sys/fs/cgroup/pids/$PM_CG/libpod-$id/cgroup.procs")
  h_p stop -t 1 "$n" >/dev/null || fail "stop"
  for p in $pids; do alive "$p" && fail "process $p of the container survived stop"; done
  h_pclean "$n"; h_pgone "$id"
}

sc_podman_19_shared_namespaces() {
  RT=$1; local n=p-ns-$RT out
  h_prun -d --name "$n" "$PIMG" sleep 1003 >/dev/null || fail "run -d"
  out=$(h_prun --rm --pid "container:$n" --ipc "container:$n" --net "container:$n" "$PIMG" \
        sh -c 'readlink /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/net; ps')
  expect_in "--pid/--ipc/--net container:X" "$(h_p exec "$n" sh -c 'readlink /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/net')" "$out"
  expect_in "process of the other container" "sleep 1003" "$out"
  h_pclean "$n"
}

sc_podman_21_user() { RT=$1; h_shared_user h_prun "$PIMG"; }

sc_podman_22_workdir_env() {
  RT=$1
  # (podman itself refuses a -w that does not exist in the image: unlike Docker, no new one)
  expect "env and -w" "bar|/root|/usr/sbin:/usr/bin:/sbin:/bin||/tmp" \
    "$(h_prun --rm -e FOO=bar -e EMPTY= -w /tmp "$PIMG" sh -c 'echo "$FOO|$HOME|$PATH|$EMPTY|$PWD"')"
}

sc_podman_24_tmpfs() { RT=$1; h_shared_tmpfs h_prun "$PIMG"; }

sc_podman_25_device() {
  RT=$1; local out
  # the device cgroup follows the permissions: with :r, opening for writing is refused
  out=$(h_prun --rm --device /dev/zero:/dev/myzero --device /dev/loop-control:/dev/lc:r "$PIMG" \
        sh -c 'head -c 3 /dev/myzero | od -An -tx1; stat -c "%F %t,%T" /dev/myzero; echo x > /dev/lc' 2>&1)
  expect_in "device reads" " 00 00 00
character special file 1,5" "$out"
  expect_in "write to an :r device" "Operation not permitted" "$out"
  out=$(h_prun --rm --device /dev/loop-control:/dev/lc "$PIMG" sh -c 'echo x > /dev/lc' 2>&1)
  case "$out" in *"Operation not permitted"*) fail "write to an rw device refused: $out";; esac
  true
}

sc_podman_26_init() {
  RT=$1; local out
  out=$(h_prun --rm --init "$PIMG" sh -c 'cat /proc/1/comm; exit 6'); expect "exit code through init" 6 $?
  expect "pid 1 (catatonit)" podman-init "$out"
}

sc_podman_27_bad_entrypoint() {
  RT=$1; local n=p-bad-$RT out rc id
  out=$(h_prun --name "$n" --entrypoint /no/such/binary "$PIMG" 2>&1); rc=$?
  echo "podman said: $out"
  expect "exit code" 127 "$rc"
  expect_in "error names the path" "/no/such/binary" "$out"
  id=$(h_pid "$n"); h_pclean "$n"; h_pgone "$id"
  out=$(h_prun --rm -w /etc/passwd "$PIMG" true 2>&1) && fail "workdir that is a file"
  echo "podman said: $out"
  [ -z "$(h_prtlist)" ] || fail "runtime state left: $(h_prtlist)"
}

sc_podman_28_bad_memory() {
  RT=$1; local n=p-badmem-$RT out own id
  # podman passes --memory 1k on (Docker refuses it itself): the runtime's error reaches
  # podman, and the runtime leaves no state and no cgroup
  out=$(h_prun --name "$n" --memory 1k "$PIMG" true 2>&1) && fail "--memory 1k accepted"
  echo "podman said: $out"
  case $RT in
    tsrun) expect_in "tsrun's error" "tsrun: container init: was killed by the OOM killer before it was ready: linux.resources.memory.limit is too low" "$out" ;;
    *) expect_in "runc's error" "unable to set memory limit to 1024" "$out" ;;
  esac
  id=$(h_pid "$n"); h_pgone "$id"; h_pclean "$n"
  # a limit below what the container uses: the kernel refuses (EBUSY); podman runs the
  # runtime's update with its stderr: the runtime's own error line must reach the user
  h_prun -d --name "$n" --memory 64m --memory-swap 64m "$PIMG" sh -c 'dd if=/dev/zero of=/dev/shm/f bs=1M count=40 2>/dev/null; echo READY; sleep 1000' >/dev/null || fail "run -d"
  waitfor "pm logs $n | grep -q READY"
  id=$(h_pid "$n")
  out=$(h_p update --memory 8m --memory-swap 8m "$n" 2>&1) && fail "update below the usage accepted"
  echo "podman said: $out"
  # the same update straight through the runtime: its error line (numbers may differ: usage)
  own=$(echo '{"memory":{"limit":8388608,"swap":8388608}}' | nsrun "$(rtpath "$RT")" update --resources - "$id" 2>&1) && fail "runtime update below the usage accepted"
  echo "the runtime said: $own"
  [ -n "$own" ] || fail "the runtime printed no error"
  expect_in "the runtime's error reaches podman" "$(echo "$own" | tail -1 | tr -d 0-9)" "$(echo "$out" | tr -d 0-9)"
  [ "$RT" = tsrun ] && expect_in "tsrun's error" "tsrun: linux.resources.memory" "$out"
  expect "limit unchanged" 67108864 "$(h_pcg memory "$id" memory.limit_in_bytes)"
  expect "still running" true "$(h_pstate "$n" Running)"
  h_pclean "$n"; h_pgone "$id"
}

sc_podman_29_nothing_left() {
  RT=$1; local left
  # after all the scenarios above: no runtime state, no cgroup under podman's parent (but
  # conmon's own)
  [ -z "$(h_prtlist)" ] || fail "runtime state left: $(h_prtlist)"
  left=$(find /sys/fs/cgroup/*/"$PM_CG" -mindepth 1 -maxdepth 1 -type d ! -name conmon 2>/dev/null)
  [ -z "$left" ] || fail "cgroups left: $left"
}
