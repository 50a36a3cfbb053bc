// One fuzz input through the Wasm module: a fresh instance (the stub runtime never frees),
// the input copied into a module buffer, FUZZ_EXPORT called on it. The imports a pure
// parser could still reach fail (sys6 returns -ENOSYS); abort() is a crash.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "module.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define EXPORT_FN CAT(Z_fuzzZ_, FUZZ_EXPORT)

static Z_fuzz_instance_t *current;

void Z_envZ_abort(struct Z_env_instance_t *e, u32 msg, u32 file, u32 line, u32 col) {
  (void)e; (void)msg; (void)file; (void)line; (void)col;
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}
u64 Z_envZ_sys6(struct Z_env_instance_t *e, u64 nr, u64 a, u64 b, u64 c, u64 d, u64 f, u64 g) {
  (void)e; (void)nr; (void)a; (void)b; (void)c; (void)d; (void)f; (void)g;
  return (u64)-38; // ENOSYS
}
u64 Z_envZ_membase(struct Z_env_instance_t *e) { (void)e; return (u64)(uintptr_t)current->w2c_memory.data; }
u32 Z_envZ_argc(struct Z_env_instance_t *e) { (void)e; return 0; }
u64 Z_envZ_argv(struct Z_env_instance_t *e) { (void)e; return 0; }
u64 Z_envZ_envp(struct Z_env_instance_t *e) { (void)e; return 0; }
u32 Z_envZ_host_read(struct Z_env_instance_t *e, u32 dst, u64 src, u32 len) { (void)e; (void)dst; (void)src; (void)len; return 0; }
u32 Z_envZ_host_strlen(struct Z_env_instance_t *e, u64 p) { (void)e; (void)p; return 0; }

int fuzz_one(const uint8_t *data, size_t size) {
  static int inited;
  if (!inited) { wasm_rt_init(); Z_fuzz_init_module(); inited = 1; }
  if (size > (1u << 20)) return 0; // config.json is read whole; 1 MiB is plenty
  Z_fuzz_instance_t inst;
  memset(&inst, 0, sizeof inst);
  current = &inst;
  Z_fuzz_instantiate(&inst, NULL);
  u32 buf = Z_fuzzZ_inputBuffer(&inst, (u32)size);
  memcpy(inst.w2c_memory.data + buf, data, size);
  int r = (int)EXPORT_FN(&inst, buf);
  // The runtime never frees: memory out of proportion to the input means an allocation
  // pattern that a larger input turns into an out-of-memory trap (quadratic appends).
  uint64_t used = (uint64_t)inst.w2c_memory.pages * 65536u;
  if (getenv("FUZZ_PAGES")) fprintf(stderr, "fuzz: %llu bytes of linear memory\n", (unsigned long long)used);
  if (used > (32u << 20) + 256 * (uint64_t)size) {
    fprintf(stderr, "fuzz: %llu bytes of linear memory for a %zu-byte input\n", (unsigned long long)used, size);
    abort();
  }
  Z_fuzz_free(&inst);
  if (r == 2) abort(); // neither a value nor an error message
  return r;
}
