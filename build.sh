#!/usr/bin/env bash
# Builds bin/tsrun: src/**/*.ts --asc--> build/tsrun.wasm --wasm2c--> build/module.c
#                   --musl-gcc -static--> bin/tsrun (+ runtime-c/, link/)
# Options (environment): TSRUN_FEATURES=full|minimal (src/features.ts; minimal builds
#                        bin/tsrun-minimal: create/start/delete/state/kill/exec/list only),
#                        TSRUN_OUT=bin/tsrun, TSRUN_DEBUG=1 (no strip, -O0 asc).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh

out=${TSRUN_OUT:-bin/tsrun}
mkdir -p build bin "$(dirname "$out")"

asc_opt=(-Oz --converge)
cc_opt=(-Os -flto -s)
if [ "${TSRUN_DEBUG:-}" = 1 ]; then asc_opt=(-O0 --debug); cc_opt=(-O1 -g); fi

# A feature-reduced build compiles a copy of src/ whose src/features.ts is rewritten.
srcdir=src
case "${TSRUN_FEATURES:-full}" in
  full) ;;
  minimal)
    rm -rf build/src-minimal && cp -r src build/src-minimal
    sed -i -E 's/^(export const FEATURE_[A-Z_]+: bool = )true;/\1false;/; s/^(export const BUILD_NAME: string = )"full";/\1"minimal";/' \
      build/src-minimal/features.ts
    srcdir=build/src-minimal
    out=${TSRUN_OUT:-bin/tsrun-minimal} ;;
  *) echo "build.sh: unknown TSRUN_FEATURES=${TSRUN_FEATURES} (full or minimal)" >&2; exit 2 ;;
esac

node_modules/.bin/asc "$srcdir/main.ts" "${asc_opt[@]}" \
  --runtime stub --noAssert --initialMemory 3 \
  -o build/tsrun.wasm
wasm2c build/tsrun.wasm -n tsrun -o build/module.c
cp /usr/include/wasm-rt.h build/wasm-rt.h

# The Wasm call-depth guard replaces the guard-page signal handler; input nesting is
# bounded by the JSON reader, far below this.
cflags=(-static "${cc_opt[@]}" -std=gnu11 -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0
  -DWASM_RT_MAX_CALL_STACK_DEPTH=20000 -ffunction-sections -fdata-sections
  -fno-asynchronous-unwind-tables -Ibuild -Ilink -Iruntime-c)
musl-gcc "${cflags[@]}" -w -c build/module.c -o build/module.o   # generated code: no warnings
musl-gcc "${cflags[@]}" -Wall -Wextra -Werror -c runtime-c/main.c -o build/main.o
musl-gcc "${cflags[@]}" -Wall -Wextra -Werror -c link/wasm-rt.c -o build/wasm-rt.o
musl-gcc "${cflags[@]}" -Wl,--gc-sections -o "$out" build/main.o build/wasm-rt.o build/module.o
echo "built $out ($(stat -c %s "$out") bytes)" >&2
