// linux.intelRdt and update --l3-cache-schema / --mem-bw-schema. This host has no resctrl
// (no RDT hardware: no resctrl in /proc/filesystems), so what is observable here is the
// refusal: create fails naming linux.intelRdt and why, and leaves nothing behind; bad values
// are named by their JSON path or flag; the update flags need a container with an RDT group.
// Where resctrl is mounted, the last test runs a container in a group of its own (skipped
// here; the path is documented as untested in docs/gaps.md). The pure rules: unit/rdt.test.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, assertNoLeaks, bundle, fails, isRunc, isTsrun, newId, ok, rt, setup, skipFor, state } from '../lib/runtime.mjs';

setup(test);

const resctrl = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  .map((l) => l.split(' - ')).filter((p) => p[1] && p[1].split(' ')[0] === 'resctrl').map((p) => p[0].split(' ')[4])[0];
const kernelHasResctrl = /\tresctrl$/m.test(readFileSync('/proc/filesystems', 'utf8'));

test('without resctrl: create fails naming linux.intelRdt and why; nothing is left behind', async () => {
  if (skipFor(resctrl !== undefined, 'resctrl is mounted on this host')) return;
  for (const rdt of [{}, { closID: 'gold' }, { l3CacheSchema: 'L3:0=ff' }, { memBwSchema: 'MB:0=50', enableMonitoring: true }]) {
    const b = bundle({ args: ['true'], mutate: (c) => { c.linux.intelRdt = rdt; } });
    const id = newId('rdt');
    if (!rdt.l3CacheSchema && !rdt.memBwSchema && skipFor(isRunc, 'runc 1.1.5 runs a container whose intelRdt has no schema without resctrl (the spec says MUST fail)')) continue;
    const msg = fails(rt(['run', '--bundle', b.dir, id]), JSON.stringify(rdt));
    if (isTsrun) {
      const why = kernelHasResctrl ? /mount it first/ : /this kernel offers no resctrl filesystem/;
      assert.match(msg, /linux\.intelRdt: resctrl is not mounted on this host \(/, msg);
      assert.match(msg, why, msg);
    }
    await assertNoLeaks({ id, bundle: b });
    assert.not.ok(existsSync(join(ROOT, id)));
  }
});

test('bad linux.intelRdt values are named by their JSON path (before any host check)', async () => {
  if (skipFor(!isTsrun, 'runc 1.1 checks for resctrl first and names no field')) return;
  const cases = [
    [{ closID: '..' }, /linux\.intelRdt\.closID: "\.\." is not a group name/],
    [{ l3CacheSchema: 'MB:0=20' }, /linux\.intelRdt\.l3CacheSchema: must be an L3 schema/],
    [{ memBwSchema: 'MB:0=20\nL3:0=f' }, /linux\.intelRdt\.memBwSchema: must not contain a newline/],
    [{ schemata: ['L3:0=f', 'nonsense'] }, /linux\.intelRdt\.schemata\[1\]: "nonsense" must be RESOURCE:ID=VALUE/],
  ];
  for (const [rdt, re] of cases) {
    const b = bundle({ args: ['true'], mutate: (c) => { c.linux.intelRdt = rdt; } });
    const id = newId('rdtb');
    assert.match(fails(rt(['create', '--bundle', b.dir, id])), re);
    await assertNoLeaks({ id, bundle: b });
  }
});

test('update --l3-cache-schema / --mem-bw-schema: values checked; a container without an RDT group is refused', async () => {
  const b = bundle({ args: ['sleep', '30'] });
  const id = newId('rdtu');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  try {
    const l3 = fails(rt(['update', '--l3-cache-schema', 'L3:0=f', id]));
    const mb = fails(rt(['update', '--mem-bw-schema', 'MB:0=50', id]));
    if (isTsrun) {
      assert.match(l3, /the container has no Intel RDT group \(linux\.intelRdt was not set at create\)/);
      assert.match(mb, /the container has no Intel RDT group/);
      assert.match(fails(rt(['update', '--mem-bw-schema', 'L3:0=f', id])), /--mem-bw-schema: must start with "MB:"/);
      assert.match(fails(rt(['update', '--l3-cache-schema', 'L3:0=zz', id])), /--l3-cache-schema: "L3:0=zz": "0=zz" must be <domain id>=<hex bitmask>/);
      // Together with a cgroup flag: refused before any cgroup is changed.
      assert.match(fails(rt(['update', '--pids-limit', '77', '--l3-cache-schema', 'L3:0=f', id])), /no Intel RDT group/);
    }
    assert.is(state(id).status, 'running');
  } finally {
    rt(['delete', '--force', id]);
  }
  await assertNoLeaks({ id, bundle: b });
});

test('with resctrl: init runs in a group of its own with the schemata asked; delete removes the group', async () => {
  if (skipFor(resctrl === undefined, 'no resctrl on this host (no RDT hardware): the resctrl path is untested here')) return;
  // The root group's own L3 (or MB) line is always valid for a new group.
  const line = readFileSync(join(resctrl, 'schemata'), 'utf8').split('\n').map((l) => l.trim()).find((l) => /^(L3|MB):/.test(l));
  const b = bundle({ args: ['sleep', '30'], mutate: (c) => { c.linux.intelRdt = line ? { schemata: [line] } : {}; } });
  const id = newId('rdtr');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const group = join(resctrl, id);
  try {
    const pid = state(id).pid;
    assert.ok(readFileSync(join(group, 'tasks'), 'utf8').split('\n').includes(String(pid)), 'init is in the group');
  } finally {
    ok(rt(['delete', '--force', id]));
  }
  assert.not.ok(existsSync(group), 'the group tsrun made is removed');
  await assertNoLeaks({ id, bundle: b });
});

test.run();
