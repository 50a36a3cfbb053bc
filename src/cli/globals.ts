// Global options (before the verb), as runc accepts them.
import { FlagSpec } from "./flags";
import * as sys from "../sys/syscall";
import { runtimeIsRootless } from "../linux/userns";

export const GLOBAL_FLAGS: FlagSpec[] = [
  new FlagSpec("root", "", true),
  new FlagSpec("log", "", true),
  new FlagSpec("log-format", "", true),
  new FlagSpec("debug", "", false),
  new FlagSpec("systemd-cgroup", "", false),
  new FlagSpec("rootless", "", true),
  new FlagSpec("help", "h", false),
  new FlagSpec("version", "v", false),
];

export class Globals {
  root: string = "/run/tsrun";
  log: string = "";
  logJson: bool = false;
  debug: bool = false;
  systemdCgroup: bool = false;
  rootless: string = "auto";

  // runc's rootless cgroup handling: --rootless true, or auto as a non-root user or as uid 0
  // in a user namespace (cgroupfs driver). A cgroup that cannot be created for lack of
  // permission is then skipped when no limit needs it. Asked only on those paths.
  rootlessCgroups(): bool {
    return this.rootless == "true" || (this.rootless == "auto" && runtimeIsRootless());
  }

  // The same without asking about a user namespace, for the choice made on every create with
  // a cgroupsPath (engines): uid 0 in a user namespace then asks for the accounting cgroups
  // too, which work where delegated and otherwise fail create, as runc's explicit path does.
  rootlessCgroupsByEuid(): bool {
    return this.rootless == "true" || (this.rootless == "auto" && sys.geteuid() != 0);
  }
}
