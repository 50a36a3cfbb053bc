// exec and ps: a new process in a running container (namespaces, rootfs, cgroups, env, cwd,
// user, capabilities, rlimits, --process, --detach/--pid-file, --preserve-fds), exec errors,
// `ps` in its table and json forms, and the refusal of terminals (exec -t) until they exist.
//
// Every container here runs `sleep 100` (create + start) in a bundle with linux.resources.pids,
// so that it has a cgroup of its own; cleanup (delete --force) also kills detached execs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { deepMerge } from '../lib/bundle.mjs';
import {
  WORK, assertNoLeaks, bundle, cgroupDirsOf, fails, isRunc, newId, ok, pidAlive, processesIn, rt, setup,
  skipFor, state, waitFor, waitOutput, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

const CAP = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_NET_ADMIN: 12, CAP_SYS_TIME: 25, CAP_AUDIT_WRITE: 29 };
const hexmask = (names) => names.reduce((m, n) => m | (1n << BigInt(CAP[n])), 0n).toString(16).padStart(16, '0');
const BASELINE_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const BASELINE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NS = ['pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'user'];

const nsOf = (pid, ns) => readlinkSync(`/proc/${pid}/ns/${ns}`);

// "Key:\tvalue" lines (of /proc/PID/status) as an object.
function parseStatus(text) {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes(':')).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  }));
}
const groups = (st) => st.Groups.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);

// A running container: `sleep 100` through create + start, with a pids cgroup. Options as
// bundle() (config is merged over the pids limit). Returns { id, b, pid }.
function running(bundleOpts = {}, { tag = 'ex', start = true } = {}) {
  const config = deepMerge({ linux: { resources: { pids: { limit: 100 } } } }, bundleOpts.config || {});
  const b = bundle({ args: ['sleep', '100'], ...bundleOpts, config });
  const id = newId(tag);
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  if (start) ok(rt(['start', id]), 'start');
  const s = state(id);
  assert.is(s.status, start ? 'running' : 'created');
  return { id, b, pid: s.pid };
}

// `exec [flags...] ID args...` → rt() result.
const exec = (id, args, { flags = [], ...opts } = {}) => rt(['exec', ...flags, id, ...args], opts);
// Its stdout, asserting exit 0.
const execOut = (id, args, opts = {}) => ok(exec(id, args, opts), `exec ${args.join(' ')}`).stdout;
const execSh = (id, script, opts = {}) => execOut(id, ['sh', '-c', script], opts);
const execStatus = (id, opts = {}) => parseStatus(execOut(id, ['cat', '/proc/self/status'], opts));
const envLines = (out) => out.split('\n').filter(Boolean);

// `ps --format json ID` → sorted pids.
function psJson(id) {
  const r = ok(rt(['ps', '--format', 'json', id]), 'ps --format json');
  let pids;
  try { pids = JSON.parse(r.stdout); } catch (e) { assert.unreachable(`ps json is not JSON: ${e.message}\n${r}`); }
  assert.ok(Array.isArray(pids), `ps json is an array: ${r.stdout}`);
  for (const p of pids) assert.ok(Number.isInteger(p) && p > 0, `ps json holds pids: ${r.stdout}`);
  return [...pids].sort((a, b) => a - b);
}

// A detached `sleep 100` exec'd into id; returns its host pid (from --pid-file).
function detachedSleep(id, name = 'sleep') {
  const pf = join(WORK, `${id}-${name}.pid`);
  ok(exec(id, ['sleep', '100'], { flags: ['--detach', '--pid-file', pf], timeout: 5000 }), 'exec --detach');
  const pid = Number(readFileSync(pf, 'utf8').trim());
  assert.ok(Number.isInteger(pid) && pid > 0, `pid file holds a pid: ${readFileSync(pf, 'utf8')}`);
  return pid;
}

// ---- the basics ------------------------------------------------------------------------------

