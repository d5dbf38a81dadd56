//! Namespaces: the workload's own mount, pid, uts, ipc, net, cgroup, user and time namespaces.
//!
//! A new pid namespace only applies to children, and a new user namespace needs its id maps
//! written from outside, so with either keel clones itself into the new namespaces:
//!
//! ```text
//! keel (relay)                   original namespaces; forwards every signal to the inner
//!  │                             keel and exits with its status (128+N if a signal killed it)
//!  └─ keel (inner) = PID 1       new namespaces; waits until the relay has written its id
//!      │                         maps, then builds the mounts and supervises the workload
//!      └─ workload               fresh /proc shows only this namespace
//! ```
//!
//! The relay writes `/proc/CHILD/{setgroups,uid_map,gid_map}` while it still has its
//! privileges in the parent user namespace (a process cannot map arbitrary ids for itself),
//! then releases the inner keel through a pipe. When the inner keel (PID 1) exits, the kernel
//! kills whatever is left in its pid namespace, so nothing outlives the run.
//!
//! Without pid and user namespaces keel simply unshares the others in place. A time
//! namespace is unshared by the relay (it applies to children only) after writing its offsets.

use crate::cli::{Settings, exit};
use crate::log::{Bytes, ErrnoText, error};
use crate::{subids, sys};
use core::ffi::CStr;
use keel_wire::{self as wire, NamespaceSet};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::Pid;
use ufmt::uwrite;

/// Where the boot path continues after [`enter`].
pub enum Entered {
    /// In the inner keel, inside the new namespaces: go on building and supervising; with a
    /// `--status-fd`, the way to the relay, which reports the workload's start.
    Inside(Option<crate::launcher::InnerEnds>),
    /// In the relay: this is the status to exit with, the inner keel's.
    Relayed(i32),
}

/// Creates the configured namespaces and sets them up (maps, names, loopback).
pub fn enter(n: &wire::Namespaces<'_>, s: &Settings, own: Pid) -> Result<Entered, i32> {
    let set = n.unshare;
    if set.contains(NamespaceSet::TIME) {
        sys::unshare(NamespaceSet::TIME).map_err(|e| fail("unshare time", e))?;
        write_time_offsets(&n.time_offsets)?;
    }
    let others = set.0 & !NamespaceSet::TIME;
    if set.contains(NamespaceSet::PID) || set.contains(NamespaceSet::USER) {
        return clone_into(n, others, s, own);
    }
    if others != 0 {
        sys::unshare(others).map_err(|e| refused("unshare", e, false))?;
    }
    inside(n)?;
    Ok(Entered::Inside(None))
}

fn fail(step: &str, e: Errno) -> i32 {
    error!("namespaces: {}: {}", step, ErrnoText(e));
    exit::SETUP
}

/// `step` (unshare or clone into the new namespaces) failed; EPERM has two causes: no user
/// namespace asked for by a keel without CAP_SYS_ADMIN, or user namespaces closed to it.
fn refused(step: &str, e: Errno, with_user: bool) -> i32 {
    let hint = match e {
        Errno::NOSPC if with_user => {
            ": no user namespace left to create here (sysctl user.max_user_namespaces; 0 disables them)"
        }
        Errno::PERM if with_user => {
            ": this kernel refuses this user a user namespace (see sysctls user.max_user_namespaces, kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns)"
        }
        Errno::PERM => {
            ": new namespaces need CAP_SYS_ADMIN: add \"user\" to unshare (keel gets it in a user namespace of its own), or start keel as root"
        }
        _ => "",
    };
    error!("namespaces: {}: {}{}", step, ErrnoText(e), hint);
    exit::SETUP
}

