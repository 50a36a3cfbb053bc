// The seccomp BPF compiler: Seccomp (model.ts) -> a classic BPF program (struct sock_filter[]).
//
// Layout: check the audit arch (x86_64, i386 when listed), x32 numbers (bit 30) to their own
// block when listed; a foreign arch gets the bad-arch action (SCMP_ACT_KILL, as libseccomp).
// Per ABI: a binary search (jge) over intervals of syscall numbers with the same outcome
// (runs of syscalls allowed alike are one interval; runc's ENOSYS stub is the interval above
// the profile's highest number), so a syscall costs log2(intervals) comparisons instead of
// a chain of one per listed syscall. A
// syscall's rules are tried in config order; conditions on 64-bit arguments compare both
// 32-bit halves (high word first), on the 32-bit ABIs only the low word (as libseccomp).
//
// The program is emitted back to front: every jump target already exists, so each offset
// is known when the jump is written. BPF conditional offsets are 8 bits: a target more than
// 255 instructions away is reached through a `ja` (32-bit offset) placed next to the jump,
// or, for a return, through a fresh copy of that `ret` (one instruction either way).
import { Seccomp, Rule, ArgCond, Op, RET_KILL_THREAD, RET_ERRNO, ABI_X86_64, ABI_I386, ABI_X32,
  AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, X32_SYSCALL_BIT } from "./model";
import { syscallNr } from "./parse";

const LD_W_ABS: u16 = 0x20, ALU_AND_K: u16 = 0x54, JA: u16 = 0x05, JEQ: u16 = 0x15, JGT: u16 = 0x25,
  JGE: u16 = 0x35, RET_K: u16 = 0x06;
const OFF_NR: u32 = 0, OFF_ARCH: u32 = 4, OFF_ARGS: u32 = 16;
export const BPF_MAXINSNS = 4096;
const BAD_ARCH: u32 = RET_KILL_THREAD;
const ENOSYS: u32 = 38;

// Instructions in reverse order: index 0 is the program's last instruction. A label is
// such an index; a jump at index i to label t skips i - t - 1 instructions.
class Emitter {
  code: u16[] = [];
  jt: u8[] = [];
  jf: u8[] = [];
  k: u32[] = [];
  rets: Map<u32, i32> = new Map<u32, i32>();  // action -> its nearest `ret`

  get len(): i32 { return this.code.length; }

  put(code: u16, jt: i32, jf: i32, k: u32): i32 {
    this.code.push(code); this.jt.push(<u8>jt); this.jf.push(<u8>jf); this.k.push(k);
    return this.code.length - 1;
  }

  ret(action: u32): i32 {
    if (this.rets.has(action)) return this.rets.get(action);
    const l = this.put(RET_K, 0, 0, action);
    this.rets.set(action, l);
    return l;
  }

  // A label that a conditional jump emitted after `slack` more instructions can reach.
  near(target: i32, slack: i32): i32 {
    if (this.code[target] == RET_K) target = this.ret(this.k[target]);
    if (this.len + slack - target - 1 <= 255) return target;
    if (this.code[target] == RET_K) {
      const l = this.put(RET_K, 0, 0, this.k[target]);
      this.rets.set(this.k[target], l);
      return l;
    }
    return this.put(JA, 0, 0, <u32>(this.len - target - 1));
  }

  jump(op: u16, k: u32, t: i32, f: i32): i32 {
    const nt = this.near(t, 1);
    const nf = this.near(f, 0);
    const i = this.len;
    return this.put(op, i - nt - 1, i - nf - 1, k);
  }

  load(off: u32): i32 { return this.put(LD_W_ABS, 0, 0, off); }

  // Makes `target` the next instruction of whatever is emitted next (a fall-through).
  fallTo(target: i32): void {
    if (target == this.len - 1) return;
    if (this.code[target] == RET_K) this.put(RET_K, 0, 0, this.k[target]);
    else this.put(JA, 0, 0, <u32>(this.len - target - 1));
  }

