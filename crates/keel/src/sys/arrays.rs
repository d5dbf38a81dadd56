//! argv- and envp-shaped arrays without an allocator: the process's own, borrowed from the
//! initial stack, and the ones keel builds.

use core::ffi::CStr;

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

impl StrArray {
    pub const EMPTY: StrArray = StrArray { ptrs: &[] };
}

/// Wraps the initial stack's argv and envp (`start::entry` calls this once).
///
/// # Safety
/// As [`StrArray::from_raw`] for `argv`/`argc`; `envp` is NULL-terminated likewise.
pub unsafe fn initial_arrays(
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
