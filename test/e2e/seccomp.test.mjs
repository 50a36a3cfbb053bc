// linux.seccomp in real containers: what the process sees (errno, SIGSYS, the trap, the
// agent's answers), every action and operator with 64-bit values, both ABIs' arch checks
// that this kernel can present, exec'd processes, a Docker-sized profile, and bad input.
// The helper `sysc` (test/fixtures/sysc.c) makes one raw syscall with chosen arguments;
// harmless syscalls (sched_get_priority_max & co.) ignore most arguments, but the filter sees them all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO, WORK, assertNoLeaks, bundle, fails, isRunc, isTsrun, newId, ok, rt, rtAsync, runSh, setup, skipFor, sleep, state,
  waitFor, waitOutput, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

function build(name, extra = []) {
  const out = join(WORK, name);
  const cc = spawnSync('musl-gcc', ['-static', '-Os', ...extra, '-o', out, join(REPO, `test/fixtures/${name}.c`)], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`building ${name}: ${cc.stderr}`);
  return out;
}
const SYSC = build('sysc', ['-pthread']);
const AGENT = build('seccompagent');
const PTRACER = build('ptracer');

// x86_64 syscall numbers from the generated table (the same source tsrun compiles from).
const TABLE = readFileSync(join(REPO, 'src/seccomp/table.ts'), 'utf8');
const column = (fn) => JSON.parse('[' + TABLE.split(`export function ${fn}()`)[1].split("= [")[1].split('];')[0].replace(/,\s*$/, '') + ']');
const NAMES = column('syscallNames');
const NR64 = column('nrX86_64');
const NR = Object.fromEntries(NAMES.map((n, i) => [n, NR64[i]]).filter(([, v]) => v >= 0));

const SIGSYS_STATUS = 128 + 31;
// Syscalls busybox sh never makes itself (it calls getppid, getpgrp... at start-up), whose
// arguments are plain numbers; each probe's own errno never collides with a rule's (1xx).
const QUIET = ['sched_get_priority_max', 'sched_get_priority_min', 'getpriority', 'ioprio_get', 'sched_getscheduler',
  'sched_rr_get_interval', 'getitimer'];
const Q = NR[QUIET[0]];

// A bundle running `script` with linux.seccomp = sc and sysc at /bin/sysc.
function scBundle(sc, script, opts = {}) {
  const b = bundle({
    args: ['sh', '-c', script],
    mutate: (c) => { c.linux.seccomp = sc; if (opts.mutate) opts.mutate(c); },
  });
  copyFileSync(SYSC, join(b.rootfs, 'bin/sysc'));
  chmodSync(join(b.rootfs, 'bin/sysc'), 0o755);
  return b;
}

function runSc(sc, script, opts = {}) {
  const b = scBundle(sc, script, opts);
  const id = newId(opts.tag || 'sc');
  const r = rt(['run', '--bundle', b.dir, id], opts.run || {});
  r.id = id;
  r.bundle = b;
  return r;
}

const allow = (syscalls, extra = {}) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls, ...extra });

test('SCMP_ACT_ERRNO: the process sees the chosen errno (mkdir fails, the rest works); the runtime is not filtered', async () => {
  const b = scBundle(allow([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 33 }]),
    'mkdir /x; echo "rc=$?"; [ -d /x ] && echo exists; sysc ' + NR.mkdir + ' /x 0755; echo hi > /tmp/f && cat /tmp/f; ' +
    "grep -E '^Seccomp:' /proc/self/status; sleep 30");
  const id = newId('errno');
  const run = rtAsync(['run', '--bundle', b.dir, id]);
  try {
    const out = await waitOutput(run, /Seccomp:/);
    assert.match(run.read(), /^rc=1\nerr 33\nhi\nSeccomp:\s+2\n$/, out);
    // The runtime process that waits for the container (`run`: init's parent on the host) runs
    // without the filter: it is loaded by the container's init only.
    const initPid = state(id).pid;
    const parent = Number(readFileSync(`/proc/${initPid}/status`, 'utf8').match(/^PPid:\s+(\d+)/m)[1]);
    assert.is(parent, run.child.pid, 'init is a child of the run process');
    assert.match(readFileSync(`/proc/${parent}/status`, 'utf8'), /^Seccomp:\s+0$/m, 'the runtime itself is not filtered');
  } finally {
    rt(['kill', id, 'KILL']);
  }
  const r = await run.done;
  assert.match(r.stderr, /mkdir: can't create directory '\/x': Numerical argument out of domain/, r.stderr);
  await assertNoLeaks({ id, bundle: b });
});

