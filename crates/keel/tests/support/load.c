/* Payloads for keel's load tests (tests/load.rs) and scripts/bench-reap.sh, one program with
 * one mode per payload:
 *
 *   load orphans N CODE     make N orphans (N = 0: until SIGTERM), wait until every one has
 *                           been reaped, print "orphans N reaped" and the timings, exit CODE
 *   load signals            count the signals that arrive while orphans are made in the background
 *   load join-parent-group CODE   leave its own process group for its parent's, exit CODE
 *   load leave-behind CODE [ignore]   start a grandchild in a session of its own (ignoring every
 *                                     signal with "ignore") that prints its pid; exit CODE at
 *                                     stdin EOF
 *   load ignore-all         ignore every catchable signal and wait forever
 *
 * An orphan is a grandchild whose parent (a short-lived middle process) exits at once, so the
 * grandchild is re-parented to the nearest subreaper or to the pid namespace's init. The
 * grandchild dies of PR_SET_PDEATHSIG as its parent exits, so it exits after being re-parented
 * and its zombie is the reaper's to collect. Whether it has been collected is read through a
 * pidfd: a pidfd names one process, never a later one with the same pid (pid_max is 32768 on
 * small machines, and 10,000 orphans go through a third of that), and signal 0 through it
 * fails with ESRCH only once the zombie has been reaped. Every failure exits 99 with a line on
 * stderr, so a test cannot mistake it for the code it expects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAIL 99
/* Orphans per middle process. */
#define BATCH 50

static void die(const char *what) {
    fprintf(stderr, "load: %s: %s\n", what, strerror(errno));
    exit(FAIL);
}

static int code_arg(int argc, char **argv, int i) {
    if (i >= argc) {
        fprintf(stderr, "load %s: missing exit code\n", argv[1]);
        exit(FAIL);
    }
    return atoi(argv[i]);
}

static void on(int sig, void (*handler)(int)) {
    struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        die("sigaction");
}

static void pause_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- orphans ---------------------------------------------------------------------------- */

static volatile sig_atomic_t stop;
static void on_stop(int sig) {
    (void)sig;
    stop = 1;
}

/* Makes N orphans (until SIGTERM when N is 0) in batches: a middle process forks a batch,
 * writes their pids to `out` and exits, which orphans them all at once (as a shell does that
 * starts background jobs and exits). Runs in a process of its own that holds no pidfds: fork
 * copies the descriptor table and exit closes it, so a maker holding 10,000 pidfds would make
 * each orphan cost 10,000 times more. Exits 0 once done. */
static void make_orphans(long n, int out) {
    on(SIGTERM, on_stop);
    for (long made = 0; n > 0 ? made < n : !stop; made += BATCH) {
        long batch = n > 0 && n - made < BATCH ? n - made : BATCH;
        pid_t middle = fork();
        if (middle < 0)
            die("fork");
        if (middle == 0) {
            pid_t self = getpid();
            for (long i = 0; i < batch; i++) {
                pid_t orphan = fork();
                if (orphan == 0) {
                    prctl(PR_SET_PDEATHSIG, SIGKILL);
                    if (getppid() != self) /* the middle exited before prctl */
                        _exit(0);
                    for (;;)
                        pause();
                }
                /* -1 tells the watcher that fork failed. */
                if (write(out, &orphan, sizeof orphan) != sizeof orphan || orphan < 0)
                    _exit(FAIL);
            }
            _exit(0);
        }
        int status;
        while (waitpid(middle, &status, 0) < 0)
            if (errno != EINTR)
                die("waitpid middle");
        /* Unbounded, it leaves keel and the test some of a small machine's CPUs. */
        if (n == 0)
            pause_ms(5);
    }
    _exit(0);
}

/* N orphans (until SIGTERM when N is 0), then waits until all are reaped. Prints
 * "orphans N reaped" on stdout and the timings on stderr. */
