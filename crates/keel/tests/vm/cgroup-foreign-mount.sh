# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Container mode, misconfigured: keel is PID 1 of pid + mount + cgroup namespaces rooted at
# /ctr, but /sys/fs/cgroup is still the runtime's cgroup2 mount, which shows the whole
# hierarchy (its root is "/.." in the container's /proc/self/mountinfo). /proc/self/cgroup
# says "0::/", yet that mount's "/" is not keel's cgroup: keel must refuse (status 125, one
# line) rather than build /init and /benchexec at the real root, move itself out of its
# container's cgroup and enable controllers there.
DESCRIPTION="keel in a cgroup namespace refuses a cgroup2 mount from outside it (root /..) and touches nothing"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config ctr <<'EOF'
[process]
args = ["/bin/true"]
[cgroup]
preset = "benchexec"
EOF
cg_host_tools unshare
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "cgroup-foreign-mount: FAIL: $*"; bad=1; }
cg=/sys/fs/cgroup
# No nsdelegate (keel'\''s own machine-mode mount has none): nothing stops a move out of the namespace.
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $cg || { echo "cgroup-foreign-mount: FAIL: mount cgroup2"; exit 1; }
for c in $(cat $cg/cgroup.controllers); do echo "+$c" >$cg/cgroup.subtree_control; done
mkdir $cg/ctr
before=$(cat $cg/cgroup.subtree_control)
U=/opt/host/bin/unshare
$U --pid --fork --mount --propagation private --mount-proc /bin/sh -c "
    echo 0 >$cg/ctr/cgroup.procs &&
        exec $U --cgroup /sbin/keel -c /etc/keel/ctr.cfg" 2>/tmp/err
st=$?
sed "s/^/cgroup-foreign-mount: stderr: /" /tmp/err
echo "cgroup-foreign-mount: keel exited with $st"
[ "$st" = 125 ] || fail "keel exited with $st, want 125"
[ "$(wc -l </tmp/err)" = 1 ] && grep -q "^keel: cgroup: " /tmp/err || fail "want one \"keel: cgroup: ...\" line"
for d in init benchexec; do
    [ -e $cg/$d ] && fail "keel created /$d at the real root, outside its namespace"
    [ -e $cg/ctr/$d ] && fail "keel created /ctr/$d through a mount it cannot place itself in"
done
[ "$(cat $cg/cgroup.subtree_control)" = "$before" ] || fail "the real root'\''s subtree_control changed"
[ "$bad" = 0 ] && echo "cgroup-foreign-mount: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup-foreign-mount: all checks passed')
REJECT_CONSOLE=('FAIL')
