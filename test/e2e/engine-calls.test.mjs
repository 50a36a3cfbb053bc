// The runtime calls container engines make that the other files do not cover (observed with
// Docker, containerd's runc shim and podman; test/engines/run.sh drives the real engines):
// idempotent clean-up (`delete --force` of a gone id, `kill --all ID 9` after init exited),
// a shared PID namespace whose init exits before its children (`docker stop` of a
// `--pid host` container), and `update --resources -` with Docker's whole objects of zeros.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { chmodSync, chownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import {
  WORK, assertNoLeaks, inside, bundle, fails, newId, ok, pidAlive, rt, setup, state, waitFor, waitOutput, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

const engineGlobals = (log) => ['--log', log, '--log-format', 'json'];

test('delete --force of an id that is gone exits 0 (the shim deletes twice); plain delete fails', () => {
  const id = newId('gone');
  const log = join(WORK, 'gone.log');
  ok(rt(['delete', '--force', id], { global: engineGlobals(log) }), 'delete --force of a gone id');
  fails(rt(['delete', id]), 'delete of a gone id');
  const b = bundle({ args: ['true'] });
  ok(rt(['run', '--bundle', b.dir, id]));
  ok(rt(['delete', '--force', id], { global: engineGlobals(log) }), 'delete --force after run removed it');
});

