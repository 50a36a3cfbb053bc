// Writes two bundles for bench/seccomp.sh under DIR: plain/ (the test baseline config running
// /bin/true) and profile/ (the same plus a Docker-sized seccomp profile written here from
// tsrun's syscall table: every x86_64 syscall but a deny list, personality and clone allowed
// by argument, default ERRNO(EPERM) — the shape of Docker's default, not its text).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../test/lib/bundle.mjs';

const dir = process.argv[2];
const table = readFileSync(new URL('../src/seccomp/table.ts', import.meta.url), 'utf8');
const column = (fn) => JSON.parse('[' + table.split(`export function ${fn}()`)[1].split("= [")[1].split('];')[0].replace(/,\s*$/, '') + ']');
const names = column('syscallNames'), nr = column('nrX86_64');
const deny = new Set(['acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'clone', 'clone3', 'create_module',
  'delete_module', 'finit_module', 'get_kernel_syms', 'init_module', 'ioperm', 'iopl', 'kcmp', 'kexec_file_load',
  'kexec_load', 'keyctl', 'lookup_dcookie', 'mount', 'move_pages', 'nfsservctl', 'open_by_handle_at', 'perf_event_open',
  'personality', 'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module', 'quotactl', 'reboot',
  'request_key', 'setns', 'settimeofday', 'swapoff', 'swapon', 'syslog', 'umount2', 'unshare', 'uselib', 'userfaultfd',
  'ustat', 'vhangup', '_sysctl', 'sysfs']);
const allowed = names.filter((n, i) => nr[i] >= 0 && !deny.has(n));
const profile = {
  defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: allowed, action: 'SCMP_ACT_ALLOW' },
    ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] })),
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  ],
};
makeBundle({ dir: join(dir, 'plain'), args: ['/bin/true'] });
makeBundle({ dir: join(dir, 'profile'), args: ['/bin/true'], mutate: (c) => { c.linux.seccomp = profile; } });
console.error(`seccomp-bundles: ${allowed.length} allowed names + 7 argument rules`);
