// Builds JSON text. `indent` > 0 pretty-prints (as runc does for `state` and `spec`).
export class JsonWriter {
  // The text so far, UTF-16, in one buffer that doubles (the runtime never frees: growing
  // an array of parts measured super-linear memory in the optimised build).
  private buf: ArrayBuffer = new ArrayBuffer(256);
  private used: i32 = 0; // bytes
  private first: bool[] = [true];
  private depth: i32 = 0;
  private afterKey: bool = false;

  constructor(private indent: i32 = 0) {}

  private sep(): void {
    if (this.afterKey) { this.afterKey = false; return; }
    const top = this.first.length - 1;
    if (this.depth > 0) {
      if (!this.first[top]) this.put(",");
      if (this.indent > 0) this.put("\n" + " ".repeat(this.depth * this.indent));
    }
    this.first[top] = false;
  }

  private open(c: string): JsonWriter {
    this.sep();
    this.put(c);
    this.depth++;
    this.first.push(true);
    return this;
  }

  private close(c: string): JsonWriter {
    const empty = this.first.pop();
    this.depth--;
    if (!empty && this.indent > 0) this.put("\n" + " ".repeat(this.depth * this.indent));
    this.put(c);
    return this;
  }

  beginObject(): JsonWriter { return this.open("{"); }
  endObject(): JsonWriter { return this.close("}"); }
  beginArray(): JsonWriter { return this.open("["); }
  endArray(): JsonWriter { return this.close("]"); }

  key(k: string): JsonWriter {
    this.sep();
    this.put(quote(k));
    this.put(this.indent > 0 ? ": " : ":");
    this.afterKey = true;
    return this;
  }

  str(v: string): JsonWriter { this.sep(); this.put(quote(v)); return this; }
  num(v: i64): JsonWriter { this.sep(); this.put(v.toString()); return this; }
  unum(v: u64): JsonWriter { this.sep(); this.put(v.toString()); return this; }
  bool(v: bool): JsonWriter { this.sep(); this.put(v ? "true" : "false"); return this; }
  nul(): JsonWriter { this.sep(); this.put("null"); return this; }
  // Pre-serialized JSON text.
  raw(text: string): JsonWriter { this.sep(); this.put(text); return this; }

  strArray(items: string[]): JsonWriter {
    this.beginArray();
    for (let i = 0; i < items.length; i++) this.str(items[i]);
    return this.endArray();
  }

  // Shorthands for "key": value.
  kstr(k: string, v: string): JsonWriter { return this.key(k).str(v); }
  knum(k: string, v: i64): JsonWriter { return this.key(k).num(v); }
  kbool(k: string, v: bool): JsonWriter { return this.key(k).bool(v); }
  kstrs(k: string, v: string[]): JsonWriter { return this.key(k).strArray(v); }

  private put(t: string): void {
    const n = t.length << 1;
    if (this.used + n > this.buf.byteLength) {
      let cap = this.buf.byteLength << 1;
      while (cap < this.used + n) cap <<= 1;
      const grown = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.used);
      this.buf = grown;
    }
    memory.copy(changetype<usize>(this.buf) + <usize>this.used, changetype<usize>(t), <usize>n);
    this.used += n;
  }

  toString(): string { return String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>this.used); }
}

const HEX = "0123456789abcdef";

export function quote(s: string): string {
  // Output length first (in UTF-16 units), then one buffer: no string per character.
  let extra = 0;
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c || c == 0x0a || c == 0x0d || c == 0x09) extra += 1;
    else if (c < 0x20) extra += 5;
  }
  if (extra == 0) return "\"" + s + "\"";
  const len = s.length + extra + 2;
  const buf = new ArrayBuffer(len << 1);
  const p = changetype<usize>(buf);
  let o: usize = 0;
  store<u16>(p, 0x22);
  o += 2;
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    let e = 0;
    if (c == 0x22) e = 0x22;
    else if (c == 0x5c) e = 0x5c;
    else if (c == 0x0a) e = 0x6e;
    else if (c == 0x0d) e = 0x72;
    else if (c == 0x09) e = 0x74;
    if (e != 0) {
      store<u16>(p + o, 0x5c); store<u16>(p + o, e, 2); o += 4;
    } else if (c < 0x20) {
      store<u16>(p + o, 0x5c); store<u16>(p + o, 0x75, 2); store<u16>(p + o, 0x30, 4); store<u16>(p + o, 0x30, 6);
      store<u16>(p + o, HEX.charCodeAt(c >> 4), 8); store<u16>(p + o, HEX.charCodeAt(c & 15), 10);
      o += 12;
    } else {
      store<u16>(p + o, c); o += 2;
    }
  }
  store<u16>(p + o, 0x22);
  return String.UTF16.decodeUnsafe(p, <usize>len << 1);
}
