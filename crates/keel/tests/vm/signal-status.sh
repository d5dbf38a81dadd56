# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Machine mode (issue #2): a workload killed by signal N is reported as 128+N.
DESCRIPTION="workload killed by SIGTERM is reported as status 143"
KEEL_ARGS=(-- /bin/sh -c 'kill -TERM $$; sleep 5; exit 99')
EXPECT_STATUS=143
EXPECT_CONSOLE=('keel: workload exited with status 143')
