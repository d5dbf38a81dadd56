//! Signalling every process left below keel, for the drain at the end.
//!
//! As PID 1 of a pid namespace that is `kill(-1)`: every process in the namespace but keel.
//! Otherwise keel is a subreaper, and its descendants are found by walking
//! `/proc/PID/task/TID/children` from keel down (every thread, since a child belongs to the
//! thread that forked it). Without /proc, the main child's process group is signalled instead.

use crate::log::{self, say};
use crate::sys;
use core::mem::MaybeUninit;
use rustix::fd::OwnedFd;
use rustix::fs::{CWD, Mode, OFlags, RawDir, openat};
use ufmt::uwrite;

/// How many pids the walk keeps pending at once; deeper or wider trees are signalled on a
/// later pass of the drain (it runs again at SIGKILL time).
const PENDING: usize = 1024;

/// Sends `sig` to every process below keel (`own` is keel's pid, `group` the main child's
/// process group, 0 when there is no main child). Returns how many processes were signalled (for as-PID-1: whether any was).
pub fn signal_rest(own: i32, group: i32, sig: i32) -> usize {
    if own == 1 {
        return usize::from(sys::kill(-1, sig).is_ok());
    }
    match walk(own, sig) {
        Some(n) => n,
        None if group > 0 => usize::from(sys::kill(-group, sig).is_ok()),
        None => 0,
    }
}

/// Depth-first over /proc; `None` when /proc cannot be read at all. A process is signalled
/// only after its children are listed: SIGKILLed first, it would hand them to keel before the
/// walk saw them. Children forked after the listing are caught by the drain's next pass.
fn walk(own: i32, sig: i32) -> Option<usize> {
    let mut pending: heapless::Vec<i32, PENDING> = heapless::Vec::new();
    let mut signalled = 0;
    let mut pid = own;
    loop {
        let mut path: heapless::String<32> = heapless::String::new();
        let _ = uwrite!(path, "/proc/{}/task", pid);
        let tasks = open(&path);
        if pid == own && tasks.is_none() {
            return None;
        }
        let mut dirbuf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut dir = tasks.as_ref().map(|fd| RawDir::new(fd, &mut dirbuf));
        while let Some(Some(Ok(entry))) = dir.as_mut().map(RawDir::next) {
            let Some(tid) = parse_pid(entry.file_name().to_bytes()) else {
                continue;
            };
            for child in children(pid, tid) {
                if pending.push(child).is_err() {
                    say!(
                        log::WARN,
                        "drain: more than {} processes pending; the rest on the next pass",
                        PENDING
                    );
                }
            }
        }
        if pid != own && sys::kill(pid, sig).is_ok() {
            signalled += 1;
        }
        match pending.pop() {
            Some(next) => pid = next,
            None => return Some(signalled),
        }
    }
}

/// The pids listed in `/proc/PID/task/TID/children`.
fn children(pid: i32, tid: i32) -> impl Iterator<Item = i32> {
    let mut path: heapless::String<48> = heapless::String::new();
    let _ = uwrite!(path, "/proc/{}/task/{}/children", pid, tid);
    let mut buf = [0u8; 4096];
    let mut len = 0;
    if let Some(fd) = open(&path) {
        while let Ok(n @ 1..) = rustix::io::read(&fd, &mut buf[len..]) {
            len += n;
        }
    }
    // Pids are separated by spaces; a list longer than the buffer loses its tail for this pass.
    let mut pids: heapless::Vec<i32, 512> = heapless::Vec::new();
    for word in buf[..len].split(|&c| c == b' ' || c == b'\n') {
        if let Some(pid) = parse_pid(word) {
            let _ = pids.push(pid);
        }
    }
    pids.into_iter()
}

fn parse_pid(text: &[u8]) -> Option<i32> {
    keel_wire::syntax::parse_decimal(text).and_then(|n| i32::try_from(n).ok())
}

fn open(path: &str) -> Option<OwnedFd> {
    openat(CWD, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()
}
