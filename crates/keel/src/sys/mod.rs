//! Every raw system call keel makes that rustix does not offer, and every other `unsafe` in keel.
//!
//! Like a tiny rustix backend: the instruction itself lives in the per-architecture file; each
//! wrapper here is one syscall, typed, named after it, with its C signature as the doc line.
//! rustix's own fork/execve/sigprocmask live in a hidden module whose name rotates between
//! releases, so keel does not use them.

mod mem;
#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
use x86_64 as arch;

pub use arch::exit_group;
use core::ffi::CStr;
use linux_raw_sys::general as nr;
use rustix::io::Errno;

/// A set of signals 1..=64 as the kernel's 64-bit `sigset_t`: bit `n - 1` is signal `n`.
pub type SigSet = u64;
/// Every signal (the kernel ignores SIGKILL and SIGSTOP in masks).
pub const ALL_SIGNALS: SigSet = !0;

fn result(ret: isize) -> Result<usize, Errno> {
    // The kernel returns -4095..=-1 for errors, anything else is a value.
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw_os_error(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}

/// Called by `_start` with the address of the initial stack: argc, argv[], NULL, envp[], NULL.
///
/// # Safety
/// `sp` is the process's initial stack pointer, as the kernel laid it out.
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: the kernel's layout: argc, then argc pointers and a NULL, then envp up to a NULL.
    let (argc, argv, envp) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const u8;
        (argc, argv, argv.add(argc + 1))
    };
    // SAFETY: the arrays are NULL-terminated and their strings live as long as the process.
    let (args, env) = unsafe { initial_arrays(argv, argc, envp) };
    exit_group(crate::main(args, env))
}

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

/// `unshare(flags)` with CLONE_NEW* bits. rustix's `unshare_unsafe` is unsafe for CLONE_FILES,
/// which keel never passes; this takes only namespace bits.
pub fn unshare(flags: u32) -> Result<(), Errno> {
    const NAMESPACES: u32 = nr::CLONE_NEWNS
        | nr::CLONE_NEWUTS
        | nr::CLONE_NEWIPC
        | nr::CLONE_NEWNET
        | nr::CLONE_NEWPID
        | nr::CLONE_NEWCGROUP
        | nr::CLONE_NEWUSER
        | nr::CLONE_NEWTIME;
    // SAFETY: namespace flags only (masked above), which affect no memory of this process.
    result(unsafe { arch::syscall3(nr::__NR_unshare, (flags & NAMESPACES) as usize, 0, 0) })
        .map(drop)
}

/// Brings the loopback interface of a new network namespace up: SIOCGIFFLAGS, set IFF_UP,
/// SIOCSIFFLAGS on a throwaway datagram socket. Two ioctls instead of a netlink library.
pub fn loopback_up() -> Result<(), Errno> {
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: i16,
        _pad: [u8; 22],
    }
    let mut req = IfReq {
        name: *b"lo\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        flags: 0,
        _pad: [0; 22],
    };
    // SAFETY: plain integers.
    let fd = result(unsafe {
        arch::syscall3(
            nr::__NR_socket,
            linux_raw_sys::net::AF_INET as usize,
            (linux_raw_sys::net::SOCK_DGRAM | nr::O_CLOEXEC) as usize,
            0,
        )
    })?;
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    let sock = unsafe { <rustix::fd::OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd as i32) };
    use rustix::fd::AsRawFd;
    let ioctl = |request: u32, req: &mut IfReq| {
        // SAFETY: `req` is a writable struct ifreq of the kernel's size (40 bytes).
        result(unsafe {
            arch::syscall3(
                nr::__NR_ioctl,
                sock.as_raw_fd() as usize,
                request as usize,
                req as *mut IfReq as usize,
            )
        })
    };
    ioctl(linux_raw_sys::ioctl::SIOCGIFFLAGS, &mut req)?;
    req.flags |= linux_raw_sys::net::net_device_flags::IFF_UP as i16;
    ioctl(linux_raw_sys::ioctl::SIOCSIFFLAGS, &mut req).map(drop)
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

/// `rt_sigprocmask(SIG_SETMASK, &set, &old, 8)`: returns the previous mask.
pub fn set_signal_mask(set: SigSet) -> SigSet {
    let mut old: SigSet = 0;
    // SAFETY: both pointers are to live u64s, the size the kernel expects on 64-bit.
    unsafe {
        arch::syscall4(
            nr::__NR_rt_sigprocmask,
            nr::SIG_SETMASK as usize,
            &set as *const SigSet as usize,
            &mut old as *mut SigSet as usize,
            8,
        )
    };
    old
}

