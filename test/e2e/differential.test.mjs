// Differential tests: the same bundle through the reference runtime (runc) and the runtime
// under test; the exit codes, what the container saw (a probe script) and the `state`
// documents must agree. With TSRUN_BIN pointing at runc this compares runc with itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readlinkSync } from 'node:fs';
import {
  RUNC, RUNTIME, bundle, fails, newId, ok, rt, setup, skipFor, state, waitStatus,
} from '../lib/runtime.mjs';

setup(test);

const haveRunc = existsSync(RUNC);
const both = [RUNC, RUNTIME];

// What the container sees, one fact per line; host-specific values are normalised.
const PROBE = [
  'echo "pid $$"',
  'echo "hostname $(hostname)"',
  'echo "id $(id)"',
  'echo "umask $(umask)"',
  'echo "nofile $(ulimit -n) $(ulimit -Hn)"',
  'grep -E "^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp):" /proc/self/status',
  'echo "oom $(cat /proc/self/oom_score_adj)"',
  'echo "cwd $(pwd)"',
  'env | grep -v -E "^(PWD|SHLVL|_)=" | sort | sed "s/^/env /"',
  // mount table: mountpoint, type, per-mount options (cgroup hierarchies are layout details)
  'awk \'$5 !~ /^\\/sys\\/fs\\/cgroup\\// { for (i = 7; $i != "-"; i++); print "mount", $5, $(i+1), $6 }\' /proc/self/mountinfo | sort',
  // /dev: name, type and mode, device numbers, link targets
  'for f in /dev/* /dev/pts/* /dev/shm /dev/mqueue; do echo "dev $(stat -c "%n %A %t:%T %u:%g" $f) $(readlink $f)"; done',
  // the shell's own glob (a command substitution would race the shell closing its pipe end)
  'set -- /proc/$$/fd/*; echo "fds $#"',
  'for n in cgroup ipc mnt net pid user uts; do echo "ns $n $(readlink /proc/self/ns/$n)"; done',
  'touch /probe-write 2>/dev/null && echo "rootfs writable" || echo "rootfs read-only"',
  'echo "sysctl $(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/shm_rmid_forced)"',
  'exit 42',
].join('\n');

// Namespace inodes differ between any two containers: keep "host" or "new".
function normalise(out) {
  const host = {};
  for (const n of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts']) host[n] = readlinkSync(`/proc/self/ns/${n}`);
  return out.split('\n').map((l) => {
    const m = /^ns (\w+) (.*)$/.exec(l);
    if (m) return `ns ${m[1]} ${m[2] === host[m[1]] ? 'host' : 'new'}`;
    return l;
  }).join('\n');
}

// Runs the probe in a fresh copy of the bundle through each runtime; returns [ref, ours].
function probeBoth(bundleOpts) {
  return both.map((runtime) => {
    const b = bundle({ args: ['sh', '-c', PROBE], ...bundleOpts });
    const id = newId('diff', { runtime });
    const r = rt(['run', '--bundle', b.dir, id], { runtime });
    return { code: r.code, out: normalise(r.stdout), err: r.stderr, res: r };
  });
}

function compare(bundleOpts, what) {
  const [ref, ours] = probeBoth(bundleOpts);
  assert.is(ref.code, 42, `reference runtime: ${ref.res}`);
  assert.is(ours.code, ref.code, `${what}: exit code\n${ours.res}`);
  assert.fixture(ours.out, ref.out, `${what}: what the container saw`);
}

test('baseline bundle: same view from inside, same exit code', () => {
  if (skipFor(!haveRunc, `no reference runtime at ${RUNC}`)) return;
  compare({}, 'baseline');
});

test('user, capabilities, rlimits, read-only rootfs, sysctl, oom, env, cwd', () => {
  if (skipFor(!haveRunc, `no reference runtime at ${RUNC}`)) return;
  compare({
    config: {
      root: { readonly: true },
      process: {
        user: { uid: 1000, gid: 1000, additionalGids: [5, 7], umask: 0o077 },
        env: ['PATH=/bin', 'A=1', 'B=two words'],
        cwd: '/tmp',
        capabilities: {
          bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'],
          inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'],
        },
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 64, hard: 128 }],
        noNewPrivileges: false,
        oomScoreAdj: 500,
      },
      hostname: 'diffbox',
      linux: { sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.shm_rmid_forced': '1' } },
    },
  }, 'process settings');
});

