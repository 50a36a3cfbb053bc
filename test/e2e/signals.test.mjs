// Signals: kill of a created (not started) container, kill --all reaching every process
// when the container shares the host PID namespace (killing init is not enough there),
// and foreground run forwarding a signal to the container process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  assertNoLeaks, bundle, newId, ok, rt, rtAsync, setup, state, waitFor, waitOutput, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

test('kill of a created container stops it; delete then works', async () => {
  const b = bundle({ args: ['sleep', '100'] });
  const id = newId('kc');
  ok(rt(['create', '--bundle', b.dir, id]));
  assert.is(state(id).status, 'created');
  ok(rt(['kill', id, 'KILL']));
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('kill --all TERM reaches every process of a container in the host PID namespace', async () => {
  const b = bundle({
    args: ['sh', '-c', 'sleep 1000 & sleep 1000 & echo started; wait'],
    mutate: (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid'); },
  });
  const id = newId('kall');
  const c = ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitOutput(c, /started/);
  const pids = JSON.parse(ok(rt(['ps', '--format', 'json', id])).stdout);
  assert.ok(pids.length >= 3, `sh and two sleeps run: ${pids}`);
  ok(rt(['kill', '--all', id, 'TERM']));
  await waitStatus(id, 'stopped');
  const alive = (pid) => { try { return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; } };
  await waitFor(() => pids.every((pid) => !alive(pid)), { what: 'every process gone' });
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('foreground run forwards SIGUSR1 to the container process', async () => {
  const b = bundle({ args: ['sh', '-c', 'trap "echo got-usr1; exit 9" USR1; echo armed; while :; do sleep 0.05; done'] });
  const id = newId('fwd');
  const p = rtAsync(['run', '--bundle', b.dir, id]);
  await waitOutput(p, /armed/);
  p.child.kill('SIGUSR1');
  const r = await p.done;
  assert.match(r.stdout, /got-usr1/, r.stdout);
  assert.is(r.code, 9);
});

test.run();
