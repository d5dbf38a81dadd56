#!/usr/bin/env bash
# scripts/bench-services.sh: keel's [[service]] supervision beside s6 (s6-svscan and one
# s6-supervise per service, Debian's s6) and supervisord (Debian's supervisor), each running
# the same 5 services, side by side in one run. A report, not a test: no number here passes
# or fails anything. Writes docs/bench/services.md and prints it; raw data in
# target/bench/services/.
#
# Usage: scripts/bench-services.sh [--rounds R] [--keel PATH] [--no-build] [--sides LIST]
#   --rounds R    rounds (default 10); each starts every side once, one after the other, in
#                 an order rotated from round to round, so a slow spell hits all alike
#   --keel PATH   the keel to measure (default target/release/keel, built first)
#   --sides LIST  comma-separated, of keel,s6,supervisord (default all three)
# Needs root (the installs of scripts/setup.sh --bench; supervisord runs as user=root) and
# busybox-static.
#
# A service is a busybox sh script that writes a newline to fd 3 when its supervisor gave it
# one (keel's ready = "fd:3", s6's notification-fd 3), then execs `sleep 3600`. "Ready" is
# when an observer outside the supervisor learns that all 5 are ready, from the supervisor:
#   keel        a 6th service, after = the 5, writes a line to a fifo the script reads
#   s6          s6-svwait -U -a on the 5 (started once their supervise/status files exist)
#   supervisord all 5 in state RUNNING (startsecs = 0: RUNNING means spawned; supervisord has
#               no readiness protocol), as an event listener sees PROCESS_STATE_RUNNING
# Memory is that of the supervision processes alone, after all are ready: keel; s6-svscan and
# its 5 s6-supervise; supervisord (not its event listener). Each side is stopped with SIGTERM
# and must exit 0 and leave no service behind.
set -euo pipefail

PROG=bench-services.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
STATE=$ROOT/target/bench/services
OUT=$ROOT/docs/bench/services.md
N=5
say() { echo "$PROG: $*" >&2; }
die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

