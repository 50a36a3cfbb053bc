// Command line -> verb. Global flags first, then the verb and its own flags (runc's CLI).
import { processArgs, getenv } from "./argv";
import { FlagSpec, parseFlags, Parsed } from "./flags";
import { GLOBAL_FLAGS, Globals } from "./globals";
import { report, debug } from "./report";
import { usage, verbUsage, VERSION_TEXT } from "./help";
import { print, writeString, letExitCloseFiles } from "../sys/io";
import { Failure, Result, ok, err, fail } from "../errors/failure";
import { CreateRequest, createContainer } from "../verbs/create";
import { start, kill, deleteContainer, pauseResume } from "../verbs/lifecycle";
import { state, list } from "../verbs/query";
import { run as runVerb } from "../verbs/run";
import { spec } from "../verbs/spec";
import { featuresJson } from "../verbs/features";
import { ExecRequest, exec, ps } from "../verbs/exec";
import { update } from "../verbs/update";
import { events, stats } from "../verbs/events";
import * as sys from "../sys/syscall";
import { ensureSealedSelf } from "../linux/selfexec";
import { runtimeInUserNs } from "../linux/userns";
import { FEATURE_EXTRA_VERBS, FEATURE_CGROUPS, BUILD_NAME } from "../features";
import { joinStrings } from "../util/strings";

const CREATE_FLAGS: FlagSpec[] = [
  new FlagSpec("bundle", "b", true), new FlagSpec("pid-file", "", true), new FlagSpec("console-socket", "", true),
  new FlagSpec("no-pivot", "", false), new FlagSpec("no-new-keyring", "", false), new FlagSpec("preserve-fds", "", true),
  new FlagSpec("help", "h", false),
];
const RUN_FLAGS: FlagSpec[] = CREATE_FLAGS.concat([new FlagSpec("detach", "d", false), new FlagSpec("keep", "", false)]);
const KILL_FLAGS: FlagSpec[] = [new FlagSpec("all", "a", false), new FlagSpec("help", "h", false)];
const DELETE_FLAGS: FlagSpec[] = [new FlagSpec("force", "f", false), new FlagSpec("help", "h", false)];
const LIST_FLAGS: FlagSpec[] = [new FlagSpec("format", "f", true), new FlagSpec("quiet", "q", false), new FlagSpec("help", "h", false)];
const SPEC_FLAGS: FlagSpec[] = [new FlagSpec("bundle", "b", true), new FlagSpec("rootless", "", false), new FlagSpec("help", "h", false)];
const EXEC_FLAGS: FlagSpec[] = [
  new FlagSpec("process", "p", true), new FlagSpec("tty", "t", false), new FlagSpec("console-socket", "", true),
  new FlagSpec("detach", "d", false), new FlagSpec("pid-file", "", true), new FlagSpec("cwd", "", true),
  new FlagSpec("env", "e", true, true), new FlagSpec("user", "u", true), new FlagSpec("additional-gids", "g", true, true),
  new FlagSpec("cap", "c", true, true), new FlagSpec("no-new-privs", "", false), new FlagSpec("preserve-fds", "", true),
  new FlagSpec("process-label", "", true), new FlagSpec("apparmor", "", true), new FlagSpec("ignore-paused", "", false),
  new FlagSpec("help", "h", false),
];
const UPDATE_FLAGS: FlagSpec[] = [
  new FlagSpec("resources", "r", true), new FlagSpec("memory", "", true), new FlagSpec("memory-swap", "", true),
  new FlagSpec("memory-reservation", "", true), new FlagSpec("kernel-memory", "", true), new FlagSpec("kernel-memory-tcp", "", true),
  new FlagSpec("cpu-share", "", true), new FlagSpec("cpu-shares", "", true), new FlagSpec("cpu-quota", "", true), new FlagSpec("cpu-period", "", true),
  new FlagSpec("cpu-rt-runtime", "", true), new FlagSpec("cpu-rt-period", "", true), new FlagSpec("cpuset-cpus", "", true),
  new FlagSpec("cpuset-mems", "", true), new FlagSpec("pids-limit", "", true), new FlagSpec("blkio-weight", "", true),
  new FlagSpec("l3-cache-schema", "", true), new FlagSpec("mem-bw-schema", "", true), new FlagSpec("help", "h", false),
];
const EVENTS_FLAGS: FlagSpec[] = [new FlagSpec("stats", "", false), new FlagSpec("interval", "", true), new FlagSpec("help", "h", false)];
const PS_FLAGS: FlagSpec[] = [new FlagSpec("format", "f", true), new FlagSpec("help", "h", false)];
const PLAIN_FLAGS: FlagSpec[] = [new FlagSpec("help", "h", false)];

