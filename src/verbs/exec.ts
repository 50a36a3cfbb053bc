// exec: run one more process in a created or running container; ps: list its processes.
import { forkProcess, shellStatus } from "../sys/process";
import * as sys from "../sys/syscall";
import { Failure, Result, ok, err, fail, sysFail } from "../errors/failure";
import { Globals } from "../cli/globals";
import { debug } from "../cli/report";
import { print, readFile, readFd, readFileAt, writeString } from "../sys/io";
import { CLONE_NEWUSER, CLONE_NEWNS } from "../linux/consts";
import { apparmorEnabled, selinuxEnabled } from "../linux/lsm";
import { parseJsonBuffer } from "../json/reader";
import { Checker, parseProcess } from "../spec/parse";
import { Process } from "../spec/model";
import { capNumber } from "../spec/caps";
import { Plan } from "../plan/plan";
import { compileProcess } from "../plan/compile";
import { Status } from "../state/status";
import { procStat } from "../state/status";
import { JsonWriter } from "../json/writer";
import { loadContainer, containerPids } from "./common";
import { loadSpec, lastCap, writePidFile } from "./create";
import { forwardedMask, waitForward } from "./run";
import { connectConsole } from "../linux/console";
import { FEATURE_TERMINAL, FEATURE_SECCOMP } from "../features";
import { receiveFd, relayTerminal } from "../linux/relay";
import { relayPair } from "./create";
import { foreignNamespaces, foreignCgroups, enterContainer } from "../linux/enter";
import { joinStrings, words } from "../util/strings";
import { Agent } from "../seccomp/agent";
import { loadSavedFilter } from "../seccomp/persist";
import { SECCOMP_FILE } from "../state/store";
import { stateJson } from "./query";

export class ExecRequest {
  id: string = "";
  processFile: string = "";
  tty: bool = false;
  consoleSocket: string = "";
  detach: bool = false;
  pidFile: string = "";
  cwd: string = "";
  env: string[] = [];
  user: string = "";
  additionalGids: string[] = [];
  caps: string[] = [];
  noNewPrivs: bool = false;
  preserveFds: i32 = 0;
  processLabel: string = "";
  apparmor: string = "";
  ignorePaused: bool = false;
  args: string[] = [];
}

function setEnv(env: string[], kv: string): void {
  const key = kv.substring(0, kv.indexOf("=") + 1);
  for (let i = 0; i < env.length; i++) if (env[i].startsWith(key)) { env[i] = kv; return; }
  env.push(kv);
}

function parseId(s: string, what: string): Result<u32> {
  const n = U32.parseInt(s);
  if (s.length == 0 || s.length > 10 || n.toString() != s) return err<u32>(fail("exec", what, "must be a numeric id, not \"" + s + "\""));
  return ok<u32>(n);
}

