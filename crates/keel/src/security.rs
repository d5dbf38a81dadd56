//! The workload's privileges, set last before exec (in the forked child, or in keel itself
//! with `--exec`), in the order the kernel requires:
//!
//! 1. rlimits, while keel is still privileged enough to lower or raise them;
//! 2. the umask;
//! 3. capabilities leave the bounding set (PR_CAPBSET_DROP needs CAP_SETPCAP, so before the
//!    user switch);
//! 4. the user switch: supplementary groups, then gid, then uid (each needs the privilege the
//!    next one drops), with PR_SET_KEEPCAPS so configured capabilities survive it;
//! 5. effective, permitted and inheritable sets (capset), then the ambient set, which is
//!    what carries capabilities across exec to a non-root program;
//! 6. no_new_privs, so nothing the workload execs can gain privileges (and so a seccomp
//!    filter can be installed without CAP_SYS_ADMIN);
//! 7. the Landlock ruleset, then the seccomp filter, last, so that they restrict the workload
//!    and not keel's set-up. Both need no_new_privs or CAP_SYS_ADMIN: without no_new_privs
//!    they go in before the user switch (step 4), while keel still has CAP_SYS_ADMIN, as in
//!    runc; the filter must then allow the switch's own syscalls. The ruleset's paths are
//!    opened first of all, with keel's privileges.
//!
//! As in runc, a root workload's capabilities after exec are its inheritable and bounding
//! sets (the kernel grants root every capability the bounding set allows), so for root the
//! bounding set is what restricts.

//!
//! Each part is an optional feature of keel (`security`, `landlock`, `seccomp`); a build
//! without one never gets a config that asks for it (the decoder refuses it), so here the
//! part's steps are simply absent. no_new_privs is always there: it is one prctl.

#[cfg(feature = "landlock")]
use crate::landlock;
use crate::log::{ErrnoText, error};
#[cfg(any(feature = "security", feature = "seccomp"))]
use crate::sys;
use keel_wire as wire;
use rustix::io::Errno;
#[cfg(feature = "security")]
use rustix::{
    fs::Mode,
    process::{Gid, Uid},
    thread::{CapabilitySet, CapabilitySets},
};

/// The Landlock ruleset fitted to the kernel, from `landlock::plan`.
#[cfg(feature = "landlock")]
pub use crate::landlock::Plan as LandlockPlan;
/// A keel without Landlock has no ruleset to give: the type has no values.
#[cfg(not(feature = "landlock"))]
pub enum LandlockPlan {}

/// The highest capability number the format allows (CAP_LAST_CAP on Linux 6.x).
#[cfg(feature = "security")]
const LAST_CAP: u32 = 40;

/// Applies the process section's security settings and the Landlock ruleset. Errors are
/// printed.
pub fn apply(p: &wire::Process<'_>, landlock: Option<&LandlockPlan>) -> Result<(), ()> {
    #[cfg(feature = "landlock")]
    let ruleset = landlock.map(landlock::build).transpose()?;
    #[cfg(not(feature = "landlock"))]
    if let Some(plan) = landlock {
        match *plan {}
    }
    let confine = || -> Result<(), ()> {
        #[cfg(feature = "landlock")]
        if let Some(ruleset) = &ruleset {
            landlock::restrict(ruleset)?;
        }
        #[cfg(feature = "seccomp")]
        if let Some(filter) = &p.seccomp {
            install_seccomp(filter)?;
        }
        Ok(())
    };
    #[cfg(feature = "security")]
    before_confinement(p)?;
    if !p.no_new_privileges {
        confine()?;
    }
    #[cfg(feature = "security")]
    after_confinement(p)?;
    if p.no_new_privileges {
        rustix::thread::set_no_new_privs(true).map_err(|e| fail("PR_SET_NO_NEW_PRIVS", e))?;
        confine()?;
    }
    Ok(())
}

/// Steps 1 to 3: rlimits, the umask, the bounding set.
#[cfg(feature = "security")]
fn before_confinement(p: &wire::Process<'_>) -> Result<(), ()> {
    for limit in p.rlimits.iter() {
        sys::set_rlimit(limit.resource, limit.soft, limit.hard).map_err(|e| {
            error!(
                "security: setrlimit resource {}: {}",
                limit.resource,
                ErrnoText(e)
            );
        })?;
    }
    if let Some(mask) = p.umask {
        rustix::process::umask(Mode::from_raw_mode(mask));
    }
    if let Some(caps) = &p.capabilities {
        for cap in (0..=LAST_CAP).filter(|&c| caps.bounding & (1 << c) == 0) {
            match sys::prctl(linux_raw_sys::prctl::PR_CAPBSET_DROP, cap as usize) {
                // Not known to this kernel: nothing to drop.
                Ok(()) | Err(Errno::INVAL) => {}
                Err(e) => {
                    fail("drop from the bounding set (PR_CAPBSET_DROP)", e);
                    return Err(());
                }
            }
        }
    }
    Ok(())
}

