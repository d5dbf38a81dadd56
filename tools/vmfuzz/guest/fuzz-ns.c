/* fuzz-ns [-u] -t SECONDS -r RESULT CGROUP PROGRAM [ARGS...]: run PROGRAM (keel) as PID 1
 * of fresh pid, mount and cgroup namespaces, as a container runtime would, for the guest
 * runner of scripts/fuzz-vm.sh (tools/vmfuzz/guest/fuzz-runner.sh). Built with `cc -static`.
 *
 * The child moves itself into the cgroup directory CGROUP (so the new cgroup namespace is
 * rooted there, and everything the case creates stays under it), unshares the cgroup
 * namespace, makes its mounts private, replaces /sys/fs/cgroup by the namespace's view of
 * cgroup2 and /proc by a proc of the new pid namespace, and execs PROGRAM. With -u the
 * namespaces also get a user namespace of their own, mapping every id to itself, so keel is
 * root there but not in the initial user namespace.
 *
 * The parent waits at most SECONDS: then it SIGKILLs the child (which takes the whole pid
 * namespace with it) and reports a hang. It writes one line to RESULT: "exit N",
 * "signal N" or "timeout". Its own exit status is 0, or 125 when it could not run the case
 * (the reason on stderr). The child's failures before the exec exit 125 with a message
 * starting "fuzz-ns:", which the host tells apart from keel's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *step) {
    fprintf(stderr, "fuzz-ns: %s: %s\n", step, strerror(errno));
    return 125;
}

static int put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void on_alarm(int sig) {
    (void)sig; /* only interrupts waitpid */
}

/* The child: wait until the parent has written the id maps (the pipe closes), then set up
 * and exec. Never returns. */
static void child(int sync, const char *cgroup, char **argv) {
    char buf[1], procs[4096];
    while (read(sync, buf, 1) > 0)
        ;
    close(sync);
    snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup);
    if (put(procs, "0") != 0)
        _exit(fail(procs));
    if (unshare(CLONE_NEWCGROUP) != 0)
        _exit(fail("unshare cgroup"));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        _exit(fail("make / private"));
    /* In a user namespace the inherited mount is locked (EINVAL), and cgroup2 cannot go
     * straight over itself (EBUSY): a tmpfs in between. */
    if (umount2("/sys/fs/cgroup", MNT_DETACH) != 0) {
        if (errno != EINVAL)
            _exit(fail("umount /sys/fs/cgroup"));
        if (mount("tmpfs", "/sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") != 0)
            _exit(fail("mount tmpfs on /sys/fs/cgroup"));
    }
    if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        _exit(fail("mount cgroup2"));
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        _exit(fail("mount proc"));
    execv(argv[0], argv);
    _exit(fail(argv[0]));
}

int main(int argc, char **argv) {
    int userns = 0, opt;
    unsigned seconds = 10;
    const char *result = NULL;
    while ((opt = getopt(argc, argv, "+ut:r:")) != -1) {
        switch (opt) {
        case 'u': userns = 1; break;
        case 't': seconds = (unsigned)atoi(optarg); break;
        case 'r': result = optarg; break;
        default: return 2;
        }
    }
    if (!result || argc - optind < 2) {
        fprintf(stderr, "usage: fuzz-ns [-u] -t SECONDS -r RESULT CGROUP PROGRAM [ARGS...]\n");
        return 2;
    }
    const char *cgroup = argv[optind];
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0)
        return fail("pipe");
    long flags = SIGCHLD | CLONE_NEWPID | CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0);
    pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid < 0)
        return fail("clone");
    if (pid == 0) {
        close(sync[1]);
        child(sync[0], cgroup, argv + optind + 1);
    }
    close(sync[0]);
    if (userns) {
        char path[64];
        const char *all = "0 0 4294967295";
        snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
        if (put(path, all) != 0)
            fail(path);
        snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
        if (put(path, all) != 0)
            fail(path);
    }
    close(sync[1]);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm interrupts waitpid */
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
    int status, timed_out = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return fail("waitpid");
        timed_out = 1;
        kill(pid, SIGKILL);
    }
    alarm(0);
    FILE *out = fopen(result, "w");
    if (!out)
        return fail(result);
    if (timed_out)
        fprintf(out, "timeout\n");
    else if (WIFSIGNALED(status))
        fprintf(out, "signal %d\n", WTERMSIG(status));
    else
        fprintf(out, "exit %d\n", WEXITSTATUS(status));
    return fclose(out) == 0 ? 0 : fail(result);
}
