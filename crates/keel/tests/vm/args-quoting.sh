# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# keel hands its argv after `--` to the workload untouched (spaces, quotes, empty words).
DESCRIPTION="workload argv survives: 'a b', \"it's\", '' and a * glob"
KEEL_ARGS=(-- /bin/sh -c '
    [ "$#" = 4 ] && [ "$1" = "a b" ] && [ "$2" = "it'\''s" ] && [ "$3" = "" ] && [ "$4" = "*" ] &&
        echo "args-quoting: ok" && exit 0
    echo "args-quoting: got $# args: $*"; exit 1' sh 'a b' "it's" '' '*')
EXPECT_STATUS=0
EXPECT_CONSOLE=('args-quoting: ok')
