// What tsrun remembers about a container between verbs: <root>/<id>/state.json.
// This file is tsrun's own; `tsrun state` prints the OCI state built from it.
import { JsonWriter } from "../json/writer";
import { JValue, Kind } from "../json/value";
import { Hook } from "../spec/model";
import { writeHooks, readHooks } from "../hooks/persist";

export class ContainerState {
  id: string = "";
  ociVersion: string = "";
  pid: i32 = 0;
  // Start time of init in clock ticks since boot (/proc/PID/stat field 22): tells a live
  // init from a later process that reuses its PID.
  pidStart: u64 = 0;
  bundle: string = "";
  rootfs: string = "";
  created: string = "";
  owner: string = "";
  newPidNs: bool = true;
  cgroupDirs: string[] = [];  // cgroup directories tsrun created (removed by delete)
  startSync: bool = false;    // start.fifo exists (see state/store.ts)
  paused: bool = false;       // set by pause, cleared by resume
  freezerDir: string = "";    // the cgroup pause/resume freeze
  cgroupV2: bool = false;
  cgroupAll: string[] = [];   // "controllers=dir" of every hierarchy (update creates as needed)
  systemdUnit: string = "";   // --systemd-cgroup: the container's unit (delete stops it)
  notifySocket: string = "";  // the host's NOTIFY_SOCKET at create, or "".
  seccomp: bool = false;      // seccomp.bpf holds the filter (exec applies it too)
  seccompListener: string = "";  // linux.seccomp.listenerPath when the filter notifies
  seccompMetadata: string = "";
  rdtGroup: string = "";      // the resctrl group init was put in (linux.intelRdt), or ""
  rdtCreated: bool = false;   // tsrun made rdtGroup: delete removes it
  rdtMon: string = "";        // its monitoring group (removed by delete), or ""
  hostMountRoot: string = ""; // no mount namespace: root.path, bound onto itself by init (or "")
  hostMountBase: u64 = 0;     // the mount under that bind: delete detaches what is above it
  poststart: Hook[] = [];
  poststop: Hook[] = [];
  annotationKeys: string[] = [];
  annotationValues: string[] = [];

  clone(): ContainerState {
    const c = new ContainerState();
    c.id = this.id; c.ociVersion = this.ociVersion; c.pid = this.pid; c.pidStart = this.pidStart;
    c.bundle = this.bundle; c.rootfs = this.rootfs; c.created = this.created; c.owner = this.owner;
    c.newPidNs = this.newPidNs; c.annotationKeys = this.annotationKeys; c.annotationValues = this.annotationValues;
    return c;
  }

  toJson(): string {
    const w = new JsonWriter();
    w.beginObject();
    w.kstr("id", this.id).kstr("ociVersion", this.ociVersion).knum("pid", this.pid);
    w.key("pidStart").unum(this.pidStart);
    w.kstr("bundle", this.bundle).kstr("rootfs", this.rootfs).kstr("created", this.created).kstr("owner", this.owner);
    w.kbool("newPidNs", this.newPidNs);
    w.kstrs("cgroupDirs", this.cgroupDirs);
    if (this.startSync) w.kbool("startSync", true);
    if (this.paused) w.kbool("paused", true);
    if (this.freezerDir.length > 0) w.kstr("freezerDir", this.freezerDir);
    if (this.cgroupV2) w.kbool("cgroupV2", true);
    if (this.cgroupAll.length > 0) w.kstrs("cgroupAll", this.cgroupAll);
    if (this.systemdUnit.length > 0) w.kstr("systemdUnit", this.systemdUnit);
    if (this.notifySocket.length > 0) w.kstr("notifySocket", this.notifySocket);
    if (this.seccomp) w.kbool("seccomp", true);
    if (this.seccompListener.length > 0) w.kstr("seccompListener", this.seccompListener).kstr("seccompMetadata", this.seccompMetadata);
    if (this.rdtGroup.length > 0) w.kstr("rdtGroup", this.rdtGroup);
    if (this.rdtCreated) w.kbool("rdtCreated", true);
    if (this.rdtMon.length > 0) w.kstr("rdtMon", this.rdtMon);
    if (this.hostMountRoot.length > 0) { w.kstr("hostMountRoot", this.hostMountRoot); w.key("hostMountBase").unum(this.hostMountBase); }
    if (this.poststart.length > 0) writeHooks(w, "poststart", this.poststart);
    if (this.poststop.length > 0) writeHooks(w, "poststop", this.poststop);
    w.key("annotations").beginObject();
    for (let i = 0; i < this.annotationKeys.length; i++) w.kstr(this.annotationKeys[i], this.annotationValues[i]);
    w.endObject();
    w.endObject();
    return w.toString();
  }

  static fromJson(v: JValue): ContainerState | null {
    if (v.kind != Kind.Object) return null;
    const s = new ContainerState();
    s.id = text(v, "id");
    s.ociVersion = text(v, "ociVersion");
    s.pid = <i32>I64.parseInt(numText(v, "pid"));
    s.pidStart = U64.parseInt(numText(v, "pidStart"));
    s.bundle = text(v, "bundle");
    s.rootfs = text(v, "rootfs");
    s.created = text(v, "created");
    s.owner = text(v, "owner");
    const np = v.get("newPidNs");
    s.newPidNs = np != null && np.bool;
    const cg = v.get("cgroupDirs");
    if (cg != null) for (let i = 0; i < cg.items.length; i++) s.cgroupDirs.push(cg.items[i].text);
    s.notifySocket = text(v, "notifySocket");
    const sc = v.get("seccomp");
    s.seccomp = sc != null && sc.bool;
    s.seccompListener = text(v, "seccompListener");
    s.seccompMetadata = text(v, "seccompMetadata");
    s.freezerDir = text(v, "freezerDir");
    s.rdtGroup = text(v, "rdtGroup");
    const rc = v.get("rdtCreated");
    s.rdtCreated = rc != null && rc.bool;
    s.rdtMon = text(v, "rdtMon");
    s.systemdUnit = text(v, "systemdUnit");
    const ca = v.get("cgroupAll");
    if (ca != null) for (let i = 0; i < ca.items.length; i++) s.cgroupAll.push(ca.items[i].text);
    const pz = v.get("paused");
    s.paused = pz != null && pz.bool;
    const v2 = v.get("cgroupV2");
    s.cgroupV2 = v2 != null && v2.bool;
    const ss = v.get("startSync");
    s.startSync = ss != null && ss.bool;
    s.hostMountRoot = text(v, "hostMountRoot");
    s.hostMountBase = U64.parseInt(numText(v, "hostMountBase"));
    s.poststart = readHooks(v.get("poststart"));
    s.poststop = readHooks(v.get("poststop"));
    const a = v.get("annotations");
    if (a != null && a.kind == Kind.Object) {
      for (let i = 0; i < a.keys.length; i++) {
        s.annotationKeys.push(a.keys[i]);
        s.annotationValues.push(a.items[i].text);
      }
    }
    if (s.id.length == 0 || s.pid <= 0) return null;
    return s;
  }
}

function text(v: JValue, k: string): string {
  const x = v.get(k);
  return x != null && x.kind == Kind.String ? x.text : "";
}

function numText(v: JValue, k: string): string {
  const x = v.get(k);
  return x != null && x.kind == Kind.Number ? x.text : "0";
}
