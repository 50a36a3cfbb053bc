// The container lifecycle: create / start / state / kill / delete / run / list, observed from
// the host (state JSON, /proc, exit codes, files) and from the container's own output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ROOT, WORK, assertNoLeaks, bundle, cgroupDirsOf, fails, newId, ok, pidAlive, processesIn, rt, rtAsync,
  setup, sleep, state, waitFor, waitOutput, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

// A container that reports, then waits for signals: TERM makes it exit 3.
const WAITER = 'trap "echo got-term; exit 3" TERM; echo started; sleep 1000 & wait';
const RFC3339NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

test('create leaves init blocked; start runs it; kill stops it; delete removes it', async () => {
  const b = bundle({ args: ['sh', '-c', WAITER] });
  const id = newId('life');
  const created = ok(rt(['create', '--bundle', b.dir, id]), 'create');
  assert.is(created.stdout, '', 'create prints nothing on stdout');

  const s1 = state(id);
  assert.ok(s1, 'state after create');
  assert.is(s1.status, 'created');
  assert.is(s1.id, id);
  assert.ok(Number.isInteger(s1.pid) && s1.pid > 0, `pid ${s1.pid}`);
  assert.ok(pidAlive(s1.pid), 'init process exists in /proc');
  assert.ok(existsSync(join(ROOT, id)), 'state dir exists under --root');
  const cgroups = cgroupDirsOf(s1.pid);
  await sleep(50);
  assert.is(created.read(), '', 'the user process has not run before start');

  ok(rt(['start', id]), 'start');
  await waitOutput(created, /started/);
  const s2 = state(id);
  assert.is(s2.status, 'running');
  assert.is(s2.pid, s1.pid, 'same init pid after start');

  ok(rt(['kill', id]), 'kill (default TERM)');
  await waitStatus(id, 'stopped');
  await waitOutput(created, /got-term/);
  assert.not.ok(pidAlive(s1.pid), 'init is gone');

  ok(rt(['delete', id]), 'delete');
  assert.is(state(id), null, 'state fails after delete');
  fails(rt(['state', id]), 'state of a deleted container');
  await assertNoLeaks({ id, bundle: b, cgroups });
});

test('state JSON: keys and values', async () => {
  const b = bundle({ args: ['sleep', '1000'], config: { annotations: { 'org.tsrun.test': 'yes', other: 'x y' } } });
  const id = newId('state');
  ok(rt(['create', '--bundle', b.dir, id]));
  const r = ok(rt(['state', id]));
  const s = JSON.parse(r.stdout);
  for (const k of ['ociVersion', 'id', 'status', 'pid', 'bundle', 'rootfs', 'created', 'owner', 'annotations']) {
    assert.ok(k in s, `state has ${k}: ${r.stdout}`);
  }
  const allowed = new Set(['ociVersion', 'id', 'status', 'pid', 'bundle', 'rootfs', 'created', 'owner', 'annotations']);
  for (const k of Object.keys(s)) assert.ok(allowed.has(k), `unexpected state key ${k}`);
  assert.match(s.ociVersion, /^\d+\.\d+\.\d+(-[\w.-]+)?$/);
  assert.is(s.id, id);
  assert.is(s.status, 'created');
  assert.is(s.bundle, b.dir);
  assert.is(s.rootfs, b.rootfs);
  assert.match(s.created, RFC3339NANO);
  const age = Date.now() - Date.parse(s.created);
  assert.ok(age >= -2000 && age < 60000, `created ${s.created} is not now`);
  assert.type(s.owner, 'string');
  assert.equal(s.annotations, { 'org.tsrun.test': 'yes', other: 'x y' });
  // runc pretty-prints state with two-space indentation
  assert.match(r.stdout, /^\{\n  "ociVersion": /);
});

test('state: annotations may be omitted when there are none; bundle path is made absolute', () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('rel');
  ok(rt(['create', '--bundle', relative(WORK, b.dir), id], { cwd: WORK }), 'create with a relative --bundle');
  const s = state(id);
  assert.is(s.bundle, b.dir);
  assert.is(s.rootfs, b.rootfs);
  if ('annotations' in s) assert.equal(s.annotations, {});
});

