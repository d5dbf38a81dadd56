#!/usr/bin/env bash
# scripts/package-test.sh: builds keel's Debian package with cargo-deb (the metadata is
# [package.metadata.deb] in crates/keel-gen/Cargo.toml), installs it with dpkg and checks
# what a user of the package gets: the files, keel --version, two workloads, the man pages,
# keel-gen on an installed example, and the installed /usr/bin/keel as the ENTRYPOINT of a
# FROM scratch image under docker (the engine tier's private dockerd, scripts/lib/engines.sh).
# It removes the package at the end, and counts its checks: zero checks is a failure.
#
# Usage: scripts/package-test.sh [--no-build]
#   --no-build  use target/release/keel and keel-gen as they are (cargo-deb --no-build)
#
# Why: the package is made from files the build writes (the man pages and completions come
# from `keel-gen man` and `keel-gen completions`), so only installing it shows that they are
# all there and where man(1), the shells and docker look for them.
set -euo pipefail

PROG=package-test.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
STATE=$TARGET/package-test
ASSETS=$TARGET/release/assets

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

build=1
case ${1:-} in
--no-build) build=0 ;;
"") ;;
-h | --help) sed -n '9,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown option '$1' (see --help)" ;;
esac

[[ $(id -u) == 0 ]] || die "needs root (dpkg -i, a private dockerd)"
command -v dpkg >/dev/null || die "dpkg not found: this test needs a Debian system"
cargo deb --version >/dev/null 2>&1 || die "cargo-deb not found: cargo install cargo-deb"
command -v man >/dev/null || die "man not found: apt-get install man-db"
if dpkg -s keel >/dev/null 2>&1; then
    die "a keel package is already installed: remove it first (dpkg -r keel)"
fi

checks=0
# check WHAT EXPECTED ACTUAL
check() {
    [[ $2 == "$3" ]] || die "$1: expected '$2', got '$3'"
    echo "ok: $1"
    checks=$((checks + 1))
}

# --- build the package ---------------------------------------------------------------------
if ((build)); then
    # Each in a cargo run of its own: keel alone is the full static build (README: Build variants).
    (cd "$ROOT" && cargo build --release -q -p keel && cargo build --release -q -p keel-gen) ||
        die "cargo build failed"
fi
[[ -x $TARGET/release/keel && -x $TARGET/release/keel-gen ]] ||
    die "no keel or keel-gen in $TARGET/release: run without --no-build"
