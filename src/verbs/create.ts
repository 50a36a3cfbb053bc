// create: validate everything, compile the plan, clone3 into init, record state, return
// with init blocked on exec.fifo.
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, sysFail, fail } from "../errors/failure";
import { ENOENT, EINVAL, EACCES, EPERM, EROFS } from "../errors/errno";
import { readFile, writeFileAtomic } from "../sys/io";
import { parseJsonBuffer } from "../json/reader";
import { parseSpec } from "../spec/parse";
import { Spec } from "../spec/model";
import { compile, CreateOptions, bindContainerCgroups } from "../plan/compile";
import { Plan } from "../plan/plan";
import { Store, validateId, FIFO, START_FIFO } from "../state/store";
import { ContainerState } from "../state/container";
import { procStat } from "../state/status";
import { mountIdOf } from "../linux/hostmounts";
import { releaseHeld } from "./release";
import { spawnInit, releaseInit, awaitInit, killInit, Child } from "../linux/spawn";
import { CLONE_NEWPID, CLONE_NEWCGROUP, PR_CAPBSET_READ } from "../linux/consts";
import { Globals } from "../cli/globals";
import { getenv } from "../cli/argv";
import { nowRfc3339 } from "../util/time";
import { FEATURE_CGROUPS, FEATURE_HOOKS, FEATURE_TERMINAL, FEATURE_SECCOMP } from "../features";
import { runHooks, runHook } from "../hooks/run";
import { warn, debug } from "../cli/report";
import { connectConsole } from "../linux/console";
import { receiveFd } from "../linux/relay";
import { NOTIFY_DIR, NOTIFY_IN_CONTAINER } from "../linux/notify";
import { MountOp, MountKind } from "../plan/plan";
import { MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NODEV } from "../spec/mountopts";

// A socketpair standing in for --console-socket: (ours << 16) | init's.
export function relayPair(): Result<i32> {
  const fds = memory.data(8);
  const rc = sys.socketpair(1, 1 | sys.O_CLOEXEC, 0, fds);
  if (rc < 0) return err<i32>(sysFail("socketpair", "terminal", rc));
  return ok<i32>((load<i32>(fds) << 16) | load<i32>(fds, 4));
}
import { stateJson } from "./query";
import { Status } from "../state/status";
import { CgroupPlan, planCgroups, applyCgroups, removeCgroups, oomKilled } from "../cgroups/manager";
import { Resources } from "../cgroups/resources";
import { joinStrings } from "../util/strings";
import { Agent } from "../seccomp/agent";
import { saveFilter } from "../seccomp/persist";
import { SECCOMP_FILE } from "../state/store";
import { RdtPlan, planRdt, applyRdt } from "../resctrl/manager";
import { UnitPlan, unitFor } from "../systemd/unit";
import { startUnit } from "../systemd/manager";

export class CreateRequest {
  id: string = "";
  bundle: string = ".";
  pidFile: string = "";
  consoleSocket: string = "";
  noPivot: bool = false;
  noNewKeyring: bool = false;
  preserveFds: i32 = 0;
  // Foreground `run` without --console-socket: tsrun relays the terminal itself.
  relayTerminal: bool = false;
  // Rootless (runc's rule): cgroups that cannot be created for lack of permission are
  // skipped when the config sets no cgroupsPath and no limit (device rules aside).
  skipCgroupPermission: bool = false;
  globals: Globals | null = null;
  unit: UnitPlan | null = null;   // --systemd-cgroup: the container's systemd unit
}

class FdBox { fd: i32 = -1; }

export class Created {
  masterFd: i32 = -1;   // the pty master, when tsrun relays the terminal
  constructor(public store: Store, public dirfd: i32, public state: ContainerState) {}
}

export function cwd(): string {
  const buf = memory.data(4096);
  const n = sys.getcwd(buf, 4096);
  return n > 0 ? String.UTF8.decodeUnsafe(buf, <usize>n - 1) : "/";
}

export function absolutePath(p: string): string {
  if (p.startsWith("/")) return p;
  const c = cwd();
  if (p == ".") return c;
  return (c == "/" ? "" : c) + "/" + p;
}