test('SCMP_ACT_ERRNO without errnoRet is EPERM; the filter is in place (Seccomp: 2, one filter)', () => {
  const r = runSc(allow([{ names: [QUIET[0]], action: 'SCMP_ACT_ERRNO' }]), `sysc ${Q}; grep -E '^Seccomp' /proc/self/status`);
  ok(r);
  assert.match(r.stdout, /^err 1\nSeccomp:\s+2\nSeccomp_filters:\s+1\n$/, r.stdout);
});

test('SCMP_ACT_KILL, KILL_PROCESS: SIGSYS, exit status 159; KILL_THREAD kills only the thread', () => {
  for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD']) {
    const r = runSc(allow([{ names: [QUIET[0]], action }]), `echo before; exec sysc ${Q}`);
    assert.is(r.code, SIGSYS_STATUS, `${action}: ${r}`);
    assert.is(r.stdout, 'before\n', action);
  }
  // In a second thread: KILL and KILL_THREAD take that thread, KILL_PROCESS all of them.
  const t = runSc(allow([{ names: [QUIET[0]], action: 'SCMP_ACT_KILL_THREAD' }]), `exec sysc -thread ${Q}`);
  ok(t);
  assert.is(t.stdout, 'alive\n');
  const k = runSc(allow([{ names: [QUIET[0]], action: 'SCMP_ACT_KILL' }]), `exec sysc -thread ${Q}`);
  ok(k);
  assert.is(k.stdout, 'alive\n');
  const p = runSc(allow([{ names: [QUIET[0]], action: 'SCMP_ACT_KILL_PROCESS' }]), `exec sysc -thread ${Q}`);
  assert.is(p.code, SIGSYS_STATUS, `${p}`);
  assert.is(p.stdout, '');
});

test('SCMP_ACT_TRAP: a SIGSYS the process can catch, naming the syscall; uncaught: 159', () => {
  const r = runSc(allow([{ names: [QUIET[0]], action: 'SCMP_ACT_TRAP' }]), `sysc -trap ${Q}; sysc ${Q}`);
  assert.is(r.code, SIGSYS_STATUS, `${r}`);
  assert.is(r.stdout, `sigsys ${Q}\n`);
});

test('SCMP_ACT_LOG and SCMP_ACT_ALLOW let the call through; SCMP_ACT_TRACE without a tracer is ENOSYS', () => {
  const r = runSc({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    syscalls: [
      { names: [QUIET[0]], action: 'SCMP_ACT_LOG' },
      { names: [QUIET[1]], action: 'SCMP_ACT_TRACE', errnoRet: 5 },
      { names: [QUIET[2]], action: 'SCMP_ACT_ERRNO' }, // = the default: dropped, as runc
      { names: Object.keys(NR).filter((n) => !QUIET.slice(0, 3).includes(n)), action: 'SCMP_ACT_ALLOW' },
    ],
  }, `sysc ${Q}; sysc ${NR[QUIET[1]]}; sysc ${NR[QUIET[2]]}; sysc ${NR.getgid}`);
  ok(r);
  assert.is(r.stdout, 'ok 0\nerr 38\nerr 1\nok 0\n');
});

