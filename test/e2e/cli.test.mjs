// CLI surface that needs no container: --version, --help, spec, features.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, WORK, bundle, fails, isRunc, newId, ok, rt, setup, skipFor } from '../lib/runtime.mjs';
import { baseConfig } from '../lib/bundle.mjs';

setup(test);

const VERBS = ['create', 'start', 'run', 'exec', 'ps', 'pause', 'resume', 'update', 'state', 'kill', 'delete', 'list', 'spec', 'features'];

test('--version prints a version line', () => {
  const r = ok(rt(['--version'], { root: false }));
  assert.match(r.stdout, /version \d+\.\d+\.\d+/);
  assert.match(r.stdout, /spec: \d+\.\d+\.\d+/, 'the OCI spec version, like runc');
});

test('--help for the program and every verb', () => {
  const top = ok(rt(['--help'], { root: false }));
  for (const v of VERBS) {
    assert.ok(top.stdout.includes(v), `--help lists ${v}`);
    const r = ok(rt([v, '--help'], { root: false }), `${v} --help`);
    assert.ok(r.stdout.length > 0, `${v} --help prints help on stdout`);
  }
});

test('global flags are accepted: --debug, --log-format text, --systemd-cgroup, --rootless', () => {
  for (const g of [['--debug'], ['--log-format', 'text'], ['--log-format', 'json'], ['--rootless', 'false'], ['--rootless', 'auto']]) {
    ok(rt(['list'], { global: g }), `${g.join(' ')} list`);
  }
  ok(rt(['list'], { global: ['--systemd-cgroup'] }), '--systemd-cgroup list');
});

