//! How the mount steps report an errno: with what it means when its cause is known.

use crate::log::ErrnoText;
use rustix::io::Errno;
use ufmt::uwrite;

/// An errno from the mount steps, with the likely cause when there is one.
pub struct MountError(pub Errno);

impl ufmt::uDisplay for MountError {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        let hint = match self.0 {
            Errno::NOSYS => {
                ": the kernel lacks the new mount API (fsopen, fsmount, open_tree, move_mount: Linux 5.2; mount_setattr: 5.12)"
            }
            Errno::NODEV => ": the kernel has no such filesystem (a module not loaded?)",
            _ => "",
        };
        uwrite!(f, "{}{}", ErrnoText(self.0), hint)
    }
}
