// Security defaults observed from outside and inside real containers: the CVE-2019-5736
// defence (init's exe is a sealed copy, not the binary on disk), no fd of the caller leaks
// into the container (CVE-2024-21626 class), a cwd outside the container is refused; and the
// global flags that must not be parsed-and-ignored (--debug, run --keep; --rootless: rootless.test.mjs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, openSync, closeSync, readlinkSync, realpathSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  ROOT, RUNTIME, WORK, assertNoLeaks, mountsMentioning, rtAsync, waitFor, bundle, fails, isRunc, isTsrun, newId, ok, rt, runSh, setup, skipFor, state,
} from '../lib/runtime.mjs';

setup(test);

test('CVE-2019-5736: the process that enters the container does not run the on-disk binary', async () => {
  const b = bundle({ args: ['sleep', '30'] });
  const id = newId('exe');
  ok(rt(['create', '--bundle', b.dir, id]));
  const pid = state(id).pid;
  const exe = readlinkSync(`/proc/${pid}/exe`);
  assert.is.not(exe, realpathSync(RUNTIME), `init's exe is ${exe}`);
  if (isTsrun) assert.match(exe, /memfd:tsrun/, `init's exe is tsrun's sealed memfd copy: ${exe}`);
  // and that copy cannot be written through /proc
  let writable = true;
  try { closeSync(openSync(`/proc/${pid}/exe`, 'r+')); } catch { writable = false; }
  assert.not.ok(writable, 'the exe of init is not writable');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

// Every capability, so only the runtime's own defence stands between the container and the
// runtime binary (ptrace access to /proc/PID/exe of a more privileged process is otherwise
// denied anyway).
const ALL_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];
const allCaps = (c) => { for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k] = [...ALL_CAPS]; };

