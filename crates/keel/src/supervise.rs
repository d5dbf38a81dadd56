//! Supervision, tini's job done without polling: keel forks the workload, then sleeps in
//! `rt_sigtimedwait` until a signal arrives, forwards it, reaps every zombie, and exits with the
//! main child's status once everything below it is gone.
//!
//! Every signal is blocked in keel, so none can kill or stop it: blocked signals are queued
//! even for a pid-namespace init and even when their disposition is "ignore". Faults raised by
//! keel's own code are still fatal (the kernel unblocks them), but the same signals sent with
//! kill(2) — `kill -SEGV 1` — arrive here and are forwarded like any other.
//!
//! The end is a drain: when the main child has exited, every remaining process gets SIGTERM
//! (and SIGCONT, so stopped ones can act on it); after the grace period, SIGKILL. A stop signal
//! (SIGTERM) sent to keel is forwarded and starts the same grace clock, so a workload that
//! ignores it is killed when the grace ends.

use crate::cli::{Settings, exit};
use crate::log::{self, Bytes, ErrnoText, error, say};
use crate::process::Launch;
#[cfg(feature = "services")]
use crate::services::Services;
use crate::signal::Name;
use crate::{drain, process, sys};
#[cfg(feature = "services")]
use linux_raw_sys::general::SIGIO;
use linux_raw_sys::general::{SIGCHLD, SIGCONT, SIGKILL, SIGTERM};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};

/// The default grace period between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE_MS: u32 = 5000;
/// After the grace period keel sends SIGKILL in passes this far apart (a pass catches what
/// was forked, or re-parented, since the last), and gives up after this many.
const KILL_PASS_MS: u64 = 100;
const KILL_PASSES: u8 = 10;

/// Forks the workload and supervises it until everything below keel is gone.
pub fn run(launch: &Launch<'_>, own: Pid) -> i32 {
    let s = launch.s;
    if !own.is_init() {
        // Orphans of the workload must come back to keel to be reaped and drained.
        if let Err(e) = rustix::process::set_child_subreaper(Some(own)) {
            if s.subreaper {
                error!("subreaper: prctl(PR_SET_CHILD_SUBREAPER): {}", ErrnoText(e));
                return exit::SETUP;
            }
            say!(
                log::WARN,
                "subreaper: prctl(PR_SET_CHILD_SUBREAPER): {}; orphans will not be reaped",
                ErrnoText(e)
            );
        }
    }
    // Services without a program: keel stands in for the main child, which is never reaped.
    #[cfg(feature = "services")]
    if s.program.len() == 0 {
        let _ = sys::close_from(3);
        let _ = rustix::process::chdir(c"/");
        let mut supervisor = Supervisor::new(s, own, own, false);
        supervisor.has_main = false;
        return supervisor.with_services(launch).run();
    }
    let child = match sys::fork() {
        Err(e) => {
            error!("fork: {}", ErrnoText(e));
            return exit::SETUP;
        }
        Ok(None) => sys::exit_group(start_child(launch)),
        Ok(Some(pid)) => pid,
    };
    // Also from this side, so a signal forwarded to the group cannot race the child's setpgid.
    let _ = rustix::process::setpgid(Some(child), Some(child));
    // keel holds nothing open and keeps no directory busy (it would block an unmount).
    let _ = sys::close_from(3);
    let _ = rustix::process::chdir(c"/");
    if let Some(name) = s.program.get(0) {
        say!(
            log::INFO,
            "Spawned child process '{}' with pid '{}'",
            Bytes(name.to_bytes()),
            child.as_raw_nonzero().get()
        );
    }
    let supervisor = Supervisor::new(s, own, child, false);
    #[cfg(feature = "services")]
    let supervisor = supervisor.with_services(launch);
    supervisor.run()
}

/// The relay of a namespaced run (see `namespaces`): forwards every signal, as it is, to the inner
/// keel and returns its status. The inner keel does the rewriting, the grace and the drain.
#[cfg(feature = "namespaces")]
pub fn relay(s: &Settings, own: Pid, inner: Pid) -> i32 {
    let _ = sys::close_from(3);
    let _ = rustix::process::chdir(c"/");
    Supervisor::new(s, own, inner, true).run()
}

