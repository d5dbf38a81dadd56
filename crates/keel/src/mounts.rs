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
//! (or without mount_setattr, before 5.12) the same view is built with mount(2): `legacy`.

use crate::legacy;
use crate::log::{self, Bytes, Error, error, say};
use crate::overlay::{FSCONFIG_MAX, KernelSays, MAX_LAYERS, cstr, kernel_message, overlay_fs};
use crate::sys;
use core::ffi::CStr;
use keel_wire::{self as wire, MountKind, Upper};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountPropagationFlags, MoveMountFlags,
    OpenTreeFlags, UnmountFlags,
};
use ufmt::uwrite;

/// Builds the configured view. Errors are printed; keel then exits with the setup status.
pub fn build(m: &wire::Mounts<'_>, in_user_namespace: bool) -> Result<(), ()> {
    rustix::mount::mount_change(
        c"/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| error!("mounts: make / private: {}", MountError(e)))?;
    // mount_setattr is the newest call of the new API (5.12; the rest is 5.2): without it,
    // before anything is mounted, the whole view is built with mount(2) instead.
    let legacy = !sys::has_mount_setattr();
    if legacy {
        say!(
            log::INFO,
            "mounts: the kernel has no mount_setattr (Linux 5.12); using mount(2)"
        );
    }
    let root_path = m.root.unwrap_or(c"/");
    if m.root.is_some() {
        // pivot_root needs the new root to be a mount point.
        if legacy {
            legacy::bind_onto_itself(root_path)?;
        } else {
            let tree = open_tree(CWD, root_path, true)?;
            move_onto(&tree, CWD, root_path)?;
        }
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
        let target = target(&root, entry.target, bind_source_is_file(&entry))?;
        if legacy {
            legacy::mount(&root, &entry, &target, in_user_namespace)?;
            continue;
        }
        let mnt = match entry.kind {
            MountKind::Bind => bind(&entry)?,
            MountKind::Overlay => overlay(&entry, &target, in_user_namespace)?,
            kind => filesystem(
                fs_name(kind),
                entry.options.iter(),
                attrs(entry.attrs),
                entry.target,
            )?,
        };
        move_onto(&mnt, &target, c"")?;
    }
    for path in m.masked.iter() {
        mask(&root, path, legacy)?;
    }
    for path in m.readonly.iter() {
        make_read_only(&root, path, legacy)?;
    }
    if m.root_readonly {
        // Only the root's own mount: the mounts on it keep their own flags, as in runc.
        let made = if legacy {
            legacy::remount(&root, wire::Mount::RDONLY)
        } else {
            sys::mount_setattr(&root, wire::Mount::RDONLY, false)
        };
        made.map_err(|e| {
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

fn attrs(bits: u64) -> MountAttrFlags {
    MountAttrFlags::from_bits_retain(bits as u32)
}

fn bind_source_is_file(entry: &wire::Mount<'_>) -> bool {
    entry.kind == MountKind::Bind
        && entry
            .source
            .is_some_and(|s| rustix::fs::stat(s).is_ok_and(|st| st.st_mode & 0o170000 != 0o040000))
}

/// The mount point inside `root`, created when missing (an empty file for a file bind).
/// Resolution stays inside `root`: `..` and absolute symlinks cannot lead out of it.
pub fn target(root: &OwnedFd, path: &CStr, file: bool) -> Result<OwnedFd, ()> {
    let rel = path
        .to_bytes()
        .trim_ascii_start()
        .strip_prefix(b"/")
        .unwrap_or(path.to_bytes());
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let open =
        |p: &[u8]| rustix::fs::openat2(root, p, OFlags::PATH | OFlags::CLOEXEC, Mode::empty(), how);
    match open(rel) {
        Ok(fd) => return Ok(fd),
        Err(Errno::NOENT) => {}
        Err(e) => {
            error!(
                "mounts: target {}: {}",
                Bytes(path.to_bytes()),
                MountError(e)
            );
            return Err(());
        }
    }
    // Create the missing components one by one, each inside the root.
    let mut end = 0;
    while end < rel.len() {
        end = rel[end..]
            .iter()
            .position(|&c| c == b'/')
            .map_or(rel.len(), |i| end + i);
        let prefix = &rel[..end];
        let last = end == rel.len();
        if open(prefix).is_err() {
            let (parent, name) = match prefix.iter().rposition(|&c| c == b'/') {
                Some(i) => (&prefix[..i], &prefix[i + 1..]),
                None => (&b""[..], prefix),
            };
            let parent = if parent.is_empty() {
                root.try_clone()
            } else {
                open(parent)
            };
            let made = parent.and_then(|dir| {
                if last && file {
                    rustix::fs::openat(
                        &dir,
                        name,
                        OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
                        Mode::from_raw_mode(0o644),
                    )
                    .map(drop)
                } else {
                    rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(0o755))
                }
            });
            if let Err(e) = made
                && e != Errno::EXIST
            {
                error!(
                    "mounts: create mount point {}: {}",
                    Bytes(path.to_bytes()),
                    MountError(e)
                );
                return Err(());
            }
        }
        end += 1;
    }
    open(rel).map_err(|e| {
        error!(
            "mounts: target {}: {}",
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })
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
            MountError(e)
        );
    })
}

/// An errno from the mount steps, with what it means when its cause is known.
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
        uwrite!(f, "{}{}", Error(self.0), hint)
    }
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
            MountError(e),
            KernelSays(kernel_message(fs, &mut why))
        );
    })
}

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
        let _ = uwrite!(line, "size={}", Bytes(size.to_bytes()));
        if let Some(opt) = cstr(&line, text) {
            let _ = options.push(opt);
        }
    }
    options
}

