// The container's filesystem: the mount table, /dev, linux.devices, read-only rootfs,
// maskedPaths, readonlyPaths, bind and tmpfs mounts with options, relative destinations,
// symlinks that point out of the rootfs, --no-pivot, rootfsPropagation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WORK, assertNoLeaks, bundle, mountsMentioning, newId, ok, parseMountinfo, rt, runSh, setup,
  inside,
} from '../lib/runtime.mjs';
import { BUSYBOX, baseConfig } from '../lib/bundle.mjs';

setup(test);

const mountsInside = (bundleOpts = {}, runOpts) => parseMountinfo(inside('cat /proc/self/mountinfo', bundleOpts, runOpts));
const byPoint = (ms) => new Map(ms.map((m) => [m.mountpoint, m])); // the last (top) mount wins
const opts = (m) => new Set(m.options.split(','));
const sopts = (m) => new Set(m.superOptions.split(','));

let shareSeq = 0;
// A host directory (outside any bundle) with a file in it.
function hostDir(content = 'from-host\n') {
  const d = join(WORK, `hostshare-${shareSeq++}`);
  mkdirSync(d);
  writeFileSync(join(d, 'data.txt'), content);
  return d;
}

test('default mount table (the runc spec mounts)', () => {
  const r = ok(runSh('cat /proc/self/mountinfo'));
  const ms = parseMountinfo(r.stdout);
  const at = byPoint(ms);
  const root = at.get('/');
  assert.ok(root, 'a root mount');
  assert.ok(root.root.endsWith('/rootfs'), `root mount is the bundle rootfs: ${root.line}`);

  const want = {
    '/proc': { type: 'proc' },
    '/dev': { type: 'tmpfs', opts: ['nosuid'], sopts: ['mode=755', 'size=65536k'] },
    '/dev/pts': { type: 'devpts', opts: ['nosuid', 'noexec'], sopts: ['mode=620', 'ptmxmode=666', 'gid=5'] },
    '/dev/shm': { type: 'tmpfs', opts: ['nosuid', 'nodev', 'noexec'], sopts: ['size=65536k'] },
    '/dev/mqueue': { type: 'mqueue', opts: ['nosuid', 'nodev', 'noexec'] },
    '/sys': { type: 'sysfs', opts: ['ro', 'nosuid', 'nodev', 'noexec'] },
  };
  for (const [point, w] of Object.entries(want)) {
    const m = at.get(point);
    assert.ok(m, `${point} is mounted:\n${r.stdout}`);
    assert.is(m.fstype, w.type, `${point} type`);
    for (const o of w.opts || []) assert.ok(opts(m).has(o), `${point} has ${o}: ${m.line}`);
    for (const o of w.sopts || []) assert.ok(sopts(m).has(o), `${point} has ${o}: ${m.line}`);
  }
  // strictatime on /dev: neither relatime nor noatime
  assert.not.ok(opts(at.get('/dev')).has('relatime') || opts(at.get('/dev')).has('noatime'), at.get('/dev').line);
  // /sys/fs/cgroup: a cgroup view, and every cgroup hierarchy in it is read-only
  const cg = at.get('/sys/fs/cgroup');
  assert.ok(cg, '/sys/fs/cgroup is mounted');
  assert.ok(['cgroup', 'cgroup2', 'tmpfs'].includes(cg.fstype), cg.line);
  for (const m of ms.filter((x) => x.mountpoint.startsWith('/sys/fs/cgroup') && x.fstype.startsWith('cgroup'))) {
    assert.ok(opts(m).has('ro'), `cgroup mount read-only: ${m.line}`);
  }
  // nothing else: no host mount leaks in, the old root is gone
  const cfg = baseConfig();
  const allowed = new Set(['/', ...Object.keys(want), ...cfg.linux.maskedPaths, ...cfg.linux.readonlyPaths]);
  for (const m of ms) {
    if (m.mountpoint.startsWith('/sys/fs/cgroup')) continue;
    assert.ok(allowed.has(m.mountpoint), `unexpected mount in the container: ${m.line}`);
  }
  // the masked/readonly entries that exist on this kernel are there
  for (const p of cfg.linux.readonlyPaths) {
    if (existsSync(p)) assert.ok(at.has(p) && opts(at.get(p)).has('ro'), `${p} is a read-only mount`);
  }
});

