# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# BenchExec's documented podman command (doc/benchexec-in-container.md) with keel as the
# container's PID 1, end to end: the guest's root becomes the host's userland (a read-only,
# non-recursive bind of the host's / over virtiofs, under a tmpfs-upper overlay), and
# support/benchexec-podman-root.sh runs podman there twice with BenchExec's runexec, from
# its PyPI wheel, in the container under a memory and a time limit:
#   keel-run     keel -c benchexec.cfg (preset = "benchexec") as the container's PID 1:
#                runexec reports returnvalue=0 and the memory it measured
#   no-init-run  the same container with runexec's script as PID 1, no cgroup delegation:
#                runexec must fail (the negative control: this case can fail)
# Both in one boot (the setup is most of its time), keel-run first: the negative control
# must fail with BenchExec's own cgroup error, not because of what the first run left.
# One vCPU (the default): with 2 under TCG the guest once marked its TSC unstable under
# load and oopsed patching the sched_clock static key (int3 in sched_clock_cpu, on 6.12).
DESCRIPTION="BenchExec's podman command: runexec with --memlimit/--timelimit succeeds under keel's preset benchexec, fails without an init"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"

# BenchExec's wheel (pure Python, the guide's .whl install), downloaded once into the VM
# cache; both kernels' runs may get here at the same time, hence the lock.
BX_VERSION=3.35
bx_dir=${KEEL_VM_CACHE:-$ROOT/target/vm}/benchexec
bx_wheel=$bx_dir/benchexec-$BX_VERSION-py3-none-any.whl
mkdir -p "$bx_dir"
(
    flock 9
    [[ -s $bx_wheel ]] && exit 0
    command -v pip3 >/dev/null 2>&1 || {
        echo "benchexec-podman: no pip3 to download benchexec $BX_VERSION into ${bx_dir#"$ROOT"/} (Debian package python3-pip)" >&2
        exit 1
    }
    pip3 download -q --no-deps "benchexec==$BX_VERSION" -d "$CG_TMP" >"$CG_TMP/pip.log" 2>&1 && mv "$CG_TMP/${bx_wheel##*/}" "$bx_wheel" || {
        echo "benchexec-podman: pip3 download --no-deps benchexec==$BX_VERSION failed (PyPI unreachable?): $(tail -n 1 "$CG_TMP/pip.log")" >&2
        exit 1
    }
) 9>"$bx_dir/.lock"
ADD+=("$bx_wheel:/test/benchexec.whl")

cg_config benchexec <<'EOF'
[cgroup]
preset = "benchexec"
EOF
cg_support benchexec-podman-root.sh benchexec-podman-payload.sh
VM_ARGS=(--share /:host:ro --mem 1024)
# Stage 1, busybox in the initramfs: the host's userland as the root, the test files
# (keel among them) at /test, then stage 2 with the host's bash.
WORKLOAD='#!/bin/sh
set -e
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
exec chroot . /test/benchexec-podman-root.sh
'
EXPECT_STATUS=0
EXPECT_CONSOLE=(
    '^keel-run: payload: pid 1 is (memfd:)?keel, in cgroup 0::/init$'
    '^keel-run: returnvalue=0$'
    '^keel-run: memory=[0-9]+B$'
    '^keel-run: output.log: tool-ran$'
    '^keel-run: podman exit 0$'
    '^no-init-run: payload: pid 1 is benchexec-podm'
    '^no-init-run: .* ERROR - Memory limit specified, but cannot be implemented without cgroup support\.$'
    '^no-init-run: podman exit [1-9]'
    '^benchexec-podman: done$'
)
REJECT_CONSOLE=('FAIL' '^no-init-run: returnvalue=')
TIMEOUT=120
