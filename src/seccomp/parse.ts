// linux.seccomp -> seccomp/model.ts. Errors name the JSON path. Behaviour follows runc where
// the runtime-spec leaves room: an empty section disables seccomp, rules whose action is the
// default action are dropped, unknown syscall names are ignored, several conditions on the
// same argument become separate rules (OR); where the spec says MUST (errnoRet only with
// SCMP_ACT_ERRNO/TRACE, listenerMetadata only with listenerPath), tsrun enforces it.
import { JValue, Kind } from "../json/value";
import { Checker } from "../spec/parse";
import { syscallNames, nrX86_64, nrI386, nrX32 } from "./table";
import { Seccomp, Rule, ArgCond, Op, RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO, RET_USER_NOTIF,
  RET_TRACE, RET_LOG, RET_ALLOW, FLAG_TSYNC, FLAG_LOG, FLAG_SPEC_ALLOW, FLAG_NEW_LISTENER,
  FLAG_WAIT_KILLABLE_RECV, ABI_X86_64, ABI_I386, ABI_X32 } from "./model";

export function actionNames(): StaticArray<string> {
  return ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"];
}
function actionRets(): StaticArray<u32> {
  return [RET_ALLOW, RET_ERRNO, RET_KILL_THREAD, RET_KILL_PROCESS,
    RET_KILL_THREAD, RET_LOG, RET_USER_NOTIF, RET_TRACE, RET_TRAP];
}

export function operatorNames(): StaticArray<string> {
  return ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
    "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"];
}
function ops(): StaticArray<Op> {
  return [Op.EQ, Op.GE, Op.GT, Op.LE, Op.LT, Op.MaskedEq, Op.NE];
}

// Every architecture name of runtime-spec 1.3.0 (libseccomp 2.6). Only the first three can
// occur on an x86_64 kernel; the others are accepted (as runc does) and can never match.
export function archNames(): StaticArray<string> {
  return ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_ARM", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB"];
}
function archAbis(): StaticArray<u32> {
  return [ABI_I386, ABI_X86_64, ABI_X32];
}

export function flagNames(): StaticArray<string> {
  return ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"];
}
function flagBits(): StaticArray<u32> {
  return [FLAG_TSYNC, FLAG_LOG, FLAG_SPEC_ALLOW, FLAG_WAIT_KILLABLE_RECV];
}

const EPERM: u32 = 1, ENOSYS: u32 = 38, MAX_ERRNO: i64 = 4095;

