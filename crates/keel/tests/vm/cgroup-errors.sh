# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# keel's cgroup set-up failures, each on a prepared broken cgroup layout: keel runs as a
# plain child process (not PID 1) from its own cgroup, exits with 125 and says what is
# wrong in one line. An optional controller that is missing only gets a warning.
DESCRIPTION="cgroup errors: read-only cgroupfs, missing controllers, populated delegate, v1/hybrid, no cgroup2; optional warns"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config good <<'EOF'
[cgroup]
EOF
cg_config ro <<'EOF'
[cgroup]
root = "/mnt/ro"
EOF
cg_config nosuch <<'EOF'
[cgroup]
controllers = ["pids", "nosuchctl"]
EOF
cg_config parent <<'EOF'
[cgroup]
controllers = ["memory"]
EOF
cg_config busy <<'EOF'
[cgroup]
[[cgroup.delegate]]
path = "d"
enable_controllers = true
EOF
cg_config v1 <<'EOF'
[cgroup]
root = "/mnt/v1"
EOF
cg_config nomount <<'EOF'
[cgroup]
root = "/sys/kernel"
EOF
cg_config badlimit <<'EOF'
[cgroup]
[[cgroup.delegate]]
path = "d"
enable_controllers = true
[[cgroup.delegate]]
path = "d/e/f"
enable_controllers = false
[cgroup.limits]
"d" = { "pids.max" = "lots" }
EOF
cg_config optional <<'EOF'
[cgroup]
controllers = ["pids", "memory"]
optional = ["memory"]
EOF
KEEL_ARGS=(-- /test/workload)
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "cgroup-errors: FAIL: $*"; bad=1; }
cg=/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $cg || { echo "cgroup-errors: FAIL: mount cgroup2"; exit 1; }
for c in $(cat $cg/cgroup.controllers); do echo "+$c" >$cg/cgroup.subtree_control; done

# try NAME CGROUP STATUS ERE: keel -c NAME.cfg run from CGROUP exits with STATUS, and its
# stderr is exactly one line matching ERE.
try() {
    mkdir -p "$cg$2"
    sh -c "echo 0 >$cg$2/cgroup.procs && exec /sbin/keel -c /etc/keel/$1.cfg -- /bin/true" 2>/tmp/$1.err
    st=$?
    sed "s/^/cgroup-errors: $1: /" /tmp/$1.err
    lines=$(wc -l </tmp/$1.err)
    [ "$st" = "$3" ] || fail "$1: keel exited with $st, want $3"
    if [ -z "$4" ]; then
        [ "$lines" = 0 ] || fail "$1: keel printed $lines lines, want none"
    else
        [ "$lines" = 1 ] || fail "$1: keel printed $lines lines, want one"
        grep -qE "$4" /tmp/$1.err || fail "$1: the message does not match /$4/"
    fi
}

# Control: the same environment with a sound config works.
try good /e-good 0 ""
[ "$(cat $cg/e-good/cgroup.subtree_control)" = "$(cat $cg/cgroup.controllers)" ] ||
    fail "good: /e-good enables \"$(cat $cg/e-good/cgroup.subtree_control)\""

# A second cgroup2 mount, read-only (a container runtime'\''s default).
mkdir -p /mnt/ro && mount -t cgroup2 -o ro cgroup2 /mnt/ro || fail "mount -o ro cgroup2"
mounts=$(cat /proc/self/mountinfo)
try ro / 125 "^keel: cgroup: /mnt/ro: mounted read-only: .*podman .*--security-opt unmask=/sys/fs/cgroup.*docker "
[ -d /mnt/ro/init ] && fail "ro: keel created /init on the read-only mount"
[ "$(cat /proc/self/mountinfo)" = "$mounts" ] || fail "ro: the mount table changed"
# [.] keeps this grep from matching its own command line.
left=$(grep -l "keel/ro[.]cfg" /proc/[0-9]*/cmdline 2>/dev/null)
[ -z "$left" ] || fail "ro: keel processes left: $left"

# untouched NAME CGROUP: after a failure, CGROUP is as keel found it: no cgroup keel made
# (its leaf, its delegates) and no controller it enabled.
untouched() {
    left=$(find "$cg$2" -mindepth 1 -type d)
    [ -z "$left" ] || fail "$1: cgroups left behind: $left"
    [ -z "$(cat "$cg$2/cgroup.subtree_control")" ] ||
        fail "$1: controllers left enabled in $2: $(cat "$cg$2/cgroup.subtree_control")"
}

# A controller this kernel does not have.
try nosuch /e-nosuch 125 "^keel: cgroup: controller nosuchctl is not available in $cg/e-nosuch/cgroup.controllers \(it has: [a-z ]*pids"
untouched nosuch /e-nosuch

# A limit the kernel refuses, after the leaf, the controllers and the delegates are made.
try badlimit /e-badlimit 125 "^keel: cgroup: write \"lots\" to $cg/e-badlimit/d/pids.max: EINVAL"
untouched badlimit /e-badlimit

# A controller the parent did not enable: /e-parent gives its child pids only.
mkdir -p $cg/e-parent/child && echo +pids >$cg/e-parent/cgroup.subtree_control
try parent /e-parent/child 125 "^keel: cgroup: controller memory is not available in $cg/e-parent/child/cgroup.controllers \(it has: pids\)$"

# A delegate that already holds a process cannot enable controllers (no internal processes).
mkdir -p $cg/e-busy/d
sh -c "echo 0 >$cg/e-busy/d/cgroup.procs && exec sleep 300" &
sleeper=$!
sleep 0.2
try busy /e-busy 125 "^keel: cgroup: write \"\\+cpuset .*\" to $cg/e-busy/d/cgroup.subtree_control: EBUSY .*no-internal-process rule"
kill $sleeper

# A v1/hybrid layout: a tmpfs holding a named v1 hierarchy and a cgroup2 "unified" one.
mkdir -p /mnt/v1 && mount -t tmpfs tmpfs /mnt/v1 && mkdir /mnt/v1/systemd /mnt/v1/unified || fail "tmpfs on /mnt/v1"
mount -t cgroup -o none,name=systemd cgroup /mnt/v1/systemd || echo "cgroup-errors: note: no cgroup v1 in this kernel"
mount -t cgroup2 cgroup2 /mnt/v1/unified || fail "cgroup2 on /mnt/v1/unified"
try v1 / 125 "^keel: cgroup: /mnt/v1: a tmpfs, not cgroup2: a cgroup v1 or hybrid layout \(or nothing mounted\); keel needs the unified cgroup v2 hierarchy"
[ -d /mnt/v1/init ] && fail "v1: keel created /init in the tmpfs"

# Nothing mounted at root (and mount = false).
try nomount / 125 "^keel: cgroup: /sys/kernel: no cgroup2 filesystem mounted here \(mount it, or set mount = true\)$"

# An optional controller that is missing: a warning, and the rest is done.
mkdir -p $cg/e-opt/child && echo +pids >$cg/e-opt/cgroup.subtree_control
try optional /e-opt/child 0 "^keel: warning: cgroup: controller memory is not available in $cg/e-opt/child/cgroup.controllers; skipped$"
[ "$(cat $cg/e-opt/child/cgroup.subtree_control)" = pids ] ||
    fail "optional: /e-opt/child enables \"$(cat $cg/e-opt/child/cgroup.subtree_control)\", want pids"
[ "$(cat $cg/e-opt/child/init/cgroup.procs)" = "" ] || fail "optional: processes left in /e-opt/child/init"

[ "$bad" = 0 ] && echo "cgroup-errors: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup-errors: all checks passed')
REJECT_CONSOLE=('FAIL')
