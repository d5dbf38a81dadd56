#!/usr/bin/env bash
# Installs what keel's build, tests and demo need on a fresh Debian 12 machine, and nothing
# that is already there. Safe to run again. Usage: scripts/setup.sh [--bench]
#   --bench  also the peers measured by scripts/bench*.sh (tini, dumb-init, catatonit, s6, …)
set -euo pipefail

# runc and crun write the OCI configs of crates/keel-gen/tests/fixtures/oci (README there);
# docker.io, podman and runc run the engine tier (scripts/engine-tests.sh), python3 its
# terminal driver; libseccomp-dev is the seccomp compiler's second oracle (keel-gen's tests).
# groff-base renders the man pages keel-gen man writes (keel-gen's tests, scripts/package-test.sh).
# uidmap's newuidmap and newgidmap map subordinate id ranges for an unprivileged keel
# (crates/keel/tests/subids.rs); redis-server (with redis-cli) is the real sd_notify daemon
# keel starts as a service (crates/keel/tests/services.rs); bubblewrap is the other side of
# crates/keel/tests/sandbox_jl.rs (the same rootless sandbox in bwrap and keel); passwd's
# useradd/userdel make the test users of the unprivileged tests. fuse-overlayfs is podman's
# storage driver in the VM's BenchExec case (crates/keel/tests/vm/benchexec-podman.sh), which
# runs the host's userland (podman only recommends it, and recommends are not installed).
packages=(qemu-system-x86 busybox-static cpio lz4 zstd util-linux procps file python3 runc crun
    docker.io podman libseccomp-dev pkg-config groff-base man-db uidmap redis-server bubblewrap
    passwd fuse-overlayfs)
if [[ ${1:-} == --bench ]]; then
    # s6 and supervisor: the service supervisors scripts/bench-services.sh sets keel beside.
    packages+=(tini dumb-init catatonit hyperfine strace s6 supervisor)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    if [[ $(id -u) != 0 ]]; then
        echo "setup: need root to install ${missing[*]} (apt-get)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
    echo "setup: cargo not found: install a Rust toolchain (rustup) first" >&2
    exit 1
fi
