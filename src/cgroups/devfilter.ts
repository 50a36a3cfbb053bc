// Device rules -> an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program (cgroup v2 has no devices.allow).
// Pure: emits the instructions; cgroups/bpf.ts loads and attaches them.
//
// The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } with
// access_type = access << 16 | type. The rules are checked last to first and the first match
// decides, so a later rule overrides an earlier one as with v1's devices.allow/deny; no match
// denies. A rule matching everything ends the program (the verifier refuses dead code).
import { DeviceRule } from "./resources";

const DEV_BLOCK: i32 = 1, DEV_CHAR: i32 = 2;      // BPF_DEVCG_DEV_*
const ACC_MKNOD: i32 = 1, ACC_READ: i32 = 2, ACC_WRITE: i32 = 4;  // BPF_DEVCG_ACC_*

class Insn {
  constructor(public code: u8, public dst: u8, public src: u8, public off: i16, public imm: i32) {}
}

function accessBits(a: string): i32 {
  let b = 0;
  if (a.includes("m")) b |= ACC_MKNOD;
  if (a.includes("r")) b |= ACC_READ;
  if (a.includes("w")) b |= ACC_WRITE;
  return b;
}

const LDXW: u8 = 0x61, AND32K: u8 = 0x54, RSH32K: u8 = 0x74, MOV32X: u8 = 0xbc, MOV32K: u8 = 0xb4, JNEK: u8 = 0x55, EXIT: u8 = 0x95;

// One rule: jumps to the end of its block when the access does not match, else returns.
function ruleBlock(r: DeviceRule): Insn[] {
  const b: Insn[] = [];
  if (r.type == "c" || r.type == "b") b.push(new Insn(JNEK, 2, 0, 0, r.type == "c" ? DEV_CHAR : DEV_BLOCK));
  const acc = accessBits(r.access);
  if (acc != 7) {
    // (requested & ~allowed) != 0: the rule does not cover the whole request.
    b.push(new Insn(MOV32X, 1, 3, 0, 0));
    b.push(new Insn(AND32K, 1, 0, 0, ~acc & 7));
    b.push(new Insn(JNEK, 1, 0, 0, 0));
  }
  if (r.major >= 0) b.push(new Insn(JNEK, 4, 0, 0, <i32>r.major));
  if (r.minor >= 0) b.push(new Insn(JNEK, 5, 0, 0, <i32>r.minor));
  b.push(new Insn(MOV32K, 0, 0, 0, r.allow ? 1 : 0));
  b.push(new Insn(EXIT, 0, 0, 0, 0));
  for (let i = 0; i < b.length; i++) if (b[i].code == JNEK) b[i].off = <i16>(b.length - i - 1);
  return b;
}

function matchesAll(r: DeviceRule): bool {
  return r.type == "a" && accessBits(r.access) == 7 && r.major < 0 && r.minor < 0;
}

// The program as bytes (8 per instruction).
export function deviceProgram(rules: DeviceRule[]): Uint8Array {
  const all: Insn[] = [
    new Insn(LDXW, 2, 1, 0, 0), new Insn(AND32K, 2, 0, 0, 0xffff),   // r2 = type
    new Insn(LDXW, 3, 1, 0, 0), new Insn(RSH32K, 3, 0, 0, 16),       // r3 = access
    new Insn(LDXW, 4, 1, 4, 0), new Insn(LDXW, 5, 1, 8, 0),          // r4 = major, r5 = minor
  ];
  let open = true;
  for (let i = rules.length - 1; i >= 0 && open; i--) {
    const b = ruleBlock(rules[i]);
    for (let k = 0; k < b.length; k++) all.push(b[k]);
    if (matchesAll(rules[i])) open = false;
  }
  if (open) { all.push(new Insn(MOV32K, 0, 0, 0, 0)); all.push(new Insn(EXIT, 0, 0, 0, 0)); }
  const out = new Uint8Array(all.length * 8);
  for (let i = 0; i < all.length; i++) {
    const n = all[i], at = i * 8;
    out[at] = n.code;
    out[at + 1] = (n.dst & 0xf) | ((n.src & 0xf) << 4);
    out[at + 2] = <u8>(n.off & 0xff);
    out[at + 3] = <u8>((n.off >> 8) & 0xff);
    out[at + 4] = <u8>(n.imm & 0xff);
    out[at + 5] = <u8>((n.imm >> 8) & 0xff);
    out[at + 6] = <u8>((n.imm >> 16) & 0xff);
    out[at + 7] = <u8>((n.imm >>> 24) & 0xff);
  }
  return out;
}