test('exec runs a command in a running container: stdout, stderr, stdin and exit status pass through', () => {
  const { id } = running();
  assert.is(execOut(id, ['echo', 'hello', 'from exec']), 'hello from exec\n');
  const e = ok(exec(id, ['sh', '-c', 'echo to-stderr >&2']));
  assert.is(e.stdout, '');
  assert.is(e.stderr, 'to-stderr\n');
  assert.is(ok(exec(id, ['cat'], { input: 'piped in\n' })).stdout, 'piped in\n', 'stdin reaches the process');
  // arguments after the ID belong to the command, even when they look like runtime flags
  assert.is(execOut(id, ['sh', '-c', 'printf "%s|" "$@"', 'x', '-e', '--cwd', '/x', '-t', '--', '']), '-e|--cwd|/x|-t|--||');
  // the exit status is the process's; a signal death is 128+N
  assert.is(exec(id, ['sh', '-c', 'exit 5']).code, 5);
  assert.is(exec(id, ['sh', '-c', 'exit 0']).code, 0);
  assert.is(exec(id, ['sh', '-c', 'exit 42']).code, 42);
  assert.is(exec(id, ['sh', '-c', 'kill -9 $$']).code, 137);
  assert.is(exec(id, ['sh', '-c', 'kill -TERM $$']).code, 143);
  // the container keeps running
  assert.is(state(id).status, 'running');
});

test("the exec'd process joins the container's namespaces, rootfs, hostname and cgroups", () => {
  const { id, pid } = running({
    config: { hostname: 'exec-box' },
    files: { 'rootfs/etc/tsrun-exec-marker': 'in-the-rootfs\n' },
  });
  const script = NS.map((n) => `echo "${n} $(readlink /proc/self/ns/${n})"`).join('; ');
  const got = Object.fromEntries(envLines(execSh(id, script)).map((l) => l.split(' ')));
  for (const n of ['pid', 'net', 'mnt', 'uts', 'ipc']) {
    assert.is.not(nsOf(pid, n), nsOf('self', n), `precondition: the container has its own ${n} namespace`);
  }
  for (const n of NS) assert.is(got[n], nsOf(pid, n), `${n} namespace of exec = init's`);

  // pid namespace and the container's /proc: pid 1 is the container's sleep, we are not pid 1
  assert.is(execSh(id, 'tr "\\0" " " </proc/1/cmdline; echo; echo $$').split('\n')[0], 'sleep 100 ');
  assert.is.not(execSh(id, 'echo $$'), '1\n');
  // rootfs and hostname
  assert.not.ok(existsSync('/etc/tsrun-exec-marker'), 'precondition: the host has no marker');
  assert.is(execOut(id, ['cat', '/etc/tsrun-exec-marker']), 'in-the-rootfs\n');
  assert.is(execOut(id, ['hostname']), 'exec-box\n');
  // cgroups (no cgroup namespace: the paths are the host's)
  const initCg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  assert.is.not(initCg, readFileSync('/proc/self/cgroup', 'utf8'), 'precondition: the container has its own cgroups');
  assert.is(execOut(id, ['cat', '/proc/self/cgroup']), initCg, "exec is in the container's cgroups");
});

