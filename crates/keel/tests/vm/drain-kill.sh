# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Machine mode (issue #2): after the workload exits, keel drains the remaining processes:
# SIGTERM, then SIGKILL after the grace. A straggler that ignores SIGTERM must not keep
# the machine up, and keel must wait the grace for it (not power off at once).
DESCRIPTION="a background process ignoring SIGTERM is killed after --grace 1s; keel powers off"
WORKLOAD='
sh -c "trap \"\" TERM; echo drain-kill: straggler up; while :; do sleep 1; done" &
sleep 0.3
echo "drain-kill: straggler pid $! stays; workload exits at uptime $(cut -d" " -f1 /proc/uptime)"
exit 0
'
KEEL_ARGS=(--grace 1s -- /test/workload)
TIMEOUT=25 # a boot takes ~3 s; a keel that never kills the straggler hits this
EXPECT_STATUS=0
EXPECT_CONSOLE=('drain-kill: straggler up' 'keel: workload exited with status 0' 'reboot: Power down')

# The power-off comes after the 1 s grace (the straggler survived SIGTERM), and well before
# keel's default grace would have ended had --grace been ignored.
check() {
    # shellcheck source=crates/keel/tests/vm/support/lib.sh
    . "$CASE_DIR/support/lib.sh"
    local d
    d=$(guest_seconds_between "$1" 'workload exits at uptime') || { echo "$d"; return 1; }
    within "$d" 0.9 4.5 || { echo "power-off ${d}s after the workload exit, want 1-4.5 s"; return 1; }
}
