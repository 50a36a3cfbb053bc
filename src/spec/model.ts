// The typed model of config.json (OCI runtime-spec 1.0.0 .. 1.3.0) that tsrun acts on.
// Built and validated by spec/parse.ts; nothing downstream reads JSON.
import { JValue } from "../json/value";
import { Resources } from "../cgroups/resources";
import { Scheduler } from "./procextra";
import { Seccomp } from "../seccomp/model";
import { IntelRdt } from "../resctrl/schema";

export class User {
  uid: u32 = 0;
  gid: u32 = 0;
  umask: i32 = -1; // -1: unset (keep the inherited umask... runc uses 0022)
  additionalGids: u32[] = [];
}

export class Rlimit {
  constructor(public type: string, public resource: i32, public hard: u64, public soft: u64) {}
}

// Capability sets as bitmasks (bit n = capability n).
export class Capabilities {
  bounding: u64 = 0;
  effective: u64 = 0;
  inheritable: u64 = 0;
  permitted: u64 = 0;
  ambient: u64 = 0;
}

export class Process {
  terminal: bool = false;
  consoleHeight: u32 = 0;
  consoleWidth: u32 = 0;
  user: User = new User();
  args: string[] = [];
  env: string[] = [];
  cwd: string = "/";
  caps: Capabilities = new Capabilities();
  rlimits: Rlimit[] = [];
  noNewPrivileges: bool = false;
  hasOomScoreAdj: bool = false;
  oomScoreAdj: i32 = 0;
  apparmorProfile: string = "";
  scheduler: Scheduler | null = null;
  ioPriority: i32 = -1;            // ioprio_set value, -1: unset
  cpusInitial: Uint64Array | null = null;
  cpusFinal: Uint64Array | null = null;
  selinuxLabel: string = "";
}

export class Mount {
  destination: string = "";
  type: string = "";
  source: string = "";
  options: string[] = [];
  // Derived from options by spec/mountopts.ts.
  flags: u64 = 0;
  clearFlags: u64 = 0;
  propagation: u64 = 0;
  recAttrSet: u64 = 0;
  recAttrClr: u64 = 0;
  data: string = "";
  // Idmapped mount: "idmap"/"ridmap" or uidMappings/gidMappings (mount_setattr MOUNT_ATTR_IDMAP).
  idmap: bool = false;
  idmapRecursive: bool = false;
  uidMappings: IdMapping[] = [];
  gidMappings: IdMapping[] = [];
  // "tmpcopyup" (runc's extension, podman --tmpfs): the tmpfs starts with what the image had there.
  tmpcopyup: bool = false;
}

export class Namespace {
  constructor(public type: string, public flag: i32, public path: string) {}
}

export class IdMapping {
  constructor(public containerID: u32, public hostID: u32, public size: u32) {}
}

export class Device {
  type: string = "";
  path: string = "";
  major: i64 = 0;
  minor: i64 = 0;
  hasFileMode: bool = false;
  fileMode: u32 = 0;
  hasUid: bool = false;
  uid: u32 = 0;
  hasGid: bool = false;
  gid: u32 = 0;
}

export class Hook {
  path: string = "";
  args: string[] = [];
  env: string[] = [];
  hasTimeout: bool = false;
  timeout: i32 = 0;
}

export class Hooks {
  prestart: Hook[] = [];
  createRuntime: Hook[] = [];
  createContainer: Hook[] = [];
  startContainer: Hook[] = [];
  poststart: Hook[] = [];
  poststop: Hook[] = [];
  any(): bool {
    return this.prestart.length + this.createRuntime.length + this.createContainer.length +
      this.startContainer.length + this.poststart.length + this.poststop.length > 0;
  }
}

export class Linux {
  namespaces: Namespace[] = [];
  uidMappings: IdMapping[] = [];
  gidMappings: IdMapping[] = [];
  devices: Device[] = [];
  cgroupsPath: string = "";
  rootfsPropagation: u64 = 0;
  sysctlKeys: string[] = [];
  sysctlValues: string[] = [];
  maskedPaths: string[] = [];
  readonlyPaths: string[] = [];
  mountLabel: string = "";
  // Sections handled by later stages (cgroups, seccomp); null when absent.
  resources: Resources | null = null;
  seccomp: Seccomp | null = null;
  timeOffsets: string = "";        // timens_offsets text, "" when none
  personality: i32 = -1;           // personality(2) value, -1: unchanged
  intelRdt: IntelRdt | null = null;

  nsFlags(): i32 {
    let f = 0;
    for (let i = 0; i < this.namespaces.length; i++) f |= this.namespaces[i].flag;
    return f;
  }

  namespace(type: string): Namespace | null {
    for (let i = 0; i < this.namespaces.length; i++) if (this.namespaces[i].type == type) return this.namespaces[i];
    return null;
  }
}

export class Spec {
  ociVersion: string = "";
  process: Process | null = null;
  rootPath: string = "";
  rootReadonly: bool = false;
  hostname: string = "";
  hasHostname: bool = false;
  domainname: string = "";
  hasDomainname: bool = false;
  mounts: Mount[] = [];
  hooks: Hooks = new Hooks();
  annotationKeys: string[] = [];
  annotationValues: string[] = [];
  linux: Linux = new Linux();
}
