// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.personality and
// linux.timeOffsets, observed from inside the container. runc 1.1.5 predates these fields
// (runtime-spec 1.1/1.2) and ignores them, so these checks run against tsrun only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fails, bundle, isTsrun, newId, ok, rt, runSh, setup, skipFor } from '../lib/runtime.mjs';

setup(test);

const inside = (script, mutate) => {
  const r = runSh(script, { mutate });
  ok(r, script);
  return r.stdout.trim();
};

test('linux.personality LINUX32: uname -m says i686', () => {
  if (skipFor(!isTsrun, 'runc 1.1.5 ignores linux.personality')) return;
  assert.is(inside('uname -m', (c) => { c.linux.personality = { domain: 'LINUX32' }; }), 'i686');
  assert.is(inside('uname -m', () => {}), 'x86_64');
});

test('process.ioPriority and process.scheduler (nice)', () => {
  if (skipFor(!isTsrun, 'runc 1.1.5 predates ioPriority and scheduler')) return;
  const out = inside('ionice -p $$; cut -d" " -f19 /proc/self/stat', (c) => {
    c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 5 };
    c.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
  });
  assert.match(out, /best-effort: prio 5/, out);
  assert.match(out, /\n7$/, `nice 7: ${out}`);
  const pol = inside('cut -d" " -f41 /proc/self/stat', (c) => { c.process.scheduler = { policy: 'SCHED_BATCH' }; });
  assert.is(pol, '3', 'policy SCHED_BATCH (3)');
  const b = bundle({ args: ['true'], mutate: (c) => { c.process.scheduler = { policy: 'SCHED_NOPE' }; } });
  assert.match(fails(rt(['run', '--bundle', b.dir, newId('sch')])), /process\.scheduler\.policy/);
});

test('process.execCPUAffinity: the final mask is what the process runs with', () => {
  if (skipFor(!isTsrun, 'runc 1.1.5 predates execCPUAffinity')) return;
  if (availableParallelism() < 2) return;
  const out = inside('grep Cpus_allowed_list /proc/self/status', (c) => { c.process.execCPUAffinity = { initial: '0', final: '1' }; });
  assert.match(out, /Cpus_allowed_list:\s+1$/, out);
  const b = bundle({ args: ['true'], mutate: (c) => { c.process.execCPUAffinity = { final: '1-x' }; } });
  assert.match(fails(rt(['run', '--bundle', b.dir, newId('aff')])), /execCPUAffinity\.final/);
});

test('linux.timeOffsets in a new time namespace: boottime and monotonic shifted', () => {
  if (skipFor(!isTsrun, 'runc 1.1.5 does not know the time namespace')) return;
  const hostUptime = parseFloat(readFileSync('/proc/uptime', 'utf8'));
  const out = inside('cut -d" " -f1 /proc/uptime', (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: 86400, nanosecs: 0 }, monotonic: { secs: 1000, nanosecs: 0 } };
  });
  const delta = parseFloat(out) - hostUptime;
  assert.ok(delta > 86300 && delta < 86500, `uptime shifted by ~86400s: ${delta}`);
  const b = bundle({ args: ['true'], mutate: (c) => { c.linux.timeOffsets = { boottime: { secs: 1 } }; } });
  assert.match(fails(rt(['run', '--bundle', b.dir, newId('tns')])), /timeOffsets: needs a new time namespace/);
});

test.run();
