//! keel's PID-1 behaviour, tested by running the real static binary: as a plain child (where it
//! makes itself a subreaper) and as PID 1 of a fresh pid namespace (`unshare`, needs root).
//!
//! Workloads are small dash scripts: `trap` reports every signal that reaches them.

mod common;
use common::{KEEL, TIMEOUT, only_child};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn keel(args: &[&str]) -> Command {
    let mut cmd = Command::new(KEEL);
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// keel as PID 1 of a new pid namespace, with its own /proc.
fn keel_pid1(args: &[&str]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", KEEL])
        .args(args)
        .stdin(Stdio::null());
    cmd
}

/// Runs to completion, killing it (and failing) after `TIMEOUT`.
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("timed out: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("output")
}

fn status(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {out:?}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running keel whose stdout lines are read as they come.
struct Running(common::Running);

impl Running {
    fn start(cmd: &mut Command) -> Running {
        Running(common::Running::start(cmd))
    }

    /// Waits for a stdout line equal to `want`.
    fn expect(&mut self, want: &str) {
        self.0.expect(&format!("{want:?}"), |line| line == want);
    }

    /// The pid signals should go to: keel itself (under unshare, unshare's child).
    fn keel_pid(&self, under_unshare: bool) -> i32 {
        let pid = self.0.child.id() as i32;
        if under_unshare { only_child(pid) } else { pid }
    }

    fn finish(mut self) -> (i32, String, Vec<String>) {
        let mut stderr = String::new();
        let err = self.0.child.stderr.take();
        let (code, stdout) = self.0.finish();
        if let Some(mut e) = err {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        (code, stderr, stdout)
    }
}

fn kill(pid: i32, sig: i32) {
    // SAFETY: kill(2) with plain integers.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
}

/// A script that reports each listed signal and exits 5 on the last one.
fn trapping(signals: &[&str]) -> String {
    let mut script = String::new();
    for (i, s) in signals.iter().enumerate() {
        let exit = if i + 1 == signals.len() {
            "; exit 5"
        } else {
            ""
        };
        script.push_str(&format!("trap 'echo got {s}{exit}' {s}\n"));
    }
    script.push_str("echo ready\nwhile :; do sleep 0.01; done\n");
    script
}

#[test]
fn exit_codes_pass_through() {
    for code in [0, 1, 255] {
        let out = run(&mut keel(&["--", "sh", "-c", &format!("exit {code}")]));
        assert_eq!(status(&out), code, "{out:?}");
        let out = run(&mut keel_pid1(&["--", "sh", "-c", &format!("exit {code}")]));
        assert_eq!(status(&out), code, "as PID 1: {out:?}");
    }
}

#[test]
fn a_signal_death_gives_128_plus_n() {
    for (sig, code) in [("KILL", 137), ("TERM", 143), ("SEGV", 139)] {
        let script = format!("kill -{sig} $$");
        assert_eq!(status(&run(&mut keel(&["sh", "-c", &script]))), code);
        assert_eq!(status(&run(&mut keel_pid1(&["sh", "-c", &script]))), code);
    }
}

#[test]
fn remapped_exit_codes_become_zero() {
    assert_eq!(
        status(&run(&mut keel(&[
            "-e", "143", "-e", "3", "--", "sh", "-c", "exit 3"
        ]))),
        0
    );
    assert_eq!(
        status(&run(&mut keel(&["-e143", "--", "sh", "-c", "kill $$"]))),
        0
    );
    assert_eq!(
        status(&run(&mut keel(&["-e", "143", "--", "sh", "-c", "exit 4"]))),
        4
    );
}

#[test]
fn exec_failures_give_127_and_126_with_the_reason() {
    let out = run(&mut keel(&["--", "no-such-program-keel"]));
    assert_eq!(status(&out), 127);
    assert_eq!(
        text(&out.stderr).trim(),
        "keel: exec no-such-program-keel: ENOENT (No such file or directory)"
    );
    let out = run(&mut keel(&["--", "/no/such/path"]));
    assert_eq!(status(&out), 127);
    let plain = std::env::temp_dir().join("keel-test-not-executable");
    std::fs::write(&plain, "data").expect("write");
    let out = run(&mut keel(&["--", plain.to_str().expect("utf-8")]));
    assert_eq!(status(&out), 126);
    assert!(
        text(&out.stderr).ends_with("keel-test-not-executable: EACCES (Permission denied)\n"),
        "{out:?}"
    );
    let out = run(&mut keel(&["--", "/"]));
    assert_eq!(status(&out), 126);
}

#[test]
fn programs_are_found_in_path() {
    let out = run(keel(&["--", "keel-test-prog"]).env("PATH", "/nonexistent:/bin"));
    assert_eq!(status(&out), 127);
    let out = run(keel(&["--", "true"]).env("PATH", "/nonexistent::/bin"));
    assert_eq!(status(&out), 0);
}

fn forwards_every_signal(under_unshare: bool) {
    // Sent with kill(2): SEGV and ABRT must reach the child, never kill keel.
    let signals = [
        "HUP", "INT", "USR1", "WINCH", "SEGV", "ABRT", "40", "QUIT", "TERM", "USR2",
    ];
    let script = trapping(&signals);
    let mut cmd = if under_unshare {
        keel_pid1(&["sh", "-c", &script])
    } else {
        keel(&["sh", "-c", &script])
    };
    let mut init = Running::start(&mut cmd);
    init.expect("ready");
    let pid = init.keel_pid(under_unshare);
    for name in signals {
        let num = match name {
            "HUP" => libc::SIGHUP,
            "INT" => libc::SIGINT,
            "USR1" => libc::SIGUSR1,
            "WINCH" => libc::SIGWINCH,
            "SEGV" => libc::SIGSEGV,
            "ABRT" => libc::SIGABRT,
            "QUIT" => libc::SIGQUIT,
            "TERM" => libc::SIGTERM,
            "USR2" => libc::SIGUSR2,
            n => n.parse().expect("number"),
        };
        kill(pid, num);
        init.expect(&format!("got {name}"));
    }
    let (code, stderr, _) = init.finish();
    assert_eq!(code, 5, "{stderr}");
}

#[test]
fn forwards_every_signal_as_a_subreaper() {
    forwards_every_signal(false);
}

#[test]
fn forwards_every_signal_as_pid1() {
    forwards_every_signal(true);
}

#[test]
fn rewrites_and_drops_signals() {
    let script = trapping(&["USR1", "QUIT"]);
    let mut init = Running::start(&mut keel(&[
        "-r",
        "TERM:QUIT",
        "--rewrite",
        "HUP:0",
        "-r",
        "SIGUSR2:USR1",
        "sh",
        "-c",
        &script,
    ]));
    init.expect("ready");
    let pid = init.keel_pid(false);
    kill(pid, libc::SIGHUP); // dropped: the script would die of it
    kill(pid, libc::SIGUSR2);
    init.expect("got USR1");
    kill(pid, libc::SIGTERM);
    init.expect("got QUIT");
    assert_eq!(init.finish().0, 5);
}

#[test]
fn group_mode_signals_the_whole_process_group() {
    let script = "trap 'echo fg got USR1' USR1
sh -c \"trap 'echo bg got USR1; exit 0' USR1; echo bg ready; while :; do sleep 0.01; done\" &
while :; do sleep 0.01; [ -e /proc/$!/status ] || exit 6; done";
    for (flag, env) in [("-g", None), ("", Some("TINI_KILL_PROCESS_GROUP"))] {
        let mut cmd = keel(&[flag, "--", "sh", "-c", script]);
        if flag.is_empty() {
            cmd = keel(&["--", "sh", "-c", script]);
        }
        if let Some(var) = env {
            cmd.env(var, "1");
        }
        let mut init = Running::start(&mut cmd);
        init.expect("bg ready");
        kill(init.keel_pid(false), libc::SIGUSR1);
        init.expect("bg got USR1");
        let (code, _, seen) = init.finish();
        assert_eq!(code, 6);
        assert!(seen.iter().any(|l| l == "fg got USR1"), "{seen:?}");
    }
}

#[test]
fn without_group_mode_only_the_child_is_signalled() {
    let script = "trap 'echo fg got USR1' USR1
sh -c \"trap 'echo bg got USR1' USR1; echo bg ready; sleep 0.5; echo bg done\" &
wait; wait";
    let mut init = Running::start(&mut keel(&["--", "sh", "-c", script]));
    init.expect("bg ready");
    kill(init.keel_pid(false), libc::SIGUSR1);
    init.expect("fg got USR1");
    init.expect("bg done");
    let (_, _, seen) = init.finish();
    assert!(!seen.iter().any(|l| l == "bg got USR1"), "{seen:?}");
}

#[test]
fn parent_death_signal_reaches_keel() {
    // keel's parent (a shell) exits; keel gets USR1 and forwards it to the workload.
    let inner = trapping(&["USR1"]);
    let outer = format!("{KEEL} -p SIGUSR1 -- sh -c \"$0\" & sleep 0.5; exit 0");
    let mut init = Running::start(
        Command::new("sh")
            .args(["-c", &outer, &inner])
            .stdin(Stdio::null()),
    );
    init.expect("ready");
    init.expect("got USR1");
    assert_eq!(init.finish().0, 0);
    let out = run(&mut keel(&["-p", "NOTASIGNAL", "true"]));
    assert_eq!(status(&out), 2);
    assert!(
        text(&out.stderr).contains("option '-p' needs a valid value"),
        "{out:?}"
    );
}

fn reaps_orphans(under_unshare: bool) {
    // Five grandchildren orphaned at once: each comes back to keel and is reaped.
    let script = "for i in 1 2 3 4 5; do (sleep 0.2 &); done; sleep 1";
    let args = ["-w", "sh", "-c", script];
    let out = run(&mut if under_unshare {
        keel_pid1(&args)
    } else {
        keel(&args)
    });
    assert_eq!(status(&out), 0);
    let reaped = text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("keel: warning: Reaped zombie process with pid="))
        .count();
    assert_eq!(reaped, 5, "{}", text(&out.stderr));
}

#[test]
fn reaps_orphans_as_a_subreaper() {
    reaps_orphans(false);
}

#[test]
fn reaps_orphans_as_pid1() {
    reaps_orphans(true);
}

#[test]
fn no_zombies_are_left_while_running() {
    let script = "for i in $(seq 20); do (true &); done; sleep 0.5; \
                  grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l";
    let out = run(&mut keel_pid1(&["sh", "-c", script]));
    assert_eq!(text(&out.stdout).trim(), "0", "{out:?}");
}

fn drains(under_unshare: bool) {
    // A background process that handles TERM gets to finish its handler; the main child's
    // status is what keel reports.
    let script = "sh -c \"trap 'echo bg cleaned up; exit 0' TERM; echo bg ready; while :; do sleep 0.01; done\" & \
                  while ! [ -e /proc/$!/status ]; do sleep 0.01; done; sleep 0.2; exit 3";
    let args = ["--grace", "5s", "sh", "-c", script];
    let out = run(&mut if under_unshare {
        keel_pid1(&args)
    } else {
        keel(&args)
    });
    assert_eq!(status(&out), 3, "{out:?}");
    assert!(text(&out.stdout).contains("bg cleaned up"), "{out:?}");

    // One that ignores TERM is killed when the grace period ends. Its command line carries a
    // marker so the test can check it is gone.
    let marker = if under_unshare {
        "drain-marker-pid1"
    } else {
        "drain-marker-subreaper"
    };
    let script = format!(
        "sh -c \"trap '' TERM; while :; do sleep 0.01; done\" {marker} & sleep 0.2; exit 4"
    );
    let args = ["--grace", "300ms", "sh", "-c", &script];
    let start = Instant::now();
    let out = run(&mut if under_unshare {
        keel_pid1(&args)
    } else {
        keel(&args)
    });
    let took = start.elapsed();
    assert_eq!(status(&out), 4, "{out:?}");
    assert!(
        took >= Duration::from_millis(450),
        "drain did not wait for the grace: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "drain took {took:?}");
    let left = run(Command::new("pgrep").args(["-f", &format!("^sh -c trap '' TERM.* {marker}$")]));
    assert_eq!(text(&left.stdout), "", "left running after the drain");
}

#[test]
fn drains_as_a_subreaper() {
    drains(false);
}

#[test]
fn drains_as_pid1() {
    drains(true);
}

#[test]
fn a_stop_signal_ignored_by_the_workload_ends_with_sigkill_after_the_grace() {
    let mut init = Running::start(&mut keel(&[
        "--grace",
        "200ms",
        "sh",
        "-c",
        "trap '' TERM; echo ready; while :; do sleep 0.01; done",
    ]));
    init.expect("ready");
    let start = Instant::now();
    kill(init.keel_pid(false), libc::SIGTERM);
    let (code, _, _) = init.finish();
    assert_eq!(code, 137);
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn inherited_descriptors_are_closed_unless_kept() {
    // $0 is the workload's script: list its fds (ls itself holds the one it reads with).
    let list = "ls /proc/self/fd | sort -n | tr '\\n' ' '";
    let script = format!("exec 7</dev/null 9</dev/null; exec {KEEL} \"$@\" -- sh -c \"$0\"");
    let fds_with = |extra: &[&str]| {
        let out = run(Command::new("sh").args(["-c", &script, list]).args(extra));
        text(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(fds_with(&[]), ["0", "1", "2", "3"]);
    let kept = fds_with(&["--keep-fds"]);
    assert!(
        kept.contains(&"7".to_string()) && kept.contains(&"9".to_string()),
        "{kept:?}"
    );
}

#[test]
fn socket_activation_fds_and_listen_pid_pass_to_the_child() {
    let inner = "echo $LISTEN_PID $$; ls /proc/self/fd | sort -n | tr '\\n' ' '";
    let script = format!(
        "exec 3</dev/null 4</dev/null 5</dev/null; LISTEN_PID=$$ LISTEN_FDS=2 exec {KEEL} -- sh -c \"$0\""
    );
    let out = run(Command::new("sh").args(["-c", &script, inner]));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let pids: Vec<&str> = lines.next().expect("pid line").split(' ').collect();
    assert_eq!(pids[0], pids[1], "LISTEN_PID must name the child: {stdout}");
    // 3 and 4 kept, 5 closed; 6 is ls's own.
    assert_eq!(lines.next().map(str::trim), Some("0 1 2 3 4 5"), "{stdout}");
}

/// `program args` run with USR1 and signal 40 blocked and HUP, INT, CHLD ignored.
fn with_odd_signal_state(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            libc::sigaddset(&mut set, 40);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
    cmd
}

#[test]
fn signal_mask_and_ignored_dispositions_are_restored_exactly() {
    let show = ["-E", "^Sig(Blk|Ign)", "/proc/self/status"];
    let direct = run(&mut with_odd_signal_state("grep", &show));
    let mut args = vec!["--", "grep"];
    args.extend(show);
    let through_keel = run(&mut with_odd_signal_state(KEEL, &args));
    assert_eq!(
        status(&through_keel),
        0,
        "with SIGCHLD ignored keel must still see the status: {through_keel:?}"
    );
    let direct = text(&direct.stdout);
    assert!(
        direct.contains(&format!(
            "SigBlk:\t{:016x}",
            (1u64 << (libc::SIGUSR1 - 1)) | (1 << 39)
        )),
        "{direct}"
    );
    assert_eq!(text(&through_keel.stdout), direct);
    let exit9 = run(&mut with_odd_signal_state(KEEL, &["sh", "-c", "exit 9"]));
    assert_eq!(status(&exit9), 9);
}

#[test]
fn the_child_leads_its_own_process_group_and_keel_leaves_its_cwd() {
    let out = run(keel(&[
        "--",
        "sh",
        "-c",
        "ps -o pid=,pgid= -p $$; readlink /proc/$PPID/cwd",
    ])
    .current_dir("/tmp"));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let ids: Vec<&str> = lines.next().expect("ps").split_whitespace().collect();
    assert_eq!(ids[0], ids[1], "pid = pgid: {stdout}");
    assert_eq!(lines.next(), Some("/"), "keel's cwd: {stdout}");
    let out = run(keel(&["--", "pwd"]).current_dir("/tmp"));
    assert_eq!(
        text(&out.stdout).trim(),
        "/tmp",
        "the workload keeps the caller's cwd"
    );
}

#[test]
fn exec_mode_replaces_keel() {
    let out = run(Command::new("sh").args([
        "-c",
        &format!("echo $$; exec {KEEL} --exec -- sh -c 'echo $$; exit 8'"),
    ]));
    assert_eq!(status(&out), 8);
    let stdout = text(&out.stdout);
    let pids: Vec<&str> = stdout.lines().collect();
    assert_eq!(pids[0], pids[1], "same process: {stdout}");
    assert_eq!(
        status(&run(&mut keel(&["--exec", "--", "no-such-program-keel"]))),
        127
    );
}

#[test]
fn keel_is_a_subreaper_without_being_asked() {
    // The orphaned `sleep` is re-parented to keel (the script's parent), not to the host's init.
    let script =
        "o=$(sh -c 'sleep 0.5 >/dev/null & echo $!'); sleep 0.1; echo $PPID $(ps -o ppid= -p $o)";
    let out = run(&mut keel(&["sh", "-c", script]));
    let stdout = text(&out.stdout);
    let pids: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(pids.len(), 2, "{stdout}");
    assert_eq!(pids[0], pids[1], "{stdout}");
}

#[test]
fn bad_command_lines_exit_2_with_usage_on_stderr() {
    for args in [
        &["-x", "true"][..],
        &["--frobnicate", "true"],
        &[],
        &["--"],
        &["-e", "256", "true"],
        &["--grace", "soon", "true"],
        &["-r", "TERM", "true"],
    ] {
        let out = run(&mut keel(args));
        assert_eq!(status(&out), 2, "{args:?}: {out:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("keel: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Usage: keel [OPTIONS] [--] PROGRAM [ARGS...]"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn options_stop_at_the_program() {
    // tini's getopt would take `-l` for itself and print the licence.
    let out = run(&mut keel(&["echo", "-l", "-v"]));
    assert_eq!(text(&out.stdout), "-l -v\n");
}

#[test]
fn help_licence_and_version() {
    let out = run(&mut keel(&["-h"]));
    assert_eq!(status(&out), 0);
    assert!(text(&out.stdout).starts_with("Usage: keel"));
    let out = run(&mut keel(&["-l"]));
    assert!(text(&out.stdout).contains("MIT License"));
    let out = run(&mut keel(&["--version"]));
    let version = text(&out.stdout);
    // As docker's parseInitVersion reads it (daemon/info_unix.go): the version before " - ",
    // and after it "git." and a commit with no further ".", which `docker info` shows.
    let (name, commit) = version.trim_end().split_once(" - ").expect(" - ");
    assert_eq!(
        name.strip_prefix("tini version "),
        Some(concat!("keel-", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let commit = commit.strip_prefix("git.").expect("git.");
    assert_eq!(commit.len(), 7, "{version}");
    assert!(
        commit.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{version}"
    );
}

#[test]
fn verbosity_from_flags_and_environment() {
    let out = run(&mut keel(&["-vv", "true"]));
    assert!(
        text(&out.stderr).contains("keel: info: Spawned child process 'true' with pid '"),
        "{out:?}"
    );
    assert!(text(&out.stderr).contains("keel: info: Main child exited normally (with status '0')"));
    let out = run(keel(&["true"]).env("TINI_VERBOSITY", "2"));
    assert!(text(&out.stderr).contains("keel: info: Spawned"), "{out:?}");
    let out = run(&mut keel(&["true"]));
    assert!(out.stderr.is_empty(), "quiet by default: {out:?}");
}

#[test]
fn docker_style_invocation() {
    // docker and podman run `INIT -- cmd args`.
    let out = run(&mut keel(&["--", "sh", "-c", "echo $0 $1", "a", "b"]));
    assert_eq!(text(&out.stdout), "a b\n");
}
