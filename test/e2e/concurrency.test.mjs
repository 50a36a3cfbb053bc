// Concurrency: many runtime processes at once on one --root. Verbs on one id serialise on
// the state dir's lock; creates of one id race on mkdir. No run may crash, corrupt a state
// or leave anything behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, assertNoLeaks, bundle, cgroupCandidates, describe, fails, isRunc, newId, ok, rt, rtAsync, setup, skipFor,
  state, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

// Runs every async job with at most `limit` at once; resolves to their results in order.
async function pool(jobs, limit) {
  const out = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i](); }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

const run = (args, opts) => rtAsync(args, { timeout: 60000, ...opts }).done;
const notCrashed = (r, what) => {
  assert.ok(r.signal == null && r.code != null, `${what}: the runtime crashed or hung\n${describe(r)}`);
  assert.ok(!/abort|unreachable|out of bounds|RuntimeError/i.test(r.stderr), `${what}: a trap\n${describe(r)}`);
};

test('50 parallel create/start/delete of distinct ids, with list and state running alongside', async () => {
  const b = bundle({ args: ['true'] });
  const ids = Array.from({ length: 50 }, () => newId('par'));
  let listing = true;
  const lists = [];
  // readers while the store changes: every list/state call must succeed or fail cleanly
  const reader = (async () => {
    let i = 0;
    while (listing) {
      const l = await run(['list']);
      notCrashed(l, 'list');
      assert.is(l.code, 0, `list during the creates\n${describe(l)}`);
      lists.push(l.stdout);
      const s = await run(['state', ids[i++ % ids.length]]);
      notCrashed(s, 'state');
      if (s.code === 0) JSON.parse(s.stdout);
      else fails(s, 'state of a container being made or deleted');
    }
  })();
  const lifecycle = (id) => async () => {
    const c = await run(['create', '--bundle', b.dir, id]);
    notCrashed(c, 'create');
    if (c.code !== 0) return `create ${id}: ${describe(c)}`;
    const s = await run(['start', id]);
    if (s.code !== 0) return `start ${id}: ${describe(s)}`;
    const d = await run(['delete', '--force', id]);
    if (d.code !== 0) return `delete ${id}: ${describe(d)}`;
    return null;
  };
  // all 50 at once (each lifecycle is three runtime calls in a row)
  const results = await pool(ids.map(lifecycle), 50);
  listing = false;
  await reader;
  assert.equal(results.filter(Boolean), [], 'every lifecycle succeeds');
  assert.ok(lists.length > 0, 'list ran');
  for (const id of ids) await assertNoLeaks({ id, bundle: b });
  assert.equal(readdirSync(ROOT), [], 'the root is empty');
});

test('20 parallel creates of the same id: exactly one wins, the others fail cleanly, nothing leaks', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('same');
  const results = await Promise.all(Array.from({ length: 20 }, () => run(['create', '--bundle', b.dir, id])));
  results.forEach((r) => notCrashed(r, 'create'));
  const winners = results.filter((r) => r.code === 0);
  assert.is(winners.length, 1, `exactly one create succeeds:\n${results.map(describe).join('\n')}`);
  const checkText = !skipFor(isRunc, 'runc 1.1 says "container with given ID already exists" without the id');
  for (const r of results.filter((x) => x.code !== 0)) {
    const line = fails(r, 'a losing create', { oneLine: !isRunc });
    if (checkText) {
      assert.match(line, id);
      assert.match(line, /already exists/);
    }
  }
  const s = state(id);
  assert.is(s?.status, 'created', 'the winner is intact');
  ok(rt(['start', id]), 'the winner starts');
  assert.is(state(id).status, 'running');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

// One race, repeated: the outcome may be either order, never a crash, corruption or leak.
async function race(n, setupFn, a, bArgs, check) {
  const b = bundle({ args: ['sleep', '1000'] });
  for (let i = 0; i < n; i++) {
    const id = newId('race');
    await setupFn(id, b);
    const [ra, rb] = await Promise.all([run(a(id)), run(bArgs(id))]);
    notCrashed(ra, a(id).join(' '));
    notCrashed(rb, bArgs(id).join(' '));
    await check(id, ra, rb);
    // whatever happened, the container can be removed and nothing is left
    const d = rt(['delete', '--force', id]);
    assert.is(d.code, 0, `final delete --force\n${describe(d)}`);
    await assertNoLeaks({ id, bundle: b });
  }
}

test('delete --force racing start: either order, no crash, no leak', async () => {
  await race(5,
    (id, b) => ok(rt(['create', '--bundle', b.dir, id])),
    (id) => ['start', id], (id) => ['delete', '--force', id],
    async (id, start, del) => {
      assert.is(del.code, 0, `delete --force always succeeds\n${describe(del)}`);
      if (start.code !== 0) fails(start, 'start lost the race', { oneLine: !isRunc });
      assert.is(state(id), null, 'gone after delete');
    });
});

test('kill racing delete --force: either order, no crash, no leak', async () => {
  await race(5,
    async (id, b) => { ok(rt(['create', '--bundle', b.dir, id])); ok(rt(['start', id])); },
    (id) => ['kill', id, 'KILL'], (id) => ['delete', '--force', id],
    async (id, kill, del) => {
      assert.is(del.code, 0, `delete --force always succeeds\n${describe(del)}`);
      if (kill.code !== 0) fails(kill, 'kill lost the race', { oneLine: !isRunc });
      assert.is(state(id), null, 'gone after delete');
    });
});

test('parallel kill, pause/resume and state on one container serialise: the state stays valid', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('serial');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  const verbs = [];
  for (let i = 0; i < 6; i++) verbs.push(['pause', id], ['resume', id], ['state', id], ['kill', id, '0']);
  const results = await Promise.all(verbs.map((v) => run(v)));
  results.forEach((r, i) => {
    notCrashed(r, verbs[i].join(' '));
    if (r.code !== 0) fails(r, verbs[i].join(' '), { oneLine: !isRunc });
  });
  // the end state is consistent: running or paused, and resumable
  const s = state(id);
  assert.ok(s && ['running', 'paused'].includes(s.status), `valid status: ${s?.status}`);
  if (s.status === 'paused') ok(rt(['resume', id]));
  await waitStatus(id, 'running');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
  for (const c of cgroupCandidates(id)) assert.not.ok(existsSync(c), `cgroup ${c} removed`);
});

test.run();
