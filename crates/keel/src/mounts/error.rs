//! How the mount steps report an errno: with what it means when its cause is known.

use crate::log::{ErrnoText, Line, Show};
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
