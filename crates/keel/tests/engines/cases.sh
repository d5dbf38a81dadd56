# shellcheck shell=bash
# The engine cases: one function case_NAME each, run by scripts/engine-tests.sh in a subshell
# once per engine with ENGINE (docker or podman), E (the engine's command), run_ctr (`E run
# --rm` with this host's flags), RUN_FLAGS, INIT_FLAGS (--init with keel as the engine's
# init), KEEL and KEEL_SHA (the keel under test, bind-mounted by --init), and the images
# IMG_PLAIN (busybox and keel, no ENTRYPOINT), IMG_ENTRY (ENTRYPOINT keel --grace 2s --) and
# IMG_EMBEDDED (ENTRYPOINT a keel with an embedded config, no flags). A case fails by
# returning non-zero; `expect` says what differed. ONLY_<name>=docker limits a case to docker.

# expect WHAT EXPECTED ACTUAL
expect() {
    if [[ $2 == "$3" ]]; then
        echo "ok: $1: $3"
    else
        echo "FAILED: $1: expected '$2', got '$3'"
        return 1
    fi
}

# expect_match WHAT ERE TEXT
expect_match() {
    if [[ $3 =~ $2 ]]; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no match for /$2/ in: $3"
        return 1
    fi
}

applies_to_engine() {
    local only="ONLY_$1"
    [[ -z ${!only:-} || ${!only} == "$ENGINE" ]]
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# wait_log CONTAINER TEXT: until the container's output has TEXT (10 s at most).
wait_log() {
    for _ in $(seq 100); do
        E logs "$1" 2>&1 | grep -q -- "$2" && return 0
        sleep 0.1
    done
    echo "FAILED: no '$2' in the output of $1:"
    E logs "$1" 2>&1 | tail -5
    return 1
}

# A detached container NAME that is removed when the case ends.
detached() {
    local name=$1
    shift
    E rm -f "$name" >/dev/null 2>&1 || true
    # shellcheck disable=SC2064 # the name is fixed now
    trap "E rm -f $name >/dev/null 2>&1 || true" EXIT
    E run -d --name "$name" "${RUN_FLAGS[@]}" "$@" >/dev/null
}

exit_code() {
    E inspect -f '{{.State.ExitCode}}' "$1"
}

# timed_stop CONTAINER STATUS: once it says "ready", `E stop` it; it must end with STATUS.
# STOP_MS is how long the stop took.
timed_stop() {
    wait_log "$1" ready || return 1
    local t0
    t0=$(now_ms)
    E stop "$1" >/dev/null
    STOP_MS=$(($(now_ms) - t0))
    echo "stop took $STOP_MS ms"
    expect "status after stop" "$2" "$(exit_code "$1")"
}

# The exit status of PROGRAM in the ENTRYPOINT keel: its own, 128+N for a signal N, and
# keel's 127 for a program that is not there.
case_exit_codes() {
    local rc
    rc=0; run_ctr "$IMG_ENTRY" sh -c 'exit 3' || rc=$?
    expect "exit 3" 3 "$rc" || return 1
    rc=0; run_ctr "$IMG_ENTRY" sh -c 'kill -USR1 $$' || rc=$?
    expect "killed by SIGUSR1" 138 "$rc" || return 1
    rc=0; run_ctr "$IMG_ENTRY" sh -c 'kill -KILL $$' || rc=$?
    expect "killed by SIGKILL" 137 "$rc" || return 1
    rc=0; run_ctr "$IMG_ENTRY" /nonexistent 2>/dev/null || rc=$?
    expect "a missing program" 127 "$rc"
}

# `E stop` sends SIGTERM to keel, which forwards it: a workload that handles it exits with
# its own status, at once.
case_stop_handled() {
    detached keel-stop-term "$IMG_ENTRY" \
        sh -c 'trap "echo got-TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
    timed_stop keel-stop-term 7 || return 1
    wait_log keel-stop-term got-TERM || return 1
    ((STOP_MS < 5000)) || { echo "FAILED: stop took $STOP_MS ms"; return 1; }
}

# A workload that ignores SIGTERM: keel's grace (2 s in the image) then SIGKILL, 137, well
# before the engine's own kill after 10 s.
case_stop_ignored() {
    detached keel-stop-ignored "$IMG_ENTRY" \
        sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
    timed_stop keel-stop-ignored 137 || return 1
    ((STOP_MS >= 1500 && STOP_MS < 8000)) ||
        { echo "FAILED: stop took $STOP_MS ms, not keel's 2 s grace"; return 1; }
}

# `E kill -s HUP` and `-s USR1` reach the workload through keel.
case_signals_forwarded() {
    detached keel-signals "$IMG_ENTRY" sh -c \
        'trap "echo got-HUP" HUP; trap "echo got-USR1" USR1; echo ready; while :; do sleep 0.1; done'
    wait_log keel-signals ready || return 1
    E kill -s HUP keel-signals >/dev/null
    wait_log keel-signals got-HUP || return 1
    E kill -s USR1 keel-signals >/dev/null
    wait_log keel-signals got-USR1
}

# With -t the workload's process group is the terminal's foreground group.
case_tty_foreground() {
    local out
    out=$(run_ctr -t "$IMG_ENTRY" sh -c \
        'read -r _ _ _ _ pgrp _ _ tpgid _ < /proc/self/stat; echo "pgrp=$pgrp tpgid=$tpgid"' </dev/null |
        tr -d '\r')
    expect_match "-t: the workload holds the terminal" '^pgrp=([0-9]+) tpgid=\1$' "$out"
}

# With -it under a real terminal, Ctrl-C reaches the workload (its foreground group), which
# handles SIGINT and exits with its own status.
case_tty_ctrl_c() {
    local cmd=("${ENGINE_CMD[@]}" run --rm -it "${RUN_FLAGS[@]}" "$IMG_ENTRY" sh -c
        'trap "echo got-INT; exit 9" INT; echo ready; while :; do sleep 0.1; done')
    python3 - "${cmd[@]}" <<'EOF'
import os, pty, select, sys, time

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
def read_until(token, seconds):
    global out
    end = time.time() + seconds
    while token not in out and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
read_until(b"ready", 30)
os.write(fd, b"\x03")
read_until(b"\0", 15)  # to the end of the output
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(out.decode(errors="replace"))
print("exit", code)
if b"got-INT" not in out or code != 9:
    print("FAILED: expected got-INT and exit 9")
    sys.exit(1)
print("ok: Ctrl-C reached the workload")
EOF
}

# Orphans the workload leaves are reaped by keel: nothing but keel, the workload and its
# sleep is left, and no zombie.
case_orphans_reaped() {
    detached keel-orphans "$IMG_ENTRY" \
        sh -c 'for i in 1 2 3 4 5; do (sleep 0.2 &); done; echo ready; exec sleep 60'
    wait_log keel-orphans ready || return 1
    sleep 1.5
    local top
    top=$(E top keel-orphans)
    echo "$top"
    if grep -q -i "defunct\|<zombie>" <<<"$top"; then
        echo "FAILED: a zombie is left"
        return 1
    fi
    # The header, keel and `sleep 60`.
    expect "processes left" 3 "$(wc -l <<<"$top")"
}

# --init: the engine runs keel as the container's init, before the image's command.
case_init_flag() {
    local out rc=0
    out=$(run_ctr "${INIT_FLAGS[@]}" "$IMG_PLAIN" sh -c \
        'tr "\0" " " </proc/1/cmdline; echo; /proc/1/exe --version; exit 5' 2>"$STATE/init.err") || rc=$?
    echo "$out"
    expect "status" 5 "$rc" || return 1
    expect_match "PID 1 is the engine's init" '^/(sbin/docker-init|run/podman-init) -- sh -c' "$out" || return 1
    expect_match "the init is keel" 'tini version keel-' "$out" || return 1
    expect "keel's stderr" "" "$(cat "$STATE/init.err")"
}

# A FROM scratch image whose keel carries its config runs with no flags at all.
case_embedded_config() {
    local out rc=0
    out=$(run_ctr "$IMG_EMBEDDED") || rc=$?
    expect "output" embedded-ok "$out" || return 1
    expect "status" 4 "$rc"
}

# With CAP_SYS_ADMIN and --init, keel (bind-mounted from the host onto the placeholder) seals
# itself: /proc/1/exe is a sealed memfd copy, a write to it fails, the host's file is intact.
case_sealed_init() {
    local out rc=0
    out=$(run_ctr "${INIT_FLAGS[@]}" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
        "$IMG_PLAIN" sh -c 'readlink /proc/1/exe; if echo x >>/proc/1/exe; then echo WROTE; fi' \
        2>"$STATE/sealed.err") || rc=$?
    echo "$out"
    cat "$STATE/sealed.err"
    expect "status" 0 "$rc" || return 1
    expect_match "/proc/1/exe is a sealed copy" '^/memfd:keel' "$out" || return 1
    if grep -q WROTE <<<"$out"; then echo "FAILED: the write went through"; return 1; fi
    if grep -q "running unsealed" "$STATE/sealed.err"; then echo "FAILED: unsealed"; return 1; fi
    expect "the host's keel" "$KEEL_SHA" "$(sha256sum "$KEEL" | cut -d' ' -f1)"
}

# A sandbox config inside a container given CAP_SYS_ADMIN and seccomp=unconfined: keel's own
# namespaces, a hostname, a writable overlay whose writes stay inside, a fresh proc.
case_sandbox_in_container() {
    local out rc=0
    out=$(run_ctr --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
        --security-opt apparmor=unconfined "$IMG_PLAIN" sh -c \
        '/sbin/keel -c /etc/keel/sandbox.cfg -- sh -c "hostname; cat /srv/lower.txt; echo new >/srv/new.txt && cat /srv/new.txt; grep -c \" /srv overlay \" /proc/self/mounts"; echo "keel $?"; hostname; ls /srv' \
        2>&1) || rc=$?
    echo "$out"
    expect "status" 0 "$rc" || return 1
    local container_host
    container_host=$(sed -n 6p <<<"$out")
    expect "inside" "sandboxed
lower
new
1
keel 0
$container_host
lower.txt" "$out" || return 1
    [[ $container_host != sandboxed ]] || { echo "FAILED: the hostname leaked"; return 1; }
}

# This host's cgroups are v1/hybrid: keel's [cgroup] section refuses, in one line, as it
# does outside a container.
case_cgroup_refused() {
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] ||
        { echo "FAILED: written for a cgroup v1/hybrid host; this one is cgroup v2"; return 1; }
    local out rc=0
    out=$(run_ctr "$IMG_PLAIN" /sbin/keel -c /etc/keel/cgroup.cfg -- true 2>&1) || rc=$?
    echo "$out"
    expect "status" 125 "$rc" || return 1
    expect "lines" 1 "$(wc -l <<<"$out")" || return 1
    expect_match "the cgroup step's error" '^keel: cgroup: /sys/fs/cgroup: .*cgroup v2' "$out"
}

