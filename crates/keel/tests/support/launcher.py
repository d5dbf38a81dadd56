#!/usr/bin/env python3
"""A launcher of keel, as a sandbox library or CI runner drives bubblewrap: it passes keel a
status pipe (fd 10) and a block pipe (fd 11), and checks what keel says and when.

usage: launcher.py --dir DIR --keys KEY,... --end exit|signal -- COMMAND...

COMMAND runs keel with `--status-fd 10 --block-fd 11` (or the same in its config) and the
workload `launcher.py --workload DIR`, which writes its own pid (as its pid namespace sees
it) to DIR/started, then waits for DIR/go and exits 7 or kills itself with SIGKILL (DIR/end).

The launcher checks, in order: the first status line is one JSON object with "child-pid"
and exactly the namespace KEYS; the process is still keel's (not the workload) and
DIR/started is absent while the block byte is unwritten; after the byte, the workload starts
in that very process (its NSpid ends with the pid it wrote), in the reported namespaces, and
holds neither pipe; the second line is the exit status keel then exits with; then EOF.
Each check that passed prints one `ok:` line; any failure exits 1 with the reason.
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time

STATUS_FD, BLOCK_FD = 10, 11
TIMEOUT = 15.0
# keel, and the directory its workload waits in, for fail() to end the run.
RUN = {}


def fail(why):
    print(f"launcher: FAIL: {why}", flush=True)
    if "keel" in RUN:
        open(os.path.join(RUN["dir"], "go"), "w").close()
        RUN["keel"].kill()
    sys.exit(1)


def ok(what):
    print(f"ok: {what}", flush=True)


def read_line(fd, buf):
    """One line from fd, within TIMEOUT; None at EOF."""
    deadline = time.monotonic() + TIMEOUT
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            fail("no status line in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            if buf:
                fail(f"a partial line at EOF: {bytes(buf)!r}")
            return None
        buf.extend(chunk)
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return line.decode()


def wait_for(path):
    deadline = time.monotonic() + TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            fail(f"{path} did not appear")
        time.sleep(0.01)


def pipe_inode(fd):
    return os.stat(fd).st_ino


def workload(directory):
    with open(os.path.join(directory, "started.tmp"), "w") as f:
        f.write(str(os.getpid()))
    os.rename(os.path.join(directory, "started.tmp"), os.path.join(directory, "started"))
    wait_for(os.path.join(directory, "go"))
    with open(os.path.join(directory, "end")) as f:
        end = f.read()
    if end == "signal":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.exit(7)


def launch(args):
    started = os.path.join(args.dir, "started")
    with open(os.path.join(args.dir, "end"), "w") as f:
        f.write(args.end)
    status_r, status_w = os.pipe()
    block_r, block_w = os.pipe()
    os.dup2(status_w, STATUS_FD)
    os.dup2(block_r, BLOCK_FD)
    os.close(status_w)
    os.close(block_r)
    pipes = {pipe_inode(STATUS_FD), pipe_inode(BLOCK_FD)}
    keel = subprocess.Popen(args.command, pass_fds=(STATUS_FD, BLOCK_FD))
    RUN.update(keel=keel, dir=args.dir)
    os.close(STATUS_FD)
    os.close(BLOCK_FD)
    buf = bytearray()

    first = read_line(status_r, buf)
    if first is None:
        fail(f"EOF before the first line; keel exited {keel.wait()}")
    info = json.loads(first)
    pid = info.pop("child-pid")
    want = set(filter(None, args.keys.split(",")))
    if set(info) != {f"{k}-namespace" for k in want}:
        fail(f"namespace keys {sorted(info)}, wanted {sorted(want)}: {first}")
    ok(f"first line {first}")

    time.sleep(0.3)
    if os.path.exists(started):
        fail("the workload started before the block byte")
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        before = f.read().split(b"\0")[0]
    if not before.endswith(b"keel"):
        fail(f"child-pid {pid} is {before!r} before the block byte, not keel's process")
    ok("blocked: no workload yet, child-pid is keel's forked process")

    os.write(block_w, b"x")
    os.close(block_w)
    wait_for(started)
    with open(started) as f:
        own_pid = f.read()
    with open(f"/proc/{pid}/status") as f:
        nspid = next(l.split()[1:] for l in f if l.startswith("NSpid:"))
    if nspid[0] != str(pid) or nspid[-1] != own_pid:
        fail(f"child-pid {pid}: NSpid {nspid}, the workload says it is {own_pid}")
    for key, inode in info.items():
        kind = key.removesuffix("-namespace")
        real = os.stat(f"/proc/{pid}/ns/{kind}").st_ino
        if real != inode:
            fail(f"{key}: reported {inode}, /proc/{pid}/ns/{kind} is {real}")
        if real == os.stat(f"/proc/self/ns/{kind}").st_ino:
            fail(f"{key}: {real} is the launcher's own, not a new one")
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            held.add(os.stat(f"/proc/{pid}/fd/{fd}").st_ino)
        except FileNotFoundError:
            pass
    if held & pipes:
        fail(f"the workload holds a launcher pipe: fds {os.listdir(f'/proc/{pid}/fd')}")
    ok(f"child-pid {pid} is the workload (NSpid {' '.join(nspid)}), in the reported namespaces, without the pipes")

    open(os.path.join(args.dir, "go"), "w").close()
    second = read_line(status_r, buf)
    if second is None:
        fail("EOF before the exit line")
    end = json.loads(second)
    want_end = {"signal": 9, "exit-code": 137} if args.end == "signal" else {"exit-code": 7}
    if end != want_end:
        fail(f"exit line {second}, wanted {json.dumps(want_end)}")
    ok(f"exit line {second}")
    try:
        code = keel.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        keel.kill()
        fail("keel did not exit")
    if code != end["exit-code"]:
        fail(f"keel exited {code}, the exit line says {end['exit-code']}")
    extra = read_line(status_r, buf)
    if extra is not None:
        fail(f"a line after the exit line: {extra}")
    ok(f"keel exited {code}, then EOF")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", metavar="DIR")
    p.add_argument("--dir")
    p.add_argument("--keys", default="")
    p.add_argument("--end", choices=["exit", "signal"])
    p.add_argument("command", nargs="*")
    args = p.parse_args()
    if args.workload:
        workload(args.workload)
    launch(args)


if __name__ == "__main__":
    main()
