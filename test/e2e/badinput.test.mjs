// Bad and hostile input: every case must give a clear error on stderr (one line), a non-zero
// exit (no crash, no hang), and leave nothing behind (no state dir, process, mount, cgroup).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, WORK, assertNoLeaks, bundle, fails, isRunc, newId, ok, rt, setup, skipFor, state, track,
} from '../lib/runtime.mjs';

setup(test);

const rootEntries = () => (existsSync(ROOT) ? readdirSync(ROOT) : []);

// Creates a container from bundle options and expects a clean failure. Returns the error line.
async function createFails(bundleOpts, { verb = 'create', what, match, matchTsrun } = {}) {
  const b = bundle({ args: ['true'], ...bundleOpts });
  const id = newId('bad');
  const before = rootEntries();
  const r = rt([verb, '--bundle', b.dir, id], { timeout: 10000 });
  const line = fails(r, what);
  if (match) assert.match(line, match, `${what}: ${line}`);
  if (matchTsrun && !isRunc) assert.match(line, matchTsrun, `${what}: ${line}`);
  assert.is(state(id), null, `${what}: no container after a failed ${verb}`);
  assert.equal(rootEntries(), before, `${what}: nothing added under --root`);
  await assertNoLeaks({ id, bundle: b });
  return line;
}

// ---- config.json -----------------------------------------------------------------------------

test('malformed config.json (syntax error)', async () => {
  const line = await createFails({ mutate: (c) => JSON.stringify(c, null, 2).replace('"process": {', '"process": {,') },
    { what: 'malformed config.json' });
  if (skipFor(isRunc, 'runc does not give the JSON position')) return;
  assert.match(line, /config\.json/, line);
  assert.match(line, /\b\d+:\d+\b/, `line:column in ${line}`);
});

test('hostile config.json: truncated, empty, wrong top-level type, deep nesting, invalid UTF-8, huge', async () => {
  const cases = {
    truncated: (c) => JSON.stringify(c).slice(0, 100),
    empty: () => '',
    'top-level array': () => '[]',
    'top-level string': () => '"config"',
    'deep nesting': () => '['.repeat(100000) + ']'.repeat(100000),
    'deep nesting in a field': (c) => JSON.stringify(c).replace('"hostname":"tsrun"', `"hostname":${'{"a":'.repeat(50000)}1${'}'.repeat(50000)}`),
  };
  for (const [what, mutate] of Object.entries(cases)) await createFails({ mutate }, { what });
  if (!skipFor(isRunc, "Go's JSON decoder accepts trailing data and duplicate keys")) {
    await createFails({ mutate: (c) => JSON.stringify(c) + ' }' }, { what: 'trailing garbage' });
    await createFails({ mutate: (c) => JSON.stringify(c).replace('"hostname":"tsrun"', '"hostname":"a","hostname":"b"') },
      { what: 'duplicate key', match: /hostname/ });
  }

  // bytes that are not UTF-8 inside a string value
  if (skipFor(isRunc, "Go's JSON decoder replaces invalid UTF-8 instead of failing")) return;
  const b = bundle({ args: ['true'] });
  const text = Buffer.from(JSON.stringify(b.config).replace('"tsrun"', '"ts\u0001run"'));
  const at = text.indexOf(0x01);
  text[at] = 0xff;
  writeFileSync(b.configPath, text);
  const id = newId('utf8');
  const line = fails(rt(['create', '--bundle', b.dir, id]), 'invalid UTF-8');
  assert.match(line, /UTF-8/i);
  await assertNoLeaks({ id, bundle: b });
});

test('hostile config.json: a huge string does not crash the runtime', async () => {
  const big = 'x'.repeat(4 * 1024 * 1024);
  const b = bundle({ args: ['true'], config: { annotations: { big } } });
  const id = newId('big');
  const r = rt(['run', '--bundle', b.dir, id], { timeout: 30000 });
  // accepting it (exit 0) or refusing it cleanly are both fine; crashing or hanging is not
  assert.ok(!r.timedOut && r.signal == null && r.code != null, r.toString());
  if (r.code !== 0) fails(r, 'huge annotation');
  await assertNoLeaks({ id, bundle: b });
});

test('config.json "null"', async () => {
  if (skipFor(isRunc, 'runc 1.1 panics on a "null" config.json')) return;
  await createFails({ mutate: () => 'null' }, { what: 'null config' });
});

test('wrong types name the field', async () => {
  await createFails({ mutate: (c) => { c.process.args = 'sh'; } }, { what: 'args is a string', match: /args/ });
  await createFails({ mutate: (c) => { c.process.user.uid = 'root'; } }, { what: 'uid is a string', match: /uid/ });
  await createFails({ mutate: (c) => { c.process.user.uid = -1; } }, { what: 'negative uid', match: /uid/ });
  await createFails({ mutate: (c) => { c.process.user.uid = 4294967296; } }, { what: 'uid out of range', match: /uid/ });
  await createFails({ mutate: (c) => { c.process.env = [1, 2]; } }, { what: 'env numbers', match: /env/ });
  await createFails({ mutate: (c) => { c.mounts = {}; } }, { what: 'mounts is an object', match: /mount/i });
});

