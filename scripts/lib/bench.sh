# shellcheck shell=bash
# What the VM benchmarks scripts/bench-cgroup.sh and scripts/bench-oci.sh share (sourced,
# after they set PROG): their paths, their common options, the keel they measure and their
# one QEMU boot. The guest side of scripts/NAME.sh is scripts/bench/NAME-guest.sh.
#
#   say MESSAGE…, die MESSAGE…   "PROG: MESSAGE" on stderr; die then exits 2
#   bench_options HELP ARGS…     parse the command line: --kernel K (6.1 or 6.12, default
#                                6.12), -n N (a positive number; the script sets the default
#                                in n), --keel PATH, --no-build, -h (prints lines HELP, e.g.
#                                2,13, of the script's header); any other word goes to the
#                                script's function bench_flag WORD, which returns 1 when the
#                                word is none of its own
#   bench_keel                   build (unless --no-build) and check keel: sets keel
#   bench_boot LOG MEM TIMEOUT VARIANTS ARGS…
#                                one boot of kernel K with keel as PID 1, MEM MiB, the files of
#                                ADD and the guest side at /test/bench, run as
#                                `/test/bench ARGS…`; the console goes to LOG. On failure: the
#                                log's last lines (the kernel's left out), and exit 2
#   bench_release                the guest kernel's release (uname -r), as scripts/vm.sh cached it

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=target.sh
source "$ROOT/scripts/lib/target.sh"
VM=$SCRIPT_DIR/vm.sh
# The VM cases' support files (cgroup-lib.sh, the C helpers, BenchExec's init.sh).
VM_SUPPORT=$ROOT/crates/keel/tests/vm/support

say() { echo "$PROG: $*" >&2; }
die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

kernel=6.12 keel="" build=1

bench_options() {
    local help=$1
    shift
    while [[ $# -gt 0 ]]; do
        case $1 in
        --kernel) [[ $# -ge 2 ]] || die "--kernel needs a value"; kernel=$2; shift 2 ;;
        -n) [[ $# -ge 2 ]] || die "-n needs a number"; n=$2; shift 2 ;;
        --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        -h | --help) sed -n "${help}p" "${BASH_SOURCE[-1]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) bench_flag "$1" || die "unknown argument '$1' (see --help)"; shift ;;
        esac
    done
    [[ $kernel == 6.1 || $kernel == 6.12 ]] || die "--kernel is 6.1 or 6.12"
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number"
}

bench_keel() {
    if [[ $build -eq 1 ]]; then
        (cd "$ROOT" && cargo build --release --bins) || die "cargo build --release --bins failed"
    fi
    [[ -n $keel ]] || keel=$TARGET/release/keel
    [[ -x $keel ]] || die "no keel at $keel"
}

bench_boot() {
    local log=$1 mem=$2 timeout=$3 variants=$4 a rc=0
    shift 4
    local -a args=()
    for a in "${ADD[@]}" "$SCRIPT_DIR/bench/${PROG%.sh}-guest.sh:/test/bench"; do args+=(--add "$a"); done
    mkdir -p "$(dirname "$log")"
    say "one boot of kernel $kernel, $n iterations of $variants variants (log ${log#"$ROOT"/})"
    # tsc=reliable: under TCG the kernel's clocksource watchdog soon marks the TSC unstable and
    # falls back to jiffies (4 ms steps); the TSC is the host's clock, fine to measure with.
    KEEL_VM_APPEND="${KEEL_VM_APPEND:-} tsc=reliable" "$VM" run --kernel "$kernel" --keel "$keel" \
        --mem "$mem" --timeout "$timeout" --log "$log" "${args[@]}" -- -- /test/bench "$@" || rc=$?
    if [[ $rc -ne 0 ]]; then
        tr -d '\r' <"$log" | grep -v '^\[' | tail -n 30 >&2
        die "the benchmark VM failed (vm.sh exit $rc)"
    fi
}

bench_release() {
    cat "$ROOT/target/vm/kernel-$kernel/release" 2>/dev/null || true
}
