//! keel under load, as a subreaper and as PID 1 of a pid namespace (`unshare`, needs root):
//! a storm of 10,000 orphans, a storm of signals with a storm of SIGCHLD under it, and
//! payloads that misbehave (close their stdio, change their process group, leave processes
//! behind, ignore every signal).
//!
//! The payloads are modes of `tests/support/load.c`, built once with gcc. Whether a process
//! has been reaped is read through a pidfd (signal 0 fails with ESRCH only once the zombie is
//! gone), never through a pid that the kernel may have handed out again. Every wait is bounded
//! by `TIMEOUT` so that a hang fails the test; no other timing is asserted but the grace
//! period's lower bound and a generous upper one.

mod common;

use common::{KEEL, TIMEOUT, only_child, text};
use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const ORPHANS: usize = 10_000;
const REAPED: &str = "keel: warning: Reaped zombie process with pid=";

/// The storms take both CPUs of a small machine: one at a time, so each gets its timeout to
/// itself and none is slowed by the other.
static STORM: Mutex<()> = Mutex::new(());

fn storm_lock() -> std::sync::MutexGuard<'static, ()> {
    STORM
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `tests/support/load.c`, compiled once per test run (static, so its many forks are cheap).
fn load() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("load");
        // Built under a name of its own, then renamed: two runs of this file at once must not
        // write the binary the other is running.
        let tmp = out.with_extension(std::process::id().to_string());
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/load.c");
        let built = Command::new("gcc")
            .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&tmp)
            .arg(src)
            .output()
            .expect("gcc (apt-get install gcc libc6-dev)");
        assert!(built.status.success(), "gcc: {}", text(&built.stderr));
        std::fs::rename(&tmp, &out).expect("rename");
        out.into_os_string().into_string().expect("utf-8 path")
    })
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// keel as a plain child: it makes itself a subreaper.
    Subreaper,
    /// keel as PID 1 of a new pid namespace with its own /proc.
    Pid1,
}

fn keel(mode: Mode, args: &[&str]) -> Command {
    let mut cmd = match mode {
        Mode::Subreaper => Command::new(KEEL),
        Mode::Pid1 => {
            let mut cmd = Command::new("unshare");
            cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", KEEL]);
            cmd
        }
    };
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// A running keel: stdout lines arrive on a channel, stderr is collected whole (read all
/// along, or a keel printing thousands of warnings would block on a full pipe), and the
/// "Reaped zombie" warnings are counted as they come.
struct Running {
    keel: common::Running,
    mode: Mode,
    stderr: JoinHandle<String>,
    reaped: Arc<AtomicUsize>,
}

impl Running {
    fn start(mode: Mode, cmd: &mut Command) -> Running {
        let mut keel = common::Running::start(cmd);
        let reaped = Arc::new(AtomicUsize::new(0));
        let stderr = keel.child.stderr.take().expect("stderr");
        let counter = Arc::clone(&reaped);
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with(REAPED) {
                    counter.fetch_add(1, Ordering::Relaxed);
                } else {
                    all.push_str(&line);
                    all.push('\n');
                }
            }
            all
        });
        Running {
            keel,
            mode,
            stderr,
            reaped,
        }
    }

    /// Waits for a stdout line for which `want` holds, and returns it.
    fn expect(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        self.keel.expect(what, want)
    }

    fn expect_line(&mut self, want: &str) {
        self.expect(want, |line| line == want);
    }

    /// keel's pid: under unshare, unshare's only child.
    fn keel_pid(&self) -> i32 {
        let pid = self.keel.child.id() as i32;
        match self.mode {
            Mode::Subreaper => pid,
            Mode::Pid1 => only_child(pid),
        }
    }

    /// Waits for keel to exit.
    fn finish(self) -> Outcome {
        let (code, stdout) = self.keel.finish();
        let stderr = self.stderr.join().expect("stderr reader");
        Outcome {
            code,
            stderr,
            stdout,
            reaped: self.reaped.load(Ordering::Relaxed),
        }
    }
}

