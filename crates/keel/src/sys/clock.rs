//! The monotonic clock, for timeouts.

use super::arch;
use linux_raw_sys::general as nr;

/// `clock_gettime(CLOCK_MONOTONIC)` in milliseconds, as a direct syscall: rustix would look for
/// the vDSO through the auxiliary vector, which costs syscalls and may need /proc.
pub fn monotonic_ms() -> u64 {
    let mut ts = nr::__kernel_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec.
    unsafe {
        arch::syscall3(
            nr::__NR_clock_gettime,
            nr::CLOCK_MONOTONIC as usize,
            &mut ts as *mut nr::__kernel_timespec as usize,
            0,
        )
    };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}