// The kernel's seccomp log: audit records (type=1326) that the kernel prints (`audit: ...`)
// when no audit daemon takes them. Readable here with dmesg as root; printk is rate-limited
// host-wide, so a line may be dropped: the container is run again (a fresh comm each time).
const ACTIONS_LOGGED = existsSync('/proc/sys/kernel/seccomp/actions_logged') ? readFileSync('/proc/sys/kernel/seccomp/actions_logged', 'utf8') : '';
const kernelLog = () => { const r = spawnSync('dmesg', [], { encoding: 'utf8', maxBuffer: 64 << 20 }); return r.status === 0 ? r.stdout : null; };
let commSeq = 0;
// Runs `sysc NR` as a binary named uniquely (the comm of the audit record) under `sc`;
// returns the audit line for that comm, or null when none came.
async function auditLineFor(sc, nr, { extraComm } = {}) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const comm = `lg${process.pid.toString(36)}x${commSeq++}`;
    const other = extraComm ? `lg${process.pid.toString(36)}y${commSeq++}` : null;
    const b = scBundle(sc, `${other ? `${other} ${extraComm}; ` : ''}${comm} ${nr}`);
    copyFileSync(SYSC, join(b.rootfs, 'bin', comm));
    chmodSync(join(b.rootfs, 'bin', comm), 0o755);
    if (other) { copyFileSync(SYSC, join(b.rootfs, 'bin', other)); chmodSync(join(b.rootfs, 'bin', other), 0o755); }
    const id = newId('log');
    const r = ok(rt(['run', '--bundle', b.dir, id]));
    const find = (c) => (kernelLog() || '').split('\n').find((l) => l.includes('type=1326') && l.includes(`comm="${c}"`)) || null;
    let line = null;
    for (let k = 0; k < 20 && !(line = find(comm)); k++) await sleep(50);
    if (line) return { line, out: r.stdout, otherLine: other ? find(other) : null };
    await sleep(2500); // past printk's rate-limit window (5 s, shared by the whole host) before trying again
  }
  return null;
}
const canSeeLog = (action) => {
  if (!ACTIONS_LOGGED.split(/\s+/).includes(action)) return `the kernel does not log "${action}" (kernel.seccomp.actions_logged: ${ACTIONS_LOGGED.trim() || 'absent'})`;
  if (kernelLog() === null) return 'the kernel log is not readable (dmesg)';
  return null;
};

test('SCMP_ACT_LOG is logged by the kernel (audit type=1326, the syscall, code 0x7ffc0000); ERRNO without SECCOMP_FILTER_FLAG_LOG is not', async () => {
  const why = canSeeLog('log') || canSeeLog('errno');
  if (skipFor(why != null, why)) return;
  // The ERRNO call runs first: when the LOG call's line is there, its own would be before it.
  const sc = allow([{ names: [QUIET[0]], action: 'SCMP_ACT_LOG' }, { names: [QUIET[1]], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }]);
  const got = await auditLineFor(sc, Q, { extraComm: String(NR[QUIET[1]]) });
  assert.ok(got, 'an audit line for the SCMP_ACT_LOG call');
  assert.match(got.out, /^err 42\nok \d+\n$/, got.out);
  assert.match(got.line, new RegExp(`syscall=${Q} .*code=0x7ffc0000`), got.line);
  assert.is(got.otherLine, null, 'no line for the ERRNO call without SECCOMP_FILTER_FLAG_LOG');
});

test('SECCOMP_FILTER_FLAG_LOG: ERRNO actions are logged too (code 0x50000: the action, without its data)', async () => {
  if (skipFor(isRunc, 'runc 1.1.5 refuses linux.seccomp.flags')) return;
  const why = canSeeLog('errno');
  if (skipFor(why != null, why)) return;
  const sc = allow([{ names: [QUIET[1]], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }], { flags: ['SECCOMP_FILTER_FLAG_LOG'] });
  const got = await auditLineFor(sc, NR[QUIET[1]]);
  assert.ok(got, 'an audit line for the ERRNO call');
  assert.is(got.out, 'err 42\n');
  assert.match(got.line, new RegExp(`syscall=${NR[QUIET[1]]} .*code=0x50000$`), got.line);
});

test('SCMP_ACT_TRACE: a tracer in the container gets the seccomp stop with errnoRet as its event message', () => {
  const sc = allow([{ names: [QUIET[1]], action: 'SCMP_ACT_TRACE', errnoRet: 1234 }]);
  const b = scBundle(sc, `ptracer ${NR[QUIET[1]]}; sysc ${NR[QUIET[1]]}`);
  copyFileSync(PTRACER, join(b.rootfs, 'bin/ptracer'));
  chmodSync(join(b.rootfs, 'bin/ptracer'), 0o755);
  const r = ok(rt(['run', '--bundle', b.dir, newId('trace')]));
  // traced: the event message, then the call goes on (the tracer changes nothing); untraced: ENOSYS
  assert.match(r.stdout, /^seccomp-event 1234\nok \d+\nerr 38\n$/, r.stdout);
});

