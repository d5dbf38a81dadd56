# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# The workload itself is a memory hog in a delegate with memory.max = 32M: the kernel's OOM
# killer kills it (SIGKILL) inside its cgroup, and keel, in /init outside the limit, reports
# status 137 and powers off.
DESCRIPTION="a workload over memory.max 32M in its delegate is OOM-killed; keel reports 137"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
cg_box_config oom '["/bin/sh", "-c", "echo cgroup-oom: hog in $(cat /proc/self/cgroup), memory.max $(cat /sys/fs/cgroup/box/memory.max); x=0123456789abcdef; while :; do x=$x$x; done"]' \
    '{ "memory.max" = "32M" }'
KEEL_ARGS=(-c /etc/keel/oom.cfg)
EXPECT_STATUS=137
EXPECT_CONSOLE=('cgroup-oom: hog in 0::/box, memory.max 33554432' 'Memory cgroup out of memory: Killed process'
    'keel: workload exited with status 137')
REJECT_CONSOLE=('keel: (cgroup|warning):')