/// In the forked child: become a process-group leader in the terminal's foreground, then
/// exec. Returns only with an exit status on failure.
fn start_child(launch: &Launch<'_>) -> i32 {
    let _ = rustix::process::setpgid(None, None);
    let stdin = sys::stdio(0);
    if rustix::termios::isatty(stdin) {
        // SIGTTOU is still blocked here, so a background keel may hand the terminal over.
        match rustix::termios::tcsetpgrp(stdin, rustix::process::getpid()) {
            Ok(()) | Err(Errno::NOTTY | Errno::NXIO) => {}
            Err(e) => {
                error!("tcsetpgrp stdin: {}", ErrnoText(e));
                return exit::SETUP;
            }
        }
    }
    process::exec_workload(launch)
}

struct Supervisor<'a> {
    s: &'a Settings,
    own: i32,
    child: Pid,
    /// Where forwarded signals go: the child, or its process group (`-g`).
    target: i32,
    /// The main child's status, once reaped.
    status: Option<i32>,
    /// Whether the rest has had its SIGTERM.
    draining: bool,
    /// When the grace period ends (monotonic ms), once a drain or a stop signal started it.
    deadline: Option<u64>,
    /// How many SIGKILL passes the rest has had.
    kill_passes: u8,
    /// Relaying to an inner keel: forward signals unchanged, leave the grace to it.
    relay: bool,
    /// The services beside the main child, and what starting one needs.
    #[cfg(feature = "services")]
    services: Option<(Services, &'a Launch<'a>)>,
    /// Whether there is a main child: without one, keel runs only the services.
    #[cfg(feature = "services")]
    has_main: bool,
    /// keel was told to stop (its stop signal without a main child, or a critical service
    /// ended): the services stop once the main child has exited.
    #[cfg(feature = "services")]
    stop_requested: bool,
    /// The status of a critical service that stopped for good: keel exits with it.
    #[cfg(feature = "services")]
    critical_status: Option<i32>,
}

