// The one error type: what was being done (op), to what (obj: a path, an id, a config
// field), and why (errno from the kernel, or a sentence). Errors are values: every
// fallible function returns Failure | null (or a Result) and the caller checks it.
// Only cli/report.ts prints a Failure.
import { errnoName, errnoText } from "./errno";

export class Failure {
  constructor(public op: string, public obj: string, public errno: i32, public why: string = "") {}

  message(): string {
    let s = this.op;
    if (this.obj.length > 0) s += " " + this.obj;
    if (this.why.length > 0) s += ": " + this.why;
    if (this.errno > 0) s += ": " + errnoText(this.errno) + " (" + errnoName(this.errno) + ")";
    return s;
  }

  // Prefixes the operation with a higher-level context ("create: ...").
  within(context: string): Failure {
    this.op = context + ": " + this.op;
    return this;
  }
}

// A failed syscall: rc is the kernel's negative errno.
export function sysFail(op: string, obj: string, rc: i64): Failure {
  return new Failure(op, obj, <i32>-rc);
}

// A problem without an errno (bad input, invalid state).
export function fail(op: string, obj: string, why: string): Failure {
  return new Failure(op, obj, 0, why);
}

// A value or a Failure.
export class Result<T> {
  constructor(public value: T, public err: Failure | null) {}
  get ok(): bool { return this.err == null; }
}

export function ok<T>(v: T): Result<T> { return new Result<T>(v, null); }
export function err<T>(f: Failure): Result<T> {
  let zero: T;
  if (isReference<T>()) zero = changetype<T>(0);
  else zero = <T>0;
  return new Result<T>(zero, f);
}
