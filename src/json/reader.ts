// A strict JSON reader (RFC 8259) for config.json, state.json and process.json.
// Hostile input is expected: nesting is bounded, strings must be valid UTF-8, every error
// names line:column, and nothing here can trap. Duplicate object keys are rejected.
import { JValue, Kind } from "./value";
import { Failure, fail } from "../errors/failure";

export const MAX_DEPTH = 200;

export class JsonResult {
  constructor(public value: JValue | null, public err: Failure | null) {}
}

class Reader {
  pos: usize = 0;
  err: string = "";
  errPos: usize = 0;
  constructor(public base: usize, public len: usize) {}

  @inline peek(): i32 { return this.pos < this.len ? <i32>load<u8>(this.base + this.pos) : -1; }

  fail(why: string): JValue | null {
    if (this.err.length == 0) { this.err = why; this.errPos = this.pos; }
    return null;
  }

  skipSpace(): void {
    while (this.pos < this.len) {
      const c = load<u8>(this.base + this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  value(depth: i32): JValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString() + " levels");
    this.skipSpace();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s == null) return null;
      const v = new JValue();
      v.kind = Kind.String;
      v.text = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) { const v = new JValue(); v.kind = Kind.Bool; v.bool = true; return v; }
    if (this.literal("false")) { const v = new JValue(); v.kind = Kind.Bool; return v; }
    if (this.literal("null")) return new JValue();
    if (c < 0) return this.fail("unexpected end of input");
    return this.fail("unexpected character " + describe(c));
  }

  literal(word: string): bool {
    const n = <usize>word.length;
    if (this.pos + n > this.len) return false;
    for (let i: usize = 0; i < n; i++) {
      if (<i32>load<u8>(this.base + this.pos + i) != word.charCodeAt(<i32>i)) return false;
    }
    this.pos += n;
    return true;
  }

  object(depth: i32): JValue | null {
    this.pos++; // {
    const v = new JValue();
    v.kind = Kind.Object;
    this.skipSpace();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail("expected a string key");
      const keyPos = this.pos;
      const key = this.string();
      if (key == null) return null;
      if (v.get(key) != null) { this.pos = keyPos; return this.fail("duplicate key \"" + key + "\""); }
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':' after key");
      this.pos++;
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; return v; }
      return this.fail("expected ',' or '}' in object");
    }
  }

  array(depth: i32): JValue | null {
    this.pos++; // [
    const v = new JValue();
    v.kind = Kind.Array;
    this.skipSpace();
    if (this.peek() == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; return v; }
      return this.fail("expected ',' or ']' in array");
    }
  }

  number(): JValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    let c = this.peek();
    if (c == 0x30) {
      this.pos++;
    } else if (c >= 0x31 && c <= 0x39) {
      while (isDigit(this.peek())) this.pos++;
    } else {
      return this.fail("invalid number");
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!isDigit(this.peek())) return this.fail("invalid number: digit expected after '.'");
      while (isDigit(this.peek())) this.pos++;
    }
    c = this.peek();
    if (c == 0x65 || c == 0x45) {
      this.pos++;
      c = this.peek();
      if (c == 0x2b || c == 0x2d) this.pos++;
      if (!isDigit(this.peek())) return this.fail("invalid number: digit expected in exponent");
      while (isDigit(this.peek())) this.pos++;
    }
    const v = new JValue();
    v.kind = Kind.Number;
    v.text = String.UTF8.decodeUnsafe(this.base + start, this.pos - start);
    return v;
  }

  // Reads a string starting at the opening quote. Validates UTF-8 and escapes.
  // A string with escapes is decoded into one buffer reused for the whole document and
  // turned into a string once: appending to a string per escape would allocate quadratically
  // (the runtime never frees), and a long string of escapes would exhaust memory.
  scratch: ArrayBuffer = new ArrayBuffer(0);

  // Room for `extra` more bytes after the first n of scratch.
  reserve(n: i32, extra: i32): void {
    const cap = this.scratch.byteLength;
    if (n + extra <= cap) return;
    let want = cap < 64 ? 64 : cap * 2;
    if (want < n + extra) want = n + extra;
    const grown = new ArrayBuffer(want);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.scratch), <usize>n);
    this.scratch = grown;
  }

  appendBytes(n: i32, src: usize, len: i32): i32 {
    this.reserve(n, len);
    memory.copy(changetype<usize>(this.scratch) + <usize>n, src, <usize>len);
    return n + len;
  }

  // Appends code point cp (a valid scalar value) as UTF-8.
  appendCodePoint(n: i32, cp: i32): i32 {
    this.reserve(n, 4);
    const p = changetype<usize>(this.scratch) + <usize>n;
    if (cp < 0x80) { store<u8>(p, cp); return n + 1; }
    if (cp < 0x800) { store<u8>(p, 0xc0 | (cp >> 6)); store<u8>(p, 0x80 | (cp & 0x3f), 1); return n + 2; }
    if (cp < 0x10000) {
      store<u8>(p, 0xe0 | (cp >> 12)); store<u8>(p, 0x80 | ((cp >> 6) & 0x3f), 1); store<u8>(p, 0x80 | (cp & 0x3f), 2);
      return n + 3;
    }
    store<u8>(p, 0xf0 | (cp >> 18)); store<u8>(p, 0x80 | ((cp >> 12) & 0x3f), 1);
    store<u8>(p, 0x80 | ((cp >> 6) & 0x3f), 2); store<u8>(p, 0x80 | (cp & 0x3f), 3);
    return n + 4;
  }

  string(): string | null {
    this.pos++; // "
    let runStart = this.pos;
    let escaped = false;
    let n = 0; // decoded bytes in scratch, once an escape was seen
    while (true) {
      if (this.pos >= this.len) { this.fail("unterminated string"); return null; }
      const c = <i32>load<u8>(this.base + this.pos);
      if (c == 0x22) {
        const run = <i32>(this.pos - runStart);
        this.pos++;
        if (!escaped) return String.UTF8.decodeUnsafe(this.base + runStart, <usize>run);
        n = this.appendBytes(n, this.base + runStart, run);
        return String.UTF8.decodeUnsafe(changetype<usize>(this.scratch), <usize>n);
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) {
        escaped = true;
        n = this.appendBytes(n, this.base + runStart, <i32>(this.pos - runStart));
        this.pos++;
        const e = this.peek();
        this.pos++;
        let cp: i32 = -1;
        if (e == 0x22) cp = 0x22;
        else if (e == 0x5c) cp = 0x5c;
        else if (e == 0x2f) cp = 0x2f;
        else if (e == 0x62) cp = 0x08;
        else if (e == 0x66) cp = 0x0c;
        else if (e == 0x6e) cp = 0x0a;
        else if (e == 0x72) cp = 0x0d;
        else if (e == 0x74) cp = 0x09;
        else if (e == 0x75) {
          const u = this.hex4();
          if (u < 0) { this.fail("invalid \\u escape"); return null; }
          if (u >= 0xd800 && u < 0xdc00) {
            // A high surrogate must be followed by a low one.
            if (!this.literal("\\u")) { this.fail("unpaired surrogate in \\u escape"); return null; }
            const lo = this.hex4();
            if (lo < 0xdc00 || lo > 0xdfff) { this.fail("unpaired surrogate in \\u escape"); return null; }
            cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            this.fail("unpaired surrogate in \\u escape"); return null;
          } else {
            cp = u;
          }
        } else { this.pos--; this.fail("invalid escape"); return null; }
        n = this.appendCodePoint(n, cp);
        runStart = this.pos;
        continue;
      }
      if (c < 0x80) { this.pos++; continue; }
      const k = utf8Length(this.base + this.pos, this.len - this.pos);
      if (k == 0) { this.fail("invalid UTF-8 in string"); return null; }
      this.pos += k;
    }
  }

  hex4(): i32 {
    if (this.pos + 4 > this.len) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.base + this.pos + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    this.pos += 4;
    return v;
  }
}

