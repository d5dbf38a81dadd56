//! Every raw system call keel makes that rustix does not offer, and every other `unsafe` in keel.
//!
//! Like a tiny rustix backend: the instruction itself lives in `arch`; each wrapper is one
//! syscall, typed, named after it, with its C signature as the doc line, in the file of its
//! area. The rest of keel sees only the items re-exported here.

mod arch;
mod arrays;
mod clock;
mod descriptors;
#[cfg(feature = "landlock")]
mod landlock;
mod mem;
#[cfg(feature = "mounts")]
mod mounts;
#[cfg(any(feature = "namespaces", feature = "mounts"))]
mod namespaces;
mod processes;
#[cfg(feature = "seccomp")]
mod seccomp;
#[cfg(feature = "services")]
mod services;
mod signals;
mod start;
mod static_cell;

pub use arch::exit_group;
pub use arrays::{PtrList, StrArray};
pub use clock::monotonic_ms;
pub use descriptors::{close_from, dup_onto, stdio};
#[cfg(feature = "landlock")]
pub use landlock::{
    LandlockRule, landlock_abi, landlock_add_rule, landlock_create_ruleset, landlock_restrict_self,
};
#[cfg(feature = "mounts")]
pub use mounts::{has_mount_setattr, mount_setattr};
#[cfg(feature = "namespaces")]
pub use namespaces::loopback_up;
#[cfg(any(feature = "namespaces", feature = "mounts"))]
pub use namespaces::unshare;
#[cfg(feature = "namespaces")]
pub use processes::clone;
#[cfg(feature = "seal")]
pub use processes::execveat;
pub use processes::{execve, fork};
#[cfg(feature = "security")]
pub use processes::{prctl, prctl4, set_rlimit};
#[cfg(feature = "seccomp")]
pub use seccomp::seccomp_set_mode_filter;
#[cfg(feature = "services")]
pub use services::{AUTOBIND_NAME_MAX, notify_socket, signal_when_readable};
pub use signals::{
    ALL_SIGNALS, SigInfo, SigSet, kill, set_signal_ignored, set_signal_mask, signal, sigtimedwait,
};
pub use start::embedded_config;
pub use static_cell::StaticCell;
