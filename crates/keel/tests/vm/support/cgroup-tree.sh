#!/bin/sh
# cgroup-tree.sh [ROOT]: one line per cgroup directory under ROOT (default /sys/fs/cgroup),
# sorted, in a form the host parses (crates/keel/tests/vm/support/cgroup-lib.sh cg_tree):
#   TREE <path relative to ROOT, "/" for ROOT>|<cgroup.subtree_control>|<1 if cgroup.procs lists a process, else 0>
# (cgroupfs files report size 0, so "has processes" is a read of the first line.)
root=${1:-/sys/fs/cgroup}
find "$root" -type d | sort | while read -r d; do
    rel=${d#"$root"}
    [ -n "$rel" ] || rel=/
    sub=""
    read -r sub <"$d/cgroup.subtree_control" || true
    procs=0
    read -r _ <"$d/cgroup.procs" && procs=1
    echo "TREE $rel|$sub|$procs"
done
