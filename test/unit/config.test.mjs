// Unit tests of the pure TypeScript parts beyond JSON: config.json validation and the typed
// model (spec/parse.ts, spec/mountopts.ts, cgroups/resources.ts), CLI flag parsing
// (cli/flags.ts), container ids and signal names. Compiled to Wasm, called from Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasm, hostCalls } from './wasm.mjs';
import { baseConfig } from '../lib/bundle.mjs';

const check = (mutate) => {
  const c = baseConfig();
  mutate(c);
  return wasm.configCheck(JSON.stringify(c));
};
const rejects = (mutate, re, what) => {
  const msg = check(mutate);
  assert.is.not(msg, 'ok', `${what} must be rejected`);
  assert.match(msg, re, `${what}: ${msg}`);
  assert.not.match(msg, /\n/, 'one line');
};

test('the baseline config (runc spec, adjusted) is valid', () => {
  assert.is(check(() => {}), 'ok');
});

test('process.execCPUAffinity lists: spaces around entries are fine (AssemblyScript\'s trim() is not used)', () => {
  assert.is(check((c) => { c.process.execCPUAffinity = { initial: '0,    1', final: '  0-1 ,   0' }; }), 'ok');
  rejects((c) => { c.process.execCPUAffinity = { final: '0,,1' }; }, /process\.execCPUAffinity\.final: is not a CPU list: 0,,1/, 'empty entry');
});

test('words: runs of spaces, tabs and newlines separate, none yields an empty word', () => {
  assert.is(wasm.wordsOf('         0          0 4294967295\n'), '0|0|4294967295');
  assert.is(wasm.wordsOf('\t  PID TTY\tTIME CMD  '), 'PID|TTY|TIME|CMD');
  assert.is(wasm.wordsOf('   '), '');
  assert.is(wasm.wordsOf('x'), 'x');
});

test('errors name the JSON path of the field', () => {
  rejects((c) => { c.process.args = []; }, /process\.args: must be a non-empty array of strings/, 'empty args');
  rejects((c) => { c.process.args = ['sh', 3]; }, /process\.args\[1\]: must be a string/, 'non-string arg');
  rejects((c) => { c.process.cwd = 'tmp'; }, /process\.cwd: must be an absolute path/, 'relative cwd');
  rejects((c) => { c.linux.namespaces.push({ type: 'pid' }); }, /linux\.namespaces\[\d+\]\.type: duplicate namespace type "pid"/, 'dup ns');
  rejects((c) => { c.linux.namespaces.push({ type: 'bogus' }); }, /unknown namespace type "bogus"/, 'unknown ns');
  rejects((c) => { c.process.rlimits = [{ type: 'RLIMIT_FOO', hard: 1, soft: 1 }]; }, /process\.rlimits\[0\]\.type: unknown rlimit type RLIMIT_FOO/, 'rlimit type');
  rejects((c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1, soft: 2 }]; }, /soft limit 2 is above hard limit 1/, 'soft > hard');
  rejects((c) => { c.ociVersion = '1.0'; }, /ociVersion: "1\.0" is not a semantic version/, 'non-semver');
  rejects((c) => { c.ociVersion = '2.0.0'; }, /ociVersion: "2\.0\.0" is not supported/, 'major 2');
  rejects((c) => { delete c.root; }, /root: is required/, 'no root');
  rejects((c) => { c.process.capabilities.bounding.push('CAP_NOPE'); }, /unknown capability CAP_NOPE/, 'bad cap');
  rejects((c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'uts'); }, /hostname: requires a new uts namespace/, 'hostname without uts');
  const noMnt = (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'mount'); };
  rejects((c) => { noMnt(c); }, /linux\.maskedPaths: needs a mount namespace/, 'masked paths without a mount namespace (mounts are allowed)');
  assert.is(check((c) => { noMnt(c); delete c.linux.maskedPaths; delete c.linux.readonlyPaths; }), 'ok', 'mounts without a mount namespace are allowed');
  rejects((c) => { noMnt(c); c.mounts = []; c.linux.maskedPaths = []; c.linux.readonlyPaths = []; c.root.readonly = true; }, /root\.readonly: needs a mount namespace/, 'read-only root without a mount namespace');
  rejects((c) => { c.linux.sysctl = { 'vm.swappiness': '10' }; }, /linux\.sysctl\.vm\.swappiness: is not namespaced/, 'host sysctl');
  rejects((c) => { c.mounts.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }); }, /mounts\[\d+\]\.options: idmapped mounts are only supported for bind mounts/, 'idmap');
  rejects((c) => { c.linux.namespaces.push({ type: 'user' }); c.linux.uidMappings = [{ containerID: 0, hostID: 1, size: 10 }, { containerID: 9, hostID: 100, size: 1 }]; c.linux.gidMappings = [{ containerID: 0, hostID: 1, size: 1 }]; },
    /linux\.uidMappings\[1\]: containerID range overlaps linux\.uidMappings\[0\]/, 'overlapping mappings');
  rejects((c) => { c.linux.namespaces.push({ type: 'user' }); c.linux.uidMappings = [{ containerID: 1, hostID: 0, size: 4294967295 }]; c.linux.gidMappings = c.linux.uidMappings; },
    /linux\.uidMappings\[0\]: containerID 1 \+ size 4294967295 exceeds 4294967295/, 'mapping beyond 32 bits');
  rejects((c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_NONE' }; }, /linux\.seccomp\.defaultAction: unknown action "SCMP_ACT_NONE"/, 'bad seccomp action');
  rejects((c) => { c.process.env = ['NOEQUALS']; }, /process\.env\[0\]: must be KEY=value/, 'env');
});

