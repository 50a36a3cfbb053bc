// Unit tests of linux.intelRdt (src/resctrl/schema.ts): validation with JSON paths, the
// schema line syntax, where the group and the monitoring group go, finding the resctrl mount
// in mountinfo, and comparing a group made beforehand with what the config asks. The file
// work (resctrl/manager.ts) needs RDT hardware, which this host lacks (see docs/gaps.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasm } from './wasm.mjs';
import { baseConfig } from '../lib/bundle.mjs';

const parsed = (rdt) => { const c = baseConfig(); c.linux.intelRdt = rdt; return wasm.rdtParsed(JSON.stringify(c)); };

test('linux.intelRdt parses; lines in the order the spec writes them (L3, MB, schemata)', () => {
  assert.is(parsed({ closID: 'gold', l3CacheSchema: 'L3:0=7f0;1=1f', memBwSchema: 'MB:0=20;1=70', schemata: ['L2:0=f;1=f'], enableMonitoring: true }),
    'gold|L3:0=7f0;1=1f;;MB:0=20;1=70;;L2:0=f;1=f|mon');
  assert.is(parsed({}), '||');
  assert.is(parsed({ closID: '/' }), '/||');
  assert.is(parsed({ schemata: ['L3CODE:0=ff', 'L3DATA:0=f0'] }), '|L3CODE:0=ff;;L3DATA:0=f0|');
  assert.is(parsed(null), 'none');
});

test('linux.intelRdt: bad values are named by their JSON path', () => {
  const bad = (rdt, re) => { const m = parsed(rdt); assert.match(m, re, m); assert.not.match(m, /\n/); };
  bad({ closID: '..' }, /linux\.intelRdt\.closID: "\.\." is not a group name/);
  bad({ closID: 'a/b' }, /linux\.intelRdt\.closID: "a\/b" must be one directory name/);
  bad({ closID: 7 }, /linux\.intelRdt\.closID: must be a string/);
  bad({ l3CacheSchema: 'MB:0=20' }, /linux\.intelRdt\.l3CacheSchema: must be an L3 schema/);
  bad({ l3CacheSchema: 'L3:0=xyz' }, /linux\.intelRdt\.l3CacheSchema: "L3:0=xyz": "0=xyz" must be <domain id>=<hex bitmask>/);
  bad({ memBwSchema: 'L3:0=f' }, /linux\.intelRdt\.memBwSchema: must start with "MB:"/);
  bad({ memBwSchema: 'MB:0=ff' }, /linux\.intelRdt\.memBwSchema: .*must be <domain id>=<decimal value>/);
  bad({ memBwSchema: 'MB:0=20\nL3:0=f' }, /linux\.intelRdt\.memBwSchema: must not contain a newline/);
  bad({ schemata: ['L3:0=f', ''] }, /linux\.intelRdt\.schemata\[1\]: must not be empty/);
  bad({ schemata: ['0=f'] }, /linux\.intelRdt\.schemata\[0\]: "0=f" must be RESOURCE:ID=VALUE/);
  bad({ schemata: ['L 3:0=f'] }, /invalid resource name "L 3"/);
  bad({ schemata: 'L3:0=f' }, /linux\.intelRdt\.schemata: must be an array/);
  bad({ enableMonitoring: 'yes' }, /linux\.intelRdt\.enableMonitoring: must be a boolean/);
  bad([], /linux\.intelRdt: must be an object/);
});

test('schema lines: the resctrl syntax (spaces as the kernel prints them are fine)', () => {
  for (const ok of ['L3:0=ff', 'L3:0=7f0;1=1f', 'MB:0=20;1=70', 'L2:0=f;1=f;2=f;3=f', '    MB:0= 20;1= 70', 'L3CODE:0=fffff', 'SMBA:0=2048', 'L3:0=f;'])
    assert.is(wasm.rdtLine(ok), '', ok);
  for (const bad of ['', 'L3', 'L3:', 'L3:0', 'L3:=f', 'L3:a=f', 'L3:;', 'L3:0=f;;1=f', 'MB:0=1a', 'L3:0=12345678901234567', ':0=f'])
    assert.is.not(wasm.rdtLine(bad), '', JSON.stringify(bad));
});

test('where the groups go: root/<closID>, root/<id> without one, the root for "/"; mon_groups/<id>', () => {
  assert.is(wasm.rdtGroupDir('/sys/fs/resctrl', 'gold', 'c1'), '/sys/fs/resctrl/gold');
  assert.is(wasm.rdtGroupDir('/sys/fs/resctrl', '', 'c1'), '/sys/fs/resctrl/c1');
  assert.is(wasm.rdtGroupDir('/mnt/rdt', '/', 'c1'), '/mnt/rdt');
  assert.is(wasm.rdtMonDir('/sys/fs/resctrl/gold', 'c1'), '/sys/fs/resctrl/gold/mon_groups/c1');
});

test('the resctrl mount is found by filesystem type in mountinfo, wherever it is mounted', () => {
  const mi = [
    '22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
    '40 22 0:35 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
    '88 22 0:40 / /mnt/my\\040rdt rw,relatime shared:40 master:3 - resctrl resctrl rw,mba_MBps',
    '89 22 0:41 / /sys/fs/resctrl rw,relatime - resctrl resctrl rw',
  ].join('\n');
  assert.is(wasm.rdtMount(mi), '/mnt/my rdt', 'first one, \\040 unescaped, optional fields skipped');
  assert.is(wasm.rdtMount(mi.split('\n').slice(0, 2).join('\n')), '');
  assert.is(wasm.rdtMount('1 2 3:4 / /x rw - resctrlfs none rw\n'), '', 'the type must be exactly resctrl');
  assert.is(wasm.rdtMount(''), '');
});

test('a group made beforehand must already have the schemata asked for (kernel formatting aside)', () => {
  const cur = '    L3:0=007f0;1=0001f\n    MB:0= 20;1= 70\n';
  assert.is(wasm.rdtMismatch('L3:0=7f0;1=1f\nMB:0=20;1=70', cur), '');
  assert.is(wasm.rdtMismatch('L3:1=1F', cur), '', 'a subset of domains; hex case');
  assert.is(wasm.rdtMismatch('MB:0=30', cur), 'MB:0=30');
  assert.is(wasm.rdtMismatch('L3:0=7f0;2=f', cur), 'L3:0=7f0;2=f', 'a domain the group lacks');
  assert.is(wasm.rdtMismatch('L2:0=f', cur), 'L2:0=f', 'a resource the group lacks');
  assert.is(wasm.rdtMismatch('MB:0=2', cur), 'MB:0=2', 'decimal for MB: 2 is not 20');
});

test.run();
