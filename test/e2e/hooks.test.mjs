// OCI hooks (runtime-spec 1.3, config.md "POSIX-platform Hooks" and runtime.md "Lifecycle"):
// the six phases, their order, the state JSON each one reads on stdin, the namespaces each one
// runs in, exact args/env, timeouts, and what a failing hook does to create/start/run/delete.
//
// Every phase runs the same logging script (LOGGER): it reads its stdin, then appends one line
// to a log file kept in the bundle's rootfs (the host path for the hooks that run before
// pivot_root or in the runtime namespace, /hooks.log for startContainer, which runs in the
// container). One line holds: phase, its net/mnt/pid namespaces, whether the container's
// /proc is visible at $ROOTFS/proc, /proc/<state pid>/cmdline, and the state JSON read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WORK, assertNoLeaks, bundle, fails, isRunc, newId, ok, pidAlive, rt, setup, skipFor, state, waitFor,
  waitStatus,
} from '../lib/runtime.mjs';

setup(test);

const nsOf = (pid, type) => readlinkSync(`/proc/${pid}/ns/${type}`);
// The runtime namespace: the runtime is started by this test process, in its namespaces.
const HOST = { net: nsOf('self', 'net'), mnt: nsOf('self', 'mnt'), pid: nsOf('self', 'pid') };

// hook.sh PHASE LOG [STATUS [SLEEP]]: logs one tab-separated line to LOG, then exits STATUS.
// Runs under the host's /bin/sh (dash) and the container's (busybox ash). SLEEP delays the
// line (a slow hook), after stdin is read.
const LOGGER = String.raw`#!/bin/sh
state=$(cat | tr -d '\n')
[ -n "$4" ] && sleep "$4"
pid=$(echo "$state" | sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p')
cmd=$(tr '\0\t' '  ' 2>/dev/null < "/proc/$pid/cmdline")
procs=no
[ -e "$ROOTFS/proc/1/stat" ] && procs=yes
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(readlink /proc/self/ns/net)" "$(readlink /proc/self/ns/mnt)" \
  "$(readlink /proc/self/ns/pid)" "$procs" "$cmd" "$state" >> "$2"
[ -n "$3" ] && exit "$3"
exit 0
`;
// On the host, under WORK (not in any rootfs): a path only the runtime namespace resolves.
const HOOK = join(WORK, 'hook.sh');
writeFileSync(HOOK, LOGGER);
chmodSync(HOOK, 0o755);

const PHASES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
const PATH_ENV = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin';

// The hook entry for phase in bundle b. opts: status (exit status), sleep (seconds before
// logging), timeout. startContainer runs /bin/sh of the container on the rootfs copy of the
// script; the other phases run HOOK.
function logHook(b, phase, { status, sleep, timeout } = {}) {
  const inside = phase === 'startContainer';
  const log = inside ? '/hooks.log' : join(b.rootfs, 'hooks.log');
  const args = inside ? ['sh', '/hook.sh', phase, log] : ['hook.sh', phase, log];
  if (status !== undefined || sleep !== undefined) args.push(String(status ?? 0));
  if (sleep !== undefined) args.push(String(sleep));
  const h = { path: inside ? '/bin/sh' : HOOK, args, env: [PATH_ENV, `ROOTFS=${inside ? '' : b.rootfs}`] };
  if (timeout !== undefined) h.timeout = timeout;
  return h;
}

// A bundle whose hooks are built by hooks(b) → { phase: [hook, ...] }; default: one logging
// hook per phase (with a 5s timeout that is never reached).
function hooked({ args = ['sleep', '1000'], hooks, config } = {}) {
  return bundle({
    args,
    config,
    files: { 'rootfs/hook.sh': LOGGER },
    mutate: (c, b) => {
      c.hooks = hooks ? hooks(b) : Object.fromEntries(PHASES.map((p) => [p, [logHook(b, p, { timeout: 5 })]]));
    },
  });
}

// The log lines of bundle b (entries: phase, net, mnt, pidns, procs, cmd, state, raw).
function readLog(b) {
  const file = join(b.rootfs, 'hooks.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((raw) => {
    const [phase, net, mnt, pidns, procs, cmd, json] = raw.split('\t');
    let st = null;
    try { st = JSON.parse(json); } catch { assert.unreachable(`${phase} hook read invalid state JSON on stdin: ${JSON.stringify(json)}`); }
    return { phase, net, mnt, pidns, procs, cmd, state: st, raw };
  });
}
const phasesOf = (b) => readLog(b).map((l) => l.phase);
const entry = (b, phase) => {
  const l = readLog(b).find((e) => e.phase === phase);
  assert.ok(l, `${phase} hook ran (log: ${JSON.stringify(phasesOf(b))})`);
  return l;
};

