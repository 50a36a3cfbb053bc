// Joining existing namespaces by path (linux.namespaces[].path): a persistent namespace made
// with `unshare --net=FILE`, and /proc/PID/ns/* of another container (pid namespace included).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WORK, assertNoLeaks, bundle, fails, isRunc, newId, ok, rt, runSh, setup, state,
} from '../lib/runtime.mjs';

setup(test);

const NSDIR = join(WORK, 'ns');
mkdirSync(NSDIR);
let nsSeq = 0;

// A persistent namespace bound on a file under WORK; setup runs inside it first.
function persistentNs(kind, setupScript = 'true') {
  const file = join(NSDIR, `${kind}-${nsSeq++}`);
  writeFileSync(file, '');
  const r = spawnSync('unshare', [`--${kind}=${file}`, 'sh', '-c', setupScript], { encoding: 'utf8' });
  assert.is(r.status, 0, `unshare --${kind}: ${r.stderr}`);
  return {
    file,
    inode: statSync(file).ino,
    remove() { spawnSync('umount', [file]); },
  };
}

function withNamespace(c, type, path) {
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== type);
  c.linux.namespaces.push({ type, path });
}

test('join a network namespace bound on a file (unshare --net=FILE)', () => {
  const ns = persistentNs('net', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
  try {
    const r = ok(runSh('readlink /proc/self/ns/net; cat /proc/sys/net/ipv4/ip_forward', {
      mutate: (c) => withNamespace(c, 'network', ns.file),
    }));
    assert.equal(r.stdout.split('\n'), [`net:[${ns.inode}]`, '1', '']);
  } finally {
    ns.remove();
  }
});

test('join a UTS namespace by path: its hostname is seen', () => {
  const ns = persistentNs('uts', 'hostname joined-uts');
  try {
    const r = ok(runSh('hostname; readlink /proc/self/ns/uts', {
      mutate: (c) => { withNamespace(c, 'uts', ns.file); delete c.hostname; },
    }));
    assert.equal(r.stdout.split('\n'), ['joined-uts', `uts:[${ns.inode}]`, '']);
  } finally {
    ns.remove();
  }
});

test("join another container's network, IPC and PID namespaces through /proc/PID/ns", async () => {
  const a = bundle({ args: ['sleep', '1000'], config: { linux: { sysctl: { 'kernel.shm_rmid_forced': '1' } } } });
  const idA = newId('nsA');
  ok(rt(['run', '-d', '--bundle', a.dir, idA]));
  const pidA = state(idA).pid;
  const nsOf = (t) => readlinkSync(`/proc/${pidA}/ns/${t}`);

  const r = ok(runSh(
    'for n in net ipc pid; do readlink /proc/self/ns/$n; done; echo $$; tr "\\0" " " < /proc/1/cmdline; echo; cat /proc/sys/kernel/shm_rmid_forced',
    {
      mutate: (c) => {
        withNamespace(c, 'network', `/proc/${pidA}/ns/net`);
        withNamespace(c, 'ipc', `/proc/${pidA}/ns/ipc`);
        withNamespace(c, 'pid', `/proc/${pidA}/ns/pid`);
      },
    },
  ));
  const [net, ipc, pid, self, init, rmid] = r.stdout.split('\n');
  assert.is(net, nsOf('net'));
  assert.is(ipc, nsOf('ipc'));
  assert.is(pid, nsOf('pid'));
  assert.is.not(self, '1', 'not PID 1 in a joined PID namespace');
  assert.is(init.trim(), 'sleep 1000', "the other container's init is PID 1 here");
  assert.is(rmid, '1', "the joined IPC namespace's sysctl is seen");
  assert.is(state(idA).status, 'running', 'the first container is unaffected');
  ok(rt(['delete', '--force', idA]));
  await assertNoLeaks({ id: idA, bundle: a });
});

test("join another container's user namespace by path: its maps, and new namespaces owned by it", async () => {
  const userns = (c, b) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.linux.gidMappings = c.linux.uidMappings;
    delete c.linux.resources;
    c.mounts = c.mounts.filter((m) => m.type !== 'cgroup');
  };
  const a = bundle({ args: ['sleep', '1000'], mutate: userns });
  const idA = newId('usrA');
  ok(rt(['run', '-d', '--bundle', a.dir, idA]));
  const pidA = state(idA).pid;
  const r = ok(runSh('readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u; hostname; ls /dev/null', {
    mutate: (c) => {
      withNamespace(c, 'user', `/proc/${pidA}/ns/user`);
      // the joined namespace's own maps, repeated (runc 1.1 requires them)
      c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      c.linux.gidMappings = c.linux.uidMappings;
      delete c.linux.resources;
      c.mounts = c.mounts.filter((m) => m.type !== 'cgroup');
    },
  }));
  const [ns, map, uid, host, dev] = r.stdout.split('\n');
  assert.is(ns, readlinkSync(`/proc/${pidA}/ns/user`));
  assert.is(map.trim().split(/\s+/).join(' '), '0 200000 65536');
  assert.is(uid, '0');
  assert.is(host, 'tsrun', 'its own UTS namespace (owned by the joined user namespace) took the hostname');
  assert.is(dev, '/dev/null');
  ok(rt(['delete', '--force', idA]));
  await assertNoLeaks({ id: idA, bundle: a });
  await assertNoLeaks({ id: r.id, bundle: r.bundle });
});

test('a namespace path that does not exist or is not a namespace fails cleanly', async () => {
  const notNs = join(WORK, 'not-a-namespace');
  writeFileSync(notNs, '');
  for (const path of [join(WORK, 'missing-ns'), notNs]) {
    const r = runSh('true', { mutate: (c) => withNamespace(c, 'network', path) });
    // (runc's nsexec adds its own fatal lines; the runtime under test must give one line)
    const line = fails(r, `network namespace path ${path}`, { oneLine: !isRunc });
    assert.ok(line.length > 0);
    assert.is(state(r.id), null);
    await assertNoLeaks({ id: r.id, bundle: r.bundle });
  }
});

test('a namespace path of the wrong type fails cleanly', async () => {
  const ns = persistentNs('net');
  try {
    const r = runSh('true', { mutate: (c) => withNamespace(c, 'ipc', ns.file) });
    fails(r, 'net namespace given as ipc', { oneLine: !isRunc });
    await assertNoLeaks({ id: r.id, bundle: r.bundle });
  } finally {
    ns.remove();
  }
});

test.run();
