// Unit tests of the strict JSON reader (src/json/reader.ts) and writer (src/json/writer.ts),
// compiled to Wasm (test/unit/build.sh) and called from Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasm, hostCalls } from './wasm.mjs';

const { jsonCheck, jsonCheckBytes, jsonRoundTrip, jsonRoundTripBytes, jsonPretty } = wasm;

const POS = /\b(\d+):(\d+)\b/;
const bytes = (arr) => new Uint8Array(arr).buffer;
const utf8 = (s) => new TextEncoder().encode(s);
const concat = (...parts) => {
  const all = parts.map((p) => (typeof p === 'string' ? utf8(p) : new Uint8Array(p)));
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) { out.set(p, at); at += p.length; }
  return out.buffer;
};

// Calls fn and turns a Wasm trap (RuntimeError) or an abort into a test failure with context.
function safe(what, fn) {
  try {
    return fn();
  } catch (e) {
    assert.unreachable(`${what}: trapped/threw instead of returning an error: ${e && e.message}`);
  }
}

// Asserts that input is rejected with a one-line message carrying line:column.
function rejects(input, { at, match } = {}) {
  const label = typeof input === 'string' ? JSON.stringify(input.slice(0, 60)) : `bytes ${input.byteLength}`;
  const msg = safe(label, () => (typeof input === 'string' ? jsonCheck(input) : jsonCheckBytes(input)));
  assert.is.not(msg, 'ok', `${label} should be rejected`);
  assert.not.ok(msg.includes('\n'), `one-line message expected, got ${JSON.stringify(msg)}`);
  const m = POS.exec(msg);
  assert.ok(m, `message should contain line:column: ${msg}`);
  if (at) assert.is(`${m[1]}:${m[2]}`, at, `position for ${label}: ${msg}`);
  if (match) assert.match(msg, match);
  assert.match(msg, /test\.json/, `message should name the input: ${msg}`);
  const rt = safe(label, () => (typeof input === 'string' ? jsonRoundTrip(input) : jsonRoundTripBytes(input)));
  assert.ok(rt.startsWith('ERROR: '), `round trip of rejected input must fail: ${rt.slice(0, 80)}`);
  return msg;
}

function roundTrips(text, { exact = true } = {}) {
  const out = safe(text.slice(0, 60), () => jsonRoundTrip(text));
  assert.not.ok(out.startsWith('ERROR: '), `${JSON.stringify(text.slice(0, 60))} rejected: ${out}`);
  assert.equal(JSON.parse(out), JSON.parse(text), `round trip of ${text.slice(0, 60)}`);
  if (exact) assert.is(out, JSON.stringify(JSON.parse(text)));
  return out;
}

test.after(() => {
  // membase is read once when the module starts (the syscall layer's base address); the
  // JSON code itself must make no syscall.
  assert.equal(hostCalls.filter((c) => c.name !== 'membase'), [], 'the pure JSON code made host calls');
});

test('valid documents round-trip', () => {
  const docs = [
    '{}', '[]', '""', '0', '-1', '1.5', 'true', 'false', 'null', '"x"',
    '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
    '[[[[[]]]],{},[{}],""]',
    '{"":""}',
    '["\\"","\\\\","\\n","\\r","\\t","\\u0000","\\u001f"]',
    '"é中😀"',
    '{"ociVersion":"1.0.2-dev","process":{"args":["sh","-c","echo hi"],"cwd":"/"}}',
  ];
  for (const d of docs) roundTrips(d);
});

test('whitespace, escapes and number forms are accepted', () => {
  roundTrips(' \t\r\n{ "a" : [ 1 , 2 ] ,\n"b":{ } } \n ');
  roundTrips('"\\/\\b\\f\\u00e9\\u4E2D\\ud83d\\ude00"', { exact: false });
  roundTrips('[-0, 0.5, 1e10, 1E+2, 2e-3, -1.25E-7, 10.0]', { exact: false });
});

test('numbers keep their exact source text', () => {
  assert.is(jsonRoundTrip('18446744073709551615'), '18446744073709551615');
  assert.is(jsonRoundTrip('[-0,1.0,1e2,-9223372036854775808]'), '[-0,1.0,1e2,-9223372036854775808]');
  assert.is(jsonRoundTrip('123456789012345678901234567890.5e-300'), '123456789012345678901234567890.5e-300');
});