test('exec joins the user and cgroup namespaces too (uid mappings apply)', () => {
  const { id, pid } = running({
    mutate: (c) => {
      c.linux.namespaces.push({ type: 'user' }, { type: 'cgroup' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    },
  });
  for (const n of ['user', 'cgroup']) assert.is.not(nsOf(pid, n), nsOf('self', n), `precondition: own ${n} namespace`);
  const script = NS.map((n) => `echo "${n} $(readlink /proc/self/ns/${n})"`).join('; ');
  const got = Object.fromEntries(envLines(execSh(id, script)).map((l) => l.split(' ')));
  for (const n of NS) assert.is(got[n], nsOf(pid, n), `${n} namespace of exec = init's`);
  const out = execSh(id, 'id -u; cat /proc/self/uid_map').split('\n');
  assert.is(out[0], '0');
  assert.is(out[1].trim().split(/\s+/).join(' '), '0 200000 65536');
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+200000\s/m, 'precondition: init is host uid 200000');
  // the same cgroup as init, seen through the container's cgroup namespace
  assert.is(execSh(id, 'cat /proc/self/cgroup'), execSh(id, 'cat /proc/1/cgroup'));
});

test('exec into a created (not yet started) container runs there and leaves it created', () => {
  const { id, pid } = running({}, { start: false });
  assert.is(execOut(id, ['echo', 'early']), 'early\n');
  assert.is(execSh(id, 'readlink /proc/self/ns/pid'), `${nsOf(pid, 'pid')}\n`);
  assert.is(state(id).status, 'created', 'exec does not start the container');
  ok(rt(['start', id]), 'start after exec');
  assert.is(state(id).status, 'running');
  assert.is(execSh(id, 'tr "\\0" " " </proc/1/cmdline'), 'sleep 100 ');
});

// ---- the process: env, cwd, user, capabilities -----------------------------------------------

test("env: the config's env is inherited; --env / -e add and override", () => {
  const { id } = running();
  let env = envLines(execOut(id, ['env']));
  assert.ok(env.includes(BASELINE_PATH), env.join('\n'));
  assert.ok(env.includes('TERM=xterm'), env.join('\n'));
  assert.ok(env.includes('HOME=/root'), `HOME from /etc/passwd: ${env.join('\n')}`);

  env = envLines(execOut(id, ['env'], { flags: ['--env', 'FOO=bar', '--env', 'TERM=dumb', '--env', 'EMPTY=', '--env', 'EQ=a=b'] }));
  for (const e of ['FOO=bar', 'TERM=dumb', 'EMPTY=', 'EQ=a=b', BASELINE_PATH]) assert.ok(env.includes(e), `${e} in\n${env.join('\n')}`);
  assert.not.ok(env.includes('TERM=xterm'), `--env overrides the config's TERM:\n${env.join('\n')}`);

  env = envLines(execOut(id, ['env'], { flags: ['-e', 'FOO=1', '-e', 'FOO=2', '-e', 'PATH=/bin', '-e', 'HOME=/custom'] }));
  assert.is(env.filter((l) => l.startsWith('FOO=')).join(','), 'FOO=2', 'the last --env wins, once');
  assert.is(env.filter((l) => l.startsWith('PATH=')).join(','), 'PATH=/bin');
  assert.is(env.filter((l) => l.startsWith('HOME=')).join(','), 'HOME=/custom');

  // a config with its own env
  const c2 = running({ config: { process: { env: ['PATH=/bin', 'CFG=yes'] } } });
  env = envLines(execOut(c2.id, ['env'], { flags: ['--env', 'X=1'] }));
  for (const e of ['PATH=/bin', 'CFG=yes', 'X=1']) assert.ok(env.includes(e), `${e} in\n${env.join('\n')}`);
  assert.not.ok(env.some((l) => l.startsWith('TERM=')), env.join('\n'));
});

test("--cwd, and the config's cwd by default", () => {
  const { id } = running({ config: { process: { cwd: '/etc' } } });
  assert.is(execOut(id, ['pwd']), '/etc\n');
  assert.is(execOut(id, ['pwd'], { flags: ['--cwd', '/tmp'] }), '/tmp\n');
  assert.is(execOut(id, ['pwd'], { flags: ['--cwd', '/'] }), '/\n');
});

test("--user and --additional-gids, over the config's user", () => {
  const { id } = running({ config: { process: { user: { uid: 0, gid: 0, additionalGids: [7] } } } });
  let st = execStatus(id);
  assert.is(st.Uid, '0\t0\t0\t0');
  assert.is(st.Gid, '0\t0\t0\t0');
  assert.equal(groups(st), [7], "the config's additionalGids");

  assert.is(execSh(id, 'id -u; id -g', { flags: ['--user', '1000:1000'] }), '1000\n1000\n');
  st = execStatus(id, { flags: ['-u', '1000:1001'] });
  assert.is(st.Uid, '1000\t1000\t1000\t1000');
  assert.is(st.Gid, '1001\t1001\t1001\t1001');
  assert.equal(groups(st), [7], "--user keeps the config's additionalGids");
  assert.is(execSh(id, 'id -u; id -g', { flags: ['--user', '1000'] }), '1000\n0\n', 'uid alone: gid 0');

  assert.equal(groups(execStatus(id, { flags: ['--additional-gids', '5'] })), [5, 7], '--additional-gids adds');
  assert.equal(groups(execStatus(id, { flags: ['-g', '5', '-g', '100', '-u', '1000:1000'] })), [5, 7, 100]);

  // HOME comes from the container's /etc/passwd for the exec user (when env has none)
  const c2 = running({ config: { process: { env: ['PATH=/bin'] } } });
  assert.is(execSh(c2.id, 'echo $HOME', { flags: ['--user', '65534:65534'] }), '/nonexistent\n');
  assert.is(execSh(c2.id, 'echo $HOME'), '/root\n');
});

test("--cap adds to the config's capabilities; --no-new-privs; the config's noNewPrivileges", () => {
  const { id } = running({ config: { process: { noNewPrivileges: false } } });
  const base = execStatus(id);
  assert.is(base.CapBnd, hexmask(BASELINE_CAPS));
  assert.is(base.CapEff, hexmask(BASELINE_CAPS));
  assert.is(base.NoNewPrivs, '0');

  let st = execStatus(id, { flags: ['--cap', 'CAP_NET_ADMIN'] });
  const plus = hexmask([...BASELINE_CAPS, 'CAP_NET_ADMIN']);
  assert.is(st.CapBnd, plus, 'CapBnd');
  assert.is(st.CapPrm, plus, 'CapPrm');
  assert.is(st.CapEff, plus, 'CapEff');
  assert.is(st.CapInh, base.CapInh, '--cap does not add to the inheritable set (CVE-2022-29162)');
  st = execStatus(id, { flags: ['--cap', 'CAP_NET_ADMIN', '--cap', 'CAP_SYS_TIME'] });
  assert.is(st.CapEff, hexmask([...BASELINE_CAPS, 'CAP_NET_ADMIN', 'CAP_SYS_TIME']));
  // the capability is really there: root may add an address to lo only with CAP_NET_ADMIN
  assert.is.not(exec(id, ['ip', 'addr', 'add', '10.99.0.1/32', 'dev', 'lo']).code, 0, 'no CAP_NET_ADMIN by default');
  ok(exec(id, ['ip', 'addr', 'add', '10.99.0.1/32', 'dev', 'lo'], { flags: ['--cap', 'CAP_NET_ADMIN'] }), 'with --cap CAP_NET_ADMIN');

  assert.is(execStatus(id, { flags: ['--no-new-privs'] }).NoNewPrivs, '1');
  // noNewPrivileges of the config applies to exec too
  const c2 = running({ config: { process: { noNewPrivileges: true } } });
  assert.is(execStatus(c2.id).NoNewPrivs, '1');
});

test('--process FILE: args, env, cwd, user, capabilities, noNewPrivileges, rlimits', () => {
  const { id } = running({ config: { process: { noNewPrivileges: false } } });
  const caps = {
    bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'],
    inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'],
  };
  const proc = {
    args: ['/bin/sh', '-c', 'echo "args $0 $1"; pwd; id -u; id -g; cat /proc/self/status /proc/self/limits; env', 'zero', 'one'],
    env: ['PATH=/bin', 'FROM_JSON=yes'],
    cwd: '/etc',
    user: { uid: 1000, gid: 1001, additionalGids: [5] },
    capabilities: caps,
    noNewPrivileges: true,
    rlimits: [
      { type: 'RLIMIT_NOFILE', soft: 88, hard: 88 },
      { type: 'RLIMIT_NPROC', soft: 4000, hard: 5000 },
    ],
  };
  const pf = join(WORK, 'process.json');
  writeFileSync(pf, JSON.stringify(proc));
  const out = ok(rt(['exec', '--process', pf, id])).stdout;
  const lines = out.split('\n');
  assert.is(lines[0], 'args zero one');
  assert.is(lines[1], '/etc');
  assert.is(lines[2], '1000');
  assert.is(lines[3], '1001');
  const st = parseStatus(out);
  assert.equal(groups(st), [5]);
  assert.is(st.CapBnd, hexmask(caps.bounding));
  assert.is(st.CapInh, hexmask(caps.inheritable));
  assert.is(st.CapAmb, hexmask(caps.ambient));
  assert.is(st.CapEff, hexmask(caps.ambient));
  assert.is(st.NoNewPrivs, '1');
  assert.match(out, /^Max open files\s+88\s+88\s+files/m);
  assert.match(out, /^Max processes\s+4000\s+5000\s+processes/m);
  assert.ok(lines.includes('FROM_JSON=yes'), out);
  assert.ok(lines.includes('PATH=/bin'), out);
  assert.not.ok(lines.some((l) => l.startsWith('TERM=')), `the config's env is not merged into process.json's:\n${out}`);
  // -p is the short form
  assert.is(ok(rt(['exec', '-p', pf, id])).stdout.split('\n')[0], 'args zero one');
});

// ---- --detach, --pid-file, --preserve-fds ----------------------------------------------------

test('--detach --pid-file: returns at once; the pid file names a live process inside the container', async () => {
  const { id, b, pid: init } = running();
  const cgroups = cgroupDirsOf(init);
  const pf = join(WORK, 'detached.pid');
  const t0 = Date.now();
  const r = exec(id, ['sleep', '100'], { flags: ['--detach', '--pid-file', pf], timeout: 5000 });
  ok(r, 'exec --detach');
  assert.ok(Date.now() - t0 < 4000, `exec --detach returned after ${Date.now() - t0}ms`);
  assert.match(readFileSync(pf, 'utf8'), /^\d+\n?$/, 'pid file holds one pid');
  const pid = Number(readFileSync(pf, 'utf8'));
  assert.ok(pidAlive(pid), `pid ${pid} is alive`);
  assert.is.not(pid, init);
  assert.is(readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
  for (const n of ['pid', 'net', 'mnt', 'uts', 'ipc']) assert.is(nsOf(pid, n), nsOf(init, n), `${n} namespace`);
  assert.is(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), readFileSync(`/proc/${init}/cgroup`, 'utf8'), 'cgroups');
  const nspid = parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).NSpid.split(/\s+/);
  assert.is(nspid.length, 2, `NSpid ${nspid}`);
  assert.is(Number(nspid[0]), pid, 'the pid file holds the host pid');

  // the exit status of a detached process is not the runtime's; its stdio is the runtime's
  ok(exec(id, ['sh', '-c', 'exit 7'], { flags: ['-d'], timeout: 5000 }), 'exec -d of a failing command');
  const d = ok(exec(id, ['sh', '-c', 'sleep 0.2; echo detached-out'], { flags: ['-d'], timeout: 5000 }));
  await waitOutput(d, /^detached-out\n$/);

  // a relative --pid-file is relative to the runtime's cwd
  ok(exec(id, ['true'], { flags: ['-d', '--pid-file', 'rel.pid'], cwd: WORK, timeout: 5000 }));
  assert.match(readFileSync(join(WORK, 'rel.pid'), 'utf8'), /^\d+\n?$/);
  // --pid-file without --detach is written too
  const pf2 = join(WORK, 'fg.pid');
  ok(exec(id, ['true'], { flags: ['--pid-file', pf2] }));
  assert.match(readFileSync(pf2, 'utf8'), /^\d+\n?$/);

  // delete --force kills the detached process with the container; nothing is left
  ok(rt(['delete', '--force', id]));
  await waitFor(() => !pidAlive(pid), { what: `detached exec ${pid} to die` });
  await assertNoLeaks({ id, bundle: b, cgroups });
});

