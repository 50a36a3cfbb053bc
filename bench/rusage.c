/* rusage.c — peak memory and page faults of one command, from wait4().
 *
 *   rusage [-t SECONDS] OUTFILE CMD [ARGS...]      exit status: CMD's
 *
 * -t: SIGKILL CMD after SECONDS (a hung runtime must not hang the benchmark; the
 *     watchdog is this process, so no extra process is counted in CMD's figures).
 * Writes one line to OUTFILE:
 *   maxrss_kb=N minflt=N majflt=N status=N wall_us=N
 * maxrss is ru_maxrss of the waited child: the peak RSS of CMD's process or of any
 * descendant it waited for, whichever is larger (the same figure /usr/bin/time -v
 * prints). A container init that `create` leaves running is not waited for by
 * `create`, so it is not in create's figure; it is measured separately.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;

static void on_alarm(int sig) {
    (void)sig;
    if (child > 0) kill(child, SIGKILL);
}

int main(int argc, char **argv) {
    unsigned limit = 0;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        limit = (unsigned)atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: rusage [-t SECONDS] OUTFILE CMD [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t p = fork();
    if (p < 0) {
        perror("fork");
        return 1;
    }
    if (p == 0) {
        execvp(argv[2], argv + 2);
        perror("execvp");
        _exit(127);
    }
    child = p;
    if (limit) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        alarm(limit);
    }
    int st;
    struct rusage ru;
    while (wait4(p, &st, 0, &ru) < 0) {
        if (errno == EINTR) continue;
        perror("wait4");
        return 1;
    }
    alarm(0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f, "maxrss_kb=%ld minflt=%ld majflt=%ld status=%d wall_us=%ld\n", ru.ru_maxrss, ru.ru_minflt,
            ru.ru_majflt, rc, us);
    fclose(f);
    return rc;
}
