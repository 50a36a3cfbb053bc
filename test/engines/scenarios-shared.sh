# Scenario bodies Docker and podman share word for word, sourced by test/engines/run.sh.
# Each takes the engine's run helper (h_drun | h_prun) and its image; the engine's sc_*
# function sets RT and calls it.

# the engine mounts the cgroup hierarchies read-only at /sys/fs/cgroup: a container sees its own
h_shared_cgroup_view_inside() {
  local run=$1 img=$2 out
  out=$($run --rm --memory 32m --pids-limit 8 --cpus 0.5 "$img" sh -c '
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us' 2>&1)
  expect "limits seen inside" "33554432
8
50000" "$out"
}

h_shared_user() {
  local run=$1 img=$2
  expect "--user 1000:1000" "uid=1000(user) gid=1000(user) groups=1000(user)" "$($run --rm --user 1000:1000 "$img" id)"
  expect "--user nobody" "65534" "$($run --rm --user nobody "$img" id -u)"
  expect "--group-add" "uid=1000(user) gid=1000(user) groups=1000(user),65534(nogroup)" \
    "$($run --rm --user user --group-add 65534 "$img" id)"
}

h_shared_tmpfs() {
  local run=$1 img=$2 out
  out=$($run --rm --tmpfs /scratch:size=1m,mode=1777 "$img" sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch; echo x > /scratch/f && echo written')
  expect_in "tmpfs mount" "tmpfs /scratch tmpfs" "$out"
  expect_in "size" "size=1024k" "$out"
  expect_in "mode" "1777" "$out"
  expect_in "write" "written" "$out"
}
