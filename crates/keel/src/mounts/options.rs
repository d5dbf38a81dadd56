//! What a filesystem is given, the same through either kernel API: its type name, a scratch
//! tmpfs's options and attributes, and directories named by `/proc/self/fd/N` within
//! fsconfig's length limit.

use core::ffi::CStr;
#[cfg(feature = "mounts")]
use keel_wire::{self as wire, MountKind};
use rustix::fd::{AsRawFd, BorrowedFd};
use ufmt::uwrite;

/// fsconfig refuses longer strings (fs/fsopen.c).
pub const FSCONFIG_MAX: usize = 255;

#[cfg(feature = "mounts")]
/// The filesystem type of a mount kind (a bind has none).
pub fn fs_name(kind: MountKind) -> &'static CStr {
    match kind {
        MountKind::Tmpfs => c"tmpfs",
        MountKind::Proc => c"proc",
        MountKind::Sysfs => c"sysfs",
        MountKind::Devpts => c"devpts",
        MountKind::Mqueue => c"mqueue",
        MountKind::Cgroup2 => c"cgroup2",
        MountKind::Devtmpfs => c"devtmpfs",
        MountKind::Overlay => c"overlay",
        MountKind::Bind => c"",
    }
}

/// `bytes` with a NUL, in `buf`; None when too long for fsconfig.
pub fn cstr<'b>(bytes: &[u8], buf: &'b mut [u8; FSCONFIG_MAX + 1]) -> Option<&'b CStr> {
    if bytes.len() > FSCONFIG_MAX {
        return None;
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    CStr::from_bytes_with_nul(&buf[..=bytes.len()]).ok()
}

/// `/proc/self/fd/N`: how a layer or mount point keel holds open is named to the kernel.
/// Short, and never in need of the escaping a `:` or `,` in a real path would need.
pub fn fd_path(fd: BorrowedFd<'_>) -> heapless::String<32> {
    let mut p = heapless::String::new();
    let _ = uwrite!(p, "/proc/self/fd/{}", fd.as_raw_fd());
    p
}

#[cfg(feature = "mounts")]
/// A scratch tmpfs's parameters: mode 0755 and an optional size limit (`size` holds the
/// `size=` text).
pub fn tmpfs_options<'b>(
    size: Option<&CStr>,
    text: &'b mut [u8; FSCONFIG_MAX + 1],
) -> heapless::Vec<&'b CStr, 2> {
    let mut options: heapless::Vec<&CStr, 2> = heapless::Vec::new();
    let _ = options.push(c"mode=0755");
    if let Some(size) = size {
        let mut line: heapless::Vec<u8, { FSCONFIG_MAX + 1 }> = heapless::Vec::new();
        // The decoder bounds a size to 250 bytes (`check_overlay_size`), so both fit.
        let _ = line.extend_from_slice(b"size=");
        let _ = line.extend_from_slice(size.to_bytes());
        if let Some(opt) = cstr(&line, text) {
            let _ = options.push(opt);
        }
    }
    options
}

#[cfg(feature = "mounts")]
/// A scratch tmpfs's attributes: nodev and nosuid, read-only when asked.
pub fn tmpfs_attrs(read_only: bool) -> u64 {
    let attrs = wire::Mount::NODEV | wire::Mount::NOSUID;
    if read_only {
        attrs | wire::Mount::RDONLY
    } else {
        attrs
    }
}