test('--preserve-fds N passes fds 3..3+N-1 to the process and closes the others', () => {
  const { id } = running();
  const f3 = join(WORK, 'fd3.txt');
  const f4 = join(WORK, 'fd4.txt');
  writeFileSync(f3, 'content-of-fd3\n');
  writeFileSync(f4, 'content-of-fd4\n');
  const script = 'for n in 3 4; do if [ -e /proc/$$/fd/$n ]; then cat <&$n; else echo fd$n-closed; fi; done';
  const run = (flags) => {
    const fds = [openSync(f3, 'r'), openSync(f4, 'r')]; // fresh offsets for every run
    try {
      return execSh(id, script, { flags, extraFds: fds });
    } finally {
      fds.forEach(closeSync);
    }
  };
  assert.is(run([]), 'fd3-closed\nfd4-closed\n', 'inherited fds are closed without --preserve-fds');
  assert.is(run(['--preserve-fds', '1']), 'content-of-fd3\nfd4-closed\n');
  assert.is(run(['--preserve-fds', '2']), 'content-of-fd3\ncontent-of-fd4\n');
});

// ---- errors ----------------------------------------------------------------------------------

// The container is unharmed by a failed exec: still running, init alone in it.
function unharmed(c, what) {
  assert.is(state(c.id).status, 'running', `${what}: container still running`);
  assert.equal(psJson(c.id), [c.pid], `${what}: no process left in the container`);
  assert.equal(processesIn(c.b.dir).map((p) => p.pid), [c.pid], `${what}: no process left in the bundle`);
}

