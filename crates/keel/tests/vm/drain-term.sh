# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Machine mode (issue #2): the drain's first step is SIGTERM to every remaining process,
# so a well-behaved background service gets to clean up; once none is left keel powers
# off without waiting for the rest of the grace.
DESCRIPTION="a background process that handles SIGTERM sees it during the drain; no full-grace wait"
WORKLOAD='
sh -c "trap \"echo drain-term: straggler got SIGTERM; exit 0\" TERM
       echo drain-term: straggler up
       while :; do sleep 1 & wait \$!; done" &
sleep 0.3
echo "drain-term: workload exits at uptime $(cut -d" " -f1 /proc/uptime)"
exit 0
'
KEEL_ARGS=(--grace 5s -- /test/workload)
TIMEOUT=25
EXPECT_STATUS=0
EXPECT_CONSOLE=('drain-term: straggler up' 'drain-term: straggler got SIGTERM' 'keel: workload exited with status 0')

check() {
    # shellcheck source=crates/keel/tests/vm/support/lib.sh
    . "$CASE_DIR/support/lib.sh"
    local d
    d=$(guest_seconds_between "$1" 'workload exits at uptime') || { echo "$d"; return 1; }
    within "$d" 0 4 || { echo "power-off ${d}s after the workload exit, want < 4 s (grace is 5 s)"; return 1; }
}
