// Drives the runtime under test (bin/tsrun, or any runc-compatible runtime) from e2e tests.
//
// RUNTIME = $TSRUN_BIN (default <repo>/bin/tsrun). Every call gets `--root <per-file temp dir>`.
// One test file = one Node process = one WORK temp dir holding the runtime root(s), the
// bundles and the captured output. Everything created is tracked and removed by cleanup(),
// which runs after each test (uvu after.each), after the suite and on process exit, even when
// a test fails: `delete --force` of every id, SIGKILL of any process left in a bundle, lazy
// unmount of any mount under WORK, rmdir of cgroups named after our ids, rm -rf of WORK.
//
// Output of runtime calls goes to files, not pipes: a detached container inherits the
// runtime's stdout/stderr, and a pipe would keep a synchronous call waiting for it.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync,
  rmSync, rmdirSync, statSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { makeBundle, TMP } from './bundle.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RUNTIME = process.env.TSRUN_BIN || join(REPO, 'bin/tsrun');
// The reference runtime for differential tests.
export const RUNC = process.env.RUNC_BIN || '/usr/sbin/runc';

function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout || ''}${r.stderr || ''}`.trim();
}
export const RUNTIME_VERSION = existsSync(RUNTIME) ? versionOf(RUNTIME) : '';
export const isRunc = /^runc version/m.test(RUNTIME_VERSION) || basename(RUNTIME) === 'runc';
export const isCrun = /^crun version/m.test(RUNTIME_VERSION) || basename(RUNTIME) === 'crun';
export const isTsrun = !isRunc && !isCrun;

export const WORK = mkdtempSync(join(TMP, `tsrun-e2e-${process.pid}-`));
chmodSync(WORK, 0o755); // reachable by a user-namespaced container's root (an unprivileged host uid)
// Root for the runtime under test; created by the runtime itself (--root is created if missing).
export const ROOT = join(WORK, 'root');
const IO = join(WORK, 'io');
mkdirSync(IO);

const tracked = [];   // { id, runtime, root }
const bundles = [];   // bundle objects
let ioSeq = 0;
let idSeq = 0;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A fresh container id, tracked for cleanup. Short, unique across concurrent test files.
export function newId(tag = 'c', { runtime = RUNTIME, root } = {}) {
  const id = `t${process.pid.toString(36)}-${tag}-${idSeq++}`;
  track(id, { runtime, root });
  return id;
}

// Tracks an id that was not made by newId (e.g. a hostile one) so cleanup deletes it.
export function track(id, { runtime = RUNTIME, root } = {}) {
  tracked.push({ id, runtime, root: root || rootFor(runtime) });
}

export function rootFor(runtime) {
  return runtime === RUNTIME ? ROOT : join(WORK, `root-${basename(runtime)}`);
}

// A bundle under WORK, removed by cleanup(). Options as makeBundle (test/lib/bundle.mjs).
export function bundle(opts = {}) {
  const b = makeBundle({ parent: WORK, ...opts });
  bundles.push(b);
  return b;
}

// Runs the runtime synchronously: rt(['state', id]) → { code, signal, stdout, stderr, ... }.
// opts: input (string for stdin; default /dev/null), timeout ms (default 20000; the runtime
// gets SIGKILL), runtime (binary; default RUNTIME), root (default per runtime; false: no
// --root), global (extra global flags placed before the verb), env, cwd, extraFds (open fds
// passed to the runtime as its fds 3, 4, ...).
// res.outFile/res.errFile hold what the runtime and any container that inherited its stdio
// wrote; res.read() re-reads stdout (a detached container may write later).
// The runtime binary, its argv and fresh stdout/stderr files for one call.
function prepareCall(args, opts) {
  const runtime = opts.runtime || RUNTIME;
  const root = opts.root === undefined ? rootFor(runtime) : opts.root;
  const argv = [...(root ? ['--root', root] : []), ...(opts.global || []), ...args];
  const n = ioSeq++;
  const outFile = join(IO, `${n}.out`);
  const errFile = join(IO, `${n}.err`);
  return { runtime, argv, outFile, errFile, out: openSync(outFile, 'w+'), err: openSync(errFile, 'w+') };
}

export function rt(args, opts = {}) {
  const { runtime, argv, outFile, errFile, out, err } = prepareCall(args, opts);
  let r;
  try {
    r = spawnSync(runtime, argv, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', out, err, ...(opts.extraFds || [])],
      input: opts.input,
      timeout: opts.timeout ?? 20000,
      killSignal: 'SIGKILL',
      env: opts.env || process.env,
      cwd: opts.cwd,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const res = {
    argv: [runtime, ...argv],
    code: r.status,
    signal: r.signal,
    timedOut: r.error?.code === 'ETIMEDOUT',
    error: r.error,
    outFile,
    errFile,
    stdout: readFileSync(outFile, 'utf8'),
    stderr: readFileSync(errFile, 'utf8'),
    read: () => readFileSync(outFile, 'utf8'),
    readErr: () => readFileSync(errFile, 'utf8'),
  };
  res.toString = () => describe(res);
  return res;
}

export function describe(res) {
  return `${res.argv.join(' ')} -> code ${res.code}${res.signal ? ` signal ${res.signal}` : ''}` +
    `${res.timedOut ? ' (TIMED OUT)' : ''}${res.error && !res.timedOut ? ` (${res.error.message})` : ''}\n--- stdout:\n${res.stdout}--- stderr:\n${res.stderr}`;
}

// Asserts exit status 0 and returns res.
export function ok(res, what = '') {
  if (res.code !== 0) assert.unreachable(`${what ? what + ': ' : ''}expected success\n${describe(res)}`);
  return res;
}

// Asserts a clean failure: non-zero exit (not a crash/timeout) with an error on stderr that is
// one clear line (opts.oneLine false: only the last line is taken). Returns that line.
export function fails(res, what = '', { oneLine = true } = {}) {
  const ctx = `${what ? what + ': ' : ''}${describe(res)}`;
  assert.ok(!res.timedOut, `timed out: ${ctx}`);
  assert.ok(res.signal == null, `killed by ${res.signal}: ${ctx}`);
  assert.ok(res.code !== 0 && res.code != null, `expected failure: ${ctx}`);
  const lines = res.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  assert.ok(lines.length > 0, `expected an error message on stderr: ${ctx}`);
  if (oneLine) assert.is(lines.length, 1, `expected one error line on stderr: ${ctx}`);
  return lines[lines.length - 1];
}

// Asynchronous run (for signal forwarding etc.): returns { child, done } where done resolves
// to the same shape as rt().
export function rtAsync(args, opts = {}) {
  const { runtime, argv, outFile, errFile, out, err } = prepareCall(args, opts);
  const child = spawn(runtime, argv, { stdio: ['ignore', out, err], env: opts.env || process.env });
  closeSync(out);
  closeSync(err);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 20000);
  const done = new Promise((res) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const r = {
        argv: [runtime, ...argv], code, signal, outFile, errFile,
        stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8'),
        read: () => readFileSync(outFile, 'utf8'),
      };
      r.toString = () => describe(r);
      res(r);
    });
  });
  return { child, done, outFile, read: () => readFileSync(outFile, 'utf8') };
}

// Parsed `state ID`, or null when the runtime says no.
export function state(id, opts = {}) {
  const r = rt(['state', id], opts);
  if (r.code !== 0) return null;
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    assert.unreachable(`state ${id} printed invalid JSON: ${e.message}\n${describe(r)}`);
  }
}

// Polls fn() every `interval` ms until it returns a truthy value; throws after timeout.
export async function waitFor(fn, { timeout = 5000, interval = 10, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) assert.unreachable(`timed out after ${timeout}ms waiting for ${what}`);
    await sleep(interval);
  }
}

export const waitStatus = (id, status, opts = {}) =>
  waitFor(() => { const s = state(id, opts); return s && s.status === status ? s : null; },
    { what: `${id} to be ${status}`, ...opts });

// Waits until the output file of res (from create/run -d) matches re; returns the text.
export const waitOutput = (res, re, opts = {}) =>
  waitFor(() => { const t = res.read(); return re.test(t) ? t : null; },
    { what: `output matching ${re} (got ${JSON.stringify(res.read())})`, ...opts });

export const pidAlive = (pid) => {
  try {
    // a zombie is not alive for our purposes
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch { return false; }
};

// Runs a container in the foreground: a bundle with args ['sh','-c',script] (plus bundle
// options), `run --bundle DIR ID`. Returns the rt() result plus { id, bundle }.
export function runSh(script, bundleOpts = {}, runOpts = {}) {
  const b = bundle({ args: ['sh', '-c', script], ...bundleOpts });
  const id = newId(runOpts.tag || 'run', runOpts);
  const res = rt(['run', ...(runOpts.flags || []), '--bundle', b.dir, id], runOpts);
  res.id = id;
  res.bundle = b;
  return res;
}

// Runs script in a container and returns its stdout (asserting exit 0).
export function inside(script, bundleOpts = {}, runOpts = {}) {
  const r = runSh(script, bundleOpts, runOpts);
  ok(r, `container running ${JSON.stringify(script)}`);
  return r.stdout;
}

// ---- leak detection ------------------------------------------------------------------------

// Parses /proc/PID/mountinfo text into { line, id, parent, root, mountpoint, options,
// optional[], fstype, source, superOptions }.
export function parseMountinfo(text) {
  return text.split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    return {
      line, id: f[0], parent: f[1], root: unescape(f[3]), mountpoint: unescape(f[4]),
      options: f[5], optional: f.slice(6, sep), fstype: f[sep + 1], source: unescape(f[sep + 2]),
      superOptions: f[sep + 3],
    };
  });
}
export const mountinfo = (pid = 'self') => parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

// p is dir or inside it.
const within = (p, dir) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

// Host mounts whose mountpoint, source or root is path or inside it.
export const mountsMentioning = (path) =>
  mountinfo().filter((m) => within(m.mountpoint, path) || within(m.source, path) || within(m.root, path));

function pids() {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => p !== process.pid);
}
function statKey(p) {
  try { const s = statSync(p); return `${s.dev}:${s.ino}`; } catch { return null; }
}
function readlinkOr(p) { try { return readlinkSync(p); } catch { return null; } }

// Live processes whose root or cwd is inside dir (a bundle): /proc/PID/root of a pivoted
// container reads as "/", so the root is compared by device and inode with dir/rootfs.
export function processesIn(dir) {
  const rootKey = statKey(join(dir, 'rootfs'));
  const found = [];
  for (const pid of pids()) {
    const root = readlinkOr(`/proc/${pid}/root`);
    const cwd = readlinkOr(`/proc/${pid}/cwd`);
    if (root == null && cwd == null) continue;
    const inRoot = (rootKey && statKey(`/proc/${pid}/root/.`) === rootKey) ||
      (root && within(root, dir)) || (cwd && within(cwd, dir));
    if (inRoot && pidAlive(pid)) {
      let comm = '?';
      try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch {}
      found.push({ pid, comm });
    }
  }
  return found;
}

// Cgroup directories (all hierarchies) that process pid is in, excluding those we are in.
export function cgroupDirsOf(pid) {
  const mine = new Set(cgroupDirs('self'));
  return cgroupDirs(pid).filter((d) => !mine.has(d));
}
function cgroupMounts() {
  const byCtrl = new Map();
  for (const m of mountinfo()) {
    if (m.fstype === 'cgroup2') byCtrl.set('', m.mountpoint);
    if (m.fstype === 'cgroup') {
      // super options name the controllers (memory, cpu, ...) or name=systemd
      for (const o of m.superOptions.split(',')) byCtrl.set(o, m.mountpoint);
    }
  }
  return byCtrl;
}
export function cgroupDirs(pid) {
  let text;
  try { text = readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { return []; }
  const mounts = cgroupMounts();
  const dirs = [];
  for (const line of text.split('\n').filter(Boolean)) {
    const [, , ctrls, path] = line.match(/^(\d+):([^:]*):(.*)$/) || [];
    if (path === undefined) continue;
    const first = ctrls === '' ? '' : ctrls.split(',')[0];
    const mp = mounts.get(first);
    if (mp) dirs.push(join(mp, path).replace(/(.)\/$/, '$1'));
  }
  return [...new Set(dirs)];
}

// Where a runtime may put the cgroup of container `id` when config.json has no cgroupsPath:
// <hierarchy>/<id> (absolute) or <our own cgroup>/<id> (runc: relative to its own cgroup).
export function cgroupCandidates(id) {
  if (!id || id.includes('/') || id.startsWith('.')) return [];
  const set = new Set();
  for (const mp of new Set(cgroupMounts().values())) set.add(join(mp, id));
  for (const d of cgroupDirs('self')) set.add(join(d, id));
  return [...set];
}

// Everything a container may leave behind; [] when clean. Options: id (state dir under root),
// root, bundle (mounts, processes), cgroups (dirs recorded with cgroupDirsOf while it ran;
// the default places for `id` are always checked).
export function leaks({ id, root = ROOT, bundle: b, cgroups = [] } = {}) {
  const problems = [];
  if (id !== undefined && id !== '' && !id.includes('/') && existsSync(join(root, id))) {
    problems.push(`state dir ${join(root, id)} still exists`);
  }
  const dir = b && (typeof b === 'string' ? b : b.dir);
  if (dir) {
    for (const m of mountsMentioning(dir)) problems.push(`mount left on the host: ${m.line}`);
    for (const p of processesIn(dir)) problems.push(`process ${p.pid} (${p.comm}) still runs in ${dir}`);
  }
  for (const m of mountsMentioning(root)) problems.push(`mount left under the root: ${m.line}`);
  for (const c of new Set([...cgroups, ...cgroupCandidates(id)])) {
    if (existsSync(c)) problems.push(`cgroup ${c} still exists`);
  }
  return problems;
}

// Polls (processes die asynchronously) until nothing is left, else fails listing what is.
export async function assertNoLeaks(opts, timeout = 3000) {
  const end = Date.now() + timeout;
  let l;
  while ((l = leaks(opts)).length && Date.now() < end) await sleep(20);
  assert.equal(l, [], `leftovers:\n${l.join('\n')}`);
}

// ---- cleanup -------------------------------------------------------------------------------

function killIn(dir) {
  for (const { pid } of processesIn(dir)) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
}

function umountUnder(path) {
  const ms = mountinfo().filter((m) => within(m.mountpoint, path)).map((m) => m.mountpoint);
  ms.sort((a, b) => b.length - a.length);
  for (const m of ms) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  return mountinfo().filter((m) => within(m.mountpoint, path)).length === 0;
}

function removeCgroupsNamed(id) {
  for (const c of cgroupCandidates(id)) {
    if (!existsSync(c)) continue;
    try {
      for (const p of readFileSync(join(c, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try { process.kill(Number(p), 'SIGKILL'); } catch {}
      }
    } catch {}
    for (let i = 0; i < 50; i++) {
      try { rmdirSync(c); break; } catch (e) { if (e.code === 'ENOENT') break; spawnSync('sleep', ['0.02']); }
    }
  }
}

const VALID_ID = /^[\w+.-]+$/;

// Deletes every tracked container (delete --force), kills what is left in the bundles and
// removes cgroups named after the ids. Keeps WORK. Synchronous (usable from 'exit').
export function cleanupContainers() {
  const list = tracked.splice(0);
  for (const t of list) {
    // hostile ids (tracked by bad-input tests) are not passed to a possibly buggy runtime's delete
    if (existsSync(t.runtime) && VALID_ID.test(t.id) && t.id !== '.' && t.id !== '..') {
      spawnSync(t.runtime, ['--root', t.root, 'delete', '--force', t.id], { stdio: 'ignore', timeout: 10000, killSignal: 'SIGKILL' });
    }
  }
  for (const b of bundles) killIn(b.dir);
  for (const t of list) removeCgroupsNamed(t.id);
}

// Also unmounts and removes the bundles made so far.
export function cleanupBundles() {
  cleanupContainers();
  const list = bundles.splice(0);
  for (const b of list) {
    if (umountUnder(b.dir)) rmSync(b.dir, { recursive: true, force: true });
    else console.error(`cleanup: mounts remain under ${b.dir}; not removing it`);
  }
}

let finalDone = false;
export function cleanup() {
  if (finalDone) return;
  finalDone = true;
  cleanupBundles();
  killIn(WORK);
  if (umountUnder(WORK)) rmSync(WORK, { recursive: true, force: true });
  else console.error(`cleanup: mounts remain under ${WORK}; not removing it`);
}

process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { cleanup(); process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]); });
}

// Registers the cleanup hooks on a uvu suite: containers and bundles after each test, all of
// WORK after the suite.
export function setup(test) {
  test.after.each(() => cleanupBundles());
  test.after(() => cleanup());
}

// Skips the rest of a test body, noting why (printed once at exit):
// `if (skipFor(isRunc, 'runc 1.1 has no X')) return;`
const skipped = [];
export function skipFor(cond, why) {
  if (cond) skipped.push(why);
  return cond;
}
process.on('exit', () => {
  if (skipped.length) {
    console.log(`  partly skipped for ${basename(RUNTIME)}:\n${skipped.map((s) => '    - ' + s).join('\n')}`);
  }
});
