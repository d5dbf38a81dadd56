#!/usr/bin/env bash
# scripts/bench-sandbox-jl.sh: the set-up time of Sandbox.jl's rootless sandbox in keel and in
# bubblewrap, side by side in one run: the time to run `true` in it, as an unprivileged user.
# The request is crates/keel/tests/sandbox_jl.rs's (which checks what the workload sees in
# both): a busybox rootfs as /, binds of a read-only and a read-write host directory, a tmpfs
# /tmp of 8 MiB, proc, a /dev of the host's device nodes, user, pid and uts namespaces with
# uid 1000 inside mapped to the user. A report, not a test. Writes docs/bench/sandbox-jl.md
# (raw hyperfine data in target/bench/sandbox-jl-raw) and prints it.
#
# Usage: sudo scripts/bench-sandbox-jl.sh [--runs N] [--rounds R] [--keel PATH] [--no-build]
#   --runs N     hyperfine runs of every command per round (default 100, at least 20)
#   --rounds R   hyperfine invocations, each with every command (default 5); the table pools
#                them and gives the median of each round's median, and their range
#   --keel PATH  keel binary to measure (default target/release/keel, built first)
#   --no-build   skip `cargo build --release --bins`
# Needs root (it makes the user keel-bench for the run and removes it at exit), hyperfine
# (scripts/setup.sh --bench), bwrap and busybox-static (scripts/setup.sh), python3.
#
# Rows, each started as keel-bench with setpriv:
#   keel, persist=false  / overlay of the rootfs, upper on a 64m tmpfs (Sandbox.jl's default)
#   keel, persist=true   / overlay of the rootfs, upper and work directories on disk
#   keel, ro root        / is the rootfs itself, read-only: what bwrap 0.8 can express
#   bwrap, ro root       bwrap --ro-bind rootfs / (0.8 has no --overlay: that needs 0.11)
#   setpriv true         the floor: setpriv starting /bin/true, no sandbox
set -euo pipefail

PROG=bench-sandbox-jl.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"

say() { echo "$PROG: $*" >&2; }
die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

runs=100 rounds=5 keel="" build=1
while [[ $# -gt 0 ]]; do
    case $1 in
    --runs) [[ $# -ge 2 ]] || die "--runs needs a number"; runs=$2; shift 2 ;;
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $runs =~ ^[0-9]+$ && $runs -ge 20 ]] || die "--runs wants a number >= 20"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"
[[ $(id -u) == 0 ]] || die "needs root (it makes a user for the run)"
for t in hyperfine bwrap setpriv useradd userdel python3; do
    command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh installs bwrap, scripts/setup.sh --bench hyperfine)"
done
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || die "/bin/busybox is not busybox-static (scripts/setup.sh)"
if [[ $build -eq 1 ]]; then
    (cd "$ROOT" && cargo build --release --bins) || die "cargo build --release --bins failed"
fi
[[ -n $keel ]] || keel=$TARGET/release/keel
keel_gen=$(dirname "$keel")/keel-gen
[[ -x $keel && -x $keel_gen ]] || die "no keel and keel-gen at $(dirname "$keel")"

user=keel-bench
work=$(mktemp -d /tmp/keel-bench-sandbox-jl.XXXXXX)
raw=$ROOT/target/bench/sandbox-jl-raw
cleanup() {
    rm -rf "$work"
    if id "$user" >/dev/null 2>&1; then userdel "$user" || say "userdel $user failed"; fi
}
trap cleanup EXIT
chmod 755 "$work"
if id "$user" >/dev/null 2>&1; then userdel "$user"; fi
useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user") gid=$(id -g "$user")

# The rootfs, the host directories and a keel the user can reach.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,dev,tmp,data/ro,data/rw} "$work"/{ro,rw,upper,work}
cp /bin/busybox "$rootfs/bin/"
for a in sh true id touch; do ln -s busybox "$rootfs/bin/$a"; done
cp "$keel" "$work/keel"
chown -R "$uid:$gid" "$rootfs" "$work"/{rw,upper,work}

# keel's configs: the same as sandbox_jl.rs's; `$1` is the root's part.
config() { # name, root part
    {
        cat <<EOF
[process.user]
uid = 1000
gid = 1000
[namespaces]
unshare = ["user", "mount", "pid", "uts"]
uid_mappings = [{ container_id = 1000, host_id = $uid, size = 1 }]
gid_mappings = [{ container_id = 1000, host_id = $gid, size = 1 }]
setgroups = "deny"
hostname = "sandbox"
[mounts]
root = "$rootfs"
$2
[[mount]]
destination = "/proc"
type = "proc"
options = ["nosuid", "nodev", "noexec"]
[[mount]]
destination = "/dev"
type = "tmpfs"
options = ["nosuid", "mode=0755"]
EOF
        for dev in null zero full random urandom tty; do
            printf '[[mount]]\ndestination = "/dev/%s"\ntype = "bind"\nsource = "/dev/%s"\noptions = ["nosuid"]\n' "$dev" "$dev"
        done
        cat <<EOF
[[mount]]
destination = "/tmp"
type = "tmpfs"
options = ["nosuid", "nodev", "size=8m"]
[[mount]]
destination = "/data/ro"
type = "bind"
source = "$work/ro"
options = ["ro", "nosuid", "nodev"]
[[mount]]
destination = "/data/rw"
type = "bind"
source = "$work/rw"
options = ["nosuid", "nodev"]
EOF
    } >"$work/$1.toml"
    "$keel_gen" build "$work/$1.toml" -o "$work/$1.cfg" >/dev/null || die "keel-gen build $1.toml"
    chmod 644 "$work/$1.cfg"
}
overlay='[[mount]]
destination = "/"
type = "overlay"
lower = ["'$rootfs'"]'
config ephemeral "root_readonly = false
$overlay
upper = \"tmpfs\"
size = \"64m\""
config persisted "root_readonly = false
$overlay
upper = \"$work/upper\"
work = \"$work/work\""
config ro-root "root_readonly = true"

