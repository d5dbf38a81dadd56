# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# keel's BenchExec preset in machine mode builds the cgroup tree BenchExec's init.sh builds:
# keel and the workload in /init, every controller enabled in the root and in the empty
# /benchexec. check() boots BenchExec's own init.sh (verbatim, as PID 1, through
# crates/keel/tests/vm/support/benchexec-init.sh) with the same workload and compares the
# two trees.
DESCRIPTION="preset benchexec = BenchExec's init.sh: /init holds keel + workload, /benchexec empty with all controllers"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_config benchexec <<'EOF'
[process]
args = ["/test/workload"]
[cgroup]
preset = "benchexec"
EOF
cg_support cgroup-tree.sh
KEEL_ARGS=(-c /etc/keel/benchexec.cfg)
WORKLOAD='#!/bin/sh
# Run under keel (machine mode) and, in check(), under BenchExec'\''s init.sh: same checks.
bad=0
fail() { echo "cgroup-benchexec: FAIL: $*"; bad=1; }
cg=/sys/fs/cgroup
grep -q "^[^ ]* $cg cgroup2 " /proc/mounts || { echo "cgroup-benchexec: FAIL: no cgroup2 at $cg"; exit 1; }
echo "cgroup-benchexec: pid 1 is $(cat /proc/1/comm)"
for who in 1 self; do
    got=$(cat /proc/$who/cgroup)
    [ "$got" = "0::/init" ] || fail "/proc/$who/cgroup is \"$got\", want 0::/init"
done
all=$(cat $cg/cgroup.controllers)
[ -n "$all" ] || fail "the root has no controllers"
for c in $all; do
    for d in "" /benchexec; do
        case " $(cat $cg$d/cgroup.subtree_control) " in
        *" $c "*) ;;
        *) fail "$c is not in ${d:-/}/cgroup.subtree_control" ;;
        esac
    done
done
[ -d $cg/benchexec ] || fail "no /benchexec"
procs=$(cat $cg/benchexec/cgroup.procs)
[ -z "$procs" ] || fail "/benchexec has processes: $procs"
# BenchExec creates its cgroups in /benchexec: one with a process must take every controller.
mkdir $cg/benchexec/probe && sh -c "echo 0 >$cg/benchexec/probe/cgroup.procs && exit 0" ||
    fail "cannot start a process in /benchexec/probe"
[ "$(cat $cg/benchexec/probe/cgroup.controllers)" = "$all" ] ||
    fail "/benchexec/probe has \"$(cat $cg/benchexec/probe/cgroup.controllers)\", want \"$all\""
rmdir $cg/benchexec/probe
/test/cgroup-tree.sh $cg
[ "$bad" = 0 ] && echo "cgroup-benchexec: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup-benchexec: pid 1 is keel' 'cgroup-benchexec: all checks passed' '^TREE /benchexec\|')
REJECT_CONSOLE=('FAIL' 'keel: (cgroup|warning):')
TIMEOUT=30

# The same workload under BenchExec's init.sh; the trees must be identical.
# shellcheck disable=SC2154 # kernel, VM and ROOT are scripts/vm-tests.sh's
check() {
    local ours=$1 theirs=${1%.log}.init-sh.log wl=$CG_TMP/workload rc=0
    printf '%s\n' "$WORKLOAD" >"$wl"
    chmod 0755 "$wl"
    "$VM" run --kernel "$kernel" --keel "$CASE_DIR/support/benchexec-init.sh" --timeout 30 \
        --log "$theirs" --add "$wl:/test/workload" \
        --add "$CASE_DIR/support/cgroup-tree.sh:/test/cgroup-tree.sh" \
        --add "$CASE_DIR/support/benchexec-init.upstream.sh:/test/benchexec-init.upstream.sh" \
        -- -- /test/workload 2>"$CG_TMP/vm.err" || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "BenchExec's init.sh run: vm.sh exit $rc (log ${theirs#"$ROOT"/}): $(cat "$CG_TMP/vm.err")"
        [[ -f $theirs ]] && tr -d '\r' <"$theirs" | grep -v '^\[' | tail -n 8
        return 1
    fi
    grep -q 'cgroup-benchexec: all checks passed' "$theirs" || {
        echo "the workload's checks fail under BenchExec's init.sh too (log ${theirs#"$ROOT"/})"
        return 1
    }
    local a b
    a=$(cg_tree "$ours")
    b=$(cg_tree "$theirs")
    [[ -n $a && -n $b ]] || { echo "no TREE lines (keel: ${#a} bytes, init.sh: ${#b} bytes)"; return 1; }
    if [[ $a != "$b" ]]; then
        echo "the cgroup trees differ (< keel, > BenchExec's init.sh):"
        diff <(echo "$a") <(echo "$b") | grep '^[<>]'
        return 1
    fi
}
