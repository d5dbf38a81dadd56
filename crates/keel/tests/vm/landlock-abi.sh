# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# keel fits a Landlock ruleset to each kernel's ABI (6.1 has ABI 2, 6.12 ABI 6): filesystem
# rules hold on both; the signal scope (ABI 6) holds on 6.12, and on 6.1 it is dropped with a
# warning, or, for a required ruleset, keel refuses to start with one line naming the ABI.
DESCRIPTION="landlock: filesystem rules on both kernels, ABI 6 scope enforced, dropped or refused by ABI"
# shellcheck source=crates/keel/tests/vm/support/cgroup-lib.sh
. "$CASE_DIR/support/cgroup-lib.sh"
for required in false true; do
    cg_config "scoped-$required" <<EOF
[process]
no_new_privileges = true
[landlock]
required = $required
# ABI 1 rights, which both kernels enforce: only the scope depends on the ABI.
handled_fs = ["execute", "read", "write_file"]
scoped = ["signal"]
[[landlock.path]]
path = "/bin"
access = ["read", "execute"]
[[landlock.path]]
path = "/proc"
access = ["read"]
[[landlock.path]]
path = "/dev/null"
access = ["write_file"]
EOF
done
KEEL_ARGS=(-- /test/workload)
WORKLOAD='#!/bin/sh
bad=0
fail() { echo "landlock-abi: FAIL: $*"; bad=1; }
# The rules: /etc is not granted; the parent (keel, outside the domain) may not be signalled
# where the signal scope is enforced.
probe='\''cat /etc/hostname >/dev/null 2>&1 && echo etc-read; kill -0 $PPID 2>/dev/null && echo signalled; echo ran'\''
abi6=0
case $(uname -r) in 6.1.*) ;; *) abi6=1 ;; esac

/sbin/keel -c /etc/keel/scoped-false.cfg -- /bin/sh -c "$probe" >/tmp/out 2>/tmp/err
st=$?
sed "s/^/landlock-abi: best effort: /" /tmp/out /tmp/err
[ "$st" = 0 ] || fail "best effort: keel exited with $st"
grep -q etc-read /tmp/out && fail "best effort: /etc was readable"
if [ $abi6 = 1 ]; then
    [ "$(cat /tmp/out)" = ran ] || fail "best effort: the signal scope did not hold"
    [ -s /tmp/err ] && fail "best effort: keel warned on an ABI 6 kernel"
else
    [ "$(cat /tmp/out)" = "$(printf "signalled\nran")" ] || fail "best effort: want signalled+ran on ABI 2"
    grep -qxF "keel: warning: landlock: ABI 2 cannot enforce scope rights 0x2 (LANDLOCK_* bits); they stay unrestricted" /tmp/err ||
        fail "best effort: no warning naming ABI 2 and the scope"
fi

/sbin/keel -c /etc/keel/scoped-true.cfg -- /bin/sh -c "$probe" >/tmp/out 2>/tmp/err
st=$?
sed "s/^/landlock-abi: required: /" /tmp/out /tmp/err
if [ $abi6 = 1 ]; then
    [ "$st" = 0 ] && [ "$(cat /tmp/out)" = ran ] || fail "required: status $st, want 0 and the rules held"
else
    [ "$st" = 125 ] || fail "required: keel exited with $st, want 125"
    [ -s /tmp/out ] && fail "required: the workload ran"
    [ "$(cat /tmp/err)" = "keel: landlock: ABI 2 cannot enforce scope rights 0x2 (LANDLOCK_* bits); the ruleset is required: a newer kernel, or restrict only what this one enforces" ] ||
        fail "required: unexpected message"
fi
[ "$bad" = 0 ] && echo "landlock-abi: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('landlock-abi: all checks passed')
REJECT_CONSOLE=('FAIL')