// The state every hook must read: id, bundle, status; the pid of the container process as
// the hook sees it (runtime-spec 1.3 state.pid: as seen by the runtime for runtime-namespace
// hooks, as seen by the container for container-namespace hooks).
function assertState(l, { id, b, status, pid }) {
  assert.is(l.state.id, id, `${l.phase}: state.id`);
  assert.is(l.state.bundle, b.dir, `${l.phase}: state.bundle`);
  assert.is(l.state.status, status, `${l.phase}: state.status`);
  assert.type(l.state.ociVersion, 'string', `${l.phase}: state.ociVersion`);
  if (pid !== undefined) assert.is(l.state.pid, pid, `${l.phase}: state.pid`);
}

const elapsed = (t0) => Date.now() - t0;

// ---- order and state ----------------------------------------------------------------------

test('create/start/delete: the six phases run in order, each at its verb, with the state JSON on stdin', async () => {
  const annotations = { 'org.example.hooks': 'yes', other: 'a b' };
  const b = hooked({ config: { annotations } });
  const id = newId('order');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const pid = state(id).pid;
  // runc 1.1 runs poststart hooks at the end of create (skipped for it below)
  const afterCreate = phasesOf(b).filter((p) => !isRunc || p !== 'poststart');
  assert.equal(afterCreate, ['prestart', 'createRuntime', 'createContainer'], 'after create');
  assertState(entry(b, 'prestart'), { id, b, status: 'creating', pid });
  assertState(entry(b, 'createRuntime'), { id, b, status: 'creating', pid });
  assertState(entry(b, 'createContainer'), { id, b, status: 'creating' });

  ok(rt(['start', id]), 'start');
  // (that startContainer has finished when start returns, and runs before poststart, is the
  // next tests' business; here only which verb runs which phase)
  await waitFor(() => phasesOf(b).includes('startContainer'), { what: 'the startContainer hook' });
  if (!skipFor(isRunc, 'runc 1.1 runs poststart hooks during create, with status "created"')) {
    assert.equal(phasesOf(b).slice(3).sort(), ['poststart', 'startContainer'], 'after start');
    assertState(entry(b, 'poststart'), { id, b, status: 'running', pid });
  }
  assertState(entry(b, 'startContainer'), { id, b, status: 'created' });
  assert.is(state(id).status, 'running');

  ok(rt(['kill', id, 'KILL']), 'kill');
  await waitStatus(id, 'stopped');
  const beforeDelete = phasesOf(b);
  assert.not.ok(beforeDelete.includes('poststop'), 'poststop does not run before delete');
  ok(rt(['delete', id]), 'delete');
  const all = phasesOf(b);
  assert.is(all.length, 6, `each phase ran once: ${JSON.stringify(all)}`);
  assert.equal(all.filter((p) => !isRunc || p !== 'poststart').slice(0, 3), PHASES.slice(0, 3), 'the order of the create phases');
  assert.is(all[5], 'poststop', 'poststop last');
  assertState(entry(b, 'poststop'), { id, b, status: 'stopped' });
  for (const l of readLog(b)) assert.equal(l.state.annotations, annotations, `${l.phase}: state.annotations`);
  await assertNoLeaks({ id, bundle: b });
});

test('container-namespace hooks read the pid as seen by the container (1 in a new PID namespace)', async () => {
  const b = hooked();
  const id = newId('cpid');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  await waitFor(() => phasesOf(b).includes('startContainer'), { what: 'the startContainer hook' });
  assert.is(entry(b, 'createContainer').state.pid, 1, 'createContainer: state.pid');
  assert.is(entry(b, 'startContainer').state.pid, 1, 'startContainer: state.pid');
});

