// linux.intelRdt (runtime-spec 1.3.0): the model, its validation, and the pure rules of the
// resctrl layout (where a container's group is, what goes into its `schemata` file, whether
// an existing group's schemata already say what the config asks). No syscalls here:
// resctrl/manager.ts does the file work.
import { JValue } from "../json/value";
import { Checker } from "../spec/parse";
import { trimSpaces } from "../util/strings";

export class IntelRdt {
  closID: string = "";          // "" = a group named after the container; "/" = the root group
  l3CacheSchema: string = "";
  memBwSchema: string = "";
  schemata: string[] = [];
  enableMonitoring: bool = false;

  // The schema lines in the order the spec wants them written: L3, MB, then schemata.
  lines(): string[] {
    const out: string[] = [];
    if (this.l3CacheSchema.length > 0) out.push(this.l3CacheSchema);
    if (this.memBwSchema.length > 0) out.push(this.memBwSchema);
    for (let i = 0; i < this.schemata.length; i++) out.push(this.schemata[i]);
    return out;
  }
}

export function parseIntelRdt(c: Checker, o: JValue): IntelRdt {
  const p = "linux.intelRdt";
  const r = new IntelRdt();
  r.closID = c.str(o, "closID", p);
  const why = closIdError(r.closID);
  if (why.length > 0) c.bad(p + ".closID", why);
  r.l3CacheSchema = c.str(o, "l3CacheSchema", p);
  if (r.l3CacheSchema.length > 0) {
    const e = schemaLineError(r.l3CacheSchema);
    if (e.length > 0) c.bad(p + ".l3CacheSchema", e);
    else if (!resourceOf(r.l3CacheSchema).startsWith("L3")) c.bad(p + ".l3CacheSchema", "must be an L3 schema (\"L3:<cache id>=<bitmask>;...\")");
  }
  r.memBwSchema = c.str(o, "memBwSchema", p);
  if (r.memBwSchema.length > 0) {
    const e = schemaLineError(r.memBwSchema);
    if (e.length > 0) c.bad(p + ".memBwSchema", e);
    else if (resourceOf(r.memBwSchema) != "MB") c.bad(p + ".memBwSchema", "must start with \"MB:\" (\"MB:<cache id>=<bandwidth>;...\")");
  }
  r.schemata = c.strings(o, "schemata", p);
  for (let i = 0; i < r.schemata.length; i++) {
    const e = schemaLineError(r.schemata[i]);
    if (e.length > 0) { c.bad(p + ".schemata[" + i.toString() + "]", e); break; }
  }
  r.enableMonitoring = c.bool(o, "enableMonitoring", p);
  return r;
}

// "" when closID names a group directly under the resctrl root (or is "/", the root).
export function closIdError(id: string): string {
  if (id == "." || id == "..") return "\"" + id + "\" is not a group name";
  if (id.length > 1 && id.includes("/")) return "\"" + id + "\" must be one directory name (or \"/\" for the root group)";
  if (id.includes("\n") || id.includes("\0")) return "must not contain a newline or NUL";
  return "";
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
function isHex(c: i32): bool { return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46); }
function isNameChar(c: i32): bool { return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f; }

// The resource name of a schema line ("L3", "MB", "L3CODE", ...), spaces trimmed.
export function resourceOf(line: string): string {
  const colon = line.indexOf(":");
  return colon < 0 ? "" : trimSpaces(line.substring(0, colon));
}

