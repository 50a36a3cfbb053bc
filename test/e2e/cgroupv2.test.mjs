// Pure cgroup v2, for real on this hybrid host: every runtime call runs in a private mount
// namespace where cgroup2 is mounted at /sys/fs/cgroup (the host's one v2 hierarchy, whose
// only controller here is hugetlb). The runtime must see a pure v2 host: the container's
// cgroup under a test path (ancestors' subtree_control enabled), init cloned into it
// (CLONE_INTO_CGROUP), hugetlb limits, the eBPF device filter (an allowed device opens, a
// denied one fails with EPERM; update replaces the program), cgroup.freeze, cgroup.kill, and a
// clear error for controllers this host keeps on v1 (memory, cpu, pids, io).
// From the host the same cgroups are under /sys/fs/cgroup/unified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  assertNoLeaks, bundle, fails, isRunc, isTsrun, newId, ok, rt, RUNTIME, ROOT, setup, skipFor, waitFor,
} from '../lib/runtime.mjs';

setup(test);

const HOST_V2 = '/sys/fs/cgroup/unified';
const hasHybridV2 = existsSync(join(HOST_V2, 'cgroup.controllers'));

// The runtime under test in a mount namespace that shows only cgroup v2 at /sys/fs/cgroup.
function v2(args, opts = {}) {
  const wrap = 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"';
  const pre = opts.strace ? ['strace', '-e', 'trace=clone3,openat', '-o', opts.strace] : [];
  return rt(args, {
    ...opts, runtime: 'unshare', root: false,
    global: ['-m', '--propagation', 'private', 'sh', '-c', wrap, 'v2', ...pre, RUNTIME, '--root', ROOT],
  });
}
const v2state = (id) => JSON.parse(ok(v2(['state', id])).stdout);

// Removes a test cgroup path (deepest first) from the host side, killing what is left.
function removeTree(dirs) {
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    try { for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(p), 'SIGKILL'); } catch {}
    for (let i = 0; i < 100; i++) { try { rmdirSync(d); break; } catch (e) { if (e.code === 'ENOENT') break; spawnSync('sleep', ['0.02']); } }
  }
}

test('pure v2: cgroup under a test path, CLONE_INTO_CGROUP, hugetlb, device filter, freeze, cgroup.kill', async () => {
  if (skipFor(!hasHybridV2, 'no cgroup2 hierarchy on this host')) return;
  const id = newId('v2');
  const parent = `/${id}-p`, path = `${parent}/${id}`;
  const hostDirs = [HOST_V2 + path, HOST_V2 + parent];
  const b = bundle({
    args: ['sh', '-c', 'sleep 60 & sleep 60 & wait'],
    config: { linux: { cgroupsPath: path, resources: { hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] } } },
    mutate: (c) => { c.mounts.push({ destination: '/dev/fuse', type: 'bind', source: '/dev/fuse', options: ['bind'] }); },
  });
  const trace = join(b.dir, 'create.trace');
  try {
    ok(v2(['run', '--detach', '--bundle', b.dir, id], { strace: isTsrun ? trace : undefined }));
    const pid = v2state(id).pid;
    assert.is(readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::')), `0::${path}`);
    if (isTsrun) {
      const t = readFileSync(trace, 'utf8');
      assert.match(t, /clone3\(\{flags=[^}]*CLONE_INTO_CGROUP/, 'init is cloned into its cgroup');
      assert.not.match(t, /cgroup\.procs/, 'no cgroup.procs write on the way');
    }
    assert.is(readFileSync(join(HOST_V2, path, 'hugetlb.2MB.max'), 'utf8').trim(), String(4 << 20));
    assert.match(readFileSync(join(HOST_V2, parent, 'cgroup.subtree_control'), 'utf8'), /hugetlb/);
    // the device filter: runc's default rules allow /dev/null; /dev/fuse (10:229, bound in,
    // openable by root without capabilities) is denied
    const open = (dev, mode = '<') => v2(['exec', id, 'sh', '-c', `exec 3${mode}${dev} && echo opened`]);
    assert.is(ok(open('/dev/null', '>')).stdout.trim(), 'opened');
    assert.match(fails(open('/dev/fuse'), 'read /dev/fuse', { oneLine: false }), /Operation not permitted/);
    if (!skipFor(isRunc, 'runc 1.1 update applies neither device rules (checked: /dev/fuse stays denied) nor hugepageLimits')) {
      ok(v2(['update', '-r', '-', id], { input: JSON.stringify({ hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] }) }));
      assert.is(readFileSync(join(HOST_V2, path, 'hugetlb.2MB.max'), 'utf8').trim(), String(2 << 20), 'update on v2');
      // update replaces the program: reading 10:229 is allowed now, writing still not
      ok(v2(['update', '-r', '-', id], { input: JSON.stringify({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'r' }] }) }));
      assert.is(ok(open('/dev/fuse')).stdout.trim(), 'opened');
      assert.match(fails(open('/dev/fuse', '>'), 'write /dev/fuse', { oneLine: false }), /Operation not permitted/);
    }
    ok(v2(['pause', id]));
    assert.match(readFileSync(join(HOST_V2, path, 'cgroup.events'), 'utf8'), /frozen 1/);
    assert.is(v2state(id).status, 'paused');
    ok(v2(['resume', id]));
    assert.match(readFileSync(join(HOST_V2, path, 'cgroup.events'), 'utf8'), /frozen 0/);
    if (isTsrun) {
      const s = JSON.parse(ok(v2(['stats', id])).stdout);
      assert.ok(s.cpu.usage.total > 0, 'cpu.stat usage from the v2 cgroup');
      assert.is(s.hugetlb['2MB'].usage, 0);
    }
    const kt = join(b.dir, 'kill.trace');
    ok(v2(['kill', '--all', id, 'KILL'], { strace: isTsrun ? kt : undefined }));
    if (isTsrun) assert.match(readFileSync(kt, 'utf8'), /cgroup\.kill/);
    await waitFor(() => v2state(id).status === 'stopped', { what: 'stopped after kill --all' });
    ok(v2(['delete', id]));
    assert.not.ok(existsSync(hostDirs[0]), 'the container cgroup is removed by delete');
    // runc 1.1 leaves the parent it created; tsrun removes every directory it made
    if (isTsrun) assert.not.ok(existsSync(hostDirs[1]), 'the parent tsrun created is removed too');
    await assertNoLeaks({ id, bundle: b, cgroups: isTsrun ? hostDirs : [hostDirs[0]] });
  } finally {
    v2(['delete', '--force', id]);
    removeTree(hostDirs);
  }
});

