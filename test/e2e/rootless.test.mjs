// Rootless: the runtime run by an unprivileged user (setpriv --reuid/--regid --clear-groups),
// with a config.json from its own `spec --rootless`, state under $XDG_RUNTIME_DIR, no cgroups
// (not delegated here), user namespace maps written directly (own id only) or through
// newuidmap/newgidmap (several ranges from /etc/subuid). The user, its subordinate ids and
// its directories are made by this file and removed at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RUNTIME, WORK, assertNoLeaks, fails, isRunc, newId, ok, rt, setup, skipFor, state as stateOf, waitStatus,
} from '../lib/runtime.mjs';
import { makeRootfs } from '../lib/bundle.mjs';

setup(test);

// ---- the unprivileged user ------------------------------------------------------------------

const USER = `tsrunrl${process.pid}`;
function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
sh('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', USER]);
let userGone = false;
function removeUser() {
  if (userGone) return;
  userGone = true;
  spawnSync('userdel', [USER]); // also removes its /etc/subuid and /etc/subgid lines
}
process.on('exit', removeUser);
test.after(removeUser);

const UID = Number(sh('id', ['-u', USER]).trim());
const GID = Number(sh('id', ['-g', USER]).trim());
function subRange(file) {
  const line = (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').find((l) => l.startsWith(`${USER}:`));
  return line ? Number(line.split(':')[1]) : null;
}
if (subRange('/etc/subuid') == null || subRange('/etc/subgid') == null) {
  const start = 1000000 + (process.pid % 1000) * 65536;
  sh('usermod', ['--add-subuids', `${start}-${start + 65535}`, '--add-subgids', `${start}-${start + 65535}`, USER]);
}
const SUBUID = subRange('/etc/subuid');
const SUBGID = subRange('/etc/subgid');

// Its runtime dir (as /run/user/UID would be) and bundles it owns.
const XDG = join(WORK, 'xdg');
mkdirSync(XDG, { mode: 0o700 });
chownSync(XDG, UID, GID);
const NAME = isRunc ? 'runc' : 'tsrun';
const STATE_ROOT = join(XDG, NAME);
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', XDG_RUNTIME_DIR: XDG };

// The runtime as the user; no --root: the default under $XDG_RUNTIME_DIR is what is tested.
const AS_USER = { runtime: '/usr/bin/setpriv', root: false, global: [`--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', RUNTIME], env: ENV };
function asUser(args, { global = [], ...opts } = {}) {
  return rt(args, { ...AS_USER, ...opts, global: [...AS_USER.global, ...global] });
}
const userId = (tag) => newId(tag, { root: STATE_ROOT });
const state = (id) => stateOf(id, AS_USER);

let seq = 0;
// A bundle owned by the user whose config.json `spec` (a function of the bundle dir returning
// the result of `spec --rootless`, run as `who`) wrote; then edited.
function specBundle(prefix, spec, who, args, edit) {
  const dir = join(WORK, `${prefix}-${seq++}`);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  makeRootfs(join(dir, 'rootfs'));
  chownSync(dir, UID, GID);
  ok(spec(dir), `spec --rootless as ${who}`);
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  c.process.terminal = false;
  c.process.args = args;
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return { dir, rootfs: join(dir, 'rootfs'), config: c };
}

// config.json from `spec --rootless` run as the user
const rootlessBundle = (args, edit = () => {}) =>
  specBundle('rl-bundle', (dir) => asUser(['spec', '--rootless'], { cwd: dir }), 'the user', args, edit);

const subMaps = (sub) => [{ containerID: 0, hostID: 0, size: 1 }, { containerID: 1, hostID: sub, size: 65536 }];

// ---- tests -------------------------------------------------------------------------------------

test('spec --rootless maps the caller: uid/gid maps of its own ids, no network namespace, /sys bound', () => {
  const b = rootlessBundle(['true']);
  assert.equal(b.config.linux.uidMappings, [{ containerID: 0, hostID: UID, size: 1 }]);
  assert.equal(b.config.linux.gidMappings, [{ containerID: 0, hostID: GID, size: 1 }]);
  assert.ok(b.config.linux.namespaces.some((n) => n.type === 'user'));
  assert.not.ok(b.config.linux.namespaces.some((n) => n.type === 'network'));
  const sys = b.config.mounts.find((m) => m.destination === '/sys');
  assert.ok(sys.options.includes('rbind'), JSON.stringify(sys));
});

test('rootless run: root inside is the caller outside, setgroups denied, state under $XDG_RUNTIME_DIR', async () => {
  const b = rootlessBundle(['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; ls /sys/kernel >/dev/null && echo sys']);
  const id = userId('run');
  const r = ok(asUser(['run', '--bundle', b.dir, id]));
  const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(lines, ['0', '0', `0 ${UID} 1`, `0 ${GID} 1`, 'deny', 'sys', '']);
  assert.not.ok(existsSync(join(STATE_ROOT, id)), 'state removed after run');
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('rootless lifecycle: create, state, start, exec, kill, delete; nothing left', async () => {
  const b = rootlessBundle(['sleep', '1000']);
  const id = userId('life');
  ok(asUser(['create', '--bundle', b.dir, id]));
  assert.ok(existsSync(join(STATE_ROOT, id)), `state dir in ${STATE_ROOT}`);
  const s = state(id);
  assert.is(s.status, 'created');
  const owner = readFileSync(`/proc/${s.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)[1];
  assert.is(Number(owner), UID, 'init runs as the caller on the host');
  ok(asUser(['start', id]));
  await waitStatus(id, 'running', AS_USER);
  const e = ok(asUser(['exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map; echo $$']));
  const [u, map, pid] = e.stdout.split('\n');
  assert.is(u, '0');
  assert.is(map.trim().split(/\s+/).join(' '), `0 ${UID} 1`);
  assert.is.not(pid, '1', 'exec joined the PID namespace');
  ok(asUser(['kill', id, 'KILL']));
  await waitStatus(id, 'stopped', AS_USER);
  ok(asUser(['delete', id]));
  assert.not.ok(existsSync(join(STATE_ROOT, id)));
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('several ranges through newuidmap/newgidmap (from /etc/subuid): a non-root user inside', async () => {
  const b = rootlessBundle(['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/setgroups'], (c) => {
    c.linux.uidMappings = subMaps(SUBUID).map((m, i) => (i === 0 ? { ...m, hostID: UID } : m));
    c.linux.gidMappings = subMaps(SUBGID).map((m, i) => (i === 0 ? { ...m, hostID: GID } : m));
    c.process.user = { uid: 1000, gid: 1000 };
  });
  const id = userId('multi');
  const r = ok(asUser(['run', '--bundle', b.dir, id]));
  const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(lines, ['1000', '1000', `0 ${UID} 1`, `1 ${SUBUID} 65536`, 'allow', '']);
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('a range the user does not own: newuidmap refuses, one clear line, nothing left', async () => {
  const b = rootlessBundle(['true'], (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: UID, size: 1 }, { containerID: 1, hostID: 10, size: 5 }];
  });
  const id = userId('deny');
  const line = fails(asUser(['run', '--bundle', b.dir, id]), 'unowned range', { oneLine: !isRunc });
  if (!isRunc) assert.match(line, /linux\.uidMappings: newuidmap \d+ 0 \d+ 1 1 10 5: .*not allowed/, line);
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('--rootless false as a non-root user: cgroup errors are not skipped', async () => {
  const b = rootlessBundle(['true']);
  const id = userId('nrl');
  const line = fails(asUser(['run', '--bundle', b.dir, id], { global: ['--rootless', 'false'] }), '--rootless false', { oneLine: !isRunc });
  assert.match(line, /cgroup|permission denied/i, line);
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
  // and auto (the default) as the same user runs
  ok(asUser(['run', '--bundle', b.dir, userId('arl')], { global: ['--rootless', 'auto'] }));
});

test('rootless: a sysfs mount without a network namespace of its own is bound from the host', async () => {
  if (skipFor(isRunc, 'runc 1.1 fails to mount sysfs in a user namespace without its own network namespace')) return;
  const b = rootlessBundle(['sh', '-c', 'ls /sys/kernel >/dev/null && echo ok; touch /sys/x 2>/dev/null || echo ro'], (c) => {
    c.mounts = c.mounts.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
  });
  const id = userId('sysfs');
  const r = ok(asUser(['run', '--bundle', b.dir, id]));
  assert.is(r.stdout, 'ok\nro\n');
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('rootless: an idmapped mount is refused (the kernel wants CAP_SYS_ADMIN over the source filesystem)', async () => {
  if (skipFor(isRunc, 'runc 1.1 has no idmapped mounts (it ignores the option)')) return;
  const b = rootlessBundle(['true'], (c) => {
    c.mounts.push({ destination: '/mnt', type: 'bind', source: '/tmp', options: ['bind', 'idmap'] });
  });
  const id = userId('bad');
  assert.match(fails(asUser(['run', '--bundle', b.dir, id])), /mounts\[\d+\]\.options: idmapped mounts need root/);
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('rootless: additional gids cannot be set when setgroups is denied', async () => {
  const g = rootlessBundle(['id', '-G'], (c) => { c.process.user.additionalGids = [0]; });
  const id = userId('gids');
  const r = asUser(['run', '--bundle', g.dir, id]);
  const line = fails(r, 'additionalGids with setgroups denied', { oneLine: !isRunc });
  if (!isRunc) assert.match(line, /process\.user\.additionalGids: setgroups is denied/);
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: g.dir });
});

test('rootless with a delegated cgroup (a freezer cgroup the user owns): used, so pause/resume work', async () => {
  if (skipFor(isRunc, 'runc 1.1 joins every v1 hierarchy with an explicit cgroupsPath; only freezer is delegated here')) return;
  const deleg = `/sys/fs/cgroup/freezer/tsrun-rl-${process.pid}`;
  if (skipFor(!existsSync('/sys/fs/cgroup/freezer'), 'needs a cgroup v1 freezer hierarchy')) return;
  mkdirSync(deleg);
  try {
    for (const f of ['', 'cgroup.procs', 'tasks']) chownSync(join(deleg, f), UID, GID);
    const b = rootlessBundle(['sleep', '1000'], (c) => { c.linux.cgroupsPath = `/tsrun-rl-${process.pid}/c`; });
    const id = userId('deleg');
    ok(asUser(['run', '-d', '--bundle', b.dir, id]));
    const pid = state(id).pid;
    assert.is(readFileSync(join(deleg, 'c', 'cgroup.procs'), 'utf8').trim(), String(pid), 'init is in the delegated cgroup');
    ok(asUser(['pause', id]));
    assert.is(state(id).status, 'paused');
    ok(asUser(['resume', id]));
    assert.is(state(id).status, 'running');
    ok(asUser(['delete', '--force', id]));
    assert.not.ok(existsSync(join(deleg, 'c')), 'the container cgroup is removed');
    await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
  } finally {
    spawnSync('rmdir', [join(deleg, 'c'), deleg]);
  }
});

// ---- uid 0 in a user namespace (as rootlesskit, rootless Docker/Podman run the runtime) -------
// The user's own namespace, made by `unshare --user --map-root-user --mount`: the runtime's
// euid is 0 but its uid_map is "0 UID 1", so it is rootless as runc sees it (state under
// $XDG_RUNTIME_DIR unless $USER is root, cgroup permission errors skipped, device nodes bound,
// setgroups denied). A whole lifecycle runs in one such namespace (exec needs to be in the
// namespace that owns the container's).
const NSROOT = [`--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', '/usr/bin/unshare', '--user', '--map-root-user', '--mount', '--'];
function inNs(script, { env = {}, cwd } = {}) {
  return rt([], { runtime: '/usr/bin/setpriv', root: false, cwd, env: { ...ENV, RT: RUNTIME, ...env }, global: [...NSROOT, '/bin/sh', '-c', script] });
}
// A bundle whose config.json is `spec --rootless` run as uid 0 of such a namespace.
const nsRootBundle = (args, edit = () => {}) =>
  specBundle('ns-bundle', (dir) => inNs('"$RT" spec --rootless', { cwd: dir }), 'uid 0 of a user namespace', args, edit);
const clean = (t) => t.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('\n');

test('uid 0 in a user namespace is rootless: state under $XDG_RUNTIME_DIR, no cgroup, lifecycle with exec', async () => {
  const b = nsRootBundle(['sleep', '1000']);
  assert.equal(b.config.linux.uidMappings, [{ containerID: 0, hostID: 0, size: 1 }], 'spec maps the namespace root');
  const id = userId('nsroot');
  const r = ok(inNs([
    'set -e',
    'echo "outer $(cat /proc/self/uid_map)"; echo "outer-cgroup $(cat /proc/self/cgroup | tr "\\n" " ")"',
    `"$RT" create --bundle ${b.dir} ${id}`,
    `[ -d "$XDG_RUNTIME_DIR/${NAME}/${id}" ] && echo state-in-xdg`,
    `"$RT" state ${id} | tr -d ' \\n' | grep -o '"status":"created"'`,
    `"$RT" start ${id}`,
    `"$RT" exec ${id} sh -c 'echo "inner $(id -u) $(cat /proc/self/uid_map)"'`,
    `pid=$("$RT" state ${id} | tr -d ' \\n' | grep -o '"pid":[0-9]*' | cut -d: -f2)`,
    'echo "init-cgroup $(cat /proc/$pid/cgroup | tr "\\n" " ")"',
    `"$RT" delete --force ${id}`,
    `[ -e "$XDG_RUNTIME_DIR/${NAME}/${id}" ] || echo state-gone`,
  ].join('\n')));
  const out = clean(r.stdout).split('\n');
  assert.is(out[0], `outer 0 ${UID} 1`, r.stdout);
  assert.is(out[2], 'state-in-xdg');
  assert.is(out[3], '"status":"created"');
  assert.is(out[4], 'inner 0 0 0 1', 'root inside, mapped to the namespace root');
  // init stayed in the caller's cgroups: none was made for it (none could be: not delegated)
  assert.is(out[5].replace('init-cgroup', ''), out[1].replace('outer-cgroup', ''), 'same cgroups as the caller');
  assert.is(out[6], 'state-gone');
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('uid 0 in a user namespace, container without its own user namespace: device nodes bound, setgroups skipped', async () => {
  const b = nsRootBundle(['sh', '-c', 'id -u; grep -cE " /dev/(null|zero|full|tty|random|urandom) " /proc/self/mountinfo; echo x > /dev/null && head -c 3 /dev/zero | wc -c'], (c) => {
    delete c.linux.uidMappings;
    delete c.linux.gidMappings;
    // as rootless Docker: the runtime's namespace, a network namespace of its own, a real sysfs
    c.linux.namespaces = [...c.linux.namespaces.filter((n) => n.type !== 'user'), { type: 'network' }];
    c.mounts = c.mounts.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
  });
  const id = userId('nsdev');
  const r = ok(inNs(`"$RT" run --bundle ${b.dir} ${id}`));
  assert.is(r.stdout, '0\n6\n3\n', 'six host nodes bound (mknod is refused in a user namespace)');
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
});

test('uid 0 in a user namespace: --rootless false does not skip cgroup errors, true does; $USER=root keeps /run', async () => {
  const b = nsRootBundle(['true']);
  const id = userId('nsrl');
  const line = fails(inNs(`exec "$RT" --rootless false run --bundle ${b.dir} ${id}`), '--rootless false', { oneLine: !isRunc });
  assert.match(line, /cgroup|permission denied/i, line);
  await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
  ok(inNs(`"$RT" --rootless true run --bundle ${b.dir} ${userId('nsrlt')}`));
  // runc honours $XDG_RUNTIME_DIR in a user namespace unless $USER is root: /run/<name> then
  // (not writable for this namespace's root)
  const u = fails(inNs(`exec "$RT" run --bundle ${b.dir} ${userId('nsusr')}`, { env: { USER: 'root' } }), 'USER=root', { oneLine: !isRunc });
  assert.match(u, new RegExp(`/run/${NAME}`), u);
});

test('uid 0 in a user namespace with delegated cgroups: they are used, device rules left out (no CAP_SYS_ADMIN on the host)', async () => {
  const name = `tsrun-nsd-${process.pid}`;
  // every v1 hierarchy of this host (runc joins them all with an explicit cgroupsPath)
  const hier = readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => l.split(':')[1]).filter((c) => c && !c.includes('='))
    .map((c) => c.split(',')[0]).filter((c) => existsSync(`/sys/fs/cgroup/${c}`));
  if (skipFor(!hier.includes('devices'), 'needs a cgroup v1 devices hierarchy')) return;
  const made = [];
  try {
    for (const c of [...hier, 'systemd']) {
      const d = `/sys/fs/cgroup/${c}/${name}`;
      if (!existsSync(`/sys/fs/cgroup/${c}`)) continue;
      mkdirSync(d);
      made.push(d);
      if (c === 'cpuset') for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(d, f), readFileSync(`/sys/fs/cgroup/cpuset/${f}`));
      for (const f of ['', 'cgroup.procs', 'tasks']) chownSync(join(d, f), UID, GID);
    }
    const b = nsRootBundle(['sleep', '1000'], (c) => {
      c.linux.cgroupsPath = `/${name}/c`;
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
    });
    const id = userId('nsdel');
    const r = ok(inNs([
      'set -e',
      `"$RT" run -d --bundle ${b.dir} ${id} </dev/null`,
      `pid=$("$RT" state ${id} | tr -d ' \\n' | grep -o '"pid":[0-9]*' | cut -d: -f2)`,
      'grep -E ":(devices|freezer):" /proc/$pid/cgroup | cut -d: -f3',
      `cat /sys/fs/cgroup/devices/${name}/c/devices.list`,
      `"$RT" delete --force ${id}`,
    ].join('\n')));
    assert.equal(r.stdout.trim().split('\n'), [`/${name}/c`, `/${name}/c`, 'a *:* rwm'], 'in the delegated cgroups; devices.list untouched (no rules)');
    for (const d of made) assert.not.ok(existsSync(join(d, 'c')), `${d}/c removed`);
    await assertNoLeaks({ id, root: STATE_ROOT, bundle: b.dir });
  } finally {
    for (const d of made) spawnSync('rmdir', [join(d, 'c'), d]);
  }
});

test('--rootless true as root runs (cgroup errors would be skipped); invalid values are refused', () => {
  const b = rootlessBundle(['true']);
  ok(rt(['run', '--bundle', b.dir, newId('rlt')], { global: ['--rootless', 'true'] }));
  if (skipFor(isRunc, 'runc checks --rootless only where it uses it (create/run)')) return;
  fails(rt(['list'], { global: ['--rootless', 'maybe'] }), 'invalid --rootless');
});

test.run();
