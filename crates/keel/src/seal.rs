//! A sealed keel: before any payload runs, keel re-executes itself from a copy the payload
//! cannot write, so that even a root payload opening /proc/1/exe for writing cannot
//! overwrite keel's binary on the host (the CVE-2019-5736 class; runc's fix).
//!
//! First choice, runc's sealed overlayfs: a read-only overlay whose lower layers are keel's
//! own directory and an empty detached tmpfs (overlayfs needs two lower layers without an
//! upper one), never attached anywhere, so invisible to every mount table. Writes through it
//! fail with EROFS, and without an upper layer nothing can make it writable. It costs no copy.
//! Fallback (no overlay module, no CAP_SYS_ADMIN): a memfd copy of keel — cheap, keel is a few
//! KiB — sealed against writes, resizing and further sealing.
//!
//! After the re-exec /proc/self/exe is on an overlayfs, or a sealed memfd: that is how keel
//! knows it is already sealed, so it never loops.

use crate::log::{self, Bytes, ErrnoText, say};
use crate::sys;
use core::ffi::CStr;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{MemfdFlags, Mode, OFlags, SealFlags};
use rustix::io::Errno;

/// Re-executes keel from a sealed copy unless it already runs from one. Returns when keel is
/// sealed already, or when no way works (with a warning: keel goes on unsealed). A sealed
/// overlay that cannot be used, or whose exec fails, falls back to the memfd copy.
pub fn ensure(args: sys::StrArray, env: sys::StrArray) {
    let exe = match rustix::fs::open(
        c"/proc/self/exe",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) => {
            say!(
                log::WARN,
                "seal: open /proc/self/exe: {}; running unsealed",
                ErrnoText(e)
            );
            return;
        }
    };
    if is_sealed(&exe) {
        return;
    }
    if let Some(copy) = overlay_copy(&exe) {
        let e = sys::execveat(&copy, args.as_ptr(), env.as_ptr());
        say!(
            log::INFO,
            "seal: re-exec from the sealed overlay: {}; using a sealed memfd copy",
            ErrnoText(e)
        );
    }
    match sealed_memfd(&exe) {
        Ok(copy) => {
            let e = sys::execveat(&copy, args.as_ptr(), env.as_ptr());
            say!(
                log::WARN,
                "seal: re-exec from the sealed memfd copy: {}; running unsealed",
                ErrnoText(e)
            );
        }
        Err(e) => say!(
            log::WARN,
            "seal: memfd copy: {}; running unsealed",
            ErrnoText(e)
        ),
    }
}

/// keel's file as seen through a sealed overlay of its directory, when that is keel: not
/// when keel's file is a mount of its own, as when a container engine bind-mounts it onto a
/// placeholder for `--init` (/sbin/docker-init, /run/podman-init), since an overlay of the
/// directory shows the placeholder under the mount. None, with the reason at info level,
/// sends the caller to the memfd copy.
fn overlay_copy(exe: &OwnedFd) -> Option<OwnedFd> {
    let mut path = [0u8; 4096];
    let Some(path) = exe_path(&mut path) else {
        say!(
            log::INFO,
            "seal: cannot read /proc/self/exe; using a sealed memfd copy"
        );
        return None;
    };
    let (dir, name) = match path.iter().rposition(|&c| c == b'/') {
        Some(i) => (path.get(..i.max(1))?, path.get(i + 1..)?),
        None => return None,
    };
    let unusable = |what: &str, e: Errno| {
        say!(
            log::INFO,
            "seal: overlay of {}: {}{}; using a sealed memfd copy",
            Bytes(dir),
            what,
            ErrnoText(e)
        );
    };
    let dir_fd = open_dir(dir).inspect_err(|&e| unusable("", e)).ok()?;
    if mount_id(exe).is_some_and(|own| mount_id(&dir_fd) != Some(own)) {
        say!(
            log::INFO,
            "seal: {} is a mount of its own (a container engine's --init?), which an overlay of {} would not show; using a sealed memfd copy",
            Bytes(path),
            Bytes(dir)
        );
        return None;
    }
    let overlay = sealed_overlay(&dir_fd)
        .inspect_err(|&e| unusable("", e))
        .ok()?;
    let mut buf = [0u8; 256];
    let name = nul_terminated(name, &mut buf)?;
    let copy = rustix::fs::openat(
        &overlay,
        name,
        OFlags::PATH | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .inspect_err(|&e| unusable("open keel in it: ", e))
    .ok()?;
    // Defence in depth: what the overlay shows must at least be as long as keel.
    let size = |fd: &OwnedFd| rustix::fs::fstat(fd).map(|st| st.st_size).ok();
    if size(&copy) != size(exe) {
        unusable("keel in it differs from /proc/self/exe: ", Errno::NOEXEC);
        return None;
    }
    Some(copy)
}

fn open_dir<P: rustix::path::Arg>(path: P) -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// The id of the mount `fd` is on (statx's STATX_MNT_ID, Linux 5.8), if the kernel says.
fn mount_id(fd: &OwnedFd) -> Option<u64> {
    use rustix::fs::{AtFlags, StatxFlags, statx};
    let st = statx(fd, c"", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID).ok()?;
    (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id)
}

/// Already running from a sealed overlay or a sealed memfd.
fn is_sealed(exe: &OwnedFd) -> bool {
    let overlay = rustix::fs::fstatfs(exe).is_ok_and(|st| {
        st.f_type as u32 == linux_raw_sys::general::OVERLAYFS_SUPER_MAGIC
            && st.f_flags as u64 & rustix::fs::StatVfsMountFlags::RDONLY.bits() != 0
    });
    overlay || rustix::fs::fcntl_get_seals(exe).is_ok_and(|s| s.contains(SealFlags::WRITE))
}

fn exe_path(buf: &mut [u8; 4096]) -> Option<&[u8]> {
    let n = rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/proc/self/exe", &mut buf[..]).ok()?;
    let path = &buf[..n];
    path.starts_with(b"/").then_some(path)
}

fn nul_terminated<'b>(bytes: &[u8], buf: &'b mut [u8; 256]) -> Option<&'b CStr> {
    let b = buf.get_mut(..=bytes.len())?;
    b[..bytes.len()].copy_from_slice(bytes);
    b[bytes.len()] = 0;
    CStr::from_bytes_with_nul(b).ok()
}

