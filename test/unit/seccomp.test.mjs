// Unit tests of the seccomp BPF compiler (src/seccomp/bpf.ts): the compiled program runs in a
// small classic-BPF interpreter below against synthetic seccomp_data, so every ABI can be
// checked (this host cannot run i386 code: int 0x80 is not available here), every operator
// on random 64-bit values against a reference, and the program's shape: jumps in range,
// long jumps where offsets exceed 255, a short path for a Docker-sized profile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { wasm } from './wasm.mjs';

const AUDIT_X86_64 = 0xc000003e, AUDIT_I386 = 0x40000003, AUDIT_AARCH64 = 0xc00000b7, X32 = 0x40000000;
const ALLOW = 0x7fff0000, KILL_THREAD = 0, ERRNO = 0x50000;

const TABLE = readFileSync(new URL('../../src/seccomp/table.ts', import.meta.url), 'utf8');
const column = (fn) => JSON.parse('[' + TABLE.split(`export function ${fn}()`)[1].split("= [")[1].split('];')[0].replace(/,\s*$/, '') + ']');
const NAMES = column('syscallNames');
const nrs = (fn) => Object.fromEntries(NAMES.map((n, i) => [n, column(fn)[i]]).filter(([, v]) => v >= 0));
const NR64 = nrs('nrX86_64'), NR32 = nrs('nrI386'), NRX32 = nrs('nrX32');

const compile = (sc) => {
  const json = JSON.stringify(sc, (k, v) => (typeof v === 'bigint' ? `@${v}@` : v)).replace(/"@(\d+)@"/g, '$1');
  const buf = wasm.seccompCompile(json);
  assert.ok(buf.byteLength > 0, `compiles: ${wasm.seccompCheck(json)}`);
  return new DataView(buf);
};