// The process to run: process.json (--process), or the container's own process with the
// command line's args and overrides (as runc builds it).
function buildProcess(req: ExecRequest, bundle: string, lc: i32): Result<Process> {
  let proc: Process;
  if (req.processFile.length > 0) {
    const r = readFile(req.processFile);
    if (!r.ok) return err<Process>(r.err!);
    const j = parseJsonBuffer(r.value, req.processFile);
    if (j.err != null) return err<Process>(j.err!);
    const c = new Checker(req.processFile);
    const o = c.object(j.value, "process", true);
    if (o == null) return err<Process>(c.err!);
    proc = parseProcess(c, o!, "process", lc);
    if (c.err != null) return err<Process>(c.err!);
    // As runc: a process.json without LSM labels gets the container's (only looked up
    // where an LSM is enabled: elsewhere the labels are dropped anyway).
    if (proc.apparmorProfile.length == 0 && req.apparmor.length == 0 && apparmorEnabled()) {
      const s = loadSpec(bundle);
      if (s.ok && s.value.process != null) proc.apparmorProfile = s.value.process!.apparmorProfile;
    }
    if (proc.selinuxLabel.length == 0 && req.processLabel.length == 0 && selinuxEnabled()) {
      const s = loadSpec(bundle);
      if (s.ok && s.value.process != null) proc.selinuxLabel = s.value.process!.selinuxLabel;
    }
  } else {
    if (req.args.length == 0) return err<Process>(fail("exec", req.id, "needs a command (or --process FILE)"));
    const s = loadSpec(bundle);
    if (!s.ok) return err<Process>(s.err!);
    proc = s.value.process!;
    proc.args = req.args;
  }
  if (req.cwd.length > 0) {
    if (!req.cwd.startsWith("/")) return err<Process>(fail("exec", "--cwd", "must be an absolute path, not \"" + req.cwd + "\""));
    proc.cwd = req.cwd;
  }
  for (let i = 0; i < req.env.length; i++) {
    if (req.env[i].indexOf("=") <= 0) return err<Process>(fail("exec", "--env", "must be KEY=value, not \"" + req.env[i] + "\""));
    setEnv(proc.env, req.env[i]);
  }
  if (req.user.length > 0) {
    const colon = req.user.indexOf(":");
    const u = parseId(colon < 0 ? req.user : req.user.substring(0, colon), "--user");
    if (!u.ok) return err<Process>(u.err!);
    proc.user.uid = u.value;
    if (colon >= 0) {
      const g = parseId(req.user.substring(colon + 1), "--user");
      if (!g.ok) return err<Process>(g.err!);
      proc.user.gid = g.value;
    }
  }
  for (let i = 0; i < req.additionalGids.length; i++) {
    const g = parseId(req.additionalGids[i], "--additional-gids");
    if (!g.ok) return err<Process>(g.err!);
    proc.user.additionalGids.push(g.value);
  }
  for (let i = 0; i < req.caps.length; i++) {
    const n = capNumber(req.caps[i]);
    if (n < 0) return err<Process>(fail("exec", "--cap", "unknown capability " + req.caps[i]));
    if (n > lc) continue;
    const bit = (<u64>1) << n;
    // Not the inheritable set (CVE-2022-29162), as runc.
    proc.caps.bounding |= bit; proc.caps.effective |= bit; proc.caps.permitted |= bit; proc.caps.ambient |= bit;
  }
  if (req.noNewPrivs) proc.noNewPrivileges = true;
  if (proc.args.length == 0) return err<Process>(fail("exec", req.id, "process.args must not be empty"));
  // What this version cannot do is refused, not ignored.
  if (req.tty) proc.terminal = true;
  if (proc.terminal && !FEATURE_TERMINAL) return err<Process>(fail("exec", "--tty", "terminals are not in this build of tsrun"));
  if (req.consoleSocket.length > 0 && !proc.terminal) return err<Process>(fail("exec", "--console-socket", "needs --tty"));
  if (proc.terminal && req.consoleSocket.length == 0 && req.detach) {
    return err<Process>(fail("exec", "--tty", "a detached exec needs --console-socket"));
  }
  // LSM labels: the flags override the process's (applied, or dropped where the LSM is off).
  if (req.apparmor.length > 0) proc.apparmorProfile = req.apparmor;
  if (req.processLabel.length > 0) proc.selinuxLabel = req.processLabel;
  return ok<Process>(proc);
}

