//! Services: processes keel runs beside the main workload, as s6-overlay or supervisord
//! would, in fixed arrays sized by the wire limit ([`wire::MAX_SERVICES`]).
//!
//! Each service goes through these states (see README, "Services"):
//!
//! ```text
//! waiting ──(its after are ready)──▶ starting ──(READY=1 / newline / at once)──▶ ready
//!    ▲                                  │  └──(ready_timeout: SIGKILL, a failed start)
//!    │                                  ▼
//! back-off ◀──(exited, restart policy says again)── exited ──(for good)──▶ done
//!                                                   stopping ──(exited)──▶ done
//! ```
//!
//! Supervision drives it: [`Services::advance`] when time passes, [`Services::exited`] for a
//! reaped pid, [`Services::readable`] when a readiness channel raised SIGIO, and
//! [`Services::next_deadline`] for how long `rt_sigtimedwait` may sleep. Stopping is one
//! service at a time, in reverse start order: its stop signal, its grace, then SIGKILL.

mod start;

use crate::log::{self, Bytes, say};
use crate::process::Launch;
use crate::signal::Name;
use crate::sys;
use keel_wire::{self as wire, Ready, Restart};
use linux_raw_sys::general::{SIGCONT, SIGKILL};
use rustix::fd::OwnedFd;
use rustix::process::{Pid, WaitStatus};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not started: waiting for its after to be ready.
    Waiting,
    /// Running, not yet ready.
    Starting,
    /// Running and ready: the services after it may start.
    Ready,
    /// Exited; started again at the deadline.
    BackOff,
    /// Sent its stop signal (and SIGKILL once `killed`); waiting for its exit.
    Stopping,
    /// Exited for good, or never to start.
    Done,
}

struct Slot {
    service: wire::Service<'static>,
    state: State,
    pid: Option<Pid>,
    channel: Option<OwnedFd>,
    /// When it was last started, monotonic ms.
    started_ms: u64,
    /// The ready timeout, the end of the back-off or of the stop grace; None: no deadline.
    deadline: Option<u64>,
    /// The next back-off.
    delay_ms: u32,
    restarts: u32,
    /// It was not ready in time: its exit is a failure whatever its status.
    failed_start: bool,
    killed: bool,
}

pub struct Services {
    slots: heapless::Vec<Slot, { wire::MAX_SERVICES }>,
    /// keel's pid, which readiness signals go to.
    keel: i32,
    /// The grace of a service whose stop_grace is 0.
    grace_ms: u64,
    stopping: bool,
}

impl Services {
    pub fn new(services: wire::Services<'static>, keel: i32, grace_ms: u64) -> Services {
        let mut slots = heapless::Vec::new();
        for service in services.iter() {
            // decode checked the count against MAX_SERVICES, so every push fits.
            let _ = slots.push(Slot {
                service,
                state: State::Waiting,
                pid: None,
                channel: None,
                started_ms: 0,
                deadline: None,
                delay_ms: service.restart_delay_ms,
                restarts: 0,
                failed_start: false,
                killed: false,
            });
        }
        Services {
            slots,
            keel,
            grace_ms,
            stopping: false,
        }
    }

    /// Does what is due at `now`: starts the services whose after are ready and those whose
    /// back-off is over, fails those not ready in time; when stopping, moves the stop on.
    pub fn advance(&mut self, l: &Launch<'_>, now: u64) {
        if self.stopping {
            return self.advance_stop(now);
        }
        for i in 0..self.slots.len() {
            let due = self.slots[i]
                .deadline
                .is_some_and(|deadline| deadline <= now);
            match self.slots[i].state {
                State::Waiting if self.after_ready(i) => self.start(l, i, now),
                State::BackOff if due => self.start(l, i, now),
                State::Starting if due => {
                    let slot = &mut self.slots[i];
                    say!(
                        log::WARN,
                        "service {}: not ready after {} ms; killing it (a failed start)",
                        Bytes(slot.service.name.to_bytes()),
                        slot.service.ready_timeout_ms
                    );
                    slot.failed_start = true;
                    slot.deadline = None;
                    slot.channel = None;
                    signal(slot, SIGKILL as i32);
                }
                _ => {}
            }
        }
    }

    fn after_ready(&self, i: usize) -> bool {
        let after = self.slots[i].service.after;
        after.iter().all(|j| {
            self.slots
                .get(usize::from(j))
                .is_some_and(|s| s.state == State::Ready)
        })
    }

    fn start(&mut self, l: &Launch<'_>, i: usize, now: u64) {
        let slot = &mut self.slots[i];
        let name = Bytes(slot.service.name.to_bytes());
        slot.started_ms = now;
        slot.failed_start = false;
        match start::start(l, &slot.service, self.keel) {
            Ok(started) => {
                let pid = started.pid.as_raw_nonzero().get();
                say!(log::INFO, "service {}: started, pid {}", name, pid);
                slot.pid = Some(started.pid);
                slot.channel = started.channel;
                slot.state = State::Starting;
                slot.deadline = match slot.service.ready_timeout_ms {
                    0 => None,
                    ms => Some(now + u64::from(ms)),
                };
                if slot.service.ready == Ready::Started {
                    self.became_ready(i);
                }
            }
            // Said by `start`; a start that cannot even fork counts as a failed run.
            Err(()) => {
                slot.failed_start = true;
                let _ = self.ended(i, 1, now);
            }
        }
    }

