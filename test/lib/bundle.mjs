// Builds OCI bundles for the tests: a busybox rootfs (from Debian's busybox-static) and a
// config.json that starts from a baseline equivalent to `runc spec` (with terminal false and
// a writable rootfs) plus per-test overrides.
//
//   const b = makeBundle({ args: ['sh', '-c', 'echo hi'], config: { hostname: 'x' },
//                          mutate: (cfg, b) => { cfg.linux.namespaces.pop(); } });
//   b.dir, b.rootfs, b.config, b.configPath, b.write(cfg?), b.remove()
//
// Environment: BUSYBOX (default /bin/busybox), TSRUN_TEST_TMP (default os.tmpdir()).
import { execFileSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const BUSYBOX = process.env.BUSYBOX || '/bin/busybox';
export const TMP = process.env.TSRUN_TEST_TMP || tmpdir();

let applets = null;
function busyboxApplets() {
  if (applets) return applets;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} not found: install busybox-static (scripts/install-deps.sh)`);
  const desc = execFileSync('file', ['-L', BUSYBOX], { encoding: 'utf8' });
  if (!/statically linked|static-pie linked/.test(desc)) {
    throw new Error(`${BUSYBOX} is not a static binary (${desc.trim()}): install busybox-static`);
  }
  applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'));
  return applets;
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

// A fresh object equivalent to `runc spec` output, except terminal false and root.readonly
// false. Tests change it through makeBundle's `config` (deep merge) and `mutate` (callback).
export function baseConfig() {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS], ambient: [...CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'tsrun',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Deep merge: objects merge key by key, arrays and scalars replace, `undefined` deletes.
export function deepMerge(target, patch) {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete target[k];
    else if (isPlainObject(v) && isPlainObject(target[k])) deepMerge(target[k], v);
    else target[k] = isPlainObject(v) || Array.isArray(v) ? structuredClone(v) : v;
  }
  return target;
}

export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
export const GROUP = 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n';

// Populates dir (created if missing) with the busybox rootfs.
export function makeRootfs(rootfs) {
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of busyboxApplets()) symlinkSync('busybox', join(rootfs, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  chmodSync(join(rootfs, 'root'), 0o700);
  writeFileSync(join(rootfs, 'etc', 'passwd'), PASSWD);
  writeFileSync(join(rootfs, 'etc', 'group'), GROUP);
  writeFileSync(join(rootfs, 'etc', 'hosts'), '127.0.0.1 localhost\n');
}

let seq = 0;
// Creates a bundle in a fresh temp dir (or opts.dir). Options:
//   args: process.args; config: object deep-merged into the baseline;
//   mutate(cfg, bundle): callback run last (may return a replacement object, or a string to
//   write verbatim as config.json); files: { 'rootfs/relative/path': content } extra files;
//   noConfig / noRootfs: leave those out (bad-input tests); parent: dir to create it in.
export function makeBundle(opts = {}) {
  const dir = opts.dir || mkdtempSync(join(opts.parent || TMP, `tsrun-bundle-${process.pid}-${seq++}-`));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // mkdtemp makes 0700; a user-namespaced container must reach its rootfs
  const rootfs = join(dir, 'rootfs');
  if (!opts.noRootfs) makeRootfs(rootfs);
  for (const [rel, content] of Object.entries(opts.files || {})) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  const bundle = {
    dir,
    rootfs,
    configPath: join(dir, 'config.json'),
    config: null,
    // Writes cfg (default: this.config) as config.json, pretty-printed like runc spec.
    write(cfg = bundle.config) {
      writeFileSync(bundle.configPath, typeof cfg === 'string' ? cfg : JSON.stringify(cfg, null, '\t'));
    },
    remove() { rmSync(dir, { recursive: true, force: true }); },
  };
  let cfg = baseConfig();
  if (opts.args) cfg.process.args = [...opts.args];
  if (opts.config) deepMerge(cfg, opts.config);
  if (opts.mutate) {
    const r = opts.mutate(cfg, bundle);
    if (r !== undefined) cfg = r;
  }
  bundle.config = cfg;
  if (!opts.noConfig) bundle.write(cfg);
  return bundle;
}
