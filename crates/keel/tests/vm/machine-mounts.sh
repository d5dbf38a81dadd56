# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Machine mode (issue #2): keel is the kernel's PID 1 (via the stage's exec), it mounts
# /proc, /sys, /dev and /run, and the workload is its child.
DESCRIPTION="keel is PID 1 and has mounted /proc /sys /dev /run before the workload runs"
WORKLOAD='
bad=0
fail() { echo "machine-mounts: FAIL: $*"; bad=1; }
[ -r /proc/self/stat ] || { echo "machine-mounts: FAIL: /proc is not mounted"; exit 1; }
comm=$(cat /proc/1/comm)
[ "$comm" = keel ] || fail "/proc/1/comm is \"$comm\", want keel"
tr "\0" " " </proc/1/cmdline | sed "s/^/machine-mounts: pid 1 cmdline: /"; echo
ppid=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$$/status)
[ "$ppid" = 1 ] || fail "the workload parent is pid $ppid, want 1 (keel)"
[ "$$" != 1 ] || fail "the workload itself is pid 1"
# mountinfo: field 5 is the mount point, the field after "-" is the type.
fstype() { awk -v m="$1" "\$5 == m { for (i = 6; i <= NF; i++) if (\$i == \"-\") { t = \$(i + 1) } } END { print t }" /proc/self/mountinfo; }
for want in /proc:proc /sys:sysfs /dev:devtmpfs /run:tmpfs; do
    mp=${want%%:*}; ty=${want#*:}; got=$(fstype "$mp")
    echo "machine-mounts: $mp is ${got:-not mounted}"
    [ "$got" = "$ty" ] || fail "$mp is \"${got:-not mounted}\", want $ty"
done
[ -c /dev/null ] || fail "/dev/null is not a character device"
[ -c /dev/console ] || fail "/dev/console is not a character device"
echo probe >/run/probe && [ "$(cat /run/probe)" = probe ] || fail "/run is not writable"
[ -d /sys/fs/cgroup ] || fail "/sys/fs/cgroup does not exist"
[ "$bad" = 0 ] && echo "machine-mounts: all checks passed"
exit "$bad"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('machine-mounts: all checks passed' 'keel: workload exited with status 0')