as_user="setpriv --reuid=$uid --regid=$gid --clear-groups"
bwrap_cmd="bwrap --unshare-user --unshare-pid --unshare-uts --uid 1000 --gid 1000 --hostname sandbox \
--ro-bind $rootfs / --proc /proc --dev /dev --size 8388608 --tmpfs /tmp \
--ro-bind $work/ro /data/ro --bind $work/rw /data/rw"
names=("setpriv true" "keel, persist=false" "keel, persist=true" "keel, ro root" "bwrap, ro root")
cmds=(
    "$as_user /bin/true"
    "$as_user $work/keel -c $work/ephemeral.cfg -- /bin/true"
    "$as_user $work/keel -c $work/persisted.cfg -- /bin/true"
    "$as_user $work/keel -c $work/ro-root.cfg -- /bin/true"
    "$as_user $bwrap_cmd /bin/true"
)

# Each sandbox once before timing: uid 1000 inside, and / writable only with an overlay.
check='test "$(id -u)" = 1000 && touch /data/rw/ok && ! touch /data/ro/no 2>/dev/null && { touch /root-w 2>/dev/null && echo rw || echo ro; }'
want=(rw rw ro ro)
for i in 1 2 3 4; do
    # shellcheck disable=SC2086 # the commands are word lists
    got=$(${cmds[$i]%/bin/true} /bin/sh -c "$check" 2>&1) || die "${names[$i]}: the check failed: $got"
    [[ $got == "${want[$((i - 1))]}" ]] || die "${names[$i]}: / is '$got', not ${want[$((i - 1))]}"
done

rm -rf "$raw"
mkdir -p "$raw" "$ROOT/docs/bench"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < rounds; r++)); do
    say "hyperfine round $((r + 1))/$rounds: $runs runs x ${#cmds[@]} commands"
    hf=(hyperfine -N --warmup 5 --runs "$runs" --style none --export-json "$raw/round-$r.json")
    for i in "${!cmds[@]}"; do
        hf+=(-n "${names[$i]}" "${cmds[$i]}")
    done
    "${hf[@]}" >"$raw/round-$r.txt" 2>&1 || { cat "$raw/round-$r.txt" >&2; die "hyperfine failed"; }
done
cat >"$raw/env" <<EOF
kernel=$(uname -r)
cpus=$(nproc)
load_before=$load_before
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
bwrap=$(bwrap --version)
hyperfine=$(hyperfine --version)
keel_size=$(stat -c %s "$keel")
runs=$runs
rounds=$rounds
EOF

python3 - "$raw" >"$ROOT/docs/bench/sandbox-jl.md" <<'EOF'
import glob, json, os, statistics, sys

raw = sys.argv[1]
env = dict(l.rstrip("\n").split("=", 1) for l in open(os.path.join(raw, "env")) if "=" in l)
rounds = {}
order = []
for f in sorted(glob.glob(os.path.join(raw, "round-*.json"))):
    for r in json.load(open(f))["results"]:
        if r["command"] not in rounds:
            order.append(r["command"])
        rounds.setdefault(r["command"], []).append(statistics.median(r["times"]) * 1000)
med = {n: statistics.median(m) for n, m in rounds.items()}
floor = med["setpriv true"]
bwrap = med["bwrap, ro root"]
print(f"# Sandbox.jl's rootless sandbox: keel and bubblewrap (`true` inside, as an unprivileged user)\n")
print(f"Linux {env['kernel']}, {env['cpus']} CPUs; {env['bwrap']}; keel {int(env['keel_size']):,} bytes; "
      f"{env['hyperfine']} -N, {env['rounds']} rounds of {env['runs']} runs; load {env['load_before']} "
      f"before, {env['load_after']} after (a shared machine). Median of the rounds' medians, the range of "
      "those medians, and the sandbox's own cost (minus setpriv starting /bin/true). "
      "Written by scripts/bench-sandbox-jl.sh.\n")
print("| variant | median ms | rounds' range ms | minus the floor ms | vs bwrap |")
print("|---|---:|---:|---:|---:|")
for n in order:
    lo, hi = min(rounds[n]), max(rounds[n])
    print(f"| {n} | {med[n]:.2f} | {lo:.2f}-{hi:.2f} | {med[n] - floor:.2f} | {med[n] / bwrap:.2f}x |")
print("\nbwrap 0.8 cannot overlay the root (`--overlay`, `--tmp-overlay` are 0.11): its row is the "
      "read-only root, to be read beside keel's `ro root` row; the two overlay rows are what "
      "Sandbox.jl asks for.")
EOF
cat "$ROOT/docs/bench/sandbox-jl.md"
say "wrote docs/bench/sandbox-jl.md (raw hyperfine data in ${raw#"$ROOT"/})"