test('spec writes a runnable default config.json', () => {
  const dir = join(WORK, 'spec');
  mkdirSync(dir);
  ok(rt(['spec', '--bundle', dir], { root: false }));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.match(cfg.ociVersion, /^1\.\d+\.\d+/);
  assert.equal(cfg.process.args, ['sh']);
  assert.is(cfg.process.terminal, true);
  assert.is(cfg.process.cwd, '/');
  assert.is(cfg.root.path, 'rootfs');
  assert.is(cfg.root.readonly, true);
  const ns = cfg.linux.namespaces.map((n) => n.type).sort();
  assert.equal(ns, ['ipc', 'mount', 'network', 'pid', 'uts']);
  for (const m of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']) {
    assert.ok(cfg.mounts.some((x) => x.destination === m), `default mount ${m}`);
  }
  assert.ok(cfg.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(cfg.linux.readonlyPaths.includes('/proc/sys'));

  const line = fails(rt(['spec', '--bundle', dir], { root: false }), 'spec over an existing config.json');
  assert.match(line, /exists/);

  // it runs, once terminal is off
  const b = bundle({ mutate: () => { const c = structuredClone(cfg); c.process.terminal = false; c.process.args = ['sh', '-c', 'echo $$']; return c; } });
  const r = ok(rt(['run', '--bundle', b.dir, newId('spec')]));
  assert.is(r.stdout, '1\n');
});

test('spec --rootless adds a user namespace with mappings', () => {
  const dir = join(WORK, 'spec-rootless');
  mkdirSync(dir);
  ok(rt(['spec', '--rootless', '--bundle', dir], { root: false }));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.ok(cfg.linux.namespaces.some((n) => n.type === 'user'));
  assert.ok(Array.isArray(cfg.linux.uidMappings) && cfg.linux.uidMappings.length > 0);
  assert.ok(Array.isArray(cfg.linux.gidMappings) && cfg.linux.gidMappings.length > 0);
});

test('spec into a missing directory fails cleanly', () => {
  const dir = join(WORK, 'no-such-dir');
  fails(rt(['spec', '--bundle', dir], { root: false }));
  assert.not.ok(existsSync(dir));
});

test('features: the basics', () => {
  const f = JSON.parse(ok(rt(['features'], { root: false })).stdout);
  assert.match(f.ociVersionMin, /^1\.0\.\d/);
  assert.type(f.ociVersionMax, 'string');
  for (const h of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
    assert.ok(f.hooks.includes(h), `hook ${h}`);
  }
  for (const o of ['ro', 'rw', 'bind', 'rbind', 'nosuid', 'nodev', 'noexec', 'private', 'rslave']) {
    assert.ok(f.mountOptions.includes(o), `mount option ${o}`);
  }
  for (const ns of ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts']) {
    assert.ok(f.linux.namespaces.includes(ns), `namespace ${ns}`);
  }
  for (const c of ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_KILL']) assert.ok(f.linux.capabilities.includes(c), c);
});

test('features: every key of the runtime-spec 1.3.0 features schema', () => {
  if (skipFor(isRunc, 'runc 1.1 implements features for spec 1.0.2')) return;
  const f = JSON.parse(ok(rt(['features'], { root: false })).stdout);
  assert.is(f.ociVersionMax, '1.3.0');
  const want = {
    ociVersionMin: 'string', ociVersionMax: 'string', hooks: 'array', mountOptions: 'array', annotations: 'object',
    potentiallyUnsafeConfigAnnotations: 'array',
    'linux.namespaces': 'array', 'linux.capabilities': 'array',
    'linux.cgroup.v1': 'boolean', 'linux.cgroup.v2': 'boolean', 'linux.cgroup.systemd': 'boolean',
    'linux.cgroup.systemdUser': 'boolean', 'linux.cgroup.rdma': 'boolean',
    'linux.seccomp.enabled': 'boolean', 'linux.seccomp.actions': 'array', 'linux.seccomp.operators': 'array',
    'linux.seccomp.archs': 'array', 'linux.seccomp.knownFlags': 'array', 'linux.seccomp.supportedFlags': 'array',
    'linux.apparmor.enabled': 'boolean', 'linux.selinux.enabled': 'boolean',
    'linux.intelRdt.enabled': 'boolean', 'linux.intelRdt.schemata': 'boolean', 'linux.intelRdt.monitoring': 'boolean',
    'linux.memoryPolicy.modes': 'array', 'linux.memoryPolicy.flags': 'array',
    'linux.mountExtensions.idmap.enabled': 'boolean', 'linux.netDevices.enabled': 'boolean',
  };
  const get = (path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), f);
  for (const [path, type] of Object.entries(want)) {
    const v = get(path);
    const t = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
    assert.is(t, type, `features ${path}`);
  }
  assert.ok(f.linux.namespaces.includes('time'), 'time namespace');
  if (f.linux.seccomp.enabled) {
    for (const a of ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL']) assert.ok(f.linux.seccomp.actions.includes(a), a);
    assert.ok(f.linux.seccomp.archs.includes('SCMP_ARCH_X86_64'));
  }
});

test('test/fixtures/mkbundle.sh builds the example bundle (the same as test/lib/bundle.mjs) and it runs', () => {
  const dir = join(WORK, 'example');
  const mk = spawnSync(join(REPO, 'test/fixtures/mkbundle.sh'), [dir], { encoding: 'utf8' });
  assert.is(mk.status, 0, mk.stderr);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const want = baseConfig();
  want.process.args = ['sh', '-c', 'echo hello from $(hostname); echo pid $$'];
  want.hostname = 'tsrun-demo';
  assert.equal(cfg, want);
  const ref = bundle({});
  const list = (root) => spawnSync('sh', ['-c', 'cd "$1" && find . | sort', 'sh', root], { encoding: 'utf8' }).stdout;
  assert.fixture(list(join(dir, 'rootfs')), list(ref.rootfs), 'same rootfs layout');
  const again = spawnSync(join(REPO, 'test/fixtures/mkbundle.sh'), [dir], { encoding: 'utf8' });
  assert.is(again.status, 0, `re-running rebuilds: ${again.stderr}`);

  const id = newId('example');
  const r = ok(rt(['run', '--bundle', dir, id]));
  assert.is(r.stdout, 'hello from tsrun-demo\npid 1\n');
  rmSync(dir, { recursive: true, force: true });
});

test.run();
