//! Starting one service: its readiness channel (a notify socket or a pipe), the fork, and in
//! the child the descriptor and the environment the channel needs before the exec.

use crate::log::{Bytes, ErrnoText, error};
use crate::process::{self, Launch};
use crate::sys;
use core::ffi::CStr;
use keel_wire::{self as wire, Ready};
use linux_raw_sys::general::SIGIO;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::Pid;

/// `NOTIFY_SOCKET=@` and an autobind name, with its NUL.
const NOTIFY_ENTRY_LEN: usize = 15 + sys::AUTOBIND_NAME_MAX + 1;

/// The child's argv and `NOTIFY_SOCKET` entry: statics, because exec needs `'static`
/// strings; each forked child has its own copy and takes them once.
static ARGV: sys::StaticCell<sys::PtrList<{ wire::MAX_ARGS + 1 }>> =
    sys::StaticCell::new(sys::PtrList::new());
static NOTIFY_ENTRY: sys::StaticCell<[u8; NOTIFY_ENTRY_LEN]> =
    sys::StaticCell::new([0; NOTIFY_ENTRY_LEN]);

/// A started service: its pid, and the read side of its readiness channel, which raises
/// SIGIO in keel when it becomes readable.
pub struct Started {
    pub pid: Pid,
    pub channel: Option<OwnedFd>,
}

/// Creates the service's readiness channel and forks it. `keel` is the pid SIGIO goes to.
pub fn start(l: &Launch<'_>, service: &wire::Service<'static>, keel: i32) -> Result<Started, ()> {
    let name = Bytes(service.name.to_bytes());
    let fail = |step: &str, e: Errno| {
        error!(
            "service {}: {}: {}",
            name,
            Bytes(step.as_bytes()),
            ErrnoText(e)
        );
    };
    // The read side (keel's) and what the child gets: the pipe's write side, or the name.
    let (channel, write_side, notify) = match service.ready {
        Ready::Started => (None, None, None),
        Ready::Notify => {
            let (socket, name, len) = sys::notify_socket().map_err(|e| fail("notify socket", e))?;
            (Some(socket), None, Some((name, len)))
        }
        Ready::Fd(_) => {
            let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                .map_err(|e| fail("pipe", e))?;
            (Some(read), Some(write), None)
        }
    };
    if let Some(channel) = &channel {
        sys::signal_when_readable(channel, keel, SIGIO as i32)
            .map_err(|e| fail("fcntl O_ASYNC", e))?;
    }
    match sys::fork() {
        Err(e) => {
            fail("fork", e);
            Err(())
        }
        Ok(None) => sys::exit_group(child(l, service, write_side.as_ref(), notify)),
        Ok(Some(pid)) => {
            // Also from this side, so a stop signal cannot race the child's setpgid.
            let _ = rustix::process::setpgid(Some(pid), Some(pid));
            Ok(Started { pid, channel })
        }
    }
}

/// In the forked child: a process group of its own (a terminal's signals are the main
/// workload's), the readiness descriptor or variable, then the exec.
fn child(
    l: &Launch<'_>,
    service: &wire::Service<'static>,
    write_side: Option<&OwnedFd>,
    notify: Option<([u8; sys::AUTOBIND_NAME_MAX], usize)>,
) -> i32 {
    let _ = rustix::process::setpgid(None, None);
    if let (Some(write), Ready::Fd(fd)) = (write_side, service.ready) {
        // dup3 onto the same number fails; the pipe's side is already there, minus CLOEXEC.
        let done = if write.as_raw_fd() == i32::from(fd) {
            rustix::io::fcntl_setfd(write, rustix::io::FdFlags::empty())
        } else {
            sys::dup_onto(write, i32::from(fd))
        };
        if let Err(e) = done {
            error!(
                "service {}: ready fd {}: {}",
                Bytes(service.name.to_bytes()),
                fd,
                ErrnoText(e)
            );
            return crate::cli::exit::SETUP;
        }
    }
    let extra = notify.and_then(|(name, len)| notify_entry(&name[..len]));
    let Some(argv) = ARGV.take() else {
        return crate::cli::exit::SETUP;
    };
    // decode checked the count against MAX_ARGS, so every push fits.
    for arg in service.process.args.iter() {
        let _ = argv.push(arg);
    }
    process::exec_service(l, &service.process, argv.as_array(), extra)
}

/// `NOTIFY_SOCKET=@NAME`, the abstract address systemd's sd_notify takes with a leading `@`.
fn notify_entry(name: &[u8]) -> Option<&'static CStr> {
    const KEY: &[u8] = b"NOTIFY_SOCKET=@";
    let buf = NOTIFY_ENTRY.take()?;
    buf.get_mut(..KEY.len())?.copy_from_slice(KEY);
    buf.get_mut(KEY.len()..KEY.len() + name.len())?
        .copy_from_slice(name);
    CStr::from_bytes_until_nul(&buf[..]).ok()
}

/// Reads what is waiting on a readiness channel; true once it says the service is ready:
/// a datagram with a `READY=1` line (sd_notify), or a newline (s6). `Err` when the channel is
/// done without it: the pipe's writer closed it.
pub fn read_ready(channel: &OwnedFd, ready: Ready) -> Result<bool, ()> {
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(channel, &mut buf) {
            Ok(0) if matches!(ready, Ready::Fd(_)) => return Err(()),
            Ok(n) => {
                let data = &buf[..n];
                let said = match ready {
                    Ready::Notify => data.split(|&c| c == b'\n').any(|line| line == b"READY=1"),
                    _ => data.contains(&b'\n'),
                };
                if said {
                    return Ok(true);
                }
            }
            Err(Errno::INTR) => {}
            Err(_) => return Ok(false),
        }
    }
}
