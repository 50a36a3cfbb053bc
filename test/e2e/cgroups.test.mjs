// cgroup limits on this hybrid host (v1 controllers, cgroup2 at /sys/fs/cgroup/unified with
// hugetlb): every linux.resources value the host supports is written (read back from the
// host through /proc/PID/cgroup) and the ones that can be shown are enforced (a fork loop
// stops at pids.max, an allocation above memory.limit is OOM-killed and `events` reports it,
// the freezer goes FROZEN then THAWED); update applies runc's flags; stats/events print real
// numbers; fields the host cannot honour fail with the field named and nothing left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertNoLeaks, bundle, RUNTIME, ROOT, cgroupDirsOf, fails, isRunc, isTsrun, newId, ok, rt, rtAsync, setup, skipFor, state, waitFor,
} from '../lib/runtime.mjs';

setup(test);

// The container's directory in the hierarchy holding controller ctl ('' = cgroup v2).
function cgDir(pid, ctl) {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === ctl);
  const path = line.split(':')[2];
  return ctl === '' ? `/sys/fs/cgroup/unified${path}` : `/sys/fs/cgroup/${ctl}${path}`;
}
const cg = (pid, ctl, file) => readFileSync(join(cgDir(pid, ctl), file), 'utf8').trim();
// A block device of this machine (major:minor) for the blkio throttles.
const disk = () => {
  const name = readdirSync('/sys/block').find((d) => /^(vd|sd|nvme|xvd)/.test(d)) || readdirSync('/sys/block')[0];
  const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
  return { major, minor };
};