impl<'a> Supervisor<'a> {
    fn new(s: &'a Settings, own: Pid, child: Pid, relay: bool) -> Supervisor<'a> {
        let own = own.as_raw_nonzero().get();
        let raw = child.as_raw_nonzero().get();
        let target = if s.kill_process_group && !relay {
            -raw
        } else {
            raw
        };
        Supervisor {
            s,
            own,
            child,
            target,
            status: None,
            draining: false,
            deadline: None,
            kill_passes: 0,
            relay,
            #[cfg(feature = "services")]
            services: None,
            #[cfg(feature = "services")]
            has_main: true,
            #[cfg(feature = "services")]
            stop_requested: false,
            #[cfg(feature = "services")]
            critical_status: None,
        }
    }

    #[cfg(feature = "services")]
    fn with_services(mut self, launch: &'a Launch<'a>) -> Self {
        if !self.s.services.is_empty() {
            let services = Services::new(self.s.services, self.own, self.grace());
            self.services = Some((services, launch));
        }
        self
    }

    fn run(mut self) -> i32 {
        while self.reap() || !self.services_stopped() {
            #[cfg(feature = "services")]
            self.advance_services();
            if self.main_ended() && !self.draining && self.services_stopped() {
                self.drain();
            }
            let deadline = self.deadline;
            #[cfg(feature = "services")]
            let deadline = self.next_deadline(deadline);
            let timeout = match deadline.map(|deadline| deadline.checked_sub(sys::monotonic_ms())) {
                #[cfg(feature = "services")]
                Some(None | Some(0)) if !self.services_stopped() => {
                    // A service's deadline, or the main child outlived its grace: SIGKILL it
                    // alone, and the services stop in order after it.
                    if self.deadline.is_some_and(|d| d <= sys::monotonic_ms()) {
                        self.deadline = None;
                        if self.status.is_none() && self.has_main {
                            let _ = sys::kill(self.child.as_raw_nonzero().get(), SIGKILL as i32);
                        }
                    }
                    continue;
                }
                Some(None | Some(0)) => {
                    if self.kill_passes == KILL_PASSES {
                        say!(
                            log::WARN,
                            "drain: processes still present {} ms after SIGKILL; exiting",
                            KILL_PASS_MS * u64::from(KILL_PASSES)
                        );
                        break;
                    }
                    self.kill_rest();
                    continue;
                }
                Some(left) => left,
                None => None,
            };
            match sys::sigtimedwait(sys::ALL_SIGNALS, timeout) {
                Ok(info) => self.on_signal(&info),
                Err(Errno::AGAIN | Errno::INTR) => {}
                Err(e) => {
                    error!("rt_sigtimedwait: {}", ErrnoText(e));
                    break;
                }
            }
        }
        self.exit_status()
    }

    /// Reaps every zombie (SIGCHLDs coalesce, so one signal may stand for many). Returns
    /// whether any child is left.
    fn reap(&mut self) -> bool {
        loop {
            match rustix::process::wait(WaitOptions::NOHANG) {
                Ok(Some((pid, status))) if pid == self.child => {
                    self.status = Some(self.report(status))
                }
                #[cfg(feature = "services")]
                Ok(Some((pid, status))) if self.service_exited(pid, status) => {}
                Ok(Some((pid, _))) => {
                    if self.s.warn_on_reap {
                        say!(
                            log::WARN,
                            "Reaped zombie process with pid={}",
                            pid.as_raw_nonzero().get()
                        );
                    }
                }
                Ok(None) => return true,
                Err(Errno::INTR) => {}
                Err(_) => return false,
            }
        }
    }

    /// The main child's status as a shell reports it: the exit code, or 128+N for signal N.
    /// (The relay stays quiet: the inner keel has said it about the workload.)
    fn report(&self, status: WaitStatus) -> i32 {
        let level = if self.relay { log::DEBUG } else { log::INFO };
        if let Some(sig) = status.terminating_signal() {
            say!(
                level,
                "Main child exited with signal (with signal '{}')",
                Name(sig)
            );
            128 + sig
        } else {
            let code = status.exit_status().unwrap_or(0);
            say!(level, "Main child exited normally (with status '{}')", code);
            code
        }
    }

    fn on_signal(&mut self, info: &sys::SigInfo) {
        let sig = info.signo;
        #[cfg(feature = "services")]
        if self.services_signal(info) {
            return;
        }
        // SIGCHLD only wakes the loop up to reap. A signal keel sent itself (SIGPIPE from a
        // write to a closed stderr) is not the workload's business.
        if sig == SIGCHLD as i32 || (info.code <= 0 && info.pid == self.own) {
            return;
        }
        if self.status.is_some() {
            say!(
                log::DEBUG,
                "Not forwarding {}: the main child has exited",
                Name(sig)
            );
            return;
        }
        let to = if self.relay {
            sig
        } else {
            self.s.forwarded_as(sig)
        };
        if to == 0 {
            say!(log::DEBUG, "Dropping {} (rewritten to 0)", Name(sig));
            return;
        }
        say!(
            log::DEBUG,
            "Passing {} to the child as {}",
            Name(sig),
            Name(to)
        );
        if let Err(e) = sys::kill(self.target, to)
            && e != Errno::SRCH
        {
            say!(
                log::WARN,
                "forward {} to {}: {}",
                Name(to),
                self.target,
                ErrnoText(e)
            );
        }
        if sig == SIGTERM as i32 && self.deadline.is_none() && !self.relay {
            self.deadline = Some(sys::monotonic_ms() + self.grace());
        }
    }

    /// Whether the main child has exited; without one, whether keel was told to stop.
    fn main_ended(&self) -> bool {
        #[cfg(feature = "services")]
        if !self.has_main {
            return self.stop_requested;
        }
        self.status.is_some()
    }

    #[cfg(not(feature = "services"))]
    fn services_stopped(&self) -> bool {
        true
    }

    fn grace(&self) -> u64 {
        u64::from(self.s.grace_ms.unwrap_or(DEFAULT_GRACE_MS))
    }

    /// The main child is gone but others are left: SIGTERM them and start the grace clock.
    fn drain(&mut self) {
        self.draining = true;
        let group = self.group();
        let n = drain::signal_rest(self.own, group, SIGTERM as i32);
        drain::signal_rest(self.own, group, SIGCONT as i32);
        say!(
            log::INFO,
            "drain: sent SIGTERM to the remaining processes ({})",
            n
        );
        if self.deadline.is_none() {
            self.deadline = Some(sys::monotonic_ms() + self.grace());
        }
    }

    /// The main child's process group, which the drain falls back on without /proc; 0: none.
    fn group(&self) -> i32 {
        #[cfg(feature = "services")]
        if !self.has_main {
            return 0;
        }
        self.child.as_raw_nonzero().get()
    }

    fn kill_rest(&mut self) {
        let n = drain::signal_rest(self.own, self.group(), SIGKILL as i32);
        say!(log::INFO, "drain: grace period over, sent SIGKILL ({})", n);
        self.kill_passes += 1;
        self.deadline = Some(sys::monotonic_ms() + KILL_PASS_MS);
    }

    fn exit_status(&self) -> i32 {
        #[cfg(feature = "services")]
        let status = self
            .critical_status
            .or(self.status)
            .or((!self.has_main).then_some(0));
        #[cfg(not(feature = "services"))]
        let status = self.status;
        match status {
            Some(code) if u8::try_from(code).is_ok_and(|c| self.s.remap_exit.contains(c)) => 0,
            Some(code) => code & 0xff,
            // Only when waiting failed in a way that should not happen.
            None => exit::SETUP,
        }
    }
}

/// Driving the services from the supervision loop.
#[cfg(feature = "services")]
impl Supervisor<'_> {
    /// Whether no service is left to stop (true without services).
    fn services_stopped(&self) -> bool {
        self.services
            .as_ref()
            .is_none_or(|(services, _)| services.stopped())
    }

