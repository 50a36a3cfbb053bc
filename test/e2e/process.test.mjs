// The container process as seen from inside: PID 1, hostname/domainname, args/env/cwd,
// user and groups, umask, capabilities, rlimits, noNewPrivileges, oomScoreAdj, sysctl,
// --preserve-fds and closed file descriptors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  WORK, bundle, isRunc, newId, ok, rt, runSh, setup, skipFor, state, waitOutput, waitStatus,
  inside,
} from '../lib/runtime.mjs';

setup(test);


// "Key:\tvalue" lines of /proc/self/status inside the container.
function status(bundleOpts = {}) {
  const out = inside('cat /proc/self/status', bundleOpts);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  }));
}

const CAP = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_FOWNER: 3, CAP_KILL: 5, CAP_SETGID: 6, CAP_SETUID: 7,
  CAP_NET_BIND_SERVICE: 10, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18, CAP_SYS_ADMIN: 21,
  CAP_AUDIT_WRITE: 29,
};
const mask = (names) => names.reduce((m, n) => m | (1n << BigInt(CAP[n])), 0n);
const hexmask = (names) => mask(names).toString(16).padStart(16, '0');

test('the process is PID 1 in a new PID namespace, with the configured args', () => {
  assert.is(inside('echo $$'), '1\n');
  const out = inside('echo "$0|$1|$2"', { mutate: (c) => { c.process.args = ['sh', '-c', 'echo "$0|$1|$2"', 'zero', 'one two', '']; } });
  assert.is(out, 'zero|one two|\n');
});

test('hostname and domainname are set in a new UTS namespace; the host keeps its own', () => {
  const out = inside('hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', {
    config: { hostname: 'tsrun-box', domainname: 'example.org' },
  });
  const [h1, h2, domain] = out.split('\n');
  assert.is(h1, 'tsrun-box');
  assert.is(h2, 'tsrun-box');
  assert.is.not(hostname(), 'tsrun-box');
  if (skipFor(isRunc, 'runc 1.1 ignores domainname')) return;
  assert.is(domain, 'example.org');
});

test('env is exactly process.env (plus HOME when absent, like runc)', () => {
  const env = ['PATH=/bin', 'FOO=bar baz', 'EMPTY=', 'WITH_EQ=a=b'];
  const out = inside('env', { config: { process: { env } } });
  const lines = out.split('\n').filter(Boolean);
  for (const e of env) assert.ok(lines.includes(e), `${e} in\n${out}`);
  // sh adds PWD and SHLVL itself; runc adds HOME from /etc/passwd when env has none
  const extra = lines.filter((l) => !env.includes(l) && !/^(PWD|SHLVL|OLDPWD|_)=/.test(l));
  for (const l of extra) assert.match(l, /^HOME=/, `unexpected variable ${l}`);
  assert.match(inside('echo $HOME', { config: { process: { env: ['PATH=/bin', 'HOME=/custom'] } } }), /^\/custom\n$/);
});

test('cwd', () => {
  assert.is(inside('pwd', { config: { process: { cwd: '/tmp' } } }), '/tmp\n');
  assert.is(inside('pwd', { config: { process: { cwd: '/etc/' } } }), '/etc\n');
});

test('user: uid, gid, additionalGids', () => {
  const st = status({ config: { process: { user: { uid: 65534, gid: 65534, additionalGids: [5, 100, 1000] } } } });
  assert.is(st.Uid, '65534\t65534\t65534\t65534');
  assert.is(st.Gid, '65534\t65534\t65534\t65534');
  assert.equal(st.Groups.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b), [5, 100, 1000]);
  assert.is(inside('id -u; id -g', { config: { process: { user: { uid: 1234, gid: 4321 } } } }), '1234\n4321\n');
  // root with no additionalGids has no supplementary groups
  assert.is(status().Groups, '');
});

test('umask: configured value, 0022 by default', () => {
  assert.is(inside('umask'), '0022\n');
  assert.is(inside('umask', { config: { process: { user: { uid: 0, gid: 0, umask: 0o027 } } } }), '0027\n');
  assert.is(inside('umask; touch /tmp/f; stat -c %a /tmp/f', { config: { process: { user: { uid: 0, gid: 0, umask: 0o077 } } } }), '0077\n600\n');
});

test('capabilities: the five sets (root)', () => {
  const caps = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN'],
    effective: ['CAP_CHOWN', 'CAP_KILL'],
    permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN'],
    inheritable: ['CAP_KILL', 'CAP_NET_ADMIN'],
    ambient: ['CAP_KILL'],
  };
  const st = status({ config: { process: { capabilities: caps, noNewPrivileges: false } } });
  assert.is(st.CapBnd, hexmask(caps.bounding));
  assert.is(st.CapInh, hexmask(caps.inheritable));
  assert.is(st.CapAmb, hexmask(caps.ambient));
  // exec as uid 0 recomputes: permitted = effective = inheritable | bounding
  const root = hexmask([...caps.inheritable, ...caps.bounding]);
  assert.is(st.CapPrm, root);
  assert.is(st.CapEff, root);
});