// Highest capability number this kernel knows (prctl(PR_CAPBSET_READ) is EINVAL beyond it).
// Starts at CAP_CHECKPOINT_RESTORE (40, Linux 5.9): one or two prctl calls on current kernels.
let cachedLastCap: i32 = -1;
export function lastCap(): i32 {
  if (cachedLastCap >= 0) return cachedLastCap;
  let c = 40;
  if (sys.prctl(PR_CAPBSET_READ, c, 0, 0, 0) == -EINVAL) {
    while (c > 0 && sys.prctl(PR_CAPBSET_READ, c - 1, 0, 0, 0) == -EINVAL) c--;
    c--;
  } else {
    while (c < 63 && sys.prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) != -EINVAL) c++;
  }
  cachedLastCap = c;
  return c;
}

export function loadSpec(bundle: string): Result<Spec> {
  const path = bundle + "/config.json";
  const r = readFile(path);
  if (!r.ok) {
    if (r.err!.errno == ENOENT) {
      const st = memory.data(144);
      if (sys.fstatat(sys.AT_FDCWD, bundle, st, 0) < 0) return err<Spec>(fail("bundle", bundle, "does not exist"));
    }
    return err<Spec>(r.err!);
  }
  const j = parseJsonBuffer(r.value, path);
  if (j.err != null) return err<Spec>(j.err!);
  // Capabilities above the highest in the OCI list are impossible; 40 is enough to parse
  // and lastCap() refines which ones the kernel supports.
  return parseSpec(j.value!, lastCap());
}

// Socket activation: fds 3..3+LISTEN_FDS-1 are passed on when LISTEN_PID is this process.
function listenFds(): i32 {
  const pid = getenv("LISTEN_PID");
  const n = getenv("LISTEN_FDS");
  if (pid == null || n == null) return 0;
  if (I32.parseInt(pid) != sys.getpid()) return 0;
  const k = I32.parseInt(n);
  return k > 0 && k < 1024 ? k : 0;
}

