#!/usr/bin/env bash
# scripts/bench-cgroup.sh: times keel's cgroup set-up (preset "benchexec") against BenchExec's
# own init.sh doing the same, in one QEMU boot (scripts/vm.sh), and prints a table. A report,
# not a test: no number here passes or fails anything.
#
# Usage: scripts/bench-cgroup.sh [--kernel 6.1|6.12] [-n ITERATIONS] [--favordynmods]
#                                [--keel PATH] [--no-build]
#   --kernel K   guest kernel (default 6.12)
#   -n N         iterations of each variant (default 200)
#   --favordynmods  mount the guest's cgroup2 with favordynmods: moving a process then no
#                longer waits for an RCU grace period, the largest part of the kernel's work
#   --keel PATH  keel binary to measure (default target/release/keel, built first)
#   --no-build   skip `cargo build --release --bins`
#
# Each iteration of each variant runs in a fresh sub-cgroup /bench/<variant>-<i>, as the only
# process there, in a fresh cgroup namespace rooted there with cgroup2 mounted anew (the
# namespace's view), as a container runtime starts a container's PID 1: the wrapper
# crates/keel/tests/vm/support/cgns-exec.c (built with `cc -static`; without a C compiler, sh +
# the host's util-linux unshare, slower) moves itself there, unshares, mounts, and execs PROGRAM.
# The variants differ only in PROGRAM:
#   wrapper    /bin/true                                       what every variant pays
#   sh         /bin/sh -c 'exec "$@"' sh /bin/true             a shell that only execs
#   keel-nocg  keel --exec -- /bin/true                        a keel that only execs
#   floor      cgns-exec --benchexec: the wrapper itself does init.sh's work in C, in the
#              fewest syscalls (no exec of its own): the kernel's share of the set-up
#   init.sh    /bin/sh benchexec-init.upstream.sh /bin/true    BenchExec's init.sh, verbatim
#   keel-exec  keel --exec -c benchexec.cfg -- /bin/true       set up, then exec, as init.sh
#   keel       keel -c benchexec.cfg -- /bin/true              set up, fork, supervise, exit
# init.sh and both keels build the same tree: mkdir init and benchexec, move the process into
# init, enable every controller in the namespace root and in benchexec; the guest checks each
# iteration's tree. The variants take turns, in an order rotated every iteration, so that drift
# and the kernel's background freeing of removed cgroups hit all alike. Time: the guest's
# monotonic clock ("now at N nsecs" in /proc/timer_list, read by the shell's builtin `read`, no
# fork) around each run, with the guest booted with tsc=reliable (else it falls back to
# jiffies). The guest side is scripts/bench/bench-cgroup-guest.sh.
set -euo pipefail

PROG=bench-cgroup.sh
# shellcheck source=scripts/lib/bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

n=200 mount_opts=""
bench_flag() {
    case $1 in
    --favordynmods) mount_opts=favordynmods ;;
    *) return 1 ;;
    esac
}
bench_options 2,13 "$@"
bench_keel

ADD=()
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$VM_SUPPORT/cgroup-lib.sh"
cg_config benchexec <<'EOF'
[cgroup]
preset = "benchexec"
EOF
# The wrapper every variant pays: a static helper when the host can build one (cc, libc.a),
# else the host's util-linux unshare (busybox's has no --cgroup) with its libraries.
if cc -static -O2 -s -o "$CG_TMP/cgns-exec" "$VM_SUPPORT/cgns-exec.c" 2>"$CG_TMP/cc.err"; then
    ADD+=("$CG_TMP/cgns-exec:/test/cgns-exec")
else
    say "note: cannot build crates/keel/tests/vm/support/cgns-exec.c ($(head -n1 "$CG_TMP/cc.err")); using util-linux unshare"
    cg_host_tools unshare
fi
ADD+=("$VM_SUPPORT/benchexec-init.upstream.sh:/test/benchexec-init.upstream.sh")

