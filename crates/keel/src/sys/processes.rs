//! Creating and replacing processes and setting what they inherit: clone, execve,
//! execveat, prctl and prlimit64. rustix's own fork and execve live in a hidden module whose
//! name rotates between releases, so keel does not use them.

use super::arch::{self, result};
use core::ffi::CStr;
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// `clone(flags | SIGCHLD, 0, …)`: fork(2) into new namespaces (`flags`: CLONE_NEW* bits;
/// 0 is a plain fork). rustix has no clone with namespace flags.
///
/// Returns `Some(pid)` in the parent and `None` in the child.
pub fn clone(flags: u32) -> Result<Option<rustix::process::Pid>, Errno> {
    let flags = flags as usize | nr::SIGCHLD as usize;
    // SAFETY: keel is single-threaded and holds no locks, so the child may run any code; with
    // no new stack the child continues on a copy of this one.
    let pid = result(unsafe { arch::syscall3(nr::__NR_clone, flags, 0, 0) })?;
    Ok(rustix::process::Pid::from_raw(pid as i32))
}

pub fn fork() -> Result<Option<rustix::process::Pid>, Errno> {
    clone(0)
}

/// `execve(path, argv, envp)`: returns only on failure.
pub fn execve(path: &CStr, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: `argv` and `envp` come from `args::PtrList`, whose arrays are NULL-terminated lists
    // of NUL-terminated strings that outlive the call.
    let ret = unsafe {
        arch::syscall3(
            nr::__NR_execve,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    };
    result(ret).err().unwrap_or(Errno::INVAL)
}

/// `execve(path, argv, {NULL})` with argv the NUL-terminated words of `words` (at most
/// 1024) and an empty environment: for a helper keel runs, such as newuidmap.
#[cfg(feature = "namespaces")]
pub fn execve_words(path: &CStr, words: &[u8]) -> Errno {
    let mut argv = [core::ptr::null::<u8>(); 1025];
    let mut start = 0;
    let ends = words.iter().enumerate().filter(|(_, c)| **c == 0);
    for (n, (at, _)) in ends.enumerate() {
        // The last slot stays NULL.
        let Some(slot) = argv.get_mut(n).filter(|_| n < 1024) else {
            return Errno::TOOBIG;
        };
        *slot = words[start..].as_ptr();
        start = at + 1;
    }
    let envp = [core::ptr::null::<u8>()];
    // `argv` points into `words`, which outlives the call; the slot after the last is NULL.
    execve(path, argv.as_ptr(), envp.as_ptr())
}

#[cfg(feature = "seal")]
/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`: runs the file `fd` refers to (keel's sealed
/// copy). Returns only on failure.
pub fn execveat(fd: &rustix::fd::OwnedFd, argv: *const *const u8, envp: *const *const u8) -> Errno {
    use rustix::fd::AsRawFd;
    // SAFETY: `argv`/`envp` are NULL-terminated arrays of NUL-terminated strings (StrArray),
    // the path is an empty C string.
    let ret = unsafe {
        arch::syscall5(
            nr::__NR_execveat,
            fd.as_raw_fd() as usize,
            c"".as_ptr() as usize,
            argv as usize,
            envp as usize,
            nr::AT_EMPTY_PATH as usize,
        )
    };
    result(ret).err().unwrap_or(Errno::INVAL)
}

#[cfg(feature = "security")]
/// `prctl(option, arg2, 0, 0, 0)` for the options rustix wraps only with typed capability
/// enums (PR_CAPBSET_DROP takes any capability number).
pub fn prctl(option: u32, arg2: usize) -> Result<(), Errno> {
    prctl4(option, arg2, 0)
}

#[cfg(feature = "security")]
/// `prctl(option, arg2, arg3, 0, 0)` (PR_CAP_AMBIENT with PR_CAP_AMBIENT_RAISE and a number).
pub fn prctl4(option: u32, arg2: usize, arg3: usize) -> Result<(), Errno> {
    // SAFETY: integer arguments only; the options keel passes take no pointers.
    result(unsafe { arch::syscall5(nr::__NR_prctl, option as usize, arg2, arg3, 0, 0) }).map(drop)
}

#[cfg(feature = "security")]
/// `prlimit64(0, resource, {soft, hard}, NULL)`: rustix's setrlimit takes a typed resource,
/// the config carries the number. `u64::MAX` is RLIM_INFINITY.
pub fn set_rlimit(resource: u8, soft: u64, hard: u64) -> Result<(), Errno> {
    let limit = [soft, hard];
    // SAFETY: `limit` is a live struct rlimit64 (two u64); the old-value pointer is NULL.
    result(unsafe {
        arch::syscall4(
            nr::__NR_prlimit64,
            0,
            resource as usize,
            limit.as_ptr() as usize,
            0,
        )
    })
    .map(drop)
}
