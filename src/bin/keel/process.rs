//! The workload's process: which descriptors it inherits, its working directory, its
//! environment, and the exec.

use crate::cli::{Settings, exit, lookup};
use crate::log::{self, Bytes, Error, error, say};
use crate::{exec, sys};
use core::ffi::CStr;
use keel::wire::{self, syntax::parse_decimal};
use rustix::process::Pid;
use ufmt::uwrite;

/// Room for the workload's environment when keel builds it: what keel inherited plus what a
/// config sets, and the terminating NULL.
const MAX_ENV: usize = 2 * wire::MAX_ENV + 2;

/// Closes every inherited descriptor from 3 up, except the socket-activation ones systemd
/// passed to keel (`LISTEN_FDS` with `LISTEN_PID` = keel), which the workload inherits.
/// `--keep-fds` keeps them all for the workload.
pub fn close_inherited_fds(s: &Settings, env: sys::StrArray) {
    if s.keep_fds {
        return;
    }
    let listen_fds = match lookup(env, b"LISTEN_PID").and_then(parse_decimal) {
        Some(pid) if pid == own_pid() => lookup(env, b"LISTEN_FDS").and_then(parse_decimal).unwrap_or(0),
        _ => 0,
    };
    let first = listen_fds.saturating_add(3);
    if let Err(e) = sys::close_from(first) {
        say!(log::WARN, "close_range from fd {}: {}", first, Error(e));
    }
}

/// Execs the workload in its directory with its environment. `parent` is keel's pid when
/// this runs in a forked child: socket activation's `LISTEN_PID` then names keel and must name
/// the child instead. Returns only on failure, with the status to exit with.
pub fn exec_workload(s: &Settings, env: sys::StrArray, parent: Option<Pid>) -> i32 {
    let p = &s.process;
    if let Some(cwd) = p.cwd {
        if let Err(e) = rustix::process::chdir(cwd) {
            error!("cwd {}: {}", Bytes(cwd.to_bytes()), Error(e));
            return exit::SETUP;
        }
    }
    let listen_pid = lookup(env, b"LISTEN_PID").and_then(parse_decimal);
    let rewrite_listen_pid = parent.is_some_and(|pid| listen_pid == u32::try_from(pid.as_raw_nonzero().get()).ok());
    if !rewrite_listen_pid && !p.env_clear && p.env_set.is_empty() && p.env_unset.is_empty() {
        return exec::exec(s.program, env.as_ptr(), lookup(env, b"PATH"));
    }
    let mut envp = sys::PtrList::<MAX_ENV>::new();
    let replaced = |entry: &CStr| {
        let key = name(entry);
        p.env_unset.iter().any(|unset| unset.to_bytes() == key)
            || p.env_set.iter().any(|set| name(set) == key)
            || (rewrite_listen_pid && key == b"LISTEN_PID")
    };
    let inherited = env.iter().filter(|entry| !p.env_clear && !replaced(entry));
    let listen = rewrite_listen_pid.then(listen_pid_entry).flatten();
    for entry in inherited.chain(p.env_set.iter()).chain(listen) {
        if envp.push(entry).is_err() {
            error!("environment: more than {} entries", MAX_ENV - 1);
            return exit::SETUP;
        }
    }
    let path = envp.iter().find_map(|entry| entry.to_bytes().strip_prefix(b"PATH="));
    exec::exec(s.program, envp.as_ptr(), path)
}

/// The variable name of a `NAME=value` entry.
fn name(entry: &CStr) -> &[u8] {
    let bytes = entry.to_bytes();
    bytes.split(|&c| c == b'=').next().unwrap_or(bytes)
}

fn own_pid() -> u32 {
    rustix::process::getpid().as_raw_nonzero().get().unsigned_abs()
}

static LISTEN_PID: sys::StaticCell<[u8; 32]> = sys::StaticCell::new([0; 32]);

/// `LISTEN_PID=<this process's pid>`, in storage that outlives the exec call.
fn listen_pid_entry() -> Option<&'static CStr> {
    let buf = LISTEN_PID.take()?;
    let mut text: heapless::String<31> = heapless::String::new();
    uwrite!(text, "LISTEN_PID={}", own_pid()).ok()?;
    buf[..text.len()].copy_from_slice(text.as_bytes());
    CStr::from_bytes_until_nul(&buf[..]).ok()
}
