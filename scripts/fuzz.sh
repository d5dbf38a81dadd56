#!/bin/sh
# Fuzzes keel_wire::decode for SECONDS (default 60) and prints how many inputs ran.
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs the nightly toolchain (for the sanitizer flags) and cargo-fuzz
# (`cargo install cargo-fuzz`). The corpus is seeded with the examples, both as whole
# configs and as bare bodies (the target also fuzzes inputs as bodies behind a valid
# header). Crashes land in crates/keel-wire/fuzz/artifacts/decode/.
set -eu

seconds=${1:-60}
cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 1
fi

corpus=crates/keel-wire/fuzz/corpus/decode
mkdir -p "$corpus"
for example in examples/*.toml; do
    name=$(basename "$example" .toml)
    cargo run --quiet --release --bin keel-gen -- build "$example" -o "$corpus/$name.cfg"
    tail -c +17 "$corpus/$name.cfg" >"$corpus/$name.body"
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo +nightly fuzz run --fuzz-dir crates/keel-wire/fuzz decode "$corpus" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    cat "$log" >&2
    echo "fuzz.sh: the fuzzer failed; see above and crates/keel-wire/fuzz/artifacts/decode/" >&2
    exit 1
fi
executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
# A fuzzer that ran no input has not passed.
if [ -z "$executions" ] || [ "$executions" -eq 0 ]; then
    tail -n 20 "$log" >&2
    echo "fuzz.sh: decode ran no input (no executions in the fuzzer's final stats)" >&2
    exit 1
fi
echo "fuzz.sh: decode ran $executions inputs in ${seconds}s without a failure"
