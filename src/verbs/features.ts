// `features`: what this build of tsrun recognises and supports (runtime-spec features.md).
// Every value is tied to what the code does: lists come from the same tables the parser uses.
import { JsonWriter } from "../json/writer";
import { CAP_NAMES } from "../spec/caps";
import { OCI_VERSION } from "./query";
import { actionNames, operatorNames, archNames, flagNames } from "../seccomp/parse";
import { FLAG_TSYNC, FLAG_LOG, FLAG_SPEC_ALLOW, FLAG_WAIT_KILLABLE_RECV, FLAG_NEW_LISTENER } from "../seccomp/model";
import * as sys from "../sys/syscall";
import { FEATURE_CGROUPS } from "../features";


// The flags this kernel takes: seccomp(SET_MODE_FILTER, flag, NULL) fails with EFAULT
// (reading the program) only once the flag itself was accepted (EINVAL otherwise).
function supportedFlags(): string[] {
  const out: string[] = [];
  const names = flagNames(), values: StaticArray<u32> = [FLAG_TSYNC, FLAG_LOG, FLAG_SPEC_ALLOW, FLAG_WAIT_KILLABLE_RECV];
  for (let i = 0; i < names.length; i++) {
    let f = values[i];
    if (f == FLAG_WAIT_KILLABLE_RECV) f |= FLAG_NEW_LISTENER;
    if (sys.sys6Raw(317 /* seccomp */, 1, f, 0, 0, 0, 0) == -14 /* EFAULT */) out.push(names[i]);
  }
  return out;
}

function inOrder(a: StaticArray<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) out.push(a[i]);
  return out;
}

function sorted(a: StaticArray<string>): string[] { return inOrder(a).sort(); }

const NAMESPACES = ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"];
const MOUNT_OPTIONS = ["async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
  "idmap", "iversion", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
  "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime",
  "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime",
  "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime",
  "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
  "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "unbindable"];

export function featuresJson(): string {
  const w = new JsonWriter(4);
  w.beginObject();
  w.kstr("ociVersionMin", "1.0.0");
  w.kstr("ociVersionMax", OCI_VERSION);
  w.kstrs("hooks", ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
  w.kstrs("mountOptions", MOUNT_OPTIONS);
  w.key("linux").beginObject();
  w.kstrs("namespaces", NAMESPACES);
  w.kstrs("capabilities", CAP_NAMES);
  w.key("cgroup").beginObject()
    .kbool("v1", true).kbool("v2", true).kbool("systemd", FEATURE_CGROUPS).kbool("systemdUser", false).kbool("rdma", true)
    .endObject();
  w.key("seccomp").beginObject().kbool("enabled", true).kstrs("actions", sorted(actionNames())).kstrs("operators", sorted(operatorNames()))
    .kstrs("archs", sorted(archNames())).kstrs("knownFlags", inOrder(flagNames())).kstrs("supportedFlags", supportedFlags()).endObject();
  // Supported by this runtime (applied where the host enables the LSM; see linux/lsm.ts).
  w.key("apparmor").beginObject().kbool("enabled", true).endObject();
  w.key("selinux").beginObject().kbool("enabled", true).endObject();
  // Supported by this runtime (needs a mounted resctrl at create; see resctrl/manager.ts).
  w.key("intelRdt").beginObject().kbool("enabled", true).kbool("schemata", true).kbool("monitoring", true).endObject();
  w.key("memoryPolicy").beginObject().kstrs("modes", []).kstrs("flags", []).endObject();
  w.key("mountExtensions").beginObject().key("idmap").beginObject().kbool("enabled", true).endObject().endObject();
  w.key("netDevices").beginObject().kbool("enabled", false).endObject();
  w.endObject();
  w.key("annotations").beginObject()
    .kstr("io.github.tsrun.version", "0.1.0")
    .kstr("io.github.tsrun.build", "assemblyscript+wasm2c, static musl")
    .endObject();
  w.kstrs("potentiallyUnsafeConfigAnnotations", []);
  w.endObject();
  return w.toString();
}
