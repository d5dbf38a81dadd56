//! Creating an overlayfs with the new mount API, across kernel versions: shared by the
//! workload's overlays (`mounts`) and keel's sealed copy of itself (`seal`).
//!
//! Layers are opened first and passed by descriptor: `lowerdir+` once per layer (6.15+, which
//! also accepts detached mounts as layers), else one `lowerdir=` list of their
//! `/proc/self/fd/N` names. Linux 6.1 accepts `lowerdir+` but fails the create, rejects values
//! with a `,`, and limits every fsconfig string to 255 bytes; fd names need no escaping and
//! stay short whatever the real paths are.

use super::error::MountError;
use super::options::{FSCONFIG_MAX, cstr, fd_path};
use crate::log::{Bytes, Line, Show, error};
use core::ffi::CStr;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};

/// The kernel's own explanation after a failed fsconfig: reading the fs context fd returns
/// its log lines (`e overlay: ...`).
pub fn kernel_message<'b>(fs: &OwnedFd, buf: &'b mut [u8; 256]) -> &'b [u8] {
    let n = rustix::io::read(fs, &mut buf[..]).unwrap_or(0);
    let msg = &buf[..n];
    let msg = msg.strip_prefix(b"e ").unwrap_or(msg);
    msg.strip_suffix(b"\n").unwrap_or(msg)
}

pub struct KernelSays<'a>(pub &'a [u8]);

impl Show for KernelSays<'_> {
    fn show(&self, line: &mut Line) {
        if !self.0.is_empty() {
            line.push(b" (kernel: ");
            line.push(self.0);
            line.push(b")");
        }
    }
}

/// An overlay over `lowers` (top first) with an optional (upper, work) pair, all given as open
/// directories, as a detached mount with `attrs`. First `lowerdir+` once per layer, by fd
/// (Linux 6.15+, which also accepts detached mounts as layers); then, for older kernels (6.1
/// accepts `lowerdir+` but fails the create), one `lowerdir=` list of /proc/self/fd names,
/// which keeps it under fsconfig's 255-byte limit for up to 15 layers. With `report`, a
/// failure is printed with the kernel's own explanation.
pub fn overlay_fs(
    lowers: &[BorrowedFd<'_>],
    upper: Option<(BorrowedFd<'_>, BorrowedFd<'_>)>,
    in_user_namespace: bool,
    attrs: MountAttrFlags,
    target: &CStr,
    report: bool,
) -> Result<OwnedFd, Errno> {
    let configure = |fs: &OwnedFd, by_fd: bool| -> Result<(), Errno> {
        if by_fd {
            for layer in lowers {
                rustix::mount::fsconfig_set_fd(fs, c"lowerdir+", layer)?;
            }
        } else {
            let mut line: heapless::Vec<u8, { FSCONFIG_MAX + 1 }> = heapless::Vec::new();
            for (i, layer) in lowers.iter().enumerate() {
                let sep: &[u8] = if i == 0 { b"" } else { b":" };
                line.extend_from_slice(sep)
                    .and_then(|()| line.extend_from_slice(fd_path(*layer).as_bytes()))
                    .map_err(|_| Errno::TOOBIG)?;
            }
            let mut value = [0u8; FSCONFIG_MAX + 1];
            rustix::mount::fsconfig_set_string(
                fs,
                c"lowerdir",
                cstr(&line, &mut value).ok_or(Errno::TOOBIG)?,
            )?;
        }
        if let Some((upper, work)) = upper {
            rustix::mount::fsconfig_set_string(fs, c"upperdir", fd_path(upper).as_str())?;
            rustix::mount::fsconfig_set_string(fs, c"workdir", fd_path(work).as_str())?;
            // In a user namespace overlayfs cannot set its trusted.* xattrs on the upper layer
            // and falls back to a degraded mode (with kernel warnings); user.* ones it can.
            if in_user_namespace {
                rustix::mount::fsconfig_set_flag(fs, c"userxattr")?;
            }
        }
        // Inode numbers need not be unique across layers here; xino off spares warnings.
        let _ = rustix::mount::fsconfig_set_string(fs, c"xino", c"off");
        rustix::mount::fsconfig_create(fs)
    };
    // Only the last attempt's failure is reported, with the kernel's explanation when the
    // filesystem context has one.
    let attempt = |by_fd: bool| -> Result<OwnedFd, Errno> {
        let fs = rustix::mount::fsopen(c"overlay", FsOpenFlags::FSOPEN_CLOEXEC);
        let mounted = fs.as_ref().map_err(|e| *e).and_then(|fs| {
            configure(fs, by_fd)?;
            rustix::mount::fsmount(fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs)
        });
        if let Err(e) = mounted
            && report
            && !by_fd
        {
            let mut why = [0u8; 256];
            let said = fs
                .as_ref()
                .map_or(&[][..], |fs| kernel_message(fs, &mut why));
            error!(
                "mounts: overlay for {}: {}{}",
                Bytes(target.to_bytes()),
                MountError(e),
                KernelSays(said)
            );
        }
        mounted
    };
    attempt(true).or_else(|_| attempt(false))
}
