//! The decoder keel runs on untrusted bytes: no allocation, no panic, no read out of bounds,
//! and every loop advances through the input, so it ends whatever the bytes are.
//!
//! It is written for size, since it is linked into keel: checks return a bare
//! `&'static str` (two registers) while `at` follows the offset being checked, and [`decode`]
//! pairs the two into an [`Error`] in one place. Offsets are positions in the input, which the
//! header check bounds by [`MAX_LEN`], so adding to them cannot overflow.

use super::{
    Config, ENTRY_HEADER_LEN, Error, ExitCodes, HEADER_LEN, MAGIC, MAX_ARGS, MAX_ENV, MAX_LEN,
    MAX_SIGNAL, Mode, OPTIONAL, PATH_MAX, Process, SignalRewrites, Strings, Supervision, VERSION,
    crc32c, id,
};

/// What was expected where decoding stopped; the offset is in the `at` cursor.
type Check<T = ()> = Result<T, &'static str>;

/// Decodes and checks a whole config; see the module docs for the format and the rules.
///
/// Bytes after the config's length must be zero, so keel can pass its whole embedded section.
pub fn decode(bytes: &[u8]) -> Result<Config<'_>, Error> {
    let mut config = Config::default();
    let mut at = 0;
    match decode_into(bytes, &mut at, &mut config) {
        Ok(()) => Ok(config),
        Err(what) => Err(Error {
            offset: u32::try_from(at).unwrap_or(u32::MAX),
            what,
        }),
    }
}

// `decode_into`, `process` and `supervision` stay out of line: inlined, LLVM duplicates parts
// of them and keel grows by ~700 bytes (measured with rustc 1.95, opt-level "z").
#[inline(never)]
fn decode_into<'a>(bytes: &'a [u8], at: &mut usize, config: &mut Config<'a>) -> Check {
    let mut sections = Entries {
        rest: body(bytes, at)?,
        offset: HEADER_LEN,
        next_id: 0,
    };
    while let Some(section) = sections.next(at)? {
        match section.id {
            id::PROCESS => process(&section, at, &mut config.process)?,
            id::SUPERVISION => supervision(&section, at, &mut config.supervision)?,
            _ => skip_unknown(section.id, at)?,
        }
    }
    Ok(())
}

/// Checks the header and returns the body it describes.
fn body<'a>(bytes: &'a [u8], at: &mut usize) -> Check<&'a [u8]> {
    let (words, _) = bytes.as_chunks::<4>();
    let Some(&[magic, version, length, checksum]) = words.first_chunk::<4>() else {
        *at = bytes.len();
        return Err("truncated header");
    };
    if magic != MAGIC {
        return Err("not a keel config (no KEEL magic)");
    }
    *at = 4;
    if u32::from_le_bytes(version) != VERSION {
        return Err("unsupported format version");
    }
    *at = 8;
    let length = usize::try_from(u32::from_le_bytes(length)).unwrap_or(usize::MAX);
    if !(HEADER_LEN..=MAX_LEN).contains(&length) {
        return Err("length out of range");
    }
    let Some((config, padding)) = bytes.split_at_checked(length) else {
        *at = bytes.len();
        return Err("truncated");
    };
    if let Some(nonzero) = padding.iter().position(|&b| b != 0) {
        *at = length + nonzero;
        return Err("nonzero bytes after the end");
    }
    *at = 12;
    let body = config.get(HEADER_LEN..).unwrap_or_default();
    if crc32c(body) != u32::from_le_bytes(checksum) {
        return Err("checksum mismatch");
    }
    Ok(body)
}

/// A section or a field: see "Entries" in the module docs.
struct Entry<'a> {
    id: u8,
    /// Offset of the payload in the config.
    offset: usize,
    payload: &'a [u8],
}

/// The entries of a body or of a section payload, checking their framing and id order.
struct Entries<'a> {
    rest: &'a [u8],
    offset: usize,
    /// Smallest id the next entry may have (ids strictly increase).
    next_id: u16,
}

impl<'a> Entries<'a> {
    /// The next entry, with `at` on its payload.
    fn next(&mut self, at: &mut usize) -> Check<Option<Entry<'a>>> {
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
    fn fields(&self) -> Entries<'a> {
        Entries {
            rest: self.payload,
            offset: self.offset,
            next_id: 0,
        }
    }
}

/// Skips an unknown entry if it is optional; refuses it if it is required.
fn skip_unknown(id: u8, at: &mut usize) -> Check {
    if id & OPTIONAL != 0 {
        return Ok(());
    }
    *at -= ENTRY_HEADER_LEN;
    Err("unknown required id: needs a newer keel")
}

fn byte(payload: &[u8]) -> Check<u8> {
    match payload {
        [byte] => Ok(*byte),
        _ => Err("expected 1 byte"),
    }
}

fn bool(payload: &[u8]) -> Check<bool> {
    match byte(payload)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err("bool must be 0 or 1"),
    }
}

fn signal(payload: &[u8]) -> Check<u8> {
    match byte(payload)? {
        signal @ 1..=MAX_SIGNAL => Ok(signal),
        _ => Err("signal must be 1..=64"),
    }
}