@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

function describe(c: i32): string {
  if (c >= 0x21 && c < 0x7f) return "'" + String.fromCharCode(c) + "'";
  return "0x" + c.toString(16);
}

// Length of the well-formed UTF-8 sequence at p (2..4), or 0 if it is not well formed.
function utf8Length(p: usize, avail: usize): usize {
  const c = <u32>load<u8>(p);
  let n: usize, min: u32, cp: u32;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (avail < n) return 0;
  for (let i: usize = 1; i < n; i++) {
    const b = <u32>load<u8>(p + i);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// line:column (1-based) of a byte offset.
function position(base: usize, at: usize): string {
  let line = 1, col = 1;
  for (let i: usize = 0; i < at; i++) {
    if (load<u8>(base + i) == 0x0a) { line++; col = 1; } else col++;
  }
  return line.toString() + ":" + col.toString();
}

// Parses bytes [base, base+len) as one JSON document. `what` names the input in errors.
export function parseJson(base: usize, len: usize, what: string): JsonResult {
  const r = new Reader(base, len);
  const v = r.value(0);
  if (v != null) {
    r.skipSpace();
    if (r.pos < len) r.fail("unexpected data after the JSON value");
  }
  if (r.err.length > 0) {
    return new JsonResult(null, fail("parse", what, "invalid JSON at " + position(base, r.errPos) + ": " + r.err));
  }
  return new JsonResult(v, null);
}

export function parseJsonBuffer(buf: ArrayBuffer, what: string): JsonResult {
  return parseJson(changetype<usize>(buf), <usize>buf.byteLength, what);
}