struct Outcome {
    code: i32,
    /// keel's stderr without the "Reaped zombie" warnings, which are only counted.
    stderr: String,
    stdout: Vec<String>,
    /// How many "Reaped zombie" warnings keel printed (`-w`).
    reaped: usize,
}

/// A pidfd: it names one process for good, even after its pid is handed out again.
fn pidfd(pid: i32) -> OwnedFd {
    // SAFETY: pidfd_open(2) with plain integers; a non-negative result is a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    assert!(
        fd >= 0,
        "pidfd_open {pid}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the descriptor was just opened and nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

fn send(fd: &OwnedFd, sig: i32) -> std::io::Result<()> {
    // SAFETY: pidfd_send_signal(2) on a descriptor we own, with no siginfo.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if ret == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Sends `sig`, retrying while the kernel's queue of real-time signals is full (EAGAIN).
fn send_queued(fd: &OwnedFd, sig: i32) {
    let start = Instant::now();
    loop {
        match send(fd, sig) {
            Ok(()) => return,
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) && start.elapsed() < TIMEOUT => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("signal {sig}: {e}"),
        }
    }
}

/// Whether the process is gone, zombie included.
fn reaped(fd: &OwnedFd) -> bool {
    send(fd, 0).is_err_and(|e| e.raw_os_error() == Some(libc::ESRCH))
}

// ---- 1. zombie storm ---------------------------------------------------------------------------

fn zombie_storm(mode: Mode) {
    let _one_at_a_time = storm_lock();
    let n = ORPHANS.to_string();
    let init = Running::start(
        mode,
        &mut keel(mode, &["-w", "--", load(), "orphans", &n, "7"]),
    );
    let out = init.finish();
    // The payload exits only once a pidfd of each orphan says it is reaped, and keel reaps
    // nothing else: so every orphan was reaped, and by keel, and none is left a zombie.
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        [format!("orphans {ORPHANS} reaped")],
        "{}",
        out.stderr
    );
    assert_eq!(out.reaped, ORPHANS, "{}", out.stderr);
}

#[test]
fn zombie_storm_as_a_subreaper() {
    zombie_storm(Mode::Subreaper);
}

#[test]
fn zombie_storm_as_pid1() {
    zombie_storm(Mode::Pid1);
}

// ---- 2. signal storm ---------------------------------------------------------------------------

/// The standard signals `load signals` counts (as in load.c). SIGTERM is left out: keel would
/// start its grace clock on it.
const STANDARD: [i32; 9] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGWINCH,
    libc::SIGURG,
];
/// SIGRTMIN+1..=SIGRTMIN+4 as the payload's C library numbers them (SIGRTMIN is 34).
const REALTIME: [i32; 4] = [35, 36, 37, 38];
/// The end of the counted storm: the highest signal, which keel takes out of its queue last
/// and the payload handles last.
const MARKER: i32 = 64;
const ROUNDS: usize = 300;

