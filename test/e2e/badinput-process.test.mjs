// Bad input around exec, terminals and hooks: each a clear one-line error, a non-zero exit,
// and nothing left behind (no state dir, process, mount or fd).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WORK, assertNoLeaks, bundle, fails, isTsrun, newId, ok, rt, setup, skipFor } from '../lib/runtime.mjs';

setup(test);

const fdCount = () => readdirSync('/proc/self/fd').length;

test('a console socket path that does not exist', async () => {
  const b = bundle({ args: ['true'], mutate: (c) => { c.process.terminal = true; } });
  const id = newId('nosock');
  const line = fails(rt(['create', '--console-socket', join(WORK, 'no-such.sock'), '--bundle', b.dir, id]), 'missing console socket');
  assert.match(line, /no-such\.sock|console/i, line);
  await assertNoLeaks({ id, bundle: b });
});

test('a hook binary that does not exist fails create and leaves nothing', async () => {
  const b = bundle({ args: ['true'], mutate: (c) => { c.hooks = { createRuntime: [{ path: join(WORK, 'no-such-hook') }] }; } });
  const id = newId('nohook');
  const line = fails(rt(['create', '--bundle', b.dir, id]), 'missing hook binary');
  if (isTsrun) assert.match(line, /createRuntime hook .*no-such-hook/, line);
  await assertNoLeaks({ id, bundle: b });
});

test('exec --process with errors: malformed JSON, empty args, relative cwd, unknown capability', async () => {
  const b = bundle({ args: ['sleep', '30'] });
  const id = newId('xproc');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const before = fdCount();
  const cases = [
    ['{"args": ["true"],', /JSON|unexpected|EOF|parse/i],
    [JSON.stringify({ args: [], cwd: '/' }), /args/i],
    [JSON.stringify({ args: ['true'], cwd: 'tmp' }), /cwd/i],
    [JSON.stringify({ args: ['true'], cwd: '/', capabilities: { bounding: ['CAP_NOPE'] } }), /CAP_NOPE|capabilit/i],
  ];
  for (const [text, re] of cases) {
    const f = join(WORK, `process-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, text);
    const r = rt(['exec', '--process', f, id]);
    // runc only warns about an unknown capability (and then fails on other grounds)
    if (!isTsrun) { assert.is.not(r.code, 0, r.toString()); continue; }
    assert.match(fails(r, `process.json ${text}`), re);
  }
  // nothing stray: only init runs in the container
  const ps = JSON.parse(ok(rt(['ps', '--format', 'json', id])).stdout);
  assert.is(ps.length, 1, `processes: ${ps}`);
  assert.is(fdCount(), before, 'no fd leaked into the test process');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('exec into an unknown and into a stopped container', async () => {
  fails(rt(['exec', newId('ghost'), 'true']), 'exec into an unknown id');
  const b = bundle({ args: ['true'] });
  const id = newId('stopped');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  for (let i = 0; i < 100; i++) {
    if (JSON.parse(ok(rt(['state', id])).stdout).status === 'stopped') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const line = fails(rt(['exec', id, 'true']), 'exec into a stopped container');
  if (isTsrun) assert.match(line, /stopped/, line);
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test.run();
