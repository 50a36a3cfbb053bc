// A D-Bus connection to systemd over an AF_UNIX stream socket: as root systemd's own socket
// (/run/systemd/private: no dbus-daemon needed, no Hello), else the system bus
// (/run/dbus/system_bus_socket, Hello first). SASL EXTERNAL with the effective uid; calls
// are queued and written in one go (BEGIN rides along with the first batch); replies are
// matched by serial, JobRemoved signals kept until asked for.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, fail, sysFail } from "../errors/failure";
import { ETIMEDOUT } from "../errors/errno";
import { connectUnix } from "../linux/console";
import { writeAll } from "../sys/io";
import { monotonicMs } from "../util/time";
import { trimSpaces } from "../util/strings";
import { Writer } from "./wire";
import { Message, methodCall, messageSize, parseMessage, METHOD_RETURN, ERROR, SIGNAL } from "./message";

export const PRIVATE_SOCKET = "/run/systemd/private";
export const SYSTEM_BUS = "/run/dbus/system_bus_socket";
const POLLIN: u16 = 1;

// A finished job: JobRemoved(id, job, unit, result).
export class JobEnd {
  constructor(public job: string, public unit: string, public result: string) {}
}

export class Bus {
  serial: u32 = 0;
  began: bool = false;
  out: Writer = new Writer();
  inBuf: Uint8Array = new Uint8Array(8192);
  inLen: i32 = 0;
  jobs: JobEnd[] = [];
  constructor(public fd: i32, public path: string) {}

  close(): void { sys.close(this.fd); }

  // Queues a method call; returns its serial.
  call(dest: string, path: string, iface: string, member: string, signature: string, body: Writer | null): u32 {
    this.serial++;
    const m = methodCall(this.serial, dest, path, iface, member, signature, body);
    this.out.append(m);
    return this.serial;
  }

  flush(): Failure | null {
    if (this.out.len == 0) return null;
    const rc = writeAll(this.fd, this.out.buf.dataStart, <usize>this.out.len);
    this.out = new Writer();
    return rc < 0 ? sysFail("write to systemd at", this.path, rc) : null;
  }

  // The next message (any kind), waiting until `deadline` (monotonic ms).
  next(deadline: i64): Result<Message> {
    for (;;) {
      const size = messageSize(this.inBuf, 0, this.inLen);
      if (size < 0) return err<Message>(fail("read from systemd at", this.path, "not a little-endian D-Bus message"));
      if (size > 0 && size <= this.inLen) {
        const copy = this.inBuf.slice(0, size);
        this.inBuf.copyWithin(0, size, this.inLen);
        this.inLen -= size;
        const m = parseMessage(copy, 0, size);
        if (m == null) return err<Message>(fail("read from systemd at", this.path, "malformed D-Bus message"));
        return ok<Message>(m);
      }
      if (size > this.inBuf.length) this.grow(size);
      const f = this.fill(deadline);
      if (f != null) return err<Message>(f);
    }
    return err<Message>(fail("read from systemd at", this.path, "unreachable"));
  }

  // The input buffer, `size` bytes long, with what it holds.
  private grow(size: i32): void {
    const b = new Uint8Array(size);
    b.set(this.inBuf.subarray(0, this.inLen));
    this.inBuf = b;
  }

  fill(deadline: i64): Failure | null {
    const left = deadline - monotonicMs();
    if (left <= 0) return new Failure("wait for systemd at", this.path, ETIMEDOUT);
    const pfd = memory.data(8);
    store<i32>(pfd, this.fd);
    store<u16>(pfd, POLLIN, 4);
    store<u16>(pfd, 0, 6);
    const pr = sys.poll(pfd, 1, <i32>left);
    if (pr < 0 && pr != -4) return sysFail("poll systemd at", this.path, pr);
    if (pr <= 0) return null;  // timeout or EINTR: the loop checks the deadline
    if (this.inLen == this.inBuf.length) this.grow(this.inBuf.length * 2);
    const n = sys.read(this.fd, this.inBuf.dataStart + <usize>this.inLen, <usize>(this.inBuf.length - this.inLen));
    if (n < 0) return sysFail("read from systemd at", this.path, n);
    if (n == 0) return fail("read from systemd at", this.path, "the connection was closed");
    this.inLen += <i32>n;
    return null;
  }