test('extra mounts, masked and read-only paths, devices', () => {
  if (skipFor(!haveRunc, `no reference runtime at ${RUNC}`)) return;
  compare({
    files: { 'rootfs/etc/secret': 'x\n' },
    mutate: (c) => {
      c.mounts.push(
        { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1770'] },
        { destination: '/ro-etc', type: 'bind', source: '/etc', options: ['rbind', 'ro', 'nosuid'] },
      );
      c.linux.maskedPaths.push('/etc/secret');
      c.linux.readonlyPaths.push('/tmp');
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 0, gid: 0 }];
    },
  }, 'mounts');
});

test('fewer namespaces and a user namespace', () => {
  if (skipFor(!haveRunc, `no reference runtime at ${RUNC}`)) return;
  compare({ mutate: (c) => { c.linux.namespaces = [{ type: 'mount' }, { type: 'pid' }]; delete c.hostname; } }, 'mount+pid only');
  compare({
    mutate: (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      c.mounts = c.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
    },
  }, 'user namespace');
});

test('state documents: same keys and values through the lifecycle', async () => {
  if (skipFor(!haveRunc, `no reference runtime at ${RUNC}`)) return;
  const seen = [];
  for (const runtime of both) {
    const b = bundle({ args: ['sleep', '1000'], config: { annotations: { 'a.b/c': 'd' } } });
    const id = newId('dstate', { runtime });
    const steps = {};
    ok(rt(['create', '--bundle', b.dir, id], { runtime }));
    steps.created = state(id, { runtime });
    ok(rt(['start', id], { runtime }));
    steps.running = await waitStatus(id, 'running', { runtime });
    ok(rt(['kill', id, 'KILL'], { runtime }));
    steps.stopped = await waitStatus(id, 'stopped', { runtime });
    const list = JSON.parse(ok(rt(['list', '--format', 'json'], { runtime })).stdout);
    ok(rt(['delete', id], { runtime }));
    const codes = {
      deleteAgain: rt(['delete', id], { runtime }).code,
      forceUnknown: rt(['delete', '--force', id], { runtime }).code,
      stateUnknown: rt(['state', id], { runtime }).code,
    };
    const shape = (s) => ({
      keys: Object.keys(s).sort(),
      status: s.status,
      pidPositive: s.pid > 0,
      bundle: s.bundle === b.dir,
      rootfs: s.rootfs === b.rootfs,
      annotations: s.annotations,
      owner: s.owner,
    });
    seen.push({
      created: shape(steps.created), running: shape(steps.running), stopped: { ...shape(steps.stopped), pidPositive: undefined },
      listKeys: Object.keys(list.find((c) => c.id === id)).sort(),
      codes,
    });
  }
  const [ref, ours] = seen;
  assert.equal(ours, ref);
});

test('exit codes agree for failures', () => {
  if (skipFor(!haveRunc, `no reference runtime at ${RUNC}`)) return;
  const cases = {
    'missing binary': { args: ['/nope'] },
    'empty args': { mutate: (c) => { c.process.args = []; } },
    'relative cwd': { mutate: (c) => { c.process.cwd = 'x'; } },
  };
  for (const [what, opts] of Object.entries(cases)) {
    const codes = both.map((runtime) => {
      const b = bundle({ args: ['true'], ...opts });
      const r = rt(['run', '--bundle', b.dir, newId('dfail', { runtime })], { runtime });
      fails(r, `${what} (${runtime})`);
      return r.code;
    });
    assert.is(codes[1], codes[0], `${what}: exit code`);
  }
});

test.run();