rounds=10 keel=$TARGET/release/keel build=1 sides=keel,s6,supervisord
while [[ $# -gt 0 ]]; do
    case $1 in
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --keel) [[ $# -ge 2 ]] || die "--keel needs a path"; keel=$(realpath "$2"); build=0; shift 2 ;;
    --no-build) build=0; shift ;;
    --sides) [[ $# -ge 2 ]] || die "--sides needs a list"; sides=$2; shift 2 ;;
    -h | --help) sed -n '8,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"
IFS=, read -ra SIDES <<<"$sides"
for side in "${SIDES[@]}"; do
    [[ $side == keel || $side == s6 || $side == supervisord ]] || die "--sides: no side '$side'"
done
((${#SIDES[@]})) || die "--sides is empty"

"$ROOT/scripts/setup.sh" --bench >&2 || die "scripts/setup.sh --bench failed (run it as root)"
for tool in s6-svscan s6-supervise s6-svwait supervisord python3 strace; do
    command -v "$tool" >/dev/null || die "$tool is missing after scripts/setup.sh --bench"
done
BUSYBOX=/bin/busybox
file -L "$BUSYBOX" | grep -q "statically linked" || die "$BUSYBOX is not busybox-static"
if ((build)); then
    (cd "$ROOT" && cargo build --release -q -p keel -p keel-gen) || die "cargo build failed"
fi
KEEL_GEN=$TARGET/release/keel-gen
[[ -x $keel ]] || die "no keel at $keel"
[[ -x $KEEL_GEN ]] || die "no keel-gen at $KEEL_GEN"

rm -rf "$STATE"
mkdir -p "$STATE"
FIFO=$STATE/ready.fifo
mkfifo "$FIFO"
# Held open both ways, so neither a writer nor this script's read ever blocks on an open.
exec {fifo_fd}<>"$FIFO"
# A sleep that forks nothing: a read that times out on a fifo nobody writes.
mkfifo "$STATE/nap.fifo"
exec {nap_fd}<>"$STATE/nap.fifo"
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }

cat >"$STATE/svc" <<EOF
#!$BUSYBOX sh
# A service: says it is ready on fd 3 when its supervisor gave it one, then sleeps.
if [ -e /proc/\$\$/fd/3 ]; then echo >&3; fi
exec $BUSYBOX sleep 3600
EOF
chmod +x "$STATE/svc"

# --- the three configurations ----------------------------------------------------------------
{
    names=""
    for ((i = 1; i <= N; i++)); do
        printf '[[service]]\nname = "s%d"\nargs = ["%s"]\nready = "fd:3"\n\n' "$i" "$STATE/svc"
        names+="${names:+, }\"s$i\""
    done
    printf '[[service]]\nname = "probe"\nargs = ["%s", "sh", "-c", "echo all-ready >%s"]\n' "$BUSYBOX" "$FIFO"
    printf 'after = [%s]\n' "$names"
} >"$STATE/keel.toml"
if [[ ,$sides, == *,keel,* ]]; then
    "$KEEL_GEN" build -o "$STATE/keel.cfg" "$STATE/keel.toml" >/dev/null ||
        die "keel-gen build $STATE/keel.toml failed (a keel-gen without [[service]]?)"
fi

SCAN=$STATE/s6
for ((i = 1; i <= N; i++)); do
    mkdir -p "$SCAN/s$i"
    cp "$STATE/svc" "$SCAN/s$i/run"
    echo 3 >"$SCAN/s$i/notification-fd"
done

cat >"$STATE/listener" <<'EOF'
#!/bin/bash
# supervisord's event listener: once s1..s5 have all entered RUNNING, one line to $1.
declare -A running=()
while :; do
    echo READY
    read -r header || exit 0
    read -r -N "${header##*len:}" payload
    name=${payload#processname:}
    running[${name%% *}]=1
    printf 'RESULT 2\nOK'
    if ((${#running[@]} == 5)); then echo all-running >"$1"; running=(); fi
done
EOF
chmod +x "$STATE/listener"
{
    cat <<EOF
[unix_http_server]
file=$STATE/supervisor.sock
[supervisord]
nodaemon=true
user=root
logfile=$STATE/supervisord.log
pidfile=$STATE/supervisord.pid
childlogdir=$STATE
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[eventlistener:probe]
command=$STATE/listener $FIFO
events=PROCESS_STATE_RUNNING
startsecs=0
stopsignal=KILL
EOF
    for ((i = 1; i <= N; i++)); do
        printf '[program:s%d]\ncommand=%s\nstartsecs=0\nautorestart=unexpected\n' "$i" "$STATE/svc"
        printf 'stdout_logfile=NONE\nstderr_logfile=NONE\n'
    done
} >"$STATE/supervisord.conf"

# --- one start of a side ---------------------------------------------------------------------
# start_SIDE: starts it in the background, sets PID (the supervisor) and waits until all 5
# are ready; MEMBERS is then the supervision processes' pids.
PID=""
start_keel() {
    "$keel" -c "$STATE/keel.cfg" </dev/null >>"$STATE/keel.log" 2>&1 &
    PID=$!
    read -r -t 10 -u "$fifo_fd" _ || die "keel: not all ready within 10 s (log: $STATE/keel.log)"
    MEMBERS=$PID
}
start_s6() {
    s6-svscan "$SCAN" </dev/null >>"$STATE/s6.log" 2>&1 &
    PID=$!
    local i tries=0
    for ((i = 1; i <= N; i++)); do
        until [[ -e $SCAN/s$i/supervise/status ]]; do
            ((++tries < 10000)) || die "s6: no $SCAN/s$i/supervise/status after 10 s"
            nap 0.001
        done
    done
    s6-svwait -U -a -t 10000 "$SCAN"/s* || die "s6-svwait: not all ready within 10 s"
    MEMBERS="$PID $(pgrep -P "$PID" -x s6-supervise | tr '\n' ' ')"
    [[ $(wc -w <<<"$MEMBERS") == $((N + 1)) ]] || die "s6: expected s6-svscan and $N s6-supervise, got pids $MEMBERS"
}
start_supervisord() {
    supervisord -c "$STATE/supervisord.conf" </dev/null >/dev/null 2>&1 &
    PID=$!
    read -r -t 10 -u "$fifo_fd" _ || die "supervisord: not all RUNNING within 10 s (log: $STATE/supervisord.log)"
    MEMBERS=$PID
}

# descendants PID: its children, theirs, and so on (s6's services are the s6-supervises').
descendants() {
    local c
    for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}

# stop_side SIDE: SIGTERM to the supervisor, which must exit 0 and take every service with it.
stop_side() {
    local children rc=0
    children=$(descendants "$PID")
    kill -TERM "$PID"
    wait "$PID" || rc=$?
    ((rc == 0)) || die "$1 exited $rc on SIGTERM"
    for c in $children; do
        ! kill -0 "$c" 2>/dev/null || die "$1 left pid $c ($(cat "/proc/$c/comm")) behind"
    done
    PID=""
    # s6's state from this start, so that the next one starts as fresh as this one.
    rm -rf "$SCAN"/s*/supervise "$SCAN"/s*/event "$SCAN/.s6-svscan"
}
trap '[[ -z $PID ]] || kill -KILL "$PID" 2>/dev/null || true' EXIT

# rss_pss PIDS: "RSS PSS" in kB, summed over the pids.
rss_pss() {
    local p rss=0 pss=0 k v _
    for p in "$@"; do
        while read -r k v _; do
            case $k in
            Rss:) rss=$((rss + v)) ;;
            Pss:) pss=$((pss + v)) ;;
            esac
        done <"/proc/$p/smaps_rollup"
    done
    echo "$rss $pss"
}

# --- the rounds --------------------------------------------------------------------------------
raw=$STATE/raw.tsv
: >"$raw"
load=""
ran=0
n=${#SIDES[@]}
for ((round = 0; round < rounds; round++)); do
    load+="$(cut -d' ' -f1 /proc/loadavg) "
    for ((k = 0; k < n; k++)); do
        side=${SIDES[(k + round) % n]}
        t0=$EPOCHREALTIME
        "start_$side"
        t1=$EPOCHREALTIME
        nap 0.2
        read -ra members <<<"$MEMBERS"
        mem=$(rss_pss "${members[@]}")
        stop_side "$side"
        echo "$side $(((${t1/./} - ${t0/./}))) $mem ${#members[@]}" >>"$raw"
        ran=$((ran + 1))
    done
done
load+="$(cut -d' ' -f1 /proc/loadavg)"
((ran == rounds * n)) || die "ran $ran of $((rounds * n)) starts"
say "$ran starts in $rounds rounds"

# --- sizes -----------------------------------------------------------------------------------------
# installed PACKAGE…: the sum of dpkg's Installed-Size (KiB) of the packages.
installed() {
    dpkg-query -W -f='${Installed-Size}\n' "$@" | awk '{ s += $1 } END { print s }'
}
bytes() { stat -L -c %s "$@" | awk '{ s += $1 } END { print s }'; }
sizes=$STATE/sizes.tsv
{
    printf 'keel\t%s\t%s\t%s\n' "$(bytes "$keel")" "-" "the static keel binary, nothing else"
    skarnet=$(readlink -f /lib/x86_64-linux-gnu/libskarnet.so.2.13)
    printf 's6\t%s\t%s\t%s\n' "$(bytes "$(command -v s6-svscan)" "$(command -v s6-supervise)" "$skarnet")" \
        "$(installed s6 libs6-2.11 libskarnet2.13 libexecline2.9)" \
        "s6-svscan + s6-supervise + libskarnet.so (plus glibc, not counted); packages s6, libs6-2.11, libskarnet2.13, libexecline2.9"
    if [[ ,$sides, == *,supervisord,* ]]; then
        # What supervisord reads to start: the interpreter, then every file it opens (its
        # modules, the stdlib's, extension .so files), less this run's own files and glibc.
        strace -e trace=execve,openat -o "$STATE/supervisord.strace" \
            supervisord -c "$STATE/supervisord.conf" </dev/null >/dev/null 2>&1 &
        PID=$!
        read -r -t 20 -u "$fifo_fd" _ || die "supervisord under strace: not all RUNNING within 20 s"
        pkill -TERM -P "$PID" # supervisord, strace's child
        wait "$PID" || die "supervisord under strace did not stop cleanly"
        PID=""
        mapfile -t opened < <(sed -n 's/^\(execve\|openat\)(\(AT_FDCWD, \)\{0,1\}"\([^"]*\)".*= [0-9][0-9]*$/\3/p' \
            "$STATE/supervisord.strace" | grep -v "^$STATE\|^/proc\|^/dev\|^/etc\|/libc\.so\|/ld-linux" |
            while read -r f; do [[ -f $f ]] && readlink -f "$f"; done | sort -u)
        printf 'supervisord\t%s\t%s\t%s\n' "$(bytes "${opened[@]}")" \
            "$(installed supervisor python3-pkg-resources python3 python3-minimal python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libpython3-stdlib)" \
            "the ${#opened[@]} files supervisord executes or opens to start: python3.11, its modules and supervisor's (glibc not counted); packages supervisor, python3-pkg-resources, python3(.11)(-minimal), libpython3(.11)-stdlib, libpython3.11-minimal"
        printf '%s\n' "${opened[@]}" >"$STATE/supervisord.files"
    fi
} >"$sizes"

# --- the report --------------------------------------------------------------------------------
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
python3 - "$raw" "$sizes" "$rounds" "$load" "$rev" "$(uname -srm), $(nproc) CPUs" "$STATE/supervisord.log" >"$OUT" <<'EOF'
import datetime, os, statistics, sys
raw, sizes, rounds, load, rev, host, svlog = sys.argv[1:8]
runs = {}
for line in open(raw):
    side, us, rss, pss, procs = line.split()
    runs.setdefault(side, []).append((int(us) / 1000, int(rss), int(pss), int(procs)))
size = {}
for line in open(sizes):
    side, files, installed, what = line.rstrip("\n").split("\t")
    size[side] = (int(files), installed, what)
what = {"keel": "keel (1 process)", "s6": "s6 (s6-svscan + 5 s6-supervise)",
        "supervisord": "supervisord (1 python3 process)"}
print(f"# 5 services under keel, s6 and supervisord ({rounds} rounds, keel at {rev})\n")
print(f"{host}; 1-minute load average at each round's start and at the end: {load}.\n")
print("| supervisor | start to all 5 ready, median ms | range ms | RSS kB (sum) | PSS kB (sum) | files it needs, bytes | Debian packages, KiB installed |")
print("|---|---:|---:|---:|---:|---:|---:|")
for side, r in runs.items():
    ms = [x[0] for x in r]
    rss = statistics.median(x[1] for x in r)
    pss = statistics.median(x[2] for x in r)
    files, installed, _ = size[side]
    print(f"| {what[side]} | {statistics.median(ms):.1f} | {min(ms):.1f}-{max(ms):.1f} | {rss:.0f} | {pss:.0f} | {files:,} | {installed} |")
print()
print("What is counted:\n")
for side in runs:
    print(f"- {side}: {size[side][2]}.")
print("""
"Ready" is when an observer outside the supervisor learns it from the supervisor: for keel a
6th service with `after` = the 5 (its own spawn included), for s6 `s6-svwait -U -a`, both on
the services' fd-3 readiness line; supervisord has no readiness protocol, so for it this is
all 5 in state RUNNING with `startsecs = 0` (spawned, nothing more), as its event listener
sees it. Memory (median over the rounds) is of the supervision processes only, 0.2 s after
all were ready: RSS counts shared pages (glibc, libskarnet) once per process, PSS shares them
out. Written by scripts/bench-services.sh.""")
# supervisord's own log: how long after "supervisord started" it spawns its first program.
if os.path.exists(svlog):
    gaps, started = [], None
    for line in open(svlog):
        stamp = line[:23]
        if "supervisord started with pid" in line:
            started = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
        elif " spawned: " in line and started is not None:
            gaps.append((datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") - started).total_seconds() * 1000)
            started = None
    if gaps:
        print(f"\nMost of supervisord's time is before its first spawn: its log has \"supervisord started\" and")
        print(f"the first \"spawned\" a median {statistics.median(gaps):.0f} ms apart ({len(gaps)} starts); it spawns at its main loop's first pass.")
EOF
cat "$OUT"
