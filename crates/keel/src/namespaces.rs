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
use crate::sys;
use core::ffi::CStr;
use keel_wire::{self as wire, NamespaceSet};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::Pid;
use ufmt::uwrite;

/// Where the boot path continues after [`enter`].
pub enum Entered {
    /// In the inner keel, inside the new namespaces: go on building and supervising.
    Inside,
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
        sys::unshare(others).map_err(|e| fail("unshare", e))?;
    }
    inside(n)?;
    Ok(Entered::Inside)
}

fn fail(step: &str, e: Errno) -> i32 {
    error!("namespaces: {}: {}", step, ErrnoText(e));
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
    let child = match sys::clone(flags) {
        Err(e) => return Err(fail("clone", e)),
        Ok(None) => {
            drop(release_tx);
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
            return Ok(Entered::Inside);
        }
        Ok(Some(child)) => child,
    };
    drop(release_rx);
    if n.unshare.contains(NamespaceSet::USER) && write_id_maps(n, child).is_err() {
        let _ = sys::kill(
            child.as_raw_nonzero().get(),
            linux_raw_sys::general::SIGKILL as i32,
        );
        return Err(exit::SETUP);
    }
    let _ = rustix::io::write(&release_tx, b"1");
    drop(release_tx);
    Ok(Entered::Relayed(crate::supervise::relay(s, own, child)))
}

/// In the new namespaces: root of a new user namespace, host and domain names, loopback up.
fn inside(n: &wire::Namespaces<'_>) -> Result<(), i32> {
    if n.unshare.contains(NamespaceSet::USER) {
        // keel's ids from outside are not mapped inside; becoming the namespace's root makes
        // the mapped ids apply (the workload's own user comes later, with the process step).
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

/// `/proc/CHILD/uid_map` and `gid_map`; with no map configured, keel's own ids become root.
fn write_id_maps(n: &wire::Namespaces<'_>, child: Pid) -> Result<(), ()> {
    let pid = child.as_raw_nonzero().get();
    if n.setgroups_deny {
        write_proc(pid, "setgroups", b"deny")?;
    }
    let own_uid = rustix::process::geteuid().as_raw();
    let own_gid = rustix::process::getegid().as_raw();
    for (file, maps, own) in [
        ("uid_map", &n.uid_map, own_uid),
        ("gid_map", &n.gid_map, own_gid),
    ] {
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
        write_proc(pid, file, &text)?;
    }
    Ok(())
}

fn write_proc(pid: i32, file: &str, text: &[u8]) -> Result<(), ()> {
    let mut path: heapless::String<48> = heapless::String::new();
    let _ = uwrite!(path, "/proc/{}/{}", pid, file);
    let result = rustix::fs::open(
        path.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd: OwnedFd| rustix::io::write(&fd, text));
    result.map(drop).map_err(|e| {
        let hint = match e {
            Errno::PERM if file == "gid_map" => {
                ": without CAP_SETGID in the parent namespace, set setgroups = \"deny\" and map only keel's own gid"
            }
            Errno::PERM => ": the ids must be mapped in keel's own namespace, and keel needs CAP_SETUID/CAP_SETGID there to map others than its own",
            Errno::INVAL => ": ranges overlap, or an id is not mapped in keel's namespace",
            _ => "",
        };
        error!("namespaces: write {}: {}{}", Bytes(path.as_bytes()), ErrnoText(e), hint);
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
