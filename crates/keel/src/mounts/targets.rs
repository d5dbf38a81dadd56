//! Mount points, resolved inside the new root: `..` and absolute symlinks cannot lead a
//! mount out of it (openat2 with RESOLVE_IN_ROOT, Linux 5.6), whichever API then mounts.

use super::error::MountError;
use crate::log::{Bytes, error};
use core::ffi::CStr;
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Whether the mount target `path` is the root itself.
pub fn is_root(path: &CStr) -> bool {
    path.to_bytes().iter().all(|&c| c == b'/')
}

/// The mount point inside `root`, created when missing (an empty file for a file bind).
/// Resolution stays inside `root`: `..` and absolute symlinks cannot lead out of it.
pub fn target(root: &OwnedFd, path: &CStr, file: bool) -> Result<OwnedFd, ()> {
    let rel = match path
        .to_bytes()
        .trim_ascii_start()
        .strip_prefix(b"/")
        .unwrap_or(path.to_bytes())
    {
        // The root itself (openat2 refuses an empty path).
        b"" => &b"."[..],
        rel => rel,
    };
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

/// `path` inside `root` when it exists: masked and read-only paths that do not exist need
/// nothing done.
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
