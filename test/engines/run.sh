#!/usr/bin/env bash
# tsrun as a drop-in runtime under the real engines: Docker (dockerd + containerd), containerd
# alone (ctr) and podman, each scenario run with runc and with tsrun side by side.
#
#   bash test/engines/run.sh            # as root, on Debian; builds nothing: uses bin/tsrun
#
# What it does, on a fresh Debian machine:
#   1. installs the engines from Debian packages when missing (docker.io, containerd, podman,
#      conmon, catatonit, CNI plugins, tini, iptables, iproute2, runc, busybox-static)
#   2. starts containerd and dockerd in a private mount + network namespace (docker0, NAT,
#      the engines' /run and CNI state exist only there), with tsrun registered as a Docker
#      runtime (daemon.json "runtimes"); ctr uses --runc-binary, podman --runtime
#   3. builds a busybox image (no registry is needed) and imports it into each engine
#   4. runs every scenario (test/engines/scenarios-*.sh) with runc and with tsrun and prints
#      one line per scenario and runtime; what a run leaves behind (shim, conmon, container
#      cgroup or process, runtime state) fails it
#   5. stops every daemon and removes everything it made (containers, images, data dir,
#      mounts, network namespace, cgroups), also on failure or interrupt
# Exits 1 when tsrun fails a scenario that runc passes.
#
# Environment:
#   TSRUN_BIN            runtime under test (default bin/tsrun)
#   TSRUN_ENGINES        engines to test (default "docker ctr podman")
#   TSRUN_ENGINES_ONLY   extended regex: run only the scenarios whose name matches
#   TSRUN_ENGINES_KEEP=1 leave the daemons and the work dir for debugging (prints how to stop)
#   TSRUN_ENGINES_TMP    parent of the work dir (default /tmp; keep it short: socket paths)
#   TSRUN_ENGINES_RUN_OPTS  extra options for every docker/podman run (debugging)
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
HERE=$REPO/test/engines

[ "$(id -u)" = 0 ] || { echo "test/engines/run.sh: run as root" >&2; exit 1; }
TSRUN=$(realpath "${TSRUN_BIN:-bin/tsrun}")
[ -x "$TSRUN" ] || { echo "test/engines/run.sh: $TSRUN missing: run ./build.sh first" >&2; exit 1; }
ENGINES=${TSRUN_ENGINES:-docker ctr podman}
ONLY=${TSRUN_ENGINES_ONLY:-}

# ------------------------------------------------------------------ 1. packages
pkgs="docker.io containerd runc tini iptables iproute2 busybox-static python3"
case " $ENGINES " in *" podman "*) pkgs="$pkgs podman conmon catatonit containernetworking-plugins" ;; esac
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "engines: apt-get install$missing" >&2
  # no init system: the packages' postinst must not start dockerd/containerd on the host
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  rc=$?
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || { echo "engines: apt-get install failed" >&2; exit 1; }
fi
RUNC=$(command -v runc)
DOCKER_CLI=/usr/bin/docker   # the docker.io client, same version as the daemon

# ------------------------------------------------------------------ 2. work dir + clean-up
W=$(mktemp -d "${TSRUN_ENGINES_TMP:-/tmp}/tse.XXXXXX")
chmod 755 "$W"
mkdir -p "$W"/etc "$W"/logs/sc "$W"/data "$W"/image "$W"/cni-state "$W"/vol "$W"/bin "$W"/pmwd
# the engines run a copy: a rebuild of bin/tsrun meanwhile cannot break a run
cp "$TSRUN" "$W/bin/tsrun"; TSRUN=$W/bin/tsrun
# Docker and podman send their default seccomp profile. A tsrun built without seccomp (its
# features document says so) refuses it: then both runtimes run with seccomp=unconfined and
# the seccomp scenario is skipped for tsrun.
TSRUN_SECCOMP=$("$TSRUN" features | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["linux"]["seccomp"]["enabled"]))' 2>/dev/null)
if [ "$TSRUN_SECCOMP" != 1 ]; then
  echo "engines: this tsrun has no seccomp (tsrun features): docker and podman run with --security-opt seccomp=unconfined, for both runtimes" >&2
  TSRUN_ENGINES_RUN_OPTS="${TSRUN_ENGINES_RUN_OPTS:-} --security-opt seccomp=unconfined"
