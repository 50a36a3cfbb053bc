#!/usr/bin/env bash
# Builds the fuzz targets of test/fuzz/entry.ts into build/fuzz/:
#   replay-json, replay-config   corpus replayers (gcc; what CI runs on test/fuzz/corpus/)
#   fuzz-json, fuzz-config       libFuzzer binaries (clang -fsanitize=fuzzer; `all` only)
# The module is compiled as bin/tsrun's is (the asc options of build.sh, wasm2c, explicit
# bounds checks, the same call-depth guard), so a trap here is a trap of tsrun.
#   test/fuzz/build.sh [replay|all]     (default replay)
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-replay}
out=build/fuzz
mkdir -p "$out"
node_modules/.bin/asc test/fuzz/entry.ts -Oz --converge --runtime stub --noAssert --initialMemory 2 \
  -o "$out/fuzz.wasm"
wasm2c "$out/fuzz.wasm" -n fuzz -o "$out/module.c"
cp /usr/include/wasm-rt.h "$out/wasm-rt.h"
defs=(-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_MAX_CALL_STACK_DEPTH=20000 -I"$out")
export_of() { if [ "$1" = json ]; then echo fuzzJson; else echo fuzzConfig; fi; }

gcc -O1 -g -w "${defs[@]}" -c -o "$out/module.o" "$out/module.c"
gcc -O1 -Wall "${defs[@]}" -c -o "$out/rt.o" test/fuzz/rt.c
for t in json config; do
  gcc -O1 -Wall "${defs[@]}" -DFUZZ_EXPORT="$(export_of $t)" -o "$out/replay-$t" \
    test/fuzz/replay.c test/fuzz/target.c "$out/rt.o" "$out/module.o"
done
if [ "$what" = all ]; then
  command -v clang >/dev/null || { echo "fuzz/build.sh: needs clang and libclang-rt-14-dev (libFuzzer)" >&2; exit 1; }
  clang -O2 -g -w -fsanitize=fuzzer "${defs[@]}" -c -o "$out/module-cov.o" "$out/module.c"
  for t in json config; do
    clang -O2 -g -w -fsanitize=fuzzer "${defs[@]}" -DFUZZ_EXPORT="$(export_of $t)" -o "$out/fuzz-$t" \
      test/fuzz/harness.c test/fuzz/target.c test/fuzz/rt.c "$out/module-cov.o"
  done
fi
echo "built $out/replay-{json,config}$([ "$what" = all ] && echo ' and fuzz-{json,config}')" >&2
