# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# A kernel without overlayfs (issue 7): overlay is a module in Debian's kernels, and
# module_blacklist=overlay on the command line makes the stage's insmod of it fail. keel as
# PID 1 still starts (its sealing falls back to a sealed memfd copy of itself) and runs the
# workload, which runs a second keel, a plain child, with each kind of overlay: each must
# exit 125 with one line naming the step, the overlay's target and ENODEV, and leave the
# mount table as it was and no keel process behind.
DESCRIPTION="no overlay module: PID 1 seals from a memfd; sealed/ephemeral/persisted overlays fail with one ENODEV line, 125, nothing left"
# The case runs in its own subshell of scripts/vm-tests.sh: the export reaches only its VM.
export KEEL_VM_APPEND="${KEEL_VM_APPEND:-} module_blacklist=overlay"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config sealed <<'EOF'
[[mount]]
destination = "/mnt/sealed"
type = "overlay"
lower = ["/etc"]
EOF
cg_config ephemeral <<'EOF'
[namespaces]
unshare = ["mount", "pid"]
[[mount]]
destination = "/proc"
type = "proc"
[[mount]]
destination = "/mnt/ephemeral"
type = "overlay"
lower = ["/etc", "/bin"]
upper = "tmpfs"
size = "1m"
EOF
cg_config persisted <<'EOF'
[[mount]]
destination = "/mnt/persisted"
type = "overlay"
lower = ["/etc"]
upper = "/tmp/upper"
work = "/tmp/work"
EOF
KEEL_ARGS=(-- /test/workload)
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "fault-overlay-module: FAIL: $*"; bad=1; }
grep -qw overlay /proc/filesystems && fail "overlay is registered: module_blacklist did not keep it out"
exe=$(readlink /proc/1/exe)
echo "fault-overlay-module: pid 1 runs from $exe"
case $exe in /memfd:keel*) ;; *) fail "/proc/1/exe is $exe, want the sealed memfd copy" ;; esac
mkdir -p /tmp/upper /tmp/work

# try NAME TARGET: keel -c NAME.cfg exits 125 with one line naming the overlay at TARGET
# and ENODEV; the workload never runs, the mount table is unchanged, no keel is left.
try() {
    before=$(cat /proc/self/mountinfo)
    /sbin/keel -c /etc/keel/$1.cfg -- echo RAN >/tmp/$1.out 2>/tmp/$1.err
    st=$?
    sed "s/^/fault-overlay-module: $1: /" /tmp/$1.err
    [ "$st" = 125 ] || fail "$1: keel exited with $st, want 125"
    [ -s /tmp/$1.out ] && fail "$1: the workload ran"
    lines=$(wc -l </tmp/$1.err)
    [ "$lines" = 1 ] || fail "$1: keel printed $lines lines on stderr, want one naming the step, $2 and ENODEV"
    if [ "$lines" != 0 ]; then
        grep -q "^keel: mounts: .*overlay" /tmp/$1.err || fail "$1: the message does not name the overlay step"
        grep -q "$2" /tmp/$1.err || fail "$1: the message does not name $2"
        grep -q "ENODEV (No such device)" /tmp/$1.err || fail "$1: the message does not name ENODEV"
    fi
    [ "$(cat /proc/self/mountinfo)" = "$before" ] || fail "$1: the mount table changed"
    # [.] keeps this grep from matching its own command line.
    left=$(grep -l "keel/$1[.]cfg" /proc/[0-9]*/cmdline 2>/dev/null)
    [ -z "$left" ] || fail "$1: keel processes left: $left"
}
try sealed /mnt/sealed
try ephemeral /mnt/ephemeral
try persisted /mnt/persisted
[ "$bad" = 0 ] && echo "fault-overlay-module: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('fault-overlay-module: pid 1 runs from /memfd:keel' 'fault-overlay-module: all checks passed')
REJECT_CONSOLE=('FAIL')
