// The process entry and the Wasm imports: raw syscalls and access to argv/envp.
// No policy lives here; src/ decides everything.
#include "raw.h"
#include "tsrun.h"

static tsrun_instance_t instance;
static int host_argc;
static char **host_argv, **host_envp;

// env.sys6: one raw syscall. Pointers are host addresses (membase() + offset).
u64 tsrun_env_sys6(struct Z_env_instance_t *e, u64 nr, u64 a, u64 b, u64 c, u64 d, u64 f, u64 g) {
  (void)e;
  return (u64)raw_syscall6((long)nr, (long)a, (long)b, (long)c, (long)d, (long)f, (long)g);
}

// env.membase: host address of linear memory byte 0 (fixed for the process lifetime).
u64 tsrun_env_membase(struct Z_env_instance_t *e) {
  (void)e;
  return (u64)(uintptr_t)instance.w2c_memory.data;
}

u32 tsrun_env_argc(struct Z_env_instance_t *e) { (void)e; return (u32)host_argc; }
u64 tsrun_env_argv(struct Z_env_instance_t *e) { (void)e; return (u64)(uintptr_t)host_argv; }
u64 tsrun_env_envp(struct Z_env_instance_t *e) { (void)e; return (u64)(uintptr_t)host_envp; }

// env.host_read: copy len bytes from a host address into linear memory at dst (bounds-checked).
u32 tsrun_env_host_read(struct Z_env_instance_t *e, u32 dst, u64 src, u32 len) {
  (void)e;
  wasm_rt_memory_t *m = &instance.w2c_memory;
  if ((u64)dst + len > m->size) return 0;
  const u8 *s = (const u8 *)(uintptr_t)src;
  for (u32 i = 0; i < len; i++) m->data[dst + i] = s[i];
  return len;
}

// env.host_strlen: length of a NUL-terminated host string.
u32 tsrun_env_host_strlen(struct Z_env_instance_t *e, u64 p) {
  (void)e;
  const char *s = (const char *)(uintptr_t)p;
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

// env.abort: AssemblyScript's abort(). Reaching it is a tsrun bug.
void tsrun_env_abort(struct Z_env_instance_t *e, u32 msg, u32 file, u32 line, u32 col) {
  (void)e; (void)msg; (void)file; (void)line; (void)col;
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

int main(int argc, char **argv, char **envp) {
  host_argc = argc;
  host_argv = argv;
  host_envp = envp;
  wasm_rt_init();
  tsrun_init_module();
  tsrun_instantiate(&instance, 0);
  raw_exit((int)tsrun_main(&instance));
}