test('missing required parts', async () => {
  await createFails({ mutate: (c) => { delete c.root; } }, { what: 'no root', match: /root/ });
  await createFails({ mutate: (c) => { delete c.process; } }, { what: 'no process', match: /process/ });
  await createFails({ mutate: (c) => { c.process.args = []; } }, { what: 'empty args', match: /args/, matchTsrun: /process\.args/ });
  await createFails({ mutate: (c) => { delete c.process.args; } }, { what: 'no args', match: /args/ });
});

test('invalid values that runc rejects', async () => {
  await createFails({ mutate: (c) => { c.process.cwd = 'tmp'; } }, { what: 'relative cwd', match: /cwd/i, matchTsrun: /process\.cwd/ });
  await createFails({ mutate: (c) => { c.linux.namespaces.push({ type: 'pid' }); } },
    { what: 'duplicate namespace', match: /namespace|ns/i, matchTsrun: /linux\.namespaces/ });
  await createFails({ mutate: (c) => { c.linux.namespaces.push({ type: 'bogus' }); } },
    { what: 'unknown namespace type', match: /bogus/, matchTsrun: /linux\.namespaces/ });
  await createFails({ mutate: (c) => { c.process.rlimits.push({ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }); } },
    { what: 'unknown rlimit', match: /RLIMIT_BOGUS/, matchTsrun: /process\.rlimits/ });
  await createFails({ mutate: (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'uts'); } },
    { what: 'hostname without a UTS namespace', match: /hostname|UTS/i });
});

test('sysctl: refused for the host network namespace and for non-namespaced keys', async () => {
  const before = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  await createFails({
    mutate: (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network');
      c.linux.sysctl = { 'net.ipv4.ip_forward': before.trim() === '1' ? '0' : '1' };
    },
  }, { what: 'net sysctl in the host netns', match: /ip_forward/ });
  assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), before, 'host ip_forward unchanged');
  await createFails({ config: { linux: { sysctl: { 'vm.swappiness': '10' } } } }, { what: 'non-namespaced sysctl', match: /swappiness/ });
});

test('non-semver ociVersion', async () => {
  if (skipFor(isRunc, 'runc 1.1 does not check ociVersion')) return;
  for (const v of ['banana', '1', '1.0', 'v1.0.0', '', '2.0.0']) {
    await createFails({ config: { ociVersion: v } }, { what: `ociVersion ${JSON.stringify(v)}`, match: /ociVersion/ });
  }
});

test('accepted ociVersions 1.0.0 .. 1.3.0', () => {
  for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.0', '1.2.1', '1.3.0']) {
    const b = bundle({ args: ['true'], config: { ociVersion: v } });
    ok(rt(['run', '--bundle', b.dir, newId('ver')]), `ociVersion ${v}`);
  }
});

// ---- bundle --------------------------------------------------------------------------------

test('missing config.json, bundle dir, rootfs; bundle is a file', async () => {
  await createFails({ noConfig: true }, { what: 'missing config.json', match: /config\.json/ });
  await createFails({ noRootfs: true }, { what: 'missing rootfs', match: /rootfs/ });
  const id = newId('nob');
  const missing = join(WORK, 'no-such-bundle');
  let line = fails(rt(['create', '--bundle', missing, id]), 'missing bundle dir');
  assert.match(line, /no-such-bundle/);
  assert.not.ok(existsSync(missing), 'the bundle dir is not created');
  assert.is(state(id), null);
  const file = join(WORK, 'bundle-is-a-file');
  writeFileSync(file, '');
  line = fails(rt(['create', '--bundle', file, id]), 'bundle is a file');
  await assertNoLeaks({ id });
});

test('runtime failures during create leave nothing behind', async () => {
  await createFails({ args: ['/no/such/binary'] }, { what: 'args[0] missing', match: /\/no\/such\/binary/ });
  await createFails({ args: ['/etc/passwd'] }, { what: 'args[0] not executable', match: /passwd/ });
  await createFails({ args: ['no-such-command-in-path'] }, { what: 'args[0] not in PATH', match: /no-such-command-in-path/ });
  await createFails({ mutate: (c) => { c.mounts.push({ destination: '/x', type: 'bogusfs', source: 'none' }); } },
    { what: 'unknown filesystem type', match: /\/x|bogusfs/ });
  await createFails({ mutate: (c) => { c.mounts.push({ destination: '/x', type: 'bind', source: join(WORK, 'nope'), options: ['bind'] }); } },
    { what: 'bind source missing', match: /nope/ });
  await createFails({ mutate: (c) => { c.process.cwd = '/etc/passwd'; } }, { what: 'cwd is a file', match: /passwd|cwd/i });
});

test('failures during run leave nothing behind', async () => {
  await createFails({ args: ['/no/such/binary'] }, { verb: 'run', what: 'run: args[0] missing', match: /\/no\/such\/binary/ });
  await createFails({ mutate: (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }]; } },
    { verb: 'run', what: 'rlimit soft > hard', match: /rlimit/i });
});

