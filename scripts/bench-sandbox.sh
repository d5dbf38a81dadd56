#!/usr/bin/env bash
# scripts/bench-sandbox.sh: keel's sandbox set-up (namespaces, mounts, pivot_root, sealing)
# against bubblewrap and a shell script of unshare(1) + mount(8) doing the same, side by side
# in one run, and the cost of sealing keel's own binary. A report, not a test: no number here
# passes or fails anything. Writes target/bench/sandbox.md and prints it.
#
# Usage: sudo scripts/bench-sandbox.sh [--runs N] [--rounds R] [--keel PATH] [--no-build]
#   --runs N     hyperfine runs of every command per round (default 100, at least 100)
#   --rounds R   hyperfine invocations, each with every command (default 5): the table pools
#                the rounds, so that a slow spell of the machine hits every row alike
#   --keel PATH  keel binary to measure (default target/release/keel, built first)
#   --no-build   skip `cargo build --release --bins`
# Needs root, hyperfine and bwrap (scripts/setup.sh --bench), util-linux, python3.
#
# Rows ("full set-up": new mount, pid, uts, ipc, net, cgroup and user namespaces with root
# mapped to root; /usr /bin /lib /lib64 bound read-only; proc, sysfs, a tmpfs /dev and /tmp;
# pivot_root into an empty directory; then /bin/true):
#   keel              keel -c full.cfg -- /bin/true (sealed: keel is PID 1 of the namespace)
#   keel --no-seal    the same without re-executing keel from a sealed copy
#   keel + overlays   the same plus three overlays: sealed, ephemeral (tmpfs upper), persisted
#   bwrap             bwrap --unshare-all --ro-bind ... --proc --dev --tmpfs /bin/true
#   unshare+mount     unshare(1) into the namespaces, a sh script of mount(8), pivot_root(8)
# and ("seal": keel as PID 1 of a new pid namespace, nothing else, running /bin/true):
#   --no-seal / --seal (overlay)   keel from its build directory: the sealed overlay path
#   --no-seal / --seal (memfd)     keel from a directory on an overlay stacked two deep, where
#                                  the sealing overlay would be a third level (EINVAL): keel
#                                  falls back to a sealed memfd copy of itself
# The whole run happens in a private mount namespace of its own (for the stacked overlays).
set -euo pipefail

PROG=bench-sandbox.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"

say() { echo "$PROG: $*" >&2; }
die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

runs=100 rounds=5 keel="" build=1 inner=0
args=("$@")
while [[ $# -gt 0 ]]; do
    case $1 in
    --runs) [[ $# -ge 2 ]] || die "--runs needs a number"; runs=$2; shift 2 ;;
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    --inner) inner=1; shift ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $runs =~ ^[0-9]+$ && $runs -ge 100 ]] || die "--runs wants a number >= 100"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"

if [[ $inner -eq 0 ]]; then
    [[ $(id -u) == 0 ]] || die "needs root (mounts, namespaces)"
    for t in hyperfine bwrap unshare mount pivot_root python3; do
        command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh --bench installs hyperfine and bubblewrap)"
    done
    if [[ $build -eq 1 ]]; then
        (cd "$ROOT" && cargo build --release --bins) || die "cargo build --release --bins failed"
    fi
    # Everything below runs in a private mount namespace: the stacked overlays for the memfd
    # rows never reach the host's mount table, and vanish with the run.
    exec unshare --mount --propagation private "$BASH" "${BASH_SOURCE[0]}" --inner --no-build "${args[@]}"
fi

[[ -n $keel ]] || keel=$TARGET/release/keel
keel_gen=$(dirname "$keel")/keel-gen
[[ -x $keel ]] || die "no keel at $keel"
[[ -x $keel_gen ]] || die "no keel-gen next to $keel"

