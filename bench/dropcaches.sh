#!/bin/bash
# dropcaches.sh — hyperfine --prepare of the cold-cache mode (run.sh --cold).
# Drops the page cache, dentries and inodes (the whole machine's: this is why cold
# mode is opt-in), then runs the null loop once (bash, mktemp, mkfifo, /bin/true,
# rm, libc warm again), so that a cold run pays for the runtime binary, its
# libraries and the bundle (config.json, busybox), not for the benchmark script.
source "$(dirname "$0")/lib.sh"
sync
echo 3 >/proc/sys/vm/drop_caches
"$BENCH_DIR/lifecycle.sh" -n 1 -m null -b "$BUNDLE" -s "$STATE" /bin/true