test('several hooks of one phase run in the listed order', async () => {
  const b = hooked({
    hooks: (b) => ({
      createRuntime: ['cr-1', 'cr-2', 'cr-3'].map((n) => logHook(b, n)),
      startContainer: [logHook(b, 'startContainer'), { ...logHook(b, 'startContainer'), args: ['sh', '/hook.sh', 'sc-2', '/hooks.log'] }],
    }),
  });
  const id = newId('multi');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  await waitFor(() => phasesOf(b).length === 5, { what: 'five hook runs' });
  assert.equal(phasesOf(b), ['cr-1', 'cr-2', 'cr-3', 'startContainer', 'sc-2']);
});

test('poststart runs after the user process is executed (a slow startContainer hook is waited for)', () => {
  if (skipFor(isRunc, 'runc 1.1 runs poststart hooks during create, before the user process')) return;
  const b = hooked({
    hooks: (b) => ({
      startContainer: [logHook(b, 'startContainer', { sleep: 0.5 })],
      poststart: [logHook(b, 'poststart')],
    }),
  });
  const id = newId('poststart');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  assert.equal(phasesOf(b), ['startContainer', 'poststart'], 'startContainer (0.5s) finished before poststart, both before start returned');
  // /proc/<state.pid>/cmdline read by the poststart hook: the user process, not the runtime's init
  assert.is(entry(b, 'poststart').cmd, 'sleep 1000 ', 'poststart sees the user process as the container process');
});

test('run: the six phases run in order around the user process; its output and exit status pass through', async () => {
  // the process logs a line of its own between the hooks' lines
  const b = hooked({ args: ['sh', '-c', 'printf "process\\tx\\tx\\tx\\tx\\tx\\t{}\\n" >> /hooks.log; echo out; sleep 0.3; exit 7'] });
  const id = newId('run');
  const r = rt(['run', '--bundle', b.dir, id]);
  assert.is(r.code, 7, `run exits with the process status\n${r}`);
  assert.is(r.stdout, 'out\n');
  const all = phasesOf(b);
  assert.is(all.length, 7, JSON.stringify(all));
  // runc 1.1 runs poststart hooks during create (skipped for it below)
  const phases = isRunc ? all.filter((p) => p !== 'poststart') : all;
  const at = (p) => phases.indexOf(p);
  assert.equal(phases.slice(0, 4), ['prestart', 'createRuntime', 'createContainer', 'startContainer'], 'before the process');
  assert.is(phases[phases.length - 1], 'poststop', 'poststop last');
  assert.ok(at('process') > at('startContainer') && at('process') < at('poststop'), JSON.stringify(phases));
  if (!skipFor(isRunc, 'runc 1.1 runs poststart hooks during create')) {
    assert.ok(at('poststart') > at('startContainer') && at('poststart') < at('poststop'), JSON.stringify(phases));
    assertState(entry(b, 'poststart'), { id, b, status: 'running' });
  }
  for (const p of ['prestart', 'createRuntime', 'createContainer']) assertState(entry(b, p), { id, b, status: 'creating' });
  assertState(entry(b, 'startContainer'), { id, b, status: 'created' });
  assertState(entry(b, 'poststop'), { id, b, status: 'stopped' });
  assert.is(state(id), null, 'run removed the container');
  await assertNoLeaks({ id, bundle: b });
});

// ---- namespaces and path resolution -------------------------------------------------------

test('prestart, createRuntime, poststart and poststop run in the runtime namespaces', async () => {
  const b = hooked();
  const id = newId('rtns');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  ok(rt(['delete', '--force', id]), 'delete --force');
  for (const p of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
    const l = entry(b, p);
    assert.is(l.net, HOST.net, `${p}: net namespace`);
    assert.is(l.mnt, HOST.mnt, `${p}: mount namespace`);
    assert.is(l.pidns, HOST.pid, `${p}: pid namespace`);
    assert.is(l.procs, 'no', `${p}: the container's mounts are not visible`);
  }
});

test("createContainer runs in the container's namespaces, before pivot_root, its path resolved on the host", () => {
  const b = hooked();
  const id = newId('ccns');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const pid = state(id).pid;
  const ctr = { net: nsOf(pid, 'net'), mnt: nsOf(pid, 'mnt'), pid: nsOf(pid, 'pid') };
  assert.is.not(ctr.net, HOST.net);
  assert.is.not(ctr.mnt, HOST.mnt);
  const l = entry(b, 'createContainer');
  // HOOK is a host path under WORK: nothing of the kind exists in the rootfs
  assert.not.ok(existsSync(join(b.rootfs, HOOK)), 'the hook path is not in the rootfs');
  assert.is(l.net, ctr.net, 'createContainer: net namespace of the container');
  assert.is(l.mnt, ctr.mnt, 'createContainer: mount namespace of the container');
  // before pivot_root: the host filesystem is still there (it ran HOOK and wrote the log by host
  // paths) and the container's mounts are already made (its /proc under the rootfs path)
  assert.is(l.procs, 'yes', "createContainer sees the container's /proc mounted at <rootfs>/proc");
  assert.is(l.pidns, ctr.pid, 'createContainer: pid namespace of the container');
});

