//! The framing every decoder walks: entries (a section or a field) in increasing id order,
//! the scalar field types, the required-part check and lists of fixed-size records. Split
//! from `decode.rs`, which checks what is inside them.

use core::marker::PhantomData;

use crate::check::Check;
use crate::features::Features;
use crate::frame::{ENTRY_HEADER_LEN, OPTIONAL};
use crate::limits::MAX_SIGNAL;
use crate::list::List;

/// Ok when keel was `built` with `part`; else the error, at the start of the entry whose
/// payload `at` is on.
pub(crate) fn require(built: Features, part: Features, at: &mut usize) -> Check {
    built.require(part).inspect_err(|_| *at -= ENTRY_HEADER_LEN)
}

/// A section or a field: see "Entries" in the module docs.
pub(crate) struct Entry<'a> {
    pub(crate) id: u8,
    /// Offset of the payload in the config.
    pub(crate) offset: usize,
    pub(crate) payload: &'a [u8],
}

/// The entries of a body or of a section payload, checking their framing and id order.
pub(crate) struct Entries<'a> {
    pub(crate) rest: &'a [u8],
    pub(crate) offset: usize,
    /// Smallest id the next entry may have (ids strictly increase).
    pub(crate) next_id: u16,
}

impl<'a> Entries<'a> {
    /// The next entry, with `at` on its payload.
    pub(crate) fn next(&mut self, at: &mut usize) -> Check<Option<Entry<'a>>> {
        *at = self.offset;
        let [id, len_lo, len_hi, rest @ ..] = self.rest else {
            return match self.rest {
                [] => Ok(None),
                _ => Err("truncated entry"),
            };
        };
        if u16::from(*id) < self.next_id {
            return Err("id repeated or out of order");
        }
        let len = usize::from(u16::from_le_bytes([*len_lo, *len_hi]));
        let Some((payload, rest)) = rest.split_at_checked(len) else {
            *at += 1; // the length
            return Err("entry overruns its section");
        };
        *at += ENTRY_HEADER_LEN;
        let entry = Entry {
            id: *id,
            offset: *at,
            payload,
        };
        self.rest = rest;
        self.offset = *at + len;
        self.next_id = u16::from(*id) + 1;
        Ok(Some(entry))
    }
}

impl<'a> Entry<'a> {
    /// The entries inside this one.
    pub(crate) fn fields(&self) -> Entries<'a> {
        Entries {
            rest: self.payload,
            offset: self.offset,
            next_id: 0,
        }
    }
}

/// Skips an unknown entry if it is optional; refuses it if it is required.
pub(crate) fn skip_unknown(id: u8, at: &mut usize) -> Check {
    if id & OPTIONAL != 0 {
        return Ok(());
    }
    *at -= ENTRY_HEADER_LEN;
    Err("unknown required id: needs a newer keel")
}

pub(crate) fn byte(payload: &[u8]) -> Check<u8> {
    match payload {
        [byte] => Ok(*byte),
        _ => Err("expected 1 byte"),
    }
}

pub(crate) fn flag(payload: &[u8]) -> Check<bool> {
    match payload {
        [] => Ok(true),
        _ => Err("flag must be empty"),
    }
}

pub(crate) fn bool(payload: &[u8]) -> Check<bool> {
    match byte(payload)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err("bool must be 0 or 1"),
    }
}

pub(crate) fn word(payload: &[u8]) -> Check<u32> {
    let word = payload.try_into().map_err(|_| "expected 4 bytes")?;
    Ok(u32::from_le_bytes(word))
}

pub(crate) fn signal(payload: &[u8]) -> Check<u8> {
    match byte(payload)? {
        signal @ 1..=MAX_SIGNAL => Ok(signal),
        _ => Err("signal must be 1..=64"),
    }
}

/// A list of `N`-byte records (`framing` says so when the payload is not whole records),
/// each passed to `check` with its index, `at` on it.
pub(crate) fn fixed<'a, T, const N: usize>(
    payload: &'a [u8],
    at: &mut usize,
    framing: &'static str,
    mut check: impl FnMut(usize, &[u8; N]) -> Check,
) -> Check<List<'a, T>> {
    let (records, []) = payload.as_chunks::<N>() else {
        return Err(framing);
    };
    for (index, record) in records.iter().enumerate() {
        check(index, record)?;
        *at += N;
    }
    Ok(List {
        bytes: payload,
        len: records.len(),
        record: PhantomData,
    })
}
