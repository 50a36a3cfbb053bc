// pause / resume through the freezer cgroup: a counter inside the container stops while
// paused and goes on after resume; state says paused; exec into a paused container is
// refused; delete --force of a paused container works and leaves nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoLeaks, bundle, fails, newId, ok, rt, setup, sleep, state, waitFor } from '../lib/runtime.mjs';

setup(test);

const counter = () => bundle({ args: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.02; done'] });
const count = (b) => { try { return Number(readFileSync(join(b.rootfs, 'tmp/count'), 'utf8')) || 0; } catch { return 0; } };

test('pause freezes every process, resume thaws them', async () => {
  const b = counter();
  const id = newId('pz');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  await waitFor(() => count(b) > 2, { what: 'the counter runs' });
  ok(rt(['pause', id]));
  assert.is(state(id).status, 'paused');
  const a = count(b);
  await sleep(300);
  assert.is(count(b), a, 'no progress while paused');
  fails(rt(['pause', id]), 'pause of a paused container');
  ok(rt(['resume', id]));
  assert.is(state(id).status, 'running');
  await waitFor(() => count(b) > a + 2, { what: 'progress after resume' });
  fails(rt(['resume', id]), 'resume of a running container');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('exec into a paused container is refused; delete --force of a paused one works', async () => {
  const b = counter();
  const id = newId('pzx');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  await waitFor(() => count(b) > 1, { what: 'the counter runs' });
  ok(rt(['pause', id]));
  const r = rt(['exec', id, 'true'], { timeout: 5000 });
  assert.is.not(r.code, 0, 'exec into a paused container fails');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('a created container can be paused and resumed (as runc); unknown ids fail', async () => {
  const b = counter();
  const id = newId('pzc');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['pause', id]));
  assert.is(state(id).status, 'paused');
  ok(rt(['resume', id]));
  assert.is(state(id).status, 'created');
  fails(rt(['pause', newId('nope')]), 'pause of an unknown id');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test.run();
