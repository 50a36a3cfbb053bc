// D-Bus messages: a method call built from its parts, and a received message's header
// (type, serials, names) with a reader positioned at its body.
import { Writer, Reader } from "./wire";

export const METHOD_CALL: u8 = 1, METHOD_RETURN: u8 = 2, ERROR: u8 = 3, SIGNAL: u8 = 4;
const F_PATH: u8 = 1, F_INTERFACE: u8 = 2, F_MEMBER: u8 = 3, F_ERROR_NAME: u8 = 4, F_REPLY_SERIAL: u8 = 5,
  F_DESTINATION: u8 = 6, F_SIGNATURE: u8 = 8;

function field(w: Writer, code: u8, type: string, value: string): void {
  w.align(8);
  w.byte(code);
  w.variant(type);
  if (type == "g") w.sig(value);
  else w.str(value);
}

// A method call; `body` holds the arguments marshalled from offset 0 (8-aligned like the
// body will be), `signature` their types.
export function methodCall(serial: u32, destination: string, path: string, iface: string, member: string,
  signature: string, body: Writer | null): Uint8Array {
  const w = new Writer();
  w.byte(0x6c);  // 'l': little-endian
  w.byte(METHOD_CALL);
  w.byte(0);     // flags
  w.byte(1);     // protocol version
  w.u32(body != null ? <u32>body.len : 0);
  w.u32(serial);
  const at = w.beginArray(8);
  field(w, F_PATH, "o", path);
  if (destination.length > 0) field(w, F_DESTINATION, "s", destination);
  field(w, F_INTERFACE, "s", iface);
  field(w, F_MEMBER, "s", member);
  if (signature.length > 0) field(w, F_SIGNATURE, "g", signature);
  w.endArray(at, 8);
  w.align(8);
  if (body != null) {
    const b = body.bytes();
    for (let i = 0; i < b.length; i++) w.byte(b[i]);
  }
  return w.bytes();
}

export class Message {
  type: u8 = 0;
  serial: u32 = 0;
  replySerial: u32 = 0;
  path: string = "";
  iface: string = "";
  member: string = "";
  errorName: string = "";
  signature: string = "";
  body: Reader | null = null;

  // The first string argument (an error's message), or "".
  firstString(): string {
    if (!this.signature.startsWith("s") || this.body == null) return "";
    const s = this.body!.str();
    return this.body!.bad ? "" : s;
  }
}

// Bytes a complete message at `at` needs (0: not enough read yet to tell; -1: not a
// little-endian D-Bus message).
export function messageSize(buf: Uint8Array, at: i32, len: i32): i32 {
  if (len - at < 16) return 0;
  if (buf[at] != 0x6c || buf[at + 3] != 1) return -1;
  const bodyLen = load<u32>(buf.dataStart + <usize>at + 4);
  const fieldsLen = load<u32>(buf.dataStart + <usize>at + 12);
  if (bodyLen > 0x4000000 || fieldsLen > 0x4000000) return -1;
  return <i32>(((16 + fieldsLen + 7) & ~7) + bodyLen);
}

// Parses the complete message of `size` bytes at `at` (null: malformed).
export function parseMessage(buf: Uint8Array, at: i32, size: i32): Message | null {
  const m = new Message();
  const r = new Reader(buf, at, at + size, at);
  r.byte();
  m.type = r.byte();
  r.byte();
  r.byte();
  r.u32();
  m.serial = r.u32();
  const fieldsLen = r.u32();
  const fieldsEnd = r.pos + <i32>fieldsLen;
  while (!r.bad && r.pos < fieldsEnd) {
    r.align(8);
    const code = r.byte();
    const type = r.sig();
    if (type == "s" || type == "o") {
      const v = r.str();
      if (code == F_PATH) m.path = v;
      else if (code == F_INTERFACE) m.iface = v;
      else if (code == F_MEMBER) m.member = v;
      else if (code == F_ERROR_NAME) m.errorName = v;
    } else if (type == "g") {
      const v = r.sig();
      if (code == F_SIGNATURE) m.signature = v;
    } else if (type == "u") {
      const v = r.u32();
      if (code == F_REPLY_SERIAL) m.replySerial = v;
    } else {
      return null;  // no other type is defined for header fields
    }
  }
  if (r.bad) return null;
  r.pos = fieldsEnd;
  r.align(8);
  m.body = new Reader(buf, r.pos, at + size, r.pos);
  return m;
}
