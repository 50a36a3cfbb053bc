// The systemd cgroup driver (--systemd-cgroup) against a real systemd: a private one booted
// for this file (test/lib/systemd.mjs: own root, pid, mount and cgroup namespaces, its cgroup
// tree in a dedicated cgroup v2 directory of the host, nothing pulled in at boot). The runtime
// runs inside its namespaces (its /run, its cgroup2 mount at /sys/fs/cgroup), talks D-Bus to
// it, and the container's scope is checked through systemctl and from the host's side of the
// cgroup tree: init in the scope while still "created", limits written, pause/resume/update/
// stats/ps/kill --all on it, delete stops the unit and its cgroup is gone; bad cgroupsPath
// values and a D-Bus error (the unit exists already) fail cleanly.
// On this hybrid host the cgroup2 hierarchy has only hugetlb: memory/cpu/pids limits cannot be
// shown here (they stay on cgroup v1), so hugepageLimits is the limit under test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { spawnSync } from 'node:child_process';
import { RUNTIME, isRunc, isTsrun, skipFor, waitFor } from '../lib/runtime.mjs';
import { makeBundle } from '../lib/bundle.mjs';
import { bootSystemd, systemdSkipReason } from '../lib/systemd.mjs';

const skip = systemdSkipReason();
let sd = null;
const STATE_ROOT = '/run/tsrun-test';     // inside the private systemd's /run
const SHARE = '/run/tsrun-share';         // sd.share as the private systemd sees it
const PREFIX = isRunc ? 'runc' : 'tsrun'; // the default cgroupsPath is ":<runtime>:ID"
const HUGE = '2MB';
let seq = 0;
const ids = [];

test.before(async () => {
  if (skip) return;
  sd = await bootSystemd();
  copyFileSync(RUNTIME, join(sd.share, basename(RUNTIME)));
});

test.after(async () => {
  if (!sd) return;
  for (const id of ids) rtIn(['delete', '--force', id]);
  await sd.stop();
  assert.not.ok(existsSync(sd.cgroup), 'the dedicated cgroup tree is removed');
  assert.not.ok(existsSync(sd.work), 'the work directory is removed');
});

