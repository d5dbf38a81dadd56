//! The three Landlock calls: rustix has none of them.

use super::arch::{self, result};
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`: the kernel's Landlock
/// ABI version (`ENOSYS`: not built in; `EOPNOTSUPP`: disabled at boot).
pub fn landlock_abi() -> Result<u32, Errno> {
    let version = linux_raw_sys::landlock::LANDLOCK_CREATE_RULESET_VERSION as usize;
    // SAFETY: a NULL attribute with size 0 is how the version is asked for; nothing is written.
    result(unsafe { arch::syscall3(nr::__NR_landlock_create_ruleset, 0, 0, version) })
        .map(|abi| abi as u32)
}

/// `landlock_create_ruleset(&attr, sizeof attr, 0)`: a new ruleset. The kernel accepts the
/// full struct from an older ABI as long as the fields it does not know are zero.
pub fn landlock_create_ruleset(
    attr: &linux_raw_sys::landlock::landlock_ruleset_attr,
) -> Result<rustix::fd::OwnedFd, Errno> {
    let size = core::mem::size_of_val(attr);
    // SAFETY: `attr` is a valid `landlock_ruleset_attr` of `size` bytes, only read.
    let fd = result(unsafe {
        arch::syscall3(
            nr::__NR_landlock_create_ruleset,
            attr as *const _ as usize,
            size,
            0,
        )
    })?;
    // SAFETY: the syscall returned a new file descriptor that nothing else owns.
    Ok(unsafe { <rustix::fd::OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd as i32) })
}

/// A rule for [`landlock_add_rule`]: its `LANDLOCK_RULE_*` type and attribute.
pub enum LandlockRule<'a> {
    /// `LANDLOCK_RULE_PATH_BENEATH`: rights beneath an open directory or file.
    PathBeneath(&'a linux_raw_sys::landlock::landlock_path_beneath_attr),
    /// `LANDLOCK_RULE_NET_PORT`: rights on a TCP port.
    NetPort(&'a linux_raw_sys::landlock::landlock_net_port_attr),
}

/// `landlock_add_rule(ruleset, type, &attr, 0)`.
pub fn landlock_add_rule(
    ruleset: &rustix::fd::OwnedFd,
    rule: LandlockRule<'_>,
) -> Result<(), Errno> {
    use linux_raw_sys::landlock::landlock_rule_type as kind;
    let (kind, attr) = match rule {
        LandlockRule::PathBeneath(attr) => {
            (kind::LANDLOCK_RULE_PATH_BENEATH, attr as *const _ as usize)
        }
        LandlockRule::NetPort(attr) => (kind::LANDLOCK_RULE_NET_PORT, attr as *const _ as usize),
    };
    let fd = rustix::fd::AsRawFd::as_raw_fd(ruleset) as usize;
    // SAFETY: `attr` points to the attribute struct `kind` names, alive for the call, only read.
    result(unsafe { arch::syscall5(nr::__NR_landlock_add_rule, fd, kind as usize, attr, 0, 0) })
        .map(drop)
}

/// `landlock_restrict_self(ruleset, 0)`: enforces the ruleset on keel and what it execs.
pub fn landlock_restrict_self(ruleset: &rustix::fd::OwnedFd) -> Result<(), Errno> {
    let fd = rustix::fd::AsRawFd::as_raw_fd(ruleset) as usize;
    // SAFETY: integer arguments only.
    result(unsafe { arch::syscall3(nr::__NR_landlock_restrict_self, fd, 0, 0) }).map(drop)
}
