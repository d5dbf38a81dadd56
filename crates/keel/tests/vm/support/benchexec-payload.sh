#!/bin/sh
# The container's workload in crates/keel/tests/vm/benchexec-*.sh: BenchExec's runexec
# (from its wheel, the guide's "PYTHONPATH=benchexec.whl python3 -m benchexec.runexecutor")
# with a memory and a time limit, then the tool's output file.
echo "payload: pid 1 is $(cat /proc/1/comm), in cgroup $(cat /proc/self/cgroup)"
# A directory of its own per run (the two runs must not share an output.log), outside the
# /tmp that runexec 3.35 hides by default; with fuse-overlayfs for / it must be hidden
# (else "BenchExec needs to use fuse-overlayfs but the directory mode of the temp directory
# is ...": a deadlock, says BenchExec's container.py).
cd "$(mktemp -d /bx-work/run.XXXXXX)" || exit 1
rc=0
PYTHONPATH=/test/benchexec.whl /usr/bin/python3 -m benchexec.runexecutor --memlimit 100MB --timelimit 10s \
    -- /bin/echo tool-ran || rc=$?
[ -f output.log ] && sed 's/^/output.log: /' output.log
exit "$rc"