fi
export TSRUN_ENGINES_RUN_OPTS TSRUN_SECCOMP
# cgroups: own names per run (concurrent runs on one host never touch each other's)
CG_PARENT=tsrun-engines-$$      # cgroup parent of Docker's containers
CTR_NS=tsrun-engines-$$-ctr     # containerd namespace of the ctr scenarios (= its cgroup parent)
PM_CG=tsrun-engines-$$-podman   # cgroup parent of podman's containers
made_cni_dir=""; [ -d /var/lib/cni ] || made_cni_dir=1
# podman (cgroupfs manager) puts conmon in a top-level "conmon" cgroup: removed if this run made it
made_conmon_cg=""; [ -d /sys/fs/cgroup/pids/conmon ] || [ -d /sys/fs/cgroup/conmon ] || made_conmon_cg=1

nspid() { cat "$W/ns.pid" 2>/dev/null; }
nsrun() { nsenter -t "$(nspid)" -m -n -- "$@"; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
wait_gone() { local i; for i in $(seq 1 "${2:-200}"); do alive "$1" || return 0; sleep 0.1; done; return 1; }

cleanup() {
  local cpid dpid nsino p pid h
  trap - EXIT INT TERM
  if [ "${TSRUN_ENGINES_KEEP:-}" = 1 ]; then
    echo "engines: kept $W: daemons running (dockerd $(cat "$W/docker.pid" 2>/dev/null), containerd $(nspid)); enter their namespace with nsenter -t $(nspid) -m -n"
    return
  fi
  cpid=$(nspid); dpid=$(cat "$W/docker.pid" 2>/dev/null)
  nsino=""; alive "$cpid" && nsino=$(readlink "/proc/$cpid/ns/mnt")
  if alive "$cpid"; then
    if [ -n "$(command -v podman)" ]; then
      pm rm -a -f -t 0 >/dev/null 2>&1
      pm rmi -a -f >/dev/null 2>&1
    fi
    if alive "$dpid"; then
      local ids; ids=$(D ps -aq 2>/dev/null)
      [ -n "$ids" ] && D rm -f -v $ids >/dev/null 2>&1
      ids=$(D volume ls -q 2>/dev/null); [ -n "$ids" ] && D volume rm -f $ids >/dev/null 2>&1
    fi
    local t; for t in $(C task ls -q 2>/dev/null); do C task kill -s SIGKILL "$t" >/dev/null 2>&1; sleep 0.2; C task rm -f "$t" >/dev/null 2>&1; done
    for t in $(C containers ls -q 2>/dev/null); do C containers rm "$t" >/dev/null 2>&1; done
  fi
  if alive "$dpid"; then kill -TERM "$dpid"; wait_gone "$dpid" || kill -KILL "$dpid"; fi
  if alive "$cpid"; then kill -TERM "$cpid"; wait_gone "$cpid" || kill -KILL "$cpid"; fi
  # whatever still lives in the private mount namespace (shims, conmon, container processes)
  if [ -n "$nsino" ]; then
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$nsino" ] || continue
      echo "engines: leftover process $pid ($(tr '\0' ' ' < "$p/cmdline" | cut -c1-60)), killed" >&2
      kill -KILL "$pid" 2>/dev/null
    done
  fi
  # cgroups made for the containers: Docker's parent, ctr's namespace, podman's parent; a
  # process still in one (e.g. of a --pid host container a runtime failed to stop) is killed
  for pid in $(cat /sys/fs/cgroup/*/{"$CG_PARENT","$CTR_NS","$PM_CG"}/*/cgroup.procs 2>/dev/null | sort -u); do
    echo "engines: leftover process $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-60)) in a container cgroup, killed" >&2
    kill -KILL "$pid" 2>/dev/null
  done
  sleep 0.2
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    for top in "$CG_PARENT" "$CTR_NS" "$PM_CG"; do
      [ -d "$h$top" ] || continue
      find "$h$top" -depth -type d -exec rmdir {} \; 2>/dev/null
      [ -d "$h$top" ] && echo "engines: cgroup $h$top not empty, left in place" >&2
    done
    [ -n "$made_conmon_cg" ] && [ -d "${h}conmon" ] && rmdir "${h}conmon" 2>/dev/null
  done
  # the namespace's mounts went with it; its files stay in $W
  rm -rf "$W"
  [ -n "$made_cni_dir" ] && rmdir /var/lib/cni 2>/dev/null
  true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ 3. configs
cat > "$W/etc/containerd.toml" <<EOF
version = 2
root = "$W/data/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/containerd/containerd.sock"
EOF

init_path=""
command -v docker-init >/dev/null || init_path="\"init-path\": \"$(command -v tini-static || command -v tini)\","
cat > "$W/etc/daemon.json" <<EOF
{
  "data-root": "$W/data/docker",
  "exec-root": "/run/docker",
  "pidfile": "$W/docker.pid",
  "hosts": ["unix://$W/docker.sock"],
  "containerd": "/run/containerd/containerd.sock",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "/$CG_PARENT",
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  $init_path
  "runtimes": { "tsrun": { "path": "$TSRUN" } }
}
EOF

# podman: own config and storage, seen at /etc/containers inside the namespace only (so
# conmon's exit command, another podman, reads them too); rlimits within the hard limits
# conmon runs with (podman's defaults need CAP_SYS_RESOURCE, which some hosts' bounding sets
# lack; podman caps conmon's nproc at 32768)
nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
mkdir -p "$W/etc/containers"
[ -d /etc/containers ] && cp -a /etc/containers/. "$W/etc/containers/"
cat > "$W/etc/containers/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$nproc:$nproc"]
netns = "bridge"
[network]
network_backend = "cni"
network_config_dir = "$W/etc/cni"
cni_plugin_dirs = ["/usr/lib/cni"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat > "$W/etc/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/data/podman/storage"
runroot = "/run/podman-storage"
EOF

D() { DOCKER_HOST=unix://$W/docker.sock "$DOCKER_CLI" "$@"; }
C() { nsrun ctr -n "$CTR_NS" "$@"; }
# podman runs in a directory of the work dir: conmon 2.1 writes its "oom" file to the working
# directory podman gives it (podman 4.3 sets none), which would otherwise be /
pm() { nsenter -t "$(nspid)" -m -n --wd="${PM_WD:-$W/pmwd}" -- podman "$@"; }

# ------------------------------------------------------------------ 4. daemons
setsid unshare -m -n --propagation private -- "$HERE/ns-entry.sh" "$W" >> "$W/logs/containerd.log" 2>&1 < /dev/null &
for i in $(seq 1 100); do [ -s "$W/ns.pid" ] && nsrun test -S /run/containerd/containerd.sock 2>/dev/null && break; sleep 0.1; done
nsrun test -S /run/containerd/containerd.sock 2>/dev/null || { echo "engines: containerd did not start:" >&2; tail -20 "$W/logs/containerd.log" >&2; exit 1; }
if [ -n "$(echo " $ENGINES " | grep -E ' docker ')" ]; then
  setsid nsenter -t "$(nspid)" -m -n -- dockerd --config-file "$W/etc/daemon.json" >> "$W/logs/dockerd.log" 2>&1 < /dev/null &
  for i in $(seq 1 150); do D version >/dev/null 2>&1 && break; sleep 0.2; done
  D version >/dev/null 2>&1 || { echo "engines: dockerd did not start:" >&2; tail -30 "$W/logs/dockerd.log" >&2; exit 1; }
fi

# ------------------------------------------------------------------ 5. image
(
  set -e
  mkdir -p "$W/image/rootfs"; cd "$W/image/rootfs"
  mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev var/tmp home/user
  chmod 1777 tmp var/tmp
  cp /bin/busybox bin/busybox
  for a in $(./bin/busybox --list-full); do
    [ "$a" = bin/busybox ] || { mkdir -p "$(dirname "$a")"; ln -sf /bin/busybox "$a"; }
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n' > etc/passwd
  printf 'root:x:0:\nnogroup:x:65534:\nuser:x:1000:\n' > etc/group
  chown 1000:1000 home/user
  tar --numeric-owner -cf "$W/image/bb.tar" .
) || { echo "engines: image rootfs failed" >&2; exit 1; }
IMG=bb:latest
CIMG=docker.io/library/bb:latest
PIMG=localhost/bb:latest
imp_changes=(--change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin')
case " $ENGINES " in *" docker "*)
  D import "${imp_changes[@]}" "$W/image/bb.tar" "$IMG" >/dev/null || { echo "engines: docker import failed" >&2; exit 1; } ;;
esac
case " $ENGINES " in *" ctr "*)
  # ctr imports image archives: docker save's, or a minimal one written here without docker
  if D image inspect "$IMG" >/dev/null 2>&1; then D save "$IMG" -o "$W/image/bb-save.tar"
  else echo "engines: ctr needs the docker engine to build its image" >&2; exit 1; fi
  C images import "$W/image/bb-save.tar" >/dev/null || { echo "engines: ctr import failed" >&2; exit 1; } ;;
esac
case " $ENGINES " in *" podman "*)
  pm import "${imp_changes[@]}" "$W/image/bb.tar" "$PIMG" >/dev/null 2>&1 || { echo "engines: podman import failed" >&2; exit 1; } ;;
esac

# ------------------------------------------------------------------ 6. scenarios
# A scenario is a function sc_ENGINE_NAME taking the runtime name (runc | tsrun); it runs in
# its own bash (so `fail` can exit; exit 77: skipped), with a time limit, output in $W/logs/sc/.
rtpath() { if [ "$1" = tsrun ]; then echo "$TSRUN"; else echo "$RUNC"; fi; }
fail() { echo "FAIL: $*"; exit 1; }
# expect DESCRIPTION WANTED GOT
expect() { [ "$2" = "$3" ] || fail "$1: wanted '$2', got '$3'"; }
# expect_in DESCRIPTION NEEDLE HAYSTACK
expect_in() { case "$3" in *"$2"*) ;; *) fail "$1: '$2' not in '$3'";; esac; }
waitfor() { local i; for i in $(seq 1 100); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; fail "timed out waiting for: $1"; }
. "$HERE/scenarios-shared.sh"
. "$HERE/scenarios-docker.sh"
. "$HERE/scenarios-ctr.sh"
. "$HERE/scenarios-podman.sh"
export -f D C pm nsrun nspid rtpath fail expect expect_in waitfor alive $(declare -F | awk '{print $3}' | grep -E '^(sc_|h_)')
export H_WAIT_SIZE W TSRUN RUNC DOCKER_CLI CG_PARENT CTR_NS PM_CG IMG CIMG PIMG HERE REPO

