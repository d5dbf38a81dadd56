//! The Landlock ruleset of the config's section `0x06`, fitted to the running kernel.
//!
//! keel-gen writes rights up to ABI 6; an older kernel enforces fewer. [`plan`] runs with the
//! config checks, before any side effect: it asks the kernel for its ABI and either drops what
//! that ABI cannot enforce, with a warning, or, for a `required` ruleset, refuses to start. A
//! kernel without Landlock is treated the same way. [`build`] then creates the ruleset and
//! opens the rules' paths while keel is still privileged, and [`restrict`] enforces it at the
//! point `security` chooses.

use crate::log::{self, Bytes, ErrnoText, Line, Show, error, say};
use crate::sys::{self, LandlockRule};
use keel_wire as wire;
use linux_raw_sys::landlock::{
    landlock_net_port_attr, landlock_path_beneath_attr, landlock_ruleset_attr,
};
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// The rights a ruleset restricts, reduced to what the running kernel's ABI enforces.
#[derive(Clone, Copy)]
pub struct Plan {
    rules: wire::Landlock<'static>,
    handled_fs: u64,
    handled_net: u64,
    scoped: u64,
}

/// The rights each Landlock ABI enforces: (ABI, filesystem, network, scopes).
const ABI_RIGHTS: [(u32, u64, u64, u64); 6] = [
    (1, 0x1fff, 0, 0),
    (2, 0x3fff, 0, 0), // + REFER
    (3, 0x7fff, 0, 0), // + TRUNCATE
    (4, 0x7fff, 0x3, 0),
    (5, 0xffff, 0x3, 0), // + IOCTL_DEV
    (6, 0xffff, 0x3, 0x3),
];

/// Fits `rules` to the kernel. `Ok(None)`: the kernel has no Landlock and the ruleset is not
/// required, so it is skipped (with a warning). Errors are printed.
pub fn plan(rules: wire::Landlock<'static>) -> Result<Option<Plan>, ()> {
    let abi = match sys::landlock_abi() {
        Ok(abi) => abi,
        Err(e) => {
            let what = "landlock: the kernel has no Landlock (Linux >= 5.13 with lsm=landlock)";
            if rules.required {
                error!("{}: {}; the ruleset is required", what, ErrnoText(e));
                return Err(());
            }
            say!(
                log::WARN,
                "{}: {}; running without the ruleset",
                what,
                ErrnoText(e)
            );
            return Ok(None);
        }
    };
    // ABIs above 6 enforce everything keel-gen can write.
    let (_, fs, net, scopes) = ABI_RIGHTS
        .iter()
        .rev()
        .find(|(known, ..)| *known <= abi)
        .copied()
        .unwrap_or(ABI_RIGHTS[5]);
    let missing = [
        (rules.handled_fs & !fs, "filesystem"),
        (rules.handled_net & !net, "network"),
        (rules.scoped & !scopes, "scope"),
    ];
    for (bits, kind) in missing.into_iter().filter(|(bits, _)| *bits != 0) {
        if rules.required {
            error!(
                "landlock: ABI {} cannot enforce {} rights {} (LANDLOCK_* bits); the ruleset is required: a newer kernel, or restrict only what this one enforces",
                abi,
                kind,
                Hex(bits)
            );
            return Err(());
        }
        say!(
            log::WARN,
            "landlock: ABI {} cannot enforce {} rights {} (LANDLOCK_* bits); they stay unrestricted",
            abi,
            kind,
            Hex(bits)
        );
    }
    Ok(Some(Plan {
        rules,
        handled_fs: rules.handled_fs & fs,
        handled_net: rules.handled_net & net,
        scoped: rules.scoped & scopes,
    }))
}

/// Creates the ruleset and adds its rules. Errors are printed.
pub fn build(plan: &Plan) -> Result<OwnedFd, ()> {
    let attr = landlock_ruleset_attr {
        handled_access_fs: plan.handled_fs,
        handled_access_net: plan.handled_net,
        scoped: plan.scoped,
    };
    let ruleset = sys::landlock_create_ruleset(&attr).map_err(|e| {
        error!("landlock: create the ruleset: {}", ErrnoText(e));
    })?;
    for rule in plan.rules.paths.iter() {
        let access = rule.access & plan.handled_fs;
        if access == 0 {
            continue; // every right it grants is one this kernel does not restrict
        }
        let path = Bytes(rule.path.to_bytes());
        let dir = rustix::fs::open(rule.path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| error!("landlock: open {}: {}", path, ErrnoText(e)))?;
        let attr = landlock_path_beneath_attr {
            allowed_access: access,
            parent_fd: dir.as_raw_fd(),
        };
        sys::landlock_add_rule(&ruleset, LandlockRule::PathBeneath(&attr)).map_err(|e| {
            let hint = match e {
                Errno::INVAL => {
                    ": a file only takes execute, write_file, read_file, truncate and ioctl_dev"
                }
                _ => "",
            };
            error!("landlock: rule for {}: {}{}", path, ErrnoText(e), hint);
        })?;
    }
    if plan.handled_net != 0 {
        for rule in plan.rules.ports.iter() {
            let attr = landlock_net_port_attr {
                allowed_access: rule.access & plan.handled_net,
                port: rule.port.into(),
            };
            sys::landlock_add_rule(&ruleset, LandlockRule::NetPort(&attr)).map_err(|e| {
                error!("landlock: rule for port {}: {}", rule.port, ErrnoText(e));
            })?;
        }
    }
    Ok(ruleset)
}

/// Enforces the ruleset on keel and everything it execs. Errors are printed.
pub fn restrict(ruleset: &OwnedFd) -> Result<(), ()> {
    sys::landlock_restrict_self(ruleset).map_err(|e| {
        let hint = match e {
            Errno::PERM => ": needs no_new_privileges, or CAP_SYS_ADMIN in keel's user namespace",
            _ => "",
        };
        error!("landlock: restrict: {}{}", ErrnoText(e), hint);
    })
}

/// A bit set printed in hexadecimal.
struct Hex(u64);

impl Show for Hex {
    fn show(&self, line: &mut Line) {
        line.push(b"0x");
        let digits = (64 - self.0.leading_zeros()).div_ceil(4).max(1);
        for shift in (0..digits).rev() {
            let nibble = (self.0 >> (shift * 4)) & 0xf;
            line.push(&[b"0123456789abcdef"[nibble as usize]]);
        }
    }
}
