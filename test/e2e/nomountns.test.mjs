// Containers without a mount namespace (linux.namespaces without "mount", as runtime-tools'
// linux_ns_itype asks): init shares the runtime's mount namespace and chroot()s into
// root.path; `mounts` go under a bind of root.path onto itself that delete (or a failed
// create) detaches whole, so the host's mount table ends as it was. exec is chroot()ed into
// init's root too.
//
// runc and crun change the shared mount table in this case (runc makes "/" rslave, binds
// the rootfs onto itself and mounts `mounts` there, and leaves it all after delete): with
// them this file only runs inside a private mount namespace (`unshare -m --propagation
// private`), never against the host's own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  REPO, ROOT, RUNTIME, WORK, assertNoLeaks, bundle, fails, isRunc, isTsrun, mountinfo, newId, ok, pidAlive, rootFor, rt,
  rtAsync, setup, skipFor, state, waitFor, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

// In a mount namespace of our own (unshare -m) when an ancestor process is in another one.
function inPrivateMountNs() {
  const mine = readlinkSync('/proc/self/ns/mnt');
  for (let pid = process.ppid; pid > 1;) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== mine) return true;
      pid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
    } catch { return false; }
  }
  return false;
}
const inHostMountNs = !inPrivateMountNs();
const HAVE_STRACE = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
const unsafe = !isTsrun && inHostMountNs;
const UNSAFE = 'runc/crun change the shared mount table without a mount namespace: run this file under unshare -m';

// A config without a mount namespace, and without what needs one.
function noMountNs(c) {
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'mount');
  c.mounts = [];
  delete c.linux.maskedPaths;
  delete c.linux.readonlyPaths;
}

// The host's mounts tsrun could touch for a bundle: "/" and the mounts on the bundle's
// path (with their propagation fields), and anything mentioning the bundle.
function mountsAround(dir) {
  const ancestors = new Set(['/']);
  for (let d = dir; d !== '/'; d = dirname(d)) ancestors.add(d);
  return mountinfo().filter((m) => ancestors.has(m.mountpoint) || m.mountpoint.startsWith(`${dir}/`)
    || m.source.startsWith(`${dir}/`)).map((m) => m.line);
}

const NS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'];
const nsOf = (pid) => Object.fromEntries(NS.map((n) => [n, readlinkSync(`/proc/${pid}/ns/${n}`)]));

