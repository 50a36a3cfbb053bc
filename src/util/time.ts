// Wall-clock time as RFC 3339 text (state.json "created", JSON log lines).
import * as sys from "../sys/syscall";

function pad(n: i64, width: i32): string {
  let s = n.toString();
  while (s.length < width) s = "0" + s;
  return s;
}

// Days since 1970-01-01 -> y-m-d (proleptic Gregorian; Howard Hinnant's civil_from_days).
function civil(days: i64): string {
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2);
}

export function rfc3339(sec: i64, nsec: i64, withNanos: bool): string {
  const days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
  const rem = sec - days * 86400;
  let s = civil(days) + "T" + pad(rem / 3600, 2) + ":" + pad((rem / 60) % 60, 2) + ":" + pad(rem % 60, 2);
  if (withNanos) s += "." + pad(nsec, 9);
  return s + "Z";
}

export function nowRfc3339(withNanos: bool = true): string {
  const ts = memory.data(16);
  sys.clockGettime(0, ts);
  return rfc3339(load<i64>(ts), load<i64>(ts, 8), withNanos);
}

// Monotonic milliseconds.
export function monotonicMs(): i64 {
  const ts = memory.data(16);
  sys.clockGettime(1, ts);
  return load<i64>(ts) * 1000 + load<i64>(ts, 8) / 1000000;
}
