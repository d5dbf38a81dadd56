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

/// `close_range(first, last, 0)`: closes the descriptors `first..=last`.
#[cfg(feature = "namespaces")]
fn close_range(first: u32, last: u32) -> Result<(), Errno> {
    // SAFETY: plain integers; keel holds no descriptors it still needs in the range.
    result(unsafe { arch::syscall3(nr::__NR_close_range, first as usize, last as usize, 0) })
        .map(drop)
}

/// Closes every descriptor from `first` up but `keep` (a launcher's, which keel still uses).
#[cfg(feature = "namespaces")]
pub fn close_from_except(first: u32, keep: Option<u32>) -> Result<(), Errno> {
    match keep {
        Some(keep) if keep >= first => {
            if keep > first {
                close_range(first, keep - 1)?;
            }
            close_range(keep.saturating_add(1), u32::MAX)
        }
        _ => close_from(first),
    }
}

/// A descriptor a launcher passed keel (`--status-fd`, `--block-fd`) as a `BorrowedFd`.
#[cfg(feature = "namespaces")]
pub fn launcher_fd(fd: u32) -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: rustix makes this unsafe because the number could be closed and reused. keel
    // checks the descriptor is open (and below 2^31) before its first use, and every process
    // of keel that uses it keeps it open until it exits or execs: `close_from_except` skips
    // it, and the relay's `close_from` comes after its last use.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(fd as i32) }
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
