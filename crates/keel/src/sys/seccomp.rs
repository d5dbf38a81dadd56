//! Installing a seccomp filter: rustix has no seccomp.

use super::arch::{self, result};
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &{len, filter})`: installs a classic BPF program
/// (`sock_filter` records back to back, as the config carries them). rustix has no seccomp.
pub fn seccomp_set_mode_filter(flags: u32, program: &[u8]) -> Result<(), Errno> {
    /// `struct sock_fprog`: the kernel copies the instructions, so their alignment in the
    /// config buffer does not matter.
    #[repr(C)]
    struct SockFprog {
        len: u16,
        filter: *const u8,
    }
    /// linux/seccomp.h (linux-raw-sys has it only in its `ptrace` module).
    const SECCOMP_SET_MODE_FILTER: usize = 1;
    let Ok(len) = u16::try_from(program.len() / 8) else {
        return Err(Errno::INVAL);
    };
    let prog = SockFprog {
        len,
        filter: program.as_ptr(),
    };
    // SAFETY: `prog` points to `len` whole 8-byte instructions inside `program`, which outlives
    // the call; the kernel only reads them.
    result(unsafe {
        arch::syscall3(
            nr::__NR_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags as usize,
            &prog as *const SockFprog as usize,
        )
    })
    .map(drop)
}