/// The part of `siginfo_t` keel reads (128 bytes, x86_64 and aarch64 layout).
#[repr(C)]
pub struct SigInfo {
    pub signo: i32,
    _errno: i32,
    /// `SI_USER` (0) and below: sent by a process; above: generated by the kernel.
    pub code: i32,
    _pad: i32,
    /// For `SI_USER`/`SI_QUEUE`/`SI_TKILL`: the sender's pid (0 when outside our pid namespace).
    pub pid: i32,
    _rest: [u32; 27],
}

/// `rt_sigtimedwait(&set, &info, timeout, 8)`: waits for a signal in `set`, which must be
/// blocked. `timeout_ms: None` waits for ever; a timeout expiring gives `Err(EAGAIN)`.
pub fn sigtimedwait(set: SigSet, timeout_ms: Option<u64>) -> Result<SigInfo, Errno> {
    let mut info = SigInfo {
        signo: 0,
        _errno: 0,
        code: 0,
        _pad: 0,
        pid: 0,
        _rest: [0; 27],
    };
    let ts = timeout_ms.map(|ms| nr::__kernel_timespec {
        tv_sec: (ms / 1000) as i64,
        tv_nsec: ((ms % 1000) * 1_000_000) as i64,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(0, |t| t as *const nr::__kernel_timespec as usize);
    // SAFETY: `info` is a writable 128-byte siginfo, `ts_ptr` is NULL or a live timespec.
    result(unsafe {
        arch::syscall4(
            nr::__NR_rt_sigtimedwait,
            &set as *const SigSet as usize,
            &mut info as *mut SigInfo as usize,
            ts_ptr,
            8,
        )
    })?;
    Ok(info)
}

/// The kernel's `struct sigaction` for `rt_sigaction`.
#[repr(C)]
struct SigAction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: SigSet,
}

/// `rt_sigaction(sig, &{SIG_DFL or SIG_IGN}, &old, 8)`: returns whether `sig` was ignored.
///
/// keel installs no handlers, so only these two dispositions ever exist in it.
pub fn set_signal_ignored(sig: i32, ignored: bool) -> bool {
    let new = SigAction {
        handler: ignored as usize,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    let mut old = SigAction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: both structs have the kernel's layout; SIG_DFL (0) and SIG_IGN (1) need no restorer.
    unsafe {
        arch::syscall4(
            nr::__NR_rt_sigaction,
            sig as usize,
            &new as *const SigAction as usize,
            &mut old as *mut SigAction as usize,
            8,
        )
    };
    old.handler == 1
}

/// `kill(pid, sig)`: `pid` > 0 one process, < -1 a process group, -1 every process we may signal.
pub fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: plain integers.
    result(unsafe { arch::syscall3(nr::__NR_kill, pid as usize, sig as usize, 0) }).map(drop)
}

/// `close_range(first, ~0U, 0)`: closes every descriptor from `first` up.
pub fn close_from(first: u32) -> Result<(), Errno> {
    // SAFETY: plain integers; keel holds no descriptors it still needs at or above `first`.
    result(unsafe { arch::syscall3(nr::__NR_close_range, first as usize, u32::MAX as usize, 0) })
        .map(drop)
}

/// A NULL-terminated array of pointers to NUL-terminated strings that live as long as the
/// process: the shape of `argv` and `envp`. Borrowed from the initial stack, so a tail of it is
/// still NULL-terminated and can be handed to execve as it is.
#[derive(Clone, Copy)]
pub struct StrArray {
    /// The pointers, without the terminating NULL.
    ptrs: &'static [*const u8],
}

impl StrArray {
    /// # Safety
    /// `array` points to `len` pointers to NUL-terminated strings followed by a NULL pointer,
    /// all valid and unchanged for the rest of the process.
    unsafe fn from_raw(array: *const *const u8, len: usize) -> StrArray {
        // SAFETY: the caller's contract.
        StrArray {
            ptrs: unsafe { core::slice::from_raw_parts(array, len) },
        }
    }

    /// # Safety
    /// As [`StrArray::from_raw`], with the length found by looking for the NULL.
    unsafe fn from_null_terminated(array: *const *const u8) -> StrArray {
        let mut len = 0;
        // SAFETY: the array is NULL-terminated.
        while !unsafe { *array.add(len) }.is_null() {
            len += 1;
        }
        // SAFETY: the caller's contract.
        unsafe { StrArray::from_raw(array, len) }
    }

    pub fn len(&self) -> usize {
        self.ptrs.len()
    }

    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        // SAFETY: every pointer in the array is a live NUL-terminated string (constructor contract).
        self.ptrs
            .get(i)
            .map(|&p| unsafe { CStr::from_ptr(p.cast()) })
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static CStr> {
        let all = *self;
        (0..all.len()).filter_map(move |i| all.get(i))
    }

    /// The entries from `start` on (empty when `start` is past the end).
    pub fn tail(&self, start: usize) -> StrArray {
        StrArray {
            ptrs: self.ptrs.get(start..).unwrap_or(&[]),
        }
    }

    /// For execve: still NULL-terminated, because it ends where the original array ended.
    pub fn as_ptr(&self) -> *const *const u8 {
        self.ptrs.as_ptr()
    }
}

/// Wraps the initial stack's argv and envp (`entry` calls this once).
///
/// # Safety
/// As [`StrArray::from_raw`] for `argv`/`argc`; `envp` is NULL-terminated likewise.
unsafe fn initial_arrays(
    argv: *const *const u8,
    argc: usize,
    envp: *const *const u8,
) -> (StrArray, StrArray) {
    // SAFETY: the caller's contract.
    unsafe {
        (
            StrArray::from_raw(argv, argc),
            StrArray::from_null_terminated(envp),
        )
    }
}

/// A NULL-terminated pointer array built by keel (a rewritten environment), with room for
/// `N` entries.
pub struct PtrList<const N: usize> {
    ptrs: [*const u8; N],
    len: usize,
}

impl<const N: usize> PtrList<N> {
    pub const fn new() -> Self {
        PtrList {
            ptrs: [core::ptr::null(); N],
            len: 0,
        }
    }

    /// Appends `s`; fails when only the terminating NULL's slot is left.
    pub fn push(&mut self, s: &'static CStr) -> Result<(), ()> {
        if self.len + 1 >= N {
            return Err(());
        }
        self.ptrs[self.len] = s.as_ptr().cast();
        self.len += 1;
        Ok(())
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        // SAFETY: push only stores pointers of `&'static CStr`s.
        self.ptrs[..self.len]
            .iter()
            .map(|&p| unsafe { CStr::from_ptr(p.cast()) })
    }

    /// For execve: the slot after the last entry is always NULL.
    pub fn as_ptr(&self) -> *const *const u8 {
        self.ptrs.as_ptr()
    }

    /// The list as an argv-shaped array, for a list that lives as long as the process.
    pub fn as_array(&'static self) -> StrArray {
        // The slot after the last entry is NULL, as StrArray requires.
        StrArray {
            ptrs: &self.ptrs[..self.len],
        }
    }
}

/// A static value handed out once, for data that must live as long as the process (a config
/// file, a rewritten environment entry, a config's argv) without an allocator.
pub struct StaticCell<T> {
    taken: core::sync::atomic::AtomicBool,
    value: core::cell::UnsafeCell<T>,
}

// SAFETY: `take` hands out the value at most once, so no two references to it can exist.
unsafe impl<T> Sync for StaticCell<T> {}

impl<T> StaticCell<T> {
    pub const fn new(value: T) -> Self {
        StaticCell {
            taken: core::sync::atomic::AtomicBool::new(false),
            value: core::cell::UnsafeCell::new(value),
        }
    }

    /// The value, the first time only.
    #[allow(
        clippy::mut_from_ref,
        reason = "the flag makes this the only reference ever handed out"
    )]
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, core::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        // SAFETY: the flag guarantees this is the only reference ever made.
        Some(unsafe { &mut *self.value.get() })
    }
}

