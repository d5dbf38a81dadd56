//! Statics handed out once: how keel keeps data for the whole process without an allocator.

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