test('kill --all ID 9 of a stopped container exits 0; kill ID 9 fails', async () => {
  const b = bundle({ args: ['true'] });
  const id = newId('kstop');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitStatus(id, 'stopped');
  ok(rt(['kill', '--all', id, '9']), 'kill --all of a stopped container');
  fails(rt(['kill', id, '9']), 'kill of a stopped container');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

// init exits, its child lives on: in the host PID namespace nothing kills it but the runtime.
function orphaningBundle() {
  return bundle({
    args: ['sh', '-c', 'sleep 1000 & echo child=$!'],
    mutate: (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid'); },
  });
}

async function startOrphaning(tag) {
  const b = orphaningBundle();
  const id = newId(tag);
  const c = ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitOutput(c, /child=\d+/);
  const child = Number(/child=(\d+)/.exec(c.read())[1]);
  await waitStatus(id, 'stopped');
  assert.ok(pidAlive(child), 'the child outlives init');
  return { b, id, child };
}

test('host PID namespace: kill --all ID 9 after init exited kills the processes left', async () => {
  const { b, id, child } = await startOrphaning('korph');
  ok(rt(['kill', '--all', id, '9']));
  await waitFor(() => !pidAlive(child), { what: `process ${child} killed` });
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('host PID namespace: delete of the stopped container kills the processes left', async () => {
  const { b, id, child } = await startOrphaning('dorph');
  ok(rt(['delete', id]));
  await waitFor(() => !pidAlive(child), { what: `process ${child} killed` });
  await assertNoLeaks({ id, bundle: b });
});

test('update --resources - with Docker\'s whole objects: zeros are "unchanged", values applied', async () => {
  const b = bundle({ args: ['sleep', '60'] });
  const id = newId('dupd');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  // what docker update --memory 96m --pids-limit 40 sends (Docker 20.10)
  const body = {
    memory: { limit: 96 * 1024 * 1024, reservation: 0, swap: 0, kernel: 0, kernelTCP: 0 },
    cpu: { shares: 0, quota: 0, period: 0, realtimeRuntime: 0, realtimePeriod: 0, cpus: '', mems: '' },
    pids: { limit: 40 },
    blockIO: { weight: 0 },
  };
  ok(rt(['update', '--resources', '-', id], { input: JSON.stringify(body), global: engineGlobals(join(WORK, 'upd.log')) }));
  const cg = (ctl, file) => {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === ctl);
    return readFileSync(`/sys/fs/cgroup/${ctl}${line.split(':')[2]}/${file}`, 'utf8').trim();
  };
  assert.is(cg('memory', 'memory.limit_in_bytes'), String(96 * 1024 * 1024));
  assert.is(cg('pids', 'pids.max'), '40');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('update raising memory and memory+swap together (the swap limit has to go first)', async () => {
  const b = bundle({ args: ['sleep', '60'], mutate: (c) => { c.linux.resources.memory = { limit: 64 << 20, swap: 64 << 20 }; } });
  const id = newId('dswap');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  const body = { memory: { limit: 128 << 20, swap: 256 << 20 } };
  ok(rt(['update', '--resources', '-', id], { input: JSON.stringify(body) }));
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === 'memory');
  const dir = `/sys/fs/cgroup/memory${line.split(':')[2]}`;
  assert.is(readFileSync(`${dir}/memory.limit_in_bytes`, 'utf8').trim(), String(128 << 20));
  assert.is(readFileSync(`${dir}/memory.memsw.limit_in_bytes`, 'utf8').trim(), String(256 << 20));
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('the cgroup mount (no cgroup namespace) shows the container\'s own cgroups, not the hierarchy roots', async () => {
  const out = inside('cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; echo 5 2>/dev/null > /sys/fs/cgroup/pids/pids.max && echo writable; true', {
    mutate: (c) => { c.linux.resources.memory = { limit: 48 << 20 }; c.linux.resources.pids = { limit: 30 }; },
  });
  assert.is(out.trim(), `${48 << 20}\n30`);
});

test('linux.devices only makes the node: the device cgroup allows what resources.devices says (docker --device X:r)', () => {
  const out = inside('echo x 2>&1 > /dev/lc; true', {
    mutate: (c) => {
      c.linux.devices = [{ path: '/dev/lc', type: 'c', major: 10, minor: 237, fileMode: 0o666 }];
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 237, access: 'r' });
    },
  });
  assert.match(out, /Operation not permitted/);
});

test('a missing executable: the error says "no such file or directory" (Docker then exits 127)', () => {
  const b = bundle({ args: ['/no/such/binary'] });
  const id = newId('noexe');
  const log = join(WORK, 'noexe.log');
  fails(rt(['create', '--bundle', b.dir, id], { global: engineGlobals(log) }));
  const last = readFileSync(log, 'utf8').trim().split('\n').pop();
  assert.match(JSON.parse(last).msg, /\/no\/such\/binary.*no such file or directory/);
});

test('tmpfs with tmpcopyup (podman --tmpfs) starts with the directory\'s content, modes and owners; the image is untouched', () => {
  const script = 'grep " /data " /proc/mounts | cut -d" " -f3; stat -c "%a %u:%g %n" /data/f /data/sub /data/sub/g; ' +
    'readlink /data/l; cat /data/sub/g; echo new > /data/new && echo written';
  const b = bundle({
    args: ['sh', '-c', script],
    mutate: (c, bd) => {
      const d = join(bd.rootfs, 'data');
      mkdirSync(join(d, 'sub'), { recursive: true });
      writeFileSync(join(d, 'f'), 'x');
      chmodSync(join(d, 'f'), 0o640);
      chownSync(join(d, 'f'), 1000, 1000);
      chmodSync(join(d, 'sub'), 0o750);
      writeFileSync(join(d, 'sub', 'g'), 'deep');
      symlinkSync('sub/g', join(d, 'l'));
      c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup'] });
    },
  });
  const id = newId('copyup');
  const r = ok(rt(['run', '--bundle', b.dir, id]));
  assert.is(r.stdout, 'tmpfs\n640 1000:1000 /data/f\n750 0:0 /data/sub\n644 0:0 /data/sub/g\nsub/g\ndeepwritten\n');
  assert.not.ok(existsSync(join(b.rootfs, 'data', 'new')), 'the write went to the tmpfs, not the image');
});

test('tmpcopyup with ro: filled, then read-only', () => {
  const b = bundle({
    args: ['sh', '-c', 'cat /data/f; echo y 2>/dev/null > /data/f || echo refused'],
    mutate: (c, bd) => {
      mkdirSync(join(bd.rootfs, 'data'));
      writeFileSync(join(bd.rootfs, 'data', 'f'), 'x\n');
      c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] });
    },
  });
  const r = ok(rt(['run', '--bundle', b.dir, newId('copyro')]));
  assert.is(r.stdout, 'x\nrefused\n');
});

test('linux.devices fileMode with the file type bits (podman --device sends 0o20666)', () => {
  const out = inside('stat -c "%F %a" /dev/lc', {
    mutate: (c) => { c.linux.devices = [{ path: '/dev/lc', type: 'c', major: 10, minor: 237, fileMode: 0o20640 }]; },
  });
  assert.is(out, 'character special file 640\n');
});

test('a config naming its cgroup (engines) gets memory, pids, cpu and cpuacct cgroups without limits (docker stats reads them)', async () => {
  const b = bundle({ args: ['grep', '-E', ':(memory|pids|cpu|cpuacct):', '/proc/self/cgroup'] });
  const id = newId('acct');
  b.config.linux.cgroupsPath = `/${id}`;
  b.write();
  const r = ok(rt(['run', '--bundle', b.dir, id]));
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 4, r.stdout);
  for (const l of lines) assert.ok(l.endsWith(`:/${id}`), l);
  await assertNoLeaks({ id, bundle: b });
});

test.run();
