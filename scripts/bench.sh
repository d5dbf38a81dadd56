#!/usr/bin/env bash
# Measures keel (the full build and the minimal one) side by side with the peer inits on this
# machine: Debian's tini, tini-static, dumb-init and catatonit, and tini (also TINI_MINIMAL),
# dumb-init and catatonit built static with musl from their Debian sources
# (scripts/lib/musl-peers.sh), and prints one markdown report; it also goes to target/bench/report.md, with the raw data
# under target/bench/raw/ and a chart of its main columns in target/bench/report.svg. A report, not a test: no number here passes or fails anything.
# Usage: scripts/bench.sh   (env: BENCH_RUNS=300 hyperfine runs per command and round,
#                             BENCH_ROUNDS=5 hyperfine invocations, KEEL=path to a keel binary)
# Takes under a minute (plus about 45 s the first time, for the unstripped build of keel).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
# shellcheck source=lib/target.sh
ROOT=$root
source "$ROOT/scripts/lib/target.sh"
out=$root/target/bench
raw=$out/raw
runs=${BENCH_RUNS:-300}
rounds=${BENCH_ROUNDS:-5}
idle_secs=4   # the ctxt probes below (0.3 s, then +2.6 s) must come well before the end

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# ---- tools ---------------------------------------------------------------------------------------
scripts/setup.sh --bench || die "scripts/setup.sh --bench failed (run it as root to install the peers)"
for t in tini tini-static dumb-init catatonit hyperfine strace python3 nm size file strip cargo; do
    command -v "$t" >/dev/null || die "'$t' is missing after scripts/setup.sh --bench"
done

# ---- keel: the stripped release binary, and an unstripped twin for the symbol table -------------
keel=${KEEL:-$TARGET/release/keel}
keel_note=""
if [[ -z ${KEEL:-} ]]; then
    say "cargo build --release --bin keel"
    if ! cargo build --quiet --release --bin keel; then
        [[ -x $keel ]] || die "cargo build --release --bin keel failed and there is no $keel"
        keel_note="cargo build failed (tree mid-edit?): measured the previous $keel from $(date -r "$keel" '+%F %T')"
        say "warning: $keel_note"
    fi
fi
[[ -x $keel ]] || die "no keel binary at $keel"
# The minimal keel in a target directory of its own (crates/keel/Cargo.toml says why).
keel_minimal=$root/target/minimal/release/keel
say "cargo build --release -p keel --no-default-features (target/minimal)"
CARGO_TARGET_DIR=$root/target/minimal cargo build --quiet --release -p keel --no-default-features ||
    die "the minimal keel does not build"
say "the peers built static with musl (scripts/lib/musl-peers.sh)"
musl=$(scripts/lib/musl-peers.sh) || die "scripts/lib/musl-peers.sh failed"
unstripped=$out/unstripped/release/keel
say "cargo build (unstripped copy, for nm) into target/bench/unstripped"
if ! CARGO_PROFILE_RELEASE_STRIP=false cargo build --quiet --release --bin keel --target-dir "$out/unstripped"; then
    [[ -x $unstripped ]] || die "unstripped build of keel failed"
    say "warning: unstripped build failed, using the previous $unstripped"
fi

rm -rf "$raw"
mkdir -p "$raw"/{mem,strace,idle,ctxt,stripped}

# The inits, in report order, each with the arguments that put it in front of PROGRAM. tini gets -s
# (subreaper; without it, it warns when it is not PID 1); keel and catatonit become subreapers by
# themselves; dumb-init is a plain parent.
# TINI_MINIMAL has no option parsing at all: PROGRAM comes first.
names=(tini tini-static dumb-init catatonit tini-musl tini-minimal-musl dumb-init-musl catatonit-musl
    keel-minimal keel)
declare -A cmd=(
    [tini]="$(command -v tini) -s --"
    [tini-static]="$(command -v tini-static) -s --"
    [dumb-init]="$(command -v dumb-init)"
    [catatonit]="$(command -v catatonit) --"
    [tini-musl]="$musl/tini -s --"
    [tini-minimal-musl]="$musl/tini-minimal"
    [dumb-init-musl]="$musl/dumb-init"
    [catatonit-musl]="$musl/catatonit --"
    [keel-minimal]="$keel_minimal --"
    [keel]="$keel --"
)
true_bin=$(readlink -f "$(type -P true)")
sleep_bin=$(readlink -f "$(type -P sleep)")
argv() { read -r -a a <<<"${cmd[$1]}"; }   # sets a=(INIT ARGS...) for init $1

# ---- 1. size and linking --------------------------------------------------------------------------
{
    printf 'name\tcommand\tbinary\tbytes\tstripped_bytes\tfile\n'
    for n in "${names[@]}" true; do
        if [[ $n == true ]]; then bin=$true_bin; c=$true_bin; else argv "$n"; bin=${a[0]}; c=${cmd[$n]}; fi
        desc=$(file -L -b "$bin")
        bytes=$(stat -L -c %s "$bin")
        sbytes=$bytes
        if [[ $desc == *"not stripped"* ]]; then
            strip -o "$raw/stripped/$n" "$bin"
            sbytes=$(stat -c %s "$raw/stripped/$n")
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$c" "$bin" "$bytes" "$sbytes" "$desc"
    done
} >"$raw/inits.tsv"