log=$ROOT/target/vm/bench-cgroup-$kernel${mount_opts:+-$mount_opts}.log
# shellcheck disable=SC2086 # no mount option, or one word
bench_boot "$log" 512 $((120 + n * 3)) 7 "$n" $mount_opts
tr -d '\r' <"$log" | grep -A6 '^bench: stderr' >&2 || true
tr -d '\r' <"$log" | grep '^bench: .* iteration [0-9]*:' | head -n 5 >&2 || true

tr -d '\r' <"$log" | awk -v kernel="$kernel${mount_opts:+, cgroup2 mounted with $mount_opts}" -v release="$(bench_release)" '
    function q(a, b) { return b > 0 ? sprintf("%.1fx", a / b) : "n/a (below the noise)" }
    function ratio(a, b, what) {
        printf "| %s / %s: %s | %.2fx | %s | %s |\n", a, b, what, mean[a] / mean[b],
            q(mean[a] - mean["wrapper"], mean[b] - mean["wrapper"]), q(med[a] - med["wrapper"], med[b] - med["wrapper"])
    }
    /^BENCH / { name[++n] = $2; mean[$2] = $3 / 1000; med[$2] = $4 / 1000; min[$2] = $5 / 1000; count[$2] = $6 }
    /^BENCH-FAILED / { failed = $2 }
    /^BENCH-WRAPPER / { sub(/^BENCH-WRAPPER /, ""); wrapper = $0 }
    END {
        if (n < 6) { print "no results in the log" > "/dev/stderr"; exit 1 }
        printf "keel cgroup set-up vs BenchExec init.sh: kernel %s (%s), QEMU TCG, 1 vCPU;\n", kernel, release
        printf "%d iterations of each variant in one boot, guest monotonic clock, ms per iteration\n\n", count["wrapper"]
        label["wrapper"] = "wrapper, then exec /bin/true: " wrapper
        label["sh"] = "+ /bin/sh -c exec: a shell that only execs"
        label["keel-nocg"] = "+ keel --exec, no config: a keel that only execs"
        label["floor"] = "+ the same set-up done by the wrapper in C (kernel floor)"
        label["init.sh"] = "+ BenchExec init.sh (busybox sh), then exec"
        label["keel-exec"] = "+ keel --exec, preset benchexec, then exec"
        label["keel"] = "+ keel, preset benchexec, supervising"
        printf "| variant | mean | median | min | mean - wrapper |\n|---|---:|---:|---:|---:|\n"
        for (i = 1; i <= n; i++) {
            v = name[i]
            printf "| %s | %.2f | %.2f | %.2f | %s |\n", label[v], mean[v], med[v], min[v],
                (v == "wrapper" ? "-" : sprintf("%.2f", mean[v] - mean["wrapper"]))
        }
        printf "\n| ratio | whole iteration (mean) | net of the wrapper (mean) | net (median) |\n|---|---:|---:|---:|\n"
        ratio("init.sh", "keel-exec", "set up, then exec (the same job)")
        ratio("init.sh", "keel", "keel supervising instead")
        a = mean["init.sh"] - mean["sh"]; b = mean["keel-exec"] - mean["keel-nocg"]
        printf "\nthe set-up alone (each minus a run of the same program that only execs):\n"
        printf "init.sh %.2f ms, keel %.2f ms: %s\n", a, b, q(a, b)
        if ("floor" in mean) {
            f = mean["floor"] - mean["wrapper"]
            printf "the kernel'"'"'s share (floor - wrapper): %.2f ms; above it, init.sh costs %.2f ms, keel --exec %.2f ms: %s\n",
                f, mean["init.sh"] - mean["floor"], mean["keel-exec"] - mean["floor"],
                q(mean["init.sh"] - mean["floor"], mean["keel-exec"] - mean["floor"])
        }
        if (failed) { printf "%d iterations failed: the numbers are not comparable\n", failed > "/dev/stderr"; exit 1 }
    }'
