# shellcheck shell=bash disable=SC2034 # the variables are read by scripts/vm-tests.sh
# BenchExec's documented podman command (doc/benchexec-in-container.md) in the guest, with
# keel -c benchexec.cfg (preset = "benchexec") as the container's PID 1: runexec
# --memlimit 100MB --timelimit 10s -- /bin/echo reports returnvalue=0 and the memory it
# measured; the same container with no init must make runexec fail (the negative control).
# How: support/benchexec-lib.sh and support/benchexec-root.sh.
DESCRIPTION="BenchExec's podman command: runexec with --memlimit/--timelimit succeeds under keel's preset benchexec, fails without an init"
# shellcheck source=crates/keel/tests/vm/support/benchexec-lib.sh
. "$CASE_DIR/support/benchexec-lib.sh"
bx_case podman /usr/bin/podman /usr/bin/crun /usr/bin/conmon
TIMEOUT=120
