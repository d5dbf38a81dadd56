//! The steps that build the view, written once, and the kernel interface they go through,
//! chosen once (see the module docs of `mounts`).

#[cfg(feature = "classic-mounts")]
use super::classic;
use super::error::MountError;
use super::{new_api, targets};
#[cfg(feature = "classic-mounts")]
use crate::log::{self, say};
use crate::log::{Bytes, error};
use crate::sys;
use core::ffi::CStr;
use keel_wire::{self as wire, MountKind};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{MountPropagationFlags, UnmountFlags};

/// Which kernel interface builds the view.
#[derive(Clone, Copy)]
enum Api {
    NewMountApi,
    /// mount(2), for kernels without mount_setattr.
    #[cfg(feature = "classic-mounts")]
    Classic,
}

// mount(2) needs the new root for the paths it resolves; the new API has the target's fd.
#[cfg_attr(not(feature = "classic-mounts"), expect(unused_variables))]
impl Api {
    /// mount_setattr is the newest call of the new API (5.12; the rest is 5.2): without it,
    /// before anything is mounted, the whole view is built with mount(2) instead.
    /// A keel built without `classic-mounts` refuses such a kernel before the first mount.
    fn of_this_kernel() -> Result<Api, ()> {
        if sys::has_mount_setattr() {
            return Ok(Api::NewMountApi);
        }
        #[cfg(feature = "classic-mounts")]
        {
            say!(
                log::INFO,
                "mounts: the kernel has no mount_setattr (Linux 5.12); using mount(2)"
            );
            Ok(Api::Classic)
        }
        #[cfg(not(feature = "classic-mounts"))]
        {
            error!(
                "mounts: the kernel has no mount_setattr (Linux 5.12), and this keel was built without classic-mounts: use a newer kernel, or a keel built with that feature"
            );
            Err(())
        }
    }

    fn bind_onto_itself(self, path: &CStr) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::bind_onto_itself(path),
            #[cfg(feature = "classic-mounts")]
            Api::Classic => classic::bind_onto_itself(path),
        }
    }

    fn mount(
        self,
        root: &OwnedFd,
        entry: &wire::Mount<'_>,
        at: &OwnedFd,
        in_user_namespace: bool,
    ) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::mount(entry, at, in_user_namespace),
            #[cfg(feature = "classic-mounts")]
            Api::Classic => classic::mount(root, entry, at, in_user_namespace),
        }
    }

    fn mask(self, root: &OwnedFd, path: &CStr, at: &OwnedFd, is_dir: bool) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::mask(path, at, is_dir),
            #[cfg(feature = "classic-mounts")]
            Api::Classic => classic::mask(root, path, at, is_dir),
        }
    }

    fn make_read_only(self, root: &OwnedFd, path: &CStr, at: &OwnedFd) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::make_read_only(path, at),
            #[cfg(feature = "classic-mounts")]
            Api::Classic => classic::make_read_only(root, path, at),
        }
    }

    /// The root's own mount read-only: the mounts on it keep their own flags, as in runc.
    fn set_read_only(self, root: &OwnedFd) -> Result<(), Errno> {
        match self {
            Api::NewMountApi => new_api::set_read_only(root),
            #[cfg(feature = "classic-mounts")]
            Api::Classic => classic::remount(root, wire::Mount::RDONLY),
        }
    }
}

/// Builds the configured view. Errors are printed; keel then exits with the setup status.
pub fn build(m: &wire::Mounts<'_>, in_user_namespace: bool) -> Result<(), ()> {
    rustix::mount::mount_change(
        c"/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| error!("mounts: make / private: {}", MountError(e)))?;
    let api = Api::of_this_kernel()?;
    let root_path = m.root.unwrap_or(c"/");
    if m.root.is_some() {
        // pivot_root needs the new root to be a mount point.
        api.bind_onto_itself(root_path)?;
    }
    let mut root = open_root(root_path)?;
    for entry in m.entries.iter() {
        let at = targets::target(&root, entry.target, bind_source_is_file(&entry))?;
        api.mount(&root, &entry, &at, in_user_namespace)?;
        // A mount on / (keel-gen allows it first, with a root) becomes the new root, as
        // Sandbox.jl's overlay of its rootfs: the later mounts and the pivot go onto it.
        if targets::is_root(entry.target) {
            root = open_root(root_path)?;
        }
    }
    // OCI maskedPaths and readonlyPaths: a path that does not exist needs neither.
    for path in m.masked.iter() {
        if let Some(at) = targets::existing(&root, path)? {
            let is_dir = rustix::fs::fstat(&at).is_ok_and(|st| st.st_mode & 0o170000 == 0o040000);
            api.mask(&root, path, &at, is_dir)?;
        }
    }
    for path in m.readonly.iter() {
        if let Some(at) = targets::existing(&root, path)? {
            api.make_read_only(&root, path, &at)?;
        }
    }
    if m.root_readonly {
        api.set_read_only(&root).map_err(|e| {
            error!(
                "mounts: read-only root {}: {}",
                Bytes(root_path.to_bytes()),
                MountError(e)
            )
        })?;
    }
    if m.root.is_some() {
        pivot(&root)?;
    }
    Ok(())
}

/// The directory at `path`: the mount on top of it.
fn open_root(path: &CStr) -> Result<OwnedFd, ()> {
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        error!(
            "mounts: open root {}: {}",
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })
}

fn bind_source_is_file(entry: &wire::Mount<'_>) -> bool {
    entry.kind == MountKind::Bind
        && entry
            .source
            .is_some_and(|s| rustix::fs::stat(s).is_ok_and(|st| st.st_mode & 0o170000 != 0o040000))
}

/// pivot_root into `root` with the old root stacked on the same directory, then detach the
/// old root: nothing of the host's tree stays reachable.
fn pivot(root: &OwnedFd) -> Result<(), ()> {
    rustix::process::fchdir(root)
        .map_err(|e| error!("mounts: chdir to the new root: {}", MountError(e)))?;
    rustix::process::pivot_root(c".", c".")
        .map_err(|e| error!("mounts: pivot_root: {}", MountError(e)))?;
    rustix::mount::unmount(c".", UnmountFlags::DETACH)
        .map_err(|e| error!("mounts: detach the old root: {}", MountError(e)))?;
    rustix::process::chdir(c"/").map_err(|e| error!("mounts: chdir /: {}", MountError(e)))
}
