//! Entering new namespaces, and the one setting a new network namespace needs.

use super::arch::{self, result};
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// `unshare(flags)` with CLONE_NEW* bits. rustix's `unshare_unsafe` is unsafe for CLONE_FILES,
/// which keel never passes; this takes only namespace bits.
pub fn unshare(flags: u32) -> Result<(), Errno> {
    const NAMESPACES: u32 = nr::CLONE_NEWNS
        | nr::CLONE_NEWUTS
        | nr::CLONE_NEWIPC
        | nr::CLONE_NEWNET
        | nr::CLONE_NEWPID
        | nr::CLONE_NEWCGROUP
        | nr::CLONE_NEWUSER
        | nr::CLONE_NEWTIME;
    // SAFETY: namespace flags only (masked above), which affect no memory of this process.
    result(unsafe { arch::syscall3(nr::__NR_unshare, (flags & NAMESPACES) as usize, 0, 0) })
        .map(drop)
}

#[cfg(feature = "namespaces")]
/// Brings the loopback interface of a new network namespace up: SIOCGIFFLAGS, set IFF_UP,
/// SIOCSIFFLAGS on a throwaway datagram socket. Two ioctls instead of a netlink library.
pub fn loopback_up() -> Result<(), Errno> {
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: i16,
        _pad: [u8; 22],
    }
    let mut req = IfReq {
        name: *b"lo\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        flags: 0,
        _pad: [0; 22],
    };
    // SAFETY: plain integers.
    let fd = result(unsafe {
        arch::syscall3(
            nr::__NR_socket,
            linux_raw_sys::net::AF_INET as usize,
            (linux_raw_sys::net::SOCK_DGRAM | nr::O_CLOEXEC) as usize,
            0,
        )
    })?;
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    let sock = unsafe { <rustix::fd::OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd as i32) };
    use rustix::fd::AsRawFd;
    let ioctl = |request: u32, req: &mut IfReq| {
        // SAFETY: `req` is a writable struct ifreq of the kernel's size (40 bytes).
        result(unsafe {
            arch::syscall3(
                nr::__NR_ioctl,
                sock.as_raw_fd() as usize,
                request as usize,
                req as *mut IfReq as usize,
            )
        })
    };
    ioctl(linux_raw_sys::ioctl::SIOCGIFFLAGS, &mut req)?;
    req.flags |= linux_raw_sys::net::net_device_flags::IFF_UP as i16;
    ioctl(linux_raw_sys::ioctl::SIOCSIFFLAGS, &mut req).map(drop)
}