test('CVE-2019-5736 from inside: no /proc/PID/exe seen in the container is the runtime binary, none can be written', async () => {
  const host = statSync(RUNTIME);
  const before = readFileSync(RUNTIME);
  const b = bundle({ args: ['sleep', '100'], mutate: allCaps });
  const id = newId('exe5736');
  ok(rt(['create', '--bundle', b.dir, id])); // init is the runtime, waiting on its fifo
  ok(rt(['exec', '-d', id, 'sleep', '100']));
  // every process visible inside: its exe's device:inode, and an attempt to append to it
  const script = 'for p in /proc/[0-9]*; do n=${p#/proc/}; [ "$n" = $$ ] && continue; ' +
    'x=$(stat -L -c %d:%i $p/exe 2>/dev/null) || continue; echo "$n $x"; ' +
    '(echo owned >> $p/exe) 2>/dev/null && echo "WROTE $n"; done; true';
  const r = ok(rt(['exec', id, 'sh', '-c', script]));
  const seen = r.stdout.trim().split('\n').filter(Boolean);
  assert.not.match(r.stdout, /WROTE/, `an exe was writable: ${r.stdout}`);
  assert.ok(seen.some((l) => l.startsWith('1 ')), `init (pid 1, the runtime) was checked: ${r.stdout}`);
  assert.ok(readFileSync(RUNTIME).equals(before), 'the runtime binary is unchanged');
  // st_dev inside is the kernel's number, as on the host (stat shows it in decimal)
  const hostKey = `${host.dev}:${host.ino}`;
  if (!skipFor(isRunc, 'runc 1.1 runs init from a read-only bind mount of its binary (same inode; the write above fails)')) {
    for (const l of seen) assert.is.not(l.split(' ')[1], hostKey, `pid ${l.split(' ')[0]} runs the on-disk runtime`);
  }
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

// The install option of docs/security.md: a binary on a read-only mount cannot be overwritten,
// so tsrun runs it in place (no memfd copy). The attack of the CVE holds an fd of the
// runtime's exe while the runtime runs, and reopens it for writing once it has exec'd the
// payload (no more ETXTBSY then): on a read-only mount that reopen fails with EROFS.
test('CVE-2019-5736: a runtime on a read-only mount runs in place, and its exe held from inside cannot be reopened for writing (EROFS)', async () => {
  const dir = join(WORK, 'ro-bin');
  mkdirSync(dir);
  const bin = join(dir, basename(RUNTIME));
  copyFileSync(RUNTIME, bin);
  chmodSync(bin, 0o755);
  const before = readFileSync(bin);
  const b = bundle({ args: ['sleep', '100'], mutate: allCaps });
  const id = newId('exe-ro');
  // the read-only bind exists only in a private mount namespace that dies with `create`
  // (init keeps just its exe): nothing to unmount, even if the test fails half-way
  const errFile = join(WORK, 'ro-create.err');
  const err = openSync(errFile, 'w');
  let c;
  try {
    c = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
      'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" --root "$3" create --bundle "$4" "$5"',
      'sh', dir, bin, ROOT, b.dir, id], { stdio: ['ignore', 'ignore', err], timeout: 20000, killSignal: 'SIGKILL' });
  } finally {
    closeSync(err);
  }
  assert.is(c.status, 0, `create from the read-only bind: ${readFileSync(errFile, 'utf8')}`);
  assert.not.ok(mountsMentioning(dir).length, 'the read-only bind is not in the test\'s mount namespace');
  const pid = state(id).pid;
  // from the host: init runs the file on the read-only mount itself, not a memfd copy
  const exe = statSync(`/proc/${pid}/exe`), file = statSync(bin);
  assert.is(`${exe.dev}:${exe.ino}`, `${file.dev}:${file.ino}`, 'init runs the binary on the read-only mount');
  assert.not.match(readlinkSync(`/proc/${pid}/exe`), /memfd/);
  // from inside: hold init's exe open, try to write it while init runs it (ETXTBSY), then
  // again through the held fd once init has exec'd the payload (EROFS)
  const script = 'exec 3</proc/1/exe; held=$(stat -L -c %d:%i /proc/self/fd/3); echo "held $held"; ' +
    'echo "running: $( (echo owned >> /proc/1/exe) 2>&1 && echo WROTE)"; ' +
    'while [ "$(stat -L -c %d:%i /proc/1/exe)" = "$held" ]; do sleep 0.05; done; ' +
    'echo "after exec: $( (echo owned >> /proc/self/fd/3) 2>&1 && echo WROTE)"; echo done';
  const w = ok(rt(['exec', '-d', id, 'sh', '-c', script]));
  await waitFor(() => /running: /.test(w.read()), { what: 'the exec\'d process to hold init\'s exe' });
  assert.match(w.read(), `held ${exe.dev}:${exe.ino}`, 'the fd held inside is the runtime binary');
  ok(rt(['start', id]));
  const out = await waitFor(() => { const o = w.read(); return /done/.test(o) ? o : null; }, { what: 'the write attempt after exec' });
  assert.not.match(out, /WROTE/, `the runtime binary was written from inside: ${out}`);
  assert.match(out, /running: .*Text file busy/, out);
  assert.match(out, /after exec: .*Read-only file system/, out);
  assert.ok(readFileSync(bin).equals(before), 'the runtime binary is unchanged');
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('CVE-2019-5736: the exec verb itself runs from the sealed copy, not the on-disk binary', async () => {
  if (skipFor(isRunc, "runc's exec parent runs from disk; only its runc-init child (a memfd clone) enters the container")) return;
  const b = bundle({ args: ['sleep', '100'] });
  const id = newId('exe-exec');
  ok(rt(['run', '-d', '--bundle', b.dir, id]));
  const e = rtAsync(['exec', id, 'sleep', '3']);
  const exe = await waitFor(() => { try { const x = readlinkSync(`/proc/${e.child.pid}/exe`); return /memfd/.test(x) ? x : null; } catch { return null; } },
    { what: 'the exec process to re-execute from its memfd' });
  assert.match(exe, /memfd:tsrun/);
  let writable = true;
  try { closeSync(openSync(`/proc/${e.child.pid}/exe`, 'r+')); } catch (err) { writable = false; assert.match(err.code, /ETXTBSY|EACCES|EPERM/); }
  assert.not.ok(writable);
  e.child.kill('SIGKILL');
  await e.done;
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('CVE-2024-21626: a host file open in the caller cannot be read from the container (run and exec)', async () => {
  const secretFile = join(WORK, 'host-secret');
  writeFileSync(secretFile, 'TOP-SECRET\n');
  const fdFile = openSync(secretFile, 'r');
  const fdDir = openSync(WORK, 'r');
  const probe = 'for n in 3 4 5 6 7 8 9; do cat /proc/self/fd/$n 2>/dev/null; ls /proc/self/fd/$n/ 2>/dev/null; done; echo probed';
  try {
    const r = ok(runSh(probe, {}, { extraFds: [fdFile, fdDir] }));
    assert.is(r.stdout, 'probed\n', `the container read through a leaked fd: ${r.stdout}`);
    const b = bundle({ args: ['sleep', '100'] });
    const id = newId('leak-exec');
    ok(rt(['run', '-d', '--bundle', b.dir, id]));
    const e = ok(rt(['exec', id, 'sh', '-c', probe], { extraFds: [fdFile, fdDir] }));
    assert.is(e.stdout, 'probed\n', `exec read through a leaked fd: ${e.stdout}`);
    ok(rt(['delete', '--force', id]));
    await assertNoLeaks({ id, bundle: b });
  } finally {
    closeSync(fdFile);
    closeSync(fdDir);
  }
});

test('exec --cwd that resolves outside the container (a preserved host directory fd) is refused', async () => {
  const hostDir = join(WORK, 'outside-exec');
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(join(hostDir, 'secret'), 'host');
  const fd = openSync(hostDir, 'r');
  const b = bundle({ args: ['sleep', '100'] });
  const id = newId('cwd-exec');
  try {
    ok(rt(['run', '-d', '--bundle', b.dir, id]));
    const r = rt(['exec', '--preserve-fds', '1', '--cwd', '/proc/self/fd/3', id, 'cat', 'secret'], { extraFds: [fd] });
    assert.not.match(r.stdout, /host/, 'the host file was not read');
    assert.match(fails(r, 'exec cwd outside the container'), /cwd|outside/i);
  } finally {
    closeSync(fd);
  }
  ok(rt(['delete', '--force', id]));
  await assertNoLeaks({ id, bundle: b });
});

test('masked and read-only paths through symlinks that climb out of the rootfs stay inside it', async () => {
  const victim = join(WORK, 'mask-victim');
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, 'data'), 'host\n');
  const b = bundle({
    args: ['sh', '-c', 'cat /m/data 2>&1; echo; ls /r; touch /r/x 2>/dev/null && echo rw || echo ro'],
    mutate: (c, bb) => {
      symlinkSync(`../../../../../../..${victim}`, join(bb.rootfs, 'm'));
      symlinkSync(victim, join(bb.rootfs, 'r'));
      mkdirSync(join(bb.rootfs, victim), { recursive: true });
      writeFileSync(join(bb.rootfs, victim, 'data'), 'inside\n');
      c.linux.maskedPaths.push('/m');
      c.linux.readonlyPaths.push('/r');
    },
  });
  const id = newId('masksym');
  const r = ok(rt(['run', '--bundle', b.dir, id]));
  // /m and /r both lead to the rootfs copy of the victim path, masked (empty dir) and read-only
  assert.not.match(r.stdout, /host/, r.stdout);
  assert.equal(mountsMentioning(victim), [], 'nothing mounted on the host directory');
  assert.is(readFileSync(join(victim, 'data'), 'utf8'), 'host\n');
  assert.match(r.stdout, /ro\n$/, r.stdout);
  await assertNoLeaks({ id, bundle: b });
});

// CVE-2025-31133 class: the /dev/null bound over masked files must be the null device. An image
// without a /dev tmpfs can ship its own /dev/null (mknod finds it there and leaves it); a
// runtime that binds whatever that path leads to shows (or lets the container write through)
// a file of the image's choosing at a masked path.
for (const [kind, make] of [
  ['a symlink to a file of the image', (dev) => symlinkSync('/etc/secret', join(dev, 'null'))],
  ['a regular file', (dev) => writeFileSync(join(dev, 'null'), 'FAKE-NULL\n')],
]) {
  test(`maskedPaths: a /dev/null that is ${kind} is refused, never bound`, async () => {
    // runc 1.1.5 predates the fix: it binds the image's /dev/null and also reopens stdio that
    // was the host's /dev/null on it — run by hand with stdin at /dev/null, the container's
    // `cat` appended the file to itself until the disk was full. Never run this against it.
    if (skipFor(isRunc, 'runc 1.1.5 binds the image\'s /dev/null over masked files (CVE-2025-31133)')) return;
    const b = bundle({
      args: ['sh', '-c', 'cat /proc/keys; echo done'],
      mutate: (c, bb) => {
        c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/dev'));
        writeFileSync(join(bb.rootfs, 'etc', 'secret'), 'SECRET\n');
        const dev = join(bb.rootfs, 'dev');
        mkdirSync(dev, { recursive: true });
        rmSync(join(dev, 'null'), { force: true });
        make(dev);
      },
    });
    const id = newId('fakenull');
    const r = rt(['run', '--bundle', b.dir, id]);
    assert.not.match(r.stdout, /SECRET|FAKE-NULL/, `a masked file showed the image's file: ${r.stdout}`);
    const line = fails(r, 'fake /dev/null');
    if (isTsrun) assert.match(line, /\/dev\/null.*not the null device/, line);
    await assertNoLeaks({ id, bundle: b });
  });
}

test('no fd of the caller leaks into the container; --preserve-fds passes exactly N', () => {
  const hostDir = join(WORK, 'leak-dir');
  mkdirSync(hostDir, { recursive: true });
  const fdA = openSync(hostDir, 'r');
  const fdB = openSync(join(WORK, 'leak-file'), 'w');
  try {
    const r = runSh('ls /proc/self/fd | sort -n | tr "\\n" " "', {}, { extraFds: [fdA, fdB] });
    ok(r);
    // ls itself opens one fd (3) for the directory it lists
    assert.is(r.stdout.trim(), '0 1 2 3', `fds seen inside: ${r.stdout}`);
    const p = runSh('ls /proc/self/fd | sort -n | tr "\\n" " "', {}, { extraFds: [fdA, fdB], flags: ['--preserve-fds', '1'] });
    ok(p);
    assert.is(p.stdout.trim(), '0 1 2 3 4', `fds with --preserve-fds 1: ${p.stdout}`);
  } finally {
    closeSync(fdA);
    closeSync(fdB);
  }
});

test('a cwd that resolves outside the container (a preserved host directory fd) is refused', async () => {
  const hostDir = join(WORK, 'outside');
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(join(hostDir, 'secret'), 'host');
  const fd = openSync(hostDir, 'r');
  try {
    const b = bundle({ args: ['cat', 'secret'], mutate: (c) => { c.process.cwd = '/proc/self/fd/3'; } });
    const id = newId('cwd');
    const r = rt(['run', '--preserve-fds', '1', '--bundle', b.dir, id], { extraFds: [fd] });
    assert.not.match(r.stdout, /host/, 'the host file was not read');
    const line = fails(r, 'cwd outside the container');
    assert.match(line, /cwd|outside|not a directory|no such file/i, line);
    await assertNoLeaks({ id, bundle: b });
  } finally {
    closeSync(fd);
  }
});

test('/proc and /sys are mounted only on real directories: a rootfs whose /proc or /sys is a symlink is refused', async () => {
  // CVE-2019-16884 / CVE-2019-19921: a decoy /proc (a symlink to a directory the image
  // controls) would make later steps (LSM labels, masked paths, sysctls) act on fake files.
  for (const [dir, target] of [['proc', '/tmp/fakeproc'], ['sys', '../../tmp/fakesys'], ['proc', '/']]) {
    const b = bundle({
      args: ['true'],
      mutate: (c, bb) => {
        rmSync(join(bb.rootfs, dir), { recursive: true });
        mkdirSync(join(bb.rootfs, 'tmp', target.split('/').pop() || '.'), { recursive: true });
        symlinkSync(target, join(bb.rootfs, dir));
      },
    });
    const id = newId('psym');
    const r = rt(['run', '--bundle', b.dir, id]);
    const line = fails(r, `/${dir} -> ${target}`, { oneLine: !isRunc });
    assert.match(line, /ordinary directory/, line);
    assert.equal(readdirSync(join(b.rootfs, 'tmp')).filter((n) => n.startsWith('fake')).flatMap((n) => readdirSync(join(b.rootfs, 'tmp', n))), [], 'nothing mounted on the decoy');
    await assertNoLeaks({ id, bundle: b });
  }
});

// This host has neither AppArmor nor SELinux: the settings are dropped (the documented
// behaviour), observed as: the container runs, no LSM attribute is written, no mount label.
// Where an LSM is enabled tsrun writes /proc/thread-self/attr/...; that path is not exercised here.
const LSM = (c) => {
  c.process.apparmorProfile = 'tsrun-test-profile';
  c.process.selinuxLabel = 'system_u:system_r:container_t:s0';
  c.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
};

test('LSM settings on a host without AppArmor/SELinux: dropped, nothing written, no mount label', async () => {
  if (skipFor(isRunc, 'runc 1.1.5 writes the AppArmor profile anyway (EINVAL here), refuses process.selinuxLabel and passes context= to mount(2)')) return;
  const b = bundle({ args: ['sh', '-c', 'grep -c context= /proc/self/mountinfo; echo ran'], mutate: LSM });
  const id = newId('lsm');
  const trace = join(WORK, 'lsm.strace');
  // run (not create): strace -f returns once every traced process has exited
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,openat2', '-o', trace, RUNTIME, '--root', ROOT, 'run', '--bundle', b.dir, id],
    { encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL' });
  assert.is(r.status, 0, `${r.stdout} ${r.stderr}`);
  assert.is(r.stdout, '0\nran\n', 'no SELinux mount label on any mount');
  const t = readFileSync(trace, 'utf8');
  assert.not.match(t, /attr\/(apparmor\/)?exec/, 'no LSM attribute opened');
  assert.match(t, /config\.json/, 'the trace saw the create');
  // exec --apparmor / --process-label: the same
  const c = bundle({ args: ['sleep', '100'], mutate: LSM });
  const id2 = newId('lsm');
  ok(rt(['run', '-d', '--bundle', c.dir, id2]));
  const e = ok(rt(['exec', '--apparmor', 'other', '--process-label', 'system_u:system_r:spc_t:s0', id2, 'echo', 'in']));
  assert.is(e.stdout, 'in\n');
  ok(rt(['delete', '--force', id2]));
  await assertNoLeaks({ id, bundle: b });
  await assertNoLeaks({ id: id2, bundle: c });
});

test('--debug says what happens (stderr and the JSON log); without it, nothing', () => {
  if (skipFor(!isTsrun, 'debug output format is runtime-specific')) return;
  const log = join(WORK, 'debug.json');
  const r = runSh('true', {}, { global: ['--debug', '--log', log, '--log-format', 'json'] });
  ok(r);
  assert.match(r.stderr, /debug: create .*clone3 flags/, r.stderr);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.level === 'debug' && /ready/.test(l.msg)), 'debug lines in the JSON log');
  const q = runSh('true');
  ok(q);
  assert.is(q.stderr, '', 'no output without --debug');
});

test('run --keep leaves the stopped container for state and delete', async () => {
  const r = runSh('exit 3', {}, { flags: ['--keep'] });
  assert.is(r.code, 3);
  assert.is(state(r.id).status, 'stopped');
  ok(rt(['delete', r.id]));
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

test.run();