test('startContainer runs inside the container: path resolved in the rootfs, writes to it, before the process', async () => {
  const b = hooked({
    args: ['sh', '-c', 'cat /from-start-hook; exec sleep 1000'],
    hooks: (b) => ({
      startContainer: [
        logHook(b, 'startContainer'),
        // only in the rootfs: a host-resolved path would not exist
        { path: '/only-in-container/hook', args: ['hook', 'from-start-hook'], env: [PATH_ENV] },
      ],
    }),
  });
  const script = '#!/bin/sh\necho "written by $0 $1 in $(readlink /proc/self/ns/mnt)" > "/$1"\n';
  const dir = join(b.rootfs, 'only-in-container');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hook'), script);
  chmodSync(join(dir, 'hook'), 0o755);
  assert.not.ok(existsSync('/only-in-container/hook'), 'the hook path does not exist on the host');
  const id = newId('scns');
  const created = ok(rt(['create', '--bundle', b.dir, id]), 'create');
  assert.not.ok(existsSync(join(b.rootfs, 'from-start-hook')), 'startContainer does not run at create');
  const pid = state(id).pid;
  const ctr = { net: nsOf(pid, 'net'), mnt: nsOf(pid, 'mnt'), pid: nsOf(pid, 'pid') };
  ok(rt(['start', id]), 'start');
  await waitFor(() => phasesOf(b).includes('startContainer') && existsSync(join(b.rootfs, 'from-start-hook')), { what: 'the startContainer hooks' });
  const l = entry(b, 'startContainer');
  assert.is(l.net, ctr.net, 'startContainer: net namespace of the container');
  assert.is(l.mnt, ctr.mnt, 'startContainer: mount namespace of the container');
  assert.is(l.pidns, ctr.pid, 'startContainer: pid namespace of the container');
  assert.is(l.procs, 'yes', "startContainer's /proc is the container's");
  // the file it wrote, at / in the container, is in the bundle's rootfs on the host
  const wrote = readFileSync(join(b.rootfs, 'from-start-hook'), 'utf8');
  assert.is(wrote, `written by /only-in-container/hook from-start-hook in ${ctr.mnt}\n`);
  // and the user process, started after it, reads it
  await waitFor(() => created.read().includes('written by'), { what: 'the process output' });
  assert.is(created.read(), wrote, 'the user process saw the file startContainer wrote');
});

// ---- args and env -------------------------------------------------------------------------

// sh -c SCRIPT $0 $1...: SCRIPT writes the shell's own argv ($PROC/$$/cmdline) and env to $1.*
// PROC: the procfs of the hook's pid namespace (createContainer runs before pivot_root, in the
// container's pid namespace: its /proc is still the host's, the container's is <rootfs>/proc).
const DUMP = 'tr "\\0" "\\n" < "$PROC/$$/cmdline" > "$1.args"; env > "$1.env"';

