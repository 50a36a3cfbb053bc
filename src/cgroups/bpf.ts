// bpf(2) for the cgroup v2 device filter: load the program, attach it to the container's
// cgroup, and on update replace the programs attached before.
import * as sys from "../sys/syscall";
import { Failure, fail, sysFail } from "../errors/failure";
import { trimSpaces } from "../util/strings";

const SYS_bpf: i32 = 321;
const BPF_PROG_LOAD: i32 = 5, BPF_PROG_ATTACH: i32 = 8, BPF_PROG_DETACH: i32 = 9,
  BPF_PROG_GET_FD_BY_ID: i32 = 13, BPF_PROG_QUERY: i32 = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15, BPF_CGROUP_DEVICE: u32 = 6, BPF_F_ALLOW_MULTI: u32 = 2;

function bpf(cmd: i32, attr: usize, size: usize): i64 {
  return sys.sys6Raw(SYS_bpf, cmd, sys.host(attr), size, 0, 0, 0);
}

let verifierLog = "";

// Loads the program; the verifier's first complaint goes into the error.
function loadProgram(prog: Uint8Array, where: string): i64 {
  const attr = memory.data(128);
  const license = memory.data(8);
  store<u64>(license, 0x0032762d4c5047); // "GPL-v2\0"
  const log = new Uint8Array(4096);
  for (let pass = 0; pass < 2; pass++) {
    memory.fill(attr, 0, 128);
    store<u32>(attr, BPF_PROG_TYPE_CGROUP_DEVICE);
    store<u32>(attr, prog.length / 8, 4);
    store<u64>(attr, sys.host(prog.dataStart), 8);
    store<u64>(attr, sys.host(license), 16);
    if (pass == 1) {
      store<u32>(attr, 1, 24);
      store<u32>(attr, log.length, 28);
      store<u64>(attr, sys.host(log.dataStart), 32);
    }
    store<u32>(attr, BPF_CGROUP_DEVICE, 68);
    const fd = bpf(BPF_PROG_LOAD, attr, 72);
    if (fd >= 0) return fd;
    if (pass == 1) {
      let n = 0;
      while (n < log.length && log[n] != 0) n++;
      verifierLog = trimSpaces(String.UTF8.decodeUnsafe(log.dataStart, n).replaceAll("\n", " "));
      return fd;
    }
  }
  return -1;
}

// Attaches the device program to the cgroup dirfd, then detaches whatever device programs
// were attached there before (update). Both are briefly attached: all must allow.
export function attachDeviceProgram(cgfd: i32, prog: Uint8Array, where: string): Failure | null {
  const ids = memory.data(64);
  const q = memory.data(40);
  memory.fill(q, 0, 40);
  store<u32>(q, cgfd);
  store<u32>(q, BPF_CGROUP_DEVICE, 4);
  store<u64>(q, sys.host(ids), 16);
  store<u32>(q, 16, 24);
  let old = 0;
  if (bpf(BPF_PROG_QUERY, q, 40) == 0) old = <i32>load<u32>(q, 24);
  const fd = loadProgram(prog, where);
  if (fd < 0) {
    const f = sysFail("load the device filter (eBPF) for", where, fd);
    if (verifierLog.length > 0) f.why = "verifier: " + verifierLog;
    return f;
  }
  const a = memory.data(24);
  memory.fill(a, 0, 24);
  store<u32>(a, cgfd);
  store<u32>(a, <u32>fd, 4);
  store<u32>(a, BPF_CGROUP_DEVICE, 8);
  store<u32>(a, BPF_F_ALLOW_MULTI, 12);
  let rc = bpf(BPF_PROG_ATTACH, a, 24);
  sys.close(<i32>fd);
  if (rc < 0) return sysFail("attach the device filter (eBPF) to", where, rc);
  for (let i = 0; i < old && i < 16; i++) {
    memory.fill(a, 0, 24);
    store<u32>(a, load<u32>(ids + <usize>(i * 4)));
    const ofd = bpf(BPF_PROG_GET_FD_BY_ID, a, 12);
    if (ofd < 0) return sysFail("find the old device filter of", where, ofd);
    memory.fill(a, 0, 24);
    store<u32>(a, cgfd);
    store<u32>(a, <u32>ofd, 4);
    store<u32>(a, BPF_CGROUP_DEVICE, 8);
    rc = bpf(BPF_PROG_DETACH, a, 24);
    sys.close(<i32>ofd);
    if (rc < 0) return sysFail("detach the old device filter of", where, rc);
  }
  if (old > 16) return fail("replace the device filter of", where, "more than 16 programs attached");
  return null;
}
