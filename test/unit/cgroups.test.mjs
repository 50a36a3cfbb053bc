// Unit tests of the cgroup value conversions (src/cgroups/v2.ts: shares->weight, blkio->io
// weight, cpu.max, memory.swap.max), the resources parser's v1 files and their v2 forms
// (what this hybrid host cannot show end to end: memory/cpu/pids/io are v1 controllers here),
// and the eBPF device filter (src/cgroups/devfilter.ts), run by a small interpreter below.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasm } from './wasm.mjs';
import { baseConfig } from '../lib/bundle.mjs';

const forms = (resources) => {
  const c = baseConfig();
  c.linux.resources = resources;
  return JSON.parse(wasm.cgroupForms(JSON.stringify(c)));
};

test('cpu.shares -> cpu.weight and blkio weight -> io.weight (runc/crun linear mapping)', () => {
  assert.is(wasm.cgSharesToWeight(2n), 1n);
  assert.is(wasm.cgSharesToWeight(1024n), 39n, 'Docker default 1024 -> 39, as runc');
  assert.is(wasm.cgSharesToWeight(262144n), 10000n);
  assert.is(wasm.cgBlkioToIoWeight(10n), 1n);
  assert.is(wasm.cgBlkioToIoWeight(500n), 4950n);
  assert.is(wasm.cgBlkioToIoWeight(1000n), 10000n);
});

test('cpu.max and memory.swap.max formatting', () => {
  assert.is(wasm.cgCpuMax('50000', '100000'), '50000 100000');
  assert.is(wasm.cgCpuMax('-1', '100000'), 'max 100000');
  assert.is(wasm.cgCpuMax('20000', ''), '20000', 'quota alone keeps the period');
  assert.is(wasm.cgCpuMax('', '50000'), 'keep 50000', 'period alone keeps the quota');
  assert.is(wasm.cgSwapMax('-1', '100'), 'max');
  assert.is(wasm.cgSwapMax('300', '100'), '200', 'swap.max = memory+swap - memory');
  assert.match(wasm.cgSwapMax('300', ''), /^ERROR: .*needs memory\.limit/);
  assert.match(wasm.cgSwapMax('50', '100'), /^ERROR: must be at least memory\.limit/);
  assert.match(wasm.cgSwapMax('300', '-1'), /^ERROR: /);
});

test('cpuset lists', () => {
  for (const s of ['0', '0-3', '0,2,4-7', '12']) assert.ok(wasm.cgCpuList(s), s);
  for (const s of ['', 'abc', '1-', '-1', '3-1', '0,,1', '1-2-3', '0x1']) assert.not.ok(wasm.cgCpuList(s), s);
});

test('every linux.resources field -> v1 files and v2 files', () => {
  const f = forms({
    memory: { limit: 1048576, reservation: 524288, swap: 2097152, swappiness: 0 },
    cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, idle: 1, cpus: '0-1', mems: '0' },
    pids: { limit: 7 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    rdma: { mlx5_0: { hcaHandles: 3 } },
    unified: { 'memory.high': '900000' },
  });
  assert.equal(f.v1, [
    'memory.limit_in_bytes=1048576', 'memory.soft_limit_in_bytes=524288', 'memory.memsw.limit_in_bytes=2097152', 'memory.swappiness=0',
    'cpu.shares=1024', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=50000', 'cpu.cfs_burst_us=1000', 'cpu.idle=1',
    'cpuset.cpus=0-1', 'cpuset.mems=0', 'pids.max=7',
    'blkio.weight=500 | blkio.bfq.weight=500', 'blkio.throttle.read_bps_device=8:0 1000', 'blkio.throttle.write_iops_device=8:0 0',
    'hugetlb.2MB.limit_in_bytes=4194304', 'rdma.max=mlx5_0 hca_handle=3 hca_object=max', 'memory.high=900000',
  ]);
  // swappiness has no v2 file: the mapping stops there with the field named.
  assert.match(f.v2error, /^linux\.resources\.memory\.swappiness: has no cgroup v2 equivalent/);
  const g = forms({
    memory: { limit: 1048576, reservation: 524288, swap: 2097152 },
    cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, idle: 1, cpus: '0-1', mems: '0' },
    pids: { limit: -1 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    unified: { 'memory.high': '900000' },
  });
  assert.is(g.v2error, '');
  assert.equal(g.v2, [
    'memory.max=1048576', 'memory.low=524288', 'memory.swap.max=1048576',
    'cpu.weight=39', 'cpu.max=50000 100000', 'cpu.max.burst=1000', 'cpu.idle=1', 'cpuset.cpus=0-1', 'cpuset.mems=0', 'pids.max=max',
    'io.bfq.weight=500 | io.weight=default 4950', 'io.max=8:0 rbps=1000', 'io.max=8:0 wiops=max',
    'hugetlb.2MB.max=4194304', 'memory.high=900000',
  ]);
  for (const [res, field] of [
    [{ memory: { kernelTCP: 1048576 } }, /memory\.kernelTCP: has no cgroup v2/],
    [{ memory: { disableOOMKiller: true } }, /memory\.disableOOMKiller: has no cgroup v2/],
    [{ cpu: { realtimeRuntime: 1000 } }, /cpu\.realtimeRuntime: has no cgroup v2/],
    [{ network: { classID: 1 } }, /network\.classID: has no cgroup v2/],
    [{ blockIO: { leafWeight: 100 } }, /blockIO\.leafWeight: has no cgroup v2/],
  ]) assert.match(forms(res).v2error, field);
});

