#!/usr/bin/env bash
# Runs the whole tsrun test suite on a fresh Debian machine, as root:
#   dependencies (scripts/install-deps.sh, plus runc as the differential reference),
#   ./build.sh (bin/tsrun), the unit tests (test/unit/*.test.mjs, on build/unit.wasm) and the
#   end-to-end tests (test/e2e/*.test.mjs, real containers). Exits non-zero on any failure.
#
#   bash test/run.sh                 # everything, the engines last (TSRUN_SKIP_ENGINES=1: not them)
#   bash test/run.sh unit            # unit tests only (no root needed)
#   bash test/run.sh e2e             # end-to-end tests only
#   bash test/run.sh engines         # Docker, containerd and podman with tsrun and runc
#                                    # (test/engines/run.sh: installs the engines; minutes)
#   bash test/run.sh test/e2e/lifecycle.test.mjs ...
#
# Environment: TSRUN_BIN (runtime under test; default bin/tsrun; /usr/sbin/runc validates the
# tests themselves), TSRUN_SKIP_BUILD=1 (use the existing bin/tsrun), TSRUN_TEST_TIMEOUT
# (seconds per test file, default 300), TSRUN_TEST_TMP (temp dir for bundles; default /tmp),
# TSRUN_SKIP_ENGINES=1 (no engine step), TSRUN_ENGINES_TIMEOUT (seconds, default 1800).
set -euo pipefail
cd "$(dirname "$0")/.."

files=()
want_e2e=0
want_engines=0
if [ $# -eq 0 ]; then
  set -- unit e2e
  [ "${TSRUN_SKIP_ENGINES:-}" = 1 ] || set -- unit e2e engines
fi
for arg in "$@"; do
  case $arg in
    unit) files+=(test/unit/*.test.mjs) ;;
    e2e) files+=(test/e2e/*.test.mjs); want_e2e=1 ;;
    engines) want_engines=1; want_e2e=1 ;;
    *) files+=("$arg"); case $arg in *e2e*) want_e2e=1 ;; esac ;;
  esac
done

if [ "$want_e2e" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "test/run.sh: the end-to-end tests create real containers: run as root" >&2
  exit 1
fi

# runc is the reference runtime of the differential tests; uidmap (newuidmap/newgidmap) is
# what the rootless tests map several id ranges with; systemd is booted privately by
# test/e2e/systemd.test.mjs (test/lib/systemd.mjs), never as the machine's init.
if [ "$want_e2e" = 1 ]; then
  TSRUN_EXTRA_DEPS="${TSRUN_EXTRA_DEPS:-} runc uidmap systemd" scripts/install-deps.sh
else
  scripts/install-deps.sh
fi

if [ "${TSRUN_SKIP_BUILD:-}" != 1 ]; then
  ./build.sh
  TSRUN_FEATURES=minimal ./build.sh   # bin/tsrun-minimal, checked by test/e2e/minimal.test.mjs
fi
test/unit/build.sh

echo "runtime under test: ${TSRUN_BIN:-bin/tsrun}" >&2
failed=()
start=$(date +%s)
for f in "${files[@]}"; do
  echo
  echo "=== $f"
  if ! timeout --kill-after=10 "${TSRUN_TEST_TIMEOUT:-300}" node "$f"; then
    failed+=("$f")
  fi
done

# The real engines drive the runtime under test next to runc (own step: minutes, not seconds).
if [ "$want_engines" = 1 ]; then
  echo
  echo "=== test/engines/run.sh"
  files+=(test/engines/run.sh)
  if ! timeout --kill-after=30 "${TSRUN_ENGINES_TIMEOUT:-1800}" bash test/engines/run.sh; then
    failed+=(test/engines/run.sh)
  fi
fi

echo
echo "test/run.sh: ${#files[@]} test files in $(( $(date +%s) - start ))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "test/run.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test/run.sh: all passed"