test('Docker-style zero sections in linux.resources ask for nothing', () => {
  assert.is(check((c) => { c.linux.resources.blockIO = { weight: 0, weightDevice: [] }; c.linux.resources.network = null; }), 'ok');
});

test('the typed model: capabilities, rlimits (64-bit exact), mounts, cgroup writes', () => {
  const c = baseConfig();
  c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 18446744073709551615n.toString(), soft: 1024 }];
  const text = JSON.stringify(c).replace('"18446744073709551615"', '18446744073709551615');
  c.linux.resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 1048576 }, pids: { limit: -1 }, cpu: { shares: 512, quota: 50000, period: 100000 } };
  const withRes = JSON.stringify(c).replace('"18446744073709551615"', '18446744073709551615');
  const s = JSON.parse(wasm.configSummary(text));
  assert.is(s.rlimits[0].type, 'RLIMIT_NOFILE');
  assert.is(s.rlimits[0].soft, 1024);
  assert.ok(text.includes('18446744073709551615'));
  const raw = wasm.configSummary(text);
  assert.ok(raw.includes('"hard":18446744073709551615'), 'u64 max kept exactly: ' + raw);
  // bounding: CAP_AUDIT_WRITE(29), CAP_KILL(5), CAP_NET_BIND_SERVICE(10)
  assert.is(BigInt(raw.match(/"capBounding":(\d+)/)[1]), (1n << 29n) | (1n << 5n) | (1n << 10n));
  const r = JSON.parse(wasm.configSummary(withRes));
  assert.equal(r.cgroupWrites, ['memory.limit_in_bytes=1048576', 'cpu.shares=512', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=50000', 'pids.max=max']);
  assert.is(r.deviceRules, 1);
  const dev = r.mounts.find((m) => m.dest === '/dev');
  assert.is(dev.data, 'mode=755,size=65536k');
  assert.is(hostCalls.filter((h) => h.name === 'sys6').length, 0, 'validation made no syscall');
});

test('mount options: flags, clearing, propagation, recursive attributes, data', () => {
  // MS_RDONLY|MS_NOSUID|MS_NODEV = 7; rprivate = MS_PRIVATE|MS_REC
  assert.is(wasm.mountOptions('ro,nosuid,nodev,mode=755'), '7,0,0,0,0,mode=755');
  assert.is(wasm.mountOptions('ro,rw'), '0,1,0,0,0,');
  assert.is(wasm.mountOptions('rbind,rprivate'), `${4096 + 16384},0,${(1 << 18) + 16384},0,0,`);
  assert.is(wasm.mountOptions('rro,rnosuid'), '0,0,0,3,0,');
  assert.is(wasm.mountOptions('rbind,ridmap'), `${4096 + 16384},0,0,0,0, ridmap`);
  assert.is(wasm.mountOptions('idmap'), '0,0,0,0,0, idmap');
  assert.is(wasm.mountOptions('nosuid,tmpcopyup'), '2,0,0,0,0, tmpcopyup');
  assert.is(wasm.mountOptions('copy-symlink'), 'UNSUPPORTED copy-symlink');
});

test('semantic versions', () => {
  for (const v of ['1.0.0', '1.3.0', '1.0.2-dev', '1.2.3+build.5', '10.20.30']) assert.ok(wasm.semver(v), v);
  for (const v of ['1.0', '01.0.0', '1.0.0-', 'v1.0.0', '1.0.0 ', '']) assert.not.ok(wasm.semver(v), v);
});

test('container ids', () => {
  for (const id of ['a', 'web-1', 'x_y.z+1', 'A'.repeat(255)]) assert.is(wasm.idCheck(id), 'ok', id);
  for (const id of ['', '.', '..', '../x', 'a/b', 'a b', 'x\ny', 'A'.repeat(256)]) {
    const m = wasm.idCheck(id);
    assert.is.not(m, 'ok', JSON.stringify(id));
    assert.not.match(m, /\n/, 'one line');
  }
});

test('signals: names with or without SIG, numbers, real-time', () => {
  assert.is(wasm.signalNumber('TERM'), 15);
  assert.is(wasm.signalNumber('SIGKILL'), 9);
  assert.is(wasm.signalNumber('usr1'), 10);
  assert.is(wasm.signalNumber('9'), 9);
  assert.is(wasm.signalNumber('RTMIN+3'), 37);
  assert.is(wasm.signalNumber('NOPE'), -1);
  assert.is(wasm.signalNumber('99'), -1);
  assert.is(wasm.signalNumber('0'), 0, 'signal 0 checks existence, as runc');
});

test('CLI flags as runc parses them', () => {
  assert.is(wasm.flagsParse('--bundle\n/b\n--pid-file=/p\n-d\nid'), 'bundle=/b;pid-file=/p;detach=true|id');
  assert.is(wasm.flagsParse('-b\n/b\nid\n--not-a-flag'), 'bundle=/b|id --not-a-flag');
  assert.match(wasm.flagsParse('--bogus\nid'), /^ERROR: create: unknown flag: --bogus/);
  assert.match(wasm.flagsParse('--bundle'), /^ERROR: create: flag needs a value: --bundle/);
  assert.match(wasm.flagsParse('--detach=maybe\nid'), /invalid boolean value/);
});

test.run();
