//! The view built with the new mount API (fsopen, fsconfig, fsmount, open_tree,
//! mount_setattr, move_mount): each mount is complete, attributes and all, while detached,
//! and only then moved onto its mount point. A read-only bind is never writable for an
//! instant, and a mount that fails half-way was never attached anywhere.

use super::error::{FsError, MountError};
use super::layers::{MAX_LAYERS, overlay_layers};
use super::options::{FSCONFIG_MAX, cstr, fs_name, tmpfs_attrs, tmpfs_options};
use super::overlay::{KernelSays, kernel_message, overlay_fs};
use crate::log::{Bytes, error};
use crate::sys;
use core::ffi::CStr;
use keel_wire::{self as wire, MountKind, Upper};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::CWD;
use rustix::io::Errno;
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags};

/// Binds `path` onto itself: pivot_root needs the new root to be a mount point.
pub fn bind_onto_itself(path: &CStr) -> Result<(), ()> {
    let tree = open_tree(CWD, path, true)?;
    move_onto(&tree, CWD, path)
}

/// The configured mount `entry`, built detached and moved onto its mount point `at`.
pub fn mount(entry: &wire::Mount<'_>, at: &OwnedFd, in_user_namespace: bool) -> Result<(), ()> {
    let mnt = match entry.kind {
        MountKind::Bind => bind(entry)?,
        MountKind::Overlay => overlay(entry, at, in_user_namespace)?,
        kind => filesystem(
            fs_name(kind),
            entry.options.iter(),
            attrs(entry.attrs),
            entry.target,
        )?,
    };
    move_onto(&mnt, at, c"")
}

/// Makes the mount whose root `at` is read-only, and only that mount.
pub fn set_read_only(at: &OwnedFd) -> Result<(), Errno> {
    sys::mount_setattr(at, wire::Mount::RDONLY, false)
}

fn attrs(bits: u64) -> MountAttrFlags {
    MountAttrFlags::from_bits_retain(bits as u32)
}

fn open_tree(dir: impl AsFd, path: &CStr, recursive: bool) -> Result<OwnedFd, ()> {
    let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
    if path.is_empty() {
        flags |= OpenTreeFlags::AT_EMPTY_PATH;
    }
    if recursive {
        flags |= OpenTreeFlags::AT_RECURSIVE;
    }
    rustix::mount::open_tree(dir, path, flags).map_err(|e| {
        error!(
            "mounts: open_tree {}: {}",
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })
}

/// Attaches the detached mount `mnt` at `to` (relative to `dir`; empty: `dir` itself).
fn move_onto(mnt: &OwnedFd, dir: impl AsFd, to: &CStr) -> Result<(), ()> {
    let mut flags = MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH;
    if to.is_empty() {
        flags |= MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH;
    }
    rustix::mount::move_mount(mnt, c"", dir, to, flags).map_err(|e| {
        error!(
            "mounts: move_mount to {}: {}",
            Bytes(to.to_bytes()),
            MountError(e)
        )
    })
}

/// A bind mount: a detached clone of the source, its attributes set before it is attached.
fn bind(entry: &wire::Mount<'_>) -> Result<OwnedFd, ()> {
    let source = entry.source.unwrap_or(c"/");
    let tree = open_tree(CWD, source, entry.recursive)?;
    if entry.attrs != 0 {
        sys::mount_setattr(&tree, entry.attrs, entry.recursive).map_err(|e| {
            error!(
                "mounts: mount_setattr on bind of {}: {}",
                Bytes(source.to_bytes()),
                MountError(e)
            )
        })?;
    }
    Ok(tree)
}

/// fsopen + fsconfig + fsmount: a new, detached filesystem instance.
fn filesystem<'a>(
    name: &CStr,
    options: impl Iterator<Item = &'a CStr>,
    attrs: MountAttrFlags,
    target: &CStr,
) -> Result<OwnedFd, ()> {
    let fs = fsopen(name)?;
    for option in options {
        configure(&fs, name, option.to_bytes())?;
    }
    create(&fs, name, target)?;
    rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs).map_err(|e| {
        error!(
            "mounts: fsmount {} for {}: {}",
            Bytes(name.to_bytes()),
            Bytes(target.to_bytes()),
            MountError(e)
        )
    })
}

fn fsopen(name: &CStr) -> Result<OwnedFd, ()> {
    rustix::mount::fsopen(name, FsOpenFlags::FSOPEN_CLOEXEC).map_err(|e| {
        error!(
            "mounts: fsopen {}: {}",
            Bytes(name.to_bytes()),
            FsError(name, e)
        );
    })
}

