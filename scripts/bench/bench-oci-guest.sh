#!/bin/sh
# shellcheck disable=SC2086,SC2015 # no word here has spaces; A && B || C is meant
# The guest side of scripts/bench-oci.sh (busybox sh, run by keel in the VM):
#   bench-oci-guest.sh N BUNDLE LEAF VARIANT...
# BUNDLE is the OCI bundle (config.json, rootfs/ whose /bin/true is oci-stamp), LEAF the
# cgroup its config.json names (cgroupsPath), /etc/keel/oci.cfg and oci-nocg.cfg keel's
# configs made from it. Prints "CHECK variant status N: stderr" for each variant's trial run,
# "BENCH variant metric mean_us median_us min_us count" and "BENCH-FAILED n".
cg=/sys/fs/cgroup
if [ "$1" != --inner ]; then
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $cg || { echo "bench: cannot mount cgroup2"; exit 1; }
    read -r all <$cg/cgroup.controllers
    plus=$(for c in $all; do printf '+%s ' "$c"; done)
    echo "$plus" >$cg/cgroup.subtree_control || { echo "bench: cannot enable the controllers"; exit 1; }
    # pivot_root(2) cannot move away from the initramfs: the root mount of the initial mount
    # namespace has no parent (EINVAL). runc, crun and keel all pivot, so they get what a
    # disk-booted host has: a root that is a mount with a parent, / bound on /mnt/root
    # (with /proc, /sys, /dev, /run and the cgroup2 mount below it) and chrooted into.
    mkdir -p /mnt/root && mount --rbind / /mnt/root || { echo "bench: cannot bind /"; exit 1; }
    exec chroot /mnt/root /bin/sh /test/bench --inner "$@"
fi
shift
N=$1 B=$2 leaf=$cg/$3
shift 3
variants=$*
export PATH=/opt/host/bin:$PATH
# The command of each variant. keel's configs carry the workload (process.args), as
# config.json does for runc and crun.
program() {
    case $1 in
    direct) echo $B/rootfs/bin/true ;;
    runc) echo runc run --bundle $B keel-bench ;;
    crun) echo crun run --bundle $B keel-bench ;;
    keel) echo /sbin/keel -c /etc/keel/oci.cfg ;;
    keel-exec) echo /sbin/keel --exec -c /etc/keel/oci.cfg ;;
    keel-nocg) echo /sbin/keel -c /etc/keel/oci-nocg.cfg ;;
    keel-exec-nocg) echo /sbin/keel --exec -c /etc/keel/oci-nocg.cfg ;;
    esac
}
# The monotonic clock in ns without a fork: line 3 of /proc/timer_list is "now at N nsecs".
now() { { read -r _; read -r _; read -r _ _ t _; } </proc/timer_list; }
# run V: one run of variant V, timed. Sets st (status), s (the stamp: the workload's first
# instant), t0 (before the runtime's fork), t1 (after its exit), t2 (after its cgroup is gone:
# runc and crun remove theirs, keel leaves its leaf to whoever made room for it, so the
# harness removes it here, inside the time, to compare the same work).
run() {
    prog=$(program $1)
    : >/tmp/stamp
    now
    t0=$t
    # shellcheck disable=SC2086 # split the program's words
    $prog >/tmp/stamp 2>>/tmp/err.$1
    st=$?
    now
    t1=$t
    [ -d $leaf ] && rmdir $leaf
    now
    t2=$t
    s=
    read -r s </tmp/stamp
}
echo "bench: $(uname -r); $(grep " $cg " /proc/mounts)"
echo "bench: runc $(runc --version | head -n 1 | cut -d' ' -f3), crun $(crun --version | head -n 1 | cut -d' ' -f3)"
# One trial run of each: a variant that fails is reported with its exact error and left out.
ok_variants=
for v in $variants; do
    : >/tmp/err.$v
    run $v
    case $s in
    '' | *[!0-9]*) good=0 ;;
    *) good=1 ;;
    esac
    [ $st = 0 ] || good=0
    echo "CHECK $v status $st stamp ${s:-none}: $(tr '\n' ' ' </tmp/err.$v)"
    if [ $good = 1 ]; then ok_variants="$ok_variants $v"; else echo "BENCH-REFUSED $v"; fi
    [ -d $leaf ] && echo "bench: $v left $leaf behind" && rmdir $leaf
done
set -- $ok_variants
[ $# -gt 0 ] || { echo "BENCH-FAILED all"; exit 1; }
variants=$*
echo "bench: $N iterations of:$ok_variants"
rm -f /tmp/m.*
bad=0
i=1
while [ $i -le "$N" ]; do
    # Rotate the order every iteration, so that drift and what one run leaves to the kernel's
    # background work (freeing namespaces, cgroups) fall on every variant alike.
    set -- $variants
    r=$((i % $#))
    while [ $r -gt 0 ]; do v=$1; shift; set -- "$@" "$v"; r=$((r - 1)); done
    for v in "$@"; do
        run $v
        case $s in
        '' | *[!0-9]*)
            bad=$((bad + 1))
            echo "bench: $v iteration $i: status $st, stamp '$s'"
            continue
            ;;
        esac
        [ $st = 0 ] || { bad=$((bad + 1)); echo "bench: $v iteration $i: status $st"; }
        # start: fork of the runtime -> exec of the workload; exit: the workload's start ->
        # the runtime's exit (workload run, reaping, namespace and cgroup teardown);
        # e2e: the whole run; total: e2e + removing the leaf when the runtime left it.
        echo $(((s - t0) / 1000)) >>/tmp/m.$v.start
        echo $(((t1 - s) / 1000)) >>/tmp/m.$v.exit
        echo $(((t1 - t0) / 1000)) >>/tmp/m.$v.e2e
        echo $(((t2 - t0) / 1000)) >>/tmp/m.$v.total
    done
    [ $((i % 20)) = 0 ] && echo "bench: $i iterations done"
    i=$((i + 1))
done
for v in $variants; do
    for m in start exit e2e total; do
        [ -s /tmp/m.$v.$m ] || continue
        sort -n /tmp/m.$v.$m >/tmp/s
        n=$(wc -l </tmp/s)
        sum=0
        while read -r x; do sum=$((sum + x)); done </tmp/s
        echo "BENCH $v $m $((sum / n)) $(sed -n "$(((n + 1) / 2))p" /tmp/s) $(sed -n 1p /tmp/s) $n"
    done
done
echo "BENCH-FAILED $bad"
for v in $variants; do
    [ -s /tmp/err.$v ] && echo "bench: stderr of $v (most frequent lines):" && sort /tmp/err.$v | uniq -c | sort -rn | head -n 3
done
exit 0