fn signal_storm(mode: Mode) {
    let _one_at_a_time = storm_lock();
    let mut init = Running::start(mode, &mut keel(mode, &["-w", "--", load(), "signals"]));
    init.expect_line("ready");
    let keel_fd = Arc::new(pidfd(init.keel_pid()));
    // The payload's orphan maker is under way once keel has reaped an orphan: from then on a
    // storm of SIGCHLD runs under the storm of signals until the payload stops it.
    let start = Instant::now();
    while init.reaped.load(Ordering::Relaxed) == 0 {
        assert!(start.elapsed() < TIMEOUT, "no orphan reaped");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Counted storm: 3,900 signals. Standard signals coalesce while pending (in keel, then in
    // the payload); real-time ones queue, and keel takes them one at a time and forwards each.
    for _ in 0..ROUNDS {
        for sig in STANDARD.into_iter().chain(REALTIME) {
            send_queued(&keel_fd, sig);
        }
    }
    send_queued(&keel_fd, MARKER);
    init.expect_line("counted");
    // An uncounted storm until keel exits (it starts only now: keel would forward a standard
    // signal sent after the marker before it). The payload waits for some of it before it
    // exits, so its exit status has to come through the storm.
    let stop = Arc::new(AtomicBool::new(false));
    let storm = {
        let (keel_fd, stop) = (Arc::clone(&keel_fd), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for sig in STANDARD {
                    if send(&keel_fd, sig).is_err() {
                        return; // ESRCH: keel is gone
                    }
                }
            }
        })
    };
    let out = init.finish();
    stop.store(true, Ordering::Relaxed);
    storm.join().expect("storm thread");
    assert_eq!(out.code, 42, "{}", out.stderr);
    let counted: Vec<(i32, usize)> = out
        .stdout
        .iter()
        .skip_while(|l| *l != "ready")
        .skip(1)
        .take_while(|l| *l != "counted")
        .map(|l| {
            let (sig, n) = l.split_once(' ').expect("SIG COUNT");
            (sig.parse().expect("sig"), n.parse().expect("count"))
        })
        .collect();
    for (sig, n) in &counted {
        if STANDARD.contains(sig) {
            assert!((1..=ROUNDS).contains(n), "signal {sig}: {n} of {ROUNDS}");
        } else {
            // The kernel refuses to queue a real-time signal past RLIMIT_SIGPENDING (EAGAIN);
            // keel would say so on stderr, and the count would fall short.
            assert_eq!(*n, ROUNDS, "signal {sig}: {}", out.stderr);
        }
    }
    let sigs: Vec<i32> = counted.iter().map(|(sig, _)| *sig).collect();
    assert_eq!(sigs, [&STANDARD[..], &REALTIME[..]].concat());
    // The orphan maker's own check: every orphan it made was reaped, by keel (-w).
    let made = out
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix("orphans ")?.strip_suffix(" reaped"))
        .unwrap_or_else(|| panic!("no orphan count: {:?}", out.stdout))
        .parse::<usize>()
        .expect("number");
    assert_eq!(out.reaped, made, "{}", out.stderr);
    // No warning from keel but the reaping ones (the payload reports its timings).
    assert!(
        !out.stderr.lines().any(|l| l.starts_with("keel:")),
        "{}",
        out.stderr
    );
}

#[test]
fn signal_storm_as_a_subreaper() {
    signal_storm(Mode::Subreaper);
}

#[test]
fn signal_storm_as_pid1() {
    signal_storm(Mode::Pid1);
}

// ---- 3. misbehaving payloads -------------------------------------------------------------------

#[test]
fn a_payload_that_closes_its_stdio_is_still_supervised() {
    let script = "trap 'exit 7' USR1; exec <&- >&- 2>&-; while :; do sleep 0.01; done";
    let init = Running::start(
        Mode::Subreaper,
        &mut keel(Mode::Subreaper, &["--", "sh", "-c", script]),
    );
    let keel_pid = init.keel_pid();
    let workload = only_child(keel_pid);
    // The shell closes them once its trap is set.
    let fds = format!("/proc/{workload}/fd");
    let start = Instant::now();
    while ["0", "1", "2"]
        .iter()
        .any(|fd| std::fs::symlink_metadata(format!("{fds}/{fd}")).is_ok())
    {
        assert!(start.elapsed() < TIMEOUT, "the payload kept its stdio");
        std::thread::sleep(Duration::from_millis(5));
    }
    send(&pidfd(keel_pid), libc::SIGUSR1).expect("USR1");
    let out = init.finish();
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
}