function flagsFor(verb: string): FlagSpec[] | null {
  if (verb == "create") return CREATE_FLAGS;
  if (verb == "run") return RUN_FLAGS;
  if (verb == "kill") return KILL_FLAGS;
  if (verb == "exec") return EXEC_FLAGS;
  if (verb == "ps") return PS_FLAGS;
  if (verb == "update") return UPDATE_FLAGS;
  if (verb == "events") return EVENTS_FLAGS;
  if (verb == "delete") return DELETE_FLAGS;
  if (verb == "list") return LIST_FLAGS;
  if (verb == "spec") return SPEC_FLAGS;
  if (verb == "start" || verb == "state" || verb == "features" || verb == "pause" || verb == "resume" || verb == "stats") return PLAIN_FLAGS;
  return null;
}

// Exactly `n` positional arguments (the container id, usually).
function positional(p: Parsed, verb: string, min: i32, max: i32): Failure | null {
  const n = p.positional.length;
  if (n < min || n > max) {
    const want = min == max ? min.toString() : min.toString() + " to " + max.toString();
    return fail(verb, "", "expects " + want + " argument(s), got " + n.toString() + " (see tsrun " + verb + " --help)");
  }
  return null;
}

// --systemd-cgroup: checked, never a silent fallback to cgroupfs. systemd runs when
// /run/systemd/system exists (sd_booted(3)'s test). Only the system instance is driven (no
// per-user systemd for rootless containers).
function systemdDriver(): Failure | null {
  if (!FEATURE_CGROUPS) return fail("--systemd-cgroup", "", "cgroups are not in this build of tsrun (" + BUILD_NAME + ")");
  if (sys.faccessat(sys.AT_FDCWD, "/run/systemd/system", 0) != 0) {
    return fail("--systemd-cgroup", "", "systemd is not running on this host (no /run/systemd/system): use the default cgroupfs driver");
  }
  if (sys.geteuid() != 0) {
    return fail("--systemd-cgroup", "", "needs root: rootless containers under a user's systemd (systemdUser) are not supported; use the default cgroupfs driver");
  }
  return null;
}

function preserveFds(p: Parsed): Result<i32> {
  const pf = p.get("preserve-fds", "0");
  const n = I32.parseInt(pf);
  if (n < 0 || n > 65536 || n.toString() != pf) return err<i32>(fail("invalid --preserve-fds", pf, "must be a number of fds"));
  return ok<i32>(n);
}

function execRequest(p: Parsed): Result<ExecRequest> {
  const r = new ExecRequest();
  r.id = p.positional[0];
  r.args = p.positional.slice(1);
  r.processFile = p.get("process");
  r.tty = p.flag("tty");
  r.consoleSocket = p.get("console-socket");
  r.detach = p.flag("detach");
  r.pidFile = p.get("pid-file");
  r.cwd = p.get("cwd");
  r.env = p.all("env");
  r.user = p.get("user");
  const gids = p.all("additional-gids");
  for (let i = 0; i < gids.length; i++) r.additionalGids.push(gids[i]);
  r.caps = p.all("cap");
  r.noNewPrivs = p.flag("no-new-privs");
  r.processLabel = p.get("process-label");
  r.apparmor = p.get("apparmor");
  r.ignorePaused = p.flag("ignore-paused");
  const n = preserveFds(p);
  if (!n.ok) return err<ExecRequest>(n.err!);
  r.preserveFds = n.value;
  return ok<ExecRequest>(r);
}

