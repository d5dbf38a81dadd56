# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Machine mode (issue #2): the workload's exit status comes back as keel's status line.
DESCRIPTION="workload 'exit 7' is reported as status 7, then keel powers off"
KEEL_ARGS=(-- /bin/sh -c 'exit 7')
EXPECT_STATUS=7
EXPECT_CONSOLE=('keel: workload exited with status 7' 'reboot: Power down')