# `docker info` runs the init's --version and shows its commit as the init version.
ONLY_docker_info=docker
case_docker_info() {
    local commit
    commit=$("$KEEL" --version | sed -n 's/^tini version keel-[^ ]* - git\.//p')
    expect_match "keel's --version names its commit" '^[0-9a-z]{7}$' "$commit" || return 1
    expect "docker info's init version" "$commit" "$(E info --format '{{.InitCommit.ID}}')"
}

# The Dockerfiles of examples/, built by the engine from the files themselves. No registry is
# reachable here, so their base images are the busybox image IMG_PLAIN (--build-arg), and the
# multi-stage build's builder stage finds the keel the host built in its context instead of
# compiling it (examples/Dockerfile.multistage says how it decides).
# example_image NAME DOCKERFILE CONTEXT ARGS…: builds localhost/keel-test:NAME.
example_image() {
    local name=$1 file=$2 ctx=$3
    shift 3
    E build -q -t "localhost/keel-test:$name" "$@" -f "$ROOT/examples/$file" "$ctx" >/dev/null ||
        { echo "FAILED: $ENGINE build of examples/$file"; return 1; }
    echo "ok: built examples/$file"
}

# examples/Dockerfile.benchexec: keel as PID 1 with examples/benchexec.toml as /etc/keel.cfg,
# in place of BenchExec's init.sh. This host's cgroups are v1/hybrid, so keel reads the config
# and refuses its [cgroup] step in one line (case_cgroup_refused does the same with -c).
case_example_benchexec() {
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] ||
        { echo "FAILED: written for a cgroup v1/hybrid host; this one is cgroup v2"; return 1; }
    local ctx=$STATE/example-benchexec out rc=0
    mkdir -p "$ctx"
    cp "$KEEL" "$ctx/keel"
    "$KEEL_GEN" build -o "$ctx/keel.cfg" "$ROOT/examples/benchexec.toml" || return 1
    example_image benchexec Dockerfile.benchexec "$ctx" --build-arg BASE="$IMG_PLAIN" || return 1
    out=$(run_ctr localhost/keel-test:benchexec true 2>&1) || rc=$?
    echo "$out"
    expect "status" 125 "$rc" || return 1
    expect "lines" 1 "$(wc -l <<<"$out")" || return 1
    expect_match "the config's cgroup step ran" '^keel: cgroup: /sys/fs/cgroup: .*cgroup v2' "$out"
}

