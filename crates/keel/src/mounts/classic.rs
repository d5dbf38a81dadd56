//! The workload's view built with classic mount(2), for kernels without mount_setattr (before
//! 5.12) and sandboxes whose seccomp policy hides the new mount API (ENOSYS). `mounts::build`
//! chooses it before the first mount and builds the same view, with these differences:
//!
//! - Each mount is made on its target directly, not built detached and moved there. Targets
//!   are still resolved inside the new root (openat2 RESOLVE_IN_ROOT, so Linux 5.6 is still
//!   needed) and mounted on through `/proc/self/fd/N` of the O_PATH target, as runc does, so
//!   a symlink still cannot lead a mount out. Nothing else runs in keel's private mount
//!   namespace yet, so no one sees a mount half-built.
//! - A bind gets its attributes from a second step, a bind remount. In a user namespace the
//!   kernel refuses a remount that drops a flag the source mount had (read-only, nosuid, nodev,
//!   noexec, its atime mode), so the remount keeps the mount's current flags and adds the
//!   configured ones, as mount_setattr does (and runc).
//! - A remount is not recursive: in a recursive bind, and under a read-only path, the mounts
//!   below the top one keep their own flags.
//! - Overlay layers are named `/proc/self/fd/N`, as the new-API path does before 6.15, so
//!   their real paths need no escaping; the options are not checked one by one (a bad one
//!   fails the whole mount), and `xino=off` is left out, since kernels before 4.17 refuse it.

use super::error::{FsError, MountError};
use super::layers::overlay_layers;
use super::options::{FSCONFIG_MAX, fd_path, fs_name, tmpfs_attrs, tmpfs_options};
use super::targets;
use crate::log::{Bytes, error};
use core::ffi::CStr;
use keel_wire::{self as wire, MountKind, Upper};
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::mount::MountFlags;
use ufmt::uwrite;

/// Each attribute with its mount(2) flag and its statfs(2) `ST_*` flag (how a mount shows it;
/// strict atime shows as neither noatime nor relatime).
const FLAGS: [(u64, MountFlags, u64); 7] = [
    (wire::Mount::RDONLY, MountFlags::RDONLY, 0x1),
    (wire::Mount::NOSUID, MountFlags::NOSUID, 0x2),
    (wire::Mount::NODEV, MountFlags::NODEV, 0x4),
    (wire::Mount::NOEXEC, MountFlags::NOEXEC, 0x8),
    (wire::Mount::NOATIME, MountFlags::NOATIME, ST_NOATIME),
    (wire::Mount::NODIRATIME, MountFlags::NODIRATIME, 0x800),
    (wire::Mount::NOSYMFOLLOW, MountFlags::NOSYMFOLLOW, 0x2000),
];
/// statfs(2)'s `ST_NOATIME` and `ST_RELATIME`.
const ST_NOATIME: u64 = 0x400;
const ST_RELATIME: u64 = 0x1000;

/// The mount(2) flags for `MOUNT_ATTR_*` attributes. Relatime, the attributes' 0, is also
/// mount(2)'s default.
fn mount_flags(attrs: u64) -> MountFlags {
    let mut flags = MountFlags::empty();
    for (attr, flag, _) in FLAGS {
        if attrs & attr != 0 {
            flags |= flag;
        }
    }
    if attrs & wire::Mount::STRICTATIME != 0 {
        flags |= MountFlags::STRICTATIME;
    }
    flags
}

/// The attributes the mount `at` has now, from fstatfs.
fn current_attrs(at: &OwnedFd) -> Result<u64, Errno> {
    let st = rustix::fs::fstatfs(at)?.f_flags as u64;
    let mut attrs = 0;
    for (attr, _, st_flag) in FLAGS {
        if st & st_flag != 0 {
            attrs |= attr;
        }
    }
    if st & (ST_NOATIME | ST_RELATIME) == 0 {
        attrs |= wire::Mount::STRICTATIME;
    }
    Ok(attrs)
}

/// `/proc/self/fd/N` with its NUL: how mount(2) is given a directory keel resolved and holds
/// open. A `&CStr` reaches the kernel as it is; a `&str` would be copied to add the NUL.
struct ProcFd(heapless::Vec<u8, 33>);

