# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# The guest kernel offers cgroup v2 with every controller keel's cgroup issue needs, and
# the root cgroup can delegate them to a child (the shape keel's delegation will use).
DESCRIPTION="cgroup2 mounts with cpuset cpu io memory hugetlb pids rdma misc, delegable to a child"
WORKLOAD='
fail() { echo "cgroup2: FAIL: $*"; exit 1; }
cg=/sys/fs/cgroup
if ! grep -q "^[^ ]* $cg cgroup2 " /proc/mounts; then
    mount -t cgroup2 -o nsdelegate cgroup2 "$cg" || fail "mount -t cgroup2 failed"
fi
have=$(cat "$cg/cgroup.controllers")
echo "cgroup2: controllers: $have"
for c in cpuset cpu io memory hugetlb pids rdma misc; do
    case " $have " in *" $c "*) ;; *) fail "controller $c missing" ;; esac
done
plus=$(for c in $have; do printf "+%s " "$c"; done)
echo "$plus" >"$cg/cgroup.subtree_control" || fail "cannot enable $plus at the root"
mkdir -p "$cg/probe"
child=$(cat "$cg/probe/cgroup.controllers")
[ "$child" = "$have" ] || fail "child has \"$child\", want \"$have\""
echo $$ >"$cg/probe/cgroup.procs" || fail "cannot move into the child cgroup"
grep -qx "0::/probe" /proc/self/cgroup || fail "/proc/self/cgroup is $(cat /proc/self/cgroup)"
echo 16 >"$cg/probe/pids.max" || fail "cannot set pids.max"
echo "cgroup2: delegated to /probe: $(cat "$cg/probe/cgroup.controllers")"
echo "cgroup2: ok"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup2: ok')
