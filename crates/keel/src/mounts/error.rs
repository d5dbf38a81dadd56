//! How the mount steps report an errno: with what it means when its cause is known.

use crate::log::{ErrnoText, Line, Show};
#[cfg(feature = "mounts")]
use core::ffi::CStr;
use rustix::io::Errno;

/// An errno from the mount steps, with the likely cause when there is one.
pub struct MountError(pub Errno);

impl Show for MountError {
    fn show(&self, line: &mut Line) {
        let hint = match self.0 {
            Errno::NOSYS => {
                ": the kernel lacks the new mount API (fsopen, fsmount, open_tree, move_mount: Linux 5.2; mount_setattr: 5.12)"
            }
            Errno::NODEV => ": the kernel has no such filesystem (a module not loaded?)",
            _ => "",
        };
        ErrnoText(self.0).show(line);
        line.push(hint.as_bytes());
    }
}

/// A new instance of the filesystem `fs` failed with `errno`, with the likely cause: in a
/// user namespace the kernel lets only some filesystems be mounted, each when keel also owns
/// the namespace it shows (fs_context's `global` and the owner checks of each filesystem).
#[cfg(feature = "mounts")]
pub struct FsError<'a>(pub &'a CStr, pub Errno);

#[cfg(feature = "mounts")]
impl Show for FsError<'_> {
    fn show(&self, line: &mut Line) {
        MountError(self.1).show(line);
        if self.1 != Errno::PERM {
            return;
        }
        let fs = self.0.to_bytes();
        let namespace: &[u8] = match fs {
            b"proc" => b"pid",
            b"sysfs" => b"net",
            b"mqueue" => b"ipc",
            b"cgroup2" => b"cgroup",
            b"devtmpfs" => {
                line.push(b": devtmpfs needs root: in a user namespace, bind the host's device nodes onto a tmpfs /dev");
                return;
            }
            _ => return,
        };
        for part in [
            b": ",
            fs,
            b" needs a ",
            namespace,
            b" namespace of its own: add \"",
            namespace,
            b"\" to unshare",
        ] {
            line.push(part);
        }
    }
}