test('a full runc-style config.json round-trips, compact and pretty', async () => {
  const { baseConfig } = await import('../lib/bundle.mjs');
  const cfg = baseConfig();
  cfg.annotations = { 'org.example/key': 'välue "quoted"\n', empty: '' };
  cfg.linux.sysctl = {};
  const tabbed = JSON.stringify(cfg, null, '\t');
  assert.is(jsonRoundTrip(tabbed), JSON.stringify(cfg));
  assert.is(jsonPretty(tabbed, 2), JSON.stringify(cfg, null, 2));
});

test('invalid UTF-8 passed as bytes is accepted only when well formed', () => {
  assert.is(jsonCheckBytes(concat('"', [0xc3, 0xa9], '"')), 'ok');          // é
  assert.is(jsonCheckBytes(concat('"', [0xf0, 0x9f, 0x98, 0x80], '"')), 'ok'); // 😀
  assert.is(jsonRoundTripBytes(concat('["', [0xe4, 0xb8, 0xad], '"]')), '["中"]');
  const bad = [
    [0xff], [0x80], [0xc0, 0x80] /* overlong NUL */, [0xc1, 0xbf], [0xe0, 0x80, 0x80] /* overlong */,
    [0xed, 0xa0, 0x80] /* UTF-8 encoded surrogate */, [0xf4, 0x90, 0x80, 0x80] /* > U+10FFFF */,
    [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82] /* truncated */, [0xc3, 0x28], [0xf0, 0x9f, 0x98],
  ];
  for (const b of bad) rejects(concat('"a', b, 'b"'), { at: '1:3', match: /UTF-8/ });
  // truncated multibyte sequence at the very end of the input
  rejects(concat('"', [0xe2, 0x82]));
  // invalid bytes outside strings
  rejects(concat('[', [0xff], ']'), { at: '1:2' });
  rejects(concat([0xef, 0xbb, 0xbf], '{}')); // a BOM is not JSON
});

test('trailing commas and structural errors', () => {
  rejects('{"a":1,}', { at: '1:8' });
  rejects('[1,2,]', { at: '1:6' });
  rejects('[1 2]', { at: '1:4' });
  rejects('{"a" 1}', { at: '1:6' });
  rejects('{a:1}', { at: '1:2' });
  rejects("{'a':1}", { at: '1:2' });
  rejects('{"a":1}}', { at: '1:8' });
  rejects('[', { at: '1:2' });
  rejects('{', { at: '1:2' });
  rejects('{"a":', { at: '1:6' });
  rejects('', { at: '1:1' });
  rejects('   ', { at: '1:4' });
  rejects('{} {}', { at: '1:4' });
  rejects('\n\n  {"a": [1, 2,,]}', { at: '3:15' });
  rejects('{\n  "a": 1,\n  "b": tru\n}', { at: '3:8' });
});

test('bad literals and numbers (leading zeros etc.)', () => {
  for (const s of ['tru', 'nul', 'fals', 'True', 'NULL', 'NaN', 'Infinity', '-Infinity', 'undefined']) rejects(s);
  for (const s of ['01', '-01', '00', '[00]', '+1', '.5', '1.', '1.e5', '1e', '1e+', '-', '--1', '0x10', '1_000', '[1.]']) rejects(s);
  rejects('01', { at: '1:2' });
  rejects('[1.]', { at: '1:4' });
});

test('bad escapes and unpaired surrogates', () => {
  rejects('"\\x"', { at: '1:3', match: /escape/ });
  rejects('"\\u12"', { match: /escape/ });
  rejects('"\\u12G4"', { match: /escape/ });
  rejects('"\\U0041"', { match: /escape/ });
  rejects('"\\', {});
  rejects('"\\ud800"', { match: /surrogate/ });
  rejects('"\\udc00"', { match: /surrogate/ });
  rejects('"\\ud800\\u0041"', { match: /surrogate/ });
  rejects('"\\ud800x"', { match: /surrogate/ });
  rejects('"\\ud800\\ud800"', { match: /surrogate/ });
  rejects('"\\udfff\\ud800"', { match: /surrogate/ });
});

test('control characters in strings', () => {
  for (const c of [0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f]) {
    rejects(concat('"a', [c], '"'), { match: /control/ });
  }
  rejects('{"k\tey":1}', { at: '1:4' });
  assert.is(jsonCheck('"\x7f"'), 'ok'); // DEL is not a control character for JSON
});