// Reference semantics of the operators on unsigned 64-bit values.
const OPS = {
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_MASKED_EQ: (a, v, v2) => (a & v) === v2,
};

test('every operator on 64-bit arguments: both 32-bit halves decide', () => {
  const V = 0x1_0000_0005n;
  const rules = Object.keys(OPS).map((op, i) => ({
    names: [QUIET[i]], action: 'SCMP_ACT_ERRNO', errnoRet: 100 + i,
    args: [{ index: i % 6, value: op === 'SCMP_CMP_MASKED_EQ' ? 0xff00_0000_00ffn : V, valueTwo: op === 'SCMP_CMP_MASKED_EQ' ? 0x100_0000_0005n : 0n, op }],
  }));
  // Values around V in both halves, and where only one half differs.
  const probes = [0n, 5n, 4n, 6n, 0x1_0000_0004n, V, 0x1_0000_0006n, 0x2_0000_0000n, 0x2_0000_0005n, 0xffff_ffffn,
    0xffff_ffff_ffff_ffffn, 0x100_0000_0005n, 0x1100_0000_0005n, 0x100_0000_1005n, 0x101_0000_0005n];
  let script = '';
  const want = [];
  Object.keys(OPS).forEach((op, i) => {
    const value = rules[i].args[0].value, value2 = rules[i].args[0].valueTwo;
    for (const p of probes) {
      const args = ['0', '0', '0', '0', '0', '0'];
      args[i % 6] = '0x' + p.toString(16);
      script += `sysc ${NR[QUIET[i]]} ${args.join(' ')}; `;
      want.push(OPS[op](p, value, value2) ? `err ${100 + i}` : 'pass');
    }
  });
  const json = JSON.stringify(allow(rules), (k, v) => (typeof v === 'bigint' ? `@${v}@` : v)).replace(/"@(\d+)@"/g, '$1');
  const b = scBundle(null, script);
  writeFileSync(b.configPath, JSON.stringify({ ...b.config, linux: { ...b.config.linux, seccomp: '@SC@' } }).replace('"@SC@"', json));
  const id = newId('ops');
  const r = ok(rt(['run', '--bundle', b.dir, id]));
  const got = r.stdout.trim().split('\n').map((l) => (/^err 1\d\d$/.test(l) ? l : 'pass'));
  assert.equal(got, want);
});

