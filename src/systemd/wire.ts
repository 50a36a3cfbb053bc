// D-Bus wire format, little-endian (the only byte order tsrun sends; a big-endian peer is
// refused when its message is read): a growing writer and a bounds-checked reader for the
// types the systemd driver uses (y b u t s o g a( ) v). Alignment is counted from the
// message start (the body starts 8-aligned, so the same rule holds inside it).

export class Writer {
  buf: Uint8Array = new Uint8Array(512);
  len: i32 = 0;

  private ensure(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf);
    this.buf = b;
  }
  align(a: i32): void {
    while ((this.len & (a - 1)) != 0) this.byte(0);
  }
  byte(v: u8): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  // A fixed-size number at its natural alignment.
  private put<T>(v: T): void {
    const n = <i32>sizeof<T>();
    this.align(n);
    this.ensure(n);
    store<T>(this.buf.dataStart + <usize>this.len, v);
    this.len += n;
  }
  u32(v: u32): void { this.put<u32>(v); }
  u64(v: u64): void { this.put<u64>(v); }
  // Bytes as they are (a whole message, the SASL BEGIN line): no alignment.
  append(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  bool(v: bool): void { this.u32(v ? 1 : 0); }
  private raw(s: string): void {
    const b = Uint8Array.wrap(String.UTF8.encode(s));
    this.ensure(b.length + 1);
    this.buf.set(b, this.len);
    this.len += b.length;
    this.buf[this.len++] = 0;
  }
  // s and o: u32 length, bytes, NUL.
  str(s: string): void {
    this.u32(<u32>String.UTF8.byteLength(s));
    this.raw(s);
  }
  // g: u8 length, bytes, NUL.
  sig(s: string): void {
    this.byte(<u8>String.UTF8.byteLength(s));
    this.raw(s);
  }
  // An array: its u32 byte length is patched by endArray; the padding before the first
  // element (to its alignment) is not counted.
  beginArray(elemAlign: i32): i32 {
    this.u32(0);
    const at = this.len - 4;
    this.align(elemAlign);
    return at;
  }
  endArray(at: i32, elemAlign: i32): void {
    const start = (at + 4 + elemAlign - 1) & ~(elemAlign - 1);
    store<u32>(this.buf.dataStart + <usize>at, <u32>(this.len - start));
  }
  // A variant: its signature, then the value (written by the caller).
  variant(signature: string): void { this.sig(signature); }
  bytes(): Uint8Array { return this.buf.subarray(0, this.len); }
}

export class Reader {
  bad: bool = false;   // read past the end or malformed: every later read returns zeros
  constructor(public buf: Uint8Array, public pos: i32, public end: i32, public base: i32) {}

  private need(n: i32): bool {
    if (this.bad || this.pos + n > this.end || n < 0) { this.bad = true; return false; }
    return true;
  }
  align(a: i32): void {
    this.pos = this.base + ((this.pos - this.base + a - 1) & ~(a - 1));
    if (this.pos > this.end) this.bad = true;
  }
  byte(): u8 {
    if (!this.need(1)) return 0;
    return this.buf[this.pos++];
  }
  private take<T>(): T {
    const n = <i32>sizeof<T>();
    this.align(n);
    if (!this.need(n)) return <T>0;
    const v = load<T>(this.buf.dataStart + <usize>this.pos);
    this.pos += n;
    return v;
  }
  u32(): u32 { return this.take<u32>(); }
  u64(): u64 { return this.take<u64>(); }
  private text(n: i32): string {
    if (!this.need(n + 1)) return "";
    const s = String.UTF8.decodeUnsafe(this.buf.dataStart + <usize>this.pos, <usize>n);
    this.pos += n + 1;
    return s;
  }
  str(): string {
    const n = this.u32();
    if (n > 0x1000000) { this.bad = true; return ""; }
    return this.text(<i32>n);
  }
  sig(): string { return this.text(<i32>this.byte()); }
}
