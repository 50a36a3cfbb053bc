// The process's argv and environment, copied once from the host into Wasm strings.
import { hostArgc, hostArgv, hostEnvp, hostRead, hostStrlen } from "../sys/imports";

function hostString(p: u64): string {
  const n = hostStrlen(p);
  const buf = new ArrayBuffer(n);
  hostRead(changetype<usize>(buf), p, n);
  return String.UTF8.decode(buf);
}

function hostPointer(p: u64): u64 {
  const cell = new ArrayBuffer(8);
  hostRead(changetype<usize>(cell), p, 8);
  return load<u64>(changetype<usize>(cell));
}

export function processArgs(): string[] {
  const n = hostArgc();
  const base = hostArgv();
  const out = new Array<string>(n);
  for (let i: u32 = 0; i < n; i++) out[i] = hostString(hostPointer(base + <u64>i * 8));
  return out;
}

export function processEnv(): string[] {
  const out: string[] = [];
  let p = hostEnvp();
  while (true) {
    const s = hostPointer(p);
    if (s == 0) break;
    out.push(hostString(s));
    p += 8;
  }
  return out;
}

// Value of NAME in the runtime's own environment, or null.
export function getenv(name: string): string | null {
  const env = processEnv();
  const prefix = name + "=";
  for (let i = 0; i < env.length; i++) if (env[i].startsWith(prefix)) return env[i].substring(prefix.length);
  return null;
}