export function writePidFile(path: string, pid: i32): Failure | null {
  const abs = absolutePath(path);
  const slash = abs.lastIndexOf("/");
  const dir = slash == 0 ? "/" : abs.substring(0, slash);
  const dirfd = sys.openat(sys.AT_FDCWD, dir, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
  if (dirfd < 0) return sysFail("open pid file directory", dir, dirfd);
  const f = writeFileAtomic(<i32>dirfd, abs.substring(slash + 1), pid.toString(), abs);
  sys.close(<i32>dirfd);
  return f;
}

// Everything up to and including init being ready. On failure nothing is left behind.
export function createContainer(g: Globals, req: CreateRequest): Result<Created> {
  const bad = validateId(req.id);
  if (bad != null) return err<Created>(bad);
  const bundle = absolutePath(req.bundle);
  const sr = loadSpec(bundle);
  if (!sr.ok) return err<Created>(sr.err!);
  const spec = sr.value;
  if (spec.process == null) return err<Created>(fail("config.json", "", "process: is required to create a container"));
  const proc = spec.process!;
  if (proc.terminal && req.consoleSocket.length == 0 && !req.relayTerminal) {
    return err<Created>(fail("config.json", "", "process.terminal: a detached container needs --console-socket"));
  }
  // sd_notify pass-through (runc's): the container's own socket, bound in `start`.
  const notifyHost = getenv("NOTIFY_SOCKET");
  if (notifyHost != null && notifyHost.length > 0) proc.env.push("NOTIFY_SOCKET=" + NOTIFY_IN_CONTAINER);
  const opts = new CreateOptions();
  opts.bundle = bundle;
  opts.noPivot = req.noPivot;
  opts.preserveFds = req.preserveFds;
  opts.listenFds = listenFds();
  const pr = compile(spec, opts, lastCap());
  if (!pr.ok) return err<Created>(pr.err!);
  const plan = pr.value;
  const sc = spec.linux.seccomp;
  if (sc != null && sc.notify) {
    // The agent must be there before anything is created (connected to after the clone).
    const st = memory.data(144);
    const rc = sys.fstatat(sys.AT_FDCWD, sc.listenerPath, st, 0);
    if (rc < 0) return err<Created>(sysFail("linux.seccomp.listenerPath", sc.listenerPath, rc));
    if ((load<u32>(st, 24) & sys.S_IFMT) != sys.S_IFSOCK) return err<Created>(fail("linux.seccomp.listenerPath", sc.listenerPath, "is not a socket"));
  }

  let cg: CgroupPlan | null = null;
  if (FEATURE_CGROUPS) {
    const res = spec.linux.resources != null ? spec.linux.resources! : new Resources();
    req.skipCgroupPermission = spec.linux.cgroupsPath.length == 0 && res.writes.length == 0 && !g.systemdCgroup;
    // (rootless: only what is delegated, as runc; accounting cgroups would not be)
    res.accounting = spec.linux.cgroupsPath.length > 0 && !g.rootlessCgroupsByEuid();
    req.globals = g;
    if (g.systemdCgroup) {
      const ur = unitFor(spec.linux.cgroupsPath, req.id);
      if (!ur.ok) return err<Created>(ur.err!);
      req.unit = ur.value;
    }
    const cr = planCgroups(res, spec.linux.cgroupsPath, req.id, req.unit != null ? req.unit!.path : "");
    if (!cr.ok) return err<Created>(cr.err!);
    cg = cr.value;
    if (req.unit != null) cg!.systemdUnit = req.unit!.unit;
    // Init waits until it is in its cgroups: limits hold before it does anything. (The
    // freezer alone needs no wait: it only has to be in place before `start`; on pure v2
    // init is born in its cgroup — but a systemd scope takes an existing pid.)
    if ((spec.linux.resources != null && !cg!.v2) || req.unit != null) plan.waitForParent = true;
    if (!plan.inUserNs && (plan.cloneFlags & CLONE_NEWCGROUP) == 0) {
      const paths: string[] = [];
      for (let i = 0; i < cg!.dirs.length; i++) paths.push(cg!.dirs[i].path);
      bindContainerCgroups(plan, paths);
    }
    // A new cgroup namespace must be rooted in the container's cgroup: unless clone3 places
    // init there (pure v2, cgroupfs), init makes the namespace after the parent moved it.
    if ((plan.cloneFlags & CLONE_NEWCGROUP) != 0 && !plan.inUserNs && (!cg!.v2 || req.unit != null) && cg!.dirs.length > 0) {
      plan.cloneFlags &= ~CLONE_NEWCGROUP;
      plan.lateCgroupNs = true;
      plan.waitForParent = true;
    }
  }

  // linux.intelRdt: resctrl found and the request checked before anything exists.
  let rdt: RdtPlan | null = null;
  if (FEATURE_CGROUPS && spec.linux.intelRdt != null) {
    const rr = planRdt(spec.linux.intelRdt!, req.id);
    if (!rr.ok) return err<Created>(rr.err!);
    rdt = rr.value;
  }

  debug(g, "create " + req.id + ": bundle " + bundle + ", clone3 flags 0x" + plan.cloneFlags.toString(16) +
    ", " + plan.mounts.length.toString() + " mounts, " + plan.devices.length.toString() + " devices" +
    (cg != null ? ", cgroups " + joinStrings(cgroupPaths(cg!), " ") : ""));
  if (FEATURE_SECCOMP && sc != null) debug(g, "create " + req.id + ": seccomp filter of " + (plan.seccompProg!.byteLength >> 3).toString() +
    " instructions for " + sc.rules.length.toString() + " rules (" + sc.unknownNames.toString() + " unknown names ignored), flags 0x" +
    plan.seccompFlags.toString(16));
  const so = Store.open(g.root, true);
  if (!so.ok) return err<Created>(so.err!);
  const store = so.value;
  const dr = store.createDir(req.id);
  if (!dr.ok) return err<Created>(dr.err!);
  const dirfd = dr.value;
  if (notifyHost != null && notifyHost.length > 0) {
    const rc = sys.mkdirat(dirfd, NOTIFY_DIR, 0o755);
    if (rc < 0) { store.remove(req.id, dirfd); sys.close(dirfd); return err<Created>(sysFail("mkdir", store.dirOf(req.id) + "/" + NOTIFY_DIR, rc)); }
    const m = new MountOp();
    m.kind = MountKind.Bind;
    m.source = store.dirOf(req.id) + "/" + NOTIFY_DIR;
    m.dest = "run/notify";
    m.attrSet = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV;
    plan.mounts.push(m);
  }
  if (!plan.ownMountNs && plan.mounts.length > 0) {
    // Mounts in the host's namespace: the mount under root.path is recorded (state.json,
    // before init is released) so even a create killed midway can be undone by delete.
    const base = mountIdOf(plan.rootfs);
    if (!base.ok) { store.remove(req.id, dirfd); sys.close(dirfd); return err<Created>(base.err!.within("root.path")); }
    plan.hostMounts = true;
    plan.hostMountBase = base.value;
    plan.waitForParent = true;
  }

  const master = new FdBox();
  const f = startInit(store, dirfd, req, spec, plan, bundle, cg, rdt, master);
  if (!f.ok) {
    // Poststop hooks run after a failed create too (runtime-spec lifecycle steps 12-13).
    const st = new ContainerState();
    st.id = req.id; st.ociVersion = spec.ociVersion; st.bundle = bundle; st.rootfs = plan.rootfs;
    st.annotationKeys = spec.annotationKeys; st.annotationValues = spec.annotationValues;
    const json = stateJson(st, Status.Stopped, 0);
    for (let i = 0; FEATURE_HOOKS && i < spec.hooks.poststop.length; i++) {
      const hf = runHook("poststop", spec.hooks.poststop[i], json);
      if (hf != null) warn(g, hf.message());
    }
    store.remove(req.id, dirfd);
    sys.close(dirfd);
    return err<Created>(f.err!);
  }
  if (req.pidFile.length > 0) {
    const pf = writePidFile(req.pidFile, f.value.pid);
    if (pf != null) {
      killInit(f.value.pid);
      releaseHeld(f.value, null, true);
      store.remove(req.id, dirfd);
      sys.close(dirfd);
      return err<Created>(pf);
    }
  }
  debug(g, "create " + req.id + ": init " + f.value.pid.toString() + " ready, blocked on " + FIFO);
  const created = new Created(store, dirfd, f.value);
  created.masterFd = master.fd;
  return ok<Created>(created);
}

// Same strings, in any order.
function sameList(a: string[], b: string[]): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (!b.includes(a[i])) return false;
  return true;
}