test('/dev: device nodes, links, and they work', () => {
  const out = inside([
    'for f in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$f; done',
    'for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done',
    'test -c /dev/pts/ptmx && echo pts-ptmx',
    'echo discard > /dev/null && echo null-ok',
    'head -c 4 /dev/zero | od -An -tx1',
    'head -c 16 /dev/urandom | wc -c',
    'if echo x > /dev/full; then echo full-accepted; else echo full-refused; fi',
    'echo via-fd >> /dev/stdout', // append: stdout may be a file the test reads
  ].join('; '));
  const lines = out.split('\n');
  const dev = { null: '1:3', zero: '1:5', full: '1:7', random: '1:8', urandom: '1:9', tty: '5:0' };
  for (const [n, mm] of Object.entries(dev)) {
    assert.ok(lines.includes(`/dev/${n} character special file ${mm} 666`), `/dev/${n} ${mm} 0666 in\n${out}`);
  }
  for (const [l, target] of [['ptmx', 'pts/ptmx'], ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']]) {
    assert.ok(lines.includes(`${l} -> ${target}`), `/dev/${l} -> ${target} in\n${out}`);
  }
  for (const want of ['pts-ptmx', 'null-ok', ' 00 00 00 00', '16', 'full-refused', 'via-fd']) {
    assert.ok(lines.includes(want), `${want} in\n${out}`);
  }
});

test('linux.devices are created with type, numbers, mode and owner', () => {
  const out = inside('stat -c "%n %F %t:%T %a %u %g" /dev/fuse /dev/loop-control /dev/sub/mydev', {
    config: {
      linux: {
        devices: [
          { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 0, gid: 5 },
          { path: '/dev/loop-control', type: 'c', major: 10, minor: 237, fileMode: 0o600, uid: 1000, gid: 1000 },
          { path: '/dev/sub/mydev', type: 'b', major: 7, minor: 200, fileMode: 0o660, uid: 0, gid: 0 },
        ],
      },
    },
  });
  assert.equal(out.trim().split('\n'), [
    '/dev/fuse character special file a:e5 640 0 5',
    '/dev/loop-control character special file a:ed 600 1000 1000',
    '/dev/sub/mydev block special file 7:c8 660 0 0',
  ]);
});

test('root.readonly: the rootfs is read-only, /dev and /dev/shm stay writable', () => {
  const script = 'touch /x 2>/dev/null && echo root-rw || echo root-ro; touch /tmp/x 2>/dev/null && echo tmp-rw || echo tmp-ro; ' +
    'touch /dev/x && echo dev-rw; touch /dev/shm/x && echo shm-rw; awk \'$5 == "/"\' /proc/self/mountinfo';
  const out = inside(script, { config: { root: { readonly: true } } });
  const lines = out.split('\n');
  for (const w of ['root-ro', 'tmp-ro', 'dev-rw', 'shm-rw']) assert.ok(lines.includes(w), `${w} in\n${out}`);
  const [root] = parseMountinfo(lines.slice(4).join('\n'));
  assert.ok(opts(root).has('ro'), root.line);
  const rw = inside(script);
  assert.ok(rw.startsWith('root-rw\ntmp-rw\n'), rw);
});

test('maskedPaths: files read empty, directories look empty and are read-only', () => {
  const files = { 'rootfs/etc/secret.txt': 'top-secret\n', 'rootfs/secretdir/inner.txt': 'hidden\n' };
  const out = inside([
    'echo "[$(cat /etc/secret.txt)]"', 'echo "[$(ls -A /secretdir)]"',
    'touch /secretdir/new 2>/dev/null && echo dir-writable || echo dir-ro',
    'echo "[$(cat /proc/keys)]"', 'test -e /nonexistent-masked && echo created || echo absent',
  ].join('; '), {
    files,
    mutate: (c) => { c.linux.maskedPaths.push('/etc/secret.txt', '/secretdir', '/nonexistent-masked'); },
  });
  assert.equal(out.split('\n'), ['[]', '[]', 'dir-ro', '[]', 'absent', '']);
  // the baseline masks /proc/kcore (absent on some kernels) and /proc/keys
  const kcore = inside('test -e /proc/kcore && wc -c < /proc/kcore || echo 0');
  assert.is(kcore.trim(), '0');
});

test('readonlyPaths: remounted read-only', () => {
  const out = inside([
    'echo 1 > /proc/sys/kernel/shm_rmid_forced 2>/dev/null && echo procsys-rw || echo procsys-ro',
    'touch /etc/x 2>/dev/null && echo etc-rw || echo etc-ro',
    'touch /tmp/x && echo tmp-rw',
    'grep " /etc " /proc/self/mountinfo',
  ].join('; '), { mutate: (c) => { c.linux.readonlyPaths.push('/etc', '/does/not/exist'); } });
  const lines = out.split('\n');
  assert.equal(lines.slice(0, 3), ['procsys-ro', 'etc-ro', 'tmp-rw']);
  assert.ok(opts(parseMountinfo(lines[3])[0]).has('ro'), lines[3]);
});

test('bind mounts: rw and ro, directories and files, destinations created', async () => {
  const dir = hostDir();
  const file = join(dir, 'data.txt');
  const b = bundle({
    args: ['sh', '-c', [
      'cat /mnt/ro/data.txt', 'echo written > /mnt/rw/new.txt && echo rw-ok',
      'echo nope > /mnt/ro/new2.txt 2>/dev/null && echo ro-writable || echo ro-refused',
      'cat /etc/hostfile', 'cat /deep/er/path/data.txt',
      'grep -E " /mnt/(ro|rw) " /proc/self/mountinfo',
    ].join('; ')],
    mutate: (c) => {
      c.mounts.push(
        { destination: '/mnt/rw', type: 'bind', source: dir, options: ['rbind', 'rw'] },
        { destination: '/mnt/ro', type: 'bind', source: dir, options: ['bind', 'ro'] },
        { destination: '/etc/hostfile', type: 'none', source: file, options: ['bind', 'ro'] },
        { destination: '/deep/er/path', source: dir, options: ['rbind', 'ro'] },
      );
    },
  });
  const id = newId('bind');
  const r = ok(rt(['run', '--bundle', b.dir, id]));
  const lines = r.stdout.split('\n');
  assert.equal(lines.slice(0, 5), ['from-host', 'rw-ok', 'ro-refused', 'from-host', 'from-host']);
  const ms = parseMountinfo(lines.slice(5).join('\n'));
  assert.ok(opts(byPoint(ms).get('/mnt/ro')).has('ro'));
  assert.ok(opts(byPoint(ms).get('/mnt/rw')).has('rw'));
  assert.is(readFileSync(join(dir, 'new.txt'), 'utf8'), 'written\n', 'a write through the rw bind reaches the host');
  assert.not.ok(existsSync(join(dir, 'new2.txt')));
  assert.equal(mountsMentioning(dir), [], 'no bind mount visible on the host');
  await assertNoLeaks({ id, bundle: b });
});

test('bind mount options nosuid/nodev/noexec are applied', () => {
  const dir = hostDir();
  copyFileSync(BUSYBOX, join(dir, 'busybox'));
  const out = inside([
    '/mnt/exec/busybox true && echo exec-ok',
    '/mnt/noexec/busybox true 2>/dev/null && echo noexec-ran || echo noexec-refused',
    'grep -E " /mnt/(exec|noexec) " /proc/self/mountinfo',
  ].join('; '), {
    mutate: (c) => {
      c.mounts.push(
        { destination: '/mnt/exec', type: 'bind', source: dir, options: ['bind', 'ro'] },
        { destination: '/mnt/noexec', type: 'bind', source: dir, options: ['bind', 'nosuid', 'nodev', 'noexec'] },
      );
    },
  });
  const lines = out.split('\n');
  assert.equal(lines.slice(0, 2), ['exec-ok', 'noexec-refused']);
  const m = byPoint(parseMountinfo(lines.slice(2).join('\n'))).get('/mnt/noexec');
  for (const o of ['nosuid', 'nodev', 'noexec']) assert.ok(opts(m).has(o), `${o}: ${m.line}`);
});

test('tmpfs mount options: flags, size, mode, atime', () => {
  const out = inside([
    'stat -c %a /scratch',
    'dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>/dev/null && echo fits || echo full',
    'grep -E " /(scratch|na) " /proc/self/mountinfo',
  ].join('; '), {
    mutate: (c) => {
      c.mounts.push(
        { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1770'] },
        { destination: '/na', type: 'tmpfs', source: 'tmpfs', options: ['noatime', 'ro'] },
      );
    },
  });
  const lines = out.split('\n');
  assert.equal(lines.slice(0, 2), ['1770', 'full']);
  const at = byPoint(parseMountinfo(lines.slice(2).join('\n')));
  const s = at.get('/scratch');
  assert.is(s.fstype, 'tmpfs');
  for (const o of ['nosuid', 'nodev', 'noexec']) assert.ok(opts(s).has(o), `${o}: ${s.line}`);
  assert.ok(sopts(s).has('size=1024k'), s.line);
  assert.ok(sopts(s).has('mode=1770'), s.line);
  const na = at.get('/na');
  assert.ok(opts(na).has('noatime') && opts(na).has('ro'), na.line);
});

test('a relative mount destination is taken relative to /', () => {
  const out = inside('grep " /rel " /proc/self/mountinfo; stat -c %a /rel', {
    mutate: (c) => { c.mounts.push({ destination: 'rel', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] }); },
  });
  const [line, mode] = out.trim().split('\n');
  assert.is(parseMountinfo(line)[0].fstype, 'tmpfs');
  assert.is(mode, '700');
});

test('mounts on a fresh tmpfs: a target an earlier entry already made there is found, not re-made', () => {
  // tsrun skips the lookup of a direct child of a tmpfs it just mounted (it cannot exist yet),
  // unless an entry in between made it: here the bind makes /t/a (as /t/a/b), then /t/a is mounted.
  const share = hostDir('x\n');
  const out = inside('grep -E " /t(/a|/a/b|/c)? " /proc/self/mountinfo | cut -d" " -f5,9; cat /t/a/b/data.txt 2>/dev/null || echo covered', {
    mutate: (c) => {
      c.mounts.push(
        { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] },
        { destination: '/t/a/b', type: 'bind', source: share, options: ['rbind', 'ro'] },
        { destination: '/t/a', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] },
        { destination: '/t/c', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] },
      );
    },
  });
  const lines = out.trim().split('\n');
  assert.equal(lines, ['/t tmpfs', '/t/a/b ' + lines[1].split(' ')[1], '/t/a tmpfs', '/t/c tmpfs', 'covered']);
});

