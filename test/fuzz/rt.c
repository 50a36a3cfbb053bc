// A wasm2c runtime (wasm-rt.h) for the fuzz builds: growable heap memory that is freed with
// its instance, explicit bounds checks, and every trap a crash (abort(): libFuzzer and the
// replayer report it with the input).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasm-rt.h"

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
#endif

static const char *const trap_names[] = {
    "none", "out-of-bounds memory access", "integer overflow", "division by zero",
    "invalid conversion", "unreachable", "invalid indirect call", "uncaught exception",
    "call stack exhausted"};

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

const char *wasm_rt_strerror(wasm_rt_trap_t t) {
  return (unsigned)t < sizeof trap_names / sizeof *trap_names ? trap_names[t] : "?";
}

void wasm_rt_trap(wasm_rt_trap_t t) {
  fprintf(stderr, "fuzz: wasm trap: %s\n", wasm_rt_strerror(t));
  abort();
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial, uint32_t max) {
  m->data = calloc(initial ? initial : 1, 65536);
  if (!m->data) abort();
  m->pages = initial;
  m->max_pages = max < 16384 ? max : 16384;   // 1 GiB
  m->size = initial * 65536u;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta) {
  uint32_t old = m->pages;
  uint64_t want = (uint64_t)old + delta;
  if (want > m->max_pages) return (uint32_t)-1;
  uint8_t *p = realloc(m->data, want * 65536u);
  if (!p) return (uint32_t)-1;
  memset(p + (uint64_t)old * 65536u, 0, (uint64_t)delta * 65536u);
  m->data = p;
  m->pages = (uint32_t)want;
  m->size = (uint32_t)(want * 65536u);
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *m) { free(m->data); m->data = NULL; }

#include "../../link/func-types.h"

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t n, uint32_t max) {
  t->data = calloc(n ? n : 1, sizeof(wasm_rt_funcref_t));
  if (!t->data) abort();
  t->size = n;
  t->max_size = max;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) { free(t->data); t->data = NULL; }
