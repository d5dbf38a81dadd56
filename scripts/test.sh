#!/usr/bin/env bash
# keel's whole test suite, as README.md documents it and CI runs it:
# style and lints, the crate-boundary guard, unit + property + integration tests (host,
# as root: pid namespaces with unshare), keel under docker and podman, its Debian package,
# VM tests with keel as the real PID 1 on two kernels, a short campaign of the VM fuzzer
# (keel as PID 1 of random configs), and short libFuzzer campaigns of the decoder and
# keel-gen's front ends when a nightly toolchain is present.
# Usage: scripts/test.sh [--quick]   (--quick: skip the engines, VM tests and fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib/target.sh
source scripts/lib/target.sh
quick=0
[[ ${1:-} == --quick ]] && quick=1

step() { printf '\n== %s\n' "$*"; }

step setup
scripts/setup.sh

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --all-targets -- -D warnings

step "layout: no Rust file over 1,000 lines, no import cycle between modules"
python3 scripts/lib/module-graph.py crates/keel-wire crates/keel crates/keel-gen tools/vmfuzz

step "crate boundary: the init links no host crate, and nothing enables rustix/std"
# keel's own tree (normal edges: what the binary links) holds target-side crates only.
host=$(cargo tree -p keel -e normal --prefix none 2>/dev/null |
    grep -E '^(clap|serde|serde_json|toml|oci-spec|object|syscalls|keel-gen) ' || true)
if [[ -n $host ]]; then
    echo "test: the keel init depends on host crates: $host" >&2
    exit 1
fi
# Cargo unifies features over everything built together: the whole workspace, dev edges
# included, must leave rustix without `std` (the no_std init would link std).
if cargo tree --workspace -e features -i rustix 2>/dev/null | grep -q 'rustix feature "std"'; then
    cargo tree --workspace -e features -i rustix >&2
    echo "test: rustix's std feature is enabled by a dependency (see above)" >&2
    exit 1
fi

step "build (release)"
cargo build --release --bins
file "$TARGET/release/keel" | grep -q "statically linked" || { echo "test: keel is not static" >&2; exit 1; }
echo "keel: $(stat -c %s "$TARGET/release/keel") bytes, $(file -b "$TARGET/release/keel")"

step "cargo test --release"
cargo test --release

# The minimal keel has a target directory of its own: built together with the workspace,
# cargo would unify keel's default features back in (crates/keel/Cargo.toml).
MINIMAL=(env CARGO_TARGET_DIR=target/minimal cargo)
step "the minimal keel (--no-default-features), and each optional part alone"
"${MINIMAL[@]}" build --release -p keel --no-default-features
file target/minimal/release/keel | grep -q "statically linked" ||
    { echo "test: the minimal keel is not static" >&2; exit 1; }
parts=0
for part in cgroup namespaces mounts classic-mounts security seccomp landlock seal services; do
    "${MINIMAL[@]}" clippy --quiet --release -p keel --no-default-features --features "$part" -- -D warnings
    parts=$((parts + 1))
done
echo "keel builds cleanly with each of $parts parts alone"
"${MINIMAL[@]}" clippy --quiet --release -p keel --no-default-features --all-targets -- -D warnings
# Everything the full keel passes for the tini-class job: the pid1, load and config tests.
"${MINIMAL[@]}" test --release -p keel --no-default-features --test pid1 --test load --test config
# mounts without classic-mounts: refused cleanly on a kernel without the new mount API.
env CARGO_TARGET_DIR=target/mounts-only cargo test --release -p keel --no-default-features \
    --features mounts --test faults -- --exact \
    without_the_new_mount_api_a_keel_without_classic_mounts_refuses_cleanly 2>&1 | tee target/mounts-only.log
grep -q '^test result: ok. 1 passed' target/mounts-only.log ||
    { echo "test: the mounts-only fault test did not run and pass" >&2; exit 1; }

step "size budgets (scripts/lib/size-budgets.sh)"
# shellcheck source=scripts/lib/size-budgets.sh
source scripts/lib/size-budgets.sh
over=0
for build in "full $TARGET/release/keel $FULL_BUDGET" "minimal target/minimal/release/keel $MINIMAL_BUDGET"; do
    read -r name bin budget <<<"$build"
    size=$(stat -c %s "$bin")
    if ((size > budget)); then
        echo "test: the $name keel is $size bytes, over its budget of $budget" >&2
        over=1
    else
        echo "$name keel: $size bytes (budget $budget)"
    fi
done
((over == 0)) || exit 1

if ((quick)); then
    exit 0
fi

step "container engines: docker and podman on this host (scripts/engine-tests.sh)"
scripts/engine-tests.sh --no-build
# The minimal keel in the cases that need no optional part: the tini-class job.
scripts/engine-tests.sh --no-build --keel target/minimal/release/keel exit_codes stop_handled \
    stop_ignored signals_forwarded tty_foreground tty_ctrl_c orphans_reaped init_flag \
    embedded_config docker_info

step "the Debian package: built with cargo-deb, installed, checked, removed (scripts/package-test.sh)"
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --quiet --locked cargo-deb
fi
scripts/package-test.sh --no-build

step "VM tests: keel as PID 1 under QEMU"
scripts/vm-tests.sh --kernel all

step "VM tests of the minimal keel: machine mode, the cases that need no optional part"
scripts/vm-tests.sh --kernel all --keel target/minimal/release/keel \
    args-quoting drain-kill drain-term exit-status machine-mounts signal-status

# A fixed seed: a CI failure replays exactly (scripts/fuzz-vm.sh --seed 1 --cases 150), and
# every failing case is saved under crates/keel/tests/vm/regressions/. Other seeds are for
# campaigns.
step "fuzz keel as PID 1 in VMs (seed 1, 150 cases per kernel)"
scripts/fuzz-vm.sh --cases 150 --seed 1 --pid1-boots 1

if cargo +nightly --version >/dev/null 2>&1 && [[ -x scripts/fuzz.sh ]]; then
    step "fuzz the config decoder (60 s), keel-gen's TOML and OCI front ends and seccomp compiler (15 s each)"
    if ! cargo fuzz --version >/dev/null 2>&1; then
        cargo install --quiet --locked cargo-fuzz
    fi
    scripts/fuzz.sh 60 decode
    scripts/fuzz.sh 15 toml oci seccomp
else
    step "fuzzing skipped: no nightly toolchain"
fi