  // Forward order, as the kernel takes it: struct sock_filter { u16 code; u8 jt, jf; u32 k; }.
  program(): ArrayBuffer {
    const n = this.len;
    const buf = new ArrayBuffer(n * 8);
    const p = changetype<usize>(buf);
    for (let i = 0; i < n; i++) {
      const r = n - 1 - i;
      const q = p + <usize>i * 8;
      store<u16>(q, this.code[r]);
      store<u8>(q, this.jt[r], 2);
      store<u8>(q, this.jf[r], 3);
      store<u32>(q, this.k[r], 4);
    }
    return buf;
  }
}

// One argument condition: jumps to t when it holds, else to f.
function cond(e: Emitter, c: ArgCond, wide: bool, t: i32, f: i32): i32 {
  const lo = OFF_ARGS + <u32>c.index * 8, hi = lo + 4;
  const vlo = <u32>c.value, vhi = <u32>(c.value >> 32);
  // Low word (for the 32-bit ABIs the whole test).
  let l: i32;
  switch (c.op) {
    case Op.EQ: l = e.jump(JEQ, vlo, t, f); break;
    case Op.NE: l = e.jump(JEQ, vlo, f, t); break;
    case Op.GT: l = e.jump(JGT, vlo, t, f); break;
    case Op.GE: l = e.jump(JGE, vlo, t, f); break;
    case Op.LT: l = e.jump(JGE, vlo, f, t); break;
    case Op.LE: l = e.jump(JGT, vlo, f, t); break;
    default: { // MaskedEq: (arg & value) == valueTwo
      l = e.jump(JEQ, <u32>c.valueTwo, t, f);
      l = e.put(ALU_AND_K, 0, 0, vlo);
    }
  }
  l = e.load(lo);
  if (!wide) return l;
  // High word first: it decides unless equal.
  switch (c.op) {
    case Op.EQ: e.jump(JEQ, vhi, l, f); break;
    case Op.NE: e.jump(JEQ, vhi, l, t); break;
    case Op.GT: case Op.GE: e.jump(JEQ, vhi, l, f); e.jump(JGT, vhi, t, e.len - 1); break;
    case Op.LT: case Op.LE: e.jump(JEQ, vhi, l, t); e.jump(JGT, vhi, f, e.len - 1); break;
    default: {
      e.jump(JEQ, <u32>(c.valueTwo >> 32), l, f);
      e.put(ALU_AND_K, 0, 0, vhi);
    }
  }
  return e.load(hi);
}

// The rules of one syscall, first match wins; none -> fallback.
function syscallBlock(e: Emitter, rules: Rule[], wide: bool, fallback: i32): i32 {
  // Rules after an unconditional one can never be reached.
  let last = rules.length - 1;
  for (let i = 0; i < rules.length; i++) if (rules[i].conds.length == 0) { last = i; break; }
  let next = fallback;
  for (let i = last; i >= 0; i--) {
    const r = rules[i];
    const act = e.ret(r.action);
    if (r.conds.length == 0) { next = act; continue; }
    let cur = act;
    for (let j = r.conds.length - 1; j >= 0; j--) cur = cond(e, r.conds[j], wide, cur, next);
    next = cur;
  }
  return next;
}

// Binary search over intervals: starts[i] is where interval i begins (ascending; the
// first one is where the block's numbers begin), targets[i] where its numbers go. The
// accumulator holds the syscall number.
function tree(e: Emitter, starts: u32[], targets: i32[], lo: i32, hi: i32): i32 {
  if (lo == hi) return targets[lo];
  const mid = (lo + hi + 1) >> 1;
  const right = tree(e, starts, targets, mid, hi);
  const left = tree(e, starts, targets, lo, mid - 1);
  return e.jump(JGE, starts[mid], right, left);
}