test('exec into an unknown or a stopped container fails cleanly', async () => {
  fails(exec(newId('nope'), ['true']), 'exec into an unknown id');
  fails(exec(newId('nope'), ['true'], { flags: ['--detach'] }), 'exec -d into an unknown id');

  const b = bundle({ args: ['true'], config: { linux: { resources: { pids: { limit: 100 } } } } });
  const id = newId('stopped');
  ok(rt(['create', '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  await waitStatus(id, 'stopped');
  const pf = join(WORK, 'stopped.pid');
  fails(exec(id, ['echo', 'ran'], { timeout: 10000 }), 'exec into a stopped container');
  fails(exec(id, ['sh', '-c', 'echo ran'], { flags: ['-d', '--pid-file', pf], timeout: 10000 }), 'exec -d into a stopped container');
  assert.not.ok(existsSync(pf), 'no pid file');
  assert.is(state(id).status, 'stopped');
  ok(rt(['delete', id]), 'the stopped container can still be deleted');
  await assertNoLeaks({ id, bundle: b });
});

test('exec of a missing or non-executable program fails cleanly and leaves nothing', () => {
  const c = running();
  const pf = join(WORK, 'missing.pid');
  for (const [args, flags] of [
    [['/nonexistent'], []],
    [['no-such-command'], []],
    [['/etc/passwd'], []],
    [['/nonexistent'], ['--detach', '--pid-file', pf]],
  ]) {
    const what = `exec ${flags.join(' ')} ${args.join(' ')}`;
    const r = exec(c.id, args, { flags, timeout: 10000 });
    fails(r, what);
    assert.is(r.stdout, '', `${what}: nothing on stdout`);
    unharmed(c, what);
  }
  assert.not.ok(existsSync(pf), 'no pid file for a failed exec');
});

test('bad exec options fail cleanly: --cwd, --user, --env, no command, bad --process', () => {
  const c = running();
  const cases = [
    [['--cwd', 'tmp'], ['pwd'], 'relative --cwd'],
    [['--cwd', '/nonexistent'], ['pwd'], 'missing --cwd'],
    [['--user', 'abc'], ['id'], 'non-numeric --user'],
    [['--user', '1000:x'], ['id'], 'non-numeric gid'],
    [['--user', '-5'], ['id'], 'negative --user'],
    [['--env', 'NO_EQUALS_SIGN'], ['env'], '--env without ='],
    [[], [], 'no command'],
  ];
  const bad = (name, text) => { const p = join(WORK, name); writeFileSync(p, text); return p; };
  const pcases = [
    [bad('syntax.json', '{"args": ['), 'process.json syntax error'],
    [bad('noargs.json', JSON.stringify({ args: [], cwd: '/' })), 'process.json with empty args'],
    [bad('nocwd.json', JSON.stringify({ args: ['/bin/true'] })), 'process.json without cwd'],
    [join(WORK, 'does-not-exist.json'), 'missing process.json'],
  ];
  for (const [p, what] of pcases) cases.push([['--process', p], [], what]);
  for (const [flags, args, what] of cases) {
    fails(exec(c.id, args, { flags, timeout: 10000 }), what);
    unharmed(c, what);
  }
  // no container id at all: a usage error (runc prints the usage text)
  fails(rt(['exec']), 'exec without an id', { oneLine: false });
});

// ---- ps --------------------------------------------------------------------------------------

test('ps --format json lists the host pids of the container; ps prints a table with them', () => {
  const c = running();
  assert.equal(psJson(c.id), [c.pid], 'init alone');
  const pid = detachedSleep(c.id);
  const want = [c.pid, pid].sort((a, b) => a - b);
  assert.equal(psJson(c.id), want, "init and the exec'd sleep");

  for (const flags of [[], ['--format', 'table']]) {
    const r = ok(rt(['ps', ...flags, c.id]), `ps ${flags.join(' ')}`);
    const lines = r.stdout.split('\n').filter((l) => l.trim());
    const header = lines[0].trim().split(/\s+/);
    const col = header.indexOf('PID');
    assert.ok(col >= 0, `a PID column in the header: ${lines[0]}`);
    const pids = lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[col])).sort((a, b) => a - b);
    assert.equal(pids, want, `PID column of\n${r.stdout}`);
  }
  fails(rt(['ps', newId('nope')]), 'ps of an unknown id');
  fails(rt(['ps', '--format', 'json', newId('nope')]), 'ps --format json of an unknown id');
  fails(rt(['ps', '--format', 'xml', c.id]), 'ps with an unknown format');
});

// ---- terminals: the misuses both runtimes refuse (working terminals: terminal.test.mjs) ------------

test('exec -t -d without a console socket and --console-socket without -t: refused, never hang', async () => {
  const c = running();
  const marker = join(c.b.rootfs, 'tmp', 'tty-ran');
  // no terminal can be handed over when detaching without a console socket (runc refuses too)
  fails(exec(c.id, ['touch', '/tmp/tty-ran'], { flags: ['-t', '-d'], timeout: 10000 }), 'exec -t -d without --console-socket');
  // a console socket without a terminal makes no sense (runc refuses too)
  const sock = join(WORK, 'console.sock');
  const srv = createServer((conn) => conn.destroy());
  await new Promise((res) => srv.listen(sock, res));
  try {
    fails(exec(c.id, ['touch', '/tmp/tty-ran'], { flags: ['--console-socket', sock], timeout: 10000 }), '--console-socket without -t');
    assert.not.ok(existsSync(marker), 'the command did not run');
    unharmed(c, 'refused console socket');
  } finally {
    srv.close();
  }
});

test.run();