// ---- container ids -------------------------------------------------------------------------

test('invalid container ids', async () => {
  const b = bundle({ args: ['true'] });
  const ids = ['../x', 'a/b', '', '.', '..', '/abs', 'a b', 'x\ny', 'a'.repeat(1000)];
  for (const id of ids) {
    track(id);
    const before = rootEntries();
    const r = rt(['create', '--bundle', b.dir, id]);
    const line = fails(r, `id ${JSON.stringify(id.slice(0, 20))}`);
    if (id.length === 1000 && skipFor(isRunc, 'runc quotes the whole 1000-char path in its error')) continue;
    assert.ok(line.length < 400, `a short message for ${id.slice(0, 20)}: ${line.slice(0, 200)}...`);
    assert.equal(rootEntries(), before, `nothing created under --root for ${JSON.stringify(id)}`);
  }
  assert.not.ok(existsSync(join(WORK, 'x')), '../x did not escape the root');
  await assertNoLeaks({ bundle: b });
});

test('a long valid id (200 characters) works or is refused cleanly', async () => {
  // (runc accepts ids up to the file-name limit; a long but valid id must not break anything)
  const b = bundle({ args: ['true'] });
  const id = 'b'.repeat(200);
  track(id);
  const r = rt(['run', '--bundle', b.dir, id]);
  if (r.code !== 0) fails(r);
  assert.is(state(id), null);
  await assertNoLeaks({ id, bundle: b });
});

// ---- verbs on the wrong container ----------------------------------------------------------

test('duplicate create of the same id fails and leaves the first alone', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('dup');
  ok(rt(['create', '--bundle', b.dir, id]));
  const first = state(id);
  const line = fails(rt(['create', '--bundle', b.dir, id]), 'second create');
  assert.match(line, /exist/i);
  const again = state(id);
  assert.is(again.status, 'created');
  assert.is(again.pid, first.pid);
  fails(rt(['run', '--bundle', b.dir, id]), 'run with an existing id');
  assert.is(state(id).pid, first.pid);
});

test('state/start/kill/delete/ps of an unknown id fail; delete --force of an unknown id exits 0', () => {
  const id = newId('ghost');
  for (const args of [['state', id], ['start', id], ['kill', id], ['kill', id, 'KILL'], ['delete', id]]) {
    const line = fails(rt(args), args.join(' '));
    assert.match(line, /not exist|no such|not found|unknown/i, `${args.join(' ')}: ${line}`);
  }
  assert.is(ok(rt(['delete', '--force', id])).code, 0);
  assert.is(ok(rt(['delete', '-f', id])).code, 0);
  assert.not.ok(existsSync(join(ROOT, id)));
});

test('delete of a running container without --force fails; with --force it works', async () => {
  const b = bundle({ args: ['sleep', '1000'] });
  const id = newId('run');
  ok(rt(['run', '-d', '--bundle', b.dir, id]));
  fails(rt(['delete', id]));
  assert.is(state(id).status, 'running');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

// ---- CLI -----------------------------------------------------------------------------------

test('usage errors: unknown verb, unknown flag, missing id', () => {
  fails(rt(['no-such-verb']), 'unknown verb');
  fails(rt(['create', '--no-such-flag', 'x']), 'unknown flag');
  for (const verb of ['create', 'start', 'state', 'kill', 'delete', 'run']) fails(rt([verb]), `${verb} without an id`);
  fails(rt(['state', 'a', 'b']), 'too many arguments');
});

test('--log FILE --log-format json: the error is a JSON line {level, msg, time}', () => {
  const log = join(WORK, 'log.json');
  const id = newId('log');
  const r = rt(['create', '--bundle', join(WORK, 'missing-bundle'), id], { global: ['--log', log, '--log-format', 'json'] });
  assert.is.not(r.code, 0);
  assert.ok(existsSync(log), 'log file written');
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const errors = lines.map((l) => JSON.parse(l)).filter((e) => e.level === 'error');
  assert.ok(errors.length >= 1, `an error line in ${lines.join('\n')}`);
  const e = errors[errors.length - 1];
  assert.type(e.msg, 'string');
  assert.match(e.msg, /missing-bundle/);
  assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  assert.ok(Math.abs(Date.now() - Date.parse(e.time)) < 60000, `time is now: ${e.time}`);
  // the file is appended to
  rt(['state', 'no-such-container'], { global: ['--log', log, '--log-format', 'json'] });
  const after = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  assert.ok(after.length > lines.length, 'appended');
  assert.is(JSON.parse(after[after.length - 1]).level, 'error');
  // the error still reaches stderr
  assert.match(r.stderr, /missing-bundle/);
});

test('--log FILE (text format) gets the error too', () => {
  const log = join(WORK, 'log.txt');
  const r = rt(['state', 'no-such-container'], { global: ['--log', log] });
  assert.is.not(r.code, 0);
  assert.match(readFileSync(log, 'utf8'), /not exist|no such|not found|unknown/i);
});

test.run();
