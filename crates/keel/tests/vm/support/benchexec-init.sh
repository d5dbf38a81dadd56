#!/bin/sh
# BenchExec's own container init, as the VM's PID 1, to compare keel's BenchExec preset with:
#   scripts/vm.sh run --keel crates/keel/tests/vm/support/benchexec-init.sh \
#       --add crates/keel/tests/vm/support/benchexec-init.upstream.sh:/test/benchexec-init.upstream.sh -- PROGRAM ARGS…
# (crates/keel/tests/vm/cgroup-benchexec.sh does this in its check()).
#
# /test/benchexec-init.upstream.sh is init.sh from BenchExec's doc/benchexec-in-container.md,
# byte for byte. This stand-in only adds what a container runtime gives that script:
#   1. as PID 1, mount /proc /sys /dev /run and cgroup2 at /sys/fs/cgroup, with the options
#      keel's machine mode uses;
#   2. exec the upstream init.sh, so that its `echo $$` moves PID 1 itself into /init, with
#      "$@" = this script in --finish mode followed by the program;
#   3. --finish (still PID 1, after init.sh's `exec "$@"`): run the program as a child, then
#      print "keel: workload exited with status N" and power off, as scripts/vm.sh expects.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ "${1:-}" = --finish ]; then
    shift
    "$@" &
    wait $!
    status=$?
    sync
    echo "keel: workload exited with status $status" >&2
    poweroff -f
    exit "$status"
fi

[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- /bin/true
mountpoint() { grep -q "^[^ ]* $1 " /proc/mounts 2>/dev/null; }
[ -e /proc/self ] || mount -t proc -o nosuid,nodev,noexec proc /proc
mountpoint /sys || mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mountpoint /dev || mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mountpoint /run || mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mountpoint /sys/fs/cgroup || mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
echo "benchexec-init: PID $$ execs init.sh" >&2
# shellcheck disable=SC2093 # the lines after it run only when exec fails
exec /bin/sh /test/benchexec-init.upstream.sh /bin/sh "$0" --finish "$@"
echo "benchexec-init: cannot exec /test/benchexec-init.upstream.sh" >&2
echo "keel: workload exited with status 125" >&2
poweroff -f