/// The relay's side: clone, map ids, release the child, relay signals and its status.
fn clone_into(
    n: &wire::Namespaces<'_>,
    flags: u32,
    s: &Settings,
    own: Pid,
) -> Result<Entered, i32> {
    let (release_rx, release_tx) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| fail("pipe", e))?;
    let launcher = match s.status_fd {
        Some(_) => Some(crate::launcher::channel().map_err(|e| fail("pipe", e))?),
        None => None,
    };
    let (relay_ends, inner_ends) = launcher.unzip();
    let child = match sys::clone(flags) {
        Err(e) => return Err(refused("clone", e, n.unshare.contains(NamespaceSet::USER))),
        Ok(None) => {
            drop(release_tx);
            drop(relay_ends);
            // The relay reports the status (and powers off, as the machine's init).
            crate::machine::set_active(false);
            // The inner keel must not outlive its relay (it would run unsupervised).
            let _ = rustix::process::set_parent_process_death_signal(Some(sys::signal(
                linux_raw_sys::general::SIGKILL as i32,
            )));
            // Wait for the relay: one byte when the maps are written, EOF if it died.
            let mut byte = [0u8];
            if !matches!(rustix::io::read(&release_rx, &mut byte), Ok(1)) {
                sys::exit_group(exit::SETUP);
            }
            inside(n)?;
            return Ok(Entered::Inside(inner_ends));
        }
        Ok(Some(child)) => child,
    };
    drop(release_rx);
    drop(inner_ends);
    if n.unshare.contains(NamespaceSet::USER) && write_id_maps(n, child).is_err() {
        let _ = sys::kill(
            child.as_raw_nonzero().get(),
            linux_raw_sys::general::SIGKILL as i32,
        );
        return Err(exit::SETUP);
    }
    let _ = rustix::io::write(&release_tx, b"1");
    drop(release_tx);
    if let (Some(ends), Some(fd)) = (relay_ends, s.status_fd)
        && ends.answer(s, fd, child).is_err()
    {
        let _ = sys::kill(
            child.as_raw_nonzero().get(),
            linux_raw_sys::general::SIGKILL as i32,
        );
        return Err(exit::SETUP);
    }
    Ok(Entered::Relayed(crate::supervise::relay(s, own, child)))
}

/// In the new namespaces: root of a new user namespace, host and domain names, loopback up.
fn inside(n: &wire::Namespaces<'_>) -> Result<(), i32> {
    if n.unshare.contains(NamespaceSet::USER) && (maps_root(&n.uid_map) || maps_root(&n.gid_map)) {
        // keel's ids from outside are not mapped inside; becoming the namespace's root makes
        // the mapped ids apply (the workload's own user comes later, with the process step).
        // With neither 0 mapped (e.g. only `1000 → keel's uid`, as bwrap --uid 1000), keel
        // keeps the ids the map gave it: as the namespace's creator it still holds every
        // capability in it, until the workload's exec as a non-root user drops them.
        let root_ids = rustix::thread::set_thread_res_gid(
            rustix::process::Gid::ROOT,
            rustix::process::Gid::ROOT,
            rustix::process::Gid::ROOT,
        )
        .and_then(|()| {
            rustix::thread::set_thread_res_uid(
                rustix::process::Uid::ROOT,
                rustix::process::Uid::ROOT,
                rustix::process::Uid::ROOT,
            )
        });
        if let Err(e) = root_ids {
            error!(
                "namespaces: become root of the user namespace: {}: map container id 0 in uid_mappings and gid_mappings",
                ErrnoText(e)
            );
            return Err(exit::SETUP);
        }
        if !n.setgroups_deny {
            let _ = rustix::thread::set_thread_groups(&[]);
        }
    }
    if let Some(name) = n.hostname {
        rustix::system::sethostname(name.to_bytes()).map_err(|e| fail("sethostname", e))?;
    }
    if let Some(name) = n.domainname {
        rustix::system::setdomainname(name.to_bytes()).map_err(|e| fail("setdomainname", e))?;
    }
    if n.unshare.contains(NamespaceSet::NET) {
        sys::loopback_up().map_err(|e| fail("bring lo up (SIOCSIFFLAGS)", e))?;
    }
    Ok(())
}

/// Whether `maps` give the namespace a root: container id 0, or no map (keel's id becomes 0).
fn maps_root(maps: &wire::IdMaps<'_>) -> bool {
    maps.is_empty() || maps.iter().any(|m| m.inside == 0)
}