test('a symlink in the rootfs pointing outside it never makes a mount outside the rootfs', async () => {
  // Docker images have such links (/var/run -> /run); runc resolves them inside the rootfs.
  const victim = hostDir('victim\n');
  const victim2 = hostDir('victim2\n');
  const share = hostDir('shared\n');
  const b = bundle({
    args: ['sh', '-c', 'echo x > /evil/written && echo wrote; cat /evil2/data.txt; grep -c " tmpfs " /proc/self/mountinfo >/dev/null && echo ok'],
    mutate: (c, bb) => {
      symlinkSync(victim, join(bb.rootfs, 'evil'));                          // absolute, out of the rootfs
      symlinkSync(`../../../../../../../..${victim2}`, join(bb.rootfs, 'evil2')); // relative, climbing out
      c.mounts.push(
        { destination: '/evil', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
        { destination: '/evil2', type: 'bind', source: share, options: ['bind', 'ro'] },
      );
    },
  });
  const id = newId('sym');
  const r = rt(['run', '--bundle', b.dir, id]);
  // whatever the runtime decides, the host directories are untouched and nothing is mounted there
  assert.equal(readdirSync(victim), ['data.txt'], 'nothing written to the host dir through the symlink');
  assert.equal(readdirSync(victim2), ['data.txt']);
  assert.equal(mountsMentioning(victim), []);
  assert.equal(mountsMentioning(victim2), []);
  // like runc, the link is resolved inside the rootfs and the mounts happen there
  ok(r, 'run with symlinked mount destinations');
  assert.equal(r.stdout.split('\n').slice(0, 2), ['wrote', 'shared']);
  assert.ok(existsSync(join(b.rootfs, victim)), 'the tmpfs mountpoint was created inside the rootfs');
  await assertNoLeaks({ id, bundle: b });
});

test('--no-pivot: the container still sees only its rootfs', () => {
  const out = inside(`ls /; test -e ${WORK} && echo host-visible || echo host-hidden; cat /etc/passwd | head -1`, {}, { flags: ['--no-pivot'] });
  const lines = out.split('\n');
  assert.ok(lines.includes('host-hidden'), out);
  assert.ok(lines.includes('root:x:0:0:root:/root:/bin/sh'), out);
  assert.ok(lines.includes('bin') && lines.includes('proc'), out);
});

test('root.path may be absolute and outside the bundle', () => {
  const other = bundle({ noConfig: true, files: { 'rootfs/etc/marker': 'outside\n' } });
  const out = inside('cat /etc/marker', { noRootfs: true, mutate: (c) => { c.root.path = other.rootfs; } });
  assert.is(out, 'outside\n');
});

test('rootfsPropagation: accepted values; private leaves the root mount unshared', () => {
  // (how "shared"/"slave" show up inside depends on the host's own propagation: only the
  //  values being accepted is checked for those)
  for (const prop of ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']) {
    const line = inside('awk \'$5 == "/"\' /proc/self/mountinfo', { config: { linux: { rootfsPropagation: prop } } });
    const root = parseMountinfo(line)[0];
    if (prop.endsWith('private')) assert.equal(root.optional, [], `${prop}: ${line}`);
  }
});

test.run();
