# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Container mode: the workload plays a container runtime (cgroup2 mounted with nsdelegate,
# a cgroup "ctr" for the container) and starts keel as PID 1 of new pid, mount and cgroup
# namespaces whose root is /ctr, with /sys/fs/cgroup unmounted, and the BenchExec preset
# with mount = true: keel mounts the namespace's view of cgroup2 and builds /init and
# /benchexec there, which are /ctr/init and /ctr/benchexec outside.
# busybox's unshare has no --cgroup: the host's util-linux unshare is borrowed (cg_host_tools).
DESCRIPTION="keel as PID 1 of pid+mount+cgroup namespaces mounts cgroup2 and builds the BenchExec tree in its view"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config ctr <<'EOF'
[process]
args = ["/test/inner"]
[cgroup]
preset = "benchexec"
mount = true
EOF
cg_host_tools unshare
cg_support cgroup-tree.sh
cat >"$CG_TMP/inner" <<'EOF'
#!/bin/sh
# Inside the container, started by keel.
bad=0
fail() { echo "cgroup-container: FAIL: inside: $*"; bad=1; }
cg=/sys/fs/cgroup
[ "$(cat /proc/1/comm)" = keel ] || fail "pid 1 is $(cat /proc/1/comm), want keel"
[ "$$" != 1 ] || fail "the workload is pid 1"
for who in 1 self; do
    got=$(cat /proc/$who/cgroup)
    [ "$got" = 0::/init ] || fail "/proc/$who/cgroup is \"$got\", want 0::/init"
done
# The cgroup2 mount keel made: its root is this namespace's root ("/").
m=$(awk '$5 == "/sys/fs/cgroup" { r = $4 " " $0 } END { print r }' /proc/self/mountinfo)
echo "cgroup-container: inside: mount: $m"
case $m in "/ "*" - cgroup2 "*) ;; *) fail "no fresh cgroup2 mount at $cg" ;; esac
all=$(cat $cg/cgroup.controllers)
[ -n "$all" ] || fail "no controllers in the namespace root"
/test/cgroup-tree.sh $cg >/tmp/inner.tree
sed 's/^/cgroup-container: inside: /' /tmp/inner.tree
want="TREE /|$all|0
TREE /benchexec|$all|0
TREE /init||1"
[ "$(cat /tmp/inner.tree)" = "$want" ] || fail "the tree is not /, /benchexec (all controllers, no processes), /init (keel)"
[ "$bad" = 0 ] && echo "cgroup-container: inside: all checks passed"
exit "$bad"
EOF
chmod 0755 "$CG_TMP/inner"
ADD+=("$CG_TMP/inner:/test/inner")
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "cgroup-container: FAIL: $*"; bad=1; }
cg=/sys/fs/cgroup
mount -t cgroup2 -o nsdelegate,nosuid,nodev,noexec cgroup2 $cg || { echo "cgroup-container: FAIL: mount cgroup2"; exit 1; }
for c in $(cat $cg/cgroup.controllers); do echo "+$c" >$cg/cgroup.subtree_control; done
mkdir $cg/ctr
U=/opt/host/bin/unshare
# PID 1 of the new pid namespace moves itself into /ctr, then takes a cgroup namespace
# rooted there (unshare without --fork: same process) and execs keel.
$U --pid --fork --mount --propagation private --mount-proc /bin/sh -c "
    echo 0 >$cg/ctr/cgroup.procs && umount $cg &&
        exec $U --cgroup /sbin/keel -c /etc/keel/ctr.cfg"
st=$?
echo "cgroup-container: the container exited with $st"
[ "$st" = 0 ] || fail "the container exited with $st, want 0"
[ -e $cg/init ] || [ -e $cg/benchexec ] && fail "keel built its tree at the real root, outside its namespace"
all=$(cat $cg/cgroup.controllers)
[ "$(cat $cg/ctr/cgroup.subtree_control)" = "$all" ] || fail "/ctr enables \"$(cat $cg/ctr/cgroup.subtree_control)\", want all"
[ "$(cat $cg/ctr/benchexec/cgroup.subtree_control)" = "$all" ] || fail "/ctr/benchexec does not enable all controllers"
[ -d $cg/ctr/init ] || fail "no /ctr/init"
[ -z "$(cat $cg/ctr/init/cgroup.procs $cg/ctr/cgroup.procs)" ] || fail "processes left in /ctr"
[ "$bad" = 0 ] && echo "cgroup-container: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup-container: inside: all checks passed' 'cgroup-container: all checks passed')
REJECT_CONSOLE=('FAIL' 'keel: (cgroup|warning):')