export function exec(g: Globals, req: ExecRequest): Result<i32> {
  const r = loadContainer(g, req.id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return err<i32>(r.err!); }
  const c = r.loaded!;
  if (c.status == Status.Paused && !req.ignorePaused) {
    c.close();
    return err<i32>(fail("exec", req.id, "the container is paused (resume it, or --ignore-paused)"));
  }
  if (c.status != Status.Created && c.status != Status.Running && c.status != Status.Paused) {
    c.close();
    return err<i32>(fail("exec", req.id, "cannot exec in a " + (c.status == Status.Stopped ? "stopped" : "paused") + " container"));
  }
  const lc = lastCap();
  const pr = buildProcess(req, c.state.bundle, lc);
  if (!pr.ok) { c.close(); return err<i32>(pr.err!); }
  const p = new Plan();
  p.rootfs = c.state.rootfs;
  p.createCwd = false; // unlike init's, a missing cwd is an error for exec (as runc)
  compileProcess(p, pr.value, lc, 0, req.preserveFds);
  // The container's seccomp filter applies to every process in it (as runc).
  let agent: Agent | null = null;
  if (FEATURE_SECCOMP && c.state.seccomp) {
    const sf = loadSavedFilter(c.dirfd, p, c.store.dirOf(req.id) + "/" + SECCOMP_FILE);
    if (sf != null) { c.close(); return err<i32>(sf); }
    if (c.state.seccompListener.length > 0) agent = new Agent(c.state.seccompListener, c.state.seccompMetadata, stateJson(c.state, Status.Running, 0));
  }
  let relayEnd: i32 = -1;
  if (FEATURE_TERMINAL && pr.value.terminal) {
    const cs = req.consoleSocket.length > 0 ? connectConsole(req.consoleSocket) : relayPair();
    if (!cs.ok) { c.close(); return err<i32>(cs.err!); }
    if (req.consoleSocket.length == 0) { relayEnd = cs.value >> 16; p.consoleFd = cs.value & 0xffff; }
    else p.consoleFd = cs.value;
    p.consoleRows = pr.value.consoleHeight;
    p.consoleCols = pr.value.consoleWidth;
  }

  // A pidfd pins init; its start time proves it is still the container's.
  const pidfd = sys.pidfdOpen(c.state.pid, 0);
  const ps = procStat(c.state.pid);
  if (pidfd < 0 || ps == null || ps.startTime != c.state.pidStart) {
    if (pidfd >= 0) sys.close(<i32>pidfd);
    c.close();
    return err<i32>(fail("exec", req.id, "container init has exited"));
  }
  const ns = foreignNamespaces(c.state.pid);
  if ((ns & CLONE_NEWNS) == 0) {
    // init shares our mount namespace (it chroot()ed): the process is chroot()ed into
    // init's root too, not left in the host's. The pidfd, still alive after the open,
    // proves /proc/PID was init's.
    const rfd = sys.openat(sys.AT_FDCWD, "/proc/" + c.state.pid.toString() + "/root", sys.O_PATH | sys.O_DIRECTORY | sys.O_CLOEXEC);
    if (rfd < 0 || sys.pidfdSendSignal(<i32>pidfd, 0) < 0) {
      if (rfd >= 0) sys.close(<i32>rfd);
      sys.close(<i32>pidfd);
      c.close();
      return err<i32>(fail("exec", req.id, "container init has exited"));
    }
    p.enterRootFd = <i32>rfd;
  }
  if ((ns & CLONE_NEWUSER) != 0) {
    // A user namespace whose setgroups is "deny" (rootless, own gid only): no setgroups.
    const sg = readFileAt(sys.AT_FDCWD, "/proc/" + c.state.pid.toString() + "/setgroups");
    if (sg.ok && String.UTF8.decode(sg.value).startsWith("deny")) {
      p.setGroups = false;
      if (p.groups.length > 0) {
        sys.close(<i32>pidfd);
        c.close();
        return err<i32>(fail("exec", req.id, "additional gids cannot be set: setgroups is denied in the container's user namespace"));
      }
    }
  }
  const cgroups = foreignCgroups(c.state.pid);
  debug(g, "exec " + req.id + ": namespaces 0x" + ns.toString(16) + ", cgroups " + joinStrings(cgroups, " "));
  const mask = memory.data(8);
  if (!req.detach) {
    store<u64>(mask, forwardedMask());
    sys.sigprocmask(0, mask, 0);
  }
  const er = enterContainer(p, <i32>pidfd, ns, cgroups, agent);
  sys.close(<i32>pidfd);
  if (p.enterRootFd >= 0) sys.close(p.enterRootFd);
  if (p.consoleFd >= 0) sys.close(p.consoleFd);
  c.close();
  if (!er.ok) { if (relayEnd >= 0) sys.close(relayEnd); return err<i32>(er.err!); }
  let master: i32 = -1;
  if (relayEnd >= 0) {
    const m = receiveFd(relayEnd);
    sys.close(relayEnd);
    if (!m.ok) return err<i32>(m.err!);
    master = m.value;
  }
  if (req.pidFile.length > 0) {
    const f = writePidFile(req.pidFile, er.value);
    if (f != null) return err<i32>(f);
  }
  if (req.detach) return ok<i32>(0);
  if (FEATURE_TERMINAL && master >= 0) return ok<i32>(relayTerminal(master, er.value, mask));
  return ok<i32>(waitForward(er.value, mask));
}

