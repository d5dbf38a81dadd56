//! The launcher interface, bubblewrap's `--json-status-fd` and `--block-fd`: a program that
//! starts keel (a CI runner, a sandbox library) learns what keel started and when it ended,
//! and may set the sandbox up from outside (network, cgroup limits) before the exec.
//!
//! `--status-fd N` (`status_fd`): one JSON object per line on descriptor N,
//!
//! ```text
//! {"child-pid": 4242, "mnt-namespace": 4026532175, "pid-namespace": 4026532178}
//! {"exit-code": 3}                             or {"signal": 9, "exit-code": 137}
//! ```
//!
//! the first once the workload's process exists (its pid in keel's caller's pid namespace,
//! and the inode of each namespace keel created for it, as `/proc/PID/ns/KIND` shows it),
//! the second when it ended. In a new pid or user namespace the workload is the inner keel's
//! child: the inner keel asks the relay, which reads the pid from its own /proc (the inner
//! keel's `task/PID/children`) and writes the first line; the inner keel waits for that
//! before it reaps, so the lines come in order. The inner keel writes the second.
//!
//! `--block-fd N` (`block_fd`): the workload's process reads one byte (or EOF) from N after
//! every setup step but the privileges (user, capabilities, seccomp), right before they and
//! the exec.
//!
//! Both descriptors are checked with the config, made close-on-exec once keel runs from its
//! sealed copy, and never reach the workload.

use crate::cli::{Mode, Settings, exit};
use crate::log::{self, ErrnoText, error, say};
use crate::{drain, sys};
use keel_wire::NamespaceSet;
use rustix::fd::OwnedFd;
use rustix::fs::OFlags;
use rustix::io::{Errno, FdFlags};
use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::{Pid, WaitStatus};
use ufmt::uwrite;

/// Each namespace keel can create and its `/proc/PID/ns` name, also bwrap's key for it:
/// `NAME-namespace`.
const KINDS: [(u32, &str); 8] = [
    (NamespaceSet::CGROUP, "cgroup"),
    (NamespaceSet::IPC, "ipc"),
    (NamespaceSet::MOUNT, "mnt"),
    (NamespaceSet::NET, "net"),
    (NamespaceSet::PID, "pid"),
    (NamespaceSet::TIME, "time"),
    (NamespaceSet::USER, "user"),
    (NamespaceSet::UTS, "uts"),
];

/// Checks the descriptors before keel changes anything: open, and the right way round.
pub fn check(s: &Settings, mode: Mode) -> Result<(), ()> {
    // The launcher's lines describe one workload's process, and its release one exec: with
    // services beside it neither would say what the launcher takes it to.
    #[cfg(feature = "services")]
    if !s.services.is_empty() && (s.status_fd.is_some() || s.block_fd.is_some()) {
        error!(
            "launcher: --status-fd and --block-fd are for one workload, and this config has services: run the services without them"
        );
        return Err(());
    }
    if let Some(fd) = s.status_fd {
        if mode == Mode::Exec {
            error!(
                "--status-fd {}: keel reports the workload's start and end only when it supervises it, and --exec replaces keel with it: drop one",
                fd
            );
            return Err(());
        }
        check_fd(
            "--status-fd",
            fd,
            OFlags::RDONLY,
            "read-only, and keel writes there",
        )?;
    }
    if let Some(fd) = s.block_fd {
        check_fd(
            "--block-fd",
            fd,
            OFlags::WRONLY,
            "write-only, and keel reads there",
        )?;
    }
    Ok(())
}

fn check_fd(option: &str, fd: u32, wrong: OFlags, why: &str) -> Result<(), ()> {
    if !(3..=i32::MAX as u32).contains(&fd) {
        error!(
            "{} {}: 0-2 are the workload's stdio, and a descriptor is below 2^31: use 3 or above",
            option, fd
        );
        return Err(());
    }
    match rustix::fs::fcntl_getfl(sys::launcher_fd(fd)) {
        Ok(flags) if flags & OFlags::RWMODE == wrong => {
            error!(
                "{} {}: {}: open {}",
                option,
                fd,
                ErrnoText(Errno::BADF),
                why
            );
            Err(())
        }
        Ok(_) => Ok(()),
        Err(e) => {
            error!(
                "{} {}: {}: not an open descriptor; fix: pass it to keel open (e.g. python's pass_fds)",
                option,
                fd,
                ErrnoText(e)
            );
            Err(())
        }
    }
}

/// Makes the descriptors close-on-exec: the workload never gets them. After `seal`, whose
/// re-exec of keel must keep them.
pub fn keep_from_workload(s: &Settings) -> Result<(), ()> {
    for (option, fd) in [("--status-fd", s.status_fd), ("--block-fd", s.block_fd)] {
        if let Some(fd) = fd
            && let Err(e) = rustix::io::fcntl_setfd(sys::launcher_fd(fd), FdFlags::CLOEXEC)
        {
            error!(
                "{} {}: fcntl(F_SETFD, FD_CLOEXEC): {}",
                option,
                fd,
                ErrnoText(e)
            );
            return Err(());
        }
    }
    Ok(())
}

/// The namespaces keel creates for the workload: the configured ones, the private mount
/// namespace of `[mounts]`, and the user and mount namespace of `lock`.
fn created(s: &Settings) -> u32 {
    let configured = s.namespaces.map_or(0, |n| n.unshare.0);
    #[cfg(feature = "mounts")]
    if let Some(m) = &s.mounts {
        let lock = if m.lock { NamespaceSet::USER } else { 0 };
        return configured | NamespaceSet::MOUNT | lock;
    }
    configured
}