test('create without --bundle uses the current directory', () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('cwd');
  ok(rt(['create', id], { cwd: b.dir }));
  assert.is(state(id).bundle, b.dir);
});

test('kill accepts signal names with or without SIG and numbers', async () => {
  const b = bundle({ args: ['sh', '-c', 'trap "echo usr1" USR1; trap "echo term; exit 0" TERM; echo started; while :; do sleep 1000 & wait; done'] });
  const id = newId('sig');
  const c = ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitOutput(c, /started/);
  let n = 0;
  for (const sig of ['USR1', 'SIGUSR1', '10', 'usr1']) {
    ok(rt(['kill', id, sig]), `kill ${sig}`);
    n++;
    await waitFor(() => (c.read().match(/usr1/g) || []).length === n, { what: `usr1 #${n}` });
  }
  const bad = fails(rt(['kill', id, 'NOSUCHSIG']), 'unknown signal');
  assert.match(bad, /signal/i);
  assert.is(state(id).status, 'running');
  ok(rt(['kill', id, 'SIGKILL']));
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id]));
});

test('kill --all signals every process of the container', async () => {
  const b = bundle({ args: ['sh', '-c', 'sleep 1000 & sleep 1000 & echo started; wait'] });
  const id = newId('all');
  const c = ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitOutput(c, /started/);
  ok(rt(['kill', '--all', id, 'KILL']));
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('a process that exits on its own makes the container stopped', async () => {
  const b = bundle({ args: ['sh', '-c', 'echo bye'] });
  const id = newId('exit');
  const c = ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitOutput(c, /bye/);
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('delete of a created (never started) container kills init without --force', async () => {
  const b = bundle({ args: ['sh', '-c', 'echo should-not-run'] });
  const id = newId('dc');
  const c = ok(rt(['create', '--bundle', b.dir, id]));
  const { pid } = state(id);
  const cgroups = cgroupDirsOf(pid);
  ok(rt(['delete', id]), 'delete of a created container');
  await waitFor(() => !pidAlive(pid), { what: 'init to die' });
  assert.is(state(id), null);
  assert.not.match(c.read(), /should-not-run/);
  await assertNoLeaks({ id, bundle: b, cgroups });
});

test('delete of a running container needs --force', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('dr');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const { pid } = state(id);
  const cgroups = cgroupDirsOf(pid);
  const line = fails(rt(['delete', id]), 'delete running without --force');
  assert.match(line, /running|not stopped|force/i);
  assert.is(state(id).status, 'running', 'still running after the refused delete');
  assert.ok(pidAlive(pid));
  ok(rt(['delete', '--force', id]), 'delete --force');
  assert.is(state(id), null);
  await waitFor(() => !pidAlive(pid), { what: 'init to die' });
  await assertNoLeaks({ id, bundle: b, cgroups });

  const id2 = newId('dr');
  ok(rt(['run', '-d', '-b', b.dir, id2]));
  ok(rt(['delete', '-f', id2]), 'delete -f');
  assert.is(state(id2), null);
});

test('run: stdout/stderr and the exit status pass through; the container is removed', async () => {
  const b = bundle({ args: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 7'] });
  const id = newId('run');
  const r = rt(['run', '--bundle', b.dir, id]);
  assert.is(r.code, 7, r.toString());
  assert.is(r.stdout, 'to-stdout\n');
  assert.match(r.stderr, /to-stderr/);
  assert.is(state(id), null, 'run removes the container');
  await assertNoLeaks({ id, bundle: b });

  const b0 = bundle({ args: ['true'] });
  const id0 = newId('run');
  assert.is(ok(rt(['run', '-b', b0.dir, id0])).stdout, '');
});

test('run: a container killed by a signal gives 128+signal', async () => {
  const b = bundle({ args: ['sh', '-c', 'echo started; sleep 1000 & wait'] });
  const id = newId('runsig');
  const p = rtAsync(['run', '--bundle', b.dir, id]);
  await waitFor(() => /started/.test(p.read()), { what: 'container start' });
  ok(rt(['kill', id, 'KILL']));
  const r = await p.done;
  assert.is(r.code, 137, r.toString());
  await waitFor(() => state(id) === null, { what: 'removal after run' });
  await assertNoLeaks({ id, bundle: b });
});

test('run forwards signals it receives to the container', async () => {
  const b = bundle({ args: ['sh', '-c', WAITER] });
  const id = newId('fwd');
  const p = rtAsync(['run', '--bundle', b.dir, id]);
  await waitFor(() => /started/.test(p.read()), { what: 'container start' });
  p.child.kill('SIGTERM');
  const r = await p.done;
  assert.match(r.stdout, /got-term/, r.toString());
  assert.is(r.code, 3, r.toString());
  await assertNoLeaks({ id, bundle: b });
});

test('run --detach returns while the container runs; output goes to the inherited stdout', async () => {
  const b = bundle({ args: ['sh', '-c', 'echo detached-hello; sleep 1000'] });
  const id = newId('det');
  const t0 = Date.now();
  const r = ok(rt(['run', '--detach', '--bundle', b.dir, id], { timeout: 10000 }));
  assert.ok(Date.now() - t0 < 10000);
  assert.is(state(id).status, 'running');
  await waitOutput(r, /detached-hello/);
  ok(rt(['kill', id, 'KILL']));
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('--pid-file gets the init pid (create and run -d)', () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('pidf');
  const pf = join(WORK, `${id}.pid`);
  ok(rt(['create', '--pid-file', pf, '--bundle', b.dir, id]));
  const text = readFileSync(pf, 'utf8');
  assert.match(text, /^\d+\n?$/);
  assert.is(Number(text), state(id).pid);

  const id2 = newId('pidf');
  ok(rt(['run', '-d', '--pid-file', `${id2}.pid`, '--bundle', b.dir, id2], { cwd: WORK }), 'relative --pid-file');
  assert.is(Number(readFileSync(join(WORK, `${id2}.pid`), 'utf8')), state(id2).pid);
});

test('list: table, --format json, --quiet', () => {
  const root = join(WORK, 'listroot');
  const r0 = ok(rt(['list'], { root }), 'list on an empty/missing root');
  assert.match(r0.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\s*$/);
  const j0 = ok(rt(['list', '--format', 'json'], { root })).stdout.trim();
  assert.ok(j0 === 'null' || j0 === '[]', `empty json list: ${j0}`);
  assert.is(ok(rt(['list', '-q'], { root })).stdout, '');

  const b = bundle({ args: ['sleep', '1000'] });
  const ids = [newId('la', { root }), newId('lb', { root })];
  for (const id of ids) ok(rt(['create', '--bundle', b.dir, id], { root }));
  ok(rt(['start', ids[1]], { root }));

  const table = ok(rt(['list'], { root })).stdout.trimEnd().split('\n');
  assert.match(table[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  assert.is(table.length, 3, table.join('\n'));
  for (const [i, id] of ids.entries()) {
    const row = table.find((l) => l.split(/\s+/)[0] === id);
    assert.ok(row, `row for ${id}`);
    const cols = row.split(/\s+/);
    const s = state(id, { root });
    assert.is(Number(cols[1]), s.pid);
    assert.is(cols[2], i === 0 ? 'created' : 'running');
    assert.is(cols[3], b.dir);
    assert.is(cols[4], s.created);
    assert.is(cols[5], 'root');
  }

  const list = JSON.parse(ok(rt(['list', '--format', 'json'], { root })).stdout);
  assert.ok(Array.isArray(list));
  assert.equal(list.map((c) => c.id).sort(), [...ids].sort());
  for (const c of list) {
    const s = state(c.id, { root });
    for (const k of ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']) assert.ok(k in c, `list json has ${k}`);
    assert.is(c.pid, s.pid);
    assert.is(c.status, s.status);
    assert.is(c.bundle, b.dir);
    assert.is(c.owner, 'root');
  }

  assert.equal(ok(rt(['list', '--quiet'], { root })).stdout.split('\n').filter(Boolean).sort(), [...ids].sort());
  assert.equal(ok(rt(['list', '-q'], { root })).stdout.split('\n').filter(Boolean).sort(), [...ids].sort());
  assert.equal(JSON.parse(ok(rt(['list', '-f', 'json'], { root })).stdout).length, 2);
});

test('--root is created when missing', () => {
  const root = join(WORK, 'newroot', 'a', 'b');
  const b = bundle({ args: ['true'] });
  const id = newId('nr', { root });
  assert.is(ok(rt(['run', '--bundle', b.dir, id], { root })).code, 0);
  assert.ok(existsSync(root));
});

test('the same bundle can run two containers at once', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const a = newId('two');
  const c = newId('two');
  ok(rt(['run', '-d', '--bundle', b.dir, a]));
  ok(rt(['run', '-d', '--bundle', b.dir, c]));
  assert.is.not(state(a).pid, state(c).pid);
  ok(rt(['delete', '--force', a]));
  assert.is(state(c).status, 'running', 'deleting one leaves the other');
  ok(rt(['delete', '--force', c]));
  await assertNoLeaks({ id: a, bundle: b });
  await assertNoLeaks({ id: c, bundle: b });
});

test('state of a stopped container', async () => {
  const b = bundle({ args: ['true'] });
  const id = newId('stp');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  const s = await waitStatus(id, 'stopped');
  assert.is(s.id, id);
  // runc reports pid 0 for a stopped container; a stale pid must at least not be alive
  assert.ok(s.pid === 0 || !pidAlive(s.pid), `pid ${s.pid}`);
  const line = fails(rt(['start', id]), 'start of a stopped container');
  assert.match(line, /stopped|not created|cannot start/i);
  fails(rt(['kill', id, 'TERM']), 'kill of a stopped container');
  ok(rt(['delete', id]));
});

test('verbs refuse wrong states: double start', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('dbl');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  const line = fails(rt(['start', id]), 'second start');
  assert.match(line, /running|not created|cannot start/i);
  assert.is(state(id).status, 'running');
});

test('concurrent creates of one id: exactly one wins, the state stays valid', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('race');
  const runs = Array.from({ length: 6 }, () => rtAsync(['create', '--bundle', b.dir, id]));
  const results = await Promise.all(runs.map((p) => p.done));
  const winners = results.filter((r) => r.code === 0);
  assert.is(winners.length, 1, results.map(String).join('\n'));
  for (const r of results.filter((x) => x.code !== 0)) {
    assert.ok(r.signal == null && r.stderr.trim().length > 0, `a clean refusal: ${r}`);
  }
  const s = state(id);
  assert.is(s.status, 'created');
  assert.ok(pidAlive(s.pid));
  // exactly one init process was left running
  await waitFor(() => processesIn(b.dir).length === 1, { what: `one process in the bundle: ${JSON.stringify(processesIn(b.dir))}` });
});

test('concurrent kill, state and delete --force on one container', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('race2');
  ok(rt(['run', '-d', '--bundle', b.dir, id]));
  const ops = [['kill', id, 'KILL'], ['state', id], ['delete', '--force', id], ['state', id], ['delete', '--force', id], ['kill', id]];
  const results = await Promise.all(ops.map((a) => rtAsync(a).done));
  for (const r of results) assert.ok(r.signal == null && r.code != null, `no crash: ${r}`);
  for (const r of results.filter((x) => x.argv.includes('state') && x.code === 0)) JSON.parse(r.stdout);
  await waitFor(() => state(id) === null, { what: 'removal' });
  await assertNoLeaks({ id, bundle: b });
});

test.run();
