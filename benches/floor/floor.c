/*
 * The kernel's floor for a warm container start: only the kernel work `berth run --rm
 * hello-world` cannot avoid, in C, with nothing else. Each run:
 *   1. makes the container's overlay upper and work directories;
 *   2. clones a child into new mount, PID, UTS, IPC and network namespaces;
 *   3. in the child: makes mount propagation private, mounts the overlay (the image's layer
 *      directories as lower dirs) and /proc in it, brings nothing else up, chroots into it,
 *      sets the hostname and execs the command with its stdout on a pipe;
 *   4. in the parent: reads the pipe to EOF (the output a log would keep), waits for the exit,
 *      and removes the upper and work directories.
 * It prints the median and 90th percentile of the runs, in milliseconds. berth's in-process
 * start (`berth bench startup --engine embedded`) does all of this and more (cgroups, a
 * seccomp filter, Docker's /dev and masked paths, records, logs), so the ratio of the two
 * medians, measured in one run (scripts/floor-ratio), says how close berth is to the floor.
 *
 *   floor RUNS SCRATCH_DIR COMMAND LOWER_DIR...     (lower dirs topmost first, as overlayfs)
 *
 * Needs root. Build: cc -O2 -o floor benches/floor/floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *command;
static char rootfs[4096], upper[4096], work[4096], options[65536];
static int out_pipe[2];

static void die(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int child(void *arg) {
    (void)arg;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("private /");
    if (mount("overlay", rootfs, "overlay", 0, options)) die("overlay");
    char proc[4200];
    snprintf(proc, sizeof proc, "%s/proc", rootfs);
    mkdir(proc, 0555);
    if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("proc");
    if (chroot(rootfs) || chdir("/")) die("chroot");
    if (sethostname("floor", 5)) die("hostname");
    dup2(out_pipe[1], 1);
    close(out_pipe[0]);
    close(out_pipe[1]);
    char *argv[] = {(char *)command, NULL};
    char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(command, argv, envp);
    die("execve");
    return 127;
}

static void remove_tree(const char *path) {
    char cmd[8300];
    /* The upper dir holds what the command wrote (nothing, for hello): rmdir is the common case. */
    if (rmdir(path) == 0) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) die("rm");
}

static double one_run(void) {
    static char stack[256 * 1024];
    double start = now_ms();
    if (mkdir(upper, 0755) || mkdir(work, 0700)) die("mkdir upper/work");
    if (pipe2(out_pipe, O_CLOEXEC)) die("pipe");
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
    pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
    if (pid < 0) die("clone");
    close(out_pipe[1]);
    char buf[4096];
    while (read(out_pipe[0], buf, sizeof buf) > 0) {
    }
    close(out_pipe[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "floor: the command failed (status %d)\n", status);
        exit(1);
    }
    remove_tree(work);
    remove_tree(upper);
    return now_ms() - start;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: floor RUNS SCRATCH_DIR COMMAND LOWER_DIR...\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1) runs = 1;
    const char *scratch = argv[2];
    command = argv[3];
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", scratch);
    snprintf(upper, sizeof upper, "%s/upper", scratch);
    snprintf(work, sizeof work, "%s/work", scratch);
    mkdir(scratch, 0700);
    mkdir(rootfs, 0755);
    int n = snprintf(options, sizeof options, "lowerdir=");
    for (int i = 4; i < argc; i++)
        n += snprintf(options + n, sizeof options - n, "%s%s", i > 4 ? ":" : "", argv[i]);
    snprintf(options + n, sizeof options - n, ",upperdir=%s,workdir=%s", upper, work);

    double *ms = calloc(runs, sizeof *ms);
    one_run(); /* warm-up */
    for (int i = 0; i < runs; i++) ms[i] = one_run();
    qsort(ms, runs, sizeof *ms, by_value);
    printf("floor: %d runs, p50 %.3f ms, p90 %.3f ms\n", runs, ms[runs / 2], ms[runs * 9 / 10]);
    return 0;
}
