#!/usr/bin/env bash
# scripts/vm-tests.sh: run every VM test case (crates/keel/tests/vm/*.sh) on each kernel
# with scripts/vm.sh, then print a closing line "N passed, N failed, N not for that kernel,
# of N": it fails when any failed or none passed.
#
# Usage: scripts/vm-tests.sh [--kernel 6.1|6.12|all] [--keel PATH | --stand-in] [--no-build]
#                            [-j N] [CASE...]
#   --kernel K   kernel(s) to test (default all = 6.1 and 6.12)
#   --keel PATH  boot PATH as /sbin/keel instead of target/release/keel (implies --no-build)
#   --stand-in   boot crates/keel/tests/vm/support/keel-standin.sh (busybox sh imitation of keel)
#   --no-build   skip `cargo build --release --bins` (keel, and keel-gen for configs)
#   -j N         boots in parallel (default: 2 if the host has 2+ CPUs)
#   CASE         case names (crates/keel/tests/vm/NAME.sh) or paths; default every case there
#
# Exit status: 0 when every case passed, 1 when any failed, 2 on a usage or build error.
#
# A case is a bash file sourced in a subshell. It may set:
#   DESCRIPTION     one line shown on failure
#   KEEL_ARGS=(…)   keel's argv (default: (-- /test/workload) when WORKLOAD is set)
#   WORKLOAD='…'    a busybox sh script, added at /test/workload (mode 0755)
#   ADD=(HOST:GUEST …)  extra files; a relative HOST is relative to crates/keel/tests/vm/
#   EXPECT_OUTCOME  status (default), panic, timeout or no-status (see scripts/vm.sh)
#   EXPECT_STATUS   the workload status keel must report (required for outcome status)
#   EXPECT_CONSOLE=(ERE …)  extended regexes that must each match a console line
#   REJECT_CONSOLE=(ERE …)  extended regexes that must match no console line
#   TIMEOUT         seconds before the VM is killed (default 30)
#   VM_ARGS=(…)     extra `scripts/vm.sh run` options, e.g. (--smp 2 --mem 512), or
#                   (--share /:host:ro --mem 1024): the host's / over virtiofs, read-only
#   KERNELS         kernels the case applies to (default "6.1 6.12")
#   check()         optional function, called with the console log path after the run;
#                   a non-zero return fails the case (its output is shown)
# Logs: target/vm/tests/<kernel>/<case>.log (console) and .result (vm.sh --result), and
# .virtiofsN.log (virtiofsd's output) with --share.
set -euo pipefail

PROG=vm-tests.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
VM=$SCRIPT_DIR/vm.sh
CASE_DIR=$ROOT/crates/keel/tests/vm
OUT=${KEEL_VM_CACHE:-$ROOT/target/vm}/tests

usage() {
    sed -n '5,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

kernel_sel=all
keel=""
build=1
jobs=1
[[ $(nproc 2>/dev/null || echo 1) -ge 2 ]] && jobs=2
declare -a cases=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --kernel) [[ $# -ge 2 ]] || die "--kernel needs a value"; kernel_sel=$2; shift 2 ;;
    --kernel=*) kernel_sel=${1#*=}; shift ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); build=0; shift 2 ;;
    --stand-in) keel=$CASE_DIR/support/keel-standin.sh; build=0; shift ;;
    --no-build) build=0; shift ;;
    -j) [[ $# -ge 2 ]] || die "-j needs a number"; jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) cases+=("$1"); shift ;;
    esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "-j wants a positive number"
case $kernel_sel in
all) kernels=(6.1 6.12) ;;
6.1 | 6.12) kernels=("$kernel_sel") ;;
*) die "unknown kernel '$kernel_sel' (use 6.1, 6.12 or all)" ;;
esac

