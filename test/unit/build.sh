#!/usr/bin/env bash
# Compiles test/unit/entry.ts (the unit-test exports of the pure TypeScript parts) to
# build/unit.wasm + build/unit.js (ESM bindings), loaded by test/unit/*.test.mjs.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build
node_modules/.bin/asc test/unit/entry.ts --runtime stub --bindings esm --exportRuntime \
  --debug -o build/unit.wasm