# ---- 3. start-up time: all commands side by side in one hyperfine invocation, repeated in $rounds
# rounds with the order rotated (a busy machine's load comes in bursts of seconds, longer than one
# command's batch); quiet machine first, so before anything else runs.
cmds=(true "${names[@]}")
load=""
for ((r = 0; r < rounds; r++)); do
    say "hyperfine round $((r + 1))/$rounds: $runs runs x ${#cmds[@]} commands"
    hf=(hyperfine -N --warmup 20 --runs "$runs" --style none --export-json "$raw/hyperfine.$r.json")
    for ((i = 0; i < ${#cmds[@]}; i++)); do
        n=${cmds[(i + r) % ${#cmds[@]}]}
        if [[ $n == true ]]; then hf+=(--command-name true "$true_bin"); else hf+=(--command-name "$n" "${cmd[$n]} $true_bin"); fi
    done
    load+="$(cut -d' ' -f1 /proc/loadavg) "
    "${hf[@]}" >"$raw/hyperfine.$r.txt" 2>&1 || { cat "$raw/hyperfine.$r.txt" >&2; die "hyperfine failed"; }
done
load+="$(cut -d' ' -f1 /proc/loadavg)"

# ---- 4. syscalls of the init alone (strace -c, no -f), plus a plain trace to read -----------------
say "strace: INIT -- /bin/true"
for n in "${names[@]}" true; do
    if [[ $n == true ]]; then a=("$true_bin"); else argv "$n"; a+=("$true_bin"); fi
    strace -c -o "$raw/strace/$n.c.txt" "${a[@]}"
    strace -r -T -o "$raw/strace/$n.trace.txt" "${a[@]}"
done

# ---- 2. memory while it supervises `sleep 3`: 5 rounds, all the inits side by side in each -------
# (sleep 3, not 1: on a loaded machine reading eleven inits' files took longer than a second, and
# an init had exited before it was measured; what an init holds does not depend on the sleep.)
say "memory: 5 rounds of INIT -- sleep 3"
for r in 1 2 3 4 5; do
    declare -A pid=()
    for n in "${names[@]}"; do argv "$n"; "${a[@]}" "$sleep_bin" 3 & pid[$n]=$!; done
    sleep 0.3
    for n in "${names[@]}"; do
        cat "/proc/${pid[$n]}/status" >"$raw/mem/$n.$r.status" || die "$n exited before it was measured"
        cat "/proc/${pid[$n]}/smaps_rollup" >"$raw/mem/$n.$r.smaps"
    done
    for n in "${names[@]}"; do wait "${pid[$n]}" || die "$n -- sleep 3 failed"; done
done

# ---- 5. idle: INIT -- sleep 3, once under strace -ff (for syscalls), once bare (context switches) --
say "idle: INIT -- sleep $idle_secs, traced and untraced, all side by side"
declare -A pid=() tpid=()
for n in "${names[@]}"; do
    argv "$n"
    strace -ff -ttt -T -o "$raw/idle/$n" "${a[@]}" "$sleep_bin" "$idle_secs" & tpid[$n]=$!
    "${a[@]}" "$sleep_bin" "$idle_secs" & pid[$n]=$!
done
sleep 0.3
for n in "${names[@]}"; do cat "/proc/${pid[$n]}/status" >"$raw/ctxt/$n.a"; done
sleep 2.6   # t = 2.9 s: 1.1 s before the child exits (0.1 s was too close on a loaded machine)
for n in "${names[@]}"; do cat "/proc/${pid[$n]}/status" >"$raw/ctxt/$n.b"; done
for n in "${names[@]}"; do
    wait "${pid[$n]}" || die "$n -- sleep $idle_secs failed"
    wait "${tpid[$n]}" || die "strace $n -- sleep $idle_secs failed"
done

# ---- 6. keel's anatomy -----------------------------------------------------------------------------
nm --size-sort -S -C "$unstripped" >"$raw/keel.nm.txt"
size -A "$keel" >"$raw/keel.size.txt"
size -A "$unstripped" >"$raw/keel-unstripped.size.txt"

{
    echo "date=$(date '+%F %T %Z')"
    echo "host=$(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')
    if [[ -n $(git -C "$root" status --porcelain -- crates/keel crates/keel-wire Cargo.toml Cargo.lock 2>/dev/null) ]]; then
        rev+=" + uncommitted changes"
    fi
    echo "keel=$rev, built $(date -r "$keel" '+%F %T')"
    echo "keel_note=$keel_note"
    echo "tools=$(hyperfine --version), $(strace -V | sed -n 1p)"
    echo "runs=$runs"
    echo "rounds=$rounds"
    echo "load=$load"
    echo "cpus=$(nproc)"
    echo "autogroup=$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?')"
    echo "idle_secs=$idle_secs"
    echo "true=$true_bin"
    echo "sleep=$sleep_bin"
    echo "names=${names[*]}"
    # shellcheck source=scripts/lib/size-budgets.sh
    source "$root/scripts/lib/size-budgets.sh"
    echo "budgets=full $FULL_BUDGET, minimal $MINIMAL_BUDGET"
} >"$raw/meta.txt"

python3 scripts/lib/bench-report.py "$raw" >"$out/report.md"
python3 scripts/lib/bench-chart.py "$out/report.md" "$out/report.svg" --label init \
    --value bytes --value "VmRSS kB" --value "median µs -- true" --value "syscalls (errors)" \
    --title "keel vs. peer inits, one run of scripts/bench.sh (shorter is better)"
cat "$out/report.md"
say "report written to target/bench/report.md, its chart to report.svg (raw data in target/bench/raw/)"
