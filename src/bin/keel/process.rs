//! The workload's process: which descriptors it inherits, its environment, and the exec.

use crate::cli::{Settings, lookup};
use crate::log::{self, Error, say};
use crate::{exec, signal, sys};
use core::ffi::CStr;
use rustix::process::Pid;
use ufmt::uwrite;

/// Room for the workload's environment when keel has to rewrite it.
const MAX_ENV: usize = 1024;

/// Closes every inherited descriptor from 3 up, except the socket-activation ones systemd
/// passed to keel (`LISTEN_FDS` with `LISTEN_PID` = keel), which the workload inherits.
/// `--keep-fds` keeps them all for the workload.
pub fn close_inherited_fds(s: &Settings, env: sys::StrArray) {
    if s.keep_fds {
        return;
    }
    let own = rustix::process::getpid().as_raw_nonzero().get();
    let listen_fds = match lookup(env, b"LISTEN_PID").and_then(signal::number) {
        Some(pid) if pid == own => lookup(env, b"LISTEN_FDS")
            .and_then(signal::number)
            .unwrap_or(0),
        _ => 0,
    };
    if let Err(e) = sys::close_from(3 + listen_fds as u32) {
        say!(
            log::WARN,
            "close_range from fd {}: {}",
            3 + listen_fds,
            Error(e)
        );
    }
}

/// Execs the workload with its environment. `parent` is keel's pid when this runs in a forked
/// child: socket activation's `LISTEN_PID` then names keel and must name the child instead.
/// Returns only on failure, with the status to exit with.
pub fn exec_workload(s: &Settings, env: sys::StrArray, parent: Option<Pid>) -> i32 {
    let path = lookup(env, b"PATH");
    let listen_pid = lookup(env, b"LISTEN_PID").and_then(signal::number);
    let rewrite_listen_pid =
        matches!((parent, listen_pid), (Some(p), Some(l)) if p.as_raw_nonzero().get() == l);
    if !rewrite_listen_pid {
        return exec::exec(s.program, env.as_ptr(), path);
    }
    let mut envp = sys::PtrList::<MAX_ENV>::new();
    for entry in env.iter() {
        if !entry.to_bytes().starts_with(b"LISTEN_PID=") && envp.push(entry).is_err() {
            say!(
                log::WARN,
                "environment: more than {} entries; the rest is dropped",
                MAX_ENV - 1
            );
            break;
        }
    }
    if let Some(entry) = listen_pid_entry() {
        let _ = envp.push(entry);
    }
    exec::exec(s.program, envp.as_ptr(), path)
}

static LISTEN_PID: sys::StaticBuf<32> = sys::StaticBuf::new();

/// `LISTEN_PID=<this process's pid>`, in storage that outlives the exec call.
fn listen_pid_entry() -> Option<&'static CStr> {
    let buf = LISTEN_PID.take()?;
    let mut text: heapless::String<31> = heapless::String::new();
    uwrite!(
        text,
        "LISTEN_PID={}",
        rustix::process::getpid().as_raw_nonzero().get()
    )
    .ok()?;
    buf[..text.len()].copy_from_slice(text.as_bytes());
    CStr::from_bytes_until_nul(&buf[..]).ok()
}
