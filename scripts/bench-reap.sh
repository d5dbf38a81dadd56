#!/usr/bin/env bash
# scripts/bench-reap.sh: time to reap a storm of orphans, keel side by side with tini, tini-static,
# dumb-init and catatonit in one run. A report, not a test: no number here passes or fails anything.
# Writes target/bench/reap.md and prints it.
#
# Usage: sudo scripts/bench-reap.sh [--orphans N] [--rounds R] [--keel PATH]
#   --orphans N  orphans per run (default 10000)
#   --rounds R   runs of every command (default 5); each round runs every command once, in an
#                order rotated from round to round, so a slow spell of the machine hits all alike
#   --keel PATH  keel binary to measure (default: cargo build --release, then target/release/keel)
# Needs root (unshare), gcc with a static libc, and the peers (scripts/setup.sh --bench).
#
# The payload is `crates/keel/tests/support/load.c orphans N 0`: a maker forks middle processes that each fork
# 50 grandchildren and exit, orphaning them; each grandchild dies as its parent exits (parent-death
# signal), so its zombie is the init's to reap. The payload holds a pidfd of every orphan and exits
# only once all of them have been reaped, so every init is timed to the same point whatever it does
# at the end. Two modes:
#   subreaper  INIT as a plain child that makes itself a child subreaper (tini and tini-static need
#              -s; keel and catatonit do it by themselves; dumb-init cannot, so it has no row here)
#   pid-ns     unshare --pid --fork --mount-proc INIT ...: INIT is PID 1 of a new pid namespace
# Columns: the median wall time of the whole run (forks included, which every init shares), its
# range, and the median "tail": from the last orphan made until the payload saw all reaped.
set -euo pipefail

PROG=bench-reap.sh
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

say() { echo "$PROG: $*" >&2; }
die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

orphans=10000 rounds=5 keel=""
while [[ $# -gt 0 ]]; do
    case $1 in
    --orphans) [[ $# -ge 2 ]] || die "--orphans needs a number"; orphans=$2; shift 2 ;;
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); shift 2 ;;
    -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $orphans =~ ^[1-9][0-9]*$ ]] || die "--orphans wants a positive number"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"
[[ $(id -u) == 0 ]] || die "needs root (unshare --pid)"

scripts/setup.sh --bench || die "scripts/setup.sh --bench failed"
for t in tini tini-static dumb-init catatonit unshare gcc python3; do
    command -v "$t" >/dev/null || die "'$t' is missing"
done

out=$root/target/bench
mkdir -p "$out"
if [[ -z $keel ]]; then
    say "cargo build --release --bin keel"
    cargo build --quiet --release --bin keel
    keel=${CARGO_TARGET_DIR:-$root/target}/release/keel
fi
[[ -x $keel ]] || die "no keel binary at $keel"
load=$out/load
gcc -static -O2 -Wall -Wextra -Werror -o "$load" crates/keel/tests/support/load.c || die "gcc failed (libc6-dev?)"

ns=(unshare --pid --fork --mount-proc --kill-child)
names=() cmds=()
row() { names+=("$1"); cmds+=("$2"); }
row "tini -s|subreaper" "$(command -v tini) -s --"
row "tini-static -s|subreaper" "$(command -v tini-static) -s --"
row "catatonit|subreaper" "$(command -v catatonit) --"
row "keel|subreaper" "$keel --"
row "tini|pid-ns" "${ns[*]} $(command -v tini) --"
row "tini-static|pid-ns" "${ns[*]} $(command -v tini-static) --"
row "dumb-init|pid-ns" "${ns[*]} $(command -v dumb-init)"
row "catatonit|pid-ns" "${ns[*]} $(command -v catatonit) --"
row "keel|pid-ns" "${ns[*]} $keel --"

raw=$out/reap.tsv
printf 'name\tmode\tround\twall_ms\ttail_ms\n' >"$raw"
n=${#names[@]}
load_avg="$(cut -d' ' -f1 /proc/loadavg)"
for ((r = 0; r < rounds; r++)); do
    say "round $((r + 1))/$rounds: $n commands x $orphans orphans"
    for ((k = 0; k < n; k++)); do
        i=$(((k + r) % n))
        read -r -a argv <<<"${cmds[i]}"
        start=$(date +%s%N)
        stdout=$("${argv[@]}" "$load" orphans "$orphans" 0 2>"$out/reap.err") ||
            die "${names[i]}: exit $?: $(cat "$out/reap.err")"
        end=$(date +%s%N)
        [[ $stdout == "orphans $orphans reaped" ]] || die "${names[i]}: '$stdout'"
        # load: N orphans made in X ms, all reaped Y ms later
        tail_ms=$(sed -n 's/.*all reaped \([0-9.]*\) ms later/\1/p' "$out/reap.err")
        printf '%s\t%s\t%s\t%s\n' "${names[i]/|/$'\t'}" "$r" "$(((end - start) / 1000000))" "$tail_ms" >>"$raw"
    done
done
load_avg+=" $(cut -d' ' -f1 /proc/loadavg)"

python3 - "$raw" "$orphans" "$rounds" "$load_avg" >"$out/reap.md" <<'EOF'
import csv, statistics, sys, platform, os
raw, orphans, rounds, load = sys.argv[1:]
rows = {}
for r in csv.DictReader(open(raw), delimiter="\t"):
    rows.setdefault((r["mode"], r["name"]), []).append((int(r["wall_ms"]), float(r["tail_ms"])))
print(f"# Reaping {int(orphans):,} orphans: median of {rounds} runs\n")
print(f"{platform.release()}, {os.cpu_count()} CPUs, load average {load} (start, end)\n")
for mode in ("subreaper", "pid-ns"):
    keel = statistics.median(w for w, _ in rows[(mode, "keel")])
    print(f"## {mode}\n")
    print("| init | wall, median (s) | range (s) | vs keel | tail, median (ms) |")
    print("|---|---|---|---|---|")
    for (m, name), runs in rows.items():
        if m != mode:
            continue
        wall = [w for w, _ in runs]
        med = statistics.median(wall)
        tail = statistics.median(t for _, t in runs)
        print(f"| {name} | {med / 1000:.2f} | {min(wall) / 1000:.2f}–{max(wall) / 1000:.2f} "
              f"| {med / keel:.2f}x | {tail:.1f} |")
    print()
print("dumb-init has no subreaper mode: as a plain child its orphans go to the host's init.")
EOF
cat "$out/reap.md"
say "report written to target/bench/reap.md (raw data in target/bench/reap.tsv)"
