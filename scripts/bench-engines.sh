#!/usr/bin/env bash
# scripts/bench-engines.sh: keel's share of a real container's start. `E run --rm IMAGE true`
# under docker and podman (runc), side by side in one run, with no init, with keel as the
# ENTRYPOINT, with keel as --init, with tini (Debian's docker-init, tini-static) as --init,
# and for podman with its default init, catatonit. A report, not a test: no number here
# passes or fails anything. Writes target/bench/engines.md and prints it, and a chart of it,
# target/bench/engines.svg.
#
# Usage: scripts/bench-engines.sh [--rounds R] [--keel PATH] [--no-build]
#   --rounds R   runs of every variant (default 15); each round runs every variant once, in
#                an order rotated from round to round, so a slow spell hits all alike
#   --keel PATH  the keel to measure (default target/release/keel, built first)
# Needs root and what scripts/setup.sh --bench installs. Two private dockerds run at once,
# one with keel as its init-path and one with tini, since docker sets the init per daemon.
# Columns: the median wall time of `run --rm IMAGE true` (the engine's whole start and
# teardown), its range, and the median over the engine's no-init run as a ratio.
set -euo pipefail

PROG=bench-engines.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
STATE=$ROOT/target/bench/engines
die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

rounds=15 keel=$TARGET/release/keel build=1
while [[ $# -gt 0 ]]; do
    case $1 in
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); build=0; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '8,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"
# shellcheck source=lib/engines.sh
source "$ROOT/scripts/lib/engines.sh"
if ((build)); then
    (cd "$ROOT" && cargo build --release -q -p keel -p keel-gen) || die "cargo build failed"
fi
engines_check_tools
TINI=$(readlink -f /usr/bin/docker-init 2>/dev/null || true)
[[ -x $TINI ]] || die "no /usr/bin/docker-init (tini-static): apt-get install tini docker.io"
CATATONIT=/usr/libexec/podman/catatonit
[[ -x $CATATONIT ]] || die "no $CATATONIT: apt-get install catatonit"

engines_prepare "$keel"
trap stop_engines EXIT
engines_images
start_docker docker "$KEEL"
start_docker docker-tini "$TINI"
for ENGINE in docker podman; do
    DOCKER=docker engine_cmd
    build_images
done
DOCKER=docker-tini ENGINE=docker engine_cmd
build_images

# Each variant: "ENGINE DAEMON LABEL ARGS…" (the DAEMON is docker's; podman ignores it).
variants=(
    "docker docker none $IMG_PLAIN true"
    "docker docker keel-entrypoint $IMG_ENTRY true"
    "docker docker keel-init --init $IMG_PLAIN true"
    "docker docker-tini tini-init --init $IMG_PLAIN true"
    "podman - none $IMG_PLAIN true"
    "podman - keel-entrypoint $IMG_ENTRY true"
    "podman - keel-init --init --init-path $KEEL $IMG_PLAIN true"
    "podman - tini-init --init --init-path $TINI $IMG_PLAIN true"
    "podman - catatonit-init --init --init-path $CATATONIT $IMG_PLAIN true"
)
raw=$STATE/raw.txt
: >"$raw"
n=${#variants[@]}
for ((round = 0; round < rounds; round++)); do
    for ((k = 0; k < n; k++)); do
        read -r ENGINE DOCKER label args <<<"${variants[(k + round) % n]}"
        engine_cmd
        run_flags
        read -ra argv <<<"$args"
        t0=$(date +%s%N)
        run_ctr "${argv[@]}" >/dev/null || die "$ENGINE run ($label) failed"
        t1=$(date +%s%N)
        echo "$ENGINE $label $(((t1 - t0) / 1000))" >>"$raw"
    done
done

out=$ROOT/target/bench/engines.md
python3 - "$raw" "$rounds" "$(stat -c %s "$KEEL")" >"$out" <<'EOF'
import statistics, sys
raw, rounds, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = {}
for line in open(raw):
    engine, label, us = line.split()
    runs.setdefault((engine, label), []).append(int(us) / 1000)
print(f"# keel's share of a container's start ({rounds} rounds, keel {size:,} bytes)\n")
print("| engine | init | median ms | range ms | vs no init |")
print("|---|---|---:|---:|---:|")
for engine in ("docker", "podman"):
    base = statistics.median(runs[(engine, "none")])
    for (e, label), ms in runs.items():
        if e != engine:
            continue
        med = statistics.median(ms)
        print(f"| {engine} | {label} | {med:.0f} | {min(ms):.0f}-{max(ms):.0f} | {med / base:.3f}x |")
    print()
EOF
python3 "$ROOT/scripts/lib/bench-chart.py" "$out" "${out%.md}.svg" --label engine,init --value "median ms" \
    --title "A container's start by init, scripts/bench-engines.sh (shorter is better)"
cat "$out"
