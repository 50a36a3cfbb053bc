import { Hook, IdMapping } from "../spec/model";
import { Scheduler } from "../spec/procextra";

// The plan: everything container init has to do, decided in the parent before clone3.
// Init (linux/init.ts) only walks these lists; it parses nothing and makes no decisions.

export const enum MountKind { Fs, Bind, CgroupV1, Cgroup2 }

export class MountOp {
  kind: MountKind = MountKind.Fs;
  source: string = "";
  dest: string = "";        // relative to the rootfs, no leading "/"
  fstype: string = "";
  flags: u64 = 0;           // mount(2) flags for Fs mounts
  data: string = "";
  recursive: bool = false;  // rbind
  attrSet: u64 = 0;         // mount_setattr on the mount itself (binds)
  attrClr: u64 = 0;
  recSet: u64 = 0;          // mount_setattr(AT_RECURSIVE) from r* options
  recClr: u64 = 0;
  propagation: u64 = 0;
  copyUp: bool = false;     // tmpfs "tmpcopyup": filled with the directory's previous content
  isFile: bool = false;     // bind source is not a directory
  missing: bool = false;    // dest is certainly absent: a direct child of a tmpfs mounted fresh
                            // by an earlier entry (see missingOnFreshTmpfs)
  sysfsBind: bool = false;  // sysfs in a user namespace without a network namespace of its own:
                            // the kernel refuses the mount (EPERM), /sys is bound instead
  // cgroup v1: one sub-mount per hierarchy.
  cgroupDirs: string[] = [];
  cgroupData: string[] = [];
  cgroupOwn: string[] = [];       // tsrun's own path in each hierarchy (bound in a user namespace)
  // Idmapped bind: the mappings (or a user namespace to take them from), applied by the
  // parent (the kernel wants CAP_SYS_ADMIN over the source filesystem), which hands init
  // the detached mount as treeFd.
  idmap: bool = false;
  idmapRecursive: bool = false;
  idmapUid: IdMapping[] = [];
  idmapGid: IdMapping[] = [];
  idmapUsernsPath: string = "";
  treeFd: i32 = -1;
  cgroupSources: string[] = [];   // per hierarchy, the cgroup directory bound there (no cgroup namespace)
}

export class DeviceOp {
  bind: bool = false;   // bind-mount the host's /<path> instead of mknod (user namespaces)
  constructor(public path: string, public mode: u32, public dev: u64, public uid: u32, public gid: u32,
    public chown: bool) {}
}

export class NsJoin {
  constructor(public path: string, public flag: i32, public type: string) {}
}

export class Rlim {
  constructor(public resource: i32, public soft: u64, public hard: u64) {}
}

export class Plan {
  cloneFlags: u64 = 0;
  joins: NsJoin[] = [];           // setns in init, user namespace first
  pidJoin: string = "";          // PID namespace to join: setns by the parent before clone3
  waitForParent: bool = false;
  cgroupFd: i32 = -1;            // pure cgroup v2: init is cloned into this cgroup directory
  newUserNs: bool = false;
  // A new cgroup namespace made by init itself once the parent has placed it in its
  // cgroups (its root is where init is then; clone3 would root it in tsrun's cgroup).
  lateCgroupNs: bool = false;
  inUserNs: bool = false;         // a new or a joined user namespace: no mknod, cgroup v1 bound
  // Non-root parent: a map that is not exactly the caller's own id goes through the setuid
  // newuidmap/newgidmap; the own gid written directly needs setgroups "deny" first.
  uidMapTool: bool = false;
  gidMapTool: bool = false;
  denySetgroups: bool = false;
  unshareFlags: u64 = 0;          // namespaces init unshares itself (user namespace case)    // parent writes uid/gid maps before init continues
  rootfs: string = "";
  ownMountNs: bool = true;        // false: the runtime's mount namespace is shared, init chroots
  hostMounts: bool = false;       // no mount namespace, and mounts: init binds rootfs onto itself first
  hostMountBase: u64 = 0;         // the mount holding rootfs before that bind (linux/hostmounts.ts)
  enterRootFd: i32 = -1;          // exec into such a container: init's root, to chroot into
  rootPropagation: u64 = 0;       // linux.rootfsPropagation, applied to / after pivot_root (0: none)
  mounts: MountOp[] = [];
  devDir: bool = false;           // populate /dev with the default nodes and links
  devices: DeviceOp[] = [];
  noPivot: bool = false;
  sysctlPaths: string[] = [];
  sysctlValues: string[] = [];
  maskedPaths: string[] = [];
  readonlyPaths: string[] = [];
  rootReadonly: bool = false;
  setHostname: bool = false;
  hostname: string = "";
  setDomainname: bool = false;
  domainname: string = "";
  oomScoreAdj: string = "";       // "" = leave unchanged
  rlimits: Rlim[] = [];
  uid: u32 = 0;
  gid: u32 = 0;
  groups: u32[] = [];
  setGroups: bool = true;         // false inside a user namespace with setgroups denied
  umask: u32 = 0o022;
  hasCaps: bool = false;
  capDrop: i32[] = [];            // bounding-set capabilities to drop
  capEffective: u64 = 0;
  capPermitted: u64 = 0;
  capInheritable: u64 = 0;
  capAmbient: i32[] = [];
  noNewPrivs: bool = false;
  lsmAttrs: string[] = [];        // /proc/thread-self/attr/<name> to write before exec (linux/lsm.ts)
  lsmValues: string[] = [];
  lsmWhat: string[] = [];
  lsmFds: i32[] = [];             // opened on the host's procfs, written late
  personality: i32 = -1;
  ioPriority: i32 = -1;
  scheduler: Scheduler | null = null;
  cpusInitial: Uint64Array | null = null;  // affinity while setting up
  cpusFinal: Uint64Array | null = null;    // affinity right before execve
  timeOffsets: string = "";       // written by the parent into a new time namespace
  cwd: string = "/";
  createCwd: bool = true;         // init creates a missing cwd (as runc); exec does not
  exeCandidates: string[] = [];   // absolute paths to try, in PATH order
  exeName: string = "";
  argv: i64 = 0;                  // host char*[] for execve
  envp: i64 = 0;
  preserveFds: i32 = 0;           // fds 3 .. 3+preserveFds-1 survive exec
  createContainerHooks: Hook[] = [];  // run by init before pivot_root
  startContainerHooks: Hook[] = [];   // run by init after start, before exec
  hookStates: string[] = ["", ""];    // state JSON for those two, sent by the parent with "go"
  keyring: bool = true;           // join a fresh session keyring named keyringName
  keyringName: string = "";
  closeFds: i32[] = [];           // parent fds init closes first (the state dir lock)
  fifoFd: i32 = -1;
  startFd: i32 = -1;
  consoleFd: i32 = -1;            // connected --console-socket when process.terminal, or -1
  consoleRows: u32 = 0;
  consoleCols: u32 = 0;              // start.fifo (O_RDWR), or -1               // exec.fifo, opened O_RDWR: init blocks reading it
  syncFd: i32 = -1;               // init's end of the socketpair to the parent
  // linux.seccomp, compiled: struct sock_filter[] and seccomp(2) flags. Loaded last before
  // the ready message, or (no_new_privs off) before privileges are dropped.
  seccompProg: ArrayBuffer | null = null;
  seccompFlags: u32 = 0;
  seccompEarly: bool = false;
  listenerFd: i32 = -1;           // the notify listener, once loaded (close-on-exec)
}