impl StrArray {
    pub const EMPTY: StrArray = StrArray { ptrs: &[] };
}

/// A rustix `Signal` for any number 1..=64.
pub fn signal(n: i32) -> rustix::process::Signal {
    // SAFETY: rustix marks this unsafe because a C library may reserve some real-time signals
    // for itself; keel links no C library, so every signal is the program's to use.
    unsafe { rustix::process::Signal::from_raw_unchecked(n) }
}

/// `clock_gettime(CLOCK_MONOTONIC)` in milliseconds, as a direct syscall: rustix would look for
/// the vDSO through the auxiliary vector, which costs syscalls and may need /proc.
pub fn monotonic_ms() -> u64 {
    let mut ts = nr::__kernel_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec.
    unsafe {
        arch::syscall3(
            nr::__NR_clock_gettime,
            nr::CLOCK_MONOTONIC as usize,
            &mut ts as *mut nr::__kernel_timespec as usize,
            0,
        )
    };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// `dup3(fd, target, 0)`: makes descriptor number `target` a copy of `fd`. rustix's dup2 wants
/// an `OwnedFd` for the target, which a closed standard descriptor is not.
pub fn dup_onto(fd: &rustix::fd::OwnedFd, target: i32) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    // SAFETY: plain integers; replacing `target` is the point.
    result(unsafe { arch::syscall3(nr::__NR_dup3, fd.as_raw_fd() as usize, target as usize, 0) })
        .map(drop)
}

/// Descriptor 0, 1 or 2 as a `BorrowedFd`.
pub fn stdio(fd: i32) -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: rustix makes this unsafe because a closed standard descriptor could be reused by
    // a later open; keel never closes 0-2 and opens only onto them when they are closed
    // (`dup_onto`), so the number means the standard stream for the whole process.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) }
}