function createRequest(p: Parsed): Result<CreateRequest> {
  const r = new CreateRequest();
  r.id = p.positional[0];
  r.bundle = p.get("bundle", ".");
  r.pidFile = p.get("pid-file");
  r.consoleSocket = p.get("console-socket");
  r.noPivot = p.flag("no-pivot");
  r.noNewKeyring = p.flag("no-new-keyring");
  const n = preserveFds(p);
  if (!n.ok) return err<CreateRequest>(n.err!);
  r.preserveFds = n.value;
  return ok<CreateRequest>(r);
}

export function run(): i32 {
  const args = processArgs();
  const g = new Globals();
  const gp = parseFlags(args, 1, GLOBAL_FLAGS, "tsrun");
  if (gp.err != null) return report(g, gp.err!);
  const gf = gp.parsed;
  // As runc: a non-root user keeps its state under $XDG_RUNTIME_DIR (e.g. /run/user/UID), so
  // does uid 0 in a user namespace unless $USER is root (the uid_map is read only then).
  const xdg: string | null = gf.has("root") ? null : getenv("XDG_RUNTIME_DIR");
  if (xdg != null && xdg.length > 0 && (sys.geteuid() != 0 || (getenv("USER") != "root" && runtimeInUserNs()))) g.root = xdg + "/tsrun";
  g.root = gf.get("root", g.root);
  g.log = gf.get("log");
  const lf = gf.get("log-format", "text");
  g.logJson = lf == "json";
  g.debug = gf.flag("debug");
  g.systemdCgroup = gf.flag("systemd-cgroup");
  g.rootless = gf.get("rootless", "auto");
  if (lf != "text" && lf != "json") return report(g, fail("invalid --log-format", lf, "must be text or json"));
  if (gf.flag("version")) { print(VERSION_TEXT); return 0; }
  if (gf.positional.length == 0 || gf.flag("help")) { print(usage()); return gf.positional.length == 0 && !gf.flag("help") ? 1 : 0; }
  if (g.rootless != "true" && g.rootless != "false" && g.rootless != "auto") return report(g, fail("invalid --rootless", g.rootless, "must be true, false or auto"));

  const verb = gf.positional[0];
  if ((!FEATURE_EXTRA_VERBS && (verb == "run" || verb == "ps" || verb == "spec" || verb == "features")) ||
    (!FEATURE_CGROUPS && (verb == "pause" || verb == "resume" || verb == "update" || verb == "events" || verb == "stats"))) {
    return report(g, fail("command", "\"" + verb + "\"", "is not in this build of tsrun (" + BUILD_NAME + ")"));
  }
  debug(g, "argv: " + joinStrings(args, " "));
  const specs = flagsFor(verb);
  if (specs == null) return report(g, fail("unknown command", "\"" + verb + "\"", "see tsrun --help"));
  const start0 = args.length - gf.positional.length + 1;
  // exec ID CMD ARGS... and ps ID PS-ARGS...: flags stop at the first positional argument.
  const vp = parseFlags(args, start0, specs!, verb, verb == "exec" || verb == "ps");
  if (vp.err != null) return report(g, vp.err!);
  const p = vp.parsed;
  if (p.flag("help")) { print(verbUsage(verb)); return 0; }
  return dispatch(g, verb, p);
}

