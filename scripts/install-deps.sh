#!/usr/bin/env bash
# Installs what building and testing tsrun needs, only when missing.
# Debian packages: wasm2c (wabt), a static C toolchain (musl-tools, gcc), file,
# busybox-static (the test/example rootfs), strace; npm packages pinned in package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wasm2c >/dev/null || need+=(wabt)
command -v musl-gcc >/dev/null || need+=(musl-tools)
command -v gcc >/dev/null || need+=(gcc)
command -v file >/dev/null || need+=(file)
command -v strace >/dev/null || need+=(strace)   # test/e2e/faults.test.mjs places its kills with it
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh && file -L /bin/busybox | grep -q 'statically linked' || need+=(busybox-static)
# Extra packages by name (a package whose command has another name is checked by that command).
for extra in ${TSRUN_EXTRA_DEPS:-}; do
  case $extra in
    uidmap) cmd=newuidmap ;;
    # the binary the systemd driver test boots privately (installing it starts nothing)
    systemd) [ -x /lib/systemd/systemd ] || need+=(systemd); continue ;;
    *) cmd=$extra ;;
  esac
  command -v "$cmd" >/dev/null || need+=("$extra")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -x node_modules/.bin/asc ] || [ ! -d node_modules/uvu ]; then
  echo "install-deps: npm ci" >&2
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
fi