// The container's own cgroup directories (the leaves).
function cgroupPaths(cg: CgroupPlan): string[] {
  const out: string[] = [];
  for (let i = 0; i < cg.dirs.length; i++) out.push(cg.dirs[i].path);
  return out;
}

function startInit(store: Store, dirfd: i32, req: CreateRequest, spec: Spec, plan: Plan, bundle: string, cg: CgroupPlan | null, rdt: RdtPlan | null, masterOut: FdBox): Result<ContainerState> {
  let rc = sys.mknodat(dirfd, FIFO, sys.S_IFIFO | 0o622, 0);
  if (rc < 0) return err<ContainerState>(sysFail("mkfifo", store.dirOf(req.id) + "/" + FIFO, rc));
  const fifo = sys.openat(dirfd, FIFO, sys.O_RDWR | sys.O_CLOEXEC);
  if (fifo < 0) return err<ContainerState>(sysFail("open", store.dirOf(req.id) + "/" + FIFO, fifo));
  plan.fifoFd = <i32>fifo;
  let startFifo: i64 = -1;
  if (spec.hooks.startContainer.length > 0 || spec.hooks.poststart.length > 0) {
    rc = sys.mknodat(dirfd, START_FIFO, sys.S_IFIFO | 0o600, 0);
    if (rc == 0) startFifo = sys.openat(dirfd, START_FIFO, sys.O_RDWR | sys.O_CLOEXEC);
    if (rc < 0 || startFifo < 0) { sys.close(<i32>fifo); return err<ContainerState>(sysFail("mkfifo", store.dirOf(req.id) + "/" + START_FIFO, rc < 0 ? rc : startFifo)); }
    plan.startFd = <i32>startFifo;
  }
  plan.closeFds = [dirfd, store.rootfd];
  plan.keyring = !req.noNewKeyring;
  plan.keyringName = "_ses." + req.id;

  let relayEnd: i32 = -1;
  if (FEATURE_TERMINAL && spec.process!.terminal) {
    const cs = req.consoleSocket.length > 0 ? connectConsole(req.consoleSocket) : relayPair();
    if (!cs.ok) { sys.close(<i32>fifo); if (startFifo >= 0) sys.close(<i32>startFifo); return err<ContainerState>(cs.err!); }
    if (req.consoleSocket.length == 0) { relayEnd = cs.value >> 16; plan.consoleFd = cs.value & 0xffff; }
    else plan.consoleFd = cs.value;
    plan.consoleRows = spec.process!.consoleHeight;
    plan.consoleCols = spec.process!.consoleWidth;
  }
  // Pure cgroup v2: the cgroup is made and limited first; clone3 places init in it.
  let cf: Failure | null = null;
  if (FEATURE_SECCOMP && plan.seccompProg != null) cf = saveFilter(dirfd, plan, store.dirOf(req.id) + "/" + SECCOMP_FILE);
  if (cf == null && cg != null && cg!.v2 && req.unit == null) {
    // Recorded first (init pid 0: "stopped"), so a create killed meanwhile leaves a state
    // whose `delete --force` removes the cgroup.
    const pre = new ContainerState();
    pre.id = req.id; pre.ociVersion = spec.ociVersion; pre.bundle = bundle; pre.rootfs = plan.rootfs;
    pre.cgroupDirs = cgroupPaths(cg!); pre.cgroupAll = cg!.allDirs; pre.freezerDir = cg!.freezerDir; pre.cgroupV2 = true;
    cf = store.save(dirfd, pre);
    if (cf == null) cf = applyCgroups(cg!, 0);
    plan.cgroupFd = cg!.intoFd;
    if (cf != null && req.skipCgroupPermission && (cf!.errno == EACCES || cf!.errno == EPERM || cf!.errno == EROFS) && req.globals != null && req.globals!.rootlessCgroups()) {
      removeCgroups(cg!.created);
      cg!.created = [];
      cg!.freezerDir = "";
      cg!.allDirs = [];
      cg!.v2 = false;
      cg!.dirs = [];
      cf = null;
    }
  }
  const cr = cf == null ? spawnInit(plan) : err<Child>(cf!);
  if (plan.cgroupFd >= 0) sys.close(plan.cgroupFd);
  if (plan.consoleFd >= 0) sys.close(plan.consoleFd);
  sys.close(<i32>fifo);
  if (startFifo >= 0) sys.close(<i32>startFifo);
  if (!cr.ok) {
    if (cg != null) removeCgroups(cg!.created);
    return err<ContainerState>(cr.err!);
  }
  const child = cr.value;

  const st = new ContainerState();
  st.id = req.id;
  st.ociVersion = spec.ociVersion;
  st.pid = child.pid;
  const ps = procStat(child.pid);
  st.pidStart = ps != null ? ps.startTime : 0;
  st.bundle = bundle;
  st.rootfs = plan.rootfs;
  st.created = nowRfc3339();
  st.newPidNs = (plan.cloneFlags & CLONE_NEWPID) != 0;
  st.annotationKeys = spec.annotationKeys;
  st.annotationValues = spec.annotationValues;

  st.poststart = spec.hooks.poststart;
  st.startSync = startFifo >= 0;
  const nh = getenv("NOTIFY_SOCKET");
  st.notifySocket = nh != null ? nh : "";
  st.poststop = spec.hooks.poststop;
  const sc = spec.linux.seccomp;
  let agent: Agent | null = null;
  if (sc != null) {
    st.seccomp = true;
    if (sc.notify) {
      st.seccompListener = sc.listenerPath;
      st.seccompMetadata = sc.listenerMetadata;
      agent = new Agent(sc.listenerPath, sc.listenerMetadata, stateJson(st, Status.Creating, 0));
    }
  }
  // Recorded before any cgroup is made and before init is released: a create killed from
  // here on leaves a state that `delete --force` can clean up (init dies with us until it is
  // ready). The cgroup leaves are recorded as ours up front; the exact list of directories
  // made (parents too, not a leaf that already existed) is saved again only if it differs.
  let f: Failure | null = null;
  if (cg != null) {
    st.cgroupDirs = cgroupPaths(cg!);
    st.freezerDir = cg!.freezerDir;
    st.cgroupAll = cg!.allDirs;
    st.cgroupV2 = cg!.v2;
    st.systemdUnit = cg!.systemdUnit;
  }
  if (plan.hostMounts) { st.hostMountRoot = plan.rootfs; st.hostMountBase = plan.hostMountBase; }
  if (rdt != null) { st.rdtGroup = rdt!.group; st.rdtCreated = !rdt!.exists; st.rdtMon = rdt!.mon; }
  f = store.save(dirfd, st);
  // systemd driver: the unit is made with init's pid in it, then the cgroupfs code writes
  // every limit into its cgroup (and makes the v1 ones systemd does not manage), as runc.
  let unitStarted = false;
  if (FEATURE_CGROUPS && f == null && req.unit != null) {
    f = startUnit(req.unit!, req.id, child.pid, cg!.dirs);
    unitStarted = f == null;
  }
  if (f == null && cg != null) {
    if (!cg!.v2 || req.unit != null) f = applyCgroups(cg!, child.pid);  // pure v2: made before the clone
    let same = sameList(cg!.created, cgroupPaths(cg!));
    if (f != null && req.skipCgroupPermission && (f!.errno == EACCES || f!.errno == EPERM || f!.errno == EROFS) && req.globals != null && req.globals!.rootlessCgroups()) {
      // rootless without a delegated cgroup: run without one (as runc)
      removeCgroups(cg!.created);
      cg!.created = [];
      st.freezerDir = "";
      st.cgroupAll = [];
      same = false;
      f = null;
    }
    st.cgroupDirs = cg!.created;
    if (f == null && !same) f = store.save(dirfd, st);
  }
  if (FEATURE_CGROUPS && f == null && rdt != null) {
    f = applyRdt(rdt!, child.pid);
    // (a group made by someone else meanwhile is not ours to remove)
    if (st.rdtCreated != rdt!.created) { st.rdtCreated = rdt!.created; if (f == null) f = store.save(dirfd, st); }
  }
  if (FEATURE_HOOKS && f == null && (spec.hooks.prestart.length > 0 || spec.hooks.createRuntime.length > 0)) {
    const creating = stateJson(st, Status.Creating, 0);
    f = runHooks("prestart", spec.hooks.prestart, creating);
    if (f == null) f = runHooks("createRuntime", spec.hooks.createRuntime, creating);
  }
  if (FEATURE_HOOKS && f == null && (plan.createContainerHooks.length > 0 || plan.startContainerHooks.length > 0)) {
    // Hooks run inside the container see init's pid as the container sees it.
    const inner = st.clone();
    if (st.newPidNs) inner.pid = 1;
    plan.hookStates = [stateJson(inner, Status.Creating, 0), stateJson(inner, Status.Created, 0)];
    if (plan.hookStates[0].length + plan.hookStates[1].length > 60000) {
      f = fail("createContainer/startContainer hooks", "", "the container state (annotations) is too large to hand to them");
    }
  }
  if (f == null) f = releaseInit(child, plan, spec.linux.uidMappings, spec.linux.gidMappings);
  if (f == null) f = awaitInit(child, agent);
  if (FEATURE_TERMINAL && f == null && relayEnd >= 0) {
    const m = receiveFd(relayEnd);
    if (m.ok) masterOut.fd = m.value;
    else f = m.err;
  }
  if (relayEnd >= 0) sys.close(relayEnd);
  if (f != null) {
    killInit(child.pid);
    // An init that died silently under a memory limit: say why.
    if (cg != null && f!.why == "exited before it was ready" && oomKilled(cg!.dirs)) {
      f = fail("container init", "", "was killed by the OOM killer before it was ready: linux.resources.memory.limit is too low");
    }
    // What was made so far, released as delete does.
    if (!unitStarted) st.systemdUnit = "";
    if (cg != null) st.cgroupDirs = cg!.created;
    if (rdt != null) st.rdtCreated = rdt!.created;
    releaseHeld(st, null, true);
    return err<ContainerState>(f!);
  }
  return ok<ContainerState>(st);
}
