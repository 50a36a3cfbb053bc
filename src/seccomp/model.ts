// linux.seccomp, validated (seccomp/parse.ts) into what the BPF compiler (seccomp/bpf.ts)
// needs: kernel return values for actions, syscall numbers per ABI, flag bits.

// SECCOMP_RET_* values (the action part; ERRNO and TRACE carry 16 bits of data).
export const RET_KILL_PROCESS: u32 = 0x80000000, RET_KILL_THREAD: u32 = 0, RET_TRAP: u32 = 0x00030000,
  RET_ERRNO: u32 = 0x00050000, RET_USER_NOTIF: u32 = 0x7fc00000, RET_TRACE: u32 = 0x7ff00000,
  RET_LOG: u32 = 0x7ffc0000, RET_ALLOW: u32 = 0x7fff0000;

// seccomp(2) filter flags.
export const FLAG_TSYNC: u32 = 1, FLAG_LOG: u32 = 2, FLAG_SPEC_ALLOW: u32 = 4, FLAG_NEW_LISTENER: u32 = 8,
  FLAG_TSYNC_ESRCH: u32 = 16, FLAG_WAIT_KILLABLE_RECV: u32 = 32;

// The ABIs an x86_64 kernel presents (bits of Seccomp.abis).
export const ABI_X86_64: u32 = 1, ABI_I386: u32 = 2, ABI_X32: u32 = 4;
export const AUDIT_ARCH_X86_64: u32 = 0xc000003e, AUDIT_ARCH_I386: u32 = 0x40000003;
export const X32_SYSCALL_BIT: u32 = 0x40000000;

export const enum Op { NE = 1, LT, LE, EQ, GE, GT, MaskedEq }

export class ArgCond {
  constructor(public index: i32, public op: Op, public value: u64, public valueTwo: u64) {}
}

// One syscall with one action, taken when every condition holds (AND).
export class Rule {
  constructor(public sys: i32 /* index in table.ts */, public action: u32, public conds: ArgCond[]) {}
}

export class Seccomp {
  defaultAction: u32 = RET_ALLOW;
  abis: u32 = ABI_X86_64;      // the native ABI is always in (as libseccomp)
  flags: u32 = 0;              // seccomp(2) flags, FLAG_NEW_LISTENER included when notifying
  rules: Rule[] = [];          // config order; the first rule that matches decides
  // Syscalls numbered above every syscall the profile names get ENOSYS instead of the
  // default action (runc's stub: a newer program falls back instead of failing hard).
  enosysStub: bool = false;
  listenerPath: string = "";
  listenerMetadata: string = "";
  unknownNames: i32 = 0;       // names no ABI here knows: ignored, as runc does
  named: i32[] = [];           // every known name of the profile (for the ENOSYS stub)

  get notify(): bool { return (this.flags & FLAG_NEW_LISTENER) != 0; }
}