out_dir=$ROOT/target/bench
work=$out_dir/sandbox-work
raw=$out_dir/sandbox-raw
rm -rf "$work" "$raw"
mkdir -p "$work" "$raw"
stack=$work/stack
cleanup() {
    umount "$stack/m2" 2>/dev/null || true
    umount "$stack/m1" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# ---- the prepared root, layers and configs
newroot=$work/root
mkdir -p "$newroot"/{usr,bin,lib,lib64,proc,sys,dev,tmp,srv/sealed,srv/ephemeral,srv/persisted}
mkdir -p "$work"/layers/base "$work"/layers/top "$work"/changes/{upper,work}
echo base >"$work/layers/base/f"
echo top >"$work/layers/top/g"

full_toml="[namespaces]
unshare = [\"mount\", \"pid\", \"uts\", \"ipc\", \"net\", \"cgroup\", \"user\"]
[mounts]
root = \"$newroot\"
"
for d in usr bin lib lib64; do
    full_toml+="[[mount]]
destination = \"/$d\"
type = \"bind\"
source = \"/$d\"
options = [\"ro\"]
"
done
full_toml+='[[mount]]
destination = "/proc"
type = "proc"
[[mount]]
destination = "/sys"
type = "sysfs"
options = ["ro"]
[[mount]]
destination = "/dev"
type = "tmpfs"
options = ["mode=0755", "size=1m"]
[[mount]]
destination = "/tmp"
type = "tmpfs"
options = ["mode=1777"]
'
overlay_toml="${full_toml}[[mount]]
destination = \"/srv/sealed\"
type = \"overlay\"
lower = [\"$work/layers/top\", \"$work/layers/base\"]
[[mount]]
destination = \"/srv/ephemeral\"
type = \"overlay\"
lower = [\"$work/layers/top\", \"$work/layers/base\"]
upper = \"tmpfs\"
size = \"1m\"
[[mount]]
destination = \"/srv/persisted\"
type = \"overlay\"
lower = [\"$work/layers/top\", \"$work/layers/base\"]
upper = \"$work/changes/upper\"
work = \"$work/changes/work\"
"
pid_toml='[namespaces]
unshare = ["pid"]
'
# Only to check which copy keel runs from: the same, with a /proc of the namespace.
pidproc_toml='[namespaces]
unshare = ["pid", "mount"]
[[mount]]
destination = "/proc"
type = "proc"
'
printf '%s' "$full_toml" >"$work/full.toml"
printf '%s' "$overlay_toml" >"$work/overlay.toml"
printf '%s' "$pid_toml" >"$work/pid.toml"
printf '%s' "$pidproc_toml" >"$work/pidproc.toml"
for c in full overlay pid pidproc; do
    "$keel_gen" build "$work/$c.toml" -o "$work/$c.cfg" || die "keel-gen build $c.toml failed"
done

# The unshare(1) + mount(8) script: the same view as full.cfg, then exec "$@".
cat >"$work/unshare-mount.sh" <<'EOF'
#!/bin/sh
set -e
r=$1
shift
mount --bind "$r" "$r"
for d in usr bin lib lib64; do mount --bind -o ro "/$d" "$r/$d"; done
mount -t proc proc "$r/proc"
mount -t sysfs -o ro sysfs "$r/sys"
mount -t tmpfs -o mode=0755,size=1m tmpfs "$r/dev"
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
ip link set lo up
cd "$r"
pivot_root . .
umount -l .
exec "$@"
EOF
chmod +x "$work/unshare-mount.sh"
command -v ip >/dev/null || sed -i '/ip link set lo up/d' "$work/unshare-mount.sh"

# keel two overlay levels deep: the sealing overlay would be a third (the kernel's
# FILESYSTEM_MAX_STACK_DEPTH is 2), so keel falls back to a sealed memfd.
mkdir -p "$stack"/{lower,u1,w1,u2,w2,m1,m2}
cp "$keel" "$stack/lower/keel"
mount -t overlay overlay -o "lowerdir=$stack/lower,upperdir=$stack/u1,workdir=$stack/w1" "$stack/m1"
mount -t overlay overlay -o "lowerdir=$stack/m1,upperdir=$stack/u2,workdir=$stack/w2" "$stack/m2"
stacked_keel=$stack/m2/keel

bwrap_cmd="bwrap --unshare-all --ro-bind /usr /usr --ro-bind /bin /bin --ro-bind /lib /lib --ro-bind /lib64 /lib64 --proc /proc --ro-bind /sys /sys --dev /dev --tmpfs /tmp"
unshare_cmd="unshare --user --map-root-user --mount --propagation private --pid --fork --uts --ipc --net --cgroup $work/unshare-mount.sh $newroot"

# ---- each sandbox once, checked from inside, before anything is timed
# shellcheck disable=SC2016 # expanded inside the sandbox
check='set -e
test "$(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")" = "0 0 1"
test "$(ls /proc | grep -c "^[0-9]")" -lt 10
test -x /usr/bin/true && test -d /sys/class && test -d /dev
! touch /usr/.keel-bench 2>/dev/null
touch /tmp/.keel-bench
test "$(readlink /proc/1/root)" = /
echo ok'
expect_ok() { # name, output
    [[ $2 == ok ]] || die "$1: the sandbox check failed: $2"
}
expect_ok keel "$("$keel" -c "$work/full.cfg" -- /bin/sh -c "$check" 2>&1)"
expect_ok "keel + overlays" "$("$keel" -c "$work/overlay.cfg" -- /bin/sh -c "$check
test \"\$(cat /srv/sealed/f /srv/ephemeral/g)\" = 'base
top'
! touch /srv/sealed/x 2>/dev/null
touch /srv/ephemeral/x /srv/persisted/x" 2>&1)"
# shellcheck disable=SC2086 # the commands are word lists
expect_ok bwrap "$($bwrap_cmd /bin/sh -c "$check" 2>&1)"
# shellcheck disable=SC2086
expect_ok unshare+mount "$($unshare_cmd /bin/sh -c "$check" 2>&1)"
exe_of() { "$@" -c "$work/pidproc.cfg" -- readlink /proc/1/exe 2>&1; }
[[ $(exe_of "$keel" --seal) == /keel ]] || die "keel --seal does not run from its sealed overlay: $(exe_of "$keel" --seal)"
[[ $(exe_of "$keel" --no-seal) == "$keel" ]] || die "keel --no-seal does not run from its file: $(exe_of "$keel" --no-seal)"
[[ $(exe_of "$stacked_keel" --seal) == "/memfd:keel (deleted)" ]] ||
    die "keel --seal from a stacked overlay does not fall back to a memfd: $(exe_of "$stacked_keel" --seal)"
fallback=$("$stacked_keel" -v -c "$work/pid.cfg" --seal -- /bin/true 2>&1 | grep -o 'seal: .*' || true)
# Where the memfd path's time goes: keel's overlay attempts that fail before it falls back.
failed_creates=""
if command -v strace >/dev/null; then
    failed_creates=$(strace -f -T -e trace=fsconfig "$stacked_keel" -c "$work/pid.cfg" --seal -- /bin/true 2>&1 |
        awk -F'<' '/FSCONFIG_CMD_CREATE.*= -1/ { n++; sub(/>.*/, "", $NF); t += $NF } END { printf "%d failed FSCONFIG_CMD_CREATE, %.1f ms in them (under strace)", n, t * 1000 }')
fi

# ---- the measurement
names=(
    "/bin/true"
    "keel, no namespaces, --no-seal"
    "keel"
    "keel --no-seal"
    "keel + 3 overlays"
    "bwrap"
    "unshare+mount"
    "seal: --no-seal (overlay)"
    "seal: --seal (overlay)"
    "seal: --no-seal (memfd)"
    "seal: --seal (memfd)"
)
cmds=(
    "/bin/true"
    "$keel --no-seal -- /bin/true"
    "$keel -c $work/full.cfg -- /bin/true"
    "$keel --no-seal -c $work/full.cfg -- /bin/true"
    "$keel -c $work/overlay.cfg -- /bin/true"
    "$bwrap_cmd /bin/true"
    "$unshare_cmd /bin/true"
    "$keel -c $work/pid.cfg --no-seal -- /bin/true"
    "$keel -c $work/pid.cfg --seal -- /bin/true"
    "$stacked_keel -c $work/pid.cfg --no-seal -- /bin/true"
    "$stacked_keel -c $work/pid.cfg --seal -- /bin/true"
)
since=$(cut -d' ' -f1 /proc/uptime)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$SECONDS
for ((r = 0; r < rounds; r++)); do
    say "hyperfine round $((r + 1))/$rounds: $runs runs x ${#cmds[@]} commands"
    hf=(hyperfine -N --warmup 10 --runs "$runs" --style none --export-json "$raw/round-$r.json")
    for i in "${!cmds[@]}"; do
        hf+=(-n "${names[$i]}" "${cmds[$i]}")
    done
    "${hf[@]}" >"$raw/round-$r.txt" 2>&1 || { cat "$raw/round-$r.txt" >&2; die "hyperfine failed"; }
done
elapsed=$((SECONDS - start))
# Kernel log lines since the first round (the ring buffer may be full: count by timestamp).
dmesg_lines=$(dmesg 2>/dev/null | awk -v since="$since" -F'[][]' '$2 + 0 >= since { n++ } END { print n + 0 }' || echo "?")
dmesg_wrapped=$(dmesg 2>/dev/null | awk -v since="$since" -F'[][]' 'NR == 1 { print ($2 + 0 >= since) ? 1 : 0 }' || echo 0)
dmesg_depth=$(dmesg 2>/dev/null | awk -v since="$since" -F'[][]' '$2 + 0 >= since && /stacking depth/ { n++ } END { print n + 0 }' || echo "?")
dmesg_xattr=$(dmesg 2>/dev/null | awk -v since="$since" -F'[][]' '$2 + 0 >= since && /overlayfs: .*(xattr|falling back)/ { n++ } END { print n + 0 }' || echo "?")

# ---- the report
{
    echo "kernel=$(uname -r)"
    echo "cpus=$(nproc)"
    echo "load_before=$load_before"
    echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "bwrap=$(bwrap --version)"
    echo "hyperfine=$(hyperfine --version)"
    echo "runs=$runs"
    echo "rounds=$rounds"
    echo "elapsed=$elapsed"
    echo "dmesg_lines=$dmesg_lines"
    echo "dmesg_wrapped=$dmesg_wrapped"
    echo "dmesg_depth=$dmesg_depth"
    echo "dmesg_xattr=$dmesg_xattr"
    echo "fallback=$fallback"
    echo "failed_creates=$failed_creates"
    echo "keel_size=$(stat -c %s "$keel")"
} >"$raw/env"

python3 - "$raw" >"$out_dir/sandbox.md" <<'EOF'
import glob, json, os, statistics, sys

raw = sys.argv[1]
env = dict(l.rstrip("\n").split("=", 1) for l in open(os.path.join(raw, "env")) if "=" in l)
times = {}
order = []
for f in sorted(glob.glob(os.path.join(raw, "round-*.json"))):
    for r in json.load(open(f))["results"]:
        if r["command"] not in times:
            order.append(r["command"])
        times.setdefault(r["command"], []).extend(r["times"])

ms = lambda s: s * 1000
med = {n: statistics.median(t) for n, t in times.items()}

def ratio(a, b):
    return f"{med[a] / med[b]:.2f}x"

def pct(a, b):
    d = med[a] - med[b]
    return f"{100 * d / med[b]:+.1f} % ({1e6 * d:+.0f} µs)"

def pct_min(a, b):
    lo_a, lo_b = min(times[a]), min(times[b])
    return f"{100 * (lo_a - lo_b) / lo_b:+.1f} % ({1e6 * (lo_a - lo_b):+.0f} µs)"

compare = {
    "/bin/true": ("", "exec of /bin/true alone: the floor"),
    "keel, no namespaces, --no-seal": ("", "keel forks, supervises and reaps /bin/true: keel's own floor"),
    "keel": ("vs bwrap", "full set-up; keel is PID 1 of the pid namespace, so it seals itself (overlay)"),
    "keel --no-seal": ("vs bwrap", "full set-up, without the sealed re-exec"),
    "keel + 3 overlays": ("vs bwrap", "full set-up + sealed, ephemeral (1m tmpfs upper) and persisted overlays of two layers"),
    "bwrap": ("vs bwrap", "bwrap --unshare-all, --ro-bind x4, --proc, --ro-bind /sys, --dev, --tmpfs /tmp"),
    "unshare+mount": ("vs bwrap", "unshare(1) + sh + 8 x mount(8) + ip(8) + pivot_root(8) + umount(8)"),
    "seal: --no-seal (overlay)": ("", "keel in a new pid namespace, run from its file"),
    "seal: --seal (overlay)": ("vs --no-seal", "re-exec from a detached read-only overlay of its directory"),
    "seal: --no-seal (memfd)": ("", "the same keel from a directory two overlays deep"),
    "seal: --seal (memfd)": ("vs --no-seal", "overlay refused (stacking depth), re-exec from a sealed memfd copy"),
}

print(f"## keel sandbox set-up vs bubblewrap {env['bwrap'].split()[-1]} and unshare(1) + mount(8)\n")
print(f"Linux {env['kernel']}, {env['cpus']} CPUs, as root; {env['hyperfine']} -N, "
      f"{env['rounds']} rounds x {env['runs']} runs of every command, pooled "
      f"({len(times[order[0]])} runs each); {env['elapsed']} s. Load average {env['load_before']} before, "
      f"{env['load_after']} after: the machine is shared, so σ is large; read the medians, and the "
      "minimums for fixed costs such as sealing.\n")
print("| variant | median ms | mean ± σ ms | min ms | ratio | what it does |")
print("|---|---:|---:|---:|---|---|")
for n in order:
    t = times[n]
    how, what = compare.get(n, ("", ""))
    if how == "vs bwrap":
        r = ratio(n, "bwrap") if n != "bwrap" else "1.00x"
    elif how == "vs --no-seal":
        r = pct(n, n.replace("--seal", "--no-seal"))
    else:
        r = ""
    print(f"| {n} | {ms(med[n]):.2f} | {ms(statistics.mean(t)):.2f} ± {ms(statistics.stdev(t)):.2f} | "
          f"{ms(min(t)):.2f} | {r} | {what} |")

print()
print(f"- Goal keel <= 0.5x bwrap: keel {ratio('keel', 'bwrap')}, keel --no-seal {ratio('keel --no-seal', 'bwrap')} "
      f"({'met' if med['keel'] <= 0.5 * med['bwrap'] else 'NOT met'}).")
for kind in ("overlay", "memfd"):
    a, b = f"seal: --seal ({kind})", f"seal: --no-seal ({kind})"
    ok = med[a] <= 1.05 * med[b]
    print(f"- Goal sealing <= 5 %, {kind} path: {pct(a, b)} by medians, {pct_min(a, b)} by minimums "
          f"({'met' if ok else 'NOT met'}).")
print(f"- Sealing costs keel one more execve (and, on the overlay path, an overlay built and torn down): "
      f"about what the /bin/true row costs ({ms(min(times['/bin/true'])):.2f} ms at least), so next to a "
      f"{ms(med['seal: --no-seal (overlay)']):.2f} ms run in a bare pid namespace it cannot stay within 5 %; "
      "next to a full set-up it is a smaller share.")
print(f"- Sealing inside the full set-up: keel vs keel --no-seal {pct('keel', 'keel --no-seal')}.")
print(f"- The memfd rows are forced: {env['fallback'] or '(keel said nothing)'}"
      + (f"; before falling back keel makes {env['failed_creates']}." if env.get('failed_creates') else ""))
least = "at least " if env.get("dmesg_wrapped") == "1" else ""
wrapped = (" (the kernel's ring buffer wrapped: the run pushed every older line out)"
           if env.get("dmesg_wrapped") == "1" else "")
print(f"- Kernel log: {least}{env['dmesg_lines']} new lines during the run{wrapped}. {least.capitalize()}{env['dmesg_xattr']} are overlayfs warnings "
      "from the 'keel + 3 overlays' row: its overlays with an upper layer are built inside a user namespace "
      "without `userxattr` (\"try mounting with 'userxattr' option\", \"failed to set xattr on upper\", "
      f"\"falling back to redirect_dir=nofollow\"...). {least.capitalize()}{env['dmesg_depth']} are \"maximum fs stacking depth "
      "exceeded\", one per failed overlay attempt of the memfd rows.")
print()
print("What the full set-ups do and do not have in common (bwrap 0.8, Debian 12):")
print()
print("- All three: new mount, pid, uts, ipc, net, cgroup and user namespaces (uid and gid 0 mapped to 0), "
      "loopback up, /usr /bin /lib /lib64 read-only binds, a new proc, a tmpfs /tmp, pivot_root into a new root "
      "and the old root detached, /bin/true as the program.")
print("- /sys: keel and the script mount a new read-only sysfs (it shows the new net namespace: lo only); "
      "bwrap 0.8 cannot mount sysfs and binds the host's /sys read-only (recursively: the host's cgroup mounts, "
      "and the host's network devices).")
print("- /dev: keel and the script mount an empty 1 MiB tmpfs; bwrap's --dev also binds null, zero, full, "
      "random, urandom and tty from the host, mounts a devpts and makes /dev/shm, /dev/fd, /dev/stdin... links.")
print("- The root: keel and the script pivot into a prepared directory on the host (mount points created "
      "there); bwrap into a fresh tmpfs, creating the mount points itself. bwrap's binds are recursive, "
      "nosuid and nodev; keel's are single binds with only the options asked for (here ro).")
print("- bwrap also: NO_NEW_PRIVS, /proc/sys /proc/irq /proc/bus... read-only, a reaper PID 1 (as keel), "
      "setgroups deny. The script has no PID 1 of its own: /bin/true is PID 1 and nothing reaps.")
print("- keel only: overlays with the new mount API (sealed, ephemeral, persisted; bwrap 0.8 has no "
      "--overlay options, those came with 0.11 and use the legacy mount(2)), every mount built detached and "
      "attached complete (no writable instant), masked and read-only paths, a time namespace with offsets, "
      "hostnames, cgroup v2 delegation and limits, supervision (signal forwarding, reaping, draining), and "
      "the sealed re-exec against /proc/1/exe overwrites.")
print("- bwrap only: seccomp filters, capability drops, --bind-data/--file from fds, --symlink, --chmod, "
      "--die-with-parent, --info-fd/--json-status-fd, --dev's device nodes.")
print("- keel's setup in one static binary is what is timed; bwrap is dynamically linked (libselinux, "
      "libcap); the script pays about 14 fork+exec of dynamically linked tools.")
EOF
cat "$out_dir/sandbox.md"
say "wrote ${out_dir#"$ROOT"/}/sandbox.md (raw hyperfine data in ${raw#"$ROOT"/})"
