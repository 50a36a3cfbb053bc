// state and list: read-only views of containers.
import * as sys from "../sys/syscall";
import { Failure } from "../errors/failure";
import { Globals } from "../cli/globals";
import { print } from "../sys/io";
import { JsonWriter } from "../json/writer";
import { ContainerState } from "../state/container";
import { Status, statusName } from "../state/status";
import { loadContainer, openStore } from "./common";
import { joinStrings } from "../util/strings";

export const OCI_VERSION = "1.3.0";

export function writeState(w: JsonWriter, st: ContainerState, status: Status, owner: string): void {
  w.beginObject();
  w.kstr("ociVersion", OCI_VERSION);
  w.kstr("id", st.id);
  w.knum("pid", status == Status.Stopped ? 0 : st.pid);
  w.kstr("status", statusName(status));
  w.kstr("bundle", st.bundle);
  w.kstr("rootfs", st.rootfs);
  w.kstr("created", st.created);
  w.kstr("owner", owner);
  if (st.annotationKeys.length > 0) {
    w.key("annotations").beginObject();
    for (let i = 0; i < st.annotationKeys.length; i++) w.kstr(st.annotationKeys[i], st.annotationValues[i]);
    w.endObject();
  }
  w.endObject();
}

// The OCI state of one container, as JSON text (used for `state` and for hooks' stdin).
export function stateJson(st: ContainerState, status: Status, indent: i32): string {
  const w = new JsonWriter(indent);
  writeState(w, st, status, "");
  return w.toString();
}

export function state(g: Globals, id: string): Failure | null {
  const r = loadContainer(g, id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return r.err; }
  const c = r.loaded!;
  print(stateJson(c.state, c.status, 2) + "\n");
  c.close();
  return null;
}

function ownerName(uid: u32): string {
  return uid == 0 ? "root" : "#" + uid.toString();
}

function padRight(s: string, n: i32): string {
  return s.length < n ? s + " ".repeat(n - s.length) : s;
}

export function list(g: Globals, format: string, quiet: bool): Failure | null {
  const so = openStore(g, false);
  const ids = so.ok ? so.value.ids() : new Array<string>(0);
  const rows: string[][] = [];
  const w = new JsonWriter();
  w.beginArray();
  const owner = ownerName(sys.getuid());
  for (let i = 0; i < ids.length; i++) {
    const r = loadContainer(g, ids[i]);
    if (r.dirfd >= 0 && r.loaded == null) sys.close(r.dirfd);
    if (r.loaded == null) continue;
    const c = r.loaded!;
    if (quiet) print(c.state.id + "\n");
    else if (format == "json") writeState(w, c.state, c.status, owner);
    else rows.push([c.state.id, (c.status == Status.Stopped ? 0 : c.state.pid).toString(), statusName(c.status), c.state.bundle, c.state.created, owner]);
    c.close();
  }
  w.endArray();
  if (quiet) return null;
  if (format == "json") { print(w.toString() + "\n"); return null; }
  const head = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"];
  const width = new Array<i32>(head.length);
  for (let k = 0; k < head.length; k++) {
    width[k] = head[k].length;
    for (let i = 0; i < rows.length; i++) width[k] = max(width[k], rows[i][k].length);
  }
  // One string per line, joined once: appending to one string would allocate quadratically
  // (the runtime never frees) and thousands of containers would exhaust memory.
  const lines: string[] = [];
  for (let i = -1; i < rows.length; i++) {
    const row = i < 0 ? head : rows[i];
    const cells: string[] = [];
    for (let k = 0; k < row.length; k++) cells.push(k == row.length - 1 ? row[k] : padRight(row[k], width[k] + 3));
    lines.push(joinStrings(cells, ""));
  }
  lines.push("");
  print(joinStrings(lines, "\n"));
  return null;
}