// Index of name in the syscall table, or -1.
export function syscallIndex(name: string): i32 {
  const names = syscallNames();
  let lo = 0, hi = names.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const n = names[mid];
    if (n == name) return mid;
    if (n < name) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

// Syscall number of table entry `sys` in one ABI, or -1.
export function syscallNr(sys: i32, abi: u32): i32 {
  if (abi == ABI_I386) return nrI386()[sys];
  if (abi == ABI_X32) return nrX32()[sys];
  return nrX86_64()[sys];
}

// The kernel return value of an action name with its errno, or -1 (unknown; reported).
function action(c: Checker, o: JValue, key: string, errKey: string, path: string): i64 {
  const name = c.str(o, key, path, true);
  if (c.err != null) return -1;
  const i = actionNames().indexOf(name);
  if (i < 0) { c.bad(path + "." + key, "unknown action \"" + name + "\""); return -1; }
  let ret = actionRets()[i];
  const withErrno = ret == RET_ERRNO || ret == RET_TRACE;
  if (c.has(o, errKey)) {
    if (!withErrno) { c.bad(path + "." + errKey, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not " + name); return -1; }
    ret |= <u32>c.int(o, errKey, path, 0, MAX_ERRNO);
  } else if (withErrno) {
    ret |= EPERM;
  }
  return <i64>ret;
}

export function parseSeccomp(c: Checker, o: JValue, path: string): Seccomp | null {
  const calls = c.array(o, "syscalls", path);
  // Neither a default action nor rules: seccomp is off (runc's reading of an empty section).
  if (c.str(o, "defaultAction", path).length == 0 && calls.length == 0 && c.err == null) return null;
  const s = new Seccomp();
  const def = action(c, o, "defaultAction", "defaultErrnoRet", path);
  if (def < 0) return null;
  s.defaultAction = <u32>def;
  if (s.defaultAction == RET_USER_NOTIF) { c.bad(path + ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action"); return null; }

  const archs = c.strings(o, "architectures", path);
  for (let i = 0; i < archs.length; i++) {
    const k = archNames().indexOf(archs[i]);
    if (k < 0) { c.bad(path + ".architectures[" + i.toString() + "]", "unknown architecture \"" + archs[i] + "\""); return null; }
    if (k < archAbis().length) s.abis |= archAbis()[k];
  }

  // No flags at all: SPEC_ALLOW, as runc (seccomp would otherwise turn on the speculative
  // store bypass mitigation); an explicit list, even empty, is taken as it is.
  let waitKillable = -1;
  if (!c.has(o, "flags")) s.flags = FLAG_SPEC_ALLOW;
  const flags = c.strings(o, "flags", path);
  for (let i = 0; i < flags.length; i++) {
    const k = flagNames().indexOf(flags[i]);
    if (k < 0) { c.bad(path + ".flags[" + i.toString() + "]", "unknown flag \"" + flags[i] + "\""); return null; }
    s.flags |= flagBits()[k];
    if (flagBits()[k] == FLAG_WAIT_KILLABLE_RECV) waitKillable = i;
  }

  s.listenerPath = c.str(o, "listenerPath", path);
  s.listenerMetadata = c.str(o, "listenerMetadata", path);
  if (s.listenerMetadata.length > 0 && s.listenerPath.length == 0) {
    c.bad(path + ".listenerMetadata", "must not be set without listenerPath");
    return null;
  }

  let enosysOk = false;
  for (let i = 0; i < calls.length && c.err == null; i++) {
    const cp = path + ".syscalls[" + i.toString() + "]";
    const e = c.object(calls[i], cp, true);
    if (e == null) return null;
    const names = c.strings(e, "names", cp);
    if (c.err == null && names.length == 0) c.bad(cp + ".names", "must name at least one syscall");
    const act = action(c, e, "action", "errnoRet", cp);
    const conds = parseArgs(c, e, cp);
    if (c.err != null) return null;
    const ret = <u32>act;
    for (let k = 0; k < names.length; k++) {
      const name = names[k];
      if (name.length == 0) { c.bad(cp + ".names[" + k.toString() + "]", "must not be empty"); return null; }
      if (ret == RET_USER_NOTIF) {
        // tsrun hands the listener to the parent with write(2) right after loading the filter.
        if (name == "write") { c.bad(cp + ".names[" + k.toString() + "]", "SCMP_ACT_NOTIFY cannot be used for write"); return null; }
        s.flags |= FLAG_NEW_LISTENER;
      }
      const sys = syscallIndex(name);
      if (sys < 0) { s.unknownNames++; continue; }
      enosysOk = true;
      s.named.push(sys);
      if (ret == s.defaultAction) continue; // redundant (runc skips it too)
      if (conds.length == 0 || !sharesIndex(conds)) {
        s.rules.push(new Rule(sys, ret, conds));
      } else {
        for (let j = 0; j < conds.length; j++) s.rules.push(new Rule(sys, ret, [conds[j]]));
      }
    }
  }
  if (c.err != null) return null;
  if (s.notify && s.listenerPath.length == 0) { c.bad(path + ".listenerPath", "is required when SCMP_ACT_NOTIFY is used"); return null; }
  if (waitKillable >= 0 && !s.notify) {
    c.bad(path + ".flags[" + waitKillable.toString() + "]", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a SCMP_ACT_NOTIFY rule");
    return null;
  }
  const permissive = s.defaultAction == RET_ALLOW || s.defaultAction == RET_LOG || (s.defaultAction & 0xffff0000) == RET_TRACE;
  s.enosysStub = enosysOk && !permissive && s.defaultAction != (RET_ERRNO | ENOSYS);
  return s;
}

function parseArgs(c: Checker, e: JValue, cp: string): ArgCond[] {
  const out: ArgCond[] = [];
  const args = c.array(e, "args", cp);
  for (let j = 0; j < args.length && c.err == null; j++) {
    const ap = cp + ".args[" + j.toString() + "]";
    const a = c.object(args[j], ap, true);
    if (a == null) break;
    if (!c.has(a, "index")) { c.bad(ap + ".index", "is required"); break; }
    const index = <i32>c.int(a, "index", ap, 0, 5);
    const v = a.get("value");
    if (v == null || v.kind == Kind.Null) { c.bad(ap + ".value", "is required"); break; }
    const value = c.u64Value(v!, ap + ".value");
    const v2 = a.get("valueTwo");
    const valueTwo = v2 != null && v2.kind != Kind.Null ? c.u64Value(v2, ap + ".valueTwo") : 0;
    const opName = c.str(a, "op", ap, true);
    if (c.err != null) break;
    const k = operatorNames().indexOf(opName);
    if (k < 0) { c.bad(ap + ".op", "unknown operator \"" + opName + "\""); break; }
    out.push(new ArgCond(index, ops()[k], value, valueTwo));
  }
  return out;
}

function sharesIndex(conds: ArgCond[]): bool {
  for (let i = 0; i < conds.length; i++) for (let j = i + 1; j < conds.length; j++) if (conds[i].index == conds[j].index) return true;
  return false;
}
