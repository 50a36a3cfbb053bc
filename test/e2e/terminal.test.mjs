// process.terminal with --console-socket (create/run -d and exec -t): the runtime sends the
// pty master over the socket with SCM_RIGHTS, the container process has the pty as its
// controlling terminal and stdio, consoleSize is applied. A receiver like containerd-shim's
// (test/lib/console-receiver.py) types into the pty and collects what it shows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, ROOT, RUNTIME, WORK, bundle, fails, isTsrun, newId, ok, rt, setup, skipFor, state, track } from '../lib/runtime.mjs';

setup(test);

const RECEIVER = join(REPO, 'test/lib/console-receiver.py');
let seq = 0;

// Starts the receiver; resolves to { path, done } where done resolves to its output.
async function receiver(input) {
  const path = join(WORK, `console-${process.pid}-${seq++}.sock`);
  const child = spawn('python3', [RECEIVER, path, input, '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('receiver did not start: ' + out)), 5000);
    child.stdout.on('data', () => { if (out.includes('ready')) { clearTimeout(t); resolve(); } });
  });
  const done = new Promise((resolve) => child.on('close', () => resolve(out)));
  return { path, done, child };
}

test('create/start with process.terminal: the pty reaches the console socket and is the controlling terminal', async () => {
  const rc = await receiver('tty; stty size; test -t 0 && echo stdin-is-tty; echo pid=$$; exit 3\n');
  const b = bundle({ args: ['sh'], mutate: (c) => { c.process.terminal = true; c.process.consoleSize = { height: 33, width: 99 }; } });
  const id = newId('tty');
  ok(rt(['create', '--console-socket', rc.path, '--bundle', b.dir, id]));
  ok(rt(['start', id]));
  const out = await rc.done;
  assert.match(out, /name=\S+/, out);
  assert.match(out, /\/dev\/pts\/\d+/, `tty inside: ${out}`);
  assert.match(out, /33 99/, `consoleSize applied: ${out}`);
  assert.match(out, /stdin-is-tty/, out);
  assert.match(out, /pid=1/, out);
  for (let i = 0; i < 100 && state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  assert.is(state(id).status, 'stopped');
  ok(rt(['delete', id]));
});

test('exec -t --console-socket gives the new process its own pty', async () => {
  const b = bundle({ args: ['sleep', '60'] });
  const id = newId('xtty');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const rc = await receiver('tty; test -t 1 && echo stdout-is-tty; exit 0\n');
  ok(rt(['exec', '--tty', '--console-socket', rc.path, '--detach', id, 'sh']));
  const out = await rc.done;
  assert.match(out, /\/dev\/pts\/\d+/, out);
  assert.match(out, /stdout-is-tty/, out);
  ok(rt(['delete', '--force', id]));
});

test('a terminal without a console socket is refused clearly when detached', () => {
  const b = bundle({ args: ['true'], mutate: (c) => { c.process.terminal = true; } });
  const line = fails(rt(['create', '--bundle', b.dir, newId('notty')]), 'terminal without --console-socket');
  assert.match(line, /console/i, line);
});

// tsrun under a pty of its own (as from an interactive shell): python's pty.spawn gives it
// one and types INPUT; returns { out, status }.
function underPty(args, input) {
  const r = spawnSync('python3', ['-c',
    'import pty, sys, os\nst = pty.spawn(sys.argv[1:])\nprint("\\nstatus=%d" % os.waitstatus_to_exitcode(st))',
    RUNTIME, '--root', ROOT, ...args], { input, timeout: 15000, encoding: 'utf8' });
  const m = /status=(\d+)/.exec(r.stdout);
  return { out: r.stdout, status: m ? Number(m[1]) : null };
}

test('foreground run with a terminal and no socket: tsrun relays it (raw mode, exit status)', () => {
  const b = bundle({ args: ['sh'], mutate: (c) => { c.process.terminal = true; } });
  const id = newId('fg');
  track(id);
  const r = underPty(['run', '--bundle', b.dir, id], 'tty; echo relay-ok; exit 4\n');
  assert.match(r.out, /\/dev\/pts\/\d+/, r.out);
  assert.match(r.out, /relay-ok/, r.out);
  assert.is(r.status, 4, r.out);
  fails(rt(['state', id]), 'run removed the container');
});

test('exec -t without a socket: tsrun relays the new process terminal', () => {
  const b = bundle({ args: ['sleep', '60'] });
  const id = newId('xfg');
  ok(rt(['run', '--detach', '--bundle', b.dir, id]));
  const r = underPty(['exec', '-t', id, 'sh'], 'tty; echo exec-relay; exit 6\n');
  assert.match(r.out, /\/dev\/pts\/\d+/, r.out);
  assert.match(r.out, /exec-relay/, r.out);
  assert.is(r.status, 6, r.out);
  ok(rt(['delete', '--force', id]));
});

test.run();