test("root.path / without a mount namespace: the process sees the host's root, as with runc", async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  const b = bundle({ args: ['sleep', '100'], mutate: (c) => { noMountNs(c); c.root.path = '/'; } });
  const id = newId('hostroot');
  ok(rt(['run', '-d', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  assert.is(readlinkSync(`/proc/${pid}/root`), '/');
  const script = 'readlink /proc/self/ns/mnt; ls /';
  const want = spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout;
  assert.is(ok(rt(['exec', id, 'sh', '-c', script])).stdout, want);
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('no mount namespace: init chroots into root.path, shares ours, the host mount table is unchanged', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  // runc closes fds through /proc/self/fd after the chroot: it needs a /proc in the rootfs,
  // which without a mount namespace only a mount (refused by tsrun) can give.
  if (skipFor(!isTsrun, 'runc and crun need /proc mounted in the rootfs')) return;
  const b = bundle({ args: ['sleep', '100'], mutate: noMountNs });
  const before = mountsAround(b.dir);
  const id = newId('nomnt');
  ok(rt(['create', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  assert.is(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'), 'init shares our mount namespace');
  assert.is(readlinkSync(`/proc/${pid}/root`), realpathSync(b.rootfs), 'init is chroot()ed into root.path');
  assert.equal(mountsAround(b.dir), before, 'nothing mounted while the container exists');
  ok(rt(['start', id]));
  // What the process sees: the rootfs as its /, its cwd inside it.
  const ls = ok(rt(['exec', id, 'sh', '-c', 'ls /; pwd']));
  assert.equal(ls.stdout.trim().split('\n'), [...readdirSync(b.rootfs).sort(), '/']);
  ok(rt(['kill', id, 'KILL']));
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
  assert.equal(mountsAround(b.dir), before, 'the host mount table after delete');
});

test('exec without a mount namespace runs in the container root, with the cwd checks', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  // runc 1.1.5 and crun 1.8.1 leave an exec'd process in the host's root here.
  if (skipFor(!isTsrun, 'runc and crun do not chroot an exec into the container root')) return;
  const b = bundle({ args: ['sleep', '100'], mutate: noMountNs, files: { 'rootfs/etc/only-here': 'x' } });
  const id = newId('nomntx');
  ok(rt(['run', '-d', '--bundle', b.dir, id]));
  assert.is(ok(rt(['exec', '--cwd', '/etc', id, 'sh', '-c', 'pwd; cat only-here'])).stdout, '/etc\nx');
  // The exec'd process is in init's root, not ours.
  const e = ok(rt(['exec', '-d', id, 'sleep', '100']));
  assert.is(e.code, 0);
  const pids = JSON.parse(ok(rt(['ps', '--format', 'json', id])).stdout);
  assert.is(pids.length, 2);
  for (const p of pids) assert.is(readlinkSync(`/proc/${p}/root`), realpathSync(b.rootfs));
  assert.match(fails(rt(['exec', '--cwd', '/nope', id, 'true'])), /chdir to cwd \/nope: .*ENOENT/);
  assert.match(fails(rt(['exec', id, '/bin/nope'])), /"\/bin\/nope": no such file or directory in the container/);
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('every namespace shared (runtime-tools linux_ns_itype): init reports the host namespaces', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  const b = bundle({
    args: ['sleep', '100'],
    mutate: (c) => { noMountNs(c); c.linux.namespaces = []; delete c.hostname; c.root.path = '/'; },
  });
  const id = newId('allhost');
  ok(rt(['create', '--bundle', b.dir, id]));
  assert.equal(nsOf(state(id).pid), nsOf('self'));
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('a network sysctl without a mount namespace is written through the host /proc', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  if (skipFor(!isTsrun, 'runc and crun write sysctls under the chroot, which has no /proc here')) return;
  const b = bundle({ args: ['sleep', '100'], mutate: (c) => { noMountNs(c); c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; } });
  const id = newId('nomnts');
  ok(rt(['create', '--bundle', b.dir, id]));
  const r = spawnSync('nsenter', ['-t', String(state(id).pid), '-n', 'cat', '/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' });
  assert.is(r.stdout, '1\n', r.stderr);
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('what needs a mount namespace is refused by field, nothing left', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  const cases = [
    ['linux.maskedPaths', (c) => { c.linux.maskedPaths = ['/proc/kcore']; }],
    ['linux.readonlyPaths', (c) => { c.linux.readonlyPaths = ['/proc/sys']; }],
    ['root.readonly', (c) => { c.root.readonly = true; }],
    ['linux.rootfsPropagation', (c) => { c.linux.rootfsPropagation = 'rslave'; }],
    ['linux.devices', (c) => { c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]; }],
  ];
  for (const [field, change] of cases) {
    // runc refuses masked and read-only paths too (with its own words) and accepts the rest;
    // crun accepts them all.
    if (!isTsrun && !(isRunc && field.endsWith('Paths'))) continue;
    const b = bundle({ args: ['true'], mutate: (c) => { noMountNs(c); change(c); } });
    const before = mountsAround(b.dir);
    const id = newId('nomntbad');
    const msg = fails(rt(['create', '--bundle', b.dir, id]), field);
    if (isTsrun) assert.match(msg, new RegExp(`${field.replace('.', '\\.')}: needs a mount namespace of the container's own`));
    await assertNoLeaks({ id, bundle: b });
    assert.equal(mountsAround(b.dir), before, field);
  }
});

// A config without a mount namespace that keeps the default `mounts` (proc, /dev tmpfs,
// devpts, shm, mqueue, sysfs, cgroup) plus a bind of a host directory.
function hostMountsBundle(extra = {}) {
  const b = bundle({
    args: ['sleep', '100'],
    files: { 'shared/f': 'from-the-host\n' },
    ...extra,
    mutate: (c) => {
      const mounts = c.mounts;
      noMountNs(c);
      c.mounts = [...mounts, { destination: '/mnt/shared', type: 'bind', source: 'shared', options: ['rbind', 'ro'] }];
      if (extra.mutate) extra.mutate(c);
    },
  });
  return b;
}
const RUNC_LEAKS = 'runc and crun leave the container\'s mounts in the shared mount table after delete';
const mountsUnder = (dir) => mountinfo().filter((m) => m.mountpoint === dir || m.mountpoint.startsWith(`${dir}/`)).map((m) => m.mountpoint.slice(dir.length) || '/');

test('mounts without a mount namespace: made under a bind of the rootfs, all gone after delete', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  const script = 'grep ^Name: /proc/self/status; cat /proc/1/comm; test -d /dev/pts && echo pts; ls /dev/null /dev/ptmx; cat /mnt/shared/f; test -d /sys/class/net && echo sys';
  const b = hostMountsBundle({ args: ['sh', '-c', `(${script}) >/tmp/out 2>&1; exec sleep 100`] });
  const rootfs = realpathSync(b.rootfs);
  const before = mountsAround(b.dir);
  const id = newId('hostmnt');
  ok(rt(['run', '-d', '--bundle', b.dir, id]));
  assert.is(readlinkSync(`/proc/${state(id).pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'), 'init shares our mount namespace');
  // What the process sees: its PID namespace's /proc, /dev with its nodes and pts, the bind, /sys.
  const out = await waitFor(() => { try { const t = readFileSync(join(b.rootfs, 'tmp/out'), 'utf8'); return t.endsWith('sys\n') && t; } catch { return false; } },
    { what: 'the container\'s report' });
  assert.is(out, 'Name:\tgrep\nsh\npts\n/dev/null\n/dev/ptmx\nfrom-the-host\nsys\n');
  // runc 1.1.5 and crun 1.8.1 leave an exec'd process in the host's root here.
  if (isTsrun) assert.is(ok(rt(['exec', id, 'sh', '-c', 'cat /proc/1/comm /mnt/shared/f'])).stdout.trim(), 'sleep\nfrom-the-host');
  // On the host, while it lives: the rootfs bind and every mount of the config under it.
  const live = mountsUnder(rootfs);
  for (const m of ['/', '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/mnt/shared']) assert.ok(live.includes(m), `${m} in ${live}`);
  ok(rt(['delete', '--force', id]));
  if (skipFor(!isTsrun, RUNC_LEAKS)) return;
  assert.equal(mountsAround(b.dir), before, 'the host mount table after delete');
  await assertNoLeaks({ id, bundle: b });
});

test('mounts without a mount namespace: the mount table after delete is byte-identical (private and shared "/")', async () => {
  // In a throwaway mount namespace, so that nothing else mounts meanwhile; with "/" shared
  // the bind is a peer of the mount it sits on, and every mount under it is copied there too.
  if (skipFor(!isTsrun, RUNC_LEAKS)) return;
  const b = hostMountsBundle();
  const script = `cat /proc/self/mountinfo >"$4/before"
    "$0" --root "$1" run -d --bundle "$2" "$3" </dev/null >/dev/null 2>&1 || exit 3
    grep -c " $2/rootfs/proc " /proc/self/mountinfo >"$4/live"
    "$0" --root "$1" delete --force "$3" || exit 4
    cat /proc/self/mountinfo >"$4/after"`;
  for (const propagation of ['private', 'shared']) {
    const id = newId('hostmntcmp');
    const dir = mkdtempSync(join(WORK, 'mi-'));
    const r = spawnSync('unshare', ['-m', '--propagation', propagation, 'sh', '-c', script, RUNTIME, ROOT, realpathSync(b.dir), id, dir], { encoding: 'utf8', timeout: 20000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(readFileSync(join(dir, 'live'), 'utf8'), propagation === 'shared' ? '2\n' : '1\n', `${propagation}: /proc mounted while it ran`);
    assert.is(readFileSync(join(dir, 'after'), 'utf8'), readFileSync(join(dir, 'before'), 'utf8'), `${propagation}: mountinfo`);
    await assertNoLeaks({ id, bundle: b });
  }
});

test('mounts without a mount namespace: a create failing mid-list leaves no mount', async () => {
  if (skipFor(unsafe, UNSAFE)) return;
  const b = hostMountsBundle({ args: ['true'], mutate: (c) => c.mounts.splice(3, 0, { destination: '/bad', type: 'nosuchfs', source: 'none' }) });
  const before = mountsAround(b.dir);
  const id = newId('hostmntbad');
  const msg = fails(rt(['create', '--bundle', b.dir, id]));
  if (isTsrun) assert.match(msg, /mount nosuchfs on \/bad: .*ENODEV/);
  if (skipFor(!isTsrun, RUNC_LEAKS)) return;
  assert.equal(mountsAround(b.dir), before, 'the host mount table after the failed create');
  await assertNoLeaks({ id, bundle: b });
});

test('mounts without a mount namespace: create SIGKILLed after the mounts; delete --force leaves none', async () => {
  if (skipFor(!isTsrun, 'kill point placed on tsrun\'s own syscall order') || skipFor(!HAVE_STRACE, 'no strace')) return;
  const b = hostMountsBundle();
  const rootfs = realpathSync(b.rootfs);
  const before = mountsAround(b.dir);
  const id = newId('hostmntkill');
  // init is held (by strace) at its chroot, after every mount; the runtime is killed then.
  const log = join(WORK, `strace-hostmnt-${id}.log`);
  const run = rtAsync([], { runtime: 'strace', root: false, global: ['-f', '-q', '-o', log, '-e', 'inject=chroot:delay_enter=20s', RUNTIME, '--root', ROOT, 'create', '--bundle', b.dir, id] });
  await waitFor(() => mountsUnder(rootfs).includes('/mnt/shared'), { what: 'the mounts under the rootfs', timeout: 10000 });
  const pids = readFileSync(log, 'utf8').split('\n').map((l) => Number(l.split(' ')[0])).filter((p) => p > 0);
  process.kill(pids[0], 'SIGKILL');
  run.child.kill('SIGKILL');
  await run.done;
  ok(rt(['delete', '--force', id]));
  await waitFor(() => pids.every((p) => !pidAlive(p)), { what: 'the runtime and init to be gone' });
  assert.equal(mountsAround(b.dir), before, 'the host mount table after delete --force');
  await assertNoLeaks({ id, bundle: b });
});

test("joining the runtime's own mount namespace by path is refused (it would pivot the host's root)", async () => {
  // runc joins it and makes "/" rslave and pivot_root()s there; tsrun runs in a throwaway
  // mount namespace here so even a regression could not touch the host's.
  if (skipFor(!isTsrun, 'runc and crun would pivot_root in the shared namespace')) return;
  const b = bundle({ args: ['true'], mutate: (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'mount');
    c.linux.namespaces.push({ type: 'mount', path: '/proc/self/ns/mnt' });
  } });
  const id = newId('ownmnt');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', RUNTIME, '--root', ROOT, 'create', '--bundle', b.dir, id], { encoding: 'utf8' });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /linux\.namespaces: the mount namespace \/proc\/self\/ns\/mnt is the runtime's own/);
  await assertNoLeaks({ id, bundle: b });
});

test('minimal build: kill --all of a container sharing every namespace signals init alone', async () => {
  // Without cgroups the minimal build finds a container's processes by namespace; with the
  // mount namespace shared that must not mean every process of it. Run in a throwaway PID
  // and mount namespace, so even a regression could only reach the bystander there.
  const MIN = join(REPO, 'bin/tsrun-minimal');
  if (skipFor(!isTsrun || !existsSync(MIN), 'needs bin/tsrun-minimal (built by test/run.sh)')) return;
  const b = bundle({
    args: ['sleep', '100'],
    mutate: (c) => { noMountNs(c); c.linux.namespaces = []; delete c.hostname; delete c.linux.resources; },
  });
  const id = newId('minmnt', { runtime: MIN });
  const root = rootFor(MIN);
  const script = `sleep 100 & by=$!
    "$0" --root "$1" create --bundle "$2" "$3" </dev/null >/dev/null 2>&1 || exit 3
    "$0" --root "$1" kill --all "$3" KILL || exit 4
    for i in 1 2 3 4 5 6 7 8 9 10; do "$0" --root "$1" state "$3" | grep -q '"stopped"' && break; sleep 0.1; done
    kill -0 $by && echo bystander-alive; kill $by
    "$0" --root "$1" delete --force "$3"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', '-p', '-f', '--mount-proc', 'sh', '-c', script, MIN, root, b.dir, id],
    { encoding: 'utf8', timeout: 20000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'bystander-alive\n', r.stderr);
  await assertNoLeaks({ id, bundle: b, root });
});

test.run();
