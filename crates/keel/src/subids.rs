//! Subordinate id ranges: an unprivileged keel maps more than its own ids through shadow's
//! setuid helpers `newuidmap` and `newgidmap` (Debian's `uidmap` package), as podman and
//! nsjail do. The helper checks the ranges against the ones /etc/subuid and /etc/subgid grant
//! keel's user, then writes the map with its privileges.
//!
//! Used for a map only when the relay lacks CAP_SETUID (CAP_SETGID for gids) in its user
//! namespace, and the map is more than the one the kernel lets anyone write: its own id,
//! once. Root, or a map of the own id alone, is written directly as before.
//!
//! setgroups: the kernel requires "deny" only for the unprivileged own-gid map; newgidmap
//! has CAP_SETGID, so it maps ranges either way. keel writes "deny", when configured, before
//! the maps; shadow's newgidmap (4.13, Debian 12) then keeps it and otherwise sets "allow"
//! itself (verified with unshare and newgidmap; `crates/keel/tests/subids.rs` runs both maps
//! this way).

use crate::log::{Line, Show, error};
use crate::sys;
use core::ffi::CStr;
use keel_wire::IdMaps;
use rustix::fs::Access;
use rustix::io::Errno;
use rustix::process::{WaitOptions, WaitStatus};
use rustix::thread::CapabilitySet;
use ufmt::uwrite;

/// The uid or the gid side.
pub struct Kind {
    /// `uid map`, the step in messages.
    pub step: &'static str,
    /// `uid` or `gid`.
    id: &'static str,
    helper: &'static str,
    granted_in: &'static str,
    usermod: &'static str,
    capability: CapabilitySet,
}

pub const UID: Kind = Kind {
    step: "uid map",
    id: "uid",
    helper: "newuidmap",
    granted_in: "/etc/subuid",
    usermod: "--add-subuids",
    capability: CapabilitySet::SETUID,
};

pub const GID: Kind = Kind {
    step: "gid map",
    id: "gid",
    helper: "newgidmap",
    granted_in: "/etc/subgid",
    usermod: "--add-subgids",
    capability: CapabilitySet::SETGID,
};

/// Where keel looks for the helpers: a fixed list, not PATH (the caller's PATH must not
/// choose what runs with the helper's privileges on keel's behalf).
const DIRS: [&str; 2] = ["/usr/bin/", "/bin/"];

/// Whether `maps` needs the helper: keel lacks the capability, and the map is more than
/// `own` once (an empty map is keel's own id as root).
pub fn needed(kind: &Kind, maps: &IdMaps<'_>, own: u32) -> bool {
    let mut it = maps.iter();
    let own_alone = match (it.next(), it.next()) {
        (None, _) => true,
        (Some(m), None) => m.outside == own && m.count == 1,
        _ => false,
    };
    !own_alone
        && !rustix::thread::capabilities(None)
            .is_ok_and(|caps| caps.effective.contains(kind.capability))
}

