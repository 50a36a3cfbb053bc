// Loads build/unit.wasm (built by test/unit/build.sh) through its ESM bindings.
// The pure modules under test must not reach the syscall layer. If an `@external("env", ...)`
// import is pulled in anyway, the ESM bindings look it up on globalThis: we install stubs
// that record the call and fail (sys6 returns -ENOSYS), so a unit test can assert that no
// host call happened (`hostCalls` stays empty) instead of crashing at instantiation.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const wasmPath = fileURLToPath(new URL('../../build/unit.wasm', import.meta.url));
if (!existsSync(wasmPath)) {
  throw new Error(`${wasmPath} is missing: run test/unit/build.sh first`);
}

export const hostCalls = [];
const ENOSYS = 38;
const known = new Set(['abort', 'trace', 'seed']);
for (const imp of WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath)))) {
  if (imp.module !== 'env' || imp.kind !== 'function' || known.has(imp.name)) continue;
  if (imp.name in globalThis) continue;
  globalThis[imp.name] = (...args) => {
    hostCalls.push({ name: imp.name, args });
    if (imp.name === 'sys6') return BigInt(-ENOSYS);
    // u64 results (membase, argv, envp) must be BigInts for the ESM bindings.
    return ['membase', 'argv', 'envp'].includes(imp.name) ? 0n : 0;
  };
}

export const wasm = await import('../../build/unit.js');