#[test]
fn a_payload_that_changes_its_process_group_passes_its_status() {
    for mode in [Mode::Subreaper, Mode::Pid1] {
        // The workload itself leaves the group keel made for it (for keel's own, which -g
        // then no longer reaches).
        for flags in [&[][..], &["-g"]] {
            let mut args = flags.to_vec();
            args.extend(["--", load(), "join-parent-group", "5"]);
            let out = Running::start(mode, &mut keel(mode, &args)).finish();
            assert_eq!(out.code, 5, "{mode:?} {flags:?}: {}", out.stderr);
        }
        // A child of the workload in a session of its own (setsid(1) forks, as the workload
        // leads its process group), whose status the workload passes on.
        let out = Running::start(
            mode,
            &mut keel(mode, &["--", "setsid", "-w", "sh", "-c", "exit 6"]),
        )
        .finish();
        assert_eq!(out.code, 6, "{mode:?}: {}", out.stderr);
    }
}

/// A workload that leaves a grandchild behind in a session and process group of its own:
/// keel's drain finds it through /proc, not through the workload's group, and kills it.
fn leave_behind(ignore: bool, grace: &str) -> Duration {
    let mut args = vec!["--grace", grace, "--", load(), "leave-behind", "8"];
    if ignore {
        args.push("ignore");
    }
    let mut cmd = keel(Mode::Subreaper, &args);
    let mut init = Running::start(Mode::Subreaper, cmd.stdin(Stdio::piped()));
    let line = init.expect("grandchild PID", |l| l.starts_with("grandchild "));
    let pid = line["grandchild ".len()..].parse().expect("pid");
    // The grandchild is set up, and the workload waits for its stdin's EOF to exit.
    let grandchild = pidfd(pid);
    let start = Instant::now();
    drop(init.keel.child.stdin.take());
    let out = init.finish();
    let took = start.elapsed();
    assert_eq!(out.code, 8, "{}", out.stderr);
    assert!(reaped(&grandchild), "the grandchild outlived the drain");
    assert_eq!(out.stderr, "");
    took
}

#[test]
fn a_grandchild_left_in_another_session_is_drained() {
    // It dies of the drain's SIGTERM: no need to wait for the grace period.
    let took = leave_behind(false, "30s");
    assert!(took < Duration::from_secs(15), "drain took {took:?}");
}

#[test]
fn a_grandchild_that_ignores_every_signal_is_killed_after_the_grace() {
    let took = leave_behind(true, "300ms");
    assert!(took >= Duration::from_millis(300), "drain took {took:?}");
    assert!(took < Duration::from_secs(10), "drain took {took:?}");
}

/// Every signal but SIGKILL, SIGSTOP and SIGTERM, as keel forwards them; the C library's own
/// 32 and 33 too, which keel forwards like any other.
fn every_other_signal() -> impl Iterator<Item = i32> {
    (1..=64).filter(|&sig| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGTERM].contains(&sig))
}

#[test]
fn a_payload_that_ignores_every_signal_is_stopped_with_sigkill_after_the_grace() {
    for mode in [Mode::Subreaper, Mode::Pid1] {
        let mut init = Running::start(
            mode,
            &mut keel(mode, &["--grace", "500ms", "--", load(), "ignore-all"]),
        );
        init.expect_line("ready");
        let keel_fd = pidfd(init.keel_pid());
        for sig in every_other_signal() {
            send_queued(&keel_fd, sig);
        }
        // `docker stop`: keel forwards SIGTERM, which the payload ignores like everything
        // else, and kills it when the grace period ends.
        let start = Instant::now();
        send(&keel_fd, libc::SIGTERM).expect("TERM");
        let out = init.finish();
        let took = start.elapsed();
        assert_eq!(out.code, 137, "{mode:?}: {}", out.stderr);
        assert!(took >= Duration::from_millis(500), "{mode:?}: {took:?}");
        assert!(took < Duration::from_secs(10), "{mode:?}: {took:?}");
        assert_eq!(out.stderr, "", "{mode:?}");
    }
}
