//! The C memory functions the compiler emits calls to. With no libc, keel provides them
//! (compiler_builtins on *-linux-gnu is built without its `mem` feature).
//!
//! Each byte loop contains an empty `asm!` so LLVM cannot recognise the loop and replace it
//! with a call to the very function being defined.

use core::arch::asm;

/// # Safety
/// As C's memcpy: `n` bytes readable at `src`, writable at `dst`, not overlapping.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: forwarded contract; a forward copy is correct without overlap.
    unsafe { memmove(dst, src, n) }
}

/// # Safety
/// As C's memmove: `n` bytes readable at `src` and writable at `dst`; they may overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    if (dst as usize) <= (src as usize) {
        while i < n {
            // SAFETY: i < n, within both regions per the caller's contract.
            unsafe { *dst.add(i) = *src.add(i) };
            i += 1;
            // SAFETY: an empty asm statement; see the module docs.
            unsafe { asm!("", options(nomem, nostack, preserves_flags)) };
        }
    } else {
        while i < n {
            i += 1;
            // SAFETY: copying backwards from n-1 to 0 keeps overlapping sources intact.
            unsafe { *dst.add(n - i) = *src.add(n - i) };
            // SAFETY: an empty asm statement; see the module docs.
            unsafe { asm!("", options(nomem, nostack, preserves_flags)) };
        }
    }
    dst
}

/// # Safety
/// As C's memset: `n` bytes writable at `dst`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, within the region per the caller's contract.
        unsafe { *dst.add(i) = c as u8 };
        i += 1;
        // SAFETY: an empty asm statement; see the module docs.
        unsafe { asm!("", options(nomem, nostack, preserves_flags)) };
    }
    dst
}

/// # Safety
/// As C's memcmp: `n` bytes readable at `a` and `b`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, within both regions per the caller's contract.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
        // SAFETY: an empty asm statement; see the module docs.
        unsafe { asm!("", options(nomem, nostack, preserves_flags)) };
    }
    0
}

/// # Safety
/// As [`memcmp`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` points to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated, so every byte up to the NUL is readable.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
        // SAFETY: an empty asm statement; see the module docs.
        unsafe { asm!("", options(nomem, nostack, preserves_flags)) };
    }
    n
}

/// Unoptimised builds link precompiled `core`, whose unwind tables name this symbol even
/// though `panic = "abort"` means it is never called.
#[cfg(debug_assertions)]
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
