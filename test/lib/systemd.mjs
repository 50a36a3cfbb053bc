// A private systemd for the systemd cgroup driver tests, booted so that it cannot touch the
// host (test/lib/systemd-boot.sh: own read-only root with tmpfs /run /tmp /var /etc /dev, a
// boot target that pulls in nothing) in its own pid, mount, uts and cgroup namespaces, the
// cgroup namespace rooted in a dedicated cgroup v2 directory made here and removed at stop.
//
//   const sd = await bootSystemd();   // null: no systemd binary or no cgroup v2 (why in sd.skip)
//   sd.run(['systemctl', 'show', 'x.scope'])  // a command in its namespaces (spawnSync result)
//   sd.share                          // host dir seen inside as /run/tsrun-share
//   await sd.stop()                   // SIGKILL its PID 1, remove the cgroup tree and dirs
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync, writeFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync,
} from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TMP } from './bundle.mjs';

export const SYSTEMD = '/lib/systemd/systemd';
const BOOT = join(dirname(fileURLToPath(import.meta.url)), 'systemd-boot.sh');
let seq = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The cgroup v2 hierarchy: hybrid hosts mount it at /sys/fs/cgroup/unified.
function cgroup2Root() {
  for (const d of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if (existsSync(join(d, 'cgroup.subtree_control')) || existsSync(join(d, 'cgroup.max.depth'))) return d;
  }
  return '';
}

export function systemdSkipReason() {
  if (!existsSync(SYSTEMD)) return `${SYSTEMD} is not installed (Debian package systemd)`;
  if (!cgroup2Root()) return 'no cgroup v2 hierarchy on this host';
  if (spawnSync('unshare', ['--help']).status !== 0 || spawnSync('nsenter', ['--help']).status !== 0) return 'no unshare/nsenter (util-linux)';
  return '';
}

// Removes a cgroup tree deepest first (the processes are gone; EBUSY only while they leave).
async function removeTree(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) await removeTree(join(dir, e.name));
  for (let i = 0; ; i++) {
    try { rmdirSync(dir); return; } catch (e) {
      if (e.code === 'ENOENT') return;
      if (e.code !== 'EBUSY' || i > 300) throw e;
      await sleep(10);
    }
  }
}

function childrenOf(pid) {
  try { return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
}

export async function bootSystemd() {
  const skip = systemdSkipReason();
  if (skip) return { skip };
  const cg = join(cgroup2Root(), `tsrun-systemd-test-${process.pid}-${Date.now()}`);
  const work = mkdtempSync(join(TMP, 'tsrun-systemd-'));
  mkdirSync(join(work, 'root'));
  mkdirSync(join(work, 'share'));
  mkdirSync(cg);
  const logPath = join(work, 'boot.log');
  const log = openSync(logPath, 'w');
  // The shell joins the dedicated cgroup, then unshare makes it the cgroup namespace root.
  const child = spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec unshare --cgroup --pid --fork --mount --uts --propagation private bash "$1" "$2"', cg, BOOT, work],
    { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = new Promise((r) => child.once('exit', r));
  let done = false;
  child.once('exit', () => { done = true; });
  const sd = {
    skip: '', cgroup: cg, work, share: join(work, 'share'), pid: 0,
    log: () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } },
    // A command in systemd's pid, mount, uts and cgroup namespaces (its root, its /run).
    // Output goes through files: a container created by it may keep them open.
    run(args, opts = {}) {
      const out = join(work, `out-${seq}`), errp = join(work, `err-${seq++}`);
      const o = openSync(out, 'w+'), e = openSync(errp, 'w+');
      let r;
      try {
        r = spawnSync('nsenter', ['-t', String(sd.pid), '-m', '-p', '-u', '-C', '--', ...args],
          { stdio: ['ignore', o, e], timeout: 30000, killSignal: 'SIGKILL', ...opts });
      } finally { closeSync(o); closeSync(e); }
      const res = { code: r.status, signal: r.signal, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(errp, 'utf8'), argv: args };
      rmSync(out); rmSync(errp);
      res.toString = () => `${args.join(' ')} -> code ${res.code}${res.signal ? ' signal ' + res.signal : ''}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`;
      return res;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', stopSync);
      if (!done) {
        kill();
        await Promise.race([exited, sleep(10000)]);
      }
      await removeTree(cg);
      removeWork();
    },
  };
  let stopped = false;
  const kill = () => {
    for (const p of childrenOf(child.pid)) try { process.kill(p, 'SIGKILL'); } catch {}
    try { process.kill(child.pid, 'SIGKILL'); } catch {}
  };
  const removeWork = () => {
    rmSync(join(work, 'share'), { recursive: true, force: true });
    try { rmdirSync(join(work, 'root')); } catch {}  // a mount point only inside the (gone) mount namespace
    rmSync(work, { recursive: true, force: true });
  };
  // A test that dies without stop(): the same, synchronously, at exit.
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    kill();
    const tree = (d) => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) tree(join(d, e.name));
      for (let i = 0; i < 300; i++) {
        try { rmdirSync(d); return; } catch (e) { if (e.code !== 'EBUSY') return; spawnSync('sleep', ['0.01']); }
      }
    };
    tree(cg);
    removeWork();
  };
  process.on('exit', stopSync);
  try {
    // unshare's own process leaves the namespace root for the test's cgroup (see systemd-boot.sh).
    const own = readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m);
    for (let i = 0; i < 1000 && !done && !sd.pid; i++) {
      sd.pid = childrenOf(child.pid)[0] || 0;
      if (!sd.pid) await sleep(5);
    }
    if (!sd.pid) throw new Error(`the boot script did not start:\n${sd.log()}`);
    writeFileSync(join(cgroup2Root(), own ? own[1] : '/', 'cgroup.procs'), String(child.pid));
    writeFileSync(join(work, 'go'), '');
    for (let i = 0; i < 3000 && !done; i++) {
      if (sd.pid && existsSync(`/proc/${sd.pid}/root/run/systemd/private`)) {
        const r = sd.run(['systemctl', 'is-system-running']);
        if (/^(running|degraded)/.test(r.stdout)) return sd;
      }
      await sleep(10);
    }
    throw new Error(`the private systemd did not come up:\n${sd.log()}`);
  } catch (e) {
    await sd.stop();
    throw e;
  }
}
