/* oci-stamp: the /bin/true of scripts/bench-oci.sh's bundle. It prints CLOCK_MONOTONIC in ns
 * on stdout, then exits 0, so the benchmark learns when the container's process began to run
 * (the runtime's start-to-exec) besides when the runtime itself ended.
 * No libc (cc -static -nostdlib -no-pie): three raw syscalls, a few KiB, so that its own exec
 * costs next to nothing and the same under every runtime. x86_64 only, as keel's VM tests.
 * The clock is the one the guest's /proc/timer_list calls "now" (ktime_get), the benchmark's
 * clock; no time namespace is configured, so the container sees it unshifted. */
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

/* The kernel enters _start with a 16-byte aligned stack, not the 8-off one a call leaves. */
__attribute__((force_align_arg_pointer, noreturn)) void _start(void)
{
    struct { long sec, nsec; } ts = {0, 0};
    sys3(228 /* clock_gettime */, 1 /* CLOCK_MONOTONIC */, (long)&ts, 0);
    unsigned long v = (unsigned long)ts.sec * 1000000000UL + (unsigned long)ts.nsec;
    char buf[24];
    int i = sizeof buf;
    buf[--i] = '\n';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sys3(1 /* write */, 1, (long)(buf + i), (long)(sizeof buf - i)); /* a closed stdout is fine */
    for (;;)
        sys3(231 /* exit_group */, 0, 0, 0);
}
