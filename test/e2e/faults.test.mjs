// Fault injection: the runtime is killed (SIGKILL) at each step of create, start and delete,
// or its --root is full or read-only; afterwards `delete --force ID` must leave nothing:
// no process, cgroup, mount, fifo or state dir.
//
// The kills are placed with strace's syscall tampering (`-e inject=SYSCALL:signal=SIGKILL`,
// restricted to one path with -P where the syscall is common), so no test hook is compiled
// into the binary. Those points follow tsrun's own syscall order and are skipped for other
// runtimes; the other tests run against runc too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, RUNTIME, WORK, assertNoLeaks, bundle, fails, isRunc, isTsrun, mountinfo, newId, ok, pidAlive, processesIn, rt,
  rtAsync, setup, skipFor, sleep, state, waitFor, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

const HAVE_STRACE = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

// Every cgroup hierarchy's mount point (v1 controllers and/or the unified one).
function cgroupMountPoints() {
  return [...new Set(mountinfo().filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2').map((m) => m.mountpoint))];
}

// A bundle whose cgroupsPath is absolute and unique, so the fault points can name the exact
// cgroup directories (on any cgroup layout) and the leak check knows where to look.
const customCgroups = [];
function faultBundle(id, extra = {}) {
  const cgPath = `/tsrun-fault-${id}`;
  const b = bundle({ args: ['sleep', '1000'], config: { linux: { cgroupsPath: cgPath } }, ...extra });
  const cgroups = cgroupMountPoints().map((mp) => join(mp, cgPath));
  customCgroups.push(...cgroups);
  return { b, cgroups };
}

// After the containers are deleted (setup's hook runs first): a failed test leaves no
// cgroup under its custom path (thawed, emptied, removed).
test.after.each(() => {
  for (const c of customCgroups.splice(0)) {
    if (!existsSync(c)) continue;
    try { writeFileSync(join(c, 'freezer.state'), 'THAWED'); } catch {}
    try { for (const p of readFileSync(join(c, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(p), 'SIGKILL'); } catch {}
    for (let i = 0; i < 50 && existsSync(c); i++) { try { rmdirSync(c); } catch { spawnSync('sleep', ['0.02']); } }
  }
});

// Runs the runtime under strace with the given tampering options; returns the result plus
// every pid strace saw (the runtime and anything it cloned).
function underStrace(straceArgs, args, { timeout = 20000 } = {}) {
  const log = join(WORK, `strace-${process.hrtime.bigint()}.log`);
  const r = spawnSync('strace', ['-f', '-q', '-o', log, ...straceArgs, RUNTIME, '--root', ROOT, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout, killSignal: 'SIGKILL',
  });
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  const pids = [...new Set(text.split('\n').map((l) => Number(l.split(' ')[0])).filter((p) => p > 0))];
  return { status: r.status, signal: r.signal, stderr: r.stderr, pids, log: text };
}

// strace exits with 128+9 when its tracee died of SIGKILL.
function assertKilled(r, what) {
  // strace ends itself with the signal that ended its tracee
  assert.ok(r.signal === 'SIGKILL' || r.status === 137, `${what}: the runtime should have been killed by the injected SIGKILL ` +
    `(strace exit ${r.status}, signal ${r.signal})\n${r.stderr}\n${r.log.split('\n').slice(-15).join('\n')}`);
}

async function assertGone(pids, what) {
  await waitFor(() => pids.every((p) => !pidAlive(p)),
    { what: `${what}: every process the runtime made (${pids.join(' ')}) to be gone`, timeout: 5000 });
}

// After a killed create: the id is unusable until `delete --force`, which cleans everything.
async function forceDeleteCleans(id, b, cgroups, pids, what) {
  ok(rt(['delete', '--force', id]), `${what}: delete --force`);
  await assertGone(pids, what);
  await assertNoLeaks({ id, bundle: b, cgroups });
  const left = existsSync(ROOT) ? readdirSync(ROOT).filter((n) => n.includes(id)) : [];
  assert.equal(left, [], `${what}: nothing named after the id under the root`);
  // the id is free again
  ok(rt(['create', '--bundle', b.dir, id]), `${what}: create again with the same id`);
  ok(rt(['delete', '--force', id]), `${what}: delete it`);
  await assertNoLeaks({ id, bundle: b, cgroups });
}

// Kill points of create, in tsrun's order: [name, strace options builder].
const CREATE_POINTS = [
  ['before clone', () => ['-e', 'inject=clone3:signal=SIGKILL:when=1']],
  // the state is written (to .state.json.tmp) right after clone: killed before the rename
  ['after clone, state half-written', () => ['-e', 'inject=renameat,renameat2,rename:signal=SIGKILL:when=1']],
  // init is in the first cgroup (made, limits written) when the next is opened
  ['after the cgroups are made', (ctx) => [...ctx.cgroups.flatMap((c) => ['-P', join(c, 'cgroup.procs')]),
    '-e', 'inject=openat:signal=SIGKILL:when=1']],
];

for (const [name, opts] of CREATE_POINTS) {
  test(`SIGKILL during create (${name}); delete --force leaves nothing`, async () => {
    if (skipFor(!isTsrun, 'kill points placed on tsrun\'s own syscall order') || skipFor(!HAVE_STRACE, 'no strace')) return;
    const id = newId('fault');
    const { b, cgroups } = faultBundle(id);
    const r = underStrace(opts({ id, cgroups }), ['create', '--bundle', b.dir, id]);
    assertKilled(r, name);
    await assertGone(r.pids, name);
    // the half-made container is never reported as usable
    assert.ok(!existsSync(join(ROOT, id, 'state.json')) || state(id)?.status !== 'running', 'not running');
    fails(rt(['start', id]), `${name}: start of a half-created container`);
    await forceDeleteCleans(id, b, cgroups, r.pids, name);
  });
}

test('SIGKILL during create after the mounts (init pivoted into the rootfs); delete --force leaves nothing', async () => {
  if (skipFor(!isTsrun, 'kill point placed on tsrun\'s own syscall order') || skipFor(!HAVE_STRACE, 'no strace')) return;
  const id = newId('fault');
  const { b, cgroups } = faultBundle(id);
  // init is held (by strace) at sethostname, which comes after every mount and pivot_root;
  // the runtime is killed while it waits for init.
  const log = join(WORK, `strace-mounts-${id}.log`);
  const run = rtAsync([], { runtime: 'strace', root: false, global: ['-f', '-q', '-o', log, '-e', 'inject=sethostname:delay_enter=20s', RUNTIME, '--root', ROOT, 'create', '--bundle', b.dir, id] });
  const init = await waitFor(() => processesIn(b.dir)[0], { what: 'init to pivot into the rootfs', timeout: 10000 });
  const pids = readFileSync(log, 'utf8').split('\n').map((l) => Number(l.split(' ')[0])).filter((p) => p > 0);
  const runtimePid = pids[0];
  assert.ok(runtimePid && runtimePid !== init.pid, 'the runtime pid');
  // the container's mounts exist in init's mount namespace only
  assert.ok(mountinfo(init.pid).some((m) => m.mountpoint === '/proc'), 'init has its /proc');
  process.kill(runtimePid, 'SIGKILL');
  // strace would sit out the delay (and keep its dead tracee unreaped): end it too
  run.child.kill('SIGKILL');
  await run.done;
  await forceDeleteCleans(id, b, cgroups, [...new Set([...pids, init.pid])], 'after mounts');
});

test('init killed after its mounts (before it is ready): create fails cleanly, nothing left', async () => {
  if (skipFor(!isTsrun, 'kill point placed on tsrun\'s own syscall order') || skipFor(!HAVE_STRACE, 'no strace')) return;
  const id = newId('fault');
  const { b, cgroups } = faultBundle(id);
  const r = underStrace(['-e', 'inject=sethostname:signal=SIGKILL:when=1'], ['create', '--bundle', b.dir, id]);
  assert.is(r.status, 1, `create fails (not killed itself)\n${r.stderr}`);
  assert.is(r.stderr.trim().split('\n').length, 1, `one error line: ${r.stderr}`);
  await assertGone(r.pids, 'init killed');
  await assertNoLeaks({ id, bundle: b, cgroups });
  fails(rt(['state', id]), 'no state after a failed create');
});

test('init killed while it waits on exec.fifo: state says stopped, plain delete cleans', async () => {
  const id = newId('fifo');
  const { b, cgroups } = faultBundle(id);
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const s = state(id);
  process.kill(s.pid, 'SIGKILL');
  await waitStatus(id, 'stopped');
  fails(rt(['start', id]), 'start after init died');
  ok(rt(['delete', id]), 'delete of the stopped container');
  await assertNoLeaks({ id, bundle: b, cgroups });
});

test('SIGKILL of start at its open of exec.fifo: still created, startable, then deletable', async () => {
  if (skipFor(!isTsrun, 'kill point placed on tsrun\'s own syscall order') || skipFor(!HAVE_STRACE, 'no strace')) return;
  const id = newId('fault');
  const { b, cgroups } = faultBundle(id);
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  // openat calls relative to the state dir: state.json, then exec.fifo
  const r = underStrace(['-P', join(ROOT, id), '-e', 'inject=openat:signal=SIGKILL:when=2'], ['start', id]);
  assertKilled(r, 'start');
  assert.match(r.log, /"exec\.fifo".*\n.*killed by SIGKILL/, 'killed at the open of exec.fifo');
  assert.is(state(id)?.status, 'created', 'the container is untouched by the killed start');
  ok(rt(['start', id]), 'start again');
  assert.is(state(id)?.status, 'running');
  ok(rt(['delete', '--force', id]), 'delete --force');
  await assertNoLeaks({ id, bundle: b, cgroups });
});

test('SIGKILL of delete --force mid-way (at the first cgroup rmdir, init killed): a second delete --force finishes', async () => {
  if (skipFor(!isTsrun, 'kill point placed on tsrun\'s own syscall order') || skipFor(!HAVE_STRACE, 'no strace')) return;
  const id = newId('fault');
  const { b, cgroups } = faultBundle(id);
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  const pid = state(id).pid;
  const r = underStrace([...cgroups.flatMap((c) => ['-P', c]), '-e', 'inject=unlinkat,rmdir:signal=SIGKILL:when=1'], ['delete', '--force', id]);
  assertKilled(r, 'delete');
  assert.not.ok(pidAlive(pid), 'init was killed before the runtime died');
  assert.ok(cgroups.some((c) => existsSync(c)), 'a cgroup is still there (the kill came before its removal)');
  await forceDeleteCleans(id, b, cgroups, [pid], 'delete killed');
});

test('delete of an id never recorded: plain delete fails cleanly, --force succeeds, nothing made', async () => {
  const id = newId('never');
  const line = fails(rt(['delete', id]), 'delete of an unknown id');
  if (!skipFor(isRunc, 'runc 1.1 says "container does not exist" without the id')) assert.match(line, id);
  ok(rt(['delete', '--force', id]), 'delete --force of an unknown id');
  await assertNoLeaks({ id });
  // a root that does not exist is not created by delete
  const root = join(WORK, 'no-such-root');
  fails(rt(['delete', id], { root }), 'delete under a missing root');
  ok(rt(['delete', '--force', id], { root }), 'delete --force under a missing root');
  if (!skipFor(isRunc, 'runc 1.1 creates --root on any verb')) assert.not.ok(existsSync(root), 'delete does not create the root');
});

test('a state dir without state.json (create killed before recording): state/start/delete fail cleanly, list works, --force removes it', async () => {
  if (skipFor(!isTsrun, 'tsrun\'s state directory layout')) return;
  const id = newId('half');
  ok(rt(['list']), 'list creates nothing but works');
  mkdirSync(join(ROOT, id), { recursive: true });
  writeFileSync(join(ROOT, id, '.state.json.tmp'), '{"id":"half');
  for (const verb of [['state', id], ['start', id], ['kill', id, 'KILL'], ['delete', id]]) {
    assert.match(fails(rt(verb), verb[0]), id);
  }
  ok(rt(['list']), 'list with a half-created container');
  ok(rt(['delete', '--force', id]), 'delete --force');
  assert.not.ok(existsSync(join(ROOT, id)), 'state dir removed');
});

test('large valid input: 6000 annotations and a 60000-escape string go through create, state and delete', async () => {
  // Found by fuzzing: the JSON reader and writer appended per escape / per item, and the
  // runtime never frees, so state.json for such a config exhausted memory (exit 70).
  const annotations = {};
  for (let i = 0; i < 6000; i++) annotations[`org.example.k${i}`] = `v${i}`;
  annotations['org.example.escapes'] = 'é😀\n"\\'.repeat(12000);
  const b = bundle({ args: ['sleep', '1000'], config: { annotations } });
  const id = newId('large');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const s = state(id);
  assert.is(Object.keys(s.annotations).length, 6001);
  assert.is(s.annotations['org.example.escapes'], annotations['org.example.escapes']);
  ok(rt(['delete', '--force', id]), 'delete');
  await assertNoLeaks({ id, bundle: b });
});

test('list of 3000 containers (table and JSON)', () => {
  if (skipFor(!isTsrun, 'state dirs written in tsrun\'s own layout')) return;
  // Array<string>#join of the size-optimised build appended one part at a time: the table
  // of a few thousand containers exhausted memory (exit 70).
  const root = join(WORK, 'many');
  for (let i = 0; i < 3000; i++) {
    const id = `many-containers-${String(i).padStart(5, '0')}`;
    mkdirSync(join(root, id), { recursive: true });
    writeFileSync(join(root, id, 'state.json'), JSON.stringify({
      id, ociVersion: '1.0.2', pid: 2147483647, pidStart: 1, bundle: `/bundles/${id}`, rootfs: '/r',
      created: '2026-01-01T00:00:00Z', owner: '', newPidNs: true, cgroupDirs: [], annotations: {},
    }));
  }
  const table = ok(rt(['list'], { root }), 'list').stdout.trim().split('\n');
  assert.is(table.length, 3001);
  assert.match(table[3000], /^many-containers-02999\s+0\s+stopped\s/);
  assert.is(JSON.parse(ok(rt(['list', '--format', 'json'], { root }), 'list json').stdout).length, 3000);
  assert.is(ok(rt(['list', '-q'], { root }), 'list -q').stdout.trim().split('\n').length, 3000);
});

// A tmpfs under WORK holding the --root directory (root/); umount(root) removes it.
function tmpfsRoot(name, opts) {
  const dir = join(WORK, name);
  mkdirSync(dir, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, name, dir], { encoding: 'utf8' });
  assert.is(m.status, 0, `mount tmpfs: ${m.stderr}`);
  mkdirSync(join(dir, 'root'), { mode: 0o700 });
  return join(dir, 'root');
}
const umount = (root) => spawnSync('umount', ['-l', join(root, '..')], { stdio: 'ignore' });
const fill = (root) => spawnSync('dd', ['if=/dev/zero', `of=${join(root, '..', 'filler')}`, 'bs=4k'], { stdio: 'ignore' });

test('disk full under --root: create fails with one clear line, no half-written state, nothing left', async () => {
  const root = tmpfsRoot('fullroot', 'size=64k,mode=700');
  try {
    fill(root); // nothing more can be written
    const id = newId('full', { root });
    const { b, cgroups } = faultBundle(id);
    const line = fails(rt(['create', '--bundle', b.dir, id], { root }), 'create on a full root');
    if (!skipFor(isRunc, 'runc 1.1 reports "unable to store init state: %!w(<nil>)"')) assert.match(line, /no space left on device/i);
    await assertNoLeaks({ id, root, bundle: b, cgroups });
    assert.equal(readdirSync(root), [], 'nothing left in the root');
  } finally {
    umount(root);
  }
});

test('read-only --root: create fails with one clear line naming the root, nothing left', async () => {
  const root = tmpfsRoot('roroot', 'size=64k,mode=700');
  try {
    spawnSync('mount', ['-o', 'remount,ro', join(root, '..')]);
    const id = newId('ro', { root });
    const { b, cgroups } = faultBundle(id);
    const line = fails(rt(['create', '--bundle', b.dir, id], { root }), 'create on a read-only root');
    assert.match(line, /read-only file system/i);
    await assertNoLeaks({ id, root, bundle: b, cgroups });
  } finally {
    umount(root);
  }
});

test('state saved on a root that fills up between create and pause: the old state.json stays intact', async () => {
  if (skipFor(!isTsrun, 'runc 1.1 writes state.json in place')) return;
  const root = tmpfsRoot('fillroot', 'size=256k,mode=700');
  const id = newId('fill', { root });
  try {
    const { b } = faultBundle(id);
    ok(rt(['create', '--bundle', b.dir, id], { root }), 'create');
    ok(rt(['start', id], { root }), 'start');
    const before = readFileSync(join(root, id, 'state.json'), 'utf8');
    fill(root);
    const line = fails(rt(['pause', id], { root }), 'pause must record its state and cannot');
    assert.match(line, /no space left on device/i);
    assert.is(readFileSync(join(root, id, 'state.json'), 'utf8'), before, 'state.json unchanged, never half-written');
    assert.is(state(id, { root })?.status, 'running', 'a pause that could not be recorded is undone (not left frozen)');
    assert.equal(readdirSync(join(root, id)).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
    JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8'));
    ok(rt(['delete', '--force', id], { root }), 'delete --force');
    await assertNoLeaks({ id, root, bundle: b });
  } finally {
    rt(['delete', '--force', id], { root });
    umount(root);
  }
});

test.run();