    fn became_ready(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        slot.state = State::Ready;
        slot.deadline = None;
        slot.channel = None;
        say!(
            log::INFO,
            "service {}: ready",
            Bytes(slot.service.name.to_bytes())
        );
    }

    /// A readiness channel raised SIGIO: reads every channel with something waiting.
    pub fn readable(&mut self) {
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            let (Some(channel), State::Starting) = (&slot.channel, slot.state) else {
                continue;
            };
            match start::read_ready(channel, slot.service.ready) {
                Ok(true) => self.became_ready(i),
                Ok(false) => {}
                Err(()) => {
                    say!(
                        log::WARN,
                        "service {}: closed its ready fd without a newline",
                        Bytes(slot.service.name.to_bytes())
                    );
                    slot.channel = None;
                }
            }
        }
    }

    /// A reaped `pid`: if it is a service's (else None), what comes next for it, with the
    /// status of a critical service that stopped for good, which stops the container.
    pub fn exited(&mut self, pid: Pid, status: WaitStatus, now: u64) -> Option<Option<i32>> {
        let i = self.slots.iter().position(|slot| slot.pid == Some(pid))?;
        let code = match status.terminating_signal() {
            Some(sig) => {
                let name = Bytes(self.slots[i].service.name.to_bytes());
                say!(
                    log::INFO,
                    "service {}: exited with signal {}",
                    name,
                    Name(sig)
                );
                128 + sig
            }
            None => {
                let code = status.exit_status().unwrap_or(0);
                let name = Bytes(self.slots[i].service.name.to_bytes());
                say!(log::INFO, "service {}: exited with status {}", name, code);
                code
            }
        };
        Some(self.ended(i, code, now))
    }

    /// Service `i` ended with `code` (its own, or 1 for a start that failed).
    fn ended(&mut self, i: usize, code: i32, now: u64) -> Option<i32> {
        let stopping = self.stopping;
        let slot = &mut self.slots[i];
        slot.pid = None;
        slot.channel = None;
        slot.deadline = None;
        let failed = code != 0 || slot.failed_start;
        let again = match slot.service.restart {
            Restart::Always => true,
            Restart::OnFailure => failed,
            Restart::No => false,
        };
        if stopping || !again {
            slot.state = State::Done;
            return (slot.service.critical && !stopping).then_some(code);
        }
        let run_ms = now.saturating_sub(slot.started_ms);
        if run_ms >= u64::from(slot.service.restart_reset_ms) {
            slot.delay_ms = slot.service.restart_delay_ms;
        }
        let delay = slot.delay_ms;
        slot.delay_ms = delay.saturating_mul(2).min(slot.service.restart_max_ms);
        slot.restarts += 1;
        slot.state = State::BackOff;
        slot.deadline = Some(now + u64::from(delay));
        say!(
            log::INFO,
            "service {}: restart {} in {} ms",
            Bytes(slot.service.name.to_bytes()),
            slot.restarts,
            delay
        );
        None
    }

    /// Starts the ordered stop: nothing starts any more.
    pub fn stop(&mut self, l: &Launch<'_>, now: u64) {
        if !self.stopping {
            self.stopping = true;
            self.advance(l, now);
        }
    }

    /// Stops the last running service, in start order, that is not stopped yet; services
    /// never started (or backing off) are done at once.
    fn advance_stop(&mut self, now: u64) {
        for slot in self.slots.iter_mut() {
            if matches!(slot.state, State::Waiting | State::BackOff) {
                slot.state = State::Done;
            }
            // Only the grace of the one being stopped counts now.
            if slot.state != State::Stopping {
                slot.deadline = None;
            }
        }
        let Some(slot) = self
            .slots
            .iter_mut()
            .rev()
            .find(|slot| slot.state != State::Done)
        else {
            return;
        };
        if slot.state != State::Stopping {
            let sig = i32::from(slot.service.stop_signal);
            say!(
                log::INFO,
                "service {}: stopping with {}",
                Bytes(slot.service.name.to_bytes()),
                Name(sig)
            );
            slot.state = State::Stopping;
            slot.channel = None;
            let grace = match slot.service.stop_grace_ms {
                0 => self.grace_ms,
                ms => u64::from(ms),
            };
            slot.deadline = Some(now + grace);
            signal(slot, sig);
            signal(slot, SIGCONT as i32);
        } else if slot.deadline.is_some_and(|deadline| deadline <= now) && !slot.killed {
            say!(
                log::INFO,
                "service {}: grace over, sent SIGKILL",
                Bytes(slot.service.name.to_bytes())
            );
            slot.killed = true;
            slot.deadline = None;
            signal(slot, SIGKILL as i32);
        }
    }

    /// Whether every service is done: the stop is over.
    pub fn stopped(&self) -> bool {
        self.slots.iter().all(|slot| slot.state == State::Done)
    }

    /// The earliest deadline, for the wait's timeout.
    pub fn next_deadline(&self) -> Option<u64> {
        self.slots.iter().filter_map(|slot| slot.deadline).min()
    }
}

fn signal(slot: &Slot, sig: i32) {
    if let Some(pid) = slot.pid {
        let _ = sys::kill(pid.as_raw_nonzero().get(), sig);
    }
}
