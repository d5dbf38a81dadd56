# shellcheck shell=bash
# What scripts/engine-tests.sh and scripts/bench-engines.sh share (sourced, after they set
# PROG, ROOT, STATE and die, and source target.sh): private container engines and the images they run.
#
#   engines_check_tools        dockerd, docker, podman, runc, a static busybox, python3
#   engines_prepare KEEL_PATH  a fresh STATE, RUNDIR, and KEEL = a copy of KEEL_PATH there
#   engines_images             the image context: FROM scratch, busybox's applets as links,
#                              keel at /sbin/keel, the configs of crates/keel/tests/engines/
#                              compiled to /etc/keel/NAME.cfg, and a keel with embedded.cfg
#                              embedded at /sbin/keel-embedded
#   start_docker NAME INIT     a private dockerd, its files in STATE/NAME, with INIT as its
#                              --init-path; ENGINE=docker DOCKER=NAME selects it
#   engine_cmd                 ENGINE_CMD for ENGINE (docker: the daemon DOCKER, default docker)
#   E ARGS…                    the engine: "${ENGINE_CMD[@]}" ARGS…
#   run_flags, run_ctr ARGS…   RUN_FLAGS every container gets; `E run --rm RUN_FLAGS ARGS…`
#   init_flags INIT            INIT_FLAGS: --init with INIT (docker: the daemon's init-path)
#   build_images               IMG_PLAIN (no ENTRYPOINT), IMG_ENTRY (keel --grace 2s --) and
#                              IMG_EMBEDDED (the keel with an embedded config, no flags)
#   stop_engines               stops the daemons and unmounts what they left (an EXIT trap)
#
# Nothing is shared with the machine's own engines: each dockerd has its own socket, data
# root and exec root, no bridge and no iptables rules; podman has its own storage root; every
# container runs with --network none. Images are built offline (no registry is reachable
# here). Facts of this host the flags adapt to (../shared/notes/engines.md): the sandbox lacks
# CAP_SYS_RESOURCE, so no --privileged (cases use --cap-add); the hard RLIMIT_NOFILE is 20000,
# so podman runs runc (crun fails on this cgroup v1/hybrid host) with explicit --ulimit values.

# The exec roots hold unix sockets, whose paths must stay short; one per run, so that two
# checkouts can use engines at once.
RUNDIR=/run/keel-engines.$$
IMG_PLAIN=localhost/keel-test:plain
IMG_ENTRY=localhost/keel-test:entry
IMG_EMBEDDED=localhost/keel-test:embedded
KEEL_GEN=$TARGET/release/keel-gen
declare -A DOCKERD_PIDS=()
ENGINE_CMD=()
RUN_FLAGS=()
INIT_FLAGS=()

engines_check_tools() {
    [[ $(id -u) == 0 ]] || die "needs root (private dockerds, podman's storage)"
    local tool
    for tool in dockerd /usr/bin/docker podman runc busybox python3; do
        command -v "$tool" >/dev/null ||
            die "$tool not found: run scripts/setup.sh (docker.io, podman, runc, busybox-static)"
    done
    BUSYBOX=$(command -v busybox)
    file -L "$BUSYBOX" | grep -q "statically linked" ||
        die "$BUSYBOX is not static: install busybox-static"
    [[ -x $KEEL_GEN ]] || die "no keel-gen at $KEEL_GEN (cargo build --release -p keel-gen)"
}

engines_prepare() {
    [[ -x $1 ]] || die "no keel at $1"
    rm -rf "$STATE"
    mkdir -p "$STATE" "$RUNDIR"
    KEEL=$STATE/keel
    cp "$1" "$KEEL"
}

engines_images() {
    CTX=$STATE/image
    mkdir -p "$CTX/rootfs/bin" "$CTX/rootfs/sbin" "$CTX/rootfs/etc/keel" "$CTX/rootfs/srv"
    cp "$BUSYBOX" "$CTX/rootfs/bin/busybox"
    local applet toml
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
    local base='FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin:/sbin\n'
    printf "$base" >"$CTX/Dockerfile.plain"
    printf "$base"'ENTRYPOINT ["/sbin/keel", "--grace", "2s", "--"]\nCMD ["sh"]\n' >"$CTX/Dockerfile.entry"
    printf "$base"'ENTRYPOINT ["/sbin/keel-embedded"]\n' >"$CTX/Dockerfile.embedded"
}

start_docker() {
    local name=$1 init=$2 dir=$STATE/$1 pid
    mkdir -p "$dir"
    dockerd --host "unix://$dir/docker.sock" --data-root "$dir/data" \
        --exec-root "$RUNDIR/$name" --pidfile "$dir/dockerd.pid" \
        --init-path "$init" --bridge none --iptables=false --ip6tables=false \
        >"$dir/dockerd.log" 2>&1 &
    pid=$!
    DOCKERD_PIDS[$name]=$pid
    for _ in $(seq 300); do
        /usr/bin/docker -H "unix://$dir/docker.sock" version >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -5 "$dir/dockerd.log" >&2
    die "dockerd did not start (log: ${dir#"$ROOT"/}/dockerd.log)"
}

engine_cmd() {
    case $ENGINE in
    docker) ENGINE_CMD=(/usr/bin/docker -H "unix://$STATE/${DOCKER:-docker}/docker.sock") ;;
    podman) ENGINE_CMD=(podman --root "$STATE/podman/root" --runroot "$RUNDIR/podman"
        --runtime runc --cgroup-manager cgroupfs --events-backend none) ;;
    esac
}

E() {
    "${ENGINE_CMD[@]}" "$@"
}

run_flags() {
    RUN_FLAGS=(--network none)
    if [[ $ENGINE == podman ]]; then
        RUN_FLAGS+=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
    fi
}

run_ctr() {
    E run --rm "${RUN_FLAGS[@]}" "$@"
}

init_flags() {
    case $ENGINE in
    docker) INIT_FLAGS=(--init) ;;
    podman) INIT_FLAGS=(--init --init-path "$1") ;;
    esac
}

build_images() {
    local kind
    for kind in plain entry embedded; do
        E build -q -t "localhost/keel-test:$kind" -f "$CTX/Dockerfile.$kind" "$CTX" >/dev/null ||
            die "$ENGINE build of the $kind image failed"
    done
}

stop_engines() {
    local name pid
    for name in "${!DOCKERD_PIDS[@]}"; do
        pid=${DOCKERD_PIDS[$name]}
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [[ -d $STATE/podman ]]; then
        ENGINE=podman engine_cmd
        E rm -af -t 0 >/dev/null 2>&1 || true
        E system reset -f >/dev/null 2>&1 || true
    fi
    # The engines' exec roots and overlay mounts, whatever is left of them.
    { grep -o " $RUNDIR[^ ]*\| $STATE[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$RUNDIR"
}