/// `{"child-pid": P, "KIND-namespace": INODE, ...}`, from this process's /proc. A namespace
/// whose /proc/P/ns entry keel cannot read (a root without /proc) is left out, with a warning.
pub fn report_started(s: &Settings, fd: u32, pid: i32) {
    let set = created(s);
    let mut line: heapless::Vec<u8, 384> = heapless::Vec::new();
    let _ = uwrite!(line, "{{\"child-pid\": {}", pid);
    for (kind, name) in KINDS {
        if set & kind == 0 {
            continue;
        }
        let mut path: heapless::String<48> = heapless::String::new();
        let _ = uwrite!(path, "/proc/{}/ns/{}", pid, name);
        match rustix::fs::stat(path.as_str()) {
            Ok(st) => {
                let _ = uwrite!(line, ", \"{}-namespace\": {}", name, st.st_ino);
            }
            Err(e) => say!(
                log::WARN,
                "--status-fd {}: {}: {}; left out",
                fd,
                path.as_str(),
                ErrnoText(e)
            ),
        }
    }
    let _ = line.extend_from_slice(b"}\n");
    write_line(fd, &line);
}

/// `{"exit-code": N}`, or `{"signal": S, "exit-code": 128+S}`: the workload's own status,
/// before any `-e` remapping.
pub fn report_ended(fd: u32, status: WaitStatus) {
    let mut line: heapless::Vec<u8, 64> = heapless::Vec::new();
    let _ = match status.terminating_signal() {
        Some(sig) => uwrite!(
            line,
            "{{\"signal\": {}, \"exit-code\": {}}}\n",
            sig,
            128 + sig
        ),
        None => uwrite!(
            line,
            "{{\"exit-code\": {}}}\n",
            status.exit_status().unwrap_or(0)
        ),
    };
    write_line(fd, &line);
}

/// One line, whole: a launcher that closed its end (EPIPE) gets a warning, not a failure.
fn write_line(fd: u32, mut line: &[u8]) {
    while !line.is_empty() {
        match rustix::io::write(sys::launcher_fd(fd), line) {
            Ok(n) => line = line.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(e) => {
                say!(log::WARN, "--status-fd {}: write: {}", fd, ErrnoText(e));
                return;
            }
        }
    }
}

/// `--block-fd`: waits for one byte, or EOF.
pub fn await_release(fd: u32) -> Result<(), i32> {
    let mut byte = [0u8];
    loop {
        match rustix::io::read(sys::launcher_fd(fd), &mut byte) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => {
                error!("--block-fd {}: read: {}", fd, ErrnoText(e));
                return Err(exit::SETUP);
            }
        }
    }
}

/// The inner keel's ends of its channel to the relay: it asks on one, once the workload's
/// process exists, and waits on the other until the relay has written the first line.
pub struct InnerEnds {
    ask: OwnedFd,
    done: OwnedFd,
}

/// The relay's ends.
pub struct RelayEnds {
    asked: OwnedFd,
    done: OwnedFd,
}

/// The two pipes, made by the relay before the clone (both ends close-on-exec).
pub fn channel() -> Result<(RelayEnds, InnerEnds), Errno> {
    let (asked, ask) = pipe_with(PipeFlags::CLOEXEC)?;
    let (wait, done) = pipe_with(PipeFlags::CLOEXEC)?;
    Ok((RelayEnds { asked, done }, InnerEnds { ask, done: wait }))
}

impl InnerEnds {
    /// Tells the relay the workload's process exists, and waits until it wrote the line
    /// (EOF if the relay died: the inner keel is killed with it anyway).
    pub fn report_started(&self) {
        let mut byte = [0u8];
        if rustix::io::write(&self.ask, b"1").is_ok() {
            while let Err(Errno::INTR) = rustix::io::read(&self.done, &mut byte) {}
        }
    }
}

impl RelayEnds {
    /// Waits until the inner keel asks, then writes the first line for its only child, the
    /// workload. EOF instead: the inner keel failed before it started one; keel's status
    /// says so. `Err` only when the pid cannot be learnt.
    pub fn answer(self, s: &Settings, fd: u32, inner: Pid) -> Result<(), ()> {
        let mut byte = [0u8];
        let asked = loop {
            match rustix::io::read(&self.asked, &mut byte) {
                Err(Errno::INTR) => {}
                other => break matches!(other, Ok(1)),
            }
        };
        if !asked {
            return Ok(());
        }
        let inner = inner.as_raw_nonzero().get();
        let mut children = drain::children(inner, inner);
        let (Some(pid), None) = (children.next(), children.next()) else {
            error!(
                "--status-fd {}: /proc/{}/task/{}/children does not name the workload alone (the kernel needs CONFIG_PROC_CHILDREN)",
                fd, inner, inner
            );
            return Err(());
        };
        report_started(s, fd, pid);
        let _ = rustix::io::write(&self.done, b"1");
        Ok(())
    }
}

/// The workload's process started: the first line, by this keel or through the relay.
pub fn started(s: &Settings, relay: Option<&InnerEnds>, child: Pid) {
    match (s.status_fd, relay) {
        (Some(_), Some(relay)) => relay.report_started(),
        (Some(fd), None) => report_started(s, fd, child.as_raw_nonzero().get()),
        (None, _) => {}
    }
}