test('duplicate keys are rejected, at the second key', () => {
  rejects('{"a":1,"a":2}', { at: '1:8', match: /duplicate/ });
  rejects('{"x":{"a":1,"b":2,"a":3}}', { at: '1:19', match: /duplicate/ });
  assert.is(jsonCheck('[{"a":1},{"a":2}]'), 'ok');
  assert.is(jsonCheck('{"a":1,"A":2,"a ":3}'), 'ok');
  // the same key spelled with an escape is still the same key
  rejects('{"a":1,"\\u0061":2}', { match: /duplicate/ });
});

test('deep nesting is refused without overflowing the stack', () => {
  const n = 10000;
  rejects('['.repeat(n) + ']'.repeat(n), { match: /nest/ });
  rejects('{"a":'.repeat(n) + '1' + '}'.repeat(n), { match: /nest/ });
  rejects('['.repeat(n), { match: /nest/ });
  rejects('['.repeat(1_000_000));
  // moderate nesting is fine
  roundTrips('['.repeat(100) + ']'.repeat(100));
});

test('huge strings, arrays and objects', () => {
  const big = 'a'.repeat(8 * 1024 * 1024);
  const out = jsonRoundTrip(`["${big}"]`);
  assert.is(out.length, big.length + 4);
  const uni = '中'.repeat(1024 * 1024);
  assert.is(jsonRoundTrip(`"${uni}"`), `"${uni}"`);
  rejects('"' + 'b'.repeat(4 * 1024 * 1024), { match: /unterminated/ }); // never closed
  const arr = '[' + Array.from({ length: 100000 }, (_, i) => i).join(',') + ']';
  roundTrips(arr);
  const obj = {};
  for (let i = 0; i < 2000; i++) obj['k' + i] = i;
  roundTrips(JSON.stringify(obj));
});

// --- property tests with a seeded PRNG: generated values always round-trip; mutated text never traps
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}
const ALPHABET = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '中', '😀', '\u2028', '\u007f', '0'];
function genString(r) {
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}
function genValue(r, depth) {
  const k = Math.floor(r() * (depth > 4 ? 5 : 7));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor((r() - 0.5) * 1e6);
    case 3: return (r() - 0.5) * 1e3;
    case 4: return genString(r);
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => genValue(r, depth + 1));
    default: {
      const o = {};
      const n = Math.floor(r() * 4);
      for (let i = 0; i < n; i++) o[genString(r) + i] = genValue(r, depth + 1);
      return o;
    }
  }
}

test('generated documents round-trip (property)', () => {
  const r = prng(12345);
  for (let i = 0; i < 1500; i++) {
    const v = genValue(r, 0);
    const text = JSON.stringify(v, null, i % 3 === 0 ? 1 : undefined);
    const out = safe(text, () => jsonRoundTrip(text));
    assert.not.ok(out.startsWith('ERROR: '), `${text}: ${out}`);
    assert.equal(JSON.parse(out), v, text);
  }
});

test('mutated documents never trap; accepted ones agree with JSON.parse (property)', () => {
  const r = prng(777);
  const pieces = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', 'd800', '0', '-', '.', 'e', ' ', 'x', 'true', '\\u'];
  for (let i = 0; i < 3000; i++) {
    const base = JSON.stringify(genValue(r, 0));
    let text = base;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (text.length + 1));
      const op = r();
      if (op < 0.4) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + text.slice(at);
    }
    const out = safe(text, () => jsonRoundTrip(text));
    if (out.startsWith('ERROR: ')) {
      assert.match(out, POS, `${text}: ${out}`);
    } else {
      let expected;
      try { expected = JSON.parse(text); } catch (e) {
        assert.unreachable(`accepted text that JSON.parse rejects: ${JSON.stringify(text)}`);
      }
      assert.equal(JSON.parse(out), expected, text);
    }
  }
});

test('random bytes never trap', () => {
  const r = prng(4242);
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(r() * 40);
    const b = new Uint8Array(n);
    for (let j = 0; j < n; j++) b[j] = r() < 0.7 ? '{}[]",:0123 \\tnul-e.'.charCodeAt(Math.floor(r() * 20)) : Math.floor(r() * 256);
    const msg = safe(`bytes ${Array.from(b)}`, () => jsonCheckBytes(b.buffer));
    if (msg !== 'ok') assert.match(msg, POS);
  }
});

test.run();
