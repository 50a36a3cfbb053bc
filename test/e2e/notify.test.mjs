// NOTIFY_SOCKET pass-through (sd_notify): with tsrun run under a NOTIFY_SOCKET, the
// container gets NOTIFY_SOCKET=/run/notify/notify.sock; its READY=1 reaches the host's
// socket with MAINPID, and `start` returns only after it (or after init exits).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, spawn } from 'node:child_process';
import { copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, WORK, bundle, newId, ok, rt, rtAsync, setup, state } from '../lib/runtime.mjs';

setup(test);

const HELPER = join(WORK, 'sdnotify');
const cc = spawnSync('musl-gcc', ['-static', '-Os', '-o', HELPER, join(REPO, 'test/fixtures/sdnotify.c')], { encoding: 'utf8' });
if (cc.status !== 0) throw new Error('building sdnotify: ' + cc.stderr);

// A host-side NOTIFY_SOCKET (datagram) that collects what arrives; resolves when READY
// and MAINPID have both come in (or after the timeout).
async function hostSocket() {
  const path = join(WORK, `notify-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  const py = [
    'import socket, sys, time',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(10)',
    'print("ready", flush=True)',
    'got = ""',
    'try:',
    '    while "MAINPID" not in got: got += s.recv(4096).decode()',
    'except socket.timeout: pass',
    'print(got, flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', py, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await new Promise((res) => { const t = setInterval(() => { if (out.includes('ready')) { clearInterval(t); res(); } }, 10); });
  const done = new Promise((res) => child.on('close', () => res(out.replace('ready\n', ''))));
  return { path, done };
}

test('READY=1 from the container reaches the host socket with MAINPID; start waits for it', async () => {
  const host = await hostSocket();
  const b = bundle({
    args: ['sh', '-c', 'echo "$NOTIFY_SOCKET" > /notify-env; sleep 0.3; /sdnotify READY=1; sleep 30'],
    mutate: (c) => { c.root.readonly = false; },
  });
  copyFileSync(HELPER, join(b.rootfs, 'sdnotify'));
  chmodSync(join(b.rootfs, 'sdnotify'), 0o755);
  const id = newId('ntf');
  const env = { ...process.env, NOTIFY_SOCKET: host.path };
  ok(rt(['create', '--bundle', b.dir, id], { env }));
  const t0 = Date.now();
  ok(rt(['start', id], { env }));
  const waited = Date.now() - t0;
  const got = await host.done;
  assert.match(got, /READY=1/, got);
  assert.match(got, new RegExp(`MAINPID=${state(id).pid}`), got);
  assert.ok(waited >= 250, `start returned after READY (${waited} ms)`);
  const { readFileSync } = await import('node:fs');
  assert.is(readFileSync(join(b.rootfs, 'notify-env'), 'utf8').trim(), '/run/notify/notify.sock');
  ok(rt(['delete', '--force', id]));
});

test('without NOTIFY_SOCKET nothing changes: no variable in the container', () => {
  const env = { ...process.env };
  delete env.NOTIFY_SOCKET;
  const b = bundle({ args: ['sh', '-c', 'echo "[${NOTIFY_SOCKET:-}]"'] });
  const r = ok(rt(['run', '--bundle', b.dir, newId('nn')], { env }));
  assert.is(r.stdout.trim(), '[]');
});

test.run();
