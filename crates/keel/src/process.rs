//! The workload's process: which descriptors it inherits, its working directory, its
//! environment, and the exec.

use crate::cli::{Settings, exit, lookup};
use crate::log::{self, Bytes, ErrnoText, error, say};
use crate::{exec, sys};
use core::ffi::CStr;
use keel_wire::{self as wire, syntax::parse_decimal};
use linux_raw_sys::general::SIGCHLD;
use rustix::process::Pid;
use ufmt::uwrite;

/// Room for the workload's environment when keel builds it: what keel inherited plus what a
/// config sets, and the terminating NULL.
const MAX_ENV: usize = 2 * wire::MAX_ENV + 2;

/// The caller's signal state, which keel changes for itself and gives back to the workload
/// exactly: the blocked mask, and whether SIGCHLD was ignored.
pub struct Caller {
    mask: sys::SigSet,
    sigchld_ignored: bool,
}

impl Caller {
    /// Blocks every signal, so none can kill or stop keel (blocked signals are queued even
    /// for a pid-namespace init and even when ignored), and makes SIGCHLD default: with it
    /// ignored the kernel would reap children itself and keel would never learn the
    /// workload's status.
    pub fn capture() -> Caller {
        let mask = sys::set_signal_mask(sys::ALL_SIGNALS);
        let sigchld_ignored = sys::set_signal_ignored(SIGCHLD as i32, false);
        Caller {
            mask,
            sigchld_ignored,
        }
    }

    fn restore(&self) {
        if self.sigchld_ignored {
            sys::set_signal_ignored(SIGCHLD as i32, true);
        }
        sys::set_signal_mask(self.mask);
    }
}

/// Everything needed to start the workload.
pub struct Launch<'a> {
    pub s: &'a Settings,
    pub env: sys::StrArray,
    /// keel's pid (the relay's, when there is one), which socket activation's `LISTEN_PID`
    /// names when systemd started keel.
    pub keel: Pid,
    pub caller: &'a Caller,
    #[cfg(feature = "cgroup")]
    pub cgroup: Option<&'a crate::cgroup::Delegated>,
    /// The Landlock ruleset, fitted to the kernel.
    pub landlock: Option<&'a crate::security::LandlockPlan>,
}

/// Runs the workload: in keel's own process (`--exec`), or in a child keel forked.
/// Returns only on failure, with the status to exit with.
pub fn exec_workload(l: &Launch<'_>) -> i32 {
    let (s, env, keel) = (l.s, l.env, l.keel);
    if enter(l).is_err() {
        return exit::SETUP;
    }
    let own = rustix::process::getpid();
    let keel_pid = keel.as_raw_nonzero().get().unsigned_abs();
    let listen_pid = lookup(env, b"LISTEN_PID").and_then(parse_decimal);
    let activated = listen_pid == Some(keel_pid);
    close_inherited_fds(s, env, activated);
    let rewrite_listen_pid = activated && own != keel;
    let listen = rewrite_listen_pid.then(|| listen_pid_entry(own)).flatten();
    exec_process(l, &s.process, s.program, listen)
}

/// Runs a service, in the child keel forked for it: as the workload, with its own process
/// settings and `extra` (its `NOTIFY_SOCKET`) in its environment. keel's descriptors are
/// all close-on-exec by then. Returns only on failure.
#[cfg(feature = "services")]
pub fn exec_service(
    l: &Launch<'_>,
    p: &wire::Process<'static>,
    program: sys::StrArray,
    extra: Option<&'static CStr>,
) -> i32 {
    if enter(l).is_err() {
        return exit::SETUP;
    }
    exec_process(l, p, program, extra)
}

/// The workload's cgroup, then the caller's signal state back.
fn enter(l: &Launch<'_>) -> Result<(), ()> {
    #[cfg(feature = "cgroup")]
    if let Some(cgroup) = l.cgroup
        && let Err(e) = crate::cgroup::join(cgroup)
    {
        error!("cgroup: join the workload's cgroup: {}", ErrnoText(e));
        return Err(());
    }
    l.caller.restore();
    Ok(())
}

/// The working directory, the privileges, the environment (with `extra`, which replaces an
/// inherited entry of its name), then the exec of `program`.
fn exec_process(
    l: &Launch<'_>,
    p: &wire::Process<'static>,
    program: sys::StrArray,
    extra: Option<&'static CStr>,
) -> i32 {
    let env = l.env;
    if let Some(cwd) = p.cwd
        && let Err(e) = rustix::process::chdir(cwd)
    {
        error!("cwd {}: {}", Bytes(cwd.to_bytes()), ErrnoText(e));
        return exit::SETUP;
    }
    // Privileges go last: the steps above may need them.
    if crate::security::apply(p, l.landlock).is_err() {
        return exit::SETUP;
    }
    if extra.is_none() && !p.env_clear && p.env_set.is_empty() && p.env_unset.is_empty() {
        return exec::exec(program, env.as_ptr(), lookup(env, b"PATH"));
    }
    let mut envp = sys::PtrList::<MAX_ENV>::new();
    let extra_key = extra.map(name);
    let replaced = |entry: &CStr| {
        let key = name(entry);
        p.env_unset.iter().any(|unset| unset.to_bytes() == key)
            || p.env_set.iter().any(|set| name(set) == key)
            || extra_key == Some(key)
    };
    let inherited = env.iter().filter(|entry| !p.env_clear && !replaced(entry));
    for entry in inherited.chain(p.env_set.iter()).chain(extra) {
        if envp.push(entry).is_err() {
            error!("environment: more than {} entries", MAX_ENV - 1);
            return exit::SETUP;
        }
    }
    let path = envp
        .iter()
        .find_map(|entry| entry.to_bytes().strip_prefix(b"PATH="));
    exec::exec(program, envp.as_ptr(), path)
}

/// Closes every inherited descriptor from 3 up, except the socket-activation ones systemd
/// passed (`LISTEN_FDS`, when `LISTEN_PID` names keel). `--keep-fds` keeps them all.
fn close_inherited_fds(s: &Settings, env: sys::StrArray, activated: bool) {
    if s.keep_fds {
        return;
    }
    let listen_fds = if activated {
        lookup(env, b"LISTEN_FDS")
            .and_then(parse_decimal)
            .unwrap_or(0)
    } else {
        0
    };
    let first = listen_fds.saturating_add(3);
    if let Err(e) = sys::close_from(first) {
        say!(log::WARN, "close_range from fd {}: {}", first, ErrnoText(e));
    }
}

/// The variable name of a `NAME=value` entry.
fn name(entry: &CStr) -> &[u8] {
    let bytes = entry.to_bytes();
    bytes.split(|&c| c == b'=').next().unwrap_or(bytes)
}

static LISTEN_PID: sys::StaticCell<[u8; 32]> = sys::StaticCell::new([0; 32]);

/// `LISTEN_PID=<pid>`, in storage that outlives the exec call.
fn listen_pid_entry(pid: Pid) -> Option<&'static CStr> {
    let buf = LISTEN_PID.take()?;
    let mut text: heapless::String<31> = heapless::String::new();
    uwrite!(text, "LISTEN_PID={}", pid.as_raw_nonzero().get()).ok()?;
    buf[..text.len()].copy_from_slice(text.as_bytes());
    CStr::from_bytes_until_nul(&buf[..]).ok()
}
