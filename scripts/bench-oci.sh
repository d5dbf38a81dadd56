#!/usr/bin/env bash
# scripts/bench-oci.sh: keel on a full OCI-derived config (keel-gen from-oci --binary of a
# bundle's config.json) against `runc run` and `crun run` of the same bundle: the time from
# the runtime's start to the workload's exec, the whole run, and the binaries' sizes. A report,
# not a test: no number here passes or fails anything. Writes target/bench/oci.md and prints it.
#
# Usage: scripts/bench-oci.sh [--kernel 6.1|6.12] [-n N] [--keel PATH] [--no-build]
#                             [--no-host] [--no-vm]
#   --kernel K   guest kernel (default 6.12)
#   -n N         runs of each variant, in the VM and on the host (default 100)
#   --keel PATH  keel binary to measure (default target/release/keel, built first)
#   --no-build   skip `cargo build --release --bins`
#   --no-host    skip the host rows (hyperfine)    --no-vm   skip the VM rows
# Needs root, runc, crun, jq, cc (static, for crates/keel/tests/vm/support/oci-stamp.c),
# hyperfine (host rows) and what scripts/vm.sh needs.
#
# The bundle: a busybox-static rootfs whose /bin/true is oci-stamp (a no-libc true that first
# prints CLOCK_MONOTONIC), `runc spec` with process.args ["/bin/true"], terminal false, and a
# cgroup: cgroupsPath /keel-bench-oci with memory, pids and cpu limits, so every runtime makes
# and fills one. keel's config is `keel-gen from-oci --binary` of that config.json (its
# warnings are in the report); oci-nocg.cfg is the same minus cgroupsPath and resources.
#
# Where: this host has a hybrid cgroup layout (v1 + an empty v2), which crun refuses and on
# which keel refuses a [cgroup] section; runc runs. So the comparison is made in a QEMU guest
# (scripts/vm.sh, pure cgroup v2 with every controller), one boot, N rotated iterations of each
# variant (scripts/bench/bench-oci-guest.sh), timed with the guest's monotonic clock; the
# host rows (hyperfine) are what can run here, and the others are listed with their error.
set -euo pipefail

PROG=bench-oci.sh
# shellcheck source=scripts/lib/bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

n=100 host=1 vm=1
cmdline="scripts/bench-oci.sh $*"
bench_flag() {
    case $1 in
    --no-host) host=0 ;;
    --no-vm) vm=0 ;;
    *) return 1 ;;
    esac
}
bench_options 2,16 "$@"
[[ $(id -u) == 0 ]] || die "needs root (runc, crun and keel set up namespaces and mounts)"
for t in runc crun jq cc; do
    command -v "$t" >/dev/null || die "$t not found"
done
[[ $host -eq 0 ]] || command -v hyperfine >/dev/null || die "hyperfine not found (scripts/setup.sh --bench), or --no-host"
bench_keel
keel_gen=$(dirname "$keel")/keel-gen
[[ -x $keel_gen ]] || die "no keel-gen next to $keel"

out_dir=$ROOT/target/bench
work=$out_dir/oci-work
bundle=$work/bundle
leaf="keel-bench-oci"
rm -rf "$work"
mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}

# ---- the bundle
bb=$(command -v busybox)
if [[ $(file -L "$bb") != *static* && -x /bin/busybox ]]; then bb=/bin/busybox; fi
[[ $(file -L "$bb") == *static* ]] || die "no static busybox (Debian: busybox-static)"
cp "$bb" "$bundle/rootfs/bin/busybox"
for a in sh cat ls echo sleep; do ln -s busybox "$bundle/rootfs/bin/$a"; done
cc -static -nostdlib -no-pie -O2 -s -fno-stack-protector -fno-asynchronous-unwind-tables \
    -o "$bundle/rootfs/bin/true" "$VM_SUPPORT/oci-stamp.c" || die "cannot build oci-stamp.c"
(cd "$bundle" && runc spec) || die "runc spec failed"
# The limits make every runtime create, fill and remove a cgroup with three controllers'
# files written: what a container engine asks for, and what keel's [cgroup] section is for.
jq --arg leaf "/$leaf" '.process.args = ["/bin/true"] | .process.terminal = false
    | .linux.cgroupsPath = $leaf
    | .linux.resources.memory = {limit: 268435456}
    | .linux.resources.pids = {limit: 1024}
    | .linux.resources.cpu = {shares: 512}' "$bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$bundle/config.json"
# keel's config without the cgroup, next to config.json so that root resolves alike.
jq 'del(.linux.cgroupsPath, .linux.resources)' "$bundle/config.json" >"$bundle/config-nocg.json"
"$keel_gen" from-oci --binary -o "$work/oci.cfg" "$bundle/config.json" 2>"$work/warnings.txt" ||
    { cat "$work/warnings.txt" >&2; die "keel-gen from-oci failed"; }