test('pure v2: controllers this host keeps on v1 fail by field; unified keys; nothing left', async () => {
  if (skipFor(!hasHybridV2, 'no cgroup2 hierarchy on this host')) return;
  if (skipFor(!isTsrun, 'the error texts are tsrun\'s')) return;
  const cases = [
    [{ memory: { limit: 1 << 26 } }, /linux\.resources\.memory\.limit: the memory controller is not available on this host \(not in the cgroup v2 cgroup\.controllers\)/],
    [{ pids: { limit: 5 } }, /linux\.resources\.pids\.limit: the pids controller is not available/],
    [{ cpu: { shares: 512 } }, /linux\.resources\.cpu\.shares: the cpu controller is not available/],
    [{ unified: { 'memory.max': '100000' } }, /linux\.resources\.unified\.memory\.max: the memory controller is not on this host's cgroup v2 hierarchy/],
    [{ unified: { 'hugetlb.2MB.bogus': '1' } }, /unified\.hugetlb\.2MB\.bogus: this kernel has no hugetlb\.2MB\.bogus/],
  ];
  for (const [resources, re] of cases) {
    const id = newId('v2bad');
    const dirs = [join(HOST_V2, id)];
    const b = bundle({ args: ['true'], config: { linux: { cgroupsPath: `/${id}`, resources: { ...resources, devices: [{ allow: false, access: 'rwm' }] } } } });
    try {
      assert.match(fails(v2(['create', '--bundle', b.dir, id]), JSON.stringify(resources)), re);
      await assertNoLeaks({ id, bundle: b, cgroups: dirs });
    } finally { removeTree(dirs); }
  }
  // a unified key on the hugetlb controller is written as is
  const id = newId('v2u');
  const dirs = [join(HOST_V2, id)];
  const b = bundle({ args: ['sleep', '30'], config: { linux: { cgroupsPath: `/${id}`, resources: { unified: { 'hugetlb.2MB.max': String(2 << 20) } } } } });
  try {
    ok(v2(['run', '--detach', '--bundle', b.dir, id]));
    assert.is(readFileSync(join(HOST_V2, id, 'hugetlb.2MB.max'), 'utf8').trim(), String(2 << 20));
    ok(v2(['delete', '--force', id]));
    await assertNoLeaks({ id, bundle: b, cgroups: dirs });
  } finally { v2(['delete', '--force', id]); removeTree(dirs); }
});

test.run();