/// Runs `HELPER PID INSIDE OUTSIDE COUNT...` and waits for it. `own` is keel's own id of
/// the kind, `user` its real uid, whose name the helper looks the ranges up by.
pub fn write(kind: &Kind, pid: i32, maps: &IdMaps<'_>, own: u32, user: u32) -> Result<(), ()> {
    let mut path = [0u8; 32];
    let helper = find(kind, &mut path)?;
    // The words of argv, each NUL-terminated: at most 11 bytes per number, 3 per map.
    let mut words: heapless::Vec<u8, { 16 + 33 * keel_wire::MAX_ID_MAPS }> = heapless::Vec::new();
    let _ = uwrite!(words, "{}\0{}\0", kind.helper, pid);
    for m in maps.iter() {
        let _ = uwrite!(words, "{}\0{}\0{}\0", m.inside, m.outside, m.count);
    }
    let (output_rx, output_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| {
            error!("{}: pipe: {}", kind.step, crate::log::ErrnoText(e));
        })?;
    let child = match sys::fork() {
        Err(e) => {
            error!("{}: fork: {}", kind.step, crate::log::ErrnoText(e));
            return Err(());
        }
        Ok(None) => {
            // Its messages go into keel's one line.
            let _ = sys::dup_onto(&output_tx, 1);
            let _ = sys::dup_onto(&output_tx, 2);
            sys::execve_words(helper, &words);
            sys::exit_group(127)
        }
        Ok(Some(child)) => child,
    };
    drop(output_tx);
    let mut output = [0u8; 256];
    let mut len = 0;
    while let Ok(n @ 1..) = rustix::io::read(&output_rx, &mut output[len..]) {
        len += n;
    }
    let status = loop {
        match rustix::process::waitpid(Some(child), WaitOptions::empty()) {
            Err(Errno::INTR) => {}
            other => break other,
        }
    };
    match status {
        Ok(Some((_, status))) if status.exit_status() == Some(0) => Ok(()),
        Ok(Some((_, status))) => {
            let said = output[..len]
                .split(|&c| c == b'\n')
                .next()
                .unwrap_or_default();
            error!(
                "{}: {}: {} ({}; uid {} may map only its own {} and the ranges {} grants it; fix: usermod{} $(id -nu {}))",
                kind.step,
                Words(&words),
                Ended(status),
                crate::log::Bytes(said),
                user,
                kind.id,
                kind.granted_in,
                Grants { kind, maps, own },
                user
            );
            Err(())
        }
        _ => {
            error!("{}: wait for {}: ECHILD", kind.step, kind.helper);
            Err(())
        }
    }
}

/// The first of `DIRS` that has the helper, executable; else the one line with the fix.
fn find<'a>(kind: &Kind, buf: &'a mut [u8; 32]) -> Result<&'a CStr, ()> {
    let mut first_error = Errno::NOENT;
    for (i, dir) in DIRS.into_iter().enumerate() {
        let len = dir.len() + kind.helper.len();
        buf[..dir.len()].copy_from_slice(dir.as_bytes());
        buf[dir.len()..len].copy_from_slice(kind.helper.as_bytes());
        buf[len] = 0;
        let path = CStr::from_bytes_with_nul(&buf[..=len]).map_err(drop)?;
        match rustix::fs::access(path, Access::EXEC_OK) {
            // The path tried last is in `buf`.
            Ok(()) => return CStr::from_bytes_until_nul(&buf[..]).map_err(drop),
            Err(e) if i == 0 => first_error = e,
            Err(_) => {}
        }
    }
    error!(
        "{}: {}{}: {}; fix: apt-get install uidmap (keel maps more than its own id through it)",
        kind.step,
        DIRS[0],
        kind.helper,
        crate::log::ErrnoText(first_error)
    );
    Err(())
}

/// argv's NUL-separated words, shown separated by spaces.
struct Words<'a>(&'a [u8]);

impl Show for Words<'_> {
    fn show(&self, line: &mut Line) {
        let words = self.0.strip_suffix(b"\0").unwrap_or(self.0);
        for (i, word) in words.split(|&c| c == 0).enumerate() {
            if i > 0 {
                line.push(b" ");
            }
            line.push(word);
        }
    }
}

/// How the helper ended: `exit N` or `killed by signal N`.
struct Ended(WaitStatus);

impl Show for Ended {
    fn show(&self, line: &mut Line) {
        match self.0.terminating_signal() {
            Some(sig) => {
                line.push(b"killed by signal ");
                sig.show(line);
            }
            None => {
                line.push(b"exit ");
                self.0.exit_status().unwrap_or(0).show(line);
            }
        }
    }
}

/// ` --add-subuids FIRST-LAST` for each range but the own id.
struct Grants<'a> {
    kind: &'a Kind,
    maps: &'a IdMaps<'a>,
    own: u32,
}

impl Show for Grants<'_> {
    fn show(&self, line: &mut Line) {
        for m in self.maps.iter() {
            if m.outside == self.own && m.count == 1 {
                continue;
            }
            line.push(b" ");
            line.push(self.kind.usermod.as_bytes());
            line.push(b" ");
            m.outside.show(line);
            line.push(b"-");
            (m.outside.saturating_add(m.count - 1)).show(line);
        }
    }
}
