/* no-mount-api PROGRAM [ARGS...]: run PROGRAM as on a kernel older than Linux 5.2, which has
 * none of the new mount API: a seccomp filter makes open_tree, move_mount, fsopen, fsconfig,
 * fsmount, fspick and mount_setattr fail with ENOSYS, as an unknown system call does, and
 * lets everything else (mount(2) included) through. The filter is inherited by every child
 * and survives exec, so PROGRAM and what it starts all see the older kernel.
 * Built and used by tests/faults.rs. Exit status 125 when the filter cannot be installed. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: no-mount-api PROGRAM [ARGS...]\n");
        return 2;
    }
    struct sock_filter code[] = {
        /* Only x86_64 numbers are checked: any other ABI is refused outright. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        DENY(__NR_open_tree),
        DENY(__NR_move_mount),
        DENY(__NR_fsopen),
        DENY(__NR_fsconfig),
        DENY(__NR_fsmount),
        DENY(__NR_fspick),
        DENY(__NR_mount_setattr),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    /* no_new_privs lets a caller without CAP_SYS_ADMIN install the filter; the workloads
     * run behind it gain no privileges at exec anyway. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        fprintf(stderr, "no-mount-api: seccomp: %s\n", strerror(errno));
        return 125;
    }
    execv(argv[1], argv + 1);
    fprintf(stderr, "no-mount-api: exec %s: %s\n", argv[1], strerror(errno));
    return 125;
}
