#!/usr/bin/env bash
# scripts/demo.sh: the README's demo. Builds keel and keel-gen, boots keel as PID 1 of a
# small QEMU VM (scripts/vm.sh, TCG, ~3 s) running a workload that shows what keel set up
# (process tree, mounts, cgroups), and prints the interesting console lines.
#
# Usage: scripts/demo.sh [--kernel 6.1|6.12] [--no-build] [--full]
#   --kernel K   guest kernel (default 6.1)
#   --no-build   use the existing target/release/keel
#   --full       print the whole console log, kernel messages included
# Exit status: 0 when keel reported the demo workload's status (42) and powered off.
set -euo pipefail

PROG=demo.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
DEMO_STATUS=42

die() {
    echo "$PROG: error: $*" >&2
    exit 1
}

kernel=6.1 build=1 full=0
while [[ $# -gt 0 ]]; do
    case $1 in
    --kernel) [[ $# -ge 2 ]] || die "--kernel needs a value"; kernel=$2; shift 2 ;;
    --kernel=*) kernel=${1#*=}; shift ;;
    --no-build) build=0; shift ;;
    --full) full=1; shift ;;
    -h | --help) sed -n '6,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done

if [[ $build -eq 1 ]]; then
    echo "== cargo build --release --bin keel --bin keel-gen"
    (cd "$ROOT" && cargo build --release --bin keel --bin keel-gen) || die "cargo build failed"
fi
[[ -x $TARGET/release/keel ]] || die "no $TARGET/release/keel (drop --no-build)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -a adds=() keel_opts=()

# ---------------------------------------------------------------------------------------
# keel-gen config: PLACEHOLDER until examples/demo.toml exists (its format belongs to the
# config work, not to this script). When it lands, the demo compiles it on the host and
# hands the binary config to keel with -c:
if [[ -f $ROOT/examples/demo.toml ]]; then
    echo "== keel-gen build examples/demo.toml"
    "$TARGET/release/keel-gen" build "$ROOT/examples/demo.toml" -o "$work/demo.cfg" ||
        die "keel-gen build examples/demo.toml failed"
    adds+=(--add "$work/demo.cfg:/etc/keel/demo.cfg")
    keel_opts+=(-c /etc/keel/demo.cfg)
fi
# ---------------------------------------------------------------------------------------

cat >"$work/demo" <<'EOF'
#!/bin/sh
# The demo workload: runs under keel (PID 1) and reports what it sees.
say() { echo "demo: $*"; }
say "kernel $(uname -r), I am pid $$, my parent is pid $PPID ($(cat /proc/"$PPID"/comm))"
say "pid 1 is: $(tr '\0' ' ' </proc/1/cmdline)"
say "processes (kernel threads left out):"
ps -o pid,ppid,user,args | grep -v ' \[[^]]*\]$' | sed 's/^/demo:   /'
say "hostname: $(hostname)"
say "mounts keel made (machine mode, then the config's):"
grep -E ' (/proc|/sys|/dev|/run|/sys/fs/cgroup|/mnt/etc|/tmp) ' /proc/mounts | awk '{ printf "demo:   %-15s %-9s %s\n", $2, $3, $4 }'
if [ -d /mnt/etc ]; then
    (echo x >/mnt/etc/demo) 2>/dev/null && say "WROTE the sealed overlay" || say "/mnt/etc is a sealed overlay: writing gives EROFS"
    mount -o remount,rw /mnt/etc 2>/dev/null; (echo x >/mnt/etc/demo) 2>/dev/null || say "... and still after mount -o remount,rw"
fi
(echo x >>/proc/1/exe) 2>/dev/null || say "/proc/1/exe (keel) cannot be written: keel runs from a sealed copy"
cg=/sys/fs/cgroup
if ! grep -q " $cg cgroup2 " /proc/mounts; then
    say "(keel left cgroup2 unmounted without a config; the demo mounts it to look)"
    mount -t cgroup2 cgroup2 "$cg"
fi
say "cgroup v2 controllers: $(cat $cg/cgroup.controllers)"
say "my cgroup: $(cat /proc/self/cgroup)"
sh -c 'trap "" TERM; while :; do sleep 1; done' &
say "left a background process (pid $!) that ignores SIGTERM: keel drains it (TERM, grace, KILL)"
say "exiting with status 42"
exit 42
EOF
chmod 0755 "$work/demo"
adds+=(--add "$work/demo:/demo")

echo "== booting keel as PID 1 (kernel $kernel, QEMU TCG)"
rc=0
"$SCRIPT_DIR/vm.sh" run --kernel "$kernel" "${adds[@]}" --log "$work/console.log" --result "$work/result" \
    -- "${keel_opts[@]}" --grace 1s -- /demo 2>"$work/vm.err" || rc=$?
[[ -s $work/result ]] || { cat "$work/vm.err" >&2; die "scripts/vm.sh run failed"; }

echo "== console"
if [[ $full -eq 1 ]]; then
    tr -d '\r' <"$work/console.log"
else
    # keel's lines, the workload's lines and the power-off; no boot chatter.
    tr -d '\r' <"$work/console.log" | grep -E '^(keel|demo):|reboot: Power down|Kernel panic' |
        sed -E 's/^\[ *[0-9.]+\] //'
fi
echo "== result"
sed -n 's/^detail=/  /p; s/^seconds=\(.*\)/  boot to power-off: \1 s/p' "$work/result"
[[ $rc -eq $DEMO_STATUS ]] || die "expected status $DEMO_STATUS from keel, vm.sh returned $rc"
echo "  keel reported the workload's status $DEMO_STATUS and powered the VM off."
