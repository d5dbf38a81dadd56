# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Host side of the crates/keel/tests/vm/benchexec-ENGINE.sh cases (sourced): BenchExec's
# documented command for ENGINE with keel as the container's PID 1 and runexec in it, and
# the same container with no init as the negative control (support/benchexec-root.sh).
# The guest's root becomes the host's userland: a read-only, non-recursive bind of the
# host's / over virtiofs (vm.sh --share /:host:ro), under a tmpfs-upper overlay.
#
#   bx_case ENGINE PATH...   check that the host has PATH... (what the guest will run of its
#                            userland), fetch BenchExec's wheel, and set ADD, VM_ARGS,
#                            WORKLOAD, EXPECT_STATUS, EXPECT_CONSOLE and REJECT_CONSOLE
#
# Both runs are in one boot (the setup is most of its time), keel-run first: the negative
# control must fail with BenchExec's own cgroup error, not because of what the first left.
# One vCPU (vm.sh's default): with 2 under TCG the guest once marked its TSC unstable under
# load and oopsed patching the sched_clock static key (int3 in sched_clock_cpu, on 6.12).

# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cgroup-lib.sh"

BX_VERSION=3.35

# bx_wheel: BenchExec's wheel (pure Python; the guide's .whl install, used from
# PYTHONPATH), downloaded once into the VM cache. Both kernels' runs may get here at the
# same time, hence the lock. Prints its path.
bx_wheel() {
    local dir=${KEEL_VM_CACHE:-$CG_ROOT/target/vm}/benchexec
    local wheel=$dir/benchexec-$BX_VERSION-py3-none-any.whl
    mkdir -p "$dir"
    (
        flock 9
        [[ -s $wheel ]] && exit 0
        command -v pip3 >/dev/null 2>&1 || {
            echo "benchexec-lib: no pip3 to download benchexec $BX_VERSION into $dir (Debian package python3-pip)" >&2
            exit 1
        }
        if ! pip3 download -q --no-deps "benchexec==$BX_VERSION" -d "$CG_TMP" >"$CG_TMP/pip.log" 2>&1; then
            echo "benchexec-lib: pip3 download --no-deps benchexec==$BX_VERSION failed (PyPI unreachable?): $(tail -n 1 "$CG_TMP/pip.log")" >&2
            exit 1
        fi
        mv "$CG_TMP/${wheel##*/}" "$wheel"
    ) 9>"$dir/.lock" || return 1
    echo "$wheel"
}

bx_case() {
    local engine=$1 path wheel
    shift
    for path in /usr/bin/bash /usr/bin/python3 /usr/bin/fuse-overlayfs "$@"; do
        [[ -x $path ]] || { echo "benchexec-$engine: no $path on the host, which the guest runs as its userland" >&2; return 1; }
    done
    wheel=$(bx_wheel) || return 1
    ADD+=("$wheel:/test/benchexec.whl")
    cg_config benchexec <<'EOF'
[cgroup]
preset = "benchexec"
EOF
    cg_support benchexec-root.sh benchexec-payload.sh
    VM_ARGS=(--share /:host:ro --mem 1024)
    # Stage 1, busybox in the initramfs: the host's userland as the root, the test files
    # (keel among them) read-only at /test, then stage 2 with the host's bash.
    WORKLOAD='#!/bin/sh
set -e
echo "benchexec-'"$engine"': stage 1: the host'\''s userland as / (at $(cut -d" " -f1 /proc/uptime) s)"
mkdir -p /mnt/host /mnt/rw /mnt/root
mount -t virtiofs -o ro host /mnt/host
mount -t tmpfs -o size=512m,mode=0755 tmpfs /mnt/rw
mkdir /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /mnt/root
cp /sbin/keel /etc/keel/benchexec.cfg /test/
mkdir -p /mnt/root/test
mount --bind /test /mnt/root/test
mount -o remount,bind,ro /mnt/root/test
# switch_root'\''s move: the overlay becomes /, so a bind of / is the overlay (crun pivots there).
cd /mnt/root
mount --move . /
exec chroot . /test/benchexec-root.sh '"$engine"'
'
    EXPECT_STATUS=0
    EXPECT_CONSOLE=(
        '^keel-run: payload: pid 1 is (memfd:)?keel, in cgroup 0::/init$'
        '^keel-run: returnvalue=0$'
        '^keel-run: memory=[0-9]+B$'
        '^keel-run: output.log: tool-ran$'
        "^keel-run: $engine exit 0\$"
        '^no-init-run: payload: pid 1 is benchexec-paylo'
        '^no-init-run: .* ERROR - Memory limit specified, but cannot be implemented without cgroup support\.$'
        "^no-init-run: $engine exit [1-9]"
        "^benchexec-$engine: done "
    )
    REJECT_CONSOLE=('FAIL' '^no-init-run: returnvalue=')
}