/// Steps 4 and 5: the user switch, then the capability sets.
#[cfg(feature = "security")]
fn after_confinement(p: &wire::Process<'_>) -> Result<(), ()> {
    if let Some(user) = &p.user {
        switch_user(user, p.capabilities.is_some())?;
    }
    if let Some(caps) = &p.capabilities {
        let sets = CapabilitySets {
            effective: CapabilitySet::from_bits_retain(caps.effective),
            permitted: CapabilitySet::from_bits_retain(caps.permitted),
            inheritable: CapabilitySet::from_bits_retain(caps.inheritable),
        };
        rustix::thread::set_capabilities(None, sets).map_err(|e| fail("capset", e))?;
        for cap in (0..=LAST_CAP).filter(|&c| caps.ambient & (1 << c) != 0) {
            sys::prctl4(
                linux_raw_sys::prctl::PR_CAP_AMBIENT,
                linux_raw_sys::prctl::PR_CAP_AMBIENT_RAISE as usize,
                cap as usize,
            )
            .map_err(|e| fail("raise an ambient capability (PR_CAP_AMBIENT_RAISE)", e))?;
        }
    }
    Ok(())
}

#[cfg(feature = "seccomp")]
fn install_seccomp(filter: &wire::SeccompFilter<'_>) -> Result<(), ()> {
    sys::seccomp_set_mode_filter(filter.flags, filter.program).map_err(|e| {
        let hint = match e {
            Errno::ACCESS => {
                ": needs no_new_privileges = true, or CAP_SYS_ADMIN in keel's user namespace"
            }
            Errno::INVAL => ": the kernel refused the program or its flags",
            _ => "",
        };
        error!(
            "security: seccomp filter ({} instructions): {}{}",
            filter.instructions(),
            ErrnoText(e),
            hint
        );
    })
}

/// Sets keel's own oom_score_adj, which everything it starts inherits: before the
/// namespaces, because in a new user namespace /proc/self/oom_score_adj belongs to an
/// unmapped owner and cannot be written. As with runc, the container's PID 1 (keel) and the
/// workload share the value. Errors are printed.
#[cfg(feature = "security")]
pub fn set_oom_score_adj(adj: i32) -> Result<(), ()> {
    let mut text: heapless::String<12> = heapless::String::new();
    let _ = ufmt::uwrite!(text, "{}", adj);
    rustix::fs::open(
        c"/proc/self/oom_score_adj",
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| rustix::io::write(&fd, text.as_bytes()))
    .map(drop)
    .map_err(|e| match e {
        // The kernel refuses a value below the lowest one set without CAP_SYS_RESOURCE.
        Errno::ACCESS => error!(
            "security: write /proc/self/oom_score_adj: {}: lowering it needs CAP_SYS_RESOURCE: start keel as root, or set oom_score_adj = 0 or more",
            ErrnoText(e)
        ),
        _ => fail("write /proc/self/oom_score_adj", e),
    })
}

#[cfg(feature = "security")]
fn switch_user(user: &wire::User<'_>, keep_caps: bool) -> Result<(), ()> {
    if keep_caps {
        rustix::thread::set_keep_capabilities(true).map_err(|e| fail("PR_SET_KEEPCAPS", e))?;
    }
    let mut groups = [Gid::ROOT; 64];
    let mut n = 0;
    for (slot, gid) in groups.iter_mut().zip(user.additional_gids.iter()) {
        *slot = Gid::from_raw(gid);
        n += 1;
    }
    match rustix::thread::set_thread_groups(&groups[..n]) {
        // setgroups denied in this user namespace: only an empty list was wanted anyway.
        Err(Errno::PERM) if n == 0 => {}
        other => other.map_err(|e| fail("setgroups", e))?,
    }
    let (uid, gid) = (Uid::from_raw(user.uid), Gid::from_raw(user.gid));
    rustix::thread::set_thread_res_gid(gid, gid, gid).map_err(|e| fail("setresgid", e))?;
    rustix::thread::set_thread_res_uid(uid, uid, uid).map_err(|e| fail("setresuid", e))
}

fn fail(step: &str, e: Errno) {
    let hint = match e {
        Errno::PERM => {
            ": keel lacks the privilege for it here (CAP_SETUID, CAP_SETGID, CAP_SETPCAP or CAP_SYS_RESOURCE)"
        }
        Errno::INVAL => {
            ": an id not mapped in this user namespace, or a capability outside the bounding or permitted set"
        }
        _ => "",
    };
    error!("security: {}: {}{}", step, ErrnoText(e), hint);
}