test('capabilities: the five sets (non-root: ambient carries over exec)', () => {
  const caps = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN'],
    effective: ['CAP_CHOWN', 'CAP_KILL'],
    permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN'],
    inheritable: ['CAP_KILL', 'CAP_NET_ADMIN'],
    ambient: ['CAP_KILL', 'CAP_NET_ADMIN'],
  };
  const st = status({ config: { process: { user: { uid: 1000, gid: 1000 }, capabilities: caps, noNewPrivileges: false } } });
  assert.is(st.CapBnd, hexmask(caps.bounding));
  assert.is(st.CapInh, hexmask(caps.inheritable));
  assert.is(st.CapAmb, hexmask(caps.ambient));
  assert.is(st.CapPrm, hexmask(caps.ambient));
  assert.is(st.CapEff, hexmask(caps.ambient));
});

test('capabilities: empty sets and the baseline set; the effect is real', () => {
  const none = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
  const st = status({ config: { process: { capabilities: none } } });
  for (const k of ['CapBnd', 'CapInh', 'CapAmb', 'CapPrm', 'CapEff']) assert.is(st[k], '0000000000000000', k);
  // without CAP_CHOWN, root cannot chown a file to another user
  const r = runSh('touch /tmp/x && chown 1:1 /tmp/x', { config: { process: { capabilities: none } } });
  assert.is.not(r.code, 0, 'chown without CAP_CHOWN must fail');
  const base = status();
  const baseline = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  assert.is(base.CapBnd, hexmask(baseline));
  assert.is(base.CapEff, hexmask(baseline));
  // with CAP_CHOWN alone, the same chown works
  ok(runSh('touch /tmp/x && chown 1:1 /tmp/x', { config: { process: { capabilities: { ...none, bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] } } } }));
});