static int orphans(long n, int code) {
    /* One pidfd per orphan: raise the descriptor limit as far as it goes. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    long cap = n > 0 ? n : 1024;
    int *fds = malloc(cap * sizeof *fds);
    int pids[2];
    if (!fds || pipe2(pids, O_CLOEXEC) != 0)
        die("setup");
    /* A one-page pipe keeps the maker at most 1024 orphans ahead of pidfd_open below, far
     * fewer than the pid allocations it takes to hand out a freed pid again. */
    if (fcntl(pids[1], F_SETPIPE_SZ, 4096) < 0)
        die("F_SETPIPE_SZ");
    double start = now_ms();
    pid_t maker = fork();
    if (maker < 0)
        die("fork");
    if (maker == 0) {
        close(pids[0]);
        make_orphans(n, pids[1]);
    }
    close(pids[1]);
    /* Without SA_RESTART: SIGTERM interrupts the read to be passed on to the maker. */
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0)
        die("sigaction");
    long made = 0, open = 0;
    int stopping = 0;
    for (;;) {
        /* SIGTERM may have come at any point of the loop, not only during the read. */
        if (stop && !stopping) {
            kill(maker, SIGTERM);
            stopping = 1;
        }
        pid_t orphan;
        ssize_t got = read(pids[0], &orphan, sizeof orphan);
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0)
            break;
        if (got != sizeof orphan || orphan < 0) {
            fprintf(stderr, "load: the orphan maker failed\n");
            exit(FAIL);
        }
        made++;
        int fd = syscall(SYS_pidfd_open, orphan, 0);
        if (fd < 0) {
            if (errno == ESRCH) /* already exited and reaped */
                continue;
            die("pidfd_open");
        }
        if (open == cap) {
            /* Unbounded: forget the orphans already reaped before making room. */
            long kept = 0;
            for (long i = 0; i < open; i++) {
                if (syscall(SYS_pidfd_send_signal, fds[i], 0, NULL, 0) == 0)
                    fds[kept++] = fds[i];
                else if (errno == ESRCH)
                    close(fds[i]);
                else
                    die("pidfd_send_signal");
            }
            open = kept;
        }
        if (open == cap) {
            cap *= 2;
            fds = realloc(fds, cap * sizeof *fds);
            if (!fds)
                die("realloc");
        }
        fds[open++] = fd;
    }
    int status;
    while (waitpid(maker, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid maker");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "load: the orphan maker failed (wait status %#x)\n", status);
        exit(FAIL);
    }
    double made_at = now_ms();
    for (long i = 0; i < open; i++) {
        while (syscall(SYS_pidfd_send_signal, fds[i], 0, NULL, 0) == 0)
            pause_ms(1);
        if (errno != ESRCH)
            die("pidfd_send_signal");
        close(fds[i]);
    }
    double reaped_at = now_ms();
    printf("orphans %ld reaped\n", made);
    fflush(stdout);
    fprintf(stderr, "load: %ld orphans made in %.1f ms, all reaped %.1f ms later\n", made,
            made_at - start, reaped_at - made_at);
    return code;
}

/* ---- signals ---------------------------------------------------------------------------- */

/* Counted: the standard signals tests/load.rs sends, and SIGRTMIN+1..+4. SIGRTMAX marks the
 * end of a storm. SIGTERM is not among them: keel starts its grace clock on it. */
static const int standard[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,
                               SIGPIPE, SIGALRM, SIGWINCH, SIGURG};
static volatile sig_atomic_t counts[65];
static volatile sig_atomic_t marked;

static void count(int sig) {
    counts[sig]++;
}
static void mark(int sig) {
    (void)sig;
    marked = 1;
}

/* Prints "ready", then at the marker one line "SIG COUNT" per counted signal and "counted";
 * then, once ten more SIGUSR1 have come, stops its orphan maker and exits 42 when that has
 * seen all its orphans reaped.
 * Signals forwarded before the marker were queued before it, and a process delivers every
 * pending signal before it returns from a handler to its main loop: so when the loop sees
 * the marker, the counts are complete. */
static int signals(const char *self) {
    pid_t maker = fork();
    if (maker < 0)
        die("fork");
    if (maker == 0) {
        execl("/proc/self/exe", self, "orphans", "0", "0", (char *)NULL);
        die("exec orphans");
    }
    for (size_t i = 0; i < sizeof standard / sizeof *standard; i++)
        on(standard[i], count);
    for (int sig = SIGRTMIN + 1; sig <= SIGRTMIN + 4; sig++)
        on(sig, count);
    on(SIGRTMAX, mark);
    printf("ready\n");
    fflush(stdout);
    while (!marked)
        pause_ms(1);
    for (size_t i = 0; i < sizeof standard / sizeof *standard; i++)
        printf("%d %d\n", standard[i], (int)counts[standard[i]]);
    for (int sig = SIGRTMIN + 1; sig <= SIGRTMIN + 4; sig++)
        printf("%d %d\n", sig, (int)counts[sig]);
    printf("counted\n");
    fflush(stdout);
    /* The test starts a second storm when it reads "counted": end under it. */
    sig_atomic_t seen = counts[SIGUSR1];
    while (counts[SIGUSR1] < seen + 10)
        pause_ms(1);
    if (kill(maker, SIGTERM) != 0)
        die("kill orphan maker");
    int status;
    while (waitpid(maker, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid orphan maker");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "load: the orphan maker failed (wait status %#x)\n", status);
        return FAIL;
    }
    return 42;
}

/* ---- misbehaving payloads ------------------------------------------------------------- */

static void ignore_everything(void) {
    /* 32 and 33 belong to the C library's threads; sigaction refuses them. */
    for (int sig = 1; sig <= SIGRTMAX; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && (sig < 32 || sig >= SIGRTMIN))
            if (signal(sig, SIG_IGN) == SIG_ERR)
                die("signal SIG_IGN");
}

static int join_parent_group(int code) {
    if (setpgid(0, getpgid(getppid())) != 0)
        die("setpgid");
    return code;
}

static int leave_behind(int code, int ignore) {
    pid_t grandchild = fork();
    if (grandchild < 0)
        die("fork");
    if (grandchild == 0) {
        if (setsid() < 0)
            die("setsid");
        if (ignore)
            ignore_everything();
        /* Only now: a drain's SIGTERM must not find it half set up. */
        printf("grandchild %d\n", getpid());
        fflush(stdout);
        for (;;)
            pause();
    }
    /* The test opens a pidfd on the grandchild, once it has said it is ready, before it lets
     * this process exit. */
    char buf[64];
    while (read(0, buf, sizeof buf) > 0)
        ;
    return code;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "orphans") == 0 && argc > 2)
        return orphans(atol(argv[2]), code_arg(argc, argv, 3));
    if (strcmp(mode, "signals") == 0)
        return signals(argv[0]);
    if (strcmp(mode, "join-parent-group") == 0)
        return join_parent_group(code_arg(argc, argv, 2));
    if (strcmp(mode, "leave-behind") == 0)
        return leave_behind(code_arg(argc, argv, 2), argc > 3 && strcmp(argv[3], "ignore") == 0);
    if (strcmp(mode, "ignore-all") == 0) {
        ignore_everything();
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    fprintf(stderr, "usage: load orphans N CODE | signals | join-parent-group CODE | "
                    "leave-behind CODE [ignore] | ignore-all\n");
    return FAIL;
}