// The resctrl schema line syntax: RESOURCE:ID=VALUE[;ID=VALUE...], ID a decimal domain id,
// VALUE a hex bitmask (caches) or a decimal number (MB, SMBA); the kernel checks the rest
// (contiguous bits, ranges). "" when the line is well formed, else why not.
export function schemaLineError(line: string): string {
  if (line.length == 0) return "must not be empty";
  if (line.includes("\n") || line.includes("\r")) return "must not contain a newline";
  const res = resourceOf(line);
  if (res.length == 0) return "\"" + line + "\" must be RESOURCE:ID=VALUE;... (e.g. \"L3:0=ff\")";
  for (let i = 0; i < res.length; i++) {
    if (!isNameChar(res.charCodeAt(i))) return "\"" + line + "\": invalid resource name \"" + res + "\"";
  }
  const decimal = res == "MB" || res == "SMBA";
  const doms = line.substring(line.indexOf(":") + 1).split(";");
  for (let i = 0; i < doms.length; i++) {
    const d = trimSpaces(doms[i]);
    if (d.length == 0 && i > 0 && i == doms.length - 1) break;  // a trailing ";" (the kernel takes it)
    const eq = d.indexOf("=");
    const id = eq < 0 ? "" : trimSpaces(d.substring(0, eq));
    const v = eq < 0 ? "" : trimSpaces(d.substring(eq + 1));
    let good = id.length > 0 && v.length > 0 && id.length <= 9 && v.length <= 16;
    for (let k = 0; good && k < id.length; k++) good = isDigit(id.charCodeAt(k));
    for (let k = 0; good && k < v.length; k++) good = decimal ? isDigit(v.charCodeAt(k)) : isHex(v.charCodeAt(k));
    if (!good) {
      return "\"" + line + "\": \"" + d + "\" must be <domain id>=<" + (decimal ? "decimal value" : "hex bitmask") + ">";
    }
  }
  return "";
}

// Domain values of one line as "id=number" in a canonical form (numbers without leading
// zeros or case), for comparing what was asked with what the kernel prints.
function canonical(line: string): string[] {
  const res = resourceOf(line);
  const decimal = res == "MB" || res == "SMBA";
  const out: string[] = [];
  const doms = line.substring(line.indexOf(":") + 1).split(";");
  for (let i = 0; i < doms.length; i++) {
    const d = trimSpaces(doms[i]);
    const eq = d.indexOf("=");
    if (eq < 0) continue;
    const id = I32.parseInt(trimSpaces(d.substring(0, eq)));
    const v = U64.parseInt(trimSpaces(d.substring(eq + 1)), decimal ? 10 : 16);
    out.push(id.toString() + "=" + v.toString());
  }
  return out;
}

// An existing group (a closID made beforehand) must already have the schemata the config
// asks for. The kernel prints every domain, aligned; the config may list only some.
// Returns the first wanted line the current `schemata` text does not satisfy, or "".
export function schemataMismatch(wanted: string[], current: string): string {
  const have = current.split("\n");
  for (let i = 0; i < wanted.length; i++) {
    const res = resourceOf(wanted[i]);
    let cur = "";
    for (let k = 0; k < have.length; k++) if (resourceOf(have[k]) == res) { cur = have[k]; break; }
    if (cur.length == 0) return wanted[i];
    const curDoms = canonical(cur);
    const want = canonical(wanted[i]);
    for (let k = 0; k < want.length; k++) if (!curDoms.includes(want[k])) return wanted[i];
  }
  return "";
}

// The container's resctrl group: the root for closID "/", root/closID, or root/<id>.
export function groupDir(root: string, closID: string, id: string): string {
  if (closID == "/") return root;
  return root + "/" + (closID.length > 0 ? closID : id);
}

// Its monitoring group (enableMonitoring), named after the container.
export function monDir(group: string, id: string): string {
  return group + "/mon_groups/" + id;
}

// The mount point of the first resctrl filesystem in a /proc/self/mountinfo text, or "".
// Fields: id parent major:minor root mountpoint options [optional...] - fstype source super.
export function resctrlMount(mountinfo: string): string {
  const lines = mountinfo.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const sep = l.indexOf(" - ");
    if (sep < 0) continue;
    const after = l.substring(sep + 3);
    const sp = after.indexOf(" ");
    if ((sp < 0 ? after : after.substring(0, sp)) != "resctrl") continue;
    const f = l.substring(0, sep).split(" ");
    if (f.length < 5) continue;
    return unescapeOctal(f[4]);
  }
  return "";
}

// mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
function unescapeOctal(s: string): string {
  if (!s.includes("\\")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x5c && i + 3 < s.length && isOct(s.charCodeAt(i + 1)) && isOct(s.charCodeAt(i + 2)) && isOct(s.charCodeAt(i + 3))) {
      out += String.fromCharCode(((s.charCodeAt(i + 1) - 0x30) << 6) | ((s.charCodeAt(i + 2) - 0x30) << 3) | (s.charCodeAt(i + 3) - 0x30));
      i += 3;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}
function isOct(c: i32): bool { return c >= 0x30 && c <= 0x37; }