/// `/proc/CHILD/uid_map` and `gid_map`; with no map configured, keel's own ids become root.
/// An unprivileged keel maps subordinate ranges through shadow's helpers (see `subids`).
fn write_id_maps(n: &wire::Namespaces<'_>, child: Pid) -> Result<(), ()> {
    let pid = child.as_raw_nonzero().get();
    if n.setgroups_deny {
        write_proc(pid, "setgroups", b"deny", 0)?;
    }
    let own_uid = rustix::process::geteuid().as_raw();
    let own_gid = rustix::process::getegid().as_raw();
    for (file, kind, maps, own) in [
        ("uid_map", &subids::UID, &n.uid_map, own_uid),
        ("gid_map", &subids::GID, &n.gid_map, own_gid),
    ] {
        // Unprivileged, with more than its own id: through newuidmap or newgidmap.
        if subids::needed(kind, maps, own) {
            let user = rustix::process::getuid().as_raw();
            subids::write(kind, pid, maps, own, user)?;
            continue;
        }
        let mut text: heapless::Vec<u8, 4096> = heapless::Vec::new();
        if maps.is_empty() {
            let _ = uwrite!(text, "0 {} 1\n", own);
        }
        for m in maps.iter() {
            if uwrite!(text, "{} {} {}\n", m.inside, m.outside, m.count).is_err() {
                error!("namespaces: {}: more than 4096 bytes of mappings", file);
                return Err(());
            }
        }
        write_proc(pid, file, &text, own)?;
    }
    Ok(())
}

/// Writes `text` to `/proc/PID/FILE`; `own` is keel's id that a map may give without
/// privilege (named in the error).
fn write_proc(pid: i32, file: &str, text: &[u8], own: u32) -> Result<(), ()> {
    let mut path: heapless::String<48> = heapless::String::new();
    let _ = uwrite!(path, "/proc/{}/{}", pid, file);
    let result = rustix::fs::open(
        path.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd: OwnedFd| rustix::io::write(&fd, text));
    result.map(drop).map_err(|e| {
        // The fix around keel's own id, which a map may give without privilege.
        let (hint, fix): (&str, &str) = match e {
            Errno::PERM if file == "uid_map" => (
                ": every host id must be keel's own uid or one its user namespace maps: set host_id = ",
                " with size = 1, or start keel as root",
            ),
            Errno::PERM if file == "gid_map" => (
                ": without CAP_SETGID in the parent namespace, set setgroups = \"deny\" and map only keel's own gid: host_id = ",
                " with size = 1, or start keel as root",
            ),
            Errno::INVAL => (": ranges overlap, or an id is not mapped in keel's namespace", ""),
            _ => ("", ""),
        };
        let mut id: heapless::String<10> = heapless::String::new();
        if !fix.is_empty() {
            let _ = uwrite!(id, "{}", own);
        }
        error!(
            "namespaces: write {}: {}{}{}{}",
            Bytes(path.as_bytes()),
            ErrnoText(e),
            hint,
            id.as_str(),
            fix
        );
    })
}