# examples/Dockerfile.init: an image without an init, run with --init: keel is PID 1.
case_example_init() {
    local ctx=$STATE/example-init out rc=0
    mkdir -p "$ctx"
    example_image init Dockerfile.init "$ctx" --build-arg BASE="$IMG_PLAIN" || return 1
    out=$(run_ctr "${INIT_FLAGS[@]}" localhost/keel-test:init 2>"$STATE/example-init.err") || rc=$?
    echo "$out"
    expect "status" 0 "$rc" || return 1
    expect_match "PID 1 is the engine's init" '^/(sbin/docker-init|run/podman-init) -- sh -c' "$out" || return 1
    expect_match "the init is keel" 'tini version keel-' "$out" || return 1
    expect "keel's stderr" "" "$(cat "$STATE/example-init.err")"
}

# examples/Dockerfile.multistage: keel copied from the builder stage into a FROM scratch image
# that holds nothing else; its ENTRYPOINT keel runs what it is given.
case_example_multistage() {
    local ctx=$STATE/example-multistage out rc=0
    mkdir -p "$ctx/target/release"
    cp "$KEEL" "$ctx/target/release/keel"
    example_image multistage Dockerfile.multistage "$ctx" --build-arg BUILDER="$IMG_PLAIN" || return 1
    out=$(run_ctr localhost/keel-test:multistage /keel --version) || rc=$?
    expect "status" 0 "$rc" || return 1
    expect_match "keel -- /keel --version" '^tini version keel-' "$out" || return 1
    # The default CMD is the program you add: without it, keel's one line and 127.
    rc=0
    out=$(run_ctr localhost/keel-test:multistage 2>&1) || rc=$?
    echo "$out"
    expect "status without /app" 127 "$rc" || return 1
    expect_match "keel names the missing program" '^keel: exec /app: ENOENT' "$out" || return 1
    # Nothing but keel: no shell to run.
    rc=0
    run_ctr localhost/keel-test:multistage /bin/sh -c true 2>/dev/null || rc=$?
    expect "no /bin/sh in the image" 127 "$rc"
}

# Services alone (services.toml, no [process]): db, web once db is ready, worker once web
# is (each says "NAME-up" before it writes its readiness line; the last says "ready");
# `E stop` stops them in reverse order, web with its own stop signal (QUIT), each exiting by
# itself within its grace (0.3 s after its signal), and keel exits 0.
case_services_ordered() {
    detached keel-services "$IMG_PLAIN" /sbin/keel -c /etc/keel/services.cfg
    timed_stop keel-services 0 || return 1
    ((STOP_MS < 5000)) || { echo "FAILED: stop took $STOP_MS ms, past the services' grace"; return 1; }
    local out
    out=$(E logs keel-services 2>&1)
    echo "$out"
    expect "start in order, stop in reverse" "db-start
db-up
web-start
web-up
worker-start
ready
worker-got-TERM
worker-exit
web-got-QUIT
web-exit
db-got-TERM
db-exit" "$out"
}
