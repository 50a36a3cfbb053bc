// Unit tests of the systemd driver's pure parts: cgroupsPath "slice:prefix:name" -> unit,
// slice and cgroup path (src/systemd/unit.ts), and the D-Bus wire format (src/systemd/wire.ts,
// message.ts): a method call checked byte by byte with an independent decoder here, replies
// parsed, and truncated or garbled input never trapping. test/e2e/systemd.test.mjs drives a
// real systemd with them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasm } from './wasm.mjs';

test('cgroupsPath -> unit, slice, cgroup path (runc\'s rules)', () => {
  assert.is(wasm.sdUnit('', 'abc'), 'tsrun-abc.scope|system.slice|/system.slice/tsrun-abc.scope', 'default :tsrun:ID');
  assert.is(wasm.sdUnit('system.slice:docker:abc', 'x'), 'docker-abc.scope|system.slice|/system.slice/docker-abc.scope');
  assert.is(wasm.sdUnit(':p:n', 'x'), 'p-n.scope|system.slice|/system.slice/p-n.scope');
  assert.is(wasm.sdUnit('machine-app.slice:p:n', 'x'), 'p-n.scope|machine-app.slice|/machine.slice/machine-app.slice/p-n.scope');
  assert.is(wasm.sdUnit('-.slice:p:n', 'x'), 'p-n.scope|-.slice|/p-n.scope', 'the root slice');
  assert.is(wasm.sdUnit('system.slice::n', 'x'), 'n.scope|system.slice|/system.slice/n.scope', 'no prefix');
  assert.is(wasm.sdUnit('system.slice:p:a-b.slice', 'x'), 'a-b.slice|system.slice|/a.slice/a-b.slice', 'a slice unit');
  const bad = [
    ['/abs/path', /linux\.cgroupsPath "\/abs\/path": with --systemd-cgroup must be "slice:prefix:name"/],
    ['a:b', /must be "slice:prefix:name"/],
    ['a:b:c:d', /must be "slice:prefix:name"/],
    ['system.slice:p:', /must be "slice:prefix:name"/],
    ['notaslice:p:n', /"notaslice": is not a valid systemd slice name/],
    ['a--b.slice:p:n', /"a--b\.slice": is not a valid systemd slice name/],
    ['-a.slice:p:n', /is not a valid systemd slice name/],
    ['a-.slice:p:n', /is not a valid systemd slice name/],
    ['a/b.slice:p:n', /is not a valid systemd slice name/],
    ['system.slice:p:bad/name', /gives the unit name "p-bad\/name\.scope", which systemd does not accept/],
    ['system.slice:p:sp ace', /which systemd does not accept/],
    ['system.slice:p:-.slice', /cannot name the root slice/],
    ['system.slice:p:x--y.slice', /"x--y\.slice": is not a valid systemd slice name/],
  ];
  for (const [path, re] of bad) assert.match(wasm.sdUnit(path, 'x'), re, path);
  assert.match(wasm.sdUnit(`system.slice:p:${'n'.repeat(300)}`, 'x'), /which systemd does not accept/, 'over 255 bytes');
});

// An independent reader of a little-endian D-Bus header (D-Bus specification, "Message Format").
function decodeHeader(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = { endian: String.fromCharCode(buf[0]), type: buf[1], flags: buf[2], version: buf[3],
    bodyLen: dv.getUint32(4, true), serial: dv.getUint32(8, true), fields: {} };
  const fieldsLen = dv.getUint32(12, true);
  let p = 16;
  const end = 16 + fieldsLen;
  const align = (a) => { p = (p + a - 1) & ~(a - 1); };
  const str = () => { align(4); const n = dv.getUint32(p, true); p += 4; const s = Buffer.from(buf.subarray(p, p + n)).toString(); assert.is(buf[p + n], 0, 'NUL'); p += n + 1; return s; };
  while (p < end) {
    align(8);
    const code = buf[p++];
    const sl = buf[p++];
    const sig = Buffer.from(buf.subarray(p, p + sl)).toString();
    p += sl + 1;
    if (sig === 'g') { const n = buf[p++]; out.fields[code] = Buffer.from(buf.subarray(p, p + n)).toString(); p += n + 1; } else if (sig === 'u') { align(4); out.fields[code] = dv.getUint32(p, true); p += 4; } else out.fields[code] = str();
  }
  assert.is(p, end, 'the fields array length covers exactly the fields');
  p = (end + 7) & ~7;
  out.bodyStart = p;
  assert.is(buf.length, p + out.bodyLen, 'header + padding + body is the whole message');
  const body = [];
  while (p < buf.length) body.push(str());
  out.body = body;
  return out;
}

