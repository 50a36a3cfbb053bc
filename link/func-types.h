// Shared by link/wasm-rt.c and the fuzz runtime (test/fuzz/rt.c): wasm2c's function-type
// registry. Included once into a runtime's .c file, after its wasm_rt_trap.
#include <stdarg.h>
#include <string.h>
#include "wasm-rt.h"

// Function signatures for call_indirect: interned, compared by value.
#define MAX_SIGNATURES 256
#define MAX_SIG_TYPES 24
static struct { uint32_t params, results; uint8_t types[MAX_SIG_TYPES]; } signatures[MAX_SIGNATURES];
static uint32_t signature_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint8_t types[MAX_SIG_TYPES];
  uint32_t n = params + results;
  if (n > MAX_SIG_TYPES) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT);
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; i++) types[i] = (uint8_t)va_arg(ap, int);
  va_end(ap);
  for (uint32_t i = 0; i < signature_count; i++)
    if (signatures[i].params == params && signatures[i].results == results &&
        memcmp(signatures[i].types, types, n) == 0)
      return i;
  if (signature_count == MAX_SIGNATURES) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT);
  signatures[signature_count].params = params;
  signatures[signature_count].results = results;
  memcpy(signatures[signature_count].types, types, n);
  return signature_count++;
}
