/* floor.c — the syscall floor: the least kernel work needed to run the benchmark
 * bundle's /bin/true in the bundle's namespaces, with no runtime at all.
 *
 *   floor ROOTFS [HOSTNAME]
 *
 * parent:  clone3(CLONE_NEWNS|NEWPID|NEWUTS|NEWIPC|NEWNET, exit_signal=SIGCHLD), wait4
 * child (pid 1 of the new pid namespace):
 *          mount(MS_REC|MS_PRIVATE) /            no propagation back to the host
 *          mount(MS_BIND|MS_REC) ROOTFS ROOTFS   pivot_root needs a mount point
 *          chdir ROOTFS; mount proc on proc
 *          pivot_root(".", "."); umount2(".", MNT_DETACH)   old root stacked under new, dropped
 *          chdir("/"); sethostname
 *          execve("/bin/true")
 *
 * Left out on purpose (a runtime must do them, the floor does not): cgroups, /dev,
 * capabilities, seccomp, rlimits, no_new_privs, masked/readonly paths, state files,
 * the create/start split. It is a yardstick, not a target: what the kernel costs.
 * Built static (gcc -O2 -static) so that no dynamic loader work is counted.
 */
#define _GNU_SOURCE
#include <linux/sched.h> /* struct clone_args, CLONE_* */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    _exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ROOTFS [HOSTNAME]\n", argv[0]);
        return 2;
    }
    const char *rootfs = argv[1];
    const char *host = argc > 2 ? argv[2] : "floor";

    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
    ca.exit_signal = SIGCHLD;

    long pid = syscall(SYS_clone3, &ca, sizeof ca); /* no stack given: fork() semantics */
    if (pid < 0) die("clone3");
    if (pid == 0) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make-rprivate /");
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL)) die("bind rootfs");
        if (chdir(rootfs)) die("chdir rootfs");
        if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("mount proc");
        if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
        if (umount2(".", MNT_DETACH)) die("umount old root");
        if (chdir("/")) die("chdir /");
        if (sethostname(host, strlen(host))) die("sethostname");
        char *const av[] = {"/bin/true", NULL};
        char *const ev[] = {"PATH=/bin", NULL};
        execve(av[0], av, ev);
        die("execve");
    }
    int st;
    if (waitpid((pid_t)pid, &st, 0) < 0) die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
