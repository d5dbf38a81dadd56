#!/usr/bin/env bash
# scripts/fuzz-vm.sh: fuzz keel as PID 1 in QEMU VMs, reproducibly from a seed.
#
# Usage: scripts/fuzz-vm.sh [--cases N] [--seed S | --seeds N] [--kernel 6.1|6.12|all]
#                           [--jobs J] [--per-boot M] [--pid1-boots B] [--case-timeout T]
#                           [--no-save]
#   --cases N         cases per kernel and seed (default 200)
#   --seed S          the seed (default 1); case I of seed S is always the same case
#   --seeds N         N random seeds in one campaign, each printed for replay with --seed
#   --kernel K        6.1, 6.12 or all (default all)
#   --jobs J          VMs at once, at most 2 (default 2 on a 2+ CPU host)
#   --per-boot M      cases per VM boot (default 250): a boot that dies loses only its own
#   --pid1-boots B    extra boots per kernel with a case's config given to keel as the
#                     kernel's own PID 1 (default 2)
#   --case-timeout T  seconds before a case counts as a hang (default 10)
#   --no-save         do not copy failing cases into crates/keel/tests/vm/regressions/
#
# tools/vmfuzz generates the cases (valid, near-valid and mutated binary configs,
# each with a payload that checks the described state from inside, and an expectation);
# tools/vmfuzz/guest/fuzz-runner.sh runs them in the guest, each as keel PID 1 of fresh
# namespaces; tools/vmfuzz/guest/fuzz-lib.sh judges the console. Every failing case is
# copied to crates/keel/tests/vm/regressions/NAME/, which
# crates/keel/tests/vm/fuzz-regressions.sh replays in the VM suite.
# Prints a summary per seed and kernel, and over all; the last line counts the cases run
# and the failures. Exits 0 when every case ran and passed, 1 otherwise (a failure, a case
# the generator could not write, or fewer verdicts than cases: a campaign that ran nothing
# has not passed), 2 on usage or build errors. Work files: target/vmfuzz/seed-S/.
set -euo pipefail

PROG=fuzz-vm.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
VM=$SCRIPT_DIR/vm.sh
# shellcheck source=tools/vmfuzz/guest/fuzz-lib.sh
. "$ROOT/tools/vmfuzz/guest/fuzz-lib.sh"

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

cases=200 seed=1 seeds=0 kernel_sel=all per_boot=250 pid1_boots=2 case_timeout=10 save=1
jobs=1
[[ $(nproc 2>/dev/null || echo 1) -ge 2 ]] && jobs=2
while [[ $# -gt 0 ]]; do
    case $1 in
    --cases | --seed | --seeds | --kernel | --jobs | --per-boot | --pid1-boots | --case-timeout)
        [[ $# -ge 2 ]] || die "$1 needs a value"
        case $1 in
        --cases) cases=$2 ;;
        --seed) seed=$2 ;;
        --seeds) seeds=$2 ;;
        --kernel) kernel_sel=$2 ;;
        --jobs) jobs=$2 ;;
        --per-boot) per_boot=$2 ;;
        --pid1-boots) pid1_boots=$2 ;;
        --case-timeout) case_timeout=$2 ;;
        esac
        shift 2
        ;;
    --no-save) save=0; shift ;;
    -h | --help) sed -n '4,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
for n in "$cases" "$seed" "$seeds" "$per_boot" "$pid1_boots" "$case_timeout"; do
    [[ $n =~ ^[0-9]+$ ]] || die "numbers wanted, got '$n'"
done
[[ $jobs =~ ^[12]$ ]] || die "--jobs is 1 or 2 (the host's CPUs are shared)"
[[ $per_boot -gt 0 ]] || die "--per-boot must be positive"
[[ $cases -gt 0 ]] || die "--cases must be positive"
case $kernel_sel in
all) kernels=(6.1 6.12) ;;
6.1 | 6.12) kernels=("$kernel_sel") ;;
*) die "unknown kernel '$kernel_sel' (6.1, 6.12 or all)" ;;
esac

(cd "$ROOT" && cargo build --quiet --release --bins) || die "cargo build failed"
"$VM" prepare --kernel "$kernel_sel" >/dev/null || die "scripts/vm.sh prepare failed"