  // The reply to `serial`; an error reply becomes a Failure "NAME: message" (why).
  reply(serial: u32, what: string, obj: string, deadline: i64): Result<Message> {
    for (;;) {
      const r = this.next(deadline);
      if (!r.ok) return err<Message>(r.err!.within(what + " " + obj));
      const m = r.value;
      if (m.type == SIGNAL) { this.keepSignal(m); continue; }
      if (m.replySerial != serial || (m.type != METHOD_RETURN && m.type != ERROR)) continue;
      if (m.type == ERROR) {
        const text = m.firstString();
        return err<Message>(fail(what, obj, m.errorName + (text.length > 0 ? ": " + text : "")));
      }
      return ok<Message>(m);
    }
    return err<Message>(fail(what, obj, "unreachable"));
  }

  private keepSignal(m: Message): void {
    if (m.member != "JobRemoved" || m.signature != "uoss" || m.body == null) return;
    const r = m.body!;
    r.u32();
    const job = r.str();
    const unit = r.str();
    const result = r.str();
    if (!r.bad) this.jobs.push(new JobEnd(job, unit, result));
  }

  // Waits for JobRemoved of `job`; returns its result ("done", "failed", "canceled", ...).
  jobResult(job: string, deadline: i64): Result<string> {
    for (;;) {
      for (let i = 0; i < this.jobs.length; i++) if (this.jobs[i].job == job) return ok<string>(this.jobs[i].result);
      const r = this.next(deadline);
      if (!r.ok) return err<string>(r.err!);
      if (r.value.type == SIGNAL) this.keepSignal(r.value);
    }
    return err<string>(fail("wait for job", job, "unreachable"));
  }
}

function hexOf(s: string): string {
  const b = Uint8Array.wrap(String.UTF8.encode(s));
  let out = "";
  for (let i = 0; i < b.length; i++) out += (<u32>b[i]).toString(16);
  return out;
}

// SASL: AUTH EXTERNAL <hex of the uid as text>, one "OK <guid>" line back; BEGIN is sent
// with the first batch of calls.
function authenticate(bus: Bus, deadline: i64): Failure | null {
  const line = String.UTF8.encode("\0AUTH EXTERNAL " + hexOf(sys.geteuid().toString()) + "\r\n");
  const rc = writeAll(bus.fd, changetype<usize>(line), <usize>line.byteLength);
  if (rc < 0) return sysFail("authenticate to systemd at", bus.path, rc);
  let got = "";
  while (!got.includes("\r\n") && bus.inLen < 512) {
    const f = bus.fill(deadline);
    if (f != null) return f.within("authenticate");
    got = String.UTF8.decodeUnsafe(bus.inBuf.dataStart, <usize>bus.inLen);
  }
  bus.inLen = 0;
  if (!got.startsWith("OK ")) return fail("authenticate to systemd at", bus.path, "refused: " + trimSpaces(got));
  return null;
}

// Connects and authenticates (Hello on the system bus is queued, not yet sent).
export function connectSystemd(deadline: i64): Result<Bus> {
  let why = "";
  const paths = sys.geteuid() == 0 ? [PRIVATE_SOCKET, SYSTEM_BUS] : [SYSTEM_BUS];
  for (let i = 0; i < paths.length; i++) {
    const c = connectUnix(paths[i], "systemd");
    if (!c.ok) { why += (why.length > 0 ? "; " : "") + c.err!.message(); continue; }
    const bus = new Bus(c.value, paths[i]);
    const f = authenticate(bus, deadline);
    if (f != null) { bus.close(); return err<Bus>(f); }
    bus.out.append(Uint8Array.wrap(String.UTF8.encode("BEGIN\r\n")));
    if (paths[i] == SYSTEM_BUS) bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", null);
    return ok<Bus>(bus);
  }
  return err<Bus>(fail("--systemd-cgroup", "", "cannot reach systemd: " + why));
}