test('hook args are passed exactly (args[0] is argv[0]) and env replaces the environment', async () => {
  const outs = {};
  const b = hooked({
    args: ['true'],
    hooks: (b) => {
      // On the host /bin/sh is dash, which runs under any argv[0]. In the container, busybox
      // picks its applet by argv[0]: path /bin/busybox with args[0] "sh" runs its shell.
      const h = (phase, out, inside) => {
        const args = [inside ? 'sh' : `argv0-of-${phase}`, '-c', DUMP, 'dollar0', inside ? `/${out}` : join(b.rootfs, out), 'two words', '', '*'];
        const proc = phase === 'createContainer' ? join(b.rootfs, 'proc') : '/proc';
        const env = ['PATH=/bin:/usr/bin', `PHASE=${phase}`, 'SPACED=a b  c', 'EMPTY=', 'EQ=x=y', `PROC=${proc}`];
        outs[phase] = { host: join(b.rootfs, out), args, env };
        return [{ path: inside ? '/bin/busybox' : '/bin/sh', args, env }];
      };
      return {
        prestart: h('prestart', 'pre', false),
        createRuntime: h('createRuntime', 'cr', false),
        createContainer: h('createContainer', 'cc', false),
        startContainer: h('startContainer', 'sc', true),
        poststart: h('poststart', 'pst', false),
        poststop: h('poststop', 'ps', false),
      };
    },
  });
  const id = newId('argv');
  const env = { ...process.env, HOOK_TEST_LEAK: 'from-the-runtime-environment' };
  ok(rt(['create', '--bundle', b.dir, id], { env }), 'create');
  ok(rt(['start', id], { env }), 'start');
  await waitStatus(id, 'stopped');
  ok(rt(['delete', id], { env }), 'delete');
  for (const [phase, o] of Object.entries(outs)) {
    const argv = readFileSync(`${o.host}.args`, 'utf8').split('\n');
    assert.equal(argv.slice(0, -1), o.args, `${phase}: argv`);
    const lines = readFileSync(`${o.host}.env`, 'utf8').split('\n').filter(Boolean);
    // the shell itself adds PWD (and may add SHLVL, _); nothing else may appear
    const got = lines.filter((l) => !/^(PWD|OLDPWD|SHLVL|_)=/.test(l)).sort();
    assert.equal(got, [...o.env].sort(), `${phase}: environment`);
  }
});

// ---- failures -----------------------------------------------------------------------------

for (const phase of ['prestart', 'createRuntime', 'createContainer']) {
  test(`a failing ${phase} hook fails create with one line naming it, runs no later phase, leaves nothing`, async () => {
    const b = hooked({
      hooks: (b) => {
        const hooks = Object.fromEntries(PHASES.map((p) => [p, [logHook(b, p)]]));
        hooks[phase] = [logHook(b, phase, { status: 3 }), logHook(b, `${phase}-second`)];
        return hooks;
      },
    });
    const id = newId(`f${phase.slice(0, 4)}`);
    const line = fails(rt(['create', '--bundle', b.dir, id]), `create with a failing ${phase} hook`);
    assert.match(line, /status 3/, `the error gives the exit status: ${line}`);
    if (!skipFor(isRunc, 'runc 1.1 names a failing hook by its index ("hook #0"), not its phase or path')) {
      assert.match(line, phase, `the error names the phase: ${line}`);
      assert.ok(line.includes(HOOK), `the error names the hook path: ${line}`);
    }
    assert.is(state(id), null, 'no container after a failed create');
    await assertNoLeaks({ id, bundle: b });
    const ran = phasesOf(b).filter((p) => p !== 'poststop');
    const upTo = PHASES.slice(0, PHASES.indexOf(phase) + 1);
    assert.equal(ran, upTo, `phases up to the failing one ran, nothing after it (not even the second ${phase} hook)`);
    // runtime-spec 1.3 lifecycle 3-5: a failing prestart/createRuntime/createContainer hook
    // "continue[s] the lifecycle at step 12" (destroy), and step 13 runs the poststop hooks
    assert.ok(phasesOf(b).includes('poststop'), `poststop hooks run after a failed create: ${JSON.stringify(phasesOf(b))}`);
    assertState(entry(b, 'poststop'), { id, b, status: 'stopped' });
  });
}

test('a failing startContainer hook stops the container and start fails', async () => {
  const b = hooked({
    args: ['sh', '-c', 'echo user-process-ran; exec sleep 1000'],
    hooks: (b) => ({ startContainer: [logHook(b, 'startContainer', { status: 3 })], poststart: [logHook(b, 'poststart')] }),
  });
  const id = newId('fsc');
  const created = ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const pid = state(id).pid;
  const r = rt(['start', id]);
  await waitFor(() => !pidAlive(pid), { what: 'init to die' });
  assert.not.ok(created.read().includes('user-process-ran'), 'the user process never ran');
  assert.is(state(id).status, 'stopped');
  if (skipFor(isRunc, 'runc 1.1 start does not report a failed startContainer hook')) return;
  const line = fails(r, 'start with a failing startContainer hook');
  assert.match(line, 'startContainer', line);
  assert.not.ok(phasesOf(b).includes('poststart'), 'no poststart after a failed startContainer');
});