/// The strings fields: how many strings each may hold and what each string must look like.
#[derive(Clone, Copy)]
enum StringsField {
    Args,
    EnvSet,
    EnvUnset,
    Cwd,
}

impl StringsField {
    fn limit(self) -> (usize, &'static str) {
        match self {
            StringsField::Args => (MAX_ARGS, "args: more than 256"),
            StringsField::EnvSet => (MAX_ENV, "env_set: more than 1024"),
            StringsField::EnvUnset => (MAX_ENV, "env_unset: more than 1024"),
            StringsField::Cwd => (1, "cwd: more than one path"),
        }
    }

    /// Checks the string numbered `index` in the field.
    fn check(self, index: usize, s: &[u8]) -> Check {
        // A plain loop: `contains` would link memchr's word-at-a-time code into keel.
        let key_len = s.iter().position(|&b| b == b'=');
        match self {
            StringsField::Args if index == 0 && s.is_empty() => Err("args: empty program"),
            StringsField::Args => Ok(()),
            StringsField::EnvSet if key_len.is_some_and(|len| len > 0) => Ok(()),
            StringsField::EnvSet => Err("env_set entry must be KEY=VALUE"),
            StringsField::EnvUnset if key_len.is_none() && !s.is_empty() => Ok(()),
            StringsField::EnvUnset => Err("env_unset entry must be a KEY"),
            StringsField::Cwd if s.first() != Some(&b'/') => Err("cwd must be absolute"),
            StringsField::Cwd if s.len() >= PATH_MAX => Err("cwd longer than PATH_MAX"),
            StringsField::Cwd => Ok(()),
        }
    }
}

/// Checks a strings field string by string, moving `at` along.
fn strings<'a>(payload: &'a [u8], at: &mut usize, field: StringsField) -> Check<Strings<'a>> {
    let (max, too_many) = field.limit();
    let mut len = 0;
    let mut rest = payload;
    while !rest.is_empty() {
        let nul = rest.iter().position(|&b| b == 0);
        let Some((text, tail)) = nul.and_then(|nul| rest.split_at_checked(nul)) else {
            *at += rest.len();
            return Err("string lacks its NUL");
        };
        if len == max {
            return Err(too_many);
        }
        field.check(len, text)?;
        *at += text.len() + 1;
        rest = tail.get(1..).unwrap_or_default();
        len += 1;
    }
    Ok(Strings {
        bytes: payload,
        len,
    })
}

fn rewrites<'a>(payload: &'a [u8], at: &mut usize) -> Check<SignalRewrites<'a>> {
    let (pairs, []) = payload.as_chunks::<2>() else {
        return Err("rewrite must be byte pairs");
    };
    let mut next_from = 1;
    for &[from, to] in pairs {
        if !(next_from..=MAX_SIGNAL).contains(&from) {
            return Err("rewrite FROM must be 1..=64, increasing");
        }
        if to > MAX_SIGNAL {
            *at += 1;
            return Err("rewrite TO must be 0..=64");
        }
        next_from = from + 1;
        *at += 2;
    }
    Ok(SignalRewrites(pairs))
}

#[inline(never)]
fn process<'a>(section: &Entry<'a>, at: &mut usize, process: &mut Process<'a>) -> Check {
    use id::process::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        match field.id {
            ARGS => process.args = strings(field.payload, at, StringsField::Args)?,
            ENV_CLEAR if field.payload.is_empty() => process.env_clear = true,
            ENV_CLEAR => return Err("env_clear must be empty"),
            ENV_SET => process.env_set = strings(field.payload, at, StringsField::EnvSet)?,
            ENV_UNSET => process.env_unset = strings(field.payload, at, StringsField::EnvUnset)?,
            CWD => process.cwd = strings(field.payload, at, StringsField::Cwd)?.iter().next(),
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

#[inline(never)]
fn supervision<'a>(
    section: &Entry<'a>,
    at: &mut usize,
    supervision: &mut Supervision<'a>,
) -> Check {
    use id::supervision::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        let payload = field.payload;
        match field.id {
            MODE => {
                supervision.mode =
                    Some(Mode::from_wire(byte(payload)?).ok_or("mode must be 0..=2")?)
            }
            SUBREAPER => supervision.subreaper = Some(bool(payload)?),
            KILL_PROCESS_GROUP => supervision.kill_process_group = Some(bool(payload)?),
            REMAP_EXIT => {
                let set = payload.try_into().map_err(|_| "expected 32 bytes")?;
                supervision.remap_exit = ExitCodes(set);
            }
            GRACE_MS => {
                let ms = payload.try_into().map_err(|_| "expected 4 bytes")?;
                supervision.grace_ms = Some(u32::from_le_bytes(ms));
            }
            REWRITE => supervision.rewrite = rewrites(payload, at)?,
            VERBOSITY => supervision.verbosity = Some(byte(payload)?),
            WARN_ON_REAP => supervision.warn_on_reap = Some(bool(payload)?),
            PARENT_DEATH_SIGNAL => supervision.parent_death_signal = Some(signal(payload)?),
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}