impl ProcFd {
    fn of(fd: &OwnedFd) -> ProcFd {
        let mut path = heapless::Vec::new();
        let _ = path.extend_from_slice(fd_path(fd.as_fd()).as_bytes());
        let _ = path.push(0);
        ProcFd(path)
    }

    fn path(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.0).unwrap_or(c"")
    }
}

/// Bind `path` onto itself, recursively: pivot_root needs the new root to be a mount point.
pub fn bind_onto_itself(path: &CStr) -> Result<(), ()> {
    rustix::mount::mount_bind_recursive(path, path).map_err(|e| {
        error!(
            "mounts: bind {} onto itself: {}",
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })
}

/// Adds `attrs` to the mount whose root `at` is, keeping the flags it has (see the module
/// comment): a bind remount.
pub fn remount(at: &OwnedFd, attrs: u64) -> Result<(), Errno> {
    let now = current_attrs(at)?;
    let atime = wire::Mount::NOATIME | wire::Mount::STRICTATIME;
    // A configured atime mode replaces the mount's own, as mount_setattr does.
    let kept = if attrs & atime != 0 {
        now & !atime
    } else {
        now
    };
    let flags = MountFlags::BIND | mount_flags(kept | attrs);
    rustix::mount::mount_remount(ProcFd::of(at).path(), flags, c"")
}

/// `remount` of what is now mounted on `path` inside `root` (the mount point keel opened
/// before is the directory underneath, so the path is resolved again); errors are reported
/// as `step` on the path.
fn remount_path(root: &OwnedFd, path: &CStr, attrs: u64, step: &str) -> Result<(), ()> {
    let top = targets::target(root, path, false)?;
    remount(&top, attrs).map_err(|e| {
        error!(
            "mounts: {} {}: {}",
            step,
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })
}

/// The configured mount `entry` on its mount point `at` (resolved inside `root`).
pub fn mount(
    root: &OwnedFd,
    entry: &wire::Mount<'_>,
    at: &OwnedFd,
    in_user_namespace: bool,
) -> Result<(), ()> {
    match entry.kind {
        MountKind::Bind => bind(root, entry, at),
        MountKind::Overlay => overlay(root, entry, at, in_user_namespace),
        kind => filesystem(
            fs_name(kind),
            entry.options.iter(),
            entry.attrs,
            entry.target,
            at,
        ),
    }
}

/// A new filesystem instance on `at`, its options joined with commas as mount(2)'s data (an
/// option never contains one: the config decoder refuses it).
fn filesystem<'a>(
    name: &CStr,
    options: impl Iterator<Item = &'a CStr>,
    attrs: u64,
    target: &CStr,
    at: &OwnedFd,
) -> Result<(), ()> {
    // mount(2) copies one page of data, its NUL included.
    let mut data: heapless::Vec<u8, 4096> = heapless::Vec::new();
    let mut fits = true;
    for (i, option) in options.enumerate() {
        if i > 0 {
            fits &= data.push(b',').is_ok();
        }
        fits &= data.extend_from_slice(option.to_bytes()).is_ok();
    }
    fits &= data.push(0).is_ok();
    let Some(data) = CStr::from_bytes_with_nul(&data).ok().filter(|_| fits) else {
        error!(
            "mounts: {} options for {}: longer than mount(2)'s page",
            Bytes(name.to_bytes()),
            Bytes(target.to_bytes())
        );
        return Err(());
    };
    rustix::mount::mount(name, ProcFd::of(at).path(), name, mount_flags(attrs), data).map_err(|e| {
        error!(
            "mounts: mount {} on {}: {}",
            Bytes(name.to_bytes()),
            Bytes(target.to_bytes()),
            FsError(name, e)
        )
    })
}

/// A bind mount: the source bound on `at`, then given its attributes.
fn bind(root: &OwnedFd, entry: &wire::Mount<'_>, at: &OwnedFd) -> Result<(), ()> {
    let source = entry.source.unwrap_or(c"/");
    let target = ProcFd::of(at);
    let bound = if entry.recursive {
        rustix::mount::mount_bind_recursive(source, target.path())
    } else {
        rustix::mount::mount_bind(source, target.path())
    };
    bound.map_err(|e| {
        error!(
            "mounts: bind {} on {}: {}",
            Bytes(source.to_bytes()),
            Bytes(entry.target.to_bytes()),
            MountError(e)
        )
    })?;
    if entry.attrs == 0 {
        return Ok(());
    }
    remount_path(root, entry.target, entry.attrs, "remount bind on")
}

/// A scratch tmpfs (see `options::tmpfs_options`) on `at`, and its root, opened.
fn scratch_tmpfs(
    root: &OwnedFd,
    size: Option<&CStr>,
    read_only: bool,
    target: &CStr,
    at: &OwnedFd,
) -> Result<OwnedFd, ()> {
    let mut size_opt = [0u8; FSCONFIG_MAX + 1];
    let options = tmpfs_options(size, &mut size_opt);
    filesystem(
        c"tmpfs",
        options.into_iter(),
        tmpfs_attrs(read_only),
        target,
        at,
    )?;
    targets::target(root, target, false)
}

/// An overlay on `at`: its layers by `/proc/self/fd/N` name in mount(2)'s data.
fn overlay(
    root: &OwnedFd,
    entry: &wire::Mount<'_>,
    at: &OwnedFd,
    in_user_namespace: bool,
) -> Result<(), ()> {
    let target = entry.target;
    let layers = overlay_layers(entry, |size| scratch_tmpfs(root, size, false, target, at))?;
    // At most 16 names of at most 25 bytes and the two upper ones: well under 1 KiB.
    let mut data: heapless::String<1024> = heapless::String::new();
    let _ = data.push_str("lowerdir=");
    for (i, layer) in layers.lower.iter().enumerate() {
        let sep = if i == 0 { "" } else { ":" };
        let _ = uwrite!(data, "{}{}", sep, fd_path(layer.as_fd()).as_str());
    }
    if let Some((upper, work)) = &layers.upper {
        let _ = uwrite!(
            data,
            ",upperdir={},workdir={}",
            fd_path(upper.as_fd()).as_str(),
            fd_path(work.as_fd()).as_str()
        );
        // As in `overlay::overlay_fs`: user.* xattrs in a user namespace.
        if in_user_namespace {
            let _ = data.push_str(",userxattr");
        }
    }
    let _ = data.push('\0');
    let data = CStr::from_bytes_until_nul(data.as_bytes()).unwrap_or(c"");
    let mut attrs = entry.attrs;
    if matches!(entry.upper, Upper::Sealed) {
        attrs |= wire::Mount::RDONLY;
    }
    rustix::mount::mount(
        c"overlay",
        ProcFd::of(at).path(),
        c"overlay",
        mount_flags(attrs),
        data,
    )
    .map_err(|e| {
        error!(
            "mounts: mount overlay on {}: {}",
            Bytes(target.to_bytes()),
            MountError(e)
        )
    })
}

/// OCI maskedPaths (see `new_api::mask`): an empty read-only tmpfs over a directory, /dev/null
/// bound read-only over a file.
pub fn mask(root: &OwnedFd, path: &CStr, at: &OwnedFd, is_dir: bool) -> Result<(), ()> {
    if is_dir {
        return scratch_tmpfs(root, Some(c"0"), true, path, at).map(drop);
    }
    rustix::mount::mount_bind(c"/dev/null", ProcFd::of(at).path())
        .map_err(|e| error!("mounts: mask {}: {}", Bytes(path.to_bytes()), MountError(e)))?;
    remount_path(root, path, wire::Mount::RDONLY, "mask")
}

/// OCI readonlyPaths: the path bound onto itself recursively, its top mount read-only.
pub fn make_read_only(root: &OwnedFd, path: &CStr, at: &OwnedFd) -> Result<(), ()> {
    let here = ProcFd::of(at);
    rustix::mount::mount_bind_recursive(here.path(), here.path()).map_err(|e| {
        error!(
            "mounts: read-only {}: {}",
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })?;
    remount_path(root, path, wire::Mount::RDONLY, "read-only")
}