/// A scratch tmpfs's attributes: nodev and nosuid, read-only when asked.
pub fn tmpfs_attrs(read_only: bool) -> u64 {
    let attrs = wire::Mount::NODEV | wire::Mount::NOSUID;
    if read_only {
        attrs | wire::Mount::RDONLY
    } else {
        attrs
    }
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

fn open_dir(path: &CStr, target: &CStr) -> Result<OwnedFd, ()> {
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        error!(
            "mounts: overlay for {}: {}: {}",
            Bytes(target.to_bytes()),
            Bytes(path.to_bytes()),
            MountError(e)
        )
    })
}

/// An overlay's layers, open: the lower ones (top first) and the upper and work directories.
pub struct Layers {
    pub lower: heapless::Vec<OwnedFd, { MAX_LAYERS + 1 }>,
    pub upper: Option<(OwnedFd, OwnedFd)>,
}

/// Opens `entry`'s layers. An ephemeral overlay's upper and work directories, and a sealed
/// one's second (empty) lower layer, live on a tmpfs attached on the target itself, which
/// the overlay then covers: attached, because overlayfs before 6.15 refuses layers on
/// detached mounts. `attach_scratch(size)` mounts it there and returns its root. It is in
/// the workload's mount namespace only, never the host's.
pub fn overlay_layers(
    entry: &wire::Mount<'_>,
    attach_scratch: impl FnOnce(Option<&CStr>) -> Result<OwnedFd, ()>,
) -> Result<Layers, ()> {
    let target = entry.target;
    // Layers are opened before anything is mounted on the target, which could hide them.
    let mut lower: heapless::Vec<OwnedFd, { MAX_LAYERS + 1 }> = heapless::Vec::new();
    for layer in entry.lower.iter() {
        if lower.push(open_dir(layer, target)?).is_err() {
            error!(
                "mounts: overlay for {}: more than {} lower layers",
                Bytes(target.to_bytes()),
                MAX_LAYERS
            );
            return Err(());
        }
    }
    let scratch = match entry.upper {
        Upper::Tmpfs { size } => Some(attach_scratch(size)?),
        Upper::Sealed if lower.len() == 1 => Some(attach_scratch(None)?),
        _ => None,
    };
    let mut upper_dirs: heapless::Vec<OwnedFd, 2> = heapless::Vec::new();
    if let Some(fs) = &scratch {
        let names: &[&CStr] = if matches!(entry.upper, Upper::Sealed) {
            &[c"empty"]
        } else {
            &[c"upper", c"work"]
        };
        for name in names {
            rustix::fs::mkdirat(fs, *name, Mode::from_raw_mode(0o755)).map_err(|e| {
                error!(
                    "mounts: overlay for {}: mkdir {} on its tmpfs: {}",
                    Bytes(target.to_bytes()),
                    Bytes(name.to_bytes()),
                    MountError(e)
                )
            })?;
            let dir = rustix::fs::openat(
                fs,
                *name,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| {
                error!(
                    "mounts: overlay for {}: open {}: {}",
                    Bytes(target.to_bytes()),
                    Bytes(name.to_bytes()),
                    MountError(e)
                )
            })?;
            let _ = if matches!(entry.upper, Upper::Sealed) {
                lower.push(dir)
            } else {
                upper_dirs.push(dir)
            };
        }
    }
    if let Upper::Dir { upper, work } = entry.upper {
        let _ = upper_dirs.push(open_dir(upper, target)?);
        let _ = upper_dirs.push(open_dir(work, target)?);
    }
    let mut dirs = upper_dirs.into_iter();
    let upper = dirs.next().zip(dirs.next());
    Ok(Layers { lower, upper })
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
/// A path that does not exist needs no mask.
fn mask(root: &OwnedFd, path: &CStr, legacy: bool) -> Result<(), ()> {
    let Some(target) = existing(root, path)? else {
        return Ok(());
    };
    let is_dir = rustix::fs::fstat(&target).is_ok_and(|st| st.st_mode & 0o170000 == 0o040000);
    if legacy {
        return legacy::mask(root, path, &target, is_dir);
    }
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
    move_onto(&mnt, &target, c"")
}

/// OCI readonlyPaths: the path bound onto itself, read-only, recursively.
fn make_read_only(root: &OwnedFd, path: &CStr, legacy: bool) -> Result<(), ()> {
    let Some(target) = existing(root, path)? else {
        return Ok(());
    };
    if legacy {
        return legacy::make_read_only(root, path, &target);
    }
    let tree = open_tree(&target, c"", true)?;
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
    move_onto(&tree, &target, c"")
}

pub fn existing(root: &OwnedFd, path: &CStr) -> Result<Option<OwnedFd>, ()> {
    let rel = path
        .to_bytes()
        .strip_prefix(b"/")
        .unwrap_or(path.to_bytes());
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    match rustix::fs::openat2(
        root,
        rel,
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        how,
    ) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => {
            error!("mounts: {}: {}", Bytes(path.to_bytes()), MountError(e));
            Err(())
        }
    }
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
