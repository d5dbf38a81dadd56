/* cgns-exec [--benchexec] DIR PROGRAM [ARGS...]: a container runtime's last steps before it
 * execs the container's PID 1, for scripts/bench-cgroup.sh (built there with `cc -static`):
 *   move this process into the cgroup DIR (write "0" to DIR/cgroup.procs), unshare a cgroup
 *   namespace (rooted at DIR) and a mount namespace, make the mounts private, replace
 *   /sys/fs/cgroup by a fresh cgroup2 mount (the namespace's view), and exec PROGRAM.
 * --benchexec: before the exec, do what BenchExec's init.sh does, in the fewest syscalls
 * (mkdir init and benchexec, move into init, enable every controller of the root in the root
 * and in benchexec, one write each): the kernel's share of that set-up, as a floor.
 * One static binary instead of sh + util-linux unshare (dynamic) + sh + umount + mount keeps
 * the part every benchmark variant pays small and steady under QEMU TCG.
 * Exit status 125 when a step fails, with the step on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *step) {
    fprintf(stderr, "cgns-exec: %s: %s\n", step, strerror(errno));
    return 125;
}

static int put(const char *path, const char *text, size_t len) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        return -1;
    return close(fd);
}

static int benchexec(void) {
    char have[512], line[1024];
    size_t len = 0;
    if (mkdir("/sys/fs/cgroup/init", 0755) != 0 || mkdir("/sys/fs/cgroup/benchexec", 0755) != 0)
        return fail("mkdir");
    if (put("/sys/fs/cgroup/init/cgroup.procs", "0", 1) != 0)
        return fail("move into init");
    int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, have, sizeof have - 1);
    if (n < 0)
        return fail("read cgroup.controllers");
    close(fd);
    have[n] = 0;
    for (char *c = strtok(have, " \n"); c; c = strtok(NULL, " \n"))
        len += snprintf(line + len, sizeof line - len, "%s+%s", len ? " " : "", c);
    if (len && (put("/sys/fs/cgroup/cgroup.subtree_control", line, len) != 0 ||
                put("/sys/fs/cgroup/benchexec/cgroup.subtree_control", line, len) != 0))
        return fail("enable controllers");
    return 0;
}

int main(int argc, char **argv) {
    int setup = argc > 1 && strcmp(argv[1], "--benchexec") == 0;
    argc -= setup;
    argv += setup;
    if (argc < 3) {
        fprintf(stderr, "usage: cgns-exec [--benchexec] DIR PROGRAM [ARGS...]\n");
        return 2;
    }
    char procs[4096];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", argv[1]);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1)
        return fail(procs);
    close(fd);
    if (unshare(CLONE_NEWCGROUP | CLONE_NEWNS) != 0)
        return fail("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return fail("make / private");
    if (umount2("/sys/fs/cgroup", MNT_DETACH) != 0)
        return fail("umount /sys/fs/cgroup");
    if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        return fail("mount cgroup2");
    if (setup && benchexec() != 0)
        return 125;
    execv(argv[2], argv + 2);
    return fail(argv[2]);
}
