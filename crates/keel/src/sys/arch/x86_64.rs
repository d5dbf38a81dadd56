//! The only architecture-specific code: the entry point and the `syscall` instruction.
//! An aarch64 port adds a sibling file with the same items (`_start`, `syscall3/4/5`,
//! `exit_group`).

use core::arch::{asm, naked_asm};

/// The kernel jumps here with `rsp` pointing at `argc`, then `argv[..]`, NULL, `envp[..]`, NULL.
///
/// # Safety
/// Only the kernel calls this, exactly once, with the initial process stack.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // The outermost frame: a zero frame pointer ends backtraces here.
        "xor ebp, ebp",
        // First argument of `entry`: the address of argc.
        "mov rdi, rsp",
        // The ABI already guarantees 16-byte alignment at entry; make sure before a `call`.
        "and rsp, -16",
        "call {entry}",
        // exit_group(entry's status): it does not return.
        "mov edi, eax",
        "mov eax, {exit_group}",
        "syscall",
        "ud2",
        entry = sym crate::sys::start::entry,
        exit_group = const linux_raw_sys::general::__NR_exit_group,
    )
}

/// # Safety
/// The caller passes arguments the syscall `nr` accepts: pointers must be valid for it.
#[inline]
pub unsafe fn syscall3(nr: u32, a1: usize, a2: usize, a3: usize) -> isize {
    let ret;
    // SAFETY: the syscall instruction clobbers rcx and r11 only; the caller vouches for the rest.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a1, in("rsi") a2,
             in("rdx") a3, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

/// # Safety
/// As [`syscall3`].
#[inline]
pub unsafe fn syscall4(nr: u32, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    let ret;
    // SAFETY: the syscall instruction clobbers rcx and r11 only; the caller vouches for the rest.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a1, in("rsi") a2,
             in("rdx") a3, in("r10") a4, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

/// exit_group(2): never returns, so no outputs and no stack use.
pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group takes a plain integer and does not return.
    unsafe {
        asm!("syscall", in("rax") linux_raw_sys::general::__NR_exit_group as usize,
             in("rdi") code as isize, options(noreturn, nostack))
    }
}

#[cfg(any(
    feature = "seal",
    feature = "security",
    feature = "mounts",
    feature = "landlock"
))]
/// # Safety
/// The caller passes arguments the syscall `nr` accepts: pointers must be valid for it.
#[inline]
pub unsafe fn syscall5(nr: u32, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize) -> isize {
    let ret;
    // SAFETY: the syscall instruction clobbers rcx and r11 only; the caller vouches for the rest.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a1, in("rsi") a2,
             in("rdx") a3, in("r10") a4, in("r8") a5, lateout("rcx") _, lateout("r11") _,
             options(nostack))
    };
    ret
}
