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
/// sealed already, or when neither way works (with a warning: keel goes on unsealed).
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
    let mut path = [0u8; 4096];
    let Some(path) = exe_path(&mut path) else {
        say!(
            log::WARN,
            "seal: cannot read /proc/self/exe; running unsealed"
        );
        return;
    };
    let overlay = sealed_overlay(path);
    let copy = match &overlay {
        Ok(fd) => fd.as_fd(),
        Err(e) => {
            say!(
                log::INFO,
                "seal: overlay of {}: {}; using a sealed memfd copy",
                Bytes(path),
                ErrnoText(*e)
            );
            match sealed_memfd(&exe) {
                Ok(fd) => return reexec(&fd, args, env),
                Err(e) => {
                    say!(
                        log::WARN,
                        "seal: memfd copy: {}; running unsealed",
                        ErrnoText(e)
                    );
                    return;
                }
            }
        }
    };
    let name = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    let mut buf = [0u8; 256];
    let Some(name) = nul_terminated(name, &mut buf) else {
        return;
    };
    match rustix::fs::openat(
        copy,
        name,
        OFlags::PATH | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    ) {
        Ok(fd) => reexec(&fd, args, env),
        Err(e) => say!(
            log::WARN,
            "seal: open {} in the sealed overlay: {}; running unsealed",
            Bytes(name.to_bytes()),
            ErrnoText(e)
        ),
    }
}

fn reexec(fd: &OwnedFd, args: sys::StrArray, env: sys::StrArray) {
    let e = sys::execveat(fd, args.as_ptr(), env.as_ptr());
    say!(
        log::WARN,
        "seal: re-exec from the sealed copy: {}; running unsealed",
        ErrnoText(e)
    );
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

/// Directories keel tries as the second, dummy lower layer on kernels before 6.15, which
/// refuse a detached empty tmpfs there: any attached directory that does not contain keel's
/// will do, since keel's own layer is on top and only keel's file is opened.
const DUMMY_LAYERS: [&CStr; 2] = [c"/dev", c"/run"];

/// The root of a detached, read-only overlay of keel's directory (runc's sealedOverlayfs).
fn sealed_overlay(exe: &[u8]) -> Result<OwnedFd, Errno> {
    use rustix::mount::{
        FsMountFlags, FsOpenFlags, MountAttrFlags, fsconfig_create, fsconfig_set_string, fsmount,
        fsopen,
    };
    let dir = match exe.iter().rposition(|&c| c == b'/') {
        Some(0) => &exe[..1],
        Some(i) => &exe[..i],
        None => return Err(Errno::INVAL),
    };
    let attrs = MountAttrFlags::MOUNT_ATTR_RDONLY
        | MountAttrFlags::MOUNT_ATTR_NODEV
        | MountAttrFlags::MOUNT_ATTR_NOSUID;
    let open = |path: &[u8]| {
        rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    };
    let keel_dir = open(dir)?;
    let empty = fsopen(c"tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
    fsconfig_set_string(&empty, c"size", c"0")?;
    fsconfig_create(&empty)?;
    let empty = fsmount(&empty, FsMountFlags::FSMOUNT_CLOEXEC, attrs)?;
    let mut result = crate::mounts::overlay::overlay_fs(
        &[keel_dir.as_fd(), empty.as_fd()],
        None,
        false,
        attrs,
        c"keel",
        false,
    );
    for dummy in DUMMY_LAYERS {
        if result.is_ok() {
            break;
        }
        if let Ok(layer) = open(dummy.to_bytes()) {
            result = crate::mounts::overlay::overlay_fs(
                &[keel_dir.as_fd(), layer.as_fd()],
                None,
                false,
                attrs,
                c"keel",
                false,
            );
        }
    }
    result
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