// The runtime under test inside the private systemd's namespaces.
function rtIn(args, { systemd = true } = {}) {
  return sd.run([`${SHARE}/${basename(RUNTIME)}`, '--root', STATE_ROOT, ...(systemd ? ['--systemd-cgroup'] : []), ...args]);
}
const okIn = (r, what = '') => { assert.is(r.code, 0, `${what}\n${r}`); return r; };
const failsIn = (r, what = '') => {
  assert.is.not(r.code, 0, `expected a failure: ${what}\n${r}`);
  assert.ok(r.stderr.trim().length > 0, `an error message: ${r}`);
  return r.stderr;
};
const show = (unit, props) => {
  const out = sd.run(['systemctl', 'show', '-p', props.join(','), unit]).stdout;
  return Object.fromEntries(out.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
};
const newSdId = (tag) => { const id = `${tag}${process.pid}x${seq++}`; ids.push(id); return id; };
// A bundle in the shared directory: `${SHARE}/${name}` inside.
function sdBundle(name, opts) {
  makeBundle({ dir: join(sd.share, name), ...opts });
  return `${SHARE}/${name}`;
}
const hostDir = (path) => join(sd.cgroup, path);   // a cgroup of the private tree, seen from the host
const stateOf = (id) => JSON.parse(okIn(rtIn(['state', id]), `state ${id}`).stdout);

test('a scope in system.slice: init in it before it runs, limits, pause/resume/update/stats/ps/kill, delete stops it', async () => {
  if (skipFor(!!skip, `systemd tests: ${skip}`)) return;
  const id = newSdId('sdscope');
  const unit = `${PREFIX}-${id}.scope`;
  const scope = `/system.slice/${unit}`;
  const b = sdBundle(id, {
    args: ['sh', '-c', 'cat /proc/self/cgroup > /cgroup-at-start; exec sleep 1000'],
    config: { linux: { cgroupsPath: `system.slice:${PREFIX}:${id}`, resources: { hugepageLimits: [{ pageSize: HUGE, limit: 4 << 20 }] } } },
  });
  okIn(rtIn(['create', '--bundle', b, id]), 'create');
  const st = stateOf(id);
  assert.is(st.status, 'created');
  // init is in the scope while it still waits for `start`: nothing of the container ran outside
  assert.is(sd.run(['cat', `/proc/${st.pid}/cgroup`]).stdout.trim().split('\n').find((l) => l.startsWith('0::')), `0::${scope}`);
  const p = show(unit, ['ActiveState', 'ControlGroup', 'Slice', 'Delegate', 'LoadState', 'IOAccounting']);
  assert.equal(p, { ActiveState: 'active', ControlGroup: scope, Slice: 'system.slice', Delegate: 'yes', LoadState: 'loaded', IOAccounting: 'yes' });
  assert.is(readFileSync(join(hostDir(scope), `hugetlb.${HUGE}.max`), 'utf8').trim(), String(4 << 20), 'the limit is written in the scope');
  assert.ok(sd.run(['cat', `/sys/fs/cgroup${scope}/cgroup.procs`]).stdout.split('\n').includes(String(st.pid)));

  okIn(rtIn(['start', id]), 'start');
  const at = join(sd.share, id, 'rootfs/cgroup-at-start');
  await waitFor(() => existsSync(at) && readFileSync(at, 'utf8').includes('\n'), { what: 'the container wrote its cgroup' });
  const atStart = readFileSync(join(sd.share, id, 'rootfs/cgroup-at-start'), 'utf8');
  assert.match(atStart, new RegExp(`^0::${scope.replace(/\./g, '\\.')}$`, 'm'), atStart);

  okIn(rtIn(['pause', id]), 'pause');
  assert.is(stateOf(id).status, 'paused');
  assert.is(readFileSync(join(hostDir(scope), 'cgroup.freeze'), 'utf8').trim(), '1');
  okIn(rtIn(['resume', id]), 'resume');
  assert.is(readFileSync(join(hostDir(scope), 'cgroup.freeze'), 'utf8').trim(), '0');

  writeFileSync(join(sd.share, 'res.json'), JSON.stringify({ hugepageLimits: [{ pageSize: HUGE, limit: 8 << 20 }] }));
  okIn(rtIn(['update', '--resources', `${SHARE}/res.json`, id]), 'update');
  if (!skipFor(isRunc, 'runc 1.1 update ignores hugepageLimits')) {
    assert.is(readFileSync(join(hostDir(scope), `hugetlb.${HUGE}.max`), 'utf8').trim(), String(8 << 20));
  }

  if (isTsrun) {
    const stats = JSON.parse(okIn(rtIn(['stats', id]), 'stats').stdout);
    assert.ok(stats.hugetlb && stats.hugetlb[HUGE], `hugetlb stats from the scope: ${JSON.stringify(stats)}`);
    assert.ok(stats.cpu.usage.total > 0, 'cpu usage of the scope');
  }
  const ex = okIn(rtIn(['exec', id, 'cat', '/proc/self/cgroup']), 'exec');
  assert.match(ex.stdout, new RegExp(`^0::${scope.replace(/\./g, '\\.')}$`, 'm'), 'exec joins the scope');
  const ps = okIn(rtIn(['ps', '--format', 'json', id]), 'ps');
  assert.equal(JSON.parse(ps.stdout), [st.pid]);

  okIn(rtIn(['kill', '--all', id, 'KILL']), 'kill --all');
  await waitFor(() => stateOf(id).status === 'stopped', { what: 'stopped after kill --all' });
  // delete without the flag: the state knows the driver
  okIn(rtIn(['delete', id], { systemd: false }), 'delete');
  assert.is(show(unit, ['LoadState']).LoadState, 'not-found', 'the unit is gone');
  assert.not.ok(existsSync(hostDir(scope)), 'its cgroup is gone');
  assert.is(rtIn(['state', id]).code === 0, false, 'no state left');
});

test('the default cgroupsPath is ":<runtime>:ID" (system.slice); a cgroup namespace is rooted in the scope; delete --force', async () => {
  if (skipFor(!!skip, `systemd tests: ${skip}`)) return;
  const id = newSdId('sddefault');
  const unit = `${PREFIX}-${id}.scope`;
  const b = sdBundle(id, {
    args: ['sh', '-c', 'cat /proc/self/cgroup > /cgroup-inside; exec sleep 1000'],
    mutate: (c) => { c.linux.namespaces.push({ type: 'cgroup' }); },
  });
  okIn(rtIn(['run', '-d', '--bundle', b, id]), 'run -d');
  assert.is(show(unit, ['ControlGroup']).ControlGroup, `/system.slice/${unit}`);
  const at = join(sd.share, id, 'rootfs/cgroup-inside');
  await waitFor(() => existsSync(at) && readFileSync(at, 'utf8').includes('\n'), { what: 'the container wrote its cgroup' });
  assert.match(readFileSync(at, 'utf8'), /^0::\/$/m, 'the scope is the namespace\'s root');
  const pid = stateOf(id).pid;
  assert.is(sd.run(['cat', `/proc/${pid}/cgroup`]).stdout.trim().split('\n').find((l) => l.startsWith('0::')), `0::/system.slice/${unit}`);
  okIn(rtIn(['delete', '--force', id]), 'delete --force');
  assert.is(show(unit, ['LoadState']).LoadState, 'not-found');
  assert.not.ok(existsSync(hostDir(`/system.slice/${unit}`)));
});

test('a slice of its own ("parent.slice:prefix:name.slice" -> unit name.slice)', async () => {
  if (skipFor(!!skip, `systemd tests: ${skip}`)) return;
  // runc 1.1 asks systemd to put the pid into the slice unit (PIDs=) and fails
  if (skipFor(isRunc, 'runc 1.1 sends PIDs= for a slice unit, which systemd refuses ("Cannot set property PIDs")')) return;
  const id = newSdId('sdslice');
  const unit = `tsrunt${process.pid}x${seq}.slice`;
  const b = sdBundle(id, { args: ['sleep', '1000'], config: { linux: { cgroupsPath: `system.slice:tsrun:${unit}` } } });
  okIn(rtIn(['create', '--bundle', b, id]), 'create');
  const st = stateOf(id);
  assert.equal(show(unit, ['ActiveState', 'ControlGroup']), { ActiveState: 'active', ControlGroup: `/${unit}` });
  assert.is(sd.run(['cat', `/proc/${st.pid}/cgroup`]).stdout.trim().split('\n').find((l) => l.startsWith('0::')), `0::/${unit}`);
  okIn(rtIn(['delete', '--force', id]), 'delete');
  assert.is(show(unit, ['ActiveState']).ActiveState, 'inactive', 'the slice is stopped');
  assert.not.ok(existsSync(hostDir(`/${unit}`)), 'its cgroup is gone');
  // again under the same name (systemd may keep the inactive unit loaded a while)
  const again = newSdId('sdslice');
  makeBundle({ dir: join(sd.share, again), args: ['sleep', '1000'], config: { linux: { cgroupsPath: `system.slice:tsrun:${unit}` } } });
  okIn(rtIn(['create', '--bundle', `${SHARE}/${again}`, again]), 'create again');
  assert.is(show(unit, ['ActiveState']).ActiveState, 'active');
  okIn(rtIn(['delete', '--force', again]), 'delete again');
  assert.not.ok(existsSync(hostDir(`/${unit}`)));
});

test('bad cgroupsPath values and a D-Bus error fail cleanly', async () => {
  if (skipFor(!!skip, `systemd tests: ${skip}`)) return;
  const cases = [
    ['/not/slice/form', isRunc ? /expected cgroupsPath to be of format .*slice:prefix:name/ : /linux\.cgroupsPath "\/not\/slice\/form": with --systemd-cgroup must be "slice:prefix:name"/],
    ['a:b', isRunc ? /slice:prefix:name/ : /linux\.cgroupsPath "a:b": with --systemd-cgroup must be/],
    ['notaslice:tsrun:x', isRunc ? /invalid slice name/ : /linux\.cgroupsPath "notaslice": is not a valid systemd slice name/],
    ['a--b.slice:tsrun:x', isRunc ? /invalid slice name/ : /linux\.cgroupsPath "a--b\.slice": is not a valid systemd slice name/],
  ];
  for (const [cgroupsPath, re] of cases) {
    const id = newSdId('sdbad');
    const b = sdBundle(id, { args: ['true'], config: { linux: { cgroupsPath } } });
    const e = failsIn(rtIn(['create', '--bundle', b, id]), cgroupsPath);
    assert.match(e, re, e);
    assert.is.not(rtIn(['state', id]).code, 0, `no state left for ${cgroupsPath}`);
  }
  // Not root: no user-systemd (systemdUser) support, said so before anything is made.
  if (isTsrun) {
    const id = newSdId('sduser');
    const b = sdBundle(id, { args: ['true'] });
    const r = sd.run(['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', `${SHARE}/${basename(RUNTIME)}`,
      '--root', '/tmp/tsrun-user', '--systemd-cgroup', 'create', '--bundle', b, id]);
    assert.match(failsIn(r, 'non-root'), /--systemd-cgroup: needs root: rootless containers under a user's systemd \(systemdUser\) are not supported/);
  }
  // The unit exists already: systemd's error, named, and nothing of the second container left.
  if (skipFor(isRunc, 'runc 1.1 joins an existing scope with a warning (deprecated; refused from runc 1.2)')) return;
  const first = newSdId('sddup');
  const second = newSdId('sddup');
  const path = `system.slice:${PREFIX}:dup${process.pid}`;
  const unit = `${PREFIX}-dup${process.pid}.scope`;
  okIn(rtIn(['create', '--bundle', sdBundle(first, { args: ['sleep', '1000'], config: { linux: { cgroupsPath: path } } }), first]), 'first');
  const err = failsIn(rtIn(['create', '--bundle', sdBundle(second, { args: ['sleep', '1000'], config: { linux: { cgroupsPath: path } } }), second]), 'same unit');
  if (isTsrun) {
    assert.match(err, new RegExp(`systemd StartTransientUnit ${unit.replace(/\./g, '\\.')}: org\\.freedesktop\\.systemd1\\.UnitExists: `));
    assert.is(err.trim().split('\n').length, 1, 'one line');
  }
  assert.is.not(rtIn(['state', second]).code, 0, 'no state of the second one');
  assert.is(stateOf(first).status, 'created', 'the first one is untouched');
  assert.is(show(unit, ['ActiveState']).ActiveState, 'active');
  okIn(rtIn(['delete', '--force', first]), 'delete');
  assert.is(show(unit, ['LoadState']).LoadState, 'not-found');
  // No container process of the failed one anywhere in the private tree.
  const pids = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    pids.push(...readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map((p) => `${d}: ${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8')}`));
  };
  walk(hostDir('/system.slice'));
  assert.equal(pids, [], 'no process left in system.slice');
});

test('features: linux.cgroup.systemd', () => {
  if (skipFor(!isTsrun, 'tsrun\'s features only')) return;
  const f = JSON.parse(okIn(rtHost(['features']), 'features').stdout);
  assert.is(f.linux.cgroup.systemd, true);
  assert.is(f.linux.cgroup.systemdUser, false);
});

function rtHost(args) {
  const r = spawnSync(RUNTIME, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, toString: () => r.stderr };
}

test.run();