test('every v1 value is written; the directories are gone after delete', async () => {
  const { major, minor } = disk();
  const resources = {
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 10 },
    cpu: { shares: 512, quota: 50000, period: 100000, realtimePeriod: 1000000, realtimeRuntime: 10000, cpus: '0', mems: '0' },
    pids: { limit: 30 },
    blockIO: { weight: 300, throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 100 }] },
  };
  // cpu.cfs_burst_us and cpu.idle: runtime-spec 1.1/1.2 fields runc 1.1 does not write.
  // memory.kernelTCP: runc 1.1 ignores every kernel memory setting.
  if (isTsrun) Object.assign(resources.cpu, { burst: 10000, idle: 0 });
  if (isTsrun) resources.memory.kernelTCP = 16 << 20;
  const b = bundle({ args: ['sleep', '60'], config: { linux: { resources } } });
  const id = newId('cgv1');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  const dirs = cgroupDirsOf(pid);
  assert.is(cg(pid, 'memory', 'memory.limit_in_bytes'), String(64 << 20));
  assert.is(cg(pid, 'memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
  assert.is(cg(pid, 'memory', 'memory.memsw.limit_in_bytes'), String(128 << 20));
  assert.is(cg(pid, 'memory', 'memory.swappiness'), '10');
  if (isTsrun) assert.is(cg(pid, 'memory', 'memory.kmem.tcp.limit_in_bytes'), String(16 << 20));
  assert.is(cg(pid, 'cpu', 'cpu.shares'), '512');
  assert.is(cg(pid, 'cpu', 'cpu.cfs_quota_us'), '50000');
  assert.is(cg(pid, 'cpu', 'cpu.cfs_period_us'), '100000');
  assert.is(cg(pid, 'cpu', 'cpu.rt_runtime_us'), '10000');
  if (isTsrun) assert.is(cg(pid, 'cpu', 'cpu.cfs_burst_us'), '10000');
  assert.is(cg(pid, 'cpuset', 'cpuset.cpus'), '0');
  assert.is(cg(pid, 'cpuset', 'cpuset.mems'), '0');
  assert.is(cg(pid, 'pids', 'pids.max'), '30');
  // no blkio.weight on a kernel without CFQ: BFQ's weight file, as runc does
  assert.is(cg(pid, 'blkio', existsSync(join(cgDir(pid, 'blkio'), 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight').replace(/^default /, ''), '300');
  assert.is(cg(pid, 'blkio', 'blkio.throttle.read_bps_device'), `${major}:${minor} 1048576`);
  assert.is(cg(pid, 'blkio', 'blkio.throttle.write_iops_device'), `${major}:${minor} 100`);
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b, cgroups: dirs });
});

test('pids.max stops a fork loop', async () => {
  const b = bundle({ args: ['sleep', '60'], config: { linux: { resources: { pids: { limit: 5 } } } } });
  const id = newId('cgpid');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  // init + the exec'd sh + 3 sleeps = 5: the 4th fork fails and sh gives up
  const r = rt(['exec', id, 'sh', '-c', 'i=0; while [ $i -lt 20 ]; do sleep 60 & i=$((i+1)); done'], { timeout: 10000 });
  assert.is.not(r.code, 0, `the fork loop must fail: ${r}`);
  assert.is(cg(pid, 'pids', 'pids.max'), '5');
  assert.ok(Number(cg(pid, 'pids', 'pids.events').split(' ')[1]) >= 1, 'a fork was refused');
  assert.ok(Number(cg(pid, 'pids', 'pids.current')) <= 5);
  if (isTsrun) {
    // (runc's exec needs extra processes of its own, so its failure comes earlier)
    assert.match(r.stderr, /can't fork/);
    assert.is(cg(pid, 'pids', 'pids.current'), '4', 'init and the 3 sleeps that fitted');
  }
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('an allocation above memory.limit is OOM-killed and `events` reports it; the freezer goes FROZEN then THAWED', async () => {
  const b = bundle({
    args: ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived > /tmp/survived'],
    config: { linux: { resources: { memory: { limit: 32 << 20, swap: 32 << 20 } } } },
  });
  const id = newId('cgoom');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  ok(rt(['pause', id]));
  assert.is(cg(pid, 'freezer', 'freezer.state'), 'FROZEN');
  ok(rt(['resume', id]));
  assert.is(cg(pid, 'freezer', 'freezer.state'), 'THAWED');
  const ev = rtAsync(['events', '--interval', '100ms', id]);
  // the first stats event: events is watching (its OOM eventfd is registered before)
  await waitFor(() => ev.read().includes('"type":"stats"'), { what: 'a stats event' });
  const memDir = cgDir(pid, 'memory');
  writeFileSync(join(b.rootfs, 'tmp/go'), '');
  await waitFor(() => state(id).status === 'stopped', { timeout: 15000, what: 'the container OOM-killed' });
  await waitFor(() => ev.read().includes('"type":"oom"'), { what: 'an oom event' });
  const oom = ev.read().trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'oom');
  assert.is(oom.id, id);
  if (isTsrun) {
    const r = await ev.done;
    assert.is(r.code, 0, `events ends when the container stops: ${r}`);
  } else { ev.child.kill('SIGKILL'); await ev.done; }  // runc's events goes on after the container stopped
  assert.not.ok(existsSync(join(b.rootfs, 'tmp/survived')));
  assert.match(readFileSync(join(memDir, 'memory.oom_control'), 'utf8'), /oom_kill [1-9]/);
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b, cgroups: [memDir] });
});

test('stats and events --stats print real numbers', async () => {
  const b = bundle({ args: ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 60'], config: { linux: { resources: { memory: { limit: 64 << 20 }, cpu: { shares: 512 }, pids: { limit: 50 } } } } });
  const id = newId('cgst');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  await waitFor(() => Number(cg(pid, 'cpuacct', 'cpuacct.usage')) > 0, { what: 'some cpu time' });
  const e = JSON.parse(ok(rt(['events', '--stats', id])).stdout);
  assert.is(e.type, 'stats');
  assert.is(e.id, id);
  const d = e.data;
  assert.ok(d.cpu.usage.total > 0, 'cpu usage');
  assert.is(d.cpu.usage.percpu.length, Number(readFileSync('/sys/fs/cgroup/cpuacct/cpuacct.usage_percpu', 'utf8').trim().split(' ').length));
  assert.is(d.memory.usage.limit, 64 << 20);
  assert.ok(d.memory.usage.usage > 0, 'memory usage');
  assert.is(d.pids.current, Number(cg(pid, 'pids', 'pids.current')));
  assert.ok(d.pids.current >= 1);
  assert.is(d.pids.limit, 50);
  if (!skipFor(isRunc, 'runc has no `stats` verb')) {
    const s = JSON.parse(ok(rt(['stats', id])).stdout);
    assert.ok(s.cpu.usage.total >= d.cpu.usage.total);
    assert.is(s.pids.current, d.pids.current);
    assert.ok(s.memory.raw.total_rss >= 0);
  }
  if (isTsrun) for (const d of ['abc', '5', '.s', '1.2.3s', '-1s', '0s']) assert.match(fails(rt(['events', '--interval', d, id])), /--interval: invalid duration/);
  ok(rt(['delete', '--force', id]));
  fails(rt(['events', '--stats', id]), 'events of a deleted container');
  if (isTsrun) fails(rt(['stats', id]), 'stats of a deleted container');
  await assertNoLeaks({ id, bundle: b });
});

test('update applies runc\'s flags and --resources; bad values are refused by name', async () => {
  const b = bundle({ args: ['sleep', '60'], config: { linux: { resources: { memory: { limit: 64 << 20 }, cpu: { shares: 512 } } } } });
  const id = newId('cgup');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  ok(rt(['update', '--memory', '128m', '--memory-swap', '256m', '--memory-reservation', '32m', '--cpu-share', '256',
    '--cpu-quota', '20000', '--cpu-period', '50000', '--cpu-rt-period', '1000000', '--cpu-rt-runtime', '5000',
    '--cpuset-cpus', '0', '--cpuset-mems', '0', '--pids-limit', '9', '--blkio-weight', '400', id]));
  assert.is(cg(pid, 'memory', 'memory.limit_in_bytes'), String(128 << 20));
  assert.is(cg(pid, 'memory', 'memory.memsw.limit_in_bytes'), String(256 << 20));
  assert.is(cg(pid, 'memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
  assert.is(cg(pid, 'cpu', 'cpu.shares'), '256');
  assert.is(cg(pid, 'cpu', 'cpu.cfs_quota_us'), '20000');
  assert.is(cg(pid, 'cpu', 'cpu.cfs_period_us'), '50000');
  assert.is(cg(pid, 'cpu', 'cpu.rt_runtime_us'), '5000');
  // new controllers: the running container was moved into new cgroups
  assert.is(cg(pid, 'cpuset', 'cpuset.cpus'), '0');
  assert.is(cg(pid, 'pids', 'pids.max'), '9');
  assert.is(cg(pid, 'blkio', existsSync(join(cgDir(pid, 'blkio'), 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight').replace(/^default /, ''), '400');
  ok(rt(['update', '-r', '-', id], { input: JSON.stringify({ memory: { limit: 96 << 20, swap: 96 << 20 }, cpu: { cpus: '0-1' } }) }));
  assert.is(cg(pid, 'memory', 'memory.limit_in_bytes'), String(96 << 20));
  assert.is(cg(pid, 'memory', 'memory.memsw.limit_in_bytes'), String(96 << 20), 'lowering both: memory first, then memsw');
  assert.is(cg(pid, 'cpuset', 'cpuset.cpus'), '0-1');
  ok(rt(['update', '--memory', '512m', '--memory-swap', '1g', id]), 'raising both above the old memsw');
  assert.is(cg(pid, 'memory', 'memory.limit_in_bytes'), String(512 << 20));
  assert.is(cg(pid, 'memory', 'memory.memsw.limit_in_bytes'), String(1024 << 20));
  fails(rt(['update', '--cpuset-cpus', 'abc', id]), 'cpus abc', { oneLine: false });
  assert.is(cg(pid, 'cpuset', 'cpuset.cpus'), '0-1', 'unchanged after a refused update');
  if (isTsrun) {
    assert.match(fails(rt(['update', '--pids-limit', '-5', id])), /--pids-limit: invalid value "-5"/);
    assert.match(fails(rt(['update', '--memory', '12x', id])), /--memory: invalid value "12x"/);
    assert.match(fails(rt(['update', '--cpuset-cpus', 'abc', id])), /cpu\.cpus: "abc" is not a cpu list/);
    assert.match(fails(rt(['update', '-r', '-', id], { input: '{"memory":{"limit":-7}}' })), /memory\.limit: is out of range: -7/);
    assert.match(fails(rt(['update', '-r', '-', id], { input: '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' })), /below the current usage/);
    assert.match(fails(rt(['update', '--l3-cache-schema', 'L3:0=f', id])), /no Intel RDT group/);
  }
  const dirs = cgroupDirsOf(pid);
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b, cgroups: dirs });
});

test('update of a paused container adds a controller and leaves it paused', async () => {
  const b = bundle({ args: ['sleep', '60'] });
  const id = newId('cgupp');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  ok(rt(['pause', id]));
  ok(rt(['update', '--pids-limit', '7', id]));
  assert.is(cg(pid, 'pids', 'pids.max'), '7', 'init moved into a new pids cgroup');
  assert.is(cg(pid, 'freezer', 'freezer.state'), 'FROZEN');
  assert.is(state(id).status, 'paused');
  ok(rt(['resume', id]));
  const dirs = cgroupDirsOf(pid);
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b, cgroups: dirs });
});

test('hugetlb limits go to the hybrid host\'s cgroup v2 hierarchy; kill --all uses its cgroup.kill', async () => {
  if (skipFor(isRunc, 'runc 1.1 does not use the unified hierarchy of a hybrid host for hugetlb')) return;
  const b = bundle({ args: ['sh', '-c', 'sleep 60 & sleep 60 & wait'], config: { linux: { resources: { hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] } } } });
  const id = newId('cght');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  assert.is(cg(pid, '', 'hugetlb.2MB.max'), String(4 << 20));
  await waitFor(() => cg(pid, '', 'cgroup.procs').split('\n').length === 3, { what: 'three processes' });
  const dirs = cgroupDirsOf(pid);
  const r = rt(['kill', '--all', id, 'KILL'], { runtime: 'strace', root: false, global: ['-f', '-e', 'trace=openat', '-o', join(b.dir, 'trace'), RUNTIME, '--root', ROOT] });
  ok(r);
  assert.match(readFileSync(join(b.dir, 'trace'), 'utf8'), /cgroup\.kill/);
  await waitFor(() => state(id).status === 'stopped', { what: 'the container stopped' });
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b, cgroups: dirs });
});

test('a new cgroup namespace is rooted in the container\'s cgroups (every hierarchy shows "/")', async () => {
  for (const resources of [{ pids: { limit: 50 } }, undefined]) {
    const b = bundle({
      args: ['sh', '-c', 'cat /proc/self/cgroup; ls /sys/fs/cgroup/pids.max 2>&1 || true'],
      mutate: (c) => {
        c.linux.namespaces.push({ type: 'cgroup' });
        c.linux.cgroupsPath = `/${newId('cgns')}`;
        if (resources) c.linux.resources = resources;
        c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      },
    });
    const out = ok(rt(['run', '--bundle', b.dir, newId('cgns')]), JSON.stringify(resources)).stdout;
    const lines = out.trim().split('\n').filter((l) => /^\d+:/.test(l));
    assert.ok(lines.length > 0, out);
    for (const l of lines) assert.is(l.slice(l.lastIndexOf(':') + 1), '/', `${l} (${JSON.stringify(resources)})\n${out}`);
  }
});

test('a --pid-file that cannot be written fails create after init is in its cgroups: they are removed', async () => {
  const id = newId('cgpf');
  const b = bundle({ args: ['true'], config: { linux: { cgroupsPath: '/' + id, resources: { pids: { limit: 10 } } } } });
  const r = rt(['create', '--bundle', b.dir, '--pid-file', join(b.dir, 'no-such-dir', 'pid'), id]);
  assert.ok(r.status !== 0, 'create fails');
  await assertNoLeaks({ id, bundle: b });
});

test('two containers under a parent cgroup the first create made: either can be deleted first', async () => {
  const parent = newId('cgpar');
  const ids = [newId('cga'), newId('cgb')];
  const b = ids.map((id) => bundle({ args: ['sleep', '60'], config: { linux: { cgroupsPath: `/${parent}/${id}`, resources: { pids: { limit: 20 } } } } }));
  const parentDirs = () => readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, parent)).filter((d) => existsSync(d));
  try {
    ok(rt(['create', '--bundle', b[0].dir, ids[0]]));
    ok(rt(['create', '--bundle', b[1].dir, ids[1]]));
    // the first one's create made the parent; deleting it first must not wait for, or fail
    // on, the parent the second container still lives in
    ok(rt(['delete', '--force', ids[0]]));
    assert.is(state(ids[0]), null, 'the first container is gone');
    assert.ok(parentDirs().length > 0, 'the parent stays while the second container is in it');
    assert.ok(parentDirs().every((d) => !existsSync(join(d, ids[0]))), 'the first container\'s cgroups are removed');
    ok(rt(['delete', '--force', ids[1]]));
    await assertNoLeaks({ id: ids[0], bundle: b[0] });
    await assertNoLeaks({ id: ids[1], bundle: b[1] });
  } finally {
    for (const id of ids) rt(['delete', '--force', id]);
    // neither container knows whether it made the parent last: it stays (runc never removes it)
    for (const d of parentDirs()) { try { rmdirSync(d); } catch {} }
  }
});

test('fields the host cannot honour fail with the field named; nothing is left behind', async () => {
  if (skipFor(!isTsrun, 'the error texts are tsrun\'s')) return;
  const cases = [
    [{ network: { classID: 0x100001 } }, /linux\.resources\.network\.classID: the net_cls controller is not available on this host/],
    [{ rdma: { mlx5_0: { hcaHandles: 2 } } }, /linux\.resources\.rdma\.mlx5_0: the rdma controller is not available on this host/],
    [{ unified: { 'memory.max': '1000000' } }, /unified\.memory\.max: the memory controller is not on this host's cgroup v2 hierarchy/],
    [{ unified: { 'hugetlb.bogus': '1' } }, /unified\.hugetlb\.bogus: this kernel has no hugetlb\.bogus/],
    [{ hugepageLimits: [{ pageSize: '64KB', limit: 1 }] }, /hugepageLimits\[0\]\.limit: this kernel has no hugetlb\.64KB\.max/],
    [{ blockIO: { leafWeight: 100 } }, /blockIO\.leafWeight: this kernel has no blkio\.leaf_weight/],
    [{ memory: { kernel: 1 << 20 } }, /memory\.kernel: this kernel no longer limits kernel memory/],
    [{ pids: { limit: 10 }, blockIO: { weightDevice: [{ major: 1, minor: 3, weight: 100 }] } }, /blockIO\.weightDevice\[0\]\.weight: /],
    [{ memory: { limit: 4096 } }, /container init: was killed by the OOM killer before it was ready: linux\.resources\.memory\.limit is too low/],
  ];
  for (const [resources, re] of cases) {
    const b = bundle({ args: ['true'], config: { linux: { resources } } });
    const id = newId('cgbad');
    assert.match(fails(rt(['create', '--bundle', b.dir, id]), JSON.stringify(resources)), re);
    await assertNoLeaks({ id, bundle: b });
  }
  assert.match(fails(rt(['create', '--bundle', bundle().dir, newId('sd')], { global: ['--systemd-cgroup'] })), /--systemd-cgroup: systemd is not running on this host/);
});

test.run();
