#!/bin/sh
# The guest side of scripts/fuzz-vm.sh (and crates/keel/tests/vm/fuzz-regressions.sh): the
# workload of keel booted as the VM's init. Runs every case in /fuzz/cases/*/ in turn, each
# as keel PID 1 of fresh pid + mount + cgroup (+ user) namespaces (/fuzz/fuzz-ns), in a
# cgroup of its own under /fuzz, with a per-case timeout (FZ_TIMEOUT seconds, default 10).
# For each case it prints a block on the console that the host evaluates (fuzz-lib.sh):
#   FZ-CASE NAME exit N | signal N | timeout     how keel ended
#   FZ-ERR NAME LINE                              each line keel wrote on stderr
#   FZ-OUT NAME FZ-RAN | FZ-FAIL ...              the payload's verdicts
#   FZ-LEAK NAME what                             something left in the outer namespaces
#   FZ-KMSG NAME LINE                             a kernel oops, warning, bug or panic
#   FZ-END NAME
# and "FZ-DONE N" at the end. Everything else it needs comes from the case directories.
set -eu
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
cg=/sys/fs/cgroup
timeout=${FZ_TIMEOUT:-10}

# The cgroup tree the cases live under: every controller enabled down to /fuzz, so a case's
# cgroup offers them all to keel. keel's machine mode mounts no cgroup2 without a config.
grep -q " $cg cgroup2 " /proc/mounts || mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $cg
mkdir -p $cg/fuzz
read -r controllers <$cg/cgroup.controllers
for c in $controllers; do
    echo "+$c" >$cg/cgroup.subtree_control
    echo "+$c" >$cg/fuzz/cgroup.subtree_control
done

# The namespaces keel starts in, for the payloads' "is this namespace new" checks.
mkdir -p /fuzz/outer-ns
for ns in uts ipc net time; do
    readlink /proc/self/ns/$ns >/fuzz/outer-ns/$ns
done
# Markers every case inherits, for the env_clear and env_unset checks.
export FZ_OUTER=1 FZ_MARK=1

# Baselines of the outer namespaces: mounts, cgroups outside the cases', user processes.
# The loop below forks little: under TCG every process costs milliseconds.
state=/tmp/fz-state
mkdir -p $state
cat /proc/self/mountinfo >$state/mounts
find $cg -type d ! -path "$cg/fuzz/*" >$state/cgroups
dmesg -c >/dev/null

n=0
for dir in /fuzz/cases/*/; do
    dir=${dir%/}
    [ -f "$dir/config.cfg" ] || continue
    name=${dir##*/}
    n=$((n + 1))
    # Fresh directories for the overlays with a persistent upper layer.
    rm -rf /tmp/fzu
    mkdir -p /tmp/fzu/upper /tmp/fzu/work
    # A cgroup per case: one a case leaves populated cannot get in the next one's way.
    case_cg=$cg/fuzz/c$n
    mkdir "$case_cg"
    read -r userns <"$dir/userns"
    u=
    [ "$userns" = 1 ] && u=-u
    /fuzz/fuzz-ns $u -t "$timeout" -r $state/result "$case_cg" \
        /sbin/keel -c "$dir/config.cfg" </dev/null >$state/out 2>$state/err ||
        echo "fuzz-ns failed" >$state/result
    read -r result <$state/result
    echo "FZ-CASE $name $result"
    # Long lines (odd bytes from a mutated config) are cut.
    [ -s $state/err ] && sed "s|^\(.\{0,300\}\).*|FZ-ERR $name \1|" $state/err
    sed -n "/^FZ-\(RAN\|FAIL\)/s|^\(.\{0,300\}\).*|FZ-OUT $name \1|p" $state/out

    if ! cmp -s /proc/self/mountinfo $state/mounts; then
        echo "FZ-LEAK $name mounts: $(diff $state/mounts /proc/self/mountinfo | grep '^[-+][0-9]' | head -n 3 | tr '\n' ' ')"
        cat /proc/self/mountinfo >$state/mounts
    fi
    find $cg -type d ! -path "$cg/fuzz/*" >$state/cgroups.now
    if ! cmp -s $state/cgroups $state/cgroups.now; then
        echo "FZ-LEAK $name cgroups: $(diff $state/cgroups $state/cgroups.now | grep '^[-+]/' | head -n 3 | tr '\n' ' ')"
        mv $state/cgroups.now $state/cgroups
    fi
    # User processes other than keel (pid 1), this shell and ps: kernel threads are shown
    # in brackets. The case's pid namespace died with keel, so none should be left.
    ps -o pid,ppid,args >$state/ps
    others=
    while read -r pid ppid args; do
        case $pid/$ppid/$args in PID/* | 1/* | $$/* | */$$/* | */\[*) continue ;; esac
        others="$others [$pid $args]"
    done <$state/ps
    [ -z "$others" ] || echo "FZ-LEAK $name processes:$others"
    # The case's cgroups go, deepest first; one that cannot be removed still holds a process.
    find "$case_cg" -depth -type d -exec rmdir {} + 2>/dev/null ||
        echo "FZ-LEAK $name cannot remove its cgroups: $(find "$case_cg" -name cgroup.procs -exec cat {} + | tr '\n' ' ')"
    dmesg -c >$state/kmsg
    if grep -qE 'Oops|WARNING:|BUG:|Kernel panic|Call Trace|general protection' $state/kmsg; then
        grep -E 'Oops|WARNING:|BUG:|Kernel panic|Call Trace|general protection' $state/kmsg |
            sed "s|^\(.\{0,300\}\).*|FZ-KMSG $name \1|"
    fi
    echo "FZ-END $name"
done
echo "FZ-DONE $n"