if [[ ${#cases[@]} -eq 0 ]]; then
    shopt -s nullglob
    cases=("$CASE_DIR"/*.sh)
    shopt -u nullglob
    [[ ${#cases[@]} -gt 0 ]] || die "no test cases in ${CASE_DIR#"$ROOT"/}/*.sh"
else
    for i in "${!cases[@]}"; do
        c=${cases[$i]}
        [[ -f $c ]] || c=$CASE_DIR/${c%.sh}.sh
        [[ -f $c ]] || die "no such case: ${cases[$i]}"
        cases[i]=$(realpath "$c")
    done
fi

if [[ $build -eq 1 ]]; then
    (cd "$ROOT" && cargo build --release --bins) || die "cargo build --release --bins failed"
fi
[[ -n $keel ]] || keel=$TARGET/release/keel
[[ -x $keel ]] || die "no keel binary at $keel (build it, or use --keel PATH / --stand-in)"

# Fetch kernels and build the base images once, before parallel runs start.
"$VM" prepare --kernel "$kernel_sel" >/dev/null || die "scripts/vm.sh prepare failed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_case CASE KERNEL ID: boot one case; writes $work/ID.verdict (pass|fail|skip) and, on
# failure, $work/ID.details. Prints one line.
run_case() {
    local case_file=$1 kernel=$2 id=$3 name
    name=$(basename "$case_file" .sh)
    local dir=$OUT/$kernel
    mkdir -p "$dir"
    local log=$dir/$name.log result=$dir/$name.result
    rm -f "$log" "$result"
    (
        DESCRIPTION="" WORKLOAD="" EXPECT_OUTCOME=status EXPECT_STATUS="" TIMEOUT=30 KERNELS="6.1 6.12"
        KEEL_ARGS=() ADD=() EXPECT_CONSOLE=() REJECT_CONSOLE=() VM_ARGS=()
        # shellcheck source=/dev/null
        . "$case_file"
        if [[ " $KERNELS " != *" $kernel "* ]]; then
            echo skip >"$work/$id.verdict"
            printf 'skip  %-5s %s (not for this kernel)\n' "$kernel" "$name"
            exit 0
        fi
        local -a args=(run --kernel "$kernel" --keel "$keel" --timeout "$TIMEOUT" --log "$log" --result "$result")
        local spec
        if [[ -n $WORKLOAD ]]; then
            local wl=$work/$id.workload
            [[ $WORKLOAD == '#!'* ]] || WORKLOAD=$'#!/bin/sh\n'$WORKLOAD
            printf '%s\n' "$WORKLOAD" >"$wl"
            chmod 0755 "$wl"
            args+=(--add "$wl:/test/workload")
            [[ ${#KEEL_ARGS[@]} -gt 0 ]] || KEEL_ARGS=(-- /test/workload)
        fi
        for spec in "${ADD[@]}"; do
            [[ $spec == /* ]] || spec=$CASE_DIR/$spec
            args+=(--add "$spec")
        done
        [[ ${#KEEL_ARGS[@]} -gt 0 ]] || KEEL_ARGS=(--)
        "$VM" "${args[@]}" "${VM_ARGS[@]}" -- "${KEEL_ARGS[@]}" 2>"$work/$id.vmerr" || true

        local -a why=()
        local outcome="" status="" seconds="?" detail=""
        if [[ -s $result ]]; then
            outcome=$(sed -n 's/^outcome=//p' "$result")
            status=$(sed -n 's/^status=//p' "$result")
            seconds=$(sed -n 's/^seconds=//p' "$result")
            detail=$(sed -n 's/^detail=//p' "$result")
        else
            why+=("vm.sh failed: $(tail -n 3 "$work/$id.vmerr" | tr '\n' ' ')")
        fi
        if [[ -n $outcome && $outcome != "$EXPECT_OUTCOME" ]]; then
            why+=("outcome $outcome, want $EXPECT_OUTCOME ($detail)")
        elif [[ $EXPECT_OUTCOME == status && -n $outcome && $status != "$EXPECT_STATUS" ]]; then
            why+=("status $status, want $EXPECT_STATUS")
        fi
        local text="" re
        [[ -f $log ]] && text=$(tr -d '\r' <"$log")
        for re in "${EXPECT_CONSOLE[@]}"; do
            grep -qE -- "$re" <<<"$text" || why+=("console lacks /$re/")
        done
        for re in "${REJECT_CONSOLE[@]}"; do
            if grep -qE -- "$re" <<<"$text"; then
                why+=("console has /$re/: $(grep -m1 -E -- "$re" <<<"$text" | cut -c1-160)")
            fi
        done
        if [[ -f $log ]] && declare -F check >/dev/null; then
            local out
            if ! out=$(check "$log" 2>&1); then
                why+=("check() failed${out:+: $out}")
            fi
        fi

        if [[ ${#why[@]} -eq 0 ]]; then
            echo pass >"$work/$id.verdict"
            printf 'ok    %-5s %-20s %6ss\n' "$kernel" "$name" "$seconds"
        else
            echo fail >"$work/$id.verdict"
            printf 'FAIL  %-5s %-20s %6ss  %s\n' "$kernel" "$name" "$seconds" "${why[0]}"
            {
                echo "--- $name on $kernel: ${DESCRIPTION:-no description}"
                printf '  %s\n' "${why[@]}"
                echo "  log: ${log#"$ROOT"/}; last console lines:"
                [[ -f $log ]] && tr -d '\r' <"$log" | tail -n 15 | sed 's/^/  | /'
            } >"$work/$id.details"
        fi
    ) || {
        echo fail >"$work/$id.verdict"
        printf 'FAIL  %-5s %-20s  (the case file failed to run)\n' "$kernel" "$name"
        echo "--- $name on $kernel: the case file itself failed (syntax error or failing command?)" >"$work/$id.details"
    }
}

start=$(date +%s%N)
n=0
running=0
for kernel in "${kernels[@]}"; do
    for c in "${cases[@]}"; do
        while [[ $running -ge $jobs ]]; do
            wait -n || true
            running=$((running - 1))
        done
        run_case "$c" "$kernel" "$n" &
        running=$((running + 1))
        n=$((n + 1))
    done
done
wait

passed=0 failed=0
for ((i = 0; i < n; i++)); do
    case $(cat "$work/$i.verdict" 2>/dev/null || echo fail) in
    pass) passed=$((passed + 1)) ;;
    skip) ;;
    *)
        failed=$((failed + 1))
        [[ -f $work/$i.details ]] && cat "$work/$i.details"
        ;;
    esac
done
end=$(date +%s%N)
awk -v ns=$((end - start)) -v k="${kernels[*]}" -v j="$jobs" \
    'BEGIN { printf "kernels %s, %d parallel, %.1fs total\n", k, j, ns / 1e9 }'
# A run where nothing passed (every case skipped or lost) has not passed.
echo "$passed passed, $failed failed, $((n - passed - failed)) not for that kernel, of $n"
[[ $failed -eq 0 && $passed -gt 0 ]]