/// One `key=value` or `flag` parameter.
fn configure(fs: &OwnedFd, name: &CStr, option: &[u8]) -> Result<(), ()> {
    set(fs, option).map_err(|e| {
        let mut why = [0u8; 256];
        error!(
            "mounts: {} option {}: {}{}",
            Bytes(name.to_bytes()),
            Bytes(option),
            MountError(e),
            KernelSays(kernel_message(fs, &mut why))
        );
    })
}

fn set(fs: &OwnedFd, option: &[u8]) -> Result<(), Errno> {
    let mut key = [0u8; FSCONFIG_MAX + 1];
    let mut value = [0u8; FSCONFIG_MAX + 1];
    let (k, v) = match option.iter().position(|&c| c == b'=') {
        Some(i) => (&option[..i], Some(&option[i + 1..])),
        None => (option, None),
    };
    let key = cstr(k, &mut key).ok_or(Errno::INVAL)?;
    match v {
        Some(v) => {
            rustix::mount::fsconfig_set_string(fs, key, cstr(v, &mut value).ok_or(Errno::INVAL)?)
        }
        None => rustix::mount::fsconfig_set_flag(fs, key),
    }
}

fn create(fs: &OwnedFd, name: &CStr, target: &CStr) -> Result<(), ()> {
    rustix::mount::fsconfig_create(fs).map_err(|e| {
        let mut why = [0u8; 256];
        error!(
            "mounts: create {} for {}: {}{}",
            Bytes(name.to_bytes()),
            Bytes(target.to_bytes()),
            FsError(name, e),
            KernelSays(kernel_message(fs, &mut why))
        );
    })
}

/// A new tmpfs, detached (see `tmpfs_options`).
fn detached_tmpfs(size: Option<&CStr>, read_only: bool, target: &CStr) -> Result<OwnedFd, ()> {
    let mut size_opt = [0u8; FSCONFIG_MAX + 1];
    let options = tmpfs_options(size, &mut size_opt);
    filesystem(
        c"tmpfs",
        options.into_iter(),
        attrs(tmpfs_attrs(read_only)),
        target,
    )
}

/// An overlay mount for `entry`, to be moved onto `mount_point`.
fn overlay(
    entry: &wire::Mount<'_>,
    mount_point: &OwnedFd,
    in_user_namespace: bool,
) -> Result<OwnedFd, ()> {
    let target = entry.target;
    let layers = overlay_layers(entry, |size| {
        let fs = detached_tmpfs(size, false, target)?;
        move_onto(&fs, mount_point, c"")?;
        Ok(fs)
    })?;
    let mut attrs = attrs(entry.attrs);
    if matches!(entry.upper, Upper::Sealed) {
        attrs |= MountAttrFlags::MOUNT_ATTR_RDONLY;
    }
    let lowers: heapless::Vec<BorrowedFd<'_>, { MAX_LAYERS + 1 }> =
        layers.lower.iter().map(AsFd::as_fd).collect();
    let upper = layers.upper.as_ref().map(|(u, w)| (u.as_fd(), w.as_fd()));
    overlay_fs(&lowers, upper, in_user_namespace, attrs, target, true).map_err(drop)
}

/// OCI maskedPaths: an empty read-only tmpfs over a directory, /dev/null over a file.
pub fn mask(path: &CStr, at: &OwnedFd, is_dir: bool) -> Result<(), ()> {
    let mnt = if is_dir {
        detached_tmpfs(Some(c"0"), true, path)?
    } else {
        let null = open_tree(CWD, c"/dev/null", false)?;
        sys::mount_setattr(
            &null,
            u64::from(MountAttrFlags::MOUNT_ATTR_RDONLY.bits()),
            false,
        )
        .map_err(|e| error!("mounts: mask {}: {}", Bytes(path.to_bytes()), MountError(e)))?;
        null
    };
    move_onto(&mnt, at, c"")
}

/// OCI readonlyPaths: the path bound onto itself, read-only, recursively.
pub fn make_read_only(path: &CStr, at: &OwnedFd) -> Result<(), ()> {
    let tree = open_tree(at, c"", true)?;
    sys::mount_setattr(
        &tree,
        u64::from(MountAttrFlags::MOUNT_ATTR_RDONLY.bits()),
        true,
    )
    .map_err(|e| {
        error!(
            "mounts: read-only {}: {}",
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })?;
    move_onto(&tree, at, c"")
}
