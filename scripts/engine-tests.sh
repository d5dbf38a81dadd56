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
# Nothing is shared with the machine's own engines: a private dockerd (own socket, data root
# and exec root, --init-path = the keel under test, no bridge, no iptables) stopped at the
# end, and podman with its own storage root; every container runs with --network none.
# Images are built offline, FROM scratch, with busybox-static and keel (no registry is
# reachable here). Facts of this host the flags adapt to (../shared/notes/engines.md): the
# sandbox lacks CAP_SYS_RESOURCE, so no --privileged (the cases use --cap-add); the hard
# RLIMIT_NOFILE is 20000, so podman runs runc (crun fails on this cgroup v1/hybrid host) with
# explicit --ulimit values. Logs: target/engines/.
set -euo pipefail

PROG=engine-tests.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CASES=$ROOT/crates/keel/tests/engines/cases.sh
STATE=$ROOT/target/engines
# The exec roots hold unix sockets, whose paths must stay short; one per run, so that two
# checkouts can test at once.
RUNDIR=/run/keel-engines.$$

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

engine_sel=all
keel=$ROOT/target/release/keel
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
[[ $(id -u) == 0 ]] || die "needs root (a private dockerd, podman's storage); run as root"
for tool in dockerd /usr/bin/docker podman runc busybox python3; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/setup.sh (docker.io, podman, runc, busybox-static)"
done
BUSYBOX=$(command -v busybox)
file -L "$BUSYBOX" | grep -q "statically linked" || die "$BUSYBOX is not static: install busybox-static"

if ((build)); then
    (cd "$ROOT" && cargo build --release -q -p keel && cargo build --release -q -p keel-gen) ||
        die "cargo build failed"
fi
[[ -x $keel ]] || die "no keel at $keel"
KEEL_GEN=$ROOT/target/release/keel-gen
[[ -x $KEEL_GEN ]] || die "no keel-gen at $KEEL_GEN (build it: cargo build --release -p keel-gen)"

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

rm -rf "$STATE"
mkdir -p "$STATE" "$RUNDIR"
KEEL=$STATE/keel
cp "$keel" "$KEEL"
KEEL_SHA=$(sha256sum "$KEEL" | cut -d' ' -f1)

# --- the images: FROM scratch, busybox's applets as links, keel, the test configs ---------
CTX=$STATE/image
mkdir -p "$CTX/rootfs/bin" "$CTX/rootfs/sbin" "$CTX/rootfs/etc/keel" "$CTX/rootfs/srv"
cp "$BUSYBOX" "$CTX/rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$CTX/rootfs/bin/$applet"
done
cp "$KEEL" "$CTX/rootfs/sbin/keel"
echo "lower" >"$CTX/rootfs/srv/lower.txt"
for toml in "$ROOT"/crates/keel/tests/engines/*.toml; do
    "$KEEL_GEN" build -o "$CTX/rootfs/etc/keel/$(basename "$toml" .toml).cfg" "$toml" >/dev/null ||
        die "keel-gen build $toml failed"
done
"$KEEL_GEN" embed --config "$CTX/rootfs/etc/keel/embedded.cfg" --keel "$KEEL" \
    --output "$CTX/rootfs/sbin/keel-embedded" >/dev/null || die "keel-gen embed failed"
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin:/sbin\n' >"$CTX/Dockerfile.plain"
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin:/sbin\nENTRYPOINT ["/sbin/keel", "--grace", "2s", "--"]\nCMD ["sh"]\n' \
    >"$CTX/Dockerfile.entry"
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin:/sbin\nENTRYPOINT ["/sbin/keel-embedded"]\n' \
    >"$CTX/Dockerfile.embedded"

# --- the engines ---------------------------------------------------------------------------
DOCKER_DIR=$STATE/docker
PODMAN_DIR=$STATE/podman
dockerd_pid=""

stop_engines() {
    if [[ -n $dockerd_pid ]]; then
        kill "$dockerd_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$dockerd_pid" 2>/dev/null || true
    fi
    if [[ -d $PODMAN_DIR ]]; then
        ENGINE=podman engine_cmd
        E rm -af -t 0 >/dev/null 2>&1 || true
        E system reset -f >/dev/null 2>&1 || true
    fi
    # The engines' exec roots and overlay mounts, whatever is left of them.
    grep -o " $RUNDIR[^ ]*\| $STATE[^ ]*" /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$RUNDIR"
}
trap stop_engines EXIT


start_docker() {
    mkdir -p "$DOCKER_DIR"
    dockerd --host "unix://$DOCKER_DIR/docker.sock" --data-root "$DOCKER_DIR/data" \
        --exec-root "$RUNDIR/docker" --pidfile "$DOCKER_DIR/dockerd.pid" \
        --init-path "$KEEL" --bridge none --iptables=false --ip6tables=false \
        >"$DOCKER_DIR/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 300); do
        /usr/bin/docker -H "unix://$DOCKER_DIR/docker.sock" version >/dev/null 2>&1 && return 0
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -5 "$DOCKER_DIR/dockerd.log" >&2
    die "dockerd did not start (log: ${DOCKER_DIR#"$ROOT"/}/dockerd.log)"
}

# E ARGS...: the engine under test, ENGINE_CMD. run_ctr ARGS...: `E run --rm` with this
# host's flags.
ENGINE_CMD=()
engine_cmd() {
    case $ENGINE in
    docker) ENGINE_CMD=(/usr/bin/docker -H "unix://$DOCKER_DIR/docker.sock") ;;
    podman) ENGINE_CMD=(podman --root "$PODMAN_DIR/root" --runroot "$RUNDIR/podman" --runtime runc
        --cgroup-manager cgroupfs --events-backend none) ;;
    esac
}
E() {
    "${ENGINE_CMD[@]}" "$@"
}
# The flags every container gets: no network; for podman the explicit limits this host needs.
run_flags() {
    RUN_FLAGS=(--network none)
    if [[ $ENGINE == podman ]]; then
        RUN_FLAGS+=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
    fi
}
run_ctr() {
    E run --rm "${RUN_FLAGS[@]}" "$@"
}
# --init with keel: docker's daemon has it as its init-path; podman is told per run.
INIT_FLAGS=()
init_flags() {
    case $ENGINE in
    docker) INIT_FLAGS=(--init) ;;
    podman) INIT_FLAGS=(--init --init-path "$KEEL") ;;
    esac
}
IMG_PLAIN=localhost/keel-test:plain
IMG_ENTRY=localhost/keel-test:entry
IMG_EMBEDDED=localhost/keel-test:embedded

build_images() {
    local kind
    for kind in plain entry embedded; do
        E build -q -t "localhost/keel-test:$kind" -f "$CTX/Dockerfile.$kind" "$CTX" >/dev/null ||
            die "$ENGINE build of the $kind image failed"
    done
}

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
    [[ $ENGINE == docker ]] && start_docker
    engine_cmd
    run_flags
    init_flags
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
