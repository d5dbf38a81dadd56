# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# [cgroup.limits] are written before the workload starts, in the delegate it starts in: a
# bounded fork bomb stops at pids.max = 16, and a memory hog in a subshell is OOM-killed at
# memory.max = 32M while the workload (same cgroup) and keel (in /init) live on.
DESCRIPTION="workload in delegate box: pids.max 16 stops a fork bomb, memory.max 32M OOM-kills a hog"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_box_config limits '["/test/workload"]' '{ "pids.max" = 16, "memory.max" = "32M" }'
KEEL_ARGS=(-c /etc/keel/limits.cfg)
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "cgroup-limits: FAIL: $*"; bad=1; }
box=/sys/fs/cgroup/box
[ "$(cat /proc/self/cgroup)" = "0::/box" ] || fail "the workload is in $(cat /proc/self/cgroup), want 0::/box"
[ "$(cat /proc/1/cgroup)" = "0::/init" ] || fail "keel is in $(cat /proc/1/cgroup), want 0::/init"
[ "$(cat $box/pids.max)" = 16 ] || fail "pids.max is $(cat $box/pids.max), want 16"
[ "$(cat $box/memory.max)" = 33554432 ] || fail "memory.max is $(cat $box/memory.max), want 33554432"

# Fork bomb, bounded: at most 200 background sleeps; ash gives up (exits) at the first
# fork that fails, after recording how many it got.
rm -f /tmp/forks
sh -c "n=0; while [ \$n -lt 200 ]; do sleep 300 & n=\$((n + 1)); echo \$n >/tmp/forks; done" 2>/dev/null
read -r forks </tmp/forks || forks=0
read -r maxed <"$box/pids.events" || true
echo "cgroup-limits: $forks of 200 forks succeeded; pids.events: $maxed"
# In box already: this shell and the bomb shell. Each fork must count against the 16.
[ "$forks" -ge 5 ] && [ "$forks" -le 16 ] || fail "$forks forks succeeded, want 5..16 under pids.max 16"
[ "${maxed#max }" -ge 1 ] 2>/dev/null || fail "pids.events says \"$maxed\", want max >= 1"
# Clean up with builtins only (no fork is possible yet): kill every other process in box.
while read -r p; do [ "$p" = $$ ] || kill -9 "$p" 2>/dev/null; done <"$box/cgroup.procs"
i=0
while read -r cur <"$box/pids.current" && [ "$cur" -gt 1 ] && [ $i -lt 100000 ]; do i=$((i + 1)); done
echo "cgroup-limits: pids.current back to $cur"

# Memory hog in a subshell: a string doubling past 32M.
(x=0123456789abcdef; while :; do x=$x$x; done)
st=$?
oom=$(sed -n "s/^oom_kill //p" $box/memory.events)
echo "cgroup-limits: hog exited with $st; memory.events oom_kill $oom; memory.peak $(cat $box/memory.peak 2>/dev/null || echo n/a)"
[ "$st" = 137 ] || fail "the hog exited with $st, want 137 (SIGKILL by the OOM killer)"
[ "${oom:-0}" -ge 1 ] || fail "memory.events oom_kill is \"$oom\", want >= 1"
[ "$bad" = 0 ] && echo "cgroup-limits: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('cgroup-limits: all checks passed' 'Memory cgroup out of memory')
REJECT_CONSOLE=('FAIL' 'keel: (cgroup|warning):')
