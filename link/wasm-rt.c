// tsrun's own implementation of the wasm2c runtime interface (wasm-rt.h).
// Why not wabt's wasm-rt-impl.c: that one reserves 8 GiB per memory and installs a
// SIGSEGV handler on an alternate stack for guard-page bounds checks. tsrun is a short
// CLI that forks into container init: one MAP_NORESERVE reservation whose base never
// moves (so host pointers into linear memory stay valid across memory.grow and fork)
// and explicit bounds checks (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0) cost one mmap.
#include <stdarg.h>
#include <string.h>
#include "wasm-rt.h"
#include "../runtime-c/raw.h"

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
#endif

// Upper bound of the linear memory (virtual reservation; only touched pages cost RSS).
#define TSRUN_MEMORY_RESERVE (1024u << 20)

static int initialized;
void wasm_rt_init(void) { initialized = 1; }
bool wasm_rt_is_initialized(void) { return initialized; }
void wasm_rt_free(void) {}

static const char *const trap_names[] = {
    "none", "out-of-bounds memory access", "integer overflow", "division by zero",
    "invalid conversion", "unreachable", "invalid indirect call", "uncaught exception",
    "call stack exhausted"};

void wasm_rt_trap(wasm_rt_trap_t t) {
  // A trap is a bug in tsrun, never an expected outcome: say so and exit 70 (EX_SOFTWARE).
  const char *name = (unsigned)t < sizeof trap_names / sizeof *trap_names ? trap_names[t] : "?";
  raw_write_str(2, "tsrun: internal error: ");
  raw_write_str(2, name);
  raw_write_str(2, "\n");
  raw_exit(70);
}

const char *wasm_rt_strerror(wasm_rt_trap_t t) {
  return (unsigned)t < sizeof trap_names / sizeof *trap_names ? trap_names[t] : "?";
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial, uint32_t max) {
  long p = raw_syscall6(9 /* mmap */, 0, TSRUN_MEMORY_RESERVE, 3 /* RW */,
                        0x22 | 0x4000 /* PRIVATE|ANON|NORESERVE */, -1, 0);
  if (p < 0 && p > -4096) wasm_rt_trap(WASM_RT_TRAP_OOB);
  uint64_t cap = TSRUN_MEMORY_RESERVE / 65536u;
  m->data = (uint8_t *)p;
  m->pages = initial;
  m->max_pages = max < cap ? max : (uint32_t)cap;
  m->size = initial * 65536u;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta) {
  uint32_t old = m->pages;
  uint64_t want = (uint64_t)old + delta;
  if (want > m->max_pages) return (uint32_t)-1;
  m->pages = (uint32_t)want;
  m->size = (uint32_t)(want * 65536u);
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *m) { (void)m; }

#include "func-types.h"

#define MAX_TABLE 4096
static wasm_rt_funcref_t table_storage[MAX_TABLE];

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t n, uint32_t max) {
  if (n > MAX_TABLE) wasm_rt_trap(WASM_RT_TRAP_OOB);
  t->data = table_storage;
  t->size = n;
  t->max_size = max < MAX_TABLE ? max : MAX_TABLE;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) { (void)t; }
