#!/bin/sh
# Stand-in for keel's machine mode, in busybox sh, for developing the VM harness before the
# real binary exists:   scripts/vm.sh run --keel crates/keel/tests/vm/support/keel-standin.sh …
# keel [--machine] [--grace DURATION] [-v] -- PROGRAM ARGS...
# As PID 1: mount /proc /sys /dev /run when absent, run the workload, drain (TERM, grace,
# KILL), sync, print "keel: workload exited with status N", power off.
grace=10
while [ $# -gt 0 ]; do
    case $1 in
    --grace) grace=$2; shift 2 ;;
    --grace=*) grace=${1#*=}; shift ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
    esac
done
grace=${grace%s}
[ $# -gt 0 ] || { echo "keel: no program given" >&2; exit 2; }

mounted() { grep -q " $1 " /proc/mounts 2>/dev/null; }
[ -e /proc/self ] || mount -t proc -o nosuid,nodev,noexec proc /proc
mounted /sys || mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mounted /dev || mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mounted /run || mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run

"$@" &
wait $!
status=$?

kill -TERM -1 2>/dev/null
# Wait up to the grace for user processes (those with an exe link) other than ourselves.
others() {
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = 1 ] && continue
        [ -e "$p/exe" ] && return 0
    done
    return 1
}
i=0
while [ "$i" -lt "$((grace * 10))" ] && others; do
    sleep 0.1
    i=$((i + 1))
done
kill -KILL -1 2>/dev/null
sync
echo "keel: workload exited with status $status" >&2
poweroff -f
