//! The workload's filesystem view, built with the new mount API (fsopen, fsconfig, fsmount,
//! open_tree, mount_setattr, move_mount), so that every mount is complete — attributes and
//! all — before it becomes visible: a read-only bind is never writable for an instant, and
//! a mount that fails half-way was never attached anywhere. Detached mounts are invisible to
//! every mount table, the host's included.
//!
//! In the workload's mount namespace: propagation is made private first (nothing travels back
//! to the host), then the new root (if any) is bound onto itself, each mount is built detached
//! and moved onto its target (resolved inside the new root, so a symlink cannot point it out),
//! masked and read-only paths are applied, and keel pivots into the new root and detaches the
//! old one, so the host paths behind bind sources and overlay layers become unreachable.
//!
//! Overlays:
//! - sealed: lower layers only. Read-only by construction: with no upper layer, remounting
//!   read-write, fspick + reconfigure and mount_setattr cannot make it writable (writes stay
//!   EROFS). Overlayfs needs two lower layers without an upper one, so a single layer gets an
//!   empty, detached tmpfs as the second.
//! - ephemeral: upper and work directories on a detached tmpfs (with a size limit): the writes
//!   vanish with the namespace.
//! - persisted: upper and work directories given by the config: the changes stay there.
//!
//! How the layers reach the kernel across versions is in `overlay`. Without the new mount API
//! (or without mount_setattr, before 5.12) the same view is built with mount(2): `classic`.
//! `build` chooses the `Api` once, before the first mount; the steps are the same for both.

mod classic;
mod error;
mod layers;
mod new_api;
mod options;
pub mod overlay;
mod targets;

pub use error::MountError;

use crate::log::{self, Bytes, error, say};
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
    Classic,
}

impl Api {
    /// mount_setattr is the newest call of the new API (5.12; the rest is 5.2): without it,
    /// before anything is mounted, the whole view is built with mount(2) instead.
    fn of_this_kernel() -> Api {
        if sys::has_mount_setattr() {
            return Api::NewMountApi;
        }
        say!(
            log::INFO,
            "mounts: the kernel has no mount_setattr (Linux 5.12); using mount(2)"
        );
        Api::Classic
    }

    fn bind_onto_itself(self, path: &CStr) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::bind_onto_itself(path),
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
            Api::Classic => classic::mount(root, entry, at, in_user_namespace),
        }
    }

    fn mask(self, root: &OwnedFd, path: &CStr, at: &OwnedFd, is_dir: bool) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::mask(path, at, is_dir),
            Api::Classic => classic::mask(root, path, at, is_dir),
        }
    }

    fn make_read_only(self, root: &OwnedFd, path: &CStr, at: &OwnedFd) -> Result<(), ()> {
        match self {
            Api::NewMountApi => new_api::make_read_only(path, at),
            Api::Classic => classic::make_read_only(root, path, at),
        }
    }

    /// The root's own mount read-only: the mounts on it keep their own flags, as in runc.
    fn set_read_only(self, root: &OwnedFd) -> Result<(), Errno> {
        match self {
            Api::NewMountApi => new_api::set_read_only(root),
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
    let api = Api::of_this_kernel();
    let root_path = m.root.unwrap_or(c"/");
    if m.root.is_some() {
        // pivot_root needs the new root to be a mount point.
        api.bind_onto_itself(root_path)?;
    }
    let root = rustix::fs::open(
        root_path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        error!(
            "mounts: open root {}: {}",
            Bytes(root_path.to_bytes()),
            MountError(e)
        )
    })?;
    for entry in m.entries.iter() {
        let at = targets::target(&root, entry.target, bind_source_is_file(&entry))?;
        api.mount(&root, &entry, &at, in_user_namespace)?;
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