test('a failing poststart hook fails start, and the container is stopped', async () => {
  if (skipFor(isRunc, 'runc 1.1 runs poststart during create, and a failure there only fails create')) return;
  const b = hooked({
    hooks: (b) => ({
      poststart: [logHook(b, 'poststart', { status: 3 }), logHook(b, 'poststart-second')],
      poststop: [logHook(b, 'poststop')],
    }),
  });
  const id = newId('fps');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const pid = state(id).pid;
  const line = fails(rt(['start', id]), 'start with a failing poststart hook');
  assert.match(line, 'poststart', line);
  assert.ok(line.includes(HOOK), `the error names the hook path: ${line}`);
  await waitFor(() => !pidAlive(pid), { what: 'the container process to be killed' });
  assert.is(state(id).status, 'stopped');
  assert.equal(phasesOf(b), ['poststart'], 'the second poststart hook does not run');
  ok(rt(['delete', id]), 'delete');
  assert.equal(phasesOf(b), ['poststart', 'poststop']);
  await assertNoLeaks({ id, bundle: b });
});

test('a failing poststop hook is a warning: delete succeeds, later poststop hooks run, state is gone', async () => {
  const b = hooked({
    args: ['true'],
    hooks: (b) => ({ poststop: [logHook(b, 'poststop', { status: 3 }), logHook(b, 'poststop-second')] }),
  });
  const id = newId('fpst');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  await waitStatus(id, 'stopped');
  const r = rt(['delete', id]);
  ok(r, 'delete with a failing poststop hook');
  assert.is(state(id), null);
  await assertNoLeaks({ id, bundle: b });
  assert.is(phasesOf(b)[0], 'poststop');
  if (skipFor(isRunc, 'runc 1.1 logs a failing poststop hook as an error and skips the later poststop hooks')) return;
  assert.match(r.stderr, /warning.*poststop/i, `a warning on stderr: ${r.stderr}`);
  assert.equal(phasesOf(b), ['poststop', 'poststop-second'], 'the later poststop hook still runs');
});

// A hook that records its pid, then sleeps far longer than its 1s timeout. The pid is read
// from /proc/self/stat by the shell itself (the builtin read): the host's /proc numbering,
// also for createContainer, whose $$ is a pid of the container's namespace.
function sleeper(b, name) {
  return {
    path: '/bin/sh',
    args: ['sh', '-c', `read -r pid rest < /proc/self/stat; echo $pid > ${join(b.dir, `${name}.pid`)}; exec sleep 30`],
    env: [PATH_ENV],
    timeout: 1,
  };
}
const sleeperPid = (b, name) => Number(readFileSync(join(b.dir, `${name}.pid`), 'utf8'));

for (const phase of ['createRuntime', 'createContainer']) {
  test(`a ${phase} hook past its timeout is killed and fails create`, async () => {
    const b = hooked({ hooks: (b) => ({ [phase]: [sleeper(b, phase)], poststart: [logHook(b, 'poststart')] }) });
    const id = newId(`to${phase.slice(6, 10)}`);
    const t0 = Date.now();
    const line = fails(rt(['create', '--bundle', b.dir, id]), `create with a ${phase} hook that times out`);
    const ms = elapsed(t0);
    assert.ok(ms >= 900 && ms < 5000, `create failed after the 1s timeout, not the 30s sleep (${ms}ms)`);
    if (isRunc) assert.match(line, /timeout/, line); // "hook ran past specified timeout of 1.0s"
    else assert.match(line, new RegExp(`${phase} hook /bin/sh\\b.*timed out`), line);
    assert.not.ok(pidAlive(sleeperPid(b, phase)), 'the hook was killed');
    assert.is(state(id), null);
    await assertNoLeaks({ id, bundle: b });
  });
}

