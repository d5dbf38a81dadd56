# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# keel as the machine's init builds a namespaced view with the new mount API on each kernel:
# a new pid, uts and net namespace with its own /proc; a sealed overlay (one lower layer, so
# keel supplies the empty second one) that even root cannot make writable; an ephemeral
# overlay on a size-limited tmpfs; and keel itself sealed, so /proc/1/exe is read-only.
# The inner keel's status reaches the console through the outer one (one status line).
DESCRIPTION="namespaces, sealed and ephemeral overlays, sealed keel, on each kernel's overlayfs"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config sandbox <<'EOF2'
[namespaces]
unshare = ["mount", "pid", "uts", "net"]
hostname = "vmbox"
[[mount]]
destination = "/proc"
type = "proc"
[[mount]]
destination = "/mnt/sealed"
type = "overlay"
lower = ["/etc"]
[[mount]]
destination = "/mnt/eph"
type = "overlay"
lower = ["/etc", "/bin"]
upper = "tmpfs"
size = "1m"
EOF2
KEEL_ARGS=(-c /etc/keel/sandbox.cfg -- /test/workload)
WORKLOAD='
echo "sandbox: pid=$$ host=$(hostname) init=$(cat /proc/1/comm) procs=$(echo /proc/[0-9]*)"
(echo x > /mnt/sealed/new) 2>/dev/null && echo "sandbox: WROTE sealed"
mount -o remount,rw /mnt/sealed 2>/dev/null; (echo x > /mnt/sealed/new) 2>/dev/null && echo "sandbox: WROTE after remount"
[ -f /mnt/sealed/keel/sandbox.cfg ] && echo "sandbox: sealed shows the layer"
echo y > /mnt/eph/new && [ -f /mnt/eph/sh ] && echo "sandbox: ephemeral writable over both layers"
[ -e /etc/new ] && echo "sandbox: LEAKED into the lower layer"
(echo z >> /proc/1/exe) 2>/dev/null && echo "sandbox: WROTE keel"
echo "sandbox: done"
exit 3
'
EXPECT_STATUS=3
EXPECT_CONSOLE=('sandbox: pid=2 host=vmbox init=keel procs=/proc/1 /proc/2( /proc/[0-9]+)?$' 'sandbox: sealed shows the layer'
    'sandbox: ephemeral writable over both layers' 'sandbox: done')
REJECT_CONSOLE=('WROTE' 'LEAKED' 'keel: (mounts|namespaces|seal)' 'exited with status 130')
