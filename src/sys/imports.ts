// The only imports from runtime-c/: one raw syscall and access to argv/envp.
@external("env", "sys6")
export declare function sys6(nr: i64, a: i64, b: i64, c: i64, d: i64, e: i64, f: i64): i64;
@external("env", "membase")
export declare function membase(): u64;
@external("env", "argc")
export declare function hostArgc(): u32;
@external("env", "argv")
export declare function hostArgv(): u64;
@external("env", "envp")
export declare function hostEnvp(): u64;
@external("env", "host_read")
export declare function hostRead(dst: usize, src: u64, len: u32): u32;
@external("env", "host_strlen")
export declare function hostStrlen(p: u64): u32;
