// Names of the wasm2c-generated module (module name "tsrun"), in one place.
#ifndef TSRUN_LINK_H
#define TSRUN_LINK_H
#include "module.h"
typedef Z_tsrun_instance_t tsrun_instance_t;
#define tsrun_init_module Z_tsrun_init_module
#define tsrun_instantiate Z_tsrun_instantiate
#define tsrun_main Z_tsrunZ_main
#define tsrun_env_sys6 Z_envZ_sys6
#define tsrun_env_membase Z_envZ_membase
#define tsrun_env_argc Z_envZ_argc
#define tsrun_env_argv Z_envZ_argv
#define tsrun_env_envp Z_envZ_envp
#define tsrun_env_host_read Z_envZ_host_read
#define tsrun_env_host_strlen Z_envZ_host_strlen
#define tsrun_env_abort Z_envZ_abort
#endif
