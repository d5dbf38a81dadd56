#!/usr/bin/env bash
# scripts/dist.sh: the static release binaries in one folder, target/dist/: keel (the full
# build), keel-minimal (--no-default-features) and their SHA256SUMS. Each binary is built
# twice, in two fresh target directories, and the two builds must be the same bytes: the
# script fails if they are not.
#
# Usage: scripts/dist.sh
#
# What makes the builds reproducible, and what this script checks of it:
# - the paths: --remap-path-prefix maps the checkout to /keel and cargo's home to /cargo,
#   so neither where the checkout is nor the target directory gets into the binaries (the
#   two builds use two target directories, so a path that leaked would differ);
# - the time: SOURCE_DATE_EPOCH is the commit's time, for any tool that would stamp one
#   (nothing in keel's build does; the check would catch a stamp that differs);
# - the inputs: Cargo.lock pins every crate (--locked), build.rs embeds the commit only
#   (tini's `git.COMMIT` of --version), and keel links with --build-id=none;
# - keel is static and links no C library, so the host's libraries do not get in either;
# - the rest (codegen-units = 1, no incremental release builds) is the workspace profile.
set -euo pipefail

PROG=dist.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
DIST=$TARGET/dist

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (rustup)"
command -v sha256sum >/dev/null || die "sha256sum not found: apt-get install coreutils"
git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1 || die "$ROOT is not a git checkout: the version needs its commit"

SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct)
export SOURCE_DATE_EPOCH
CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="--remap-path-prefix=$ROOT=/keel --remap-path-prefix=$CARGO_HOME=/cargo"

# build ROUND: both keels into $TARGET/dist-build/ROUND/{full,minimal}, each from a fresh
# target directory and in a cargo run of its own (README: Build variants).
build() {
    local dir=$TARGET/dist-build/$1
    rm -rf "$dir"
    CARGO_TARGET_DIR=$dir/full cargo build -q --locked --release -p keel ||
        die "cargo build of keel failed (round $1)"
    CARGO_TARGET_DIR=$dir/minimal cargo build -q --locked --release -p keel --no-default-features ||
        die "cargo build of the minimal keel failed (round $1)"
}

head=$(git -C "$ROOT" rev-parse --short=7 HEAD)
build a
build b
# keel's --version names the commit: a commit during the builds makes them differ.
[[ $(git -C "$ROOT" rev-parse --short=7 HEAD) == "$head" ]] ||
    die "HEAD moved during the builds (from $head): run dist.sh again"
checked=0
rm -rf "$DIST"
mkdir -p "$DIST"
for pair in full/release/keel:keel minimal/release/keel:keel-minimal; do
    from=${pair%%:*} name=${pair##*:}
    a=$TARGET/dist-build/a/$from b=$TARGET/dist-build/b/$from
    [[ -x $a && -x $b ]] || die "no $from after the builds"
    if ! cmp -s "$a" "$b"; then
        die "$name is not reproducible: the two builds differ ($(cmp "$a" "$b" | head -1)); compare them with diffoscope"
    fi
    if grep -q -a -F -e "$ROOT" -e "$CARGO_HOME" "$a"; then
        die "$name holds a build path ($ROOT or $CARGO_HOME): a --remap-path-prefix is missing"
    fi
    cp "$a" "$DIST/$name"
    echo "reproducible: $name ($(stat -c %s "$a") bytes)"
    checked=$((checked + 1))
done
((checked == 2)) || die "checked $checked of 2 binaries"
(cd "$DIST" && sha256sum keel keel-minimal >SHA256SUMS)
rm -rf "$TARGET/dist-build"
echo "dist: $checked binaries, each built twice to the same bytes, in ${DIST#"$ROOT"/}:"
sed 's/^/  /' "$DIST/SHA256SUMS"
