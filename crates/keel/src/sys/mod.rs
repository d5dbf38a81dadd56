//! Every raw system call keel makes that rustix does not offer, and every other `unsafe` in keel.
//!
//! Like a tiny rustix backend: the instruction itself lives in `arch`; each wrapper is one
//! syscall, typed, named after it, with its C signature as the doc line, in the file of its
//! area. The rest of keel sees only the items re-exported here.

mod arch;
mod arrays;
mod clock;
mod descriptors;
mod landlock;
mod mem;
mod mounts;
mod namespaces;
mod processes;
mod seccomp;
mod signals;
mod start;
mod static_cell;

pub use arch::exit_group;
pub use arrays::{PtrList, StrArray};
pub use clock::monotonic_ms;
pub use descriptors::{close_from, dup_onto, stdio};
pub use landlock::{
    LandlockRule, landlock_abi, landlock_add_rule, landlock_create_ruleset, landlock_restrict_self,
};
pub use mounts::{has_mount_setattr, mount_setattr};
pub use namespaces::{loopback_up, unshare};
pub use processes::{clone, execve, execveat, fork, prctl, prctl4, set_rlimit};
pub use seccomp::seccomp_set_mode_filter;
pub use signals::{
    ALL_SIGNALS, SigInfo, SigSet, kill, set_signal_ignored, set_signal_mask, signal, sigtimedwait,
};
pub use start::embedded_config;
pub use static_cell::StaticCell;
