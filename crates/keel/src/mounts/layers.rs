//! An overlay's layers, opened before anything is mounted on its target, the same for both
//! kernel APIs: the lower directories, and the upper and work ones (given, or on a scratch
//! tmpfs the caller attaches).

use super::error::MountError;
use crate::log::{Bytes, error};
use core::ffi::CStr;
use keel_wire::{self as wire, Upper};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};

/// Most lower layers of one overlay: 15 /proc/self/fd names fill fsconfig's 255 bytes.
pub const MAX_LAYERS: usize = 15;

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
