// A container's status, derived from what the kernel says about its init process.
import * as sys from "../sys/syscall";
import { readFileAt } from "../sys/io";
import { ContainerState } from "./container";
import { FIFO } from "./store";

export const enum Status { Creating, Created, Running, Paused, Stopped }

export function statusName(s: Status): string {
  switch (s) {
    case Status.Creating: return "creating";
    case Status.Created: return "created";
    case Status.Running: return "running";
    case Status.Paused: return "paused";
    default: return "stopped";
  }
}

export class ProcStat {
  constructor(public state: i32, public startTime: u64) {}
}

// /proc/PID/stat: the state letter (field 3) and start time (field 22), or null if gone.
export function procStat(pid: i32): ProcStat | null {
  const path = "/proc/" + pid.toString() + "/stat";
  const r = readFileAt(sys.AT_FDCWD, path, path, true);
  if (!r.ok) return null;
  const s = String.UTF8.decode(r.value);
  const close = s.lastIndexOf(")");
  if (close < 0) return null;
  const fields = s.substring(close + 2).split(" ");
  // fields[0] is field 3 (state); field 22 is fields[19].
  if (fields.length < 20) return null;
  return new ProcStat(fields[0].charCodeAt(0), U64.parseInt(fields[19]));
}

// Is init (pid with the recorded start time) still alive (not a zombie)?
export function initAlive(st: ContainerState): bool {
  const p = procStat(st.pid);
  if (p == null) return false;
  if (p.startTime != st.pidStart) return false;
  return p.state != 0x5a /* Z */ && p.state != 0x58 /* X */;
}

export function statusOf(st: ContainerState, dirfd: i32): Status {
  if (!initAlive(st)) return Status.Stopped;
  if (st.paused) return Status.Paused;
  const st2 = memory.data(144);
  if (sys.fstatat(dirfd, FIFO, st2, sys.AT_SYMLINK_NOFOLLOW) == 0) return Status.Created;
  return Status.Running;
}
