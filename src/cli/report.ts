// The one place a Failure is printed: stderr, and the --log file (JSON lines with
// --log-format json, which containerd and Docker read back).
import * as sys from "../sys/syscall";
import { writeString } from "../sys/io";
import { Failure } from "../errors/failure";
import { Globals } from "./globals";
import { JsonWriter } from "../json/writer";
import { nowRfc3339 } from "../util/time";

export function logLine(g: Globals, level: string, msg: string): void {
  if (g.log.length == 0) return;
  const fd = sys.openat(sys.AT_FDCWD, g.log, sys.O_WRONLY | sys.O_CREAT | sys.O_APPEND | sys.O_CLOEXEC, 0o644);
  if (fd < 0) return;
  let line: string;
  if (g.logJson) {
    const w = new JsonWriter();
    w.beginObject().kstr("level", level).kstr("msg", msg).kstr("time", nowRfc3339(false)).endObject();
    line = w.toString() + "\n";
  } else {
    line = nowRfc3339(false) + " " + level + " " + msg + "\n";
  }
  writeString(<i32>fd, line);
  sys.close(<i32>fd);
}

export function report(g: Globals, f: Failure): i32 {
  const msg = f.message();
  writeString(2, "tsrun: " + msg + "\n");
  logLine(g, "error", msg);
  return 1;
}

// --debug: what tsrun is doing, on stderr and in the --log file (level "debug").
export function debug(g: Globals, msg: string): void {
  if (!g.debug) return;
  writeString(2, "tsrun: debug: " + msg + "\n");
  logLine(g, "debug", msg);
}

export function warn(g: Globals, msg: string): void {
  writeString(2, "tsrun: warning: " + msg + "\n");
  logLine(g, "warning", msg);
}