function dispatch(g: Globals, verb: string, p: Parsed): i32 {
  let f: Failure | null = null;
  if (verb == "create" || verb == "run" || verb == "start" || verb == "delete" || verb == "kill" || verb == "state") letExitCloseFiles();
  if (verb == "create" || verb == "run") {
    f = positional(p, verb, 1, 1);
    if (f == null && g.systemdCgroup) f = systemdDriver();
    if (f == null) f = ensureSealedSelf();
    if (f != null) return report(g, f);
    const rq = createRequest(p);
    if (!rq.ok) return report(g, rq.err!);
    const req = rq.value;
    if (FEATURE_EXTRA_VERBS && verb == "run") {
      const r = runVerb(g, req, p.flag("detach"), p.flag("keep"));
      if (!r.ok) return report(g, r.err!);
      return r.value;
    }
    const c = createContainer(g, req);
    if (!c.ok) return report(g, c.err!);
    return 0; // the exit closes c.value.dirfd
  }
  if (verb == "exec") {
    if (p.positional.length < 1) return report(g, fail("exec", "", "expects a container id (see tsrun exec --help)"));
    const rq = execRequest(p);
    if (!rq.ok) return report(g, rq.err!);
    let f2 = ensureSealedSelf();
    if (f2 != null) return report(g, f2);
    const r = exec(g, rq.value);
    // A runtime failure of exec exits 255, as runc's does (engines tell it from the process's
    // own status, which passes through).
    if (!r.ok) { report(g, r.err!); return 255; }
    return r.value;
  }
  if (FEATURE_EXTRA_VERBS && verb == "ps") {
    f = p.positional.length < 1 ? fail("ps", "", "expects a container id (see tsrun ps --help)") : null;
    const fmt = p.get("format", "table");
    if (f == null && fmt != "table" && fmt != "json") f = fail("ps", "", "invalid --format \"" + fmt + "\" (table or json)");
    if (f == null) f = ps(g, p.positional[0], fmt, p.positional.slice(1));
  } else if (FEATURE_CGROUPS && verb == "update") {
    f = positional(p, verb, 1, 1);
    if (f == null) f = update(g, p.positional[0], p);
  } else if (FEATURE_CGROUPS && verb == "events") {
    f = positional(p, verb, 1, 1);
    if (f == null) f = events(g, p.positional[0], p.flag("stats"), p.get("interval", "5s"));
  } else if (FEATURE_CGROUPS && verb == "stats") {
    f = positional(p, verb, 1, 1);
    if (f == null) f = stats(g, p.positional[0]);
  } else if (FEATURE_CGROUPS && (verb == "pause" || verb == "resume")) {
    f = positional(p, verb, 1, 1);
    if (f == null) f = pauseResume(g, p.positional[0], verb == "pause");
  } else if (verb == "start" || verb == "state") {
    f = positional(p, verb, 1, 1);
    if (f == null) f = verb == "start" ? start(g, p.positional[0]) : state(g, p.positional[0]);
  } else if (verb == "kill") {
    f = positional(p, verb, 1, 2);
    if (f == null) f = kill(g, p.positional[0], p.positional.length > 1 ? p.positional[1] : "TERM", p.flag("all"));
  } else if (verb == "delete") {
    f = positional(p, verb, 1, 1);
    if (f == null) f = deleteContainer(g, p.positional[0], p.flag("force"));
  } else if (verb == "list") {
    f = positional(p, verb, 0, 0);
    const fmt = p.get("format", "table");
    if (f == null && fmt != "table" && fmt != "json") f = fail("list", "", "invalid --format \"" + fmt + "\" (table or json)");
    if (f == null) f = list(g, fmt, p.flag("quiet"));
  } else if (FEATURE_EXTRA_VERBS && verb == "spec") {
    f = positional(p, verb, 0, 0);
    if (f == null) f = spec(p.get("bundle", ""), p.flag("rootless"));
  } else if (FEATURE_EXTRA_VERBS && verb == "features") {
    f = positional(p, verb, 0, 0);
    if (f == null) print(featuresJson() + "\n");
  } else {
    f = fail("command", "\"" + verb + "\"", "is not in this build of tsrun (" + BUILD_NAME + ")");
  }
  if (f != null) return report(g, f);
  return 0;
}