/// `[mounts] lock`: keel enters a new user namespace, its ids mapped onto themselves, and a
/// new mount namespace. The kernel copies the mounts into it locked, since they come from a
/// more privileged user namespace (mount_namespaces(7)): the workload, root there, can no
/// longer unmount them (EINVAL) or change a locked flag (EPERM). A process cannot map ids for
/// itself beyond its own: a helper child, left in the current namespaces, writes the maps
/// once keel has unshared, through keel's /proc directory opened before (so a /proc of
/// another pid namespace cannot send the write to some other process), and keel waits for it.
#[cfg(feature = "mounts")]
pub fn lock_mounts() -> Result<(), i32> {
    let proc_self = rustix::fs::open(
        c"/proc/self",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        error!(
            "namespaces: lock mounts: open /proc/self: {}: mount a proc (keel writes its id maps through it)",
            ErrnoText(e)
        );
        exit::SETUP
    })?;
    let uid_map = identity_map(&proc_self, c"uid_map")?;
    let gid_map = identity_map(&proc_self, c"gid_map")?;
    let (go_rx, go_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| fail("lock mounts: pipe", e))?;
    let helper = match sys::fork() {
        Err(e) => return Err(fail("lock mounts: fork", e)),
        Ok(None) => {
            drop(go_tx);
            let mut byte = [0u8];
            let mapped = matches!(rustix::io::read(&go_rx, &mut byte), Ok(1))
                && [(c"uid_map", &uid_map), (c"gid_map", &gid_map)].iter().all(
                    |(file, (text, len))| {
                        write_map(&proc_self, file, text.get(..*len).unwrap_or_default()).is_ok()
                    },
                );
            sys::exit_group(if mapped { 0 } else { exit::SETUP });
        }
        Ok(Some(helper)) => helper,
    };
    drop(go_rx);
    let unshared = sys::unshare(NamespaceSet::USER | NamespaceSet::MOUNT);
    if unshared.is_ok() {
        let _ = rustix::io::write(&go_tx, b"1");
    }
    // EOF for the helper when the unshare failed: it exits without mapping.
    drop(go_tx);
    let status = rustix::process::waitpid(Some(helper), rustix::process::WaitOptions::empty());
    unshared.map_err(|e| fail("lock mounts: unshare user and mount namespaces", e))?;
    match status {
        Ok(Some((_, status))) if status.exit_status() == Some(0) => Ok(()),
        // The helper said what failed.
        _ => Err(exit::SETUP),
    }
}

/// keel's `file` (uid_map or gid_map) with each range mapped onto itself: `first first
/// count`. The kernel prints each range as `%10u %10u %10u\n` (kernel/user_namespace.c), 33
/// bytes, and reads leading spaces back, so the identity of a line is its first 11 bytes
/// twice and its last 11.
#[cfg(feature = "mounts")]
fn identity_map(proc_self: &OwnedFd, file: &CStr) -> Result<([u8; 4096], usize), i32> {
    let mut own = [0u8; 4096];
    let read = rustix::fs::openat(
        proc_self,
        file,
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| rustix::io::read(&fd, &mut own));
    let len = match read {
        // A full buffer may have been cut: keel maps at most 124 ranges (4096 / 33).
        Ok(len) if len < own.len() && len % 33 == 0 => len,
        Ok(_) => {
            error!(
                "namespaces: lock mounts: /proc/self/{}: more ranges than keel maps (124)",
                Bytes(file.to_bytes())
            );
            return Err(exit::SETUP);
        }
        Err(e) => {
            error!(
                "namespaces: lock mounts: read /proc/self/{}: {}",
                Bytes(file.to_bytes()),
                ErrnoText(e)
            );
            return Err(exit::SETUP);
        }
    };
    for at in (0..len).step_by(33) {
        own.copy_within(at..at + 11, at + 11);
    }
    Ok((own, len))
}

#[cfg(feature = "mounts")]
fn write_map(proc_self: &OwnedFd, file: &CStr, text: &[u8]) -> Result<(), ()> {
    rustix::fs::openat(
        proc_self,
        file,
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| rustix::io::write(&fd, text))
    .map(drop)
    .map_err(|e| {
        let file = Bytes(file.to_bytes());
        error!(
            "namespaces: lock mounts: write keel's {}: {}",
            file,
            ErrnoText(e)
        );
    })
}

/// `/proc/self/timens_offsets`, written after unshare(CLONE_NEWTIME) and before any process
/// enters the new time namespace.
fn write_time_offsets(t: &wire::TimeOffsets) -> Result<(), i32> {
    let mut text: heapless::Vec<u8, 128> = heapless::Vec::new();
    for (name, offset) in [("monotonic", t.monotonic), ("boottime", t.boottime)] {
        if let Some((secs, nanos)) = offset {
            let _ = uwrite!(text, "{} {} {}\n", name, secs, nanos);
        }
    }
    if text.is_empty() {
        return Ok(());
    }
    let path: &CStr = c"/proc/self/timens_offsets";
    rustix::fs::open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())
        .and_then(|fd| rustix::io::write(&fd, &text))
        .map(drop)
        .map_err(|e| fail("write /proc/self/timens_offsets", e))
}
