#!/usr/bin/env bash
# scripts/engine-tests.sh: keel under real container engines on this host, docker (Debian's
# docker.io, runc) and podman (runc), as a user of either runs it: the cases of
# crates/keel/tests/engines/cases.sh, each against each engine, then a closing line
# "engines: N passed, N failed of N".
#
# Usage: scripts/engine-tests.sh [--engine docker|podman|all] [--keel PATH] [--no-build] [CASE...]
#   --engine E   engine(s) to test (default all)
#   --keel PATH  the keel under test (default target/release/keel, built first)
#   --no-build   skip `cargo build --release` (keel and keel-gen)
#   CASE         case names (the functions case_NAME in cases.sh); default every case
#
# Exit status: 0 when every case ran and passed, 1 when any failed or fewer ran than asked,
# 2 on a usage or setup error.
#
# The engines are private (a dockerd with --init-path = the keel under test, podman with its
# own storage), the images FROM scratch and built offline: scripts/lib/engines.sh says how
# and which facts of this host the flags adapt to. Logs: target/engines/.
set -euo pipefail

PROG=engine-tests.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
CASES=$ROOT/crates/keel/tests/engines/cases.sh
STATE=$ROOT/target/engines

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

engine_sel=all
keel=$TARGET/release/keel
build=1
declare -a wanted=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --engine) [[ $# -ge 2 ]] || die "--engine needs a value"; engine_sel=$2; shift 2 ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); build=0; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '7,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) wanted+=("$1"); shift ;;
    esac
done
case $engine_sel in
all) engines=(docker podman) ;;
docker | podman) engines=("$engine_sel") ;;
*) die "unknown engine '$engine_sel' (use docker, podman or all)" ;;
esac
# shellcheck source=lib/engines.sh
source "$ROOT/scripts/lib/engines.sh"
if ((build)); then
    (cd "$ROOT" && cargo build --release -q -p keel && cargo build --release -q -p keel-gen) ||
        die "cargo build failed"
fi
engines_check_tools

# shellcheck source=../crates/keel/tests/engines/cases.sh
source "$CASES"
declare -a cases=()
if ((${#wanted[@]})); then
    for name in "${wanted[@]}"; do
        declare -F "case_$name" >/dev/null || die "no case '$name' in ${CASES#"$ROOT"/}"
        cases+=("$name")
    done
else
    mapfile -t cases < <(declare -F | awk '$3 ~ /^case_/ { sub(/^case_/, "", $3); print $3 }')
fi
((${#cases[@]})) || die "no cases in ${CASES#"$ROOT"/}"

engines_prepare "$keel"
KEEL_SHA=$(sha256sum "$KEEL" | cut -d' ' -f1)

engines_images
trap stop_engines EXIT

# --- run -----------------------------------------------------------------------------------
passed=0
failed=0
ran=0
asked=0
declare -a failures=()
for ENGINE in "${engines[@]}"; do
    export ENGINE
    LOG=$STATE/$ENGINE
    mkdir -p "$LOG"
    [[ $ENGINE == docker ]] && start_docker docker "$KEEL"
    engine_cmd
    run_flags
    init_flags "$KEEL"
    build_images
    for name in "${cases[@]}"; do
        asked=$((asked + 1))
        if ! applies_to_engine "$name"; then
            echo "SKIP $ENGINE $name (docker only)"
            continue
        fi
        ran=$((ran + 1))
        if ("case_$name") >"$LOG/$name.log" 2>&1; then
            passed=$((passed + 1))
            echo "PASS $ENGINE $name"
        else
            failed=$((failed + 1))
            failures+=("$ENGINE $name")
            echo "FAIL $ENGINE $name (log: ${LOG#"$ROOT"/}/$name.log)"
            sed 's/^/    /' "$LOG/$name.log" | tail -15
        fi
    done
done

skipped=$((asked - ran))
echo "engines: $passed passed, $failed failed of $ran run ($skipped not for that engine)"
((failed == 0)) || exit 1
# A harness that ran nothing, or less than the cases that apply, has not passed.
((ran > 0 && passed == ran)) || { echo "$PROG: only $passed of $ran cases passed" >&2; exit 1; }
