# Docker scenarios (sourced by test/engines/run.sh). Each sc_docker_* takes the runtime name
# registered with dockerd (runc | tsrun), runs in its own bash and exits non-zero on failure.
# Container names end in the runtime name so the two runs never collide.

H_WAIT_SIZE='for i in $(seq 50); do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.1; done'
h_drun() { D run --runtime="$RT" ${TSRUN_ENGINES_RUN_OPTS:-} "$@"; }
h_id() { D inspect -f '{{.Id}}' "$1"; }
h_state() { D inspect -f "{{.State.$2}}" "$1"; }
# the runtime's own view: its state dir under dockerd's exec-root, and the container's cgroups
h_rtlist() { nsrun "$(rtpath "$RT")" --root "/run/docker/runtime-$RT/moby" list -q; }
h_cgroups_of() { ls -d /sys/fs/cgroup/*/"$CG_PARENT/$1" /sys/fs/cgroup/"$CG_PARENT/$1" 2>/dev/null; }
h_cg() { cat "/sys/fs/cgroup/$1/$CG_PARENT/$2/$3"; }
h_gone() {   # h_gone ID: no runtime state, no cgroup left for the container
  local id=$1
  h_rtlist | grep -qx "$id" && fail "runtime state of $id left behind"
  [ -z "$(h_cgroups_of "$id")" ] || fail "cgroups left behind: $(h_cgroups_of "$id" | tr '\n' ' ')"
  true
}
h_clean() { D rm -f -v "$@" >/dev/null 2>&1; true; }

sc_docker_01_run_rm_output_exit() {
  RT=$1; local n=rm-$RT out id
  out=$(h_drun --rm --name "$n" "$IMG" echo hello) || fail "docker run: $out"
  expect output hello "$out"
  h_drun --rm --name "$n" "$IMG" sh -c 'echo out; echo err >&2; exit 42' > "$W/$n.out" 2> "$W/$n.err"
  expect "exit code" 42 $?
  expect stdout out "$(cat "$W/$n.out")"
  expect stderr err "$(cat "$W/$n.err")"
  expect "container removed" "" "$(D ps -aq --filter name="^$n\$")"
  [ -z "$(h_rtlist)" ] || fail "runtime state left: $(h_rtlist)"
}

sc_docker_02_run_it_pty() {
  RT=$1; local out
  # the client sends the window size once the process runs: wait for it to arrive
  out=$(DOCKER_HOST=unix://$W/docker.sock "$HERE/pty.py" 33 101 --send typed -- "$DOCKER_CLI" run --rm -it \
        --runtime="$RT" ${TSRUN_ENGINES_RUN_OPTS:-} "$IMG" sh -c "$H_WAIT_SIZE"'; echo size:$s; tty; echo READY; read x; echo got:$x; exit 5')
  expect "exit code" 5 $?
  out=$(printf '%s' "$out" | tr -d '\r')
  expect_in "window size" "size:33 101" "$out"
  expect_in "terminal" "/dev/pts/0" "$out"
  expect_in "input" "got:typed" "$out"
}

sc_docker_03_exec() {
  RT=$1; local n=exec-$RT out
  h_drun -d --name "$n" "$IMG" sleep 1000 >/dev/null || fail "run -d"
  expect "exec" hi "$(D exec "$n" echo hi)"
  D exec "$n" sh -c 'exit 4'; expect "exec exit code" 4 $?
  out=$(D exec -t "$n" tty | tr -d '\r'); expect_in "exec -t" /dev/pts/ "$out"
  out=$(DOCKER_HOST=unix://$W/docker.sock "$HERE/pty.py" 20 70 --send yo -- "$DOCKER_CLI" exec -it "$n" \
        sh -c "$H_WAIT_SIZE"'; echo size:$s; echo READY; read x; echo got:$x' | tr -d '\r')
  expect_in "exec -it window size" "size:20 70" "$out"
  expect_in "exec -it input" "got:yo" "$out"
  D exec -d "$n" sh -c 'echo detached > /tmp/flag' || fail "exec -d"
  waitfor "D exec $n cat /tmp/flag"
  expect "exec -u" "1000 1000" "$(D exec -u 1000:1000 "$n" sh -c 'echo $(id -u) $(id -g)')"
  expect "exec -u user -w" "user /tmp" "$(D exec -u user -w /tmp "$n" sh -c 'echo $(id -un) $PWD')"
  D exec "$n" /nonexistent 2>/dev/null; out=$?
  [ "$out" = 126 ] || [ "$out" = 127 ] || fail "exec of a missing binary: exit $out"
  h_clean "$n"
}

sc_docker_04_stop_term_then_kill() {
  RT=$1; local n=stop-$RT id
  # sleep as PID 1 ignores SIGTERM: stop sends 15, then 9 after the timeout
  h_drun -d --name "$n" "$IMG" sleep 1000 >/dev/null || fail "run -d"
  D stop -t 1 "$n" >/dev/null || fail "stop"
  expect "exit code after SIGKILL" 137 "$(h_state "$n" ExitCode)"
  id=$(h_id "$n"); h_clean "$n"; h_gone "$id"
  h_drun -d --name "$n" "$IMG" sh -c 'trap "exit 7" TERM; echo READY; while :; do sleep 0.1; done' >/dev/null
  waitfor "D logs $n | grep -q READY"
  D stop -t 20 "$n" >/dev/null || fail "stop"
  expect "exit code of the TERM handler" 7 "$(h_state "$n" ExitCode)"
  h_clean "$n"
}

sc_docker_05_kill() {
  RT=$1; local n=kill-$RT
  h_drun -d --name "$n" "$IMG" sh -c 'trap "exit 9" USR1; echo READY; while :; do sleep 0.1; done' >/dev/null
  waitfor "D logs $n | grep -q READY"
  D kill -s USR1 "$n" >/dev/null || fail "kill -s USR1"
  waitfor "[ \$(D inspect -f '{{.State.Running}}' $n) = false ]"
  expect "exit code of the USR1 handler" 9 "$(h_state "$n" ExitCode)"
  h_clean "$n"
  h_drun -d --name "$n" "$IMG" sleep 1000 >/dev/null
  D kill "$n" >/dev/null || fail "kill"
  waitfor "[ \$(D inspect -f '{{.State.Running}}' $n) = false ]"
  expect "exit code" 137 "$(h_state "$n" ExitCode)"
  h_clean "$n"
}

sc_docker_06_restart() {
  RT=$1; local n=restart-$RT p1 p2
  h_drun -d --name "$n" "$IMG" sleep 1000 >/dev/null || fail "run -d"
  p1=$(h_state "$n" Pid)
  D restart -t 1 "$n" >/dev/null || fail "restart"
  p2=$(h_state "$n" Pid)
  expect running true "$(h_state "$n" Running)"
  [ "$p1" != "$p2" ] && [ "$p2" -gt 0 ] || fail "same or no pid after restart: $p1 $p2"
  expect "exec after restart" hi "$(D exec "$n" echo hi)"
  h_clean "$n"
}

sc_docker_07_rm_force() {
  RT=$1; local n=rmf-$RT id pid
  h_drun -d --name "$n" "$IMG" sleep 1000 >/dev/null || fail "run -d"
  id=$(h_id "$n"); pid=$(h_state "$n" Pid)
  D rm -f "$n" >/dev/null || fail "rm -f"
  alive "$pid" && fail "container process $pid still alive"
  h_gone "$id"
}

sc_docker_08_pause_unpause() {
  RT=$1; local n=pause-$RT id
  h_drun -d --name "$n" "$IMG" sleep 1000 >/dev/null || fail "run -d"
  id=$(h_id "$n")
  D pause "$n" >/dev/null || fail "pause"
  expect paused true "$(h_state "$n" Paused)"
  expect "freezer state" FROZEN "$(h_cg freezer "$id" freezer.state)"
  D exec "$n" true 2>/dev/null && fail "exec into a paused container worked"
  D unpause "$n" >/dev/null || fail "unpause"
  expect "freezer state" THAWED "$(h_cg freezer "$id" freezer.state)"
  expect "exec after unpause" hi "$(D exec "$n" echo hi)"
  h_clean "$n"
}

sc_docker_09_update_resources() {
  RT=$1; local n=update-$RT id
  h_drun -d --name "$n" --memory 64m --memory-swap 64m --cpus 0.5 --pids-limit 50 "$IMG" sleep 1000 >/dev/null || fail "run -d"
  id=$(h_id "$n")
  expect "memory before" 67108864 "$(h_cg memory "$id" memory.limit_in_bytes)"
  D update --memory 128m --memory-swap 256m --cpus 1.5 --pids-limit 80 "$n" >/dev/null || fail "update"
  expect memory 134217728 "$(h_cg memory "$id" memory.limit_in_bytes)"
  expect "cpu quota" 150000 "$(h_cg cpu "$id" cpu.cfs_quota_us)"
  expect pids 80 "$(h_cg pids "$id" pids.max)"
  expect "seen by docker" 134217728 "$(D inspect -f '{{.HostConfig.Memory}}' "$n")"
  h_clean "$n"
}

sc_docker_10_top() {
  RT=$1; local n=top-$RT out
  h_drun -d --name "$n" "$IMG" sh -c 'sleep 1001 & sleep 1002' >/dev/null || fail "run -d"
  waitfor "D top $n | grep -q 'sleep 1001'"
  out=$(D top "$n") || fail "top"
  expect_in "top" "sleep 1002" "$out"
  h_clean "$n"
}

sc_docker_10b_stats() {
  RT=$1; local n=stats-$RT out
  h_drun -d --name "$n" --memory 64m "$IMG" sleep 1000 >/dev/null || fail "run -d"
  out=$(D stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' "$n") || fail "stats"
  expect_in "memory limit and pids in docker stats" "/ 64MiB 1" "$out"
  h_clean "$n"
}

sc_docker_11_oom_kill_reported() {
  RT=$1; local n=oom-$RT
  h_drun --name "$n" --memory 16m --memory-swap 16m "$IMG" dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null
  expect "exit code" 137 $?
  expect "OOMKilled" true "$(h_state "$n" OOMKilled)"
  h_clean "$n"
}

sc_docker_12_limits_inside() {
  RT=$1; local out
  out=$(h_drun --rm --pids-limit 8 "$IMG" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done 2>&1 | head -1; kill $(jobs -p) 2>/dev/null' 2>&1)
  expect_in "fork refused by pids.max" "can't fork" "$out"
  h_drun --rm --memory 32m --memory-swap 32m "$IMG" dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null
  expect "48 MB buffer under --memory 32m: killed" 137 $?
  h_drun --rm --memory 32m --memory-swap 32m "$IMG" dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null || fail "16 MB under --memory 32m"
  # --cpus: the quota is on the cpu cgroup the container's processes are in
  local n=cpus-$RT pid cg
  h_drun -d --name "$n" --cpus 0.5 "$IMG" sleep 1000 >/dev/null || fail "run -d"
  pid=$(h_state "$n" Pid)
  cg=$(grep -E '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' "/proc/$pid/cgroup" | cut -d: -f3)
  expect "cpu quota" 50000 "$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us" 2>&1)"
  h_clean "$n"
}

sc_docker_12b_cgroup_view_inside() { RT=$1; h_shared_cgroup_view_inside h_drun "$IMG"; }

sc_docker_13_cap_add_drop() {
  RT=$1; local out
  expect "default CapEff" "CapEff:	00000000a80425fb" "$(h_drun --rm "$IMG" grep CapEff /proc/self/status)"
  expect "CapEff +SYS_ADMIN -CHOWN" "CapEff:	00000000a82425fa" \
    "$(h_drun --rm --cap-add SYS_ADMIN --cap-drop CHOWN "$IMG" grep CapEff /proc/self/status)"
  h_drun --rm "$IMG" chown 1000 /tmp || fail "chown with CAP_CHOWN"
  h_drun --rm --cap-drop CHOWN "$IMG" chown 1000 /tmp 2>/dev/null && fail "chown worked without CAP_CHOWN"
  true
}

sc_docker_14_seccomp_default_profile() {
  RT=$1
  [ "$RT" = tsrun ] && [ "$TSRUN_SECCOMP" != 1 ] && { echo "skipped: this tsrun has no seccomp"; exit 77; }
  # Docker's default profile denies unshare(CLONE_NEWUSER) without CAP_SYS_ADMIN; the kernel
  # alone allows it (unconfined shows that)
  h_drun --rm --security-opt seccomp=unconfined "$IMG" unshare -U true || fail "unshare -U unconfined"
  D run --rm --runtime="$RT" "$IMG" unshare -U true 2>/dev/null && fail "unshare -U allowed under the default profile"
  expect "seccomp mode" "Seccomp:	2" "$(D run --rm --runtime="$RT" "$IMG" grep '^Seccomp:' /proc/self/status)"
}

sc_docker_15_read_only() {
  RT=$1; local out
  out=$(h_drun --rm --read-only "$IMG" touch /x 2>&1) && fail "write to a read-only rootfs"
  expect_in "error" "Read-only file system" "$out"
  h_drun --rm --read-only --tmpfs /tmp "$IMG" touch /tmp/x || fail "write to a tmpfs of a read-only rootfs"
}

sc_docker_16_volumes_binds() {
  RT=$1; local d=$W/vol/$RT v=vol-$RT
  mkdir -p "$d"; echo from-host > "$d/in"
  expect "bind read" from-host "$(h_drun --rm -v "$d:/data" "$IMG" cat /data/in)"
  h_drun --rm -v "$d:/data" "$IMG" sh -c 'echo from-container > /data/out' || fail "bind write"
  expect "bind write seen on the host" from-container "$(cat "$d/out")"
  h_drun --rm -v "$d:/data:ro" "$IMG" sh -c 'echo x > /data/ro' 2>/dev/null && fail "write to a :ro bind"
  h_drun --rm --mount "type=bind,src=$d,dst=/m,readonly" "$IMG" cat /m/in >/dev/null || fail "--mount bind"
  h_drun --rm -v "$v:/v" "$IMG" sh -c 'echo kept > /v/f' || fail "named volume write"
  expect "named volume" kept "$(h_drun --rm -v "$v:/v" "$IMG" cat /v/f)"
  D volume rm "$v" >/dev/null
}

sc_docker_17_bridge_published_port() {
  RT=$1; local n=net-$RT port out
  h_drun -d --name "$n" -p 127.0.0.1::80 "$IMG" sh -c \
    'mkdir -p /www && echo hello-http > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null || fail "run -d -p"
  port=$(D port "$n" 80/tcp | head -1); port=${port##*:}
  waitfor "nsrun busybox wget -qO- http://127.0.0.1:$port/"
  expect "published port" hello-http "$(nsrun busybox wget -qO- "http://127.0.0.1:$port/")"
  out=$(D exec "$n" ip -4 addr show eth0); expect_in "bridge address" "inet 172." "$out"
  h_clean "$n"
}

sc_docker_18_pid_host() {
  RT=$1; local n=pidhost-$RT pids p
  expect "pid namespace" "$(nsrun readlink /proc/self/ns/pid)" "$(h_drun --rm --pid host "$IMG" readlink /proc/self/ns/pid)"
  # stop kills every process of the container (kill --all), not only init
  h_drun -d --name "$n" --pid host "$IMG" sh -c 'sleep 1001 & sleep 1002 & wait' >/dev/null || fail "run -d"
  waitfor "D top $n | grep -q 'sleep 1002'"
  pids=$(D top "$n" -o pid | tail -n +2)
  D stop -t 1 "$n" >/dev/null || fail "stop"
  for p in $pids; do alive "$p" && fail "process $p of the container survived stop"; done
  h_clean "$n"
}

sc_docker_19_pid_container() {
  RT=$1; local n=pidc-$RT out
  h_drun -d --name "$n" "$IMG" sleep 1003 >/dev/null || fail "run -d"
  out=$(h_drun --rm --pid "container:$n" "$IMG" ps)
  expect_in "process of the other container" "sleep 1003" "$out"
  expect "pid namespace" "$(D exec "$n" readlink /proc/self/ns/pid)" "$(h_drun --rm --pid "container:$n" "$IMG" readlink /proc/self/ns/pid)"
  h_clean "$n"
}

sc_docker_20_ipc_net_container() {
  RT=$1; local n=ipcnet-$RT
  h_drun -d --name "$n" --ipc shareable "$IMG" sleep 1000 >/dev/null || fail "run -d"
  expect "ipc and net namespaces" "$(D exec "$n" sh -c 'readlink /proc/self/ns/ipc /proc/self/ns/net')" \
    "$(h_drun --rm --ipc "container:$n" --net "container:$n" "$IMG" sh -c 'readlink /proc/self/ns/ipc /proc/self/ns/net')"
  h_clean "$n"
}

sc_docker_21_user() { RT=$1; h_shared_user h_drun "$IMG"; }

sc_docker_22_workdir() {
  RT=$1
  expect "-w /tmp" /tmp "$(h_drun --rm -w /tmp "$IMG" pwd)"
  expect "-w of a new directory" /new/dir "$(h_drun --rm -w /new/dir "$IMG" pwd)"
}

sc_docker_23_env() {
  RT=$1
  expect "env" "bar|/root|/usr/sbin:/usr/bin:/sbin:/bin|" \
    "$(h_drun --rm -e FOO=bar -e EMPTY= "$IMG" sh -c 'echo "$FOO|$HOME|$PATH|$EMPTY"')"
}

sc_docker_24_tmpfs() { RT=$1; h_shared_tmpfs h_drun "$IMG"; }

sc_docker_25_device() {
  RT=$1; local out
  out=$(h_drun --rm --device /dev/zero:/dev/myzero "$IMG" sh -c 'head -c 3 /dev/myzero | od -An -tx1; stat -c "%F %t,%T" /dev/myzero')
  expect "device" " 00 00 00
character special file 1,5" "$out"
  # the device cgroup follows the permissions (loop-control is not in Docker's default rules):
  # with :r, opening it for writing is refused
  out=$(h_drun --rm --device /dev/loop-control:/dev/lc:r "$IMG" sh -c 'echo x > /dev/lc' 2>&1)
  expect_in "write to an :r device" "Operation not permitted" "$out"
  out=$(h_drun --rm --device /dev/loop-control:/dev/lc "$IMG" sh -c 'echo x > /dev/lc' 2>&1)
  case "$out" in *"Operation not permitted"*) fail "write to an rw device refused: $out";; esac
}

sc_docker_26_init() {
  RT=$1
  expect "pid 1" docker-init "$(h_drun --rm --init "$IMG" cat /proc/1/comm)"
  h_drun --rm --init "$IMG" sh -c 'exit 6'; expect "exit code through init" 6 $?
}

sc_docker_27_bad_entrypoint() {
  RT=$1; local n=badep-$RT out rc id
  out=$(h_drun --name "$n" --entrypoint /no/such/binary "$IMG" 2>&1); rc=$?
  expect "exit code" 127 "$rc"
  expect_in "error names the path" "/no/such/binary" "$out"
  echo "docker said: $out"
  id=$(h_id "$n"); h_clean "$n"; h_gone "$id"
  out=$(h_drun --rm -w /etc/passwd "$IMG" true 2>&1) && fail "workdir that is a file"
  echo "docker said: $out"
  [ -z "$(h_rtlist)" ] || fail "runtime state left: $(h_rtlist)"
}

sc_docker_28_bad_memory() {
  RT=$1; local n=badmem-$RT out id own
  out=$(h_drun --rm --memory 1k "$IMG" true 2>&1) && fail "--memory 1k accepted"
  # a limit below what the container uses: the kernel refuses (EBUSY), the runtime's error
  # reaches docker and the old limit stays
  h_drun -d --name "$n" --memory 64m --memory-swap 64m "$IMG" sh -c 'dd if=/dev/zero of=/dev/shm/f bs=1M count=40 2>/dev/null; echo READY; sleep 1000' >/dev/null
  waitfor "D logs $n | grep -q READY"
  id=$(h_id "$n")
  out=$(D update --memory 8m --memory-swap 8m "$n" 2>&1) && fail "update below the usage accepted"
  echo "docker said: $out"
  # the runtime's error as it wrote it to its --log file (JSON lines) is what docker shows
  own=$(nsrun cat "/run/containerd/io.containerd.runtime.v2.task/moby/$id/log.json" | python3 -c '
import json, sys
errors = [json.loads(l)["msg"] for l in sys.stdin if l.strip() and json.loads(l).get("level") == "error"]
print(errors[-1] if errors else "")')
  echo "the runtime logged: $own"
  [ -n "$own" ] || fail "no error in the runtime's log"
  expect_in "the runtime's error reaches docker" "$own" "$out"
  [ "$RT" = tsrun ] && expect_in "tsrun's error" "tsrun: linux.resources.memory.limit: write memory.limit_in_bytes=8388608" "$out"
  expect "limit unchanged" 67108864 "$(h_cg memory "$id" memory.limit_in_bytes)"
  expect "still running" true "$(h_state "$n" Running)"
  h_clean "$n"; h_gone "$id"
}

sc_docker_29_nothing_left() {
  RT=$1
  # after all the scenarios above: no runtime state, no cgroup under Docker's parent
  [ -z "$(h_rtlist)" ] || fail "runtime state left: $(h_rtlist)"
  local left; left=$(find /sys/fs/cgroup/*/"$CG_PARENT" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
  [ -z "$left" ] || fail "cgroups left: $left"
}
