//! Repeated items: a [`List`] of [`Record`]s framed back to back, and the records every
//! list type builds on, strings, u32s and bytes.

use core::ffi::CStr;
use core::marker::PhantomData;

/// Records stored back to back, as in the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct List<'a, T> {
    // The decoder and the record types build lists whose framing they checked themselves,
    // and the encoder writes their bytes as they are.
    pub(crate) bytes: &'a [u8],
    pub(crate) len: usize,
    pub(crate) record: PhantomData<T>,
}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        List {
            bytes: &[],
            len: 0,
            record: PhantomData,
        }
    }
}

impl<'a, T: Record<'a>> List<'a, T> {
    /// The records in `bytes`, back to back as [`Record::write`] writes them; `None` if they
    /// are not whole records (one cut short, a delegate's or a mount's unknown flags). Empty
    /// `bytes` is the empty list. Only framing is checked here: [`decode`](crate::decode()) checks the contents.
    pub fn from_bytes_with_nul(bytes: &'a [u8]) -> Option<List<'a, T>> {
        let mut len = 0;
        let mut rest = bytes;
        while !rest.is_empty() {
            (_, rest) = T::split(rest)?;
            len += 1;
        }
        Some(List {
            bytes,
            len,
            record: PhantomData,
        })
    }

    /// The records in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + use<'a, T> {
        let mut rest = self.bytes;
        core::iter::from_fn(move || {
            let (record, tail) = T::split(rest)?;
            rest = tail;
            Some(record)
        })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An item of a [`List`], in the layout the module docs table for its field type.
pub trait Record<'a>: Copy {
    /// The record at the start of `bytes` and the bytes after it; `None` if `bytes` does not
    /// start with a whole record. A record takes at least one byte.
    fn split(bytes: &'a [u8]) -> Option<(Self, &'a [u8])>;

    /// Writes the record through `put`, in pieces: how encoders build a [`List`]'s bytes.
    fn write(&self, put: impl FnMut(&[u8]));
}

impl<'a> Record<'a> for &'a CStr {
    fn split(bytes: &'a [u8]) -> Option<(&'a CStr, &'a [u8])> {
        let string = CStr::from_bytes_until_nul(bytes).ok()?;
        Some((string, bytes.get(string.count_bytes() + 1..)?))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(self.to_bytes_with_nul());
    }
}

impl<'a> Record<'a> for u32 {
    fn split(bytes: &'a [u8]) -> Option<(u32, &'a [u8])> {
        let (word, rest) = bytes.split_first_chunk()?;
        Some((u32::from_le_bytes(*word), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&self.to_le_bytes());
    }
}

impl<'a> Record<'a> for u8 {
    fn split(bytes: &'a [u8]) -> Option<(u8, &'a [u8])> {
        bytes.split_first().map(|(byte, rest)| (*byte, rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&[*self]);
    }
}
