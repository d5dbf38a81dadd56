//! The architecture's own code, chosen here once: `_start` and the `syscall` instruction
//! (`syscall3/4/5`, `exit_group`), and the kernel's return convention every wrapper decodes.
//! A port to another architecture adds a sibling of `x86_64.rs` with the same items.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(any(
    feature = "seal",
    feature = "security",
    feature = "mounts",
    feature = "landlock"
))]
pub use x86_64::syscall5;
#[cfg(target_arch = "x86_64")]
pub use x86_64::{exit_group, syscall3, syscall4};

use rustix::io::Errno;

/// A raw syscall's return value as a result.
pub fn result(ret: isize) -> Result<usize, Errno> {
    // The kernel returns -4095..=-1 for errors, anything else is a value.
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw_os_error(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}