    /// Starts, fails, restarts and stops what is due; the stop begins once the main child
    /// has exited (or, without one, once keel is told to stop).
    fn advance_services(&mut self) {
        let stop = self.main_ended();
        if let Some((services, launch)) = &mut self.services {
            let now = sys::monotonic_ms();
            if stop {
                services.stop(launch, now);
            }
            services.advance(launch, now);
        }
    }

    /// The earlier of the drain's `deadline` and the services' next one.
    fn next_deadline(&self, deadline: Option<u64>) -> Option<u64> {
        let services = self.services.as_ref().and_then(|(s, _)| s.next_deadline());
        match (deadline, services) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A reaped pid that is a service's; a critical one that ended for good stops keel.
    fn service_exited(&mut self, pid: Pid, status: WaitStatus) -> bool {
        let Some((services, _)) = &mut self.services else {
            return false;
        };
        let Some(ended) = services.exited(pid, status, sys::monotonic_ms()) else {
            return false;
        };
        if let Some(code) = ended
            && self.critical_status.is_none()
        {
            say!(
                log::INFO,
                "critical service ended (status {}): stopping",
                code
            );
            self.critical_status = Some(code);
            self.request_stop();
        }
        true
    }

    /// Stops the main child as keel's stop signal would (SIGTERM and the grace clock), and
    /// the services after it.
    fn request_stop(&mut self) {
        self.stop_requested = true;
        if self.has_main && self.status.is_none() {
            let _ = sys::kill(self.target, SIGTERM as i32);
            if self.deadline.is_none() {
                self.deadline = Some(sys::monotonic_ms() + self.grace());
            }
        }
    }

    /// The signals that are the services' business: a readiness channel's SIGIO (sent by the
    /// kernel, `si_code` above 0), and, without a main child, the stop signal.
    fn services_signal(&mut self, info: &sys::SigInfo) -> bool {
        let Some((services, _)) = &mut self.services else {
            return false;
        };
        if info.signo == SIGIO as i32 && info.code > 0 {
            services.readable();
            return true;
        }
        if self.has_main || info.signo == SIGCHLD as i32 {
            return false;
        }
        if info.signo == SIGTERM as i32 {
            self.stop_requested = true;
        } else {
            say!(
                log::DEBUG,
                "Not forwarding {}: no main child",
                Name(info.signo)
            );
        }
        true
    }
}