# After each scenario run: what it left behind fails it (for the runtime that ran it; the run
# before it was clean). Looked for: processes of the engines' namespace but the daemons
# (shims, conmon, podman's exit commands, docker-proxy), container cgroups (and their
# processes) under the three parents, runtime state. The engines tear down asynchronously, so
# it is polled for up to 15 s before it counts; then it is removed so the next run starts clean.
leftovers_now() {   # ENGINE RT
  local ns pid root cg keep=" $(nspid) $(cat "$W/docker.pid" 2>/dev/null) "
  ns=$(readlink "/proc/$(nspid)/ns/mnt"); ns=${ns#mnt:[}; ns=${ns%]}
  for pid in $(find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "mnt:?$ns?" 2>/dev/null | cut -d/ -f3); do
    case "$keep" in *" $pid "*) continue ;; esac
    echo "process $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
  done
  for cg in $(find /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/*/"$CTR_NS" /sys/fs/cgroup/*/"$PM_CG" \
                -mindepth 1 -maxdepth 1 -type d ! -name conmon 2>/dev/null); do
    echo "cgroup $cg (processes: $(tr '\n' ' ' < "$cg/cgroup.procs" 2>/dev/null))"
  done
  root=$(rt_root "$1" "$2")
  for pid in $(nsrun "$(rtpath "$2")" ${root:+--root "$root"} list -q 2>/dev/null); do echo "runtime state $pid"; done
}
rt_root() {         # ENGINE RT: the runtime's --root under that engine (podman: the default)
  case $1 in
    docker) echo "/run/docker/runtime-$2/moby" ;;
    ctr) echo "/run/containerd/runc/$CTR_NS" ;;
  esac
}
engine_clean() {    # ENGINE: remove the containers a failed scenario left to the engine
  local ids t
  case $1 in
    docker) ids=$(D ps -aq 2>/dev/null); [ -n "$ids" ] && D rm -f -v $ids >/dev/null 2>&1
            ids=$(D volume ls -q 2>/dev/null); [ -n "$ids" ] && D volume rm -f $ids >/dev/null 2>&1 ;;
    ctr) for t in $(C task ls -q 2>/dev/null); do C task kill -s SIGKILL "$t" >/dev/null 2>&1; sleep 0.2; C task rm -f "$t" >/dev/null 2>&1; done
         for t in $(C containers ls -q 2>/dev/null); do C containers rm "$t" >/dev/null 2>&1; done ;;
    podman) pm rm -a -f -t 0 >/dev/null 2>&1; pm volume prune -f >/dev/null 2>&1 ;;
  esac
  true
}
leftovers() {       # ENGINE RT LOG: prints what stays, and removes it
  local i left cg pid id root
  for i in $(seq 0 75); do
    left=$(leftovers_now "$1" "$2")
    if [ -z "$left" ]; then
      [ "$i" -gt 0 ] && echo "(the engine's teardown took $((i / 5)).$((i % 5 * 2)) s more)" >> "$3"
      echo "$i" >> "$W/logs/teardown-waits"
      return 0
    fi
    sleep 0.2
  done
  echo "$left"
  root=$(rt_root "$1" "$2")
  for id in $(echo "$left" | awk '$1 == "runtime" {print $3}'); do
    nsrun "$(rtpath "$2")" ${root:+--root "$root"} delete --force "$id" >/dev/null 2>&1
  done
  for pid in $(echo "$left" | awk '$1 == "process" {print $2}'); do kill -KILL "$pid" 2>/dev/null; done
  for pid in $(echo "$left" | awk '$1 == "cgroup" {print $2 "/cgroup.procs"}' | xargs -r cat 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  sleep 0.2
  for cg in $(echo "$left" | awk '$1 == "cgroup" {print $2}'); do find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  return 1
}

pass_runc=0; pass_tsrun=0; total=0; regressions=(); started=$(date +%s)
printf '\n%-8s %-34s %-6s %-6s %s\n' engine scenario runc tsrun "seconds (runc/tsrun)"
for engine in $ENGINES; do
  for fn in $(declare -F | awk '{print $3}' | grep -E "^sc_${engine}_"); do
    name=${fn#sc_${engine}_}
    [ -n "$ONLY" ] && ! [[ "$engine/$name" =~ $ONLY ]] && continue
    total=$((total + 1))
    res=(); secs=()
    for rt in runc tsrun; do
      log=$W/logs/sc/$engine.$name.$rt.log
      t0=$(date +%s%N)
      timeout -k 5 180 bash -c '"$@"' _ "$fn" "$rt" > "$log" 2>&1
      case $? in 0) r=pass ;; 77) r=skip ;; *) r=FAIL; engine_clean "$engine" ;; esac
      if ! left=$(leftovers "$engine" "$rt" "$log"); then
        { echo "FAIL: left behind after the scenario:"; echo "$left"; } >> "$log"
        r=FAIL
      fi
      res+=("$r")
      secs+=("$(( ($(date +%s%N) - t0) / 100000000 ))")
    done
    [ "${res[0]}" = pass ] && pass_runc=$((pass_runc + 1))
    [ "${res[1]}" = pass ] && pass_tsrun=$((pass_tsrun + 1))
    printf '%-8s %-34s %-6s %-6s %s/%s\n' "$engine" "$name" "${res[0]}" "${res[1]}" \
      "$((secs[0] / 10)).$((secs[0] % 10))" "$((secs[1] / 10)).$((secs[1] % 10))"
    for i in 0 1; do
      if [ "${res[$i]}" = FAIL ]; then
        rt=runc; [ $i = 1 ] && rt=tsrun
        sed 's/^/    | /' "$W/logs/sc/$engine.$name.$rt.log" | tail -8
      fi
    done
    [ "${res[0]}" = pass ] && [ "${res[1]}" = FAIL ] && regressions+=("$engine/$name")
  done
done
echo
echo "engines: $total scenarios in $(( $(date +%s) - started ))s (of which $(awk '{n += $1} END {printf "%.1f", n / 5}' "$W/logs/teardown-waits" 2>/dev/null)s waiting for the engines' teardown); runc passed $pass_runc, tsrun passed $pass_tsrun"
if [ ${#regressions[@]} -gt 0 ]; then
  echo "engines: tsrun FAILED where runc passes: ${regressions[*]}" >&2
  exit 1
fi
echo "engines: tsrun passes every scenario runc passes"
