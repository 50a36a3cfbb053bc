// Usage text for `tsrun --help` and `tsrun VERB --help`.
import { BUILD_NAME } from "../features";

export const VERSION_TEXT = "tsrun version 0.1.0\nspec: 1.3.0\nbuild: AssemblyScript -> Wasm -> wasm2c, static, features: " + BUILD_NAME + "\n";

const VERBS: string[] = ["create", "start", "run", "exec", "ps", "pause", "resume", "update", "events", "stats", "state", "kill", "delete", "list", "spec", "features"];
const SUMMARY: string[] = [
  "create a container (init waits for start)",
  "start the user process of a created container",
  "create and start a container (foreground unless --detach)",
  "run a new process in a container",
  "list the processes of a container",
  "freeze every process of a running container",
  "thaw a paused container",
  "change the cgroup limits of a container",
  "print resource usage and OOM events of a container as JSON lines (runc's format)",
  "print the resource usage of a container once, as JSON",
  "print the OCI state of a container",
  "send a signal to a container's init (or every process with --all)",
  "delete a container and everything tsrun created for it",
  "list containers",
  "write a starting config.json",
  "print the OCI features document of this build",
];
const USAGE: string[] = [
  "tsrun create [--bundle|-b DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID",
  "tsrun start ID",
  "tsrun run [--bundle|-b DIR] [--pid-file F] [--console-socket S] [--detach|-d] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID",
  "tsrun exec [--process|-p FILE] [--detach|-d] [--pid-file F] [--cwd DIR] [--env|-e K=V]... [--user|-u UID[:GID]] [--additional-gids|-g G] [--cap CAP]... [--no-new-privs] [--preserve-fds N] ID [COMMAND ARGS...]",
  "tsrun ps [--format|-f table|json] ID [PS-ARGS...]",
  "tsrun pause ID",
  "tsrun resume ID",
  "tsrun update [--resources|-r FILE|-] [--memory B] [--memory-swap B] [--memory-reservation B] [--kernel-memory B]\n" +
  "             [--kernel-memory-tcp B] [--cpu-share N] [--cpu-quota US] [--cpu-period US] [--cpu-rt-runtime US]\n" +
  "             [--cpu-rt-period US] [--cpuset-cpus LIST] [--cpuset-mems LIST] [--pids-limit N] [--blkio-weight N]\n" +
  "             [--l3-cache-schema L3:ID=MASK;...] [--mem-bw-schema MB:ID=N;...] ID\n" +
  "       (--resources: a linux.resources JSON object; 0 or absent = unchanged; B: bytes, with k/m/g/t;\n" +
  "        the schemas: Intel RDT, for a container created with linux.intelRdt)",
  "tsrun events [--stats] [--interval DURATION] ID   (default interval 5s; --stats: one stats event, then exit)",
  "tsrun stats ID",
  "tsrun state ID",
  "tsrun kill [--all|-a] ID [SIGNAL]   (SIGNAL: name with or without SIG, or number; default TERM)",
  "tsrun delete [--force|-f] ID",
  "tsrun list [--format|-f table|json] [--quiet|-q]",
  "tsrun spec [--bundle|-b DIR] [--rootless]",
  "tsrun features",
];

export function usage(): string {
  let s = "tsrun: a small, fast OCI container runtime\n\nusage: tsrun [global options] COMMAND [options] [args]\n\ncommands:\n";
  for (let i = 0; i < VERBS.length; i++) {
    let name = VERBS[i];
    while (name.length < 10) name += " ";
    s += "  " + name + SUMMARY[i] + "\n";
  }
  s += "\nglobal options:\n" +
    "  --root DIR            state directory (default /run/tsrun)\n" +
    "  --log FILE            also write errors to FILE\n" +
    "  --log-format FORMAT   text or json (JSON lines, as containerd reads them)\n" +
    "  --debug               verbose logging\n" +
    "  --systemd-cgroup      systemd cgroup driver: linux.cgroupsPath slice:prefix:name (as root, systemd running)\n" +
    "  --rootless true|false|auto\n" +
    "  --version, -v         print the version\n" +
    "  --help, -h            this text; `tsrun COMMAND --help` for a command\n";
  return s;
}

export function verbUsage(verb: string): string {
  const i = VERBS.indexOf(verb);
  if (i < 0) return usage();
  return "usage: " + USAGE[i] + "\n\n" + SUMMARY[i] + "\n";
}
