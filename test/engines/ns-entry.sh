#!/bin/sh
# First process of the private mount + network namespace made by test/engines/run.sh; it
# becomes containerd. Everything the engines keep under /run (runtime roots, shim sockets,
# netns files, podman state) and CNI's IPAM state live on tmpfs mounts of THIS namespace, so
# they vanish with it and never touch the host.
#   ns-entry.sh WORKDIR
W=$1
set -e
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tsrun-engines-run /run
mkdir -p /run/lock /run/netns
mount -t tmpfs -o mode=0755 tsrun-engines-cni "$W/cni-state"
mkdir -p /var/lib/cni 2>/dev/null || true
mount --bind "$W/cni-state" /var/lib/cni
# podman's configuration for this run (made by run.sh), for every podman in the namespace
if [ -d /etc/containers ] && [ -f "$W/etc/containers/containers.conf" ]; then
  mount --bind "$W/etc/containers" /etc/containers
fi
ip link set lo up
echo $$ > "$W/ns.pid"
exec containerd --config "$W/etc/containerd.toml"
