//! What services' readiness runs on: a notify socket with a name the kernel picks, and
//! descriptors that raise a signal when they become readable, so that supervision keeps
//! waiting in `rt_sigtimedwait` alone.

use super::arch::{self, result};
use linux_raw_sys::general as nr;
use linux_raw_sys::net;
use rustix::fd::{AsRawFd, FromRawFd, OwnedFd};
use rustix::io::Errno;

/// The longest abstract name autobind gives: 5 hex digits (`unix_autobind`).
pub const AUTOBIND_NAME_MAX: usize = 5;

/// `socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)`, then
/// `bind(fd, {AF_UNIX}, sizeof(sa_family_t))` (autobind: the kernel picks a free abstract
/// name, so no directory has to be writable and two keels never collide), then
/// `getsockname` for that name. Returns the socket and the name, without its leading NUL.
pub fn notify_socket() -> Result<(OwnedFd, [u8; AUTOBIND_NAME_MAX], usize), Errno> {
    // SAFETY: plain integers.
    let fd = result(unsafe {
        arch::syscall3(
            nr::__NR_socket,
            net::AF_UNIX as usize,
            (net::SOCK_DGRAM | nr::O_CLOEXEC | nr::O_NONBLOCK) as usize,
            0,
        )
    })?;
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    let socket = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let family = net::AF_UNIX as u16;
    // SAFETY: an address of only its family (2 bytes) is what asks for autobind.
    result(unsafe {
        arch::syscall3(
            nr::__NR_bind,
            socket.as_raw_fd() as usize,
            &family as *const u16 as usize,
            2,
        )
    })?;
    let mut addr = net::sockaddr_un {
        sun_family: 0,
        sun_path: [0; 108],
    };
    let mut len = core::mem::size_of::<net::sockaddr_un>() as u32;
    // SAFETY: `addr` is a writable sockaddr_un and `len` its size, as getsockname expects.
    result(unsafe {
        arch::syscall3(
            nr::__NR_getsockname,
            socket.as_raw_fd() as usize,
            &mut addr as *mut net::sockaddr_un as usize,
            &mut len as *mut u32 as usize,
        )
    })?;
    // The family (2 bytes), the NUL that makes it abstract, then the name.
    let name_len = (len as usize).saturating_sub(3).min(AUTOBIND_NAME_MAX);
    let mut name = [0; AUTOBIND_NAME_MAX];
    for (dst, &src) in name.iter_mut().zip(&addr.sun_path[1..1 + name_len]) {
        *dst = src as u8;
    }
    Ok((socket, name, name_len))
}

/// `fcntl(fd, F_SETOWN, pid)`, `fcntl(fd, F_SETSIG, sig)`, then `O_ASYNC | O_NONBLOCK`:
/// the kernel sends `sig` to `pid` whenever `fd` becomes readable (or its writer closes it),
/// queued with `si_code` `POLL_IN` (above 0), which no kill(2) can forge.
pub fn signal_when_readable(fd: &OwnedFd, pid: i32, sig: i32) -> Result<(), Errno> {
    let fcntl = |cmd: u32, arg: usize| {
        // SAFETY: F_SETOWN, F_SETSIG, F_GETFL and F_SETFL take integers only.
        result(unsafe {
            arch::syscall3(nr::__NR_fcntl, fd.as_raw_fd() as usize, cmd as usize, arg)
        })
    };
    fcntl(nr::F_SETOWN, pid as usize)?;
    fcntl(nr::F_SETSIG, sig as usize)?;
    let flags = fcntl(nr::F_GETFL, 0)?;
    fcntl(nr::F_SETFL, flags | (nr::FASYNC | nr::O_NONBLOCK) as usize).map(drop)
}
