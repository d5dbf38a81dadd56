#!/bin/sh
# shellcheck disable=SC2086,SC2015 # no word here has spaces; A && B || C is meant
# The guest side of scripts/bench-cgroup.sh (busybox sh, run by keel in the VM):
#   bench-cgroup-guest.sh N [MOUNT_OPTIONS]
# MOUNT_OPTIONS are extra options for the guest's cgroup2 mount (e.g. favordynmods).
# Prints "BENCH variant mean_us median_us min_us count" per variant and "BENCH-FAILED n".
N=$1
cg=/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec${2:+,$2} cgroup2 $cg || { echo "bench: cannot mount cgroup2"; exit 1; }
all=$(cat $cg/cgroup.controllers)
plus=$(for c in $all; do printf '+%s ' "$c"; done)
echo "$plus" >$cg/cgroup.subtree_control && mkdir $cg/bench && echo "$plus" >$cg/bench/cgroup.subtree_control ||
    { echo "bench: cannot enable the controllers"; exit 1; }
# run DIR PROGRAM…: PROGRAM alone in DIR, in a new cgroup namespace rooted there, with cgroup2
# mounted anew in a new mount namespace, as a container runtime starts a container's PID 1.
# Every variant pays this wrapper: cgns-exec (crates/keel/tests/vm/support/cgns-exec.c) when
# the host could build it, else sh + util-linux unshare + sh (slower and noisier under TCG).
if [ -x /test/cgns-exec ]; then
    wrapper="cgns-exec (static C): move, unshare, mount"
    run() { /test/cgns-exec "$@"; }
    # floor: cgns-exec itself does init.sh's work in the fewest syscalls before the exec.
    variants="wrapper sh keel-nocg floor init.sh keel-exec keel"
else
    variants="wrapper sh keel-nocg init.sh keel-exec keel"
    wrapper="sh + unshare (util-linux) + sh: move, unshare, umount, mount"
    # The old mount is unmounted first: a filesystem cannot be mounted on its own root (EBUSY).
    run() {
        sh -c 'echo 0 >"$0/cgroup.procs" && exec /opt/host/bin/unshare --cgroup --mount /bin/sh -c "umount /sys/fs/cgroup && mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup && exec \"\$@\"" sh "$@"' "$@"
    }
fi
# The program of each variant (sh's has a quoted word: run below spells it out).
program() {
    case $1 in
    wrapper) echo /bin/true ;;
    keel-nocg) echo /sbin/keel --exec -- /bin/true ;;
    init.sh) echo /bin/sh /test/benchexec-init.upstream.sh /bin/true ;;
    keel-exec) echo /sbin/keel --exec -c /etc/keel/benchexec.cfg -- /bin/true ;;
    keel) echo /sbin/keel -c /etc/keel/benchexec.cfg -- /bin/true ;;
    esac
}
# The monotonic clock in ns without a fork: line 3 of /proc/timer_list is "now at N nsecs".
now() { { read -r _; read -r _; read -r _ _ t _; } </proc/timer_list; }
bad=0
echo "bench: $N iterations of: $variants; $(grep " $cg " /proc/mounts)"
echo "BENCH-WRAPPER $wrapper"
rm -f /tmp/t.* /tmp/bench.err
i=1
while [ $i -le "$N" ]; do
    # Rotate the order every iteration, so that what one variant leaves behind (the kernel
    # frees removed cgroups in the background) falls on each of the others alike.
    # shellcheck disable=SC2086
    set -- $variants
    r=$((i % $#))
    while [ $r -gt 0 ]; do v=$1; shift; set -- "$@" "$v"; r=$((r - 1)); done
    for v in "$@"; do
        d=$cg/bench/$v-$i
        mkdir $d
        prog=$(program $v)
        now
        t0=$t
        if [ $v = sh ]; then
            # shellcheck disable=SC2016 # $@ is the inner shell's
            run $d /bin/sh -c 'exec "$@"' sh /bin/true 2>>/tmp/bench.err
        elif [ $v = floor ]; then
            /test/cgns-exec --benchexec $d /bin/true 2>>/tmp/bench.err
        else
            # shellcheck disable=SC2086 # split the program's words
            run $d $prog 2>>/tmp/bench.err
        fi
        st=$?
        now
        echo $(((t - t0) / 1000)) >>/tmp/t.$v
        # The tree each set-up variant must leave: init (empty now), benchexec empty, every
        # controller in the namespace root's and benchexec's subtree_control.
        ok=1
        [ $st = 0 ] || ok=0
        case $v in
        floor | init.sh | keel-exec | keel)
            s1=
            s2=
            p=
            read -r s1 <$d/cgroup.subtree_control
            read -r s2 <$d/benchexec/cgroup.subtree_control
            read -r p <$d/init/cgroup.procs
            [ -d $d/init ] && [ "$s1" = "$all" ] && [ "$s2" = "$all" ] && [ -z "$p" ] || ok=0
            rmdir $d/init $d/benchexec
            ;;
        esac
        rmdir $d
        [ $ok = 1 ] || {
            bad=$((bad + 1))
            echo "bench: $v iteration $i: status $st, or a wrong tree"
        }
    done
    sleep 0.02
    [ $((i % 50)) = 0 ] && echo "bench: $i iterations done"
    i=$((i + 1))
done
for v in $variants; do
    sort -n /tmp/t.$v >/tmp/s.$v
    n=$(wc -l </tmp/s.$v)
    sum=0
    while read -r x; do sum=$((sum + x)); done </tmp/s.$v
    med=$(sed -n "$(((n + 1) / 2))p" /tmp/s.$v)
    min=$(sed -n 1p /tmp/s.$v)
    echo "BENCH $v $((sum / n)) $med $min $n"
done
echo "BENCH-FAILED $bad"
if [ -s /tmp/bench.err ]; then
    echo "bench: stderr of the runs (most frequent lines):"
    sort /tmp/bench.err | uniq -c | sort -rn | head -n 5
fi
