/* reaper.c — run a command as a child subreaper, like containerd-shim or conmon.
 *
 *   reaper CMD [ARGS...]      exit status: CMD's
 *
 * Container inits orphaned by `RUNTIME create` are re-parented to us and reaped
 * promptly instead of piling up as zombies under PID 1. When CMD ends (normally,
 * by a failure, or because the user pressed Ctrl-C), every process still left
 * below us — a container init a broken runtime left waiting, a hung runtime, a
 * detached strace — is SIGKILLed and reaped, so that nothing outlives the
 * benchmark and the private mount namespace we run in goes away with us.
 * SIGINT/SIGTERM/SIGHUP are forwarded to CMD instead of killing us first.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t main_pid;

static void forward(int sig) {
    if (main_pid > 0) kill(main_pid, sig);
}

/* SIGKILL every current child (all threads' children lists: we are single-threaded) */
static int kill_children(void) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    int count = 0;
    for (char *s = strtok(buf, " \n"); s; s = strtok(NULL, " \n")) {
        pid_t p = (pid_t)atoi(s);
        if (p > 0 && kill(p, SIGKILL) == 0) count++;
    }
    return count;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CMD [ARGS...]\n", argv[0]);
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
        perror("prctl(PR_SET_CHILD_SUBREAPER)");
        return 1;
    }
    pid_t p = fork();
    if (p < 0) {
        perror("fork");
        return 1;
    }
    if (p == 0) {
        execvp(argv[1], argv + 1);
        perror("execvp");
        _exit(127);
    }
    main_pid = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int status, rc = 1;
    for (;;) {
        pid_t w = wait(&status);
        if (w < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (w == p) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
    }
    main_pid = 0;
    /* leftovers: kill, reap, repeat (killing a process re-parents its children to us) */
    int leftovers = 0;
    for (;;) {
        leftovers += kill_children();
        pid_t w = wait(&status);
        if (w < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: nothing left */
        }
    }
    if (leftovers) fprintf(stderr, "reaper: killed %d leftover process(es)\n", leftovers);
    return rc;
}