// The reserved space for a config embedded by `keel-gen embed`: zeros until then. "aR" makes
// it allocated and retained (SHF_GNU_RETAIN), so --gc-sections keeps it; linker/keel.ld places
// it and defines the two symbols around it.
core::arch::global_asm!(
    ".pushsection .keelcfg,\"aR\",@progbits",
    ".balign 16",
    ".zero 4096",
    ".popsection",
);

unsafe extern "C" {
    static __keelcfg_start: u8;
    static __keelcfg_end: u8;
}

/// keel's own `.keelcfg` section.
pub fn embedded_config() -> Option<&'static [u8]> {
    // SAFETY: the linker script defines both symbols around the section, start <= end, and
    // nothing writes to it at run time (keel-gen patches the file, not the process).
    unsafe {
        let start = core::ptr::addr_of!(__keelcfg_start);
        let len = (core::ptr::addr_of!(__keelcfg_end) as usize).checked_sub(start as usize)?;
        Some(core::slice::from_raw_parts(start, len))
    }
}

/// `mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], {attr_set, attr_clr}, 32)` on a
/// detached mount, before it is attached. rustix does not have it yet (rustix#975).
/// Setting an access-time mode clears the others, as the kernel requires.
pub fn mount_setattr(
    mnt: &rustix::fd::OwnedFd,
    attr_set: u64,
    recursive: bool,
) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    let atime = u64::from(nr::MOUNT_ATTR__ATIME);
    let attr = nr::mount_attr {
        attr_set,
        attr_clr: if attr_set & atime != 0 { atime } else { 0 },
        propagation: 0,
        userns_fd: 0,
    };
    let mut flags = nr::AT_EMPTY_PATH;
    if recursive {
        flags |= nr::AT_RECURSIVE;
    }
    // SAFETY: `attr` is a live mount_attr of the size passed; the path is an empty C string.
    let ret = unsafe {
        arch::syscall5(
            nr::__NR_mount_setattr,
            mnt.as_raw_fd() as usize,
            c"".as_ptr() as usize,
            flags as usize,
            &attr as *const nr::mount_attr as usize,
            core::mem::size_of::<nr::mount_attr>(),
        )
    };
    result(ret).map(drop)
}

/// Whether the kernel has `mount_setattr` (Linux 5.12, the newest call of the new mount
/// API): a call with size 0 fails EINVAL where it exists, ENOSYS where it does not (or where
/// a seccomp policy hides it), and changes nothing either way.
pub fn has_mount_setattr() -> bool {
    // SAFETY: a NULL path and attribute with size 0: the kernel reads nothing.
    let ret = unsafe { arch::syscall5(nr::__NR_mount_setattr, usize::MAX, 0, 0, 0, 0) };
    result(ret) != Err(Errno::NOSYS)
}

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

/// `prctl(option, arg2, 0, 0, 0)` for the options rustix wraps only with typed capability
/// enums (PR_CAPBSET_DROP takes any capability number).
pub fn prctl(option: u32, arg2: usize) -> Result<(), Errno> {
    prctl4(option, arg2, 0)
}

/// `prctl(option, arg2, arg3, 0, 0)` (PR_CAP_AMBIENT with PR_CAP_AMBIENT_RAISE and a number).
pub fn prctl4(option: u32, arg2: usize, arg3: usize) -> Result<(), Errno> {
    // SAFETY: integer arguments only; the options keel passes take no pointers.
    result(unsafe { arch::syscall5(nr::__NR_prctl, option as usize, arg2, arg3, 0, 0) }).map(drop)
}

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

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &{len, filter})`: installs a classic BPF program
/// (`sock_filter` records back to back, as the config carries them). rustix has no seccomp.
pub fn seccomp_set_mode_filter(flags: u32, program: &[u8]) -> Result<(), Errno> {
    /// `struct sock_fprog`: the kernel copies the instructions, so their alignment in the
    /// config buffer does not matter.
    #[repr(C)]
    struct SockFprog {
        len: u16,
        filter: *const u8,
    }
    /// linux/seccomp.h (linux-raw-sys has it only in its `ptrace` module).
    const SECCOMP_SET_MODE_FILTER: usize = 1;
    let Ok(len) = u16::try_from(program.len() / 8) else {
        return Err(Errno::INVAL);
    };
    let prog = SockFprog {
        len,
        filter: program.as_ptr(),
    };
    // SAFETY: `prog` points to `len` whole 8-byte instructions inside `program`, which outlives
    // the call; the kernel only reads them.
    result(unsafe {
        arch::syscall3(
            nr::__NR_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags as usize,
            &prog as *const SockFprog as usize,
        )
    })
    .map(drop)
}

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