test('rlimits', () => {
  const out = inside('ulimit -n; ulimit -Hn; ulimit -s; grep "Max processes" /proc/self/limits', {
    config: {
      process: {
        rlimits: [
          { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
          { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 },
          { type: 'RLIMIT_NPROC', soft: 4000, hard: 5000 },
        ],
      },
    },
  });
  const [n, hn, s, nproc] = out.split('\n');
  assert.is(n, '100');
  assert.is(hn, '200');
  assert.is(s, '4096');
  assert.match(nproc, /Max processes\s+4000\s+5000\s+processes/);
  // the baseline (runc spec) limit
  assert.is(inside('ulimit -n; ulimit -Hn'), '1024\n1024\n');
});

test('noNewPrivileges', () => {
  assert.is(status({ config: { process: { noNewPrivileges: true } } }).NoNewPrivs, '1');
  assert.is(status({ config: { process: { noNewPrivileges: false } } }).NoNewPrivs, '0');
});

test('oomScoreAdj', () => {
  assert.is(inside('cat /proc/self/oom_score_adj', { config: { process: { oomScoreAdj: 123 } } }), '123\n');
  assert.is(inside('cat /proc/self/oom_score_adj', { config: { process: { oomScoreAdj: 1000 } } }), '1000\n');
  // (a negative value needs CAP_SYS_RESOURCE, which the test host may not have)
});

test('sysctl: namespaced settings applied in the new namespaces only', () => {
  const hostFwd = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const hostRmid = readFileSync('/proc/sys/kernel/shm_rmid_forced', 'utf8');
  const out = inside('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced /proc/sys/kernel/msgmax', {
    config: { linux: { sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.shm_rmid_forced': '1', 'kernel/msgmax': '12345' } } },
  });
  assert.is(out, '1\n1\n12345\n');
  assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostFwd, 'host ip_forward untouched');
  assert.is(readFileSync('/proc/sys/kernel/shm_rmid_forced', 'utf8'), hostRmid, 'host shm_rmid_forced untouched');
});

// The fds of the container's process, read from the host: `run -d` of `sleep`, then /proc/PID/fd.
function fdsOfDetached(flags, extraFds, bundleOpts = {}) {
  const b = bundle({ args: ['sleep', '1000'], ...bundleOpts });
  const id = newId('fds');
  ok(rt(['run', '-d', ...flags, '--bundle', b.dir, id], { extraFds }));
  const { pid } = state(id);
  const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  const targets = Object.fromEntries(fds.map((fd) => [fd, readlinkSync(`/proc/${pid}/fd/${fd}`)]));
  ok(rt(['delete', '--force', id]));
  return { fds, targets };
}

test('only stdio is open in the container process by default', () => {
  const { fds } = fdsOfDetached([], []);
  assert.equal(fds, [0, 1, 2]);
});

test('--preserve-fds N passes fds 3..3+N-1 and closes the others', () => {
  const f3 = join(WORK, 'fd3.txt');
  const f4 = join(WORK, 'fd4.txt');
  writeFileSync(f3, 'content-of-fd3\n');
  writeFileSync(f4, 'content-of-fd4\n');
  const fd3 = openSync(f3, 'r');
  const fd4 = openSync(f4, 'r');
  try {
    let r = fdsOfDetached(['--preserve-fds', '1'], [fd3, fd4]);
    assert.equal(r.fds, [0, 1, 2, 3], 'fd 3 preserved, fd 4 closed');
    assert.is(r.targets[3], f3);
    r = fdsOfDetached(['--preserve-fds', '2'], [fd3, fd4]);
    assert.equal(r.fds, [0, 1, 2, 3, 4]);
    assert.is(r.targets[4], f4);
    r = fdsOfDetached([], [fd3, fd4]);
    assert.equal(r.fds, [0, 1, 2], 'inherited extra fds are closed without --preserve-fds');

    // and the fd is usable inside
    const b = bundle({ args: ['sh', '-c', 'cat <&3'] });
    const id = newId('pfd');
    const out = ok(rt(['run', '--preserve-fds', '1', '--bundle', b.dir, id], { extraFds: [fd3, fd4] })).stdout;
    assert.is(out, 'content-of-fd3\n');
  } finally {
    closeSync(fd3);
    closeSync(fd4);
  }
});

test('--preserve-fds with create: the fd survives until start', async () => {
  const f = join(WORK, 'fd3-create.txt');
  writeFileSync(f, 'via-create\n');
  const b = bundle({ args: ['sh', '-c', 'cat <&3'] });
  const fd = openSync(f, 'r');
  const id = newId('pfdc');
  let c;
  try {
    c = ok(rt(['create', '--preserve-fds', '1', '--bundle', b.dir, id], { extraFds: [fd] }));
  } finally {
    closeSync(fd);
  }
  ok(rt(['start', id]));
  await waitOutput(c, /via-create/);
  await waitStatus(id, 'stopped');
});

test('new namespaces differ from the host; unlisted ones are shared', () => {
  const host = (ns) => readlinkSync(`/proc/self/ns/${ns}`);
  const all = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup', 'user'];
  const script = all.map((ns) => `readlink /proc/self/ns/${ns}`).join('; ');
  const out = inside(script).split('\n');
  const got = Object.fromEntries(all.map((ns, i) => [ns, out[i]]));
  for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt']) assert.is.not(got[ns], host(ns), `${ns} namespace is new`);
  for (const ns of ['cgroup', 'user']) assert.is(got[ns], host(ns), `${ns} namespace is the host's`);

  const out2 = inside(script, { mutate: (c) => { c.linux.namespaces = [{ type: 'mount' }, { type: 'cgroup' }]; delete c.hostname; } }).split('\n');
  const got2 = Object.fromEntries(all.map((ns, i) => [ns, out2[i]]));
  assert.is.not(got2.cgroup, host('cgroup'), 'cgroup namespace is new');
  for (const ns of ['pid', 'net', 'ipc', 'uts']) assert.is(got2[ns], host(ns), `${ns} namespace is shared`);
});

test('user namespace with uid/gid mappings', () => {
  const out = inside('cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox', {
    mutate: (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    },
  });
  const lines = out.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.is(lines[0], '0 200000 65536');
  assert.is(lines[1], '0 200000 65536');
  assert.is(lines[2], '0');
  assert.is(lines[3], '65534', 'host root files appear as the overflow uid');
});

test('a new session keyring named after the container, unless --no-new-keyring', () => {
  const unmask = { mutate: (c) => { c.linux.maskedPaths = c.linux.maskedPaths.filter((p) => p !== '/proc/keys'); } };
  const r = ok(runSh('cat /proc/keys', unmask));
  assert.match(r.stdout, new RegExp(`keyring\\s+_ses\\.${r.id}:`), r.stdout);
  const r2 = ok(runSh('cat /proc/keys', unmask, { flags: ['--no-new-keyring'] }));
  assert.not.match(r2.stdout, new RegExp(`_ses\\.${r2.id}:`), r2.stdout);
});

test('time namespace', () => {
  if (skipFor(isRunc, 'runc 1.1 does not know the time namespace')) return;
  const host = readlinkSync('/proc/self/ns/time');
  const out = inside('readlink /proc/self/ns/time', { mutate: (c) => { c.linux.namespaces.push({ type: 'time' }); } });
  assert.is.not(out.trim(), host);
});

test.run();
