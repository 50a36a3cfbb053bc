// Build-time features. `TSRUN_FEATURES=minimal ./build.sh` compiles a copy of src/ with this
// file rewritten (all false), producing bin/tsrun-minimal: only create, start, delete,
// state, kill, exec and list, without hooks, cgroup limits, terminals or seccomp. Code behind a false
// constant is removed by the compiler; a config that needs it gets a clear error.
export const FEATURE_HOOKS: bool = true;
export const FEATURE_CGROUPS: bool = true;
export const FEATURE_TERMINAL: bool = true;
export const FEATURE_EXTRA_VERBS: bool = true; // run, ps, spec, features
export const FEATURE_SECCOMP: bool = true;     // linux.seccomp (the BPF compiler and syscall tables)
export const BUILD_NAME: string = "full";
