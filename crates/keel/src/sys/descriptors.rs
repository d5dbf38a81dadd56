//! The descriptors keel hands the workload: closing the rest, and standard streams by number.

use super::arch::{self, result};
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// `close_range(first, ~0U, 0)`: closes every descriptor from `first` up.
pub fn close_from(first: u32) -> Result<(), Errno> {
    // SAFETY: plain integers; keel holds no descriptors it still needs at or above `first`.
    result(unsafe { arch::syscall3(nr::__NR_close_range, first as usize, u32::MAX as usize, 0) })
        .map(drop)
}

/// `dup3(fd, target, 0)`: makes descriptor number `target` a copy of `fd`. rustix's dup2 wants
/// an `OwnedFd` for the target, which a closed standard descriptor is not.
pub fn dup_onto(fd: &rustix::fd::OwnedFd, target: i32) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    // SAFETY: plain integers; replacing `target` is the point.
    result(unsafe { arch::syscall3(nr::__NR_dup3, fd.as_raw_fd() as usize, target as usize, 0) })
        .map(drop)
}

/// Descriptor 0, 1 or 2 as a `BorrowedFd`.
pub fn stdio(fd: i32) -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: rustix makes this unsafe because a closed standard descriptor could be reused by
    // a later open; keel never closes 0-2 and opens only onto them when they are closed
    // (`dup_onto`), so the number means the standard stream for the whole process.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) }
}
