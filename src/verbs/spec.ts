// `spec`: writes a starting config.json (runc's defaults, adjusted to what tsrun runs).
import * as sys from "../sys/syscall";
import { Failure, fail, sysFail } from "../errors/failure";
import { JsonWriter } from "../json/writer";
import { writeFileAt } from "../sys/io";
import { OCI_VERSION } from "./query";

const CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
const MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"];
const READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

function mount(w: JsonWriter, dest: string, type: string, source: string, options: string[]): void {
  w.beginObject().kstr("destination", dest).kstr("type", type).kstr("source", source);
  if (options.length > 0) w.kstrs("options", options);
  w.endObject();
}

export function specJson(rootless: bool): string {
  const w = new JsonWriter(2);
  w.beginObject();
  w.kstr("ociVersion", OCI_VERSION);
  w.key("process").beginObject();
  w.kbool("terminal", true);
  w.key("user").beginObject().knum("uid", 0).knum("gid", 0).endObject();
  w.kstrs("args", ["sh"]);
  w.kstrs("env", ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]);
  w.kstr("cwd", "/");
  w.key("capabilities").beginObject()
    .kstrs("bounding", CAPS).kstrs("effective", CAPS).kstrs("permitted", CAPS).kstrs("ambient", CAPS)
    .endObject();
  w.key("rlimits").beginArray().beginObject().kstr("type", "RLIMIT_NOFILE").knum("hard", 1024).knum("soft", 1024).endObject().endArray();
  w.kbool("noNewPrivileges", true);
  w.endObject();
  w.key("root").beginObject().kstr("path", "rootfs").kbool("readonly", true).endObject();
  w.kstr("hostname", "tsrun");
  w.key("mounts").beginArray();
  mount(w, "/proc", "proc", "proc", []);
  mount(w, "/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]);
  mount(w, "/dev/pts", "devpts", "devpts", rootless
    ? ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
    : ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]);
  mount(w, "/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]);
  mount(w, "/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]);
  if (rootless) mount(w, "/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"]);
  else mount(w, "/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]);
  mount(w, "/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]);
  w.endArray();
  w.key("linux").beginObject();
  if (rootless) {
    const uid = sys.getuid(), gid = sys.getgid();
    w.key("uidMappings").beginArray().beginObject().knum("containerID", 0).knum("hostID", uid).knum("size", 1).endObject().endArray();
    w.key("gidMappings").beginArray().beginObject().knum("containerID", 0).knum("hostID", gid).knum("size", 1).endObject().endArray();
  }
  w.key("namespaces").beginArray();
  const ns = rootless ? ["pid", "ipc", "uts", "mount", "cgroup", "user"] : ["pid", "network", "ipc", "uts", "mount"];
  for (let i = 0; i < ns.length; i++) w.beginObject().kstr("type", ns[i]).endObject();
  w.endArray();
  w.kstrs("maskedPaths", MASKED);
  w.kstrs("readonlyPaths", READONLY);
  w.endObject();
  w.endObject();
  return w.toString() + "\n";
}

export function spec(bundle: string, rootless: bool): Failure | null {
  const dir = bundle.length > 0 ? bundle : ".";
  const dirfd = sys.openat(sys.AT_FDCWD, dir, sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC);
  if (dirfd < 0) return sysFail("spec: open bundle", dir, dirfd);
  const st = memory.data(144);
  if (sys.fstatat(<i32>dirfd, "config.json", st, sys.AT_SYMLINK_NOFOLLOW) == 0) {
    sys.close(<i32>dirfd);
    return fail("spec", dir + "/config.json", "already exists; remove it first");
  }
  const f = writeFileAt(<i32>dirfd, "config.json", specJson(rootless), 0o644, dir + "/config.json");
  sys.close(<i32>dirfd);
  return f;
}
