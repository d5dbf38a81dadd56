//! mount_setattr, the one call of the new mount API rustix does not have yet (rustix#975).

use super::arch::{self, result};
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// `mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], {attr_set, attr_clr}, 32)` on a
/// detached mount, before it is attached. rustix does not have it yet (rustix#975).
/// Setting an access-time mode clears the others, as the kernel requires.
pub fn mount_setattr(
    mnt: &rustix::fd::OwnedFd,
    attr_set: u64,
    recursive: bool,
) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    let atime = u64::from(nr::MOUNT_ATTR__ATIME);
    let attr = nr::mount_attr {
        attr_set,
        attr_clr: if attr_set & atime != 0 { atime } else { 0 },
        propagation: 0,
        userns_fd: 0,
    };
    let mut flags = nr::AT_EMPTY_PATH;
    if recursive {
        flags |= nr::AT_RECURSIVE;
    }
    // SAFETY: `attr` is a live mount_attr of the size passed; the path is an empty C string.
    let ret = unsafe {
        arch::syscall5(
            nr::__NR_mount_setattr,
            mnt.as_raw_fd() as usize,
            c"".as_ptr() as usize,
            flags as usize,
            &attr as *const nr::mount_attr as usize,
            core::mem::size_of::<nr::mount_attr>(),
        )
    };
    result(ret).map(drop)
}

/// Whether the kernel has `mount_setattr` (Linux 5.12, the newest call of the new mount
/// API): a call with size 0 fails EINVAL where it exists, ENOSYS where it does not (or where
/// a seccomp policy hides it), and changes nothing either way.
pub fn has_mount_setattr() -> bool {
    // SAFETY: a NULL path and attribute with size 0: the kernel reads nothing.
    let ret = unsafe { arch::syscall5(nr::__NR_mount_setattr, usize::MAX, 0, 0, 0, 0) };
    result(ret) != Err(Errno::NOSYS)
}
