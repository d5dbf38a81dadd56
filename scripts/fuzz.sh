#!/bin/sh
# Fuzzes keel's parsers with libFuzzer, SECONDS (default 60) per target, and prints how many
# inputs each ran; a target that ran none fails.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets (default all):
#   decode   keel_wire::decode, any bytes: never a panic; what it accepts re-encodes to the
#            same config (crates/keel-wire/fuzz)
#   toml     keel-gen's TOML front end, any bytes: a located error, or a config whose
#            inspect output builds to the same bytes (crates/keel-gen/fuzz)
#   oci      the OCI converter, any bytes: converted or refused with one error, never a panic
#   seccomp  the seccomp compiler, any policy: a program that reads back to one compiling to
#            the same bytes, or an error
# Needs the nightly toolchain (for the sanitizer flags) and cargo-fuzz
# (`cargo install cargo-fuzz`). Corpora (crates/*/fuzz/corpus/TARGET/) are seeded with the
# examples; crashes land in crates/*/fuzz/artifacts/TARGET/.
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-decode toml oci seccomp}
cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 1
fi

# seed TARGET CORPUS: the examples a target starts from.
seed() {
    mkdir -p "$2"
    case $1 in
    decode)
        for example in examples/*.toml; do
            name=$(basename "$example" .toml)
            cargo run --quiet --release --bin keel-gen -- build "$example" -o "$2/$name.cfg"
            # The target also reads its input as a body behind a valid header.
            tail -c +17 "$2/$name.cfg" >"$2/$name.body"
        done
        ;;
    toml) cp examples/*.toml "$2/" ;;
    oci) cp crates/keel-gen/tests/fixtures/oci/*.json "$2/" ;;
    seccomp)
        # The [process.seccomp] part of the example, as the table the target reads.
        awk '/^\[process\.seccomp\]/ { on = 1; next }
             /^\[\[process\.seccomp\.syscalls\]\]/ { print "[[syscalls]]"; on = 1; next }
             /^\[/ { on = 0 }
             on' examples/seccomp.toml >"$2/example.toml"
        ;;
    *)
        echo "fuzz.sh: unknown target '$1' (decode, toml, oci, seccomp)" >&2
        exit 2
        ;;
    esac
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $targets; do
    case $target in
    decode) dir=crates/keel-wire/fuzz ;;
    *) dir=crates/keel-gen/fuzz ;;
    esac
    seed "$target" "$dir/corpus/$target"
    if ! cargo +nightly fuzz run --fuzz-dir "$dir" "$target" "$dir/corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz.sh: $target failed; see above and $dir/artifacts/$target/" >&2
        exit 1
    fi
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    # A fuzzer that ran no input has not passed.
    if [ -z "$executions" ] || [ "$executions" -eq 0 ]; then
        tail -n 20 "$log" >&2
        echo "fuzz.sh: $target ran no input (no executions in the fuzzer's final stats)" >&2
        exit 1
    fi
    echo "fuzz.sh: $target ran $executions inputs in ${seconds}s without a failure"
done