test('a poststart hook past its timeout is killed and fails start', async () => {
  if (skipFor(isRunc, 'runc 1.1 runs poststart during create')) return;
  const b = hooked({ hooks: (b) => ({ poststart: [sleeper(b, 'poststart')] }) });
  const id = newId('tops');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  const pid = state(id).pid;
  const t0 = Date.now();
  const line = fails(rt(['start', id]), 'start with a poststart hook that times out');
  assert.ok(elapsed(t0) < 5000, `${elapsed(t0)}ms`);
  assert.match(line, /poststart.*timed out/, line);
  assert.not.ok(pidAlive(sleeperPid(b, 'poststart')), 'the hook was killed');
  await waitFor(() => !pidAlive(pid), { what: 'the container process to be killed' });
  ok(rt(['delete', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('a poststop hook past its timeout is killed; delete still succeeds', async () => {
  const b = hooked({ args: ['true'], hooks: (b) => ({ poststop: [sleeper(b, 'poststop'), logHook(b, 'poststop-second')] }) });
  const id = newId('topst');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  ok(rt(['start', id]), 'start');
  await waitStatus(id, 'stopped');
  const t0 = Date.now();
  const r = rt(['delete', id]);
  const ms = elapsed(t0);
  assert.ok(ms < 5000, `delete returned after the 1s timeout (${ms}ms)`);
  assert.not.ok(pidAlive(sleeperPid(b, 'poststop')), 'the hook was killed');
  ok(r, 'delete');
  assert.is(state(id), null);
  await assertNoLeaks({ id, bundle: b });
  if (skipFor(isRunc, 'runc 1.1 logs a failing poststop hook as an error and skips the later poststop hooks')) return;
  assert.match(r.stderr, /warning.*poststop hook \/bin\/sh\b.*timed out/, r.stderr);
  assert.equal(phasesOf(b), ['poststop-second'], 'the later poststop hook still runs');
});

test('a hook within its timeout succeeds', () => {
  const b = hooked({ args: ['true'], hooks: (b) => ({ createRuntime: [logHook(b, 'createRuntime', { sleep: 0.2, timeout: 1 })] }) });
  const id = newId('inTime');
  ok(rt(['create', '--bundle', b.dir, id]), 'create');
  assert.equal(phasesOf(b), ['createRuntime']);
});

// ---- run ----------------------------------------------------------------------------------

for (const phase of ['prestart', 'createRuntime', 'createContainer']) {
  test(`run: a failing ${phase} hook fails run cleanly, the process never runs, nothing is left`, async () => {
    const b = hooked({
      args: ['sh', '-c', 'echo process-ran'],
      hooks: (b) => ({ [phase]: [logHook(b, phase, { status: 3 })], poststop: [logHook(b, 'poststop')] }),
    });
    const id = newId(`rf${phase.slice(0, 4)}`);
    const r = rt(['run', '--bundle', b.dir, id]);
    const line = fails(r, `run with a failing ${phase} hook`);
    assert.match(line, /status 3/, line);
    if (!isRunc) assert.match(line, phase, line); // runc 1.1 says "error running hook #0"
    assert.not.ok(r.stdout.includes('process-ran'), 'the user process did not run');
    assert.is(state(id), null);
    await assertNoLeaks({ id, bundle: b });
  });
}

test('run: a failing poststart hook fails run and removes the container, poststop runs', async () => {
  if (skipFor(isRunc, 'runc 1.1 runs poststart during create')) return;
  const b = hooked({
    hooks: (b) => ({ poststart: [logHook(b, 'poststart', { status: 3 })], poststop: [logHook(b, 'poststop')] }),
  });
  const id = newId('rfps');
  const t0 = Date.now();
  const line = fails(rt(['run', '--bundle', b.dir, id]), 'run with a failing poststart hook');
  assert.ok(elapsed(t0) < 5000, 'run did not wait for the (sleep 1000) process');
  assert.match(line, 'poststart', line);
  assert.equal(phasesOf(b), ['poststart', 'poststop']);
  assert.is(state(id), null);
  await assertNoLeaks({ id, bundle: b });
});

test('run: a failing poststop hook is a warning; run exits with the process status', async () => {
  const b = hooked({
    args: ['sh', '-c', 'exit 5'],
    hooks: (b) => ({ poststop: [logHook(b, 'poststop', { status: 3 }), logHook(b, 'poststop-second')] }),
  });
  const id = newId('rfpst');
  const r = rt(['run', '--bundle', b.dir, id]);
  assert.is(r.code, 5, `${r}`);
  assert.is(state(id), null);
  await assertNoLeaks({ id, bundle: b });
  assert.is(phasesOf(b)[0], 'poststop');
  if (skipFor(isRunc, 'runc 1.1 logs a failing poststop hook as an error and skips the later poststop hooks')) return;
  assert.match(r.stderr, /warning.*poststop/i, r.stderr);
  assert.equal(phasesOf(b), ['poststop', 'poststop-second'], 'the later poststop hook still runs');
});

test.run();