# run_boot and run_pid1 run in a campaign (below), with its `work`.
# run_boot KERNEL B: one runner boot; its verdicts go to $work/KERNEL/boot-B.verdicts.
run_boot() {
    local k=$1 b=$2 out=$work/$1 n
    n=$(find "$work/boot-$b" -mindepth 1 -maxdepth 1 | wc -l)
    local spec
    local -a vmargs=()
    while read -r spec; do vmargs+=(--add "$spec"); done < <(fz_adds "$work/boot-$b" "$TARGET/vmfuzz/fuzz-ns")
    "$VM" run --kernel "$k" "${vmargs[@]}" \
        --timeout $((120 + n * (case_timeout + 5))) --log "$out/boot-$b.log" \
        --result "$out/boot-$b.result" --mem 512 -- env FZ_TIMEOUT="$case_timeout" /fuzz/runner \
        2>"$out/boot-$b.vmerr" || true
    fz_evaluate "$out/boot-$b.log" "$work/boot-$b" >"$out/boot-$b.verdicts"
}

# run_pid1 KERNEL DIR: one boot with keel as the kernel's PID 1 and the case's config.
run_pid1() {
    local k=$1 dir=$2 out=$work/$1 name=${2##*/}
    "$VM" run --kernel "$k" --add "$dir:/fuzz/cases/$name" --timeout 60 \
        --log "$out/pid1-$name.log" --result "$out/pid1-$name.result" \
        -- -c "/fuzz/cases/$name/config.cfg" 2>"$out/pid1-$name.vmerr" || true
    fz_evaluate_pid1 "$out/pid1-$name.result" "$dir" >"$out/pid1-$name.verdicts"
}

# count WORK/KERNEL CLASS: the kernel's verdicts of that class.
count() {
    grep -c "^[^ ]* $2" "$1.verdicts" || true
}

# campaign SEED: the seed's cases on every kernel. Adds to the totals below.
campaign() {
    local seed=$1 work=$TARGET/vmfuzz/seed-$1
    rm -rf "$work"
    mkdir -p "$work/cases"
    echo "$PROG: seed $seed: generating $cases cases (replay: scripts/fuzz-vm.sh --seed $seed --cases $cases)"
    local gen=0
    "$TARGET/release/vmfuzz" --seed "$seed" --cases "$cases" \
        --keel-gen "$TARGET/release/keel-gen" --out "$work/cases" 2>"$work/generator.err" || gen=$?
    cat "$work/generator.err" >&2
    ((gen <= 1)) || die "the generator failed (seed $seed)"
    # A case the generator could not write is a failure of the campaign, not its end.
    local unwritten
    unwritten=$(grep -c '^vmfuzz: FAIL-generator' "$work/generator.err" || true)
    failed=$((failed + unwritten))

    # The same cases on every kernel, in boots of per_boot cases: one directory per boot.
    local -a all=() pid1=()
    mapfile -t all < <(find "$work/cases" -mindepth 1 -maxdepth 1 -type d | sort)
    ((${#all[@]} + unwritten == cases)) || die "seed $seed: ${#all[@]} cases written, $unwritten refused, of $cases"
    local nboots=$(((${#all[@]} + per_boot - 1) / per_boot)) b dir k
    for ((b = 0; b < nboots; b++)); do
        mkdir -p "$work/boot-$b"
        cp -r "${all[@]:b*per_boot:per_boot}" "$work/boot-$b/"
    done
    # Cases for the PID-1 boots, among those whose config leaves the mode to keel, which then
    # is the machine's init (a config that sets the mode, exec or supervise, makes keel exit as
    # the kernel's init, which panics by design): the seed's first config keel must refuse,
    # then its first others (their kinds are random).
    for dir in "${all[@]}"; do
        if [[ -n $(fz_expect "$dir" decode_error) && $pid1_boots -gt 0 ]]; then
            pid1+=("$dir")
            break
        fi
    done
    for dir in "${all[@]}"; do
        [[ ${#pid1[@]} -lt $pid1_boots ]] || break
        [[ $(fz_expect "$dir" mode_set) == 0 && " ${pid1[*]} " != *" $dir "* ]] && pid1+=("$dir")
    done

    local start running=0
    start=$(date +%s)
    for k in "${kernels[@]}"; do
        mkdir -p "$work/$k"
        for ((b = 0; b < nboots; b++)); do
            while [[ $running -ge $jobs ]]; do wait -n || true; running=$((running - 1)); done
            run_boot "$k" "$b" &
            running=$((running + 1))
        done
        for dir in "${pid1[@]}"; do
            while [[ $running -ge $jobs ]]; do wait -n || true; running=$((running - 1)); done
            run_pid1 "$k" "$dir" &
            running=$((running + 1))
        done
    done
    wait

    printf '\n%-6s %6s %6s %7s %8s %6s %6s %7s %7s %6s\n' kernel cases ok errors crashes hangs leaks kernel other pid1
    for k in "${kernels[@]}"; do
        cat "$work/$k"/*.verdicts >"$work/$k.verdicts" 2>/dev/null || true
        local local_other ran_cases ran_pid1
        local_other=$(grep -cE '^[^ ]* FAIL-(state|status|message|lost)' "$work/$k.verdicts" || true)
        ran_cases=$(grep -vc ' pid1 ' "$work/$k.verdicts" || true)
        ran_pid1=$(grep -c ' pid1 ' "$work/$k.verdicts" || true)
        printf '%-6s %6s %6s %7s %8s %6s %6s %7s %7s %6s\n' "$k" "$ran_cases" \
            "$(count "$work/$k" 'ok ')" "$(count "$work/$k" 'error ')" "$(count "$work/$k" FAIL-crash)" \
            "$(count "$work/$k" FAIL-hang)" "$(count "$work/$k" FAIL-leak)" "$(count "$work/$k" FAIL-kernel)" "$local_other" "$ran_pid1"
        # A lost case has a verdict but did not run.
        ran=$((ran + ran_cases + ran_pid1 - $(count "$work/$k" FAIL-lost)))
        asked=$((asked + ${#all[@]} + ${#pid1[@]}))
        if ((ran_cases != ${#all[@]} || ran_pid1 != ${#pid1[@]})); then
            echo "FAIL $k seed $seed: verdicts for $ran_cases of ${#all[@]} cases and $ran_pid1 of ${#pid1[@]} PID-1 boots"
            failed=$((failed + 1))
        fi
    done
    echo "seed $seed, $cases cases per kernel, ${#pid1[@]} PID-1 boots per kernel, $(($(date +%s) - start))s"

    for k in "${kernels[@]}"; do
        while read -r name class why; do
            [[ $class == FAIL-* ]] || continue
            failed=$((failed + 1))
            echo "FAIL $k $name $class $why"
            [[ $save == 1 ]] || continue
            reg=$ROOT/crates/keel/tests/vm/regressions/$name
            mkdir -p "$reg"
            cp "$work/cases/$name"/{config.cfg,payload,userns,expect} "$reg/"
            [[ -f $work/cases/$name/config.toml ]] && cp "$work/cases/$name/config.toml" "$reg/"
            echo "kernel $k, seed $seed: $class $why" >>"$reg/found"
            # Found as the kernel's PID 1: crates/keel/tests/vm/fuzz-pid1-regression.sh replays it.
            [[ $why == pid1\ * ]] && touch "$reg/pid1"
            echo "     saved as crates/keel/tests/vm/regressions/$name"
        done <"$work/$k.verdicts"
    done
}

mkdir -p "$TARGET/vmfuzz"
fz_build_helper "$TARGET/vmfuzz/fuzz-ns" || die "cannot build tools/vmfuzz/guest/fuzz-ns.c (cc -static)"
failed=0 ran=0 asked=0
declare -a seed_list=("$seed")
if ((seeds > 0)); then
    seed_list=()
    for ((i = 0; i < seeds; i++)); do
        seed_list+=($(($(od -An -N4 -tu4 /dev/urandom) % 1000000 + 1)))
    done
    echo "$PROG: seeds ${seed_list[*]}"
fi
for s in "${seed_list[@]}"; do
    campaign "$s"
done
((${#seed_list[@]} == 1)) || echo "over seeds ${seed_list[*]}:"
# The last line: what ran and what failed; fewer verdicts than cases is a failure.
echo "fuzz-vm: $ran of $asked cases run (${#seed_list[@]} seeds, ${#kernels[@]} kernels), $failed failures"
((failed == 0 && ran == asked && ran > 0))