// Runs the program; returns { ret, steps }. Checks every jump stays inside the program.
function run(prog, { nr, arch = AUDIT_X86_64, args = [] }) {
  const n = prog.byteLength / 8;
  const d = new DataView(new ArrayBuffer(64));
  d.setUint32(0, nr >>> 0, true);
  d.setUint32(4, arch >>> 0, true);
  for (let i = 0; i < 6; i++) d.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(args[i] ?? 0)), true);
  let pc = 0, A = 0, steps = 0;
  for (;;) {
    assert.ok(pc < n, `pc ${pc} past the end (${n})`);
    steps++;
    const code = prog.getUint16(pc * 8, true), jt = prog.getUint8(pc * 8 + 2), jf = prog.getUint8(pc * 8 + 3);
    const k = prog.getUint32(pc * 8 + 4, true);
    switch (code) {
      case 0x20: A = d.getUint32(k, true); pc++; break;
      case 0x54: A = (A & k) >>> 0; pc++; break;
      case 0x05: pc += 1 + k; break;
      case 0x15: pc += 1 + (A === k ? jt : jf); break;
      case 0x25: pc += 1 + (A > k ? jt : jf); break;
      case 0x35: pc += 1 + (A >= k ? jt : jf); break;
      case 0x06: return { ret: k, steps };
      default: assert.unreachable(`unknown BPF opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
}

const OPS = {
  SCMP_CMP_NE: (a, v) => a !== v, SCMP_CMP_LT: (a, v) => a < v, SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_EQ: (a, v) => a === v, SCMP_CMP_GE: (a, v) => a >= v, SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_MASKED_EQ: (a, v, v2) => (a & v) === v2,
};

let seed = 12345;
const rand32 = () => { seed = (seed * 1103515245 + 12345) >>> 0; return BigInt(seed); };
const interesting = (v) => {
  const hi = v >> 32n, lo = v & 0xffffffffn;
  const near = [hi, hi + 1n, hi - 1n, 0n, 0xffffffffn].flatMap((h) => [lo, lo + 1n, lo - 1n, 0n, 0xffffffffn].map((l) => ((h & 0xffffffffn) << 32n) | (l & 0xffffffffn)));
  return [...near, (rand32() << 32n) | rand32(), rand32()];
};

test('every operator on x86_64 compares all 64 bits; on i386 and x32 the low word (as libseccomp)', () => {
  for (const [op, ref] of Object.entries(OPS)) {
    for (let trial = 0; trial < 12; trial++) {
      const value = trial % 3 === 0 ? rand32() : (rand32() << 32n) | rand32();
      const value2 = op === 'SCMP_CMP_MASKED_EQ' ? value & ((rand32() << 32n) | rand32()) : 0n;
      const index = trial % 6;
      const sc = {
        defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 77, args: [{ index, value, valueTwo: value2, op }] }],
      };
      const prog = compile(sc);
      for (const a of interesting(value)) {
        const args = []; args[index] = a;
        const want64 = ref(a, value, value2) ? ERRNO | 77 : ALLOW;
        assert.is(run(prog, { nr: NR64.getppid, args }).ret, want64, `${op} x86_64 ${a.toString(16)} vs ${value.toString(16)}/${value2.toString(16)}`);
        const lo = (x) => x & 0xffffffffn;
        const want32 = ref(lo(a), lo(value), lo(value2)) ? ERRNO | 77 : ALLOW;
        assert.is(run(prog, { nr: NR32.getppid, arch: AUDIT_I386, args }).ret, want32, `${op} i386`);
        assert.is(run(prog, { nr: X32 + NRX32.getppid, args }).ret, want32, `${op} x32`);
      }
    }
  }
});

test('archs: a foreign arch and unlisted ABIs get SCMP_ACT_KILL; listed ABIs use their own numbers', () => {
  const sc = (archs) => ({ defaultAction: 'SCMP_ACT_ALLOW', architectures: archs, syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }] });
  const only64 = compile(sc(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_S390X']));
  assert.is(run(only64, { nr: NR64.getpid }).ret, ERRNO | 5);
  assert.is(run(only64, { nr: NR64.getppid }).ret, ALLOW);
  assert.is(run(only64, { nr: NR32.getpid, arch: AUDIT_I386 }).ret, KILL_THREAD);
  assert.is(run(only64, { nr: X32 + NRX32.getpid }).ret, KILL_THREAD);
  assert.is(run(only64, { nr: 172, arch: AUDIT_AARCH64 }).ret, KILL_THREAD, 'aarch64 (listed, but never this kernel\'s)');
  const all = compile(sc(['SCMP_ARCH_X86', 'SCMP_ARCH_X32']));
  assert.is(run(all, { nr: NR32.getpid, arch: AUDIT_I386 }).ret, ERRNO | 5, 'i386 getpid is 20');
  assert.is(run(all, { nr: NR64.getpid, arch: AUDIT_I386 }).ret, ALLOW, 'i386 nr 39 is umask... not getpid');
  assert.is(run(all, { nr: X32 + NRX32.getpid }).ret, ERRNO | 5);
  assert.is(run(all, { nr: X32 + NRX32.getppid }).ret, ALLOW);
});

test('syscalls newer than the 6.1 headers: each ABI gets the kernel table\'s number (6.18)', () => {
  // Numbers written out here, not read from the table: arch/x86/entry/syscalls/syscall_{64,32}.tbl.
  const sc = {
    defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['fchmodat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 11 },
      { names: ['mseal'], action: 'SCMP_ACT_ERRNO', errnoRet: 12 },
      { names: ['uprobe', 'file_setattr', 'map_shadow_stack'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  };
  const prog = compile(sc);
  const want = { 452: 11, 462: 12, 469: 13, 453: 13 };
  for (let nr = 440; nr < 475; nr++) {
    const w = want[nr] ? ERRNO | want[nr] : ALLOW;
    assert.is(run(prog, { nr }).ret, w, `x86_64 ${nr}`);
    assert.is(run(prog, { nr, arch: AUDIT_I386 }).ret, w, `i386 ${nr}`);
    assert.is(run(prog, { nr: X32 + nr }).ret, w, `x32 ${nr}`);
  }
  // uprobe (336) is x86_64 and x32 only; on i386 336 is a different, older syscall.
  assert.is(run(prog, { nr: 336 }).ret, ERRNO | 13);
  assert.is(run(prog, { nr: X32 + 336 }).ret, ERRNO | 13);
  assert.is(run(prog, { nr: 336, arch: AUDIT_I386 }).ret, ALLOW);
  assert.is(run(prog, { nr: 335 }).ret, ALLOW, 'uretprobe is not named');
  const t = { cachestat: 451, futex_wake: 454, futex_wait: 455, futex_requeue: 456, statmount: 457, listmount: 458,
    lsm_get_self_attr: 459, lsm_set_self_attr: 460, lsm_list_modules: 461, setxattrat: 463, getxattrat: 464,
    listxattrat: 465, removexattrat: 466, open_tree_attr: 467, file_getattr: 468, uretprobe: 335 };
  for (const [name, nr] of Object.entries(t)) {
    assert.is(NR64[name], nr, name);
    assert.is(NRX32[name], nr, `x32 ${name}`);
    assert.is(NR32[name], nr >= 451 ? nr : undefined, `i386 ${name}`);
  }
});

test('ENOSYS above the highest syscall the profile names (non-permissive default only); defaultErrnoRet', () => {
  const prog = compile({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13, syscalls: [{ names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' }] });
  assert.is(run(prog, { nr: NR64.read }).ret, ALLOW);
  assert.is(run(prog, { nr: NR64.close }).ret, ERRNO | 13);
  assert.is(run(prog, { nr: NR64.openat }).ret, ALLOW);
  assert.is(run(prog, { nr: NR64.openat + 1 }).ret, ERRNO | 38);
  const permissive = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }] });
  assert.is(run(permissive, { nr: 460 }).ret, ALLOW);
});

test('a Docker-sized profile: a binary search, not a chain (short paths), long jumps resolved', () => {
  const names = Object.keys(NR64).filter((n) => !['mount', 'unshare', 'setns', 'reboot', 'ptrace', 'bpf', 'clone', 'personality'].includes(n));
  const sc = {
    defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names, action: 'SCMP_ACT_ALLOW' },
      ...[0, 8, 0x20000, 0xffffffff].map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] })),
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };
  const prog = compile(sc);
  const n = prog.byteLength / 8;
  assert.ok(n < 500, `${n} instructions`);
  let maxSteps = 0;
  for (const [name, nr] of Object.entries(NR64)) {
    const { ret, steps } = run(prog, { nr });
    maxSteps = Math.max(maxSteps, steps);
    if (names.includes(name)) assert.is(ret, ALLOW, name);
    else if (name !== 'personality' && name !== 'clone') assert.is(ret, ERRNO | 1, name);
  }
  for (const [name, nr] of Object.entries(NR32)) {
    const { ret, steps } = run(prog, { nr, arch: AUDIT_I386 });
    maxSteps = Math.max(maxSteps, steps);
    if (names.includes(name)) assert.is(ret, ALLOW, `i386 ${name}`);
  }
  console.log(`    Docker-sized profile: ${n} instructions, at most ${maxSteps} run per syscall`);
  assert.ok(maxSteps <= 20, `at most ${maxSteps} instructions run per syscall (a chain would take hundreds)`);
  assert.is(run(prog, { nr: NR64.personality, args: [8n] }).ret, ALLOW);
  assert.is(run(prog, { nr: NR64.personality, args: [0x100000008n] }).ret, ERRNO | 1, 'high word counts');
  assert.is(run(prog, { nr: NR64.personality, args: [4n] }).ret, ERRNO | 1);
  assert.is(run(prog, { nr: NR64.clone, args: [0x11n] }).ret, ALLOW);
  assert.is(run(prog, { nr: NR64.clone, args: [0x04000011n] }).ret, ERRNO | 1);
});

test('hundreds of argument rules: every rule still reached through long jumps', () => {
  const names = Object.keys(NR64).slice(0, 300);
  const sc = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: names.map((n, i) => ({ names: [n], action: 'SCMP_ACT_ERRNO', errnoRet: 1 + (i % 200), args: [{ index: i % 6, value: BigInt(i + 1) << 33n | 7n, op: 'SCMP_CMP_EQ' }] })),
  };
  const prog = compile(sc);
  assert.ok(prog.byteLength / 8 < 4096, `${prog.byteLength / 8} instructions`);
  names.forEach((n, i) => {
    const args = []; args[i % 6] = BigInt(i + 1) << 33n | 7n;
    assert.is(run(prog, { nr: NR64[n], args }).ret, ERRNO | (1 + (i % 200)), n);
    args[i % 6] = 7n;
    assert.is(run(prog, { nr: NR64[n], args }).ret, ALLOW, `${n} low word alone`);
  });
});

test('first matching entry wins; a rule equal to the default action is dropped; unknown names ignored', () => {
  const prog = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
    { names: ['getppid', 'no_such_syscall'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
    { names: ['getppid'], action: 'SCMP_ACT_ALLOW' },
    { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 10 },
    { names: ['getpid'], action: 'SCMP_ACT_ERRNO' }, // = default
    { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
  ] });
  assert.is(run(prog, { nr: NR64.getppid, args: [1n] }).ret, ERRNO | 9);
  assert.is(run(prog, { nr: NR64.getppid, args: [2n] }).ret, ALLOW);
  assert.is(run(prog, { nr: NR64.getpid }).ret, ALLOW);
});

test('validation: clear errors with JSON paths', () => {
  const bad = (sc, re) => { const m = wasm.seccompCheck(JSON.stringify(sc)); assert.match(m, re, m); assert.match(m, /linux\.seccomp/, m); };
  bad({ defaultAction: 'SCMP_ACT_X' }, /linux\.seccomp\.defaultAction: unknown action "SCMP_ACT_X"/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }, /architectures\[0\]: unknown architecture/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['X'] }, /flags\[0\]: unknown flag "X"/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_X' }] }] }, /syscalls\[0\]\.args\[0\]\.op: unknown operator/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /args\[0\]\.index: is out of range/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_EQ' }] }] }, /args\[0\]\.value: is required/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5000 }] }, /errnoRet: is out of range/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, /syscalls\[0\]\.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE/);
  bad({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' }, /defaultAction: SCMP_ACT_NOTIFY cannot be the default/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_NOTIFY' }] }, /listenerPath: is required/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'm' }, /listenerMetadata: must not be set without listenerPath/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /flags\[0\]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\]\.names: must name at least one/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [''], action: 'SCMP_ACT_ERRNO' }] }, /names\[0\]: must not be empty/);
  assert.is(wasm.seccompCheck('{}'), 'off');
  assert.is(wasm.seccompCheck(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_RISCV64', 'SCMP_ARCH_PPC64LE'] })), 'ok');
});

test.run();