// (Entries whose conditions overlap with different actions are left out: tsrun takes the
// first in config order, libseccomp orders them by argument; a profile should not rely on it.)
test('several args of one entry must all hold (AND); several entries for one syscall: any that matches (OR)', () => {
  const sc = allow([
    { names: [QUIET[0]], action: 'SCMP_ACT_ERRNO', errnoRet: 120, args: [
      { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 2, value: 0xf0, valueTwo: 0x30, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: [QUIET[0]], action: 'SCMP_ACT_ERRNO', errnoRet: 121, args: [{ index: 1, value: 7, op: 'SCMP_CMP_EQ' }] },
    { names: [QUIET[0]], action: 'SCMP_ACT_ERRNO', errnoRet: 122, args: [{ index: 3, value: 5, op: 'SCMP_CMP_GE' }] },
    // The same argument twice in one entry: each condition on its own (runc's rule).
    { names: [QUIET[1]], action: 'SCMP_ACT_ERRNO', errnoRet: 123, args: [
      { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
  ]);
  const p = Q, g = NR[QUIET[1]];
  const r = runSc(sc, [`sysc ${p} 1 0 0x35`, `sysc ${p} 1 0 0x45`, `sysc ${p} 2 0 0x35`, `sysc ${p} 1 2 0x3f`,
    `sysc ${p} 0 7`, `sysc ${p} 0 0 0 6`, `sysc ${p} 0 0 0 4`, `sysc ${g} 1`, `sysc ${g} 2`, `sysc ${g} 3`].join('; '));
  ok(r);
  const got = r.stdout.trim().split('\n').map((l) => (/^err 12\d$/.test(l) ? l : 'pass'));
  assert.equal(got, ['err 120', 'pass', 'pass', 'err 120', 'err 121', 'err 122', 'pass', 'err 123', 'err 123', 'pass']);
});

test('defaultAction ERRNO with defaultErrnoRet; unknown syscall names are ignored; newer syscalls get ENOSYS', () => {
  const names = Object.keys(NR).filter((n) => !['getppid', 'sethostname'].includes(n));
  const profile = (extra) => ({
    defaultAction: 'SCMP_ACT_ERRNO', ...extra,
    syscalls: [{ names: [...names, 'no_such_syscall', 'socketcall'], action: 'SCMP_ACT_ALLOW' }],
  });
  const r = runSc(profile({ defaultErrnoRet: 99 }), `sysc ${NR.getppid}; sysc ${NR.getpgrp}`);
  ok(r);
  assert.is(r.stdout.replace(/ok \d+/g, 'ok'), 'err 99\nok\n');
  // Above every syscall the profile names: ENOSYS (runc's stub, so that a newer program can
  // fall back), not the default action; below: the default (EPERM).
  if (skipFor(isRunc, 'runc 1.1.5 here emits its ENOSYS stub without any arch section (a no-op); runc 1.2+ does it')) return;
  const top = Math.max(...Object.values(NR));
  const s = runSc(profile({}), `sysc ${NR.getppid}; sysc ${top + 1}; sysc ${top + 30}`);
  ok(s);
  assert.is(s.stdout, 'err 1\nerr 38\nerr 38\n');
});

test('syscalls added after Linux 6.1 (fchmodat2, mseal) are filtered by name; unnamed ones reach the kernel', () => {
  // The kernel's numbers (syscall_64.tbl), written out: fchmodat2 452, mseal 462, statmount 457.
  // Unfiltered, fchmodat2 and statmount with NULL pointers are EFAULT and mseal of nothing is 0.
  const sc = allow([
    { names: ['fchmodat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 101 },
    { names: ['mseal'], action: 'SCMP_ACT_ERRNO', errnoRet: 102 },
  ]);
  const r = runSc(sc, 'sysc 452 -100 0 0 0; sysc 462 0 0 0; sysc 457 0 0 0 0');
  ok(r);
  if (isRunc) {
    // runc 1.1.5 links Debian's libseccomp 2.5.4, which knows fchmodat2 (a backport) but not
    // mseal: runc ignores the name it does not know.
    assert.is(r.stdout, 'err 101\nok 0\nerr 14\n');
    return;
  }
  assert.is(r.stdout, 'err 101\nerr 102\nerr 14\n');
});

test('architectures: x32 numbers are killed unless SCMP_ARCH_X32 is listed; then its rules apply', () => {
  const X32 = 0x40000000;
  const k = runSc(allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 }]), `sysc ${NR.getppid}; exec sysc ${X32 + NR.getppid}`);
  assert.is(k.code, SIGSYS_STATUS, `${k}`);
  assert.is(k.stdout, 'err 3\n');
  const x = runSc(allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 }], {
    // (libseccomp, hence runc, refuses big-endian archs next to x86_64 with EDOM; tsrun takes
    // any listed arch, the foreign ones simply never match.)
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  }), `sysc ${X32 + NR.getppid}; sysc ${X32 + NR.getpgrp}`);
  ok(x);
  // The kernel here has no x32 ABI: what the filter lets through ends in ENOSYS.
  assert.is(x.stdout, 'err 3\nerr 38\n');
});

test('exec: processes added to the container are filtered too (config process and --process)', async () => {
  const b = scBundle(allow([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 33 }]), 'sleep 30');
  const id = newId('exec');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitStatus(id, 'running');
  const e = rt(['exec', id, 'sysc', String(NR.mkdir), '/x', '0755']);
  ok(e);
  assert.is(e.stdout, 'err 33\n');
  const pj = join(WORK, 'process.json');
  writeFileSync(pj, JSON.stringify({ ...b.config.process, args: ['sysc', String(NR.mkdir), '/y', '0755'], noNewPrivileges: false }));
  const e2 = ok(rt(['exec', '--process', pj, id]));
  assert.is(e2.stdout, 'err 33\n');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('noNewPrivileges false with a non-root user: the filter is loaded while init can still do it', () => {
  const r = runSc(allow([{ names: [QUIET[0]], action: 'SCMP_ACT_ERRNO', errnoRet: 9 }]), `id -u; sysc ${Q}`,
    { mutate: (c) => { c.process.noNewPrivileges = false; c.process.user = { uid: 1000, gid: 1000 }; } });
  ok(r);
  assert.is(r.stdout, '1000\nerr 9\n');
});

// A profile the size of Docker's default one (written here from the syscall table, not
// copied): everything but a deny list allowed, personality and clone allowed by argument.
function dockerLike() {
  const deny = new Set(['acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'clone', 'clone3', 'create_module',
    'delete_module', 'finit_module', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'get_kernel_syms', 'get_mempolicy',
    'init_module', 'ioperm', 'iopl', 'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mbind',
    'mount', 'mount_setattr', 'move_mount', 'move_pages', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at',
    'open_tree', 'perf_event_open', 'personality', 'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace',
    'query_module', 'quotactl', 'reboot', 'request_key', 'set_mempolicy', 'setdomainname', 'sethostname', 'setns',
    'settimeofday', 'swapoff', 'swapon', 'syslog', 'umount2', 'unshare', 'uselib', 'userfaultfd', 'ustat', 'vhangup',
    '_sysctl', 'sysfs', 'afs_syscall', 'tuxcall', 'security', 'vserver', 'putpmsg', 'getpmsg', 'quotactl_fd']);
  const names = Object.keys(NR).filter((n) => !deny.has(n));
  const NEW_NS = 0x7E020000; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
  return {
    names: names.length,
    sc: {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names, action: 'SCMP_ACT_ALLOW' },
        ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] })),
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: NEW_NS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    },
  };
}

