//! Machine mode: keel as the kernel's own init. It mounts the API filesystems a workload
//! expects, and when the workload is done it syncs and powers the machine off. It never exits:
//! an exiting PID 1 panics the kernel.

use crate::log::{Bytes, ErrnoText, error};
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};
use rustix::fs::{Mode, OFlags};
use rustix::mount::MountFlags;

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Whether keel is PID 1 of the initial pid namespace: only there is pid 2 the kernel's
/// kthreadd, present before init has started anything. In a container's pid namespace keel
/// is alone at this point.
pub fn is_kernel_init(own: rustix::process::Pid) -> bool {
    own.is_init() && crate::sys::kill(2, 0).is_ok()
}

/// Machine mode on (the machine's init) or off (in the inner keel of a new pid namespace,
/// whose exit the outer keel reports before powering off).
pub fn set_active(on: bool) {
    ACTIVE.store(on, Ordering::Relaxed);
}

pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// What a workload expects to find mounted, mounted where it is not.
const API_FILESYSTEMS: [(&CStr, &CStr, MountFlags, &CStr); 4] = [
    (
        c"/proc",
        c"proc",
        MountFlags::NOSUID
            .union(MountFlags::NODEV)
            .union(MountFlags::NOEXEC),
        c"",
    ),
    (
        c"/sys",
        c"sysfs",
        MountFlags::NOSUID
            .union(MountFlags::NODEV)
            .union(MountFlags::NOEXEC),
        c"",
    ),
    (c"/dev", c"devtmpfs", MountFlags::NOSUID, c"mode=0755"),
    (
        c"/run",
        c"tmpfs",
        MountFlags::NOSUID.union(MountFlags::NODEV),
        c"mode=0755",
    ),
];

pub fn mount_api_filesystems() {
    for (target, fstype, flags, data) in API_FILESYSTEMS {
        if is_mount_point(target) {
            continue;
        }
        let _ = rustix::fs::mkdir(target, Mode::from_raw_mode(0o755));
        if let Err(e) = rustix::mount::mount(fstype, target, fstype, flags, data) {
            error!(
                "machine: mount {} on {}: {}",
                Bytes(fstype.to_bytes()),
                Bytes(target.to_bytes()),
                ErrnoText(e)
            );
        }
    }
    attach_console();
}

/// A directory is a mount point when it is on another device than its parent.
fn is_mount_point(dir: &CStr) -> bool {
    match (rustix::fs::stat(dir), rustix::fs::stat(c"/")) {
        (Ok(d), Ok(root)) => d.st_dev != root.st_dev,
        _ => false,
    }
}

/// The kernel gives init /dev/console as fds 0-2 only when the initramfs has that node; with
/// devtmpfs mounted now, connect whatever is missing.
fn attach_console() {
    if rustix::io::fcntl_getfd(crate::sys::stdio(0)).is_ok() {
        return;
    }
    if let Ok(fd) = rustix::fs::open(
        c"/dev/console",
        OFlags::RDWR | OFlags::NOCTTY,
        Mode::empty(),
    ) {
        for target in 0..3 {
            let _ = crate::sys::dup_onto(&fd, target);
        }
    }
}

/// Reports the workload's status on the console, syncs and powers off; never returns.
pub fn power_off(status: i32) -> ! {
    error!("workload exited with status {}", status);
    rustix::fs::sync();
    let e = rustix::system::reboot(rustix::system::RebootCommand::PowerOff);
    if let Err(e) = e {
        error!("machine: reboot(POWER_OFF): {}", ErrnoText(e));
    }
    loop {
        // Nothing is left to do; an exiting init would panic the kernel.
        let _ = crate::sys::sigtimedwait(0, None);
    }
}