// The block of one ABI, entered with the syscall number in the accumulator. The number
// line is cut into intervals of equal outcome (a run of syscalls allowed alike is one
// interval, however many names it holds), searched in log2(intervals) comparisons.
function abiBlock(e: Emitter, s: Seccomp, abi: u32): i32 {
  const bit: u32 = abi == ABI_X32 ? X32_SYSCALL_BIT : 0;
  const wide = abi == ABI_X86_64;
  // Rules grouped by syscall number, numbers sorted.
  const byNr = new Map<u32, Rule[]>();
  const nrs: u32[] = [];
  for (let i = 0; i < s.rules.length; i++) {
    const n = syscallNr(s.rules[i].sys, abi);
    if (n < 0) continue;
    const nr = <u32>n | bit;
    if (!byNr.has(nr)) { byNr.set(nr, []); nrs.push(nr); }
    byNr.get(nr).push(s.rules[i]);
  }
  nrs.sort((a: u32, b: u32): i32 => a < b ? -1 : a > b ? 1 : 0);
  // Where each number goes: a `ret` (unconditional first rule; compared by action, since
  // copies of a ret are interchangeable) or the syscall's own block of conditions.
  const def = e.ret(s.defaultAction);
  const keys = new Array<i64>(nrs.length);   // action (>= 0) or -1 - block label
  for (let i = nrs.length - 1; i >= 0; i--) {
    const rules = byNr.get(nrs[i]);
    if (rules[0].conds.length == 0) keys[i] = <i64>rules[0].action;
    else keys[i] = -1 - <i64>syscallBlock(e, rules, wide, def);
  }
  let top: i64 = -1;
  if (s.enosysStub) {
    for (let i = 0; i < s.named.length; i++) top = max(top, <i64>syscallNr(s.named[i], abi));
    if (top > 0) top |= <i64>bit;
  }
  // Intervals: [start, next start) -> key; gaps between listed numbers take the default.
  const starts: u32[] = [bit];
  const ks: i64[] = [<i64>s.defaultAction];
  for (let i = 0; i < nrs.length; i++) {
    addInterval(starts, ks, nrs[i], keys[i]);
    addInterval(starts, ks, nrs[i] + 1, <i64>s.defaultAction);
  }
  if (top >= 0) addInterval(starts, ks, <u32>top + 1, <i64>(RET_ERRNO | ENOSYS));
  const targets = new Array<i32>(ks.length);
  for (let i = 0; i < ks.length; i++) targets[i] = ks[i] >= 0 ? e.ret(<u32>ks[i]) : <i32>(-1 - ks[i]);
  return tree(e, starts, targets, 0, starts.length - 1);
}

// Appends interval [start, ...) -> key, merging it into the last one when the key is equal
// (or replacing the last one when that one is empty).
function addInterval(starts: u32[], keys: i64[], start: u32, key: i64): void {
  const n = starts.length;
  if (starts[n - 1] == start) {
    keys[n - 1] = key;
    if (n > 1 && keys[n - 2] == key) { starts.pop(); keys.pop(); }
    return;
  }
  if (keys[n - 1] == key) return;
  starts.push(start);
  keys.push(key);
}

// The whole filter; the caller checks the length against BPF_MAXINSNS.
export function compileFilter(s: Seccomp): ArrayBuffer {
  const e = new Emitter();
  const bad = e.ret(BAD_ARCH);
  let i386 = -1, x32 = -1;
  if (s.abis & ABI_I386) {
    e.fallTo(abiBlock(e, s, ABI_I386));
    i386 = e.load(OFF_NR);
  }
  if (s.abis & ABI_X32) x32 = abiBlock(e, s, ABI_X32);
  const x64 = abiBlock(e, s, ABI_X86_64);
  e.jump(JGE, X32_SYSCALL_BIT, x32 >= 0 ? x32 : bad, x64);
  const x64Entry = e.load(OFF_NR);
  // Dispatch on the audit arch.
  let next = bad;
  if (i386 >= 0) next = e.jump(JEQ, AUDIT_ARCH_I386, i386, next);
  e.jump(JEQ, AUDIT_ARCH_X86_64, x64Entry, next);
  e.load(OFF_ARCH);
  return e.program();
}
