// update: limits of a running container change in its cgroups (read from the host through
// /proc/PID/cgroup) and are enforced (a fork beyond pids.max fails inside); zeros mean
// "unchanged" (Docker sends whole objects); the Intel RDT flags: intelrdt.test.mjs.
// Every other flag: cgroups.test.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { assertNoLeaks, bundle, fails, newId, ok, rt, setup, state } from '../lib/runtime.mjs';

setup(test);

// The container's cgroup file for a v1 controller (this host is hybrid: v1 controllers).
function cgFile(pid, ctl, file) {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === ctl);
  return readFileSync(`/sys/fs/cgroup/${ctl}${line.split(':')[2]}/${file}`, 'utf8').trim();
}

test('update --memory / --pids-limit are written and enforced; zeros change nothing', async () => {
  const b = bundle({ args: ['sleep', '60'] });
  const id = newId('upd');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  ok(rt(['update', '--memory', '64m', '--pids-limit', '3', id]));
  assert.is(cgFile(pid, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  assert.is(cgFile(pid, 'pids', 'pids.max'), '3');
  // enforced: init (1) + sh + two sleeps would be 4 > 3
  const r = rt(['exec', id, 'sh', '-c', 'sleep 5 & sleep 5 & wait'], { timeout: 10000 });
  assert.is.not(r.code, 0, `a fork beyond pids.max must fail: ${r.stderr}`);
  ok(rt(['update', '-r', '-', id], { input: JSON.stringify({ memory: { limit: 0 }, cpu: { shares: 0 }, pids: { limit: 20 } }) }));
  assert.is(cgFile(pid, 'pids', 'pids.max'), '20');
  assert.is(cgFile(pid, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024), 'limit 0 leaves the memory limit alone');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('update of an unknown or stopped container fails', async () => {
  fails(rt(['update', '--pids-limit', '5', newId('nope')]), 'update of an unknown id');
  const b = bundle({ args: ['true'] });
  const id = newId('upds');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  for (let i = 0; i < 100 && state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  fails(rt(['update', '--pids-limit', '5', id]), 'update of a stopped container');
  ok(rt(['delete', id]));
});

test.run();