test('Docker-style zeros ask for nothing; bad values name the field', () => {
  const z = forms({ memory: { limit: 0, reservation: 0, swap: 0, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0, cpus: '', mems: '' }, pids: { limit: 0 }, blockIO: { weight: 0, weightDevice: [] }, network: null });
  assert.equal(z.v1, []);
  const bad = (resources, re) => {
    const c = baseConfig();
    c.linux.resources = resources;
    const msg = wasm.configCheck(JSON.stringify(c));
    assert.match(msg, re, JSON.stringify(resources));
    assert.not.match(msg, /\n/);
  };
  bad({ memory: { limit: -2 } }, /linux\.resources\.memory\.limit: is out of range: -2/);
  bad({ memory: { limit: '1g' } }, /linux\.resources\.memory\.limit: must be a number/);
  bad({ memory: { limit: 1e30 } }, /linux\.resources\.memory\.limit: /);
  bad({ memory: { swappiness: 101 } }, /memory\.swappiness: must be within 0\.\.100/);
  bad({ memory: { useHierarchy: false } }, /memory\.useHierarchy: false is not possible/);
  bad({ cpu: { cpus: 'abc' } }, /linux\.resources\.cpu\.cpus: "abc" is not a cpu list/);
  bad({ cpu: { shares: 1 } }, /cpu\.shares: must be at least 2/);
  bad({ cpu: { shares: 300000 } }, /cpu\.shares: is out of range/);
  bad({ cpu: { quota: 10 } }, /cpu\.quota: must be -1 or at least 1000/);
  bad({ cpu: { period: 5000000 } }, /cpu\.period: is out of range/);
  bad({ cpu: { idle: 2 } }, /cpu\.idle: is out of range/);
  bad({ pids: { limit: -5 } }, /pids\.limit: is out of range/);
  bad({ blockIO: { weight: 5 } }, /blockIO\.weight: must be within 10\.\.1000/);
  bad({ blockIO: { throttleReadBpsDevice: [{ major: 8, rate: 1 }] } }, /throttleReadBpsDevice\[0\]: needs major and minor/);
  bad({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, /hugepageLimits\[0\]\.pageSize: "2M" is not a page size/);
  bad({ unified: { 'memory.max': 5 } }, /unified\.memory\.max: must be a string/);
  bad({ unified: { '../x': '1' } }, /unified\.\.\.\/x: is not a cgroup v2 file name/);
  bad({ unified: { 'cgroup.procs': '1' } }, /unified\.cgroup\.procs: is managed by the runtime/);
  bad({ network: { priorities: [{ name: 'a b', priority: 1 }] } }, /priorities\[0\]\.name: is not an interface name/);
});

// ---- the device filter ----
// A tiny interpreter for the instructions the emitter uses (ldxw, alu32 and/rsh/mov, jne imm, exit).
function runProgram(hex, { type, major, minor, access }) {
  const b = Buffer.from(hex, 'hex');
  const r = new Array(11).fill(0);
  const ctx = [(access << 16) | type, major, minor];
  let pc = 0;
  for (let steps = 0; steps < 10000; steps++) {
    const code = b[pc * 8], dst = b[pc * 8 + 1] & 0xf, src = b[pc * 8 + 1] >> 4;
    const off = b.readInt16LE(pc * 8 + 2), imm = b.readInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x61: r[dst] = ctx[off / 4] >>> 0; break;
      case 0x54: r[dst] = (r[dst] & imm) >>> 0; break;
      case 0x74: r[dst] = r[dst] >>> imm; break;
      case 0xbc: r[dst] = r[src] >>> 0; break;
      case 0xb4: r[dst] = imm >>> 0; break;
      case 0x55: if (r[dst] !== (imm >>> 0)) pc += off; break;
      case 0x95: return r[0];
      default: throw new Error(`unknown opcode ${code.toString(16)}`);
    }
    if (pc * 8 >= b.length) throw new Error('ran off the end');
  }
  throw new Error('no exit');
}
const CHAR = 2, BLOCK = 1, M = 1, R = 2, W = 4;

test('device filter: runc default rules, last rule wins, no match denies', () => {
  const defaults = 'allow c -1 -1 m;allow b -1 -1 m;allow c 1 3 rwm;allow c 1 8 rwm;allow c 1 7 rwm;allow c 5 0 rwm;allow c 1 5 rwm;allow c 1 9 rwm;allow c 136 -1 rwm;allow c 5 2 rwm;allow c 10 200 rwm';
  const hex = wasm.cgDeviceProgram('deny a -1 -1 rwm;' + defaults);
  const can = (type, major, minor, access) => runProgram(hex, { type, major, minor, access });
  assert.is(can(CHAR, 1, 3, R | W), 1, '/dev/null rw');
  assert.is(can(CHAR, 136, 7, R | W), 1, 'a pts');
  assert.is(can(CHAR, 8, 0, M), 1, 'mknod of any char device');
  assert.is(can(BLOCK, 8, 0, M), 1, 'mknod of any block device');
  assert.is(can(BLOCK, 8, 0, R), 0, 'reading a disk');
  assert.is(can(CHAR, 1, 1, R), 0, '/dev/mem');
  assert.is(can(CHAR, 10, 229, R | W), 0, '/dev/fuse');
  const later = wasm.cgDeviceProgram('allow c 1 3 rwm;deny c 1 3 w');
  assert.is(runProgram(later, { type: CHAR, major: 1, minor: 3, access: W }), 0, 'a later deny wins');
  assert.is(runProgram(later, { type: CHAR, major: 1, minor: 3, access: R }), 1, 'read still allowed by the earlier rule');
  const all = wasm.cgDeviceProgram('allow c 1 3 r;allow a -1 -1 rwm');
  assert.is(all.length / 16, 6 + 2, 'a rule matching everything ends the program (no dead code for the verifier)');
  assert.is(runProgram(all, { type: BLOCK, major: 8, minor: 0, access: R | W }), 1);
});

test.run();