/// Directories keel tries first as the second, dummy lower layer: any attached directory
/// that does not contain keel's will do, since keel's own layer is on top and only keel's
/// file is opened. Every kernel takes them; a detached empty tmpfs, the last resort, only
/// Linux 6.15 and later, and each refusal before that writes "overlayfs: failed to clone
/// lowerpath" to the kernel log (once per sealed start, seen in every VM boot on 6.1 and
/// 6.12).
const DUMMY_LAYERS: [&CStr; 2] = [c"/dev", c"/run"];

/// The root of a detached, read-only overlay of keel's directory (runc's sealedOverlayfs).
///
/// When keel's directory is itself on an overlayfs (an image layer, a sandbox), one attempt
/// only: its failure is then most likely overlayfs's stacking limit (two levels), which each
/// further attempt would only repeat, one "maximum fs stacking depth exceeded" line in the
/// kernel log each time.
fn sealed_overlay(keel_dir: &OwnedFd) -> Result<OwnedFd, Errno> {
    use rustix::mount::{
        FsMountFlags, FsOpenFlags, MountAttrFlags, fsconfig_create, fsconfig_set_string, fsmount,
        fsopen,
    };
    let attrs = MountAttrFlags::MOUNT_ATTR_RDONLY
        | MountAttrFlags::MOUNT_ATTR_NODEV
        | MountAttrFlags::MOUNT_ATTR_NOSUID;
    let overlay_of = |layer: &OwnedFd| {
        crate::mounts::overlay::overlay_fs(
            &[keel_dir.as_fd(), layer.as_fd()],
            None,
            false,
            attrs,
            c"keel",
            false,
        )
    };
    let nested = on_overlayfs(keel_dir);
    for dummy in DUMMY_LAYERS {
        if let Ok(layer) = open_dir(dummy) {
            let result = overlay_of(&layer);
            if result.is_ok() || nested {
                return result;
            }
        }
    }
    let empty = fsopen(c"tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
    fsconfig_set_string(&empty, c"size", c"0")?;
    fsconfig_create(&empty)?;
    let empty = fsmount(&empty, FsMountFlags::FSMOUNT_CLOEXEC, attrs)?;
    overlay_of(&empty)
}

fn on_overlayfs(fd: &OwnedFd) -> bool {
    rustix::fs::fstatfs(fd)
        .is_ok_and(|st| st.f_type as u32 == linux_raw_sys::general::OVERLAYFS_SUPER_MAGIC)
}

/// A memfd holding a copy of keel, sealed: no writes, no resizing, no more seals (and no
/// chmod of its exec bit where the kernel has F_SEAL_EXEC).
fn sealed_memfd(exe: &OwnedFd) -> Result<OwnedFd, Errno> {
    let memfd = rustix::fs::memfd_create(c"keel", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
    let size = rustix::fs::fstat(exe)?.st_size as usize;
    let mut copied = 0;
    while copied < size {
        match rustix::fs::sendfile(&memfd, exe, None, size - copied)? {
            0 => break,
            n => copied += n,
        }
    }
    let seals = SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE;
    if rustix::fs::fcntl_add_seals(
        &memfd,
        seals | SealFlags::from_bits_retain(linux_raw_sys::general::F_SEAL_EXEC),
    )
    .is_err()
    {
        // Kernels before 6.3 do not know F_SEAL_EXEC.
        rustix::fs::fcntl_add_seals(&memfd, seals)?;
    }
    Ok(memfd)
}
