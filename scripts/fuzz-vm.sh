#!/usr/bin/env bash
# scripts/fuzz-vm.sh: fuzz keel as PID 1 in QEMU VMs, reproducibly from a seed.
#
# Usage: scripts/fuzz-vm.sh [--cases N] [--seed S] [--kernel 6.1|6.12|all] [--jobs J]
#                           [--per-boot M] [--pid1-boots B] [--case-timeout T] [--no-save]
#   --cases N         cases per kernel (default 200)
#   --seed S          the seed (default 1); case I of seed S is always the same case
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
# Prints a summary per kernel; exits 0 when every case passed, 1 otherwise, 2 on usage or
# build errors. Work files: target/vmfuzz/seed-S/.
set -euo pipefail

PROG=fuzz-vm.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
VM=$SCRIPT_DIR/vm.sh
# shellcheck source=tools/vmfuzz/guest/fuzz-lib.sh
. "$ROOT/tools/vmfuzz/guest/fuzz-lib.sh"

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

cases=200 seed=1 kernel_sel=all per_boot=250 pid1_boots=2 case_timeout=10 save=1
jobs=1
[[ $(nproc 2>/dev/null || echo 1) -ge 2 ]] && jobs=2
while [[ $# -gt 0 ]]; do
    case $1 in
    --cases | --seed | --kernel | --jobs | --per-boot | --pid1-boots | --case-timeout)
        [[ $# -ge 2 ]] || die "$1 needs a value"
        case $1 in
        --cases) cases=$2 ;;
        --seed) seed=$2 ;;
        --kernel) kernel_sel=$2 ;;
        --jobs) jobs=$2 ;;
        --per-boot) per_boot=$2 ;;
        --pid1-boots) pid1_boots=$2 ;;
        --case-timeout) case_timeout=$2 ;;
        esac
        shift 2
        ;;
    --no-save) save=0; shift ;;
    -h | --help) sed -n '4,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
for n in "$cases" "$seed" "$per_boot" "$pid1_boots" "$case_timeout"; do
    [[ $n =~ ^[0-9]+$ ]] || die "numbers wanted, got '$n'"
done
[[ $jobs =~ ^[12]$ ]] || die "--jobs is 1 or 2 (the host's CPUs are shared)"
[[ $per_boot -gt 0 ]] || die "--per-boot must be positive"
case $kernel_sel in
all) kernels=(6.1 6.12) ;;
6.1 | 6.12) kernels=("$kernel_sel") ;;
*) die "unknown kernel '$kernel_sel' (6.1, 6.12 or all)" ;;
esac

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --quiet --release --bins) || die "cargo build failed"
"$VM" prepare --kernel "$kernel_sel" >/dev/null || die "scripts/vm.sh prepare failed"

work=$CARGO_TARGET_DIR/vmfuzz/seed-$seed
rm -rf "$work"
mkdir -p "$work/cases"
fz_build_helper "$work/fuzz-ns" || die "cannot build tools/vmfuzz/guest/fuzz-ns.c (cc -static)"
echo "$PROG: seed $seed: generating $cases cases (replay: scripts/fuzz-vm.sh --seed $seed --cases $cases)"
"$CARGO_TARGET_DIR/release/vmfuzz" --seed "$seed" --cases "$cases" \
    --keel-gen "$CARGO_TARGET_DIR/release/keel-gen" --out "$work/cases" || die "the generator failed"

# The same cases on every kernel, in boots of per_boot cases: one directory per boot.
mapfile -t all < <(find "$work/cases" -mindepth 1 -maxdepth 1 -type d | sort)
nboots=$(((${#all[@]} + per_boot - 1) / per_boot))
for ((b = 0; b < nboots; b++)); do
    mkdir -p "$work/boot-$b"
    cp -r "${all[@]:b*per_boot:per_boot}" "$work/boot-$b/"
done
# Cases for the PID-1 boots, among those whose config leaves the mode to keel, which then
# is the machine's init (a config that sets the mode, exec or supervise, makes keel exit as
# the kernel's init, which panics by design): the seed's first config keel must refuse,
# then its first others (their kinds are random).
pid1=()
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

# run_boot KERNEL B: one runner boot; its verdicts go to $work/KERNEL/boot-B.verdicts.
run_boot() {
    local k=$1 b=$2 out=$work/$1 n
    n=$(find "$work/boot-$b" -mindepth 1 -maxdepth 1 | wc -l)
    local spec
    local -a vmargs=()
    while read -r spec; do vmargs+=(--add "$spec"); done < <(fz_adds "$work/boot-$b" "$work/fuzz-ns")
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

start=$(date +%s)
running=0
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
elapsed=$(($(date +%s) - start))

failed=0
printf '\n%-6s %6s %6s %7s %8s %6s %6s %7s %7s %6s\n' kernel cases ok errors crashes hangs leaks kernel other pid1
for k in "${kernels[@]}"; do
    cat "$work/$k"/*.verdicts >"$work/$k.verdicts"
    count() { grep -c "^[^ ]* $1" "$work/$k.verdicts" || true; }
    local_other=$(grep -cE '^[^ ]* FAIL-(state|status|message|lost)' "$work/$k.verdicts" || true)
    printf '%-6s %6s %6s %7s %8s %6s %6s %7s %7s %6s\n' "$k" "$(grep -vc ' pid1 ' "$work/$k.verdicts" || true)" \
        "$(count 'ok ')" "$(count 'error ')" "$(count FAIL-crash)" "$(count FAIL-hang)" \
        "$(count FAIL-leak)" "$(count FAIL-kernel)" "$local_other" "$(grep -c ' pid1 ' "$work/$k.verdicts" || true)"
done
echo "seed $seed, $cases cases per kernel, ${#pid1[@]} PID-1 boots per kernel, ${elapsed}s"

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
echo "$failed failures"
[[ $failed -eq 0 ]]