test('a method call, byte by byte (StopUnit)', () => {
  const m = new Uint8Array(wasm.sdStopUnitCall('tsrun-x.scope'));
  const h = decodeHeader(m);
  assert.equal([h.endian, h.type, h.flags, h.version, h.serial], ['l', 1, 0, 1, 7]);
  assert.equal(h.fields, {
    1: '/org/freedesktop/systemd1', 2: 'org.freedesktop.systemd1.Manager', 3: 'StopUnit',
    6: 'org.freedesktop.systemd1', 8: 'ss',
  });
  assert.equal(h.body, ['tsrun-x.scope', 'replace']);
  assert.is(h.bodyStart % 8, 0, 'the body starts 8-aligned');
  // the reader used for replies reads it back
  assert.is(wasm.sdParse(m.slice().buffer), '1|7|0|/org/freedesktop/systemd1|org.freedesktop.systemd1.Manager|StopUnit||ss|tsrun-x.scope,replace');
});

// A reply as systemd sends it: built here by hand.
function message(type, serial, fields, body) {
  const parts = [];
  let len = 0;
  const push = (b) => { parts.push(b); len += b.length; };
  const pad = (a) => { const n = (a - (len % a)) % a; if (n) push(new Uint8Array(n)); };
  const u32 = (v) => { pad(4); const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); push(b); };
  const str = (s) => { u32(Buffer.byteLength(s)); push(new Uint8Array([...Buffer.from(s), 0])); };
  const bodyBytes = [];
  { // body: strings only
    let bl = 0;
    for (const s of body) { const padN = (4 - (bl % 4)) % 4; bodyBytes.push(new Uint8Array(padN)); bl += padN; const b = Buffer.from(s); const hdr = new Uint8Array(4); new DataView(hdr.buffer).setUint32(0, b.length, true); bodyBytes.push(hdr, new Uint8Array([...b, 0])); bl += 4 + b.length + 1; }
  }
  const bodyLen = bodyBytes.reduce((n, b) => n + b.length, 0);
  push(new Uint8Array([0x6c, type, 1, 1]));
  u32(bodyLen);
  u32(serial);
  const at = len;
  u32(0);
  const start = len;
  for (const [code, sig, v] of fields) {
    pad(8);
    push(new Uint8Array([code, 1, sig.charCodeAt(0), 0]));
    if (sig === 'u') u32(v);
    else if (sig === 'g') push(new Uint8Array([v.length, ...Buffer.from(v), 0]));
    else str(v);
  }
  const fieldsLen = len - start;
  pad(8);
  for (const b of bodyBytes) push(b);
  const out = new Uint8Array(len);
  let p = 0;
  for (const b of parts) { out.set(b, p); p += b.length; }
  new DataView(out.buffer).setUint32(at, fieldsLen, true);
  return out;
}

test('replies: a job path, an error with its name and message', () => {
  const ret = message(2, 9, [[5, 'u', 3], [7, 's', 'org.freedesktop.systemd1'], [8, 'g', 'o']], ['/org/freedesktop/systemd1/job/42']);
  assert.is(wasm.sdParse(ret.slice().buffer), '2|9|3|||||o|/org/freedesktop/systemd1/job/42');
  const e = message(3, 10, [[4, 's', 'org.freedesktop.systemd1.NoSuchUnit'], [5, 'u', 4], [8, 'g', 's']], ['Unit x.scope not loaded.']);
  assert.is(wasm.sdParse(e.slice().buffer), '3|10|4||||org.freedesktop.systemd1.NoSuchUnit|s|Unit x.scope not loaded.');
  const sig = message(4, 11, [[1, 'o', '/org/freedesktop/systemd1'], [2, 's', 'org.freedesktop.systemd1.Manager'], [3, 's', 'JobRemoved'], [8, 'g', 'uoss']], []);
  assert.match(wasm.sdParse(sig.slice().buffer), /^4\|11\|0\|\/org\/freedesktop\/systemd1\|org\.freedesktop\.systemd1\.Manager\|JobRemoved\|\|uoss\|/);
});

test('truncated, garbled or hostile messages never trap', () => {
  const good = message(3, 10, [[4, 's', 'org.freedesktop.DBus.Error.Failed'], [5, 'u', 4], [8, 'g', 's']], ['boom']);
  for (let n = 0; n < good.length; n++) {
    const r = wasm.sdParse(good.slice(0, n).buffer);
    assert.ok(/^incomplete:|^malformed$|\(bad\)$/.test(r), `${n} bytes: ${r}`);
  }
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  for (let i = 0; i < 3000; i++) {
    const m = good.slice();
    for (let k = 0; k < 1 + (i % 4); k++) m[rnd() % m.length] = rnd() & 0xff;
    wasm.sdParse(m.buffer);   // any answer, but no trap (a trap throws here)
  }
  const big = good.slice();
  new DataView(big.buffer).setUint32(4, 0xfffffff0, true);
  assert.is(wasm.sdParse(big.buffer), 'incomplete:-1', 'an absurd body length is refused');
  const be = good.slice();
  be[0] = 0x42;
  assert.is(wasm.sdParse(be.buffer), 'incomplete:-1', 'big-endian is refused');
});

test.run();