"$keel_gen" from-oci --binary -o "$work/oci-nocg.cfg" "$bundle/config-nocg.json" 2>/dev/null ||
    die "keel-gen from-oci (no cgroup) failed"
"$keel_gen" from-oci "$bundle/config.json" >"$work/oci.toml" 2>/dev/null
chmod 0644 "$work"/*.cfg # keel refuses configs others may write
rm "$bundle/config-nocg.json" # runc and crun would not look at it; keep the bundle plain

# ---- the host rows
host_md=""
if [[ $host -eq 1 ]]; then
    names=() cmds=() refused=()
    id=keel-bench-oci-$$
    try() { # name, command: a trial run; one that fails is reported, not timed
        local out rc=0
        out=$($2 2>&1 >/dev/null) || rc=$?
        if [[ $rc -eq 0 ]]; then
            names+=("$1")
            cmds+=("$2")
        else
            refused+=("| $1 | \`${2//$ROOT\//}\` | exit $rc: ${out//$'\n'/ } |")
        fi
    }
    try "direct (the stamp alone)" "$bundle/rootfs/bin/true"
    try "runc run" "runc run --bundle $bundle $id"
    try "crun run" "crun run --bundle $bundle $id"
    try "keel -c oci.cfg" "$keel -c $work/oci.cfg"
    try "keel --exec -c oci.cfg" "$keel --exec -c $work/oci.cfg"
    try "keel -c oci-nocg.cfg" "$keel -c $work/oci-nocg.cfg"
    try "keel --exec -c oci-nocg.cfg" "$keel --exec -c $work/oci-nocg.cfg"
    say "host: hyperfine, $n runs of ${#names[@]} commands"
    hf=(hyperfine -N --warmup 5 --runs "$n" --style none --export-json "$work/host.json")
    for i in "${!names[@]}"; do hf+=(-n "${names[$i]}" "${cmds[$i]}"); done
    "${hf[@]}" >"$work/host.txt" 2>&1 || { cat "$work/host.txt" >&2; die "hyperfine failed"; }
    host_md=$(
        echo "Host: Linux $(uname -r), $(nproc) CPUs (shared), hybrid cgroups; $(hyperfine --version), -N, $n runs each;"
        echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after. End to end (start of the command to its exit), ms."
        echo
        echo "| variant | median | mean ± σ | min |"
        echo "|---|---:|---:|---:|"
        jq -r '.results[] | "| \(.command) | \(.median * 1000 | . * 100 | round / 100) | \(.mean * 1000 | . * 100 | round / 100) ± \(.stddev * 1000 | . * 100 | round / 100) | \(.min * 1000 | . * 100 | round / 100) |"' "$work/host.json"
        if [[ ${#refused[@]} -gt 0 ]]; then
            echo
            echo "Could not run on this host (trial run, exact error):"
            echo
            echo "| variant | command | error |"
            echo "|---|---|---|"
            printf '%s\n' "${refused[@]}"
        fi
    )
fi

# ---- the VM rows
vm_md=""
if [[ $vm -eq 1 ]]; then
    ADD=()
    # shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
    . "$VM_SUPPORT/cgroup-lib.sh"
    # runc and crun are dynamic: they go in with their shared libraries, as /opt/host/bin/.
    cg_host_tools runc crun
    # The bundle keeps its host path, so that config.json's relative root and keel's
    # absolute one (from-oci resolves it against the bundle) both hold in the guest.
    ADD+=("$bundle:$bundle" "$work/oci.cfg:/etc/keel/oci.cfg" "$work/oci-nocg.cfg:/etc/keel/oci-nocg.cfg")
    variants=(direct runc crun keel keel-exec keel-nocg keel-exec-nocg)
    log=$ROOT/target/vm/bench-oci-$kernel.log
    bench_boot "$log" 1024 $((180 + n * ${#variants[@]} * 2)) ${#variants[@]} \
        "$n" "$bundle" "$leaf" "${variants[@]}"
    tr -d '\r' <"$log" | grep -E '^(CHECK|bench:)' >&2 || true
    vm_md=$(tr -d '\r' <"$log" | awk -v kernel="$kernel" -v release="$(bench_release)" '
        /^BENCH [^ ]+ [a-z0-9]+ / { v = $2; m = $3; if (!(v in seen)) { seen[v] = 1; order[++n] = v }
            mean[v, m] = $4 / 1000; med[v, m] = $5 / 1000; min[v, m] = $6 / 1000; count = $7 }
        /^BENCH-FAILED / { failed = $2 }
        /^bench: runc / { sub(/^bench: /, ""); versions = $0 }
        /^CHECK / { v = $2; $1 = $2 = ""; check[v] = substr($0, 3) }
        /^BENCH-REFUSED / { refused[++r] = $2 }
        END {
            if (n == 0) { print "no results in the log" > "/dev/stderr"; exit 1 }
            label["direct"] = "direct: the stamp exec'\''d by the shell, no runtime"
            label["runc"] = "runc run"
            label["crun"] = "crun run"
            label["keel"] = "keel -c oci.cfg (supervising)"
            label["keel-exec"] = "keel --exec -c oci.cfg"
            label["keel-nocg"] = "keel -c oci-nocg.cfg (no cgroup)"
            label["keel-exec-nocg"] = "keel --exec -c oci-nocg.cfg (no cgroup)"
            printf "VM: kernel %s (%s), QEMU TCG, 1 vCPU, pure cgroup v2; %s; %d rotated iterations of each variant in one boot, guest monotonic clock, ms.\n\n", kernel, release, versions, count
            printf "| variant | start → exec (median) | start → exec (mean) | exec → exit (median) | end to end (median) | end to end (mean) | end to end (min) | + leaf removal (median) |\n"
            printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
            for (i = 1; i <= n; i++) {
                v = order[i]
                printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", (v in label ? label[v] : v),
                    med[v, "start"], mean[v, "start"], med[v, "exit"], med[v, "e2e"], mean[v, "e2e"], min[v, "e2e"], med[v, "total"]
            }
            printf "\n| ratio (medians) | start → exec | end to end + leaf removal |\n|---|---:|---:|\n"
            split("runc crun", peers, " ")
            split("keel keel-exec", ours, " ")
            for (p = 1; p <= 2; p++) for (o = 1; o <= 2; o++) {
                a = ours[o]; b = peers[p]
                if ((a, "start") in med && (b, "start") in med)
                    printf "| %s / %s | %.2fx | %.2fx |\n", label[a], b, med[a, "start"] / med[b, "start"], med[a, "total"] / med[b, "total"]
            }
            if (r > 0) {
                printf "\nLeft out after their trial run failed (exact status and stderr):\n\n"
                for (i = 1; i <= r; i++) printf "- %s: `%s`\n", refused[i], check[refused[i]]
            }
            if (failed != "" && failed != 0) printf "\n%s timed runs failed (see the log).\n", failed
        }')
fi

size_of() { stat -c %s "$(readlink -f "$1")"; }
linking() { if file -L "$1" | grep -q 'statically linked'; then echo static; else echo "dynamic: $(ldd "$1" | grep -c '=>') libraries"; fi; }
strip -o "$work/keel.stripped" "$keel"
{
    echo "## keel on an OCI-derived config vs runc and crun"
    echo
    echo "\`$cmdline\`; the bundle: \`runc spec\`, process.args [\"/bin/true\"], terminal false, cgroupsPath /$leaf,"
    echo "memory.limit 256 MiB, pids.limit 1024, cpu.shares 512; rootfs busybox-static, /bin/true = oci-stamp (no-libc, $(size_of "$bundle/rootfs/bin/true") bytes,"
    echo "prints CLOCK_MONOTONIC, exits 0). keel's config: \`keel-gen from-oci --binary config.json\`, which said:"
    echo
    sed 's/^/    /' "$work/warnings.txt"
    echo
    echo "start → exec: the runtime's fork by the shell to the workload's first instruction (its clock read);"
    echo "exec → exit: the workload's run, the runtime's reaping, namespace and cgroup teardown, its exit;"
    echo "end to end: both. runc and crun remove their cgroup; keel leaves its leaf (the caller made room for it),"
    echo "so the last column adds the harness's rmdir of the leaf, the same work for all."
    echo
    if [[ -n $vm_md ]]; then echo "$vm_md"; echo; fi
    if [[ -n $host_md ]]; then echo "$host_md"; echo; fi
    echo "| binary | bytes | linking |"
    echo "|---|---:|---|"
    echo "| keel ($(realpath --relative-to="$ROOT" "$keel"), stripped) | $(size_of "$work/keel.stripped") | static, no libc |"
    echo "| runc $(runc --version | head -n 1 | cut -d' ' -f3) ($(command -v runc)) | $(size_of "$(command -v runc)") | $(linking "$(command -v runc)") |"
    echo "| crun $(crun --version | head -n 1 | cut -d' ' -f3) ($(command -v crun)) | $(size_of "$(command -v crun)") | $(linking "$(command -v crun)") |"
} >"$out_dir/oci.md"
cat "$out_dir/oci.md"
say "wrote ${out_dir#"$ROOT"/}/oci.md"
