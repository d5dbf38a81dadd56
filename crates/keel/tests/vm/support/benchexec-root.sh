#!/bin/bash
# Stage 2 of the crates/keel/tests/vm/benchexec-ENGINE.sh cases, run by the host's bash in
# the guest once the host's userland (virtiofs, read-only, under a tmpfs-upper overlay) is
# the root: BenchExec's documented command for ENGINE (podman), twice, with the
# same runexec in the container (support/benchexec-payload.sh):
#   keel-run     keel (preset = "benchexec") as the container's PID 1: runexec must succeed
#   no-init-run  the payload itself as the container's PID 1: runexec must fail, as
#                BenchExec's guide says it does without the cgroup delegation of an init
# Each run's output is printed with its name as a prefix, then "NAME: ENGINE exit N"; the
# case checks them on the console. Usage: benchexec-root.sh podman
set -euo pipefail
engine=$1
# The guest's uptime on each line shows where a slow run spends its time.
say() { echo "benchexec-$engine: $* (at $(cut -d' ' -f1 /proc/uptime) s)"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The host's /run and /tmp stay out.
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# The engine (podman with the cgroupfs manager, at least) looks for its own cgroup below the
# root: "could not find cgroup mount in /proc/self/cgroup" when it runs in the root itself.
mkdir /sys/fs/cgroup/stage
echo $$ >/sys/fs/cgroup/stage/cgroup.procs

# BenchExec's guide: podman run --security-opt unmask=/sys/fs/cgroup --cgroups=split
# --security-opt unmask=/proc/* --security-opt seccomp=unconfined, and --device /dev/fuse
# "if you want BenchExec to use fuse-overlayfs": it must here. runexec mounts / as an
# overlay, picks fuse-overlayfs because the engine's mounts sit below / (/proc, /etc/hosts,
# ...), and without /dev/fuse its fallback, a kernel overlay of /, fails with EINVAL.
# The rest: crun, cgroupfs and CNI as in engines.md's command (runc and netavark work too in
# this guest, with --network none), no events journal, the test files as a read-only volume.
podman_setup() {
    # "'overlay' is not supported over overlayfs, a mount_program is required" on the root.
    mount -t tmpfs tmpfs /var/lib/containers
    # The container's root: a bind of / without its submounts (with them, BenchExec's remount
    # of /proc fails with EPERM), and not / itself (crun's pivot_root fails with EBUSY).
    mkdir /run/ctr-root
    mount --bind / /run/ctr-root
    # Where runexec runs (see the payload).
    mkdir /bx-work
    say "podman $(podman --version | sed 's/.* //'), crun $(crun --version | sed -n 's/^crun version //p'), $(/usr/bin/python3 --version)"
}
podman_run() {
    podman --runtime crun --network-backend cni --cgroup-manager cgroupfs --events-backend none \
        run --rm --network none \
        --security-opt unmask=/sys/fs/cgroup --cgroups=split \
        --security-opt unmask=/proc/* --security-opt seccomp=unconfined \
        --device /dev/fuse --volume /test:/test:ro \
        --rootfs /run/ctr-root "$@"
}
podman_stop() { :; }

# run NAME COMMAND...: one container; its output with NAME: before each line, then its status.
run() {
    local name=$1 rc=0
    shift
    say "$name: starting"
    "${engine}_run" "$@" >/tmp/"$name".out 2>&1 || rc=$?
    sed "s/^/$name: /" /tmp/"$name".out
    echo "$name: $engine exit $rc"
}

case $engine in
podman) ;;
*) say "FAIL: unknown engine '$engine' (podman)"; exit 2 ;;
esac
"${engine}_setup"
run keel-run /test/keel -c /test/benchexec.cfg -- /test/benchexec-payload.sh
run no-init-run /test/benchexec-payload.sh
"${engine}_stop"
say "done"
