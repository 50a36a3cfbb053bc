// Idmapped bind mounts (mounts[].uidMappings/gidMappings, the "idmap"/"ridmap" options) and
// recursive mount attributes ("rro", "rnosuid", "rnoexec", ...): the owner of files as the container sees them, the
// owner on the host of files the container creates, and bad input.
// runc 1.1 has no idmapped mounts: those tests are skipped for it (rro runs on both).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WORK, assertNoLeaks, bundle, fails, isRunc, newId, ok, rt, runSh, setup, skipFor, state,
} from '../lib/runtime.mjs';

setup(test);

const USERNS = { containerID: 0, hostID: 200000, size: 65536 };
let seq = 0;

// A host directory with a file owned by root and one owned by 1000:1000.
function hostDir() {
  const dir = join(WORK, `idm-${seq++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'root-file'), 'r');
  writeFileSync(join(dir, 'user-file'), 'u');
  chownSync(join(dir, 'user-file'), 1000, 1000);
  return dir;
}

function withUserns(c, b) {
  mkdirSync(join(b.rootfs, 'mnt')); // the rootfs is not writable by the container's root
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [USERNS];
  c.linux.gidMappings = [USERNS];
  delete c.linux.resources;
  // (cgroup v1 cannot be mounted in a user namespace; runc refuses, tsrun binds)
  c.mounts = c.mounts.filter((m) => m.type !== 'cgroup');
}

function mountOf(source, options, extra = {}) {
  return { destination: '/mnt', type: 'bind', source, options, ...extra };
}

const owners = 'cd /mnt && for f in root-file user-file; do stat -c "%u:%g" $f; done; touch new-file';

test('idmap in a user namespace: host-owned files keep their owners inside, new files get the mapped host owner', async () => {
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts')) return;
  const plain = hostDir();
  const r0 = ok(runSh(owners.replace('; touch new-file', ''), { mutate: (c, b) => { withUserns(c, b); c.mounts.push(mountOf(plain, ['bind'])); } }));
  assert.equal(r0.stdout.split('\n'), ['65534:65534', '65534:65534', ''], 'control: without idmap the host ids are unmapped');

  const dir = hostDir();
  const r = ok(runSh(owners, { mutate: (c, b) => { withUserns(c, b); c.mounts.push(mountOf(dir, ['bind', 'idmap'])); } }));
  assert.equal(r.stdout.split('\n'), ['0:0', '1000:1000', ''], 'owners seen through the idmapped mount');
  const st = statSync(join(dir, 'new-file'));
  assert.equal([st.uid, st.gid], [0, 0], 'a file created by the container root is owned by host root');
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

test("idmap in a container that joins another container's user namespace uses that namespace", async () => {
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts')) return;
  const a = bundle({ args: ['sleep', '1000'], mutate: (c, b) => { withUserns(c, b); } });
  const idA = newId('owner');
  ok(rt(['run', '-d', '--bundle', a.dir, idA]));
  const pidA = state(idA).pid;
  const dir = hostDir();
  const r = ok(runSh('cd /mnt && stat -c "%u:%g" root-file user-file; cat /proc/self/uid_map', {
    mutate: (c, b) => {
      mkdirSync(join(b.rootfs, 'mnt'));
      c.linux.namespaces.push({ type: 'user', path: `/proc/${pidA}/ns/user` });
      delete c.linux.resources;
      c.mounts = c.mounts.filter((m) => m.type !== 'cgroup');
      c.mounts.push(mountOf(dir, ['bind', 'idmap']));
    },
  }));
  const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(lines, ['0:0', '1000:1000', `0 ${USERNS.hostID} ${USERNS.size}`, '']);
  ok(rt(['delete', '--force', idA]));
  await assertNoLeaks({ id: idA, bundle: a });
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

test('mounts[].uidMappings/gidMappings without a user namespace: the mount\'s own mapping', async () => {
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts')) return;
  const dir = hostDir();
  chownSync(join(dir, 'root-file'), 1234, 1234);
  chownSync(dir, 1234, 1234);
  // on-disk 1234 is seen as 0; on-disk 1000 is not mapped (overflow id)
  const map = [{ containerID: 1234, hostID: 0, size: 1 }];
  const r = ok(runSh(owners, { mutate: (c) => { c.mounts.push(mountOf(dir, ['bind'], { uidMappings: map, gidMappings: map })); } }));
  assert.equal(r.stdout.split('\n'), ['0:0', '65534:65534', '']);
  const st = statSync(join(dir, 'new-file'));
  assert.equal([st.uid, st.gid], [1234, 1234], 'root inside writes as on-disk 1234');
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

// dir with a tmpfs mounted on dir/sub (file sub/f owned by root); removed by the caller.
function dirWithSubmount() {
  const dir = hostDir();
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', sub]).status, 0, 'mount tmpfs');
  writeFileSync(join(sub, 'f'), 'x');
  return { dir, sub, remove: () => spawnSync('umount', ['-l', sub]) };
}

test('ridmap maps submounts of an rbind too, idmap only the top mount', async () => {
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts')) return;
  const t = dirWithSubmount();
  try {
    const script = 'stat -c "%u" /mnt/root-file /mnt/sub/f';
    const a = ok(runSh(script, { mutate: (c, b) => { withUserns(c, b); c.mounts.push(mountOf(t.dir, ['rbind', 'idmap'])); } }));
    assert.equal(a.stdout.split('\n'), ['0', '65534', ''], 'idmap: the submount is not mapped');
    const b = ok(runSh(script, { mutate: (c, b) => { withUserns(c, b); c.mounts.push(mountOf(t.dir, ['rbind', 'ridmap'])); } }));
    assert.equal(b.stdout.split('\n'), ['0', '0', ''], 'ridmap: the submount is mapped too');
    await assertNoLeaks({ id: b.id, bundle: b.bundle });
  } finally {
    t.remove();
  }
});

test('rro makes submounts of an rbind read-only, ro only the top mount', async () => {
  const t = dirWithSubmount();
  try {
    const script = 'touch /mnt/sub/w 2>/dev/null && echo sub-rw || echo sub-ro; touch /mnt/w 2>/dev/null && echo top-rw || echo top-ro';
    const a = ok(runSh(script, { mutate: (c) => { c.mounts.push(mountOf(t.dir, ['rbind', 'ro'])); } }));
    assert.is(a.stdout, 'sub-rw\ntop-ro\n');
    const b = ok(runSh(script, { mutate: (c) => { c.mounts.push(mountOf(t.dir, ['rbind', 'rro'])); } }));
    assert.is(b.stdout, 'sub-ro\ntop-ro\n');
    await assertNoLeaks({ id: b.id, bundle: b.bundle });
  } finally {
    t.remove();
  }
});

// Each recursive attribute on an rbind whose source has a tmpfs submount (mounted strictatime,
// so the atime modes show): the submount's per-mount options in the container's mountinfo,
// and the behaviour where it is easy to see (exec refused, symlink not followed).
test('recursive attributes reach the submount: rnosuid, rnodev, rnoexec, rnosymfollow, the atime family', async () => {
  const dir = hostDir();
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,strictatime', 'tmpfs', sub]).status, 0, 'mount tmpfs');
  try {
    writeFileSync(join(sub, 'f'), 'content\n');
    writeFileSync(join(sub, 'x'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    symlinkSync('f', join(sub, 'link'));
    const script = 'grep " /mnt/sub " /proc/self/mountinfo | cut -d" " -f6; /mnt/sub/x 2>/dev/null || echo no-exec; cat /mnt/sub/link 2>/dev/null || echo no-follow';
    const optsOf = (options) => {
      const r = ok(runSh(script, { mutate: (c) => { c.mounts.push(mountOf(dir, options)); } }), options.join(","));
      const [flags, ...rest] = r.stdout.trim().split('\n');
      return { flags: flags.split(',').filter((f) => f !== 'rw' && f !== 'ro'), rest, r };
    };
    const plain = optsOf(['rbind']);
    assert.equal(plain.flags, [], 'rbind alone: the submount keeps its options');
    assert.equal(plain.rest, ['ran', 'content']);
    const cases = [
      [['rnosuid'], ['nosuid']],
      [['rnodev'], ['nodev']],
      [['rnoexec'], ['noexec']],
      [['rnosymfollow'], ['nosymfollow']],
      [['rnoatime'], ['noatime']],
      [['rrelatime'], ['relatime']],
      [['rnodiratime'], ['nodiratime']],
    ];
    // Opposite options: the last wins (as mount(8)); runc 1.1.5 accumulates both sides (the
    // kernel then sets what it was asked to clear, and refuses two atime modes: EINVAL).
    if (!skipFor(isRunc, 'runc 1.1.5 ORs opposite recursive options ("rnosuid,rsuid" stays nosuid; "rnoatime,rstrictatime" is EINVAL)')) {
      cases.push([['rnosuid', 'rnodev', 'rnoexec', 'rsuid'], ['nodev', 'noexec']], [['rnoatime', 'rstrictatime'], []]);
    }
    for (const [options, want] of cases) {
      const got = optsOf(['rbind', ...options]);
      assert.equal(got.flags.sort(), [...want].sort(), options.join(','));
      assert.equal(got.rest, [want.includes('noexec') ? 'no-exec' : 'ran', want.includes('nosymfollow') ? 'no-follow' : 'content'], `${options.join(',')}: behaviour`);
      await assertNoLeaks({ id: got.r.id, bundle: got.r.bundle });
    }
    // rstrictatime against a noatime submount
    assert.is(spawnSync('mount', ['-o', 'remount,noatime', sub]).status, 0, 'remount noatime');
    assert.equal(optsOf(['rbind']).flags, ['noatime']);
    assert.equal(optsOf(['rbind', 'rstrictatime']).flags, [], 'rstrictatime');
  } finally {
    spawnSync('umount', ['-l', sub]);
  }
});

test('several uid/gid ranges written by root: every range is mapped, files show the ids of each', async () => {
  const maps = [{ containerID: 0, hostID: 300000, size: 1000 }, { containerID: 1000, hostID: 500000, size: 1000 }, { containerID: 5000, hostID: 700000, size: 10 }];
  const dir = join(WORK, `ranges-${seq++}`);
  mkdirSync(dir);
  for (const [name, hostId] of [['a', 300005], ['b', 500007], ['c', 700009], ['d', 900000]]) {
    writeFileSync(join(dir, name), name);
    chownSync(join(dir, name), hostId, hostId);
  }
  const r = ok(runSh('cat /proc/self/uid_map /proc/self/gid_map; cd /mnt && stat -c "%n %u %g" a b c d', {
    mutate: (c, b) => {
      withUserns(c, b);
      c.linux.uidMappings = maps;
      c.linux.gidMappings = maps;
      c.mounts.push(mountOf(dir, ['bind', 'ro']));
    },
  }));
  const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  const mapLines = maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`);
  assert.equal(lines.slice(0, 6), [...mapLines, ...mapLines]);
  assert.equal(lines.slice(6), ['a 5 5', 'b 1007 1007', 'c 5009 5009', 'd 65534 65534']);
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

async function createFails(mutate, what, match) {
  const b = bundle({ args: ['true'], mutate: (c, bb) => { mutate(c, bb); } });
  const id = newId('bad');
  const r = rt(['create', '--bundle', b.dir, id]);
  const line = fails(r, what, { oneLine: !isRunc });
  if (!isRunc && match) assert.match(line, match, `${what}: ${line}`);
  assert.is(state(id), null);
  await assertNoLeaks({ id, bundle: b });
  return line;
}

test('bad id mappings: overlapping ranges, beyond 4294967295, missing fields (linux and mounts)', async () => {
  const two = (m0, m1) => (c, b) => { withUserns(c, b); c.linux.uidMappings = [m0, m1]; };
  await createFails(two({ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 500, hostID: 300000, size: 10 }),
    'overlapping containerID ranges', /linux\.uidMappings\[1\]: containerID range overlaps linux\.uidMappings\[0\]/);
  await createFails(two({ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 5000, hostID: 100500, size: 10 }),
    'overlapping hostID ranges', /linux\.uidMappings\[1\]: hostID range overlaps/);
  await createFails((c, b) => { withUserns(c, b); c.linux.gidMappings = [{ containerID: 4294967290, hostID: 100000, size: 10 }]; },
    'containerID + size beyond 32 bits', /linux\.gidMappings\[0\]: containerID 4294967290 \+ size 10 exceeds 4294967295/);
  await createFails((c, b) => { withUserns(c, b); c.linux.uidMappings = [{ containerID: 0, hostID: 4294967295, size: 1 }]; },
    'hostID + size beyond 32 bits', /linux\.uidMappings\[0\]: hostID/);
  await createFails((c, b) => { withUserns(c, b); c.linux.uidMappings = [{ containerID: 0, hostID: 4294967296, size: 1 }]; },
    'hostID above 32 bits', /linux\.uidMappings\[0\]\.hostID/);
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts')) return;
  const m = (opts) => (c) => { c.mounts.push({ destination: '/mnt', type: 'bind', source: WORK, options: ['bind'], ...opts }); };
  const map = [{ containerID: 0, hostID: 100000, size: 10 }];
  await createFails(m({ uidMappings: map }), 'uidMappings without gidMappings', /mounts\[\d+\]\.gidMappings: idmapped mounts need both/);
  await createFails(m({ uidMappings: map, gidMappings: [map[0], { containerID: 5, hostID: 0, size: 1 }] }),
    'overlapping mount mappings', /mounts\[\d+\]\.gidMappings\[1\]: containerID range overlaps/);
  await createFails(m({ uidMappings: [{ containerID: 0, size: 1 }], gidMappings: map }), 'mapping without hostID', /hostID: is required/);
});

test('idmap refused where it cannot apply: not a bind mount, no mapping and no user namespace', async () => {
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts')) return;
  await createFails((c) => { c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }); },
    'idmap on tmpfs', /mounts\[\d+\]\.options: idmapped mounts are only supported for bind mounts/);
  await createFails((c) => { c.mounts.push({ destination: '/mnt', type: 'bind', source: WORK, options: ['rbind', 'ridmap'] }); },
    'ridmap without mappings or user namespace', /mounts\[\d+\]\.options: idmap without uidMappings\/gidMappings/);
  // a filesystem the kernel cannot idmap (sysfs): the kernel's error, nothing left behind
  const map = [{ containerID: 0, hostID: 100000, size: 10 }];
  await createFails((c) => { c.mounts.push({ destination: '/mnt', type: 'bind', source: '/sys/kernel', options: ['bind', 'idmap'], uidMappings: map, gidMappings: map }); },
    'idmap of sysfs', /idmap mount of \/sys\/kernel on \/mnt: invalid argument \(EINVAL\)/);
});

test.run();
