# shellcheck shell=bash
# Helpers for crates/keel/tests/vm/*.sh check() functions (sourced by the cases that need them).

# guest_seconds_between LOG START_RE: seconds (guest clock) between the uptime printed by the
# workload on a console line matching "START_RE <uptime>" and the kernel's
# "reboot: Power down" line. Prints the number; fails when either is missing.
guest_seconds_between() {
    local log=$1 start_re=$2 t0 t1
    t0=$(tr -d '\r' <"$log" | sed -n -E "s/.*${start_re} ([0-9]+\.[0-9]+).*/\1/p" | tail -n1)
    t1=$(tr -d '\r' <"$log" | sed -n -E 's/^\[ *([0-9]+\.[0-9]+)\] reboot: Power down.*/\1/p' | tail -n1)
    if [[ -z $t0 || -z $t1 ]]; then
        echo "no '${start_re} <uptime>' or 'reboot: Power down' line"
        return 1
    fi
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

# within SECONDS MIN MAX: MIN <= SECONDS < MAX (decimal numbers).
within() {
    awk -v d="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(d >= lo && d < hi) }'
}