test('a Docker-sized profile (~300 names, argument rules): busybox works, denied calls fail with EPERM', async () => {
  const { names, sc } = dockerLike();
  assert.ok(names > 290, `${names} names`);
  const script = [
    'mkdir -p /tmp/d && echo hello > /tmp/d/f && cat /tmp/d/f | tr a-z A-Z', 'ls /tmp/d', '(echo sub; true) | wc -l',
    'sleep 0.01 & wait', 'echo $(( 6 * 7 ))',
    'unshare -u true 2>/dev/null; echo "unshare rc=$?"', 'hostname other 2>/dev/null; echo "hostname rc=$?"',
    `sysc ${NR.personality} 0xffffffff`, `sysc ${NR.personality} 4`,
    `sysc ${NR.clone} 0x04000011`, // CLONE_NEWUTS|SIGCHLD: refused by the MASKED_EQ rule
    `sysc ${NR.clone3}`,
  ].join('; ');
  const r = runSc(sc, script, { tag: 'dkr' });
  ok(r);
  assert.is(r.stdout.replace(/^ok \d+$/m, 'ok'), 'HELLO\nf\n1\n42\nunshare rc=1\nhostname rc=1\nok\nerr 1\nerr 1\nerr 38\n');
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

test('SCMP_ACT_NOTIFY: the agent gets the process state and the listener, and its answers are what the container sees', async () => {
  const dir = join(WORK, `agent-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'agent.sock');
  const agent = spawn(AGENT, [sock, dir], { stdio: 'ignore' });
  try {
    await waitFor(() => existsSync(sock), { what: 'the agent socket' });
    const sc = allow([{ names: ['getpgid', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
      { listenerPath: sock, listenerMetadata: 'tsrun-test-metadata' });
    // Every flag at once (TSYNC with a listener needs TSYNC_ESRCH); runc 1.1.5 refuses any
    // flag ("seccomp flags are not yet supported by runc").
    if (!skipFor(isRunc, 'runc 1.1.5 refuses linux.seccomp.flags')) {
      sc.flags = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
        'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
    }
    // getpgid: the agent answers 4242; mkdir: EPROTO (71); getppid is not notified.
    const script = `sysc ${NR.getpgid} 0; mkdir /n 2>/dev/null; echo "rc=$?"; [ -d /n ] || echo absent; sysc ${NR.getppid}; echo done; sleep 30`;
    const b = scBundle(sc, script, { mutate: (c) => { c.annotations = { 'org.example/a': 'b' }; } });
    const id = newId('ntf');
    const created = ok(rt(['create', '--bundle', b.dir, id]));
    const initPid = state(id).pid;
    ok(rt(['start', id]));
    assert.is(await waitOutput(created, /done/), 'ok 4242\nrc=1\nabsent\nok 1\ndone\n');
    const s0 = JSON.parse(readFileSync(join(dir, 'state-0.json'), 'utf8'));
    assert.equal(s0.fds, ['seccompFd']);
    assert.is(s0.metadata, 'tsrun-test-metadata');
    assert.is(s0.pid, initPid);
    assert.is(s0.state.id, id);
    assert.is(s0.state.pid, initPid);
    assert.is(s0.state.status, 'creating');
    assert.is(s0.state.bundle, b.dir);
    assert.type(s0.ociVersion, 'string');
    assert.match(readFileSync(join(dir, 'log'), 'utf8'), new RegExp(`nr=${NR.getpgid}\\n(.*\\n)*nr=(${NR.mkdir}|${NR.mkdirat})`));
    if (!skipFor(isRunc, 'runc 1.1.5 exec hangs when the container notifies an agent')) {
      // exec'd processes bring their own listener, one connection each
      const e = ok(rt(['exec', id, 'sysc', String(NR.mkdir), '/n', '0755']));
      assert.is(e.stdout, 'err 71\n');
      const s1 = JSON.parse(readFileSync(join(dir, 'state-1.json'), 'utf8'));
      assert.is(s1.state.id, id);
      assert.is(s1.state.status, 'running');
      assert.is.not(s1.pid, initPid);
    }
    ok(rt(['delete', '--force', id]));
    await assertNoLeaks({ id, bundle: b });
  } finally {
    agent.kill('SIGKILL');
  }
});

// The agent answers sched_get_priority_max only after sending SIGUSR1 to the caller (whose
// handler has no SA_RESTART) and seeing the notification still valid: without the flag the
// signal interrupts the waiting call (EINTR, the agent finds the notification gone), with
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19) the call, once received, waits on.
test('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: a received notification is not interrupted by a handled signal', async () => {
  const dir = join(WORK, `agent-wk-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'agent.sock');
  const agent = spawn(AGENT, [sock, dir], { stdio: 'ignore' });
  try {
    await waitFor(() => existsSync(sock), { what: 'the agent socket' });
    // (create + start: `runc run` 1.1.5 never hands the listener to the agent)
    const runWith = async (flags) => {
      const sc = allow([{ names: [QUIET[0]], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: sock, ...(flags ? { flags } : {}) });
      const b = scBundle(sc, `sysc -sig ${Q}; echo done`);
      const id = newId('wkr');
      const created = ok(rt(['create', '--bundle', b.dir, id]));
      ok(rt(['start', id]));
      const out = await waitOutput(created, /done/);
      ok(rt(['delete', '--force', id]));
      await assertNoLeaks({ id, bundle: b });
      return out;
    };
    assert.is(await runWith(null), 'sigusr1\nerr 4\ndone\n', 'without the flag: interrupted');
    if (skipFor(isRunc, 'runc 1.1.5 refuses linux.seccomp.flags')) return;
    assert.is(await runWith(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']), 'sigusr1\nok 7777\ndone\n', 'with the flag: answered');
    assert.match(readFileSync(join(dir, 'log'), 'utf8'), /nr=146 interrupted\n(.*\n)*nr=146 waited\n/);
  } finally {
    agent.kill('SIGKILL');
  }
});

test('bad seccomp config: one clear line naming the field, non-zero exit, nothing left behind', async () => {
  const base = () => allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }]);
  const cases = [
    ['unknown default action', (s) => { s.defaultAction = 'SCMP_ACT_NOPE'; }, /defaultAction|SCMP_ACT_NOPE/],
    ['unknown action', (s) => { s.syscalls[0].action = 'SCMP_ACT_MAYBE'; }, /action|SCMP_ACT_MAYBE/],
    ['unknown arch', (s) => { s.architectures = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80']; }, /arch|SCMP_ARCH_Z80/i],
    ['bad operator', (s) => { s.syscalls[0].args = [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }]; }, /op|SCMP_CMP_ABOUT/],
    ['bad flag', (s) => { s.flags = ['SECCOMP_FILTER_FLAG_FAST']; }, /flag|SECCOMP_FILTER_FLAG_FAST/i],
    ['argument index 6', (s) => { s.syscalls[0].args = [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }]; }, /index|argument/i],
    ['NOTIFY as the default action', (s) => { s.defaultAction = 'SCMP_ACT_NOTIFY'; s.listenerPath = '/tmp/x.sock'; }, /NOTIFY|default/],
    ['NOTIFY on write', (s) => { s.syscalls = [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }]; s.listenerPath = '/tmp/x.sock'; }, /write/],
    ['NOTIFY without listenerPath', (s) => { s.syscalls[0].action = 'SCMP_ACT_NOTIFY'; }, /listenerPath/],
    ['listenerPath that does not exist', (s) => { s.syscalls[0].action = 'SCMP_ACT_NOTIFY'; s.listenerPath = join(WORK, 'no-agent.sock'); }, /listenerPath|no-agent|connect|no such file/i],
  ];
  const tsrunOnly = [
    // runc ignores these; runtime-spec 1.3.0 says the runtime MUST fail.
    ['errnoRet on SCMP_ACT_KILL', (s) => { s.syscalls[0].action = 'SCMP_ACT_KILL'; s.syscalls[0].errnoRet = 5; }, /errnoRet/],
    ['defaultErrnoRet with SCMP_ACT_ALLOW', (s) => { s.defaultErrnoRet = 5; }, /defaultErrnoRet/],
    ['listenerMetadata without listenerPath', (s) => { s.listenerMetadata = 'x'; }, /listenerMetadata/],
    ['names empty', (s) => { s.syscalls[0].names = []; }, /names/],
    // runc 1.1 does not know this flag at all; tsrun knows it and explains
    ['WAIT_KILLABLE_RECV without a NOTIFY rule', (s) => { s.flags = ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']; }, /WAIT_KILLABLE_RECV/],
  ];
  for (const [what, change, re] of [...cases, ...(skipFor(isRunc, 'runc 1.1 accepts errnoRet on other actions, empty names, metadata alone') ? [] : tsrunOnly)]) {
    const sc = base();
    change(sc);
    const b = scBundle(sc, 'echo should-not-run');
    const id = newId('bad');
    const r = rt(['run', '--bundle', b.dir, id]);
    const line = fails(r, what, { oneLine: !isRunc });
    assert.match(line, re, `${what}: ${line}`);
    if (isTsrun) assert.match(line, /linux\.seccomp/, `${what}: names the field: ${line}`);
    assert.not.match(r.stdout, /should-not-run/, what);
    await assertNoLeaks({ id, bundle: b });
  }
});

test('an empty linux.seccomp is no filter (as runc); flags: SPEC_ALLOW by default, exactly the listed ones otherwise', () => {
  const r = runSc({}, "grep -E '^Seccomp:' /proc/self/status");
  ok(r);
  assert.match(r.stdout, /Seccomp:\s+0/);
  if (skipFor(!isTsrun, 'the flags passed to seccomp(2) are read from tsrun --debug')) return;
  const flagsOf = (sc) => {
    const b = scBundle(sc, 'true');
    const res = ok(rt(['--debug', 'run', '--bundle', b.dir, newId('flg')]));
    return res.stderr.match(/seccomp filter of \d+ instructions .* flags (0x[0-9a-f]+)/)[1];
  };
  assert.is(flagsOf(allow([])), '0x4');
  assert.is(flagsOf(allow([], { flags: [] })), '0x0');
  assert.is(flagsOf(allow([], { flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC'] })), '0x3');
});

test('features: seccomp enabled with every action, operator, arch and flag tsrun takes', () => {
  const f = JSON.parse(ok(rt(['features'], { root: false })).stdout).linux.seccomp;
  assert.is(f.enabled, true);
  for (const a of ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
    'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP']) assert.ok(f.actions.includes(a), a);
  assert.equal([...f.operators].sort(), Object.keys(OPS).sort());
  for (const a of ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64']) assert.ok(f.archs.includes(a), a);
  if (skipFor(isRunc, 'runc 1.1 lists no flags in features')) return;
  assert.equal(f.knownFlags, ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
    'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  assert.equal(f.supportedFlags, f.knownFlags, 'kernel 6.x takes them all');
});

test.run();
