// A short soak: test/soak.sh runs 100 sequential lifecycles (create, start, exec, pause,
// resume, kill, delete) and fails if fds, mounts, cgroups, state dirs, keyrings, zombies or
// processes of the soak grew. The long run (2000) and its numbers: docs/hardening.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, RUNTIME } from '../lib/runtime.mjs';

test('100 sequential lifecycles leave nothing behind', () => {
  const r = spawnSync('bash', [join(REPO, 'test/soak.sh'), process.env.TSRUN_SOAK_N || '100'], {
    encoding: 'utf8', timeout: 240000, killSignal: 'SIGKILL', env: { ...process.env, TSRUN_BIN: RUNTIME },
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.is(r.status, 0, `soak failed:\n${out}`);
  assert.match(r.stdout, /^soak: no growth$/m, out);
  console.log(r.stdout.split('\n').filter((l) => /^soak: \d+ lifecycles|per lifecycle/.test(l)).join('\n'));
});

test.run();