// ps: the container's processes. json: an array of host PIDs (what containerd reads);
// table: the host's `ps` output (runc's), filtered to the container's PIDs.
export function ps(g: Globals, id: string, format: string, psArgs: string[]): Failure | null {
  const r = loadContainer(g, id);
  if (r.err != null) { if (r.dirfd >= 0) sys.close(r.dirfd); return r.err; }
  const c = r.loaded!;
  const pids = c.status == Status.Stopped ? new Array<i32>(0) : containerPids(c.state);
  c.close();
  if (format == "json") {
    const w = new JsonWriter();
    w.beginArray();
    for (let i = 0; i < pids.length; i++) w.num(pids[i]);
    w.endArray();
    print(w.toString() + "\n");
    return null;
  }
  return psTable(pids, psArgs.length > 0 ? psArgs : ["-ef"]);
}

// Runs `ps ARGS` on the host, keeps the header and the lines whose PID column is listed.
function psTable(pids: i32[], args: string[]): Failure | null {
  const fds = memory.data(8);
  let rc = sys.pipe2(fds, sys.O_CLOEXEC);
  if (rc < 0) return sysFail("pipe", "ps", rc);
  const rd = load<i32>(fds), wr = load<i32>(fds, 4);
  const argv = sys.cstrArray(["ps"].concat(args));
  const envp = sys.cstrArray(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  const paths = [sys.cstr("/bin/ps"), sys.cstr("/usr/bin/ps")];
  rc = forkProcess(0);
  if (rc == 0) {
    sys.dup3(wr, 1, 0);
    for (let i = 0; i < paths.length; i++) sys.execve(paths[i], argv, envp);
    writeString(2, "tsrun: ps: no ps command on this host\n");
    sys.exit(127);
  }
  sys.close(wr);
  if (rc < 0) { sys.close(rd); return sysFail("fork", "ps", rc); }
  const rr = readFd(rd, "ps output", false);
  sys.close(rd);
  const st = memory.data(8);
  while (sys.wait4(<i32>rc, st, 0) == -4) {}
  const code = shellStatus(load<i32>(st));
  if (code != 0) return fail("ps", joinStrings(args, " "), "failed (exit status " + code.toString() + ")");
  if (!rr.ok) return rr.err;
  const out = String.UTF8.decode(rr.value);
  const lines = out.split("\n");
  if (lines.length == 0) return null;
  const head = words(lines[0]);
  const col = head.indexOf("PID");
  if (col < 0) return fail("ps", joinStrings(args, " "), "output has no PID column");
  const keep: string[] = [lines[0]];
  for (let i = 1; i < lines.length; i++) {
    const f = words(lines[i]);
    if (f.length > col && pids.includes(I32.parseInt(f[col]))) keep.push(lines[i]);
  }
  keep.push("");
  print(joinStrings(keep, "\n"));
  return null;
}

