# shellcheck shell=bash
# Host-side helpers for the crates/keel/tests/vm/cgroup-*.sh cases and scripts/bench-cgroup.sh
# (sourced). A case is sourced in a subshell of scripts/vm-tests.sh, so what these functions
# create lives in one temp directory removed when that subshell exits.
#
#   cg_config NAME <<'EOF' … EOF   build the TOML on stdin with keel-gen into NAME.cfg (0644)
#                                  and add it to the guest as /etc/keel/NAME.cfg
#   cg_box_config NAME ARGS LIMITS cg_config of a workload (process.args ARGS, a TOML array)
#                                  run in the delegate "box", its controllers not enabled,
#                                  with the [cgroup.limits] LIMITS (a TOML inline table)
#   cg_host_tools TOOL…            add host binaries (util-linux unshare, setpriv, …) with the
#                                  shared libraries they need, as /opt/host/bin/TOOL: busybox's
#                                  unshare has no --cgroup and its setpriv no --reuid
#   cg_support FILE…               add FILE of this folder (crates/keel/tests/vm/support/) as
#                                  /test/FILE (e.g. cgroup-tree.sh)
#   cg_tree LOG                    the "TREE path|subtree_control|has-procs" lines of a console log

CG_SUPPORT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CG_ROOT=${ROOT:-$(cd "$CG_SUPPORT/../../../../.." && pwd)}
CG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/keel-cg.XXXXXX")
# shellcheck disable=SC2064 # expand now: the directory of this sourcing shell
trap "rm -rf '$CG_TMP'" EXIT
[[ -v ADD ]] || ADD=() # scripts/vm-tests.sh sets it; cases append with ADD+=

cg_config() {
    local name=$1 gen=${CARGO_TARGET_DIR:-$CG_ROOT/target}/release/keel-gen
    [[ -x $gen ]] || { echo "cgroup-lib: no $gen (cargo build --release --bins)" >&2; return 1; }
    cat >"$CG_TMP/$name.toml"
    "$gen" build "$CG_TMP/$name.toml" -o "$CG_TMP/$name.cfg" >&2 || {
        echo "cgroup-lib: keel-gen build $name.toml failed" >&2
        return 1
    }
    chmod 0644 "$CG_TMP/$name.cfg" # keel refuses group/other-writable configs
    ADD+=("$CG_TMP/$name.cfg:/etc/keel/$name.cfg")
}

# Unquoted here-document: $2 and $3 are put in as they are, never expanded again.
cg_box_config() {
    cg_config "$1" <<EOF
[process]
args = $2
[cgroup]
workload = "box"
[[cgroup.delegate]]
path = "box"
enable_controllers = false
[cgroup.limits]
"box" = $3
EOF
}

cg_host_tools() {
    local tool path lib
    local -A seen=()
    for tool in "$@"; do
        path=$(command -v "$tool") || { echo "cgroup-lib: no $tool on the host" >&2; return 1; }
        path=$(readlink -f "$path")
        ADD+=("$path:/opt/host/bin/$tool")
        # ldd lines: "libx.so.N => /lib/…/libx.so.N (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
        while read -r lib; do
            [[ -n $lib && -z ${seen[$lib]:-} ]] || continue
            seen[$lib]=1
            ADD+=("$(readlink -f "$lib"):$lib")
        done < <(ldd "$path" | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p')
    done
}

cg_support() {
    local f
    for f in "$@"; do
        ADD+=("$CG_SUPPORT/$f:/test/$f")
    done
}

cg_tree() {
    tr -d '\r' <"$1" | sed -n 's/^TREE //p'
}
