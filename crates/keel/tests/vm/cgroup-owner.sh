# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Delegation to a user: the BenchExec preset with owner = "1000:1000" (and a second owned
# delegate that enables controllers) chowns each delegate's directory and the files listed
# in /sys/kernel/cgroup/delegate, and nothing else (limits stay root's). Then, as uid 1000,
# the workload does what a non-root BenchExec does there: a child cgroup, moving itself,
# enabling controllers, setting a limit. Also: a delegate without the memory controller
# lacks some listed files (memory.oom.group): keel skips them without a word.
DESCRIPTION="owner = 1000:1000: delegate dir + /sys/kernel/cgroup/delegate files chowned, limits not; uid 1000 can use it"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config owner <<'EOF'
[process]
args = ["/test/workload"]
[cgroup]
preset = "benchexec"
owner = "1000:1000"
[[cgroup.delegate]]
path = "jobs"
owner = "1000:1000"
[cgroup.limits]
"benchexec" = { "pids.max" = 64 }
EOF
cg_config pidsonly <<'EOF'
[cgroup]
controllers = ["pids"]
[[cgroup.delegate]]
path = "d"
owner = "1000:1000"
enable_controllers = false
EOF
cg_host_tools setpriv
KEEL_ARGS=(-c /etc/keel/owner.cfg)
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "cgroup-owner: FAIL: $*"; bad=1; }
cg=/sys/fs/cgroup
delegated=$(cat /sys/kernel/cgroup/delegate)
# owned DIR: DIR and the listed files in it are 1000:1000; every other file is 0:0.
owned() {
    n=0
    [ "$(stat -c %u:%g "$1")" = 1000:1000 ] || fail "${1#$cg} is $(stat -c %u:%g "$1"), want 1000:1000"
    for f in "$1"/*; do
        [ -f "$f" ] || continue
        want=0:0
        case " $(echo $delegated) " in *" ${f##*/} "*) want=1000:1000 n=$((n + 1)) ;; esac
        got=$(stat -c %u:%g "$f")
        [ "$got" = $want ] || fail "${f#$cg} is $got, want $want"
    done
    echo "cgroup-owner: ${1#$cg}: directory and $n delegated files owned by 1000:1000, the rest by root"
}

if [ "${1:-}" = user ]; then
    # As uid 1000, the only process of /benchexec, like a non-root BenchExec.
    [ "$(id -u):$(id -g)" = 1000:1000 ] || fail "running as $(id -u):$(id -g)"
    b=$cg/benchexec
    mkdir $b/self && echo 0 >$b/self/cgroup.procs || fail "uid 1000 cannot move itself into /benchexec/self"
    echo "+memory +pids" >$b/cgroup.subtree_control || fail "uid 1000 cannot enable memory and pids in /benchexec"
    mkdir $b/tool && echo 16M >$b/tool/memory.max || fail "uid 1000 cannot set memory.max in its /benchexec/tool"
    { echo 1 >$b/pids.max; } 2>/dev/null && fail "uid 1000 could change its own limit /benchexec/pids.max"
    { echo 0 >$cg/init/cgroup.procs; } 2>/dev/null && fail "uid 1000 could move itself into /init"
    echo "+memory" >$cg/jobs/cgroup.subtree_control || fail "uid 1000 cannot write its /jobs/cgroup.subtree_control"
    [ "$(cat $b/pids.max)" = 64 ] || fail "/benchexec/pids.max is $(cat $b/pids.max), want 64"
    [ "$bad" = 0 ] && echo "cgroup-owner: uid 1000 used its delegation"
    exit "$bad"
fi

[ "$(cat /proc/self/cgroup)" = "0::/benchexec" ] || fail "the workload is in $(cat /proc/self/cgroup), want 0::/benchexec"
echo "cgroup-owner: /sys/kernel/cgroup/delegate: $(echo $delegated)"
owned $cg/benchexec
owned $cg/jobs
[ "$(cat $cg/jobs/cgroup.subtree_control)" = "$(cat $cg/cgroup.controllers)" ] || fail "/jobs enables \"$(cat $cg/jobs/cgroup.subtree_control)\""
for d in "" /init; do
    for f in $cg$d $cg$d/cgroup.procs $cg$d/cgroup.subtree_control; do
        [ "$(stat -c %u:%g $f)" = 0:0 ] || fail "${f#$cg} is $(stat -c %u:%g $f), want 0:0"
    done
done

# A delegate without the memory controller (keel as a plain child, from /e-pids).
mkdir $cg/e-pids
sh -c "echo 0 >$cg/e-pids/cgroup.procs && exec /sbin/keel -c /etc/keel/pidsonly.cfg -- /bin/true" 2>/tmp/pidsonly.err
st=$?
sed "s/^/cgroup-owner: pidsonly: /" /tmp/pidsonly.err
[ "$st" = 0 ] || fail "pidsonly: keel exited with $st, want 0"
[ -s /tmp/pidsonly.err ] && fail "pidsonly: keel printed messages"
[ -e $cg/e-pids/d/memory.oom.group ] && fail "pidsonly: /e-pids/d has memory files"
owned $cg/e-pids/d

# The rest as uid 1000, alone in /benchexec (exec keeps the process and its cgroup).
[ "$bad" = 0 ] || exit 1
exec /opt/host/bin/setpriv --reuid=1000 --regid=1000 --clear-groups /test/workload user
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup-owner: /benchexec: directory and [1-9][0-9]* delegated files owned by 1000:1000'
    'cgroup-owner: /e-pids/d: directory and [1-9]' 'cgroup-owner: uid 1000 used its delegation')
REJECT_CONSOLE=('FAIL' 'keel: (cgroup|warning):')
