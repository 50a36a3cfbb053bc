// The minimal build (TSRUN_FEATURES=minimal ./build.sh -> bin/tsrun-minimal): the core
// verbs run a real container; what the build leaves out is refused by name, never ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO, assertNoLeaks, bundle, fails, isTsrun, newId, ok, rootFor, rt, setup, skipFor, waitOutput, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

const MIN = join(REPO, 'bin/tsrun-minimal');
const here = isTsrun && existsSync(MIN);

test('core lifecycle with the minimal binary', async () => {
  if (skipFor(!here, 'needs bin/tsrun-minimal (built by test/run.sh)')) return;
  const b = bundle({ args: ['sh', '-c', 'echo minimal-pid-$$'], mutate: (c) => { delete c.linux.resources; } });
  const id = newId('min', { runtime: MIN });
  const c = ok(rt(['create', '--bundle', b.dir, id], { runtime: MIN }));
  ok(rt(['start', id], { runtime: MIN }));
  await waitOutput(c, /minimal-pid-1/);
  await waitStatus(id, 'stopped', { runtime: MIN });
  ok(rt(['delete', id], { runtime: MIN }));
  await assertNoLeaks({ id, bundle: b, root: rootFor(MIN) });
});

test('what the minimal build leaves out is refused by name', () => {
  if (skipFor(!here, 'needs bin/tsrun-minimal (built by test/run.sh)')) return;
  assert.match(ok(rt(['--version'], { runtime: MIN, root: false })).stdout, /features: minimal/);
  for (const verb of ['run', 'ps', 'spec', 'features', 'pause', 'resume', 'update', 'events', 'stats']) {
    assert.match(fails(rt([verb, 'x'], { runtime: MIN }), verb), new RegExp(`"${verb}": is not in this build`));
  }
  const withLimits = bundle({ args: ['true'], mutate: (c) => { c.linux.resources = { pids: { limit: 10 } }; } });
  assert.match(fails(rt(['create', '--bundle', withLimits.dir, newId('mres', { runtime: MIN })], { runtime: MIN })), /linux\.resources: .*not in this build/);
  const withHooks = bundle({ args: ['true'], mutate: (c) => { c.hooks = { prestart: [{ path: '/bin/true' }] }; } });
  assert.match(fails(rt(['create', '--bundle', withHooks.dir, newId('mhk', { runtime: MIN })], { runtime: MIN })), /hooks: .*not in this build/);
  const withSeccomp = bundle({ args: ['true'], mutate: (c) => { delete c.linux.resources; c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; } });
  assert.match(fails(rt(['create', '--bundle', withSeccomp.dir, newId('msc', { runtime: MIN })], { runtime: MIN })), /linux\.seccomp: .*not in this build/);
});

test.run();