rm -rf "$ASSETS"
mkdir -p "$ASSETS/completions"
"$TARGET/release/keel-gen" man "$ASSETS/man" || die "keel-gen man failed"
# Debian ships man pages compressed; -n leaves out the name and time, so the bytes repeat.
gzip -9n "$ASSETS"/man/* || die "gzip of the man pages failed"
for shell in bash zsh fish; do
    "$TARGET/release/keel-gen" completions "$shell" >"$ASSETS/completions/keel-gen.$shell" ||
        die "keel-gen completions $shell failed"
done
rm -rf "$STATE"
mkdir -p "$STATE"
deb=$(cd "$ROOT" && cargo deb -q -p keel-gen --no-build --output "$STATE/") || die "cargo deb failed"
deb=$(ls "$STATE"/*.deb) || die "cargo deb wrote no .deb into ${STATE#"$ROOT"/}"
echo "package: ${deb#"$ROOT"/}"

# --- its contents --------------------------------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
for file in /usr/bin/keel /usr/bin/keel-gen /usr/share/man/man1/keel.1.gz \
    /usr/share/man/man1/keel-gen.1.gz /usr/share/man/man1/keel-gen-build.1.gz \
    /usr/share/man/man5/keel.toml.5.gz /usr/share/bash-completion/completions/keel-gen \
    /usr/share/zsh/vendor-completions/_keel-gen /usr/share/fish/vendor_completions.d/keel-gen.fish \
    /usr/share/doc/keel/README.md /usr/share/doc/keel/examples/minimal.toml \
    /usr/share/doc/keel/examples/Dockerfile.multistage; do
    check "the package has $file" yes "$(grep -qx -- "$file" <<<"$contents" && echo yes || echo no)"
done

# --- install it, and remove it (and the engines) whatever happens --------------------------
# shellcheck source=lib/engines.sh
source "$ROOT/scripts/lib/engines.sh"
cleanup() {
    stop_engines
    dpkg -r keel >/dev/null 2>&1 || echo "$PROG: warning: dpkg -r keel failed" >&2
}
trap cleanup EXIT
dpkg -i "$deb" >/dev/null || die "dpkg -i $deb failed"

check "the installed keel is the one built" "$(sha256sum <"$TARGET/release/keel")" "$(sha256sum </usr/bin/keel)"
version=$(/usr/bin/keel --version)
check "keel --version" "tini version keel-$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml")" "${version% - git.*}"
rc=0; /usr/bin/keel -- /bin/true || rc=$?
check "keel -- /bin/true" 0 "$rc"
rc=0; /usr/bin/keel -- sh -c 'exit 3' || rc=$?
check "keel -- sh -c 'exit 3'" 3 "$rc"
for page in keel keel-gen keel-gen-build "5 keel.toml"; do
    # shellcheck disable=SC2086 # "5 keel.toml" is a section and a name
    where=$(man -w $page 2>/dev/null) || die "man -w $page finds no page"
    check "man -w $page: $where" yes "$([[ $where == /usr/share/man/* ]] && echo yes || echo no)"
    # shellcheck disable=SC2086
    man $page 2>/dev/null | grep -q . || die "man $page shows nothing"
done
check "man keel shows the options" yes "$(man keel 2>/dev/null | grep -q -- '--grace' && echo yes || echo no)"
completion=$(bash -c 'source /usr/share/bash-completion/completions/keel-gen && complete -p keel-gen') ||
    die "the installed bash completion does not load"
check "bash completes keel-gen" yes "$([[ $completion == "complete "*" -F "* ]] && echo yes || echo no)"
/usr/bin/keel-gen build /usr/share/doc/keel/examples/supervise.toml -o "$STATE/supervise.cfg" ||
    die "keel-gen build of an installed example failed"
check "keel-gen builds an installed example" yes "$([[ -s $STATE/supervise.cfg ]] && echo yes || echo no)"

# --- the installed keel as a FROM scratch image's ENTRYPOINT, under docker ------------------
STATE=$STATE/engines
engines_check_tools
engines_prepare /usr/bin/keel
engines_images
cp /usr/bin/keel "$CTX/keel"
printf 'FROM scratch\nCOPY rootfs/ /\nCOPY keel /usr/bin/keel\nENV PATH=/bin\nENTRYPOINT ["/usr/bin/keel", "--"]\nCMD ["true"]\n' \
    >"$CTX/Dockerfile.package"
ENGINE=docker
start_docker docker "$KEEL"
engine_cmd
run_flags
E build -q -t localhost/keel-test:package -f "$CTX/Dockerfile.package" "$CTX" >/dev/null ||
    die "docker build of the package's image failed"
rc=0; run_ctr localhost/keel-test:package || rc=$?
check "docker run: keel -- true" 0 "$rc"
rc=0; run_ctr localhost/keel-test:package sh -c 'exit 3' || rc=$?
check "docker run: keel -- sh -c 'exit 3'" 3 "$rc"
pid1=$(run_ctr localhost/keel-test:package sh -c 'cat /proc/1/cmdline | tr "\0" " "')
check "docker run: keel is PID 1" "/usr/bin/keel -- sh -c cat /proc/1/cmdline | tr \"\\0\" \" \" " "$pid1"

((checks > 0)) || die "nothing was checked"
echo "package: $checks checks passed"
