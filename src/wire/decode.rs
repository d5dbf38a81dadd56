//! The decoder keel runs on untrusted bytes: no allocation, no panic, no read out of bounds,
//! and every loop advances through the input, so it ends whatever the bytes are.
//!
//! Offsets are `usize` positions in the input; the header check bounds every one after it by
//! [`MAX_LEN`], so the additions below cannot overflow.

use super::{
    Config, ENTRY_HEADER_LEN, Error, ExitCodes, HEADER_LEN, MAGIC, MAX_ARGS, MAX_ENV, MAX_LEN,
    MAX_SIGNAL, Mode, OPTIONAL, PATH_MAX, Process, SignalRewrites, Strings, Supervision, VERSION,
    crc32c, id,
};

/// Decodes and checks a whole config; see the module docs for the format and the rules.
///
/// Bytes after the config's length must be zero, so keel can pass its whole embedded section.
pub fn decode(bytes: &[u8]) -> Result<Config<'_>, Error> {
    let mut config = Config::default();
    let mut sections = Entries {
        rest: body(bytes)?,
        offset: HEADER_LEN,
        next_id: 0,
    };
    while let Some(section) = sections.next()? {
        match section.id {
            id::PROCESS => config.process = process(&section)?,
            id::SUPERVISION => config.supervision = supervision(&section)?,
            _ => section.skip_unknown()?,
        }
    }
    Ok(config)
}

fn error(offset: usize, what: &'static str) -> Error {
    Error {
        offset: u32::try_from(offset).unwrap_or(u32::MAX),
        what,
    }
}

/// Checks the header and returns the body it describes.
fn body(bytes: &[u8]) -> Result<&[u8], Error> {
    let (words, _) = bytes.as_chunks::<4>();
    let Some(&[magic, version, length, checksum]) = words.first_chunk::<4>() else {
        return Err(error(
            bytes.len(),
            "config cut short inside its 16-byte header",
        ));
    };
    if magic != MAGIC {
        return Err(error(0, "not a keel config: it does not start with KEEL"));
    }
    if u32::from_le_bytes(version) != VERSION {
        return Err(error(
            4,
            "unsupported format version: this keel reads version 1",
        ));
    }
    let length = usize::try_from(u32::from_le_bytes(length)).unwrap_or(usize::MAX);
    if !(HEADER_LEN..=MAX_LEN).contains(&length) {
        return Err(error(8, "config length out of range 16..=65536"));
    }
    let (config, padding) = bytes.split_at_checked(length).ok_or(error(
        bytes.len(),
        "config cut short: shorter than the length in its header",
    ))?;
    if let Some(nonzero) = padding.iter().position(|&b| b != 0) {
        return Err(error(
            length + nonzero,
            "unexpected bytes after the end of the config",
        ));
    }
    let body = config.get(HEADER_LEN..).unwrap_or_default();
    if crc32c(body) != u32::from_le_bytes(checksum) {
        return Err(error(12, "checksum mismatch: the config is corrupted"));
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
    fn next(&mut self) -> Result<Option<Entry<'a>>, Error> {
        let [id, len_lo, len_hi, rest @ ..] = self.rest else {
            return match self.rest {
                [] => Ok(None),
                _ => Err(error(
                    self.offset,
                    "entry cut short inside its 3-byte id and length",
                )),
            };
        };
        if u16::from(*id) < self.next_id {
            return Err(error(
                self.offset,
                "ids must increase: section or field repeated or out of order",
            ));
        }
        let len = usize::from(u16::from_le_bytes([*len_lo, *len_hi]));
        let (payload, rest) = rest.split_at_checked(len).ok_or(error(
            self.offset + 1,
            "entry length runs past the end of its section",
        ))?;
        let entry = Entry {
            id: *id,
            offset: self.offset + ENTRY_HEADER_LEN,
            payload,
        };
        self.rest = rest;
        self.offset += ENTRY_HEADER_LEN + len;
        self.next_id = u16::from(*id) + 1;
        Ok(Some(entry))
    }
}

/// What a strings field holds and how many it may hold.
struct List {
    max: usize,
    too_many: &'static str,
    rule: Rule,
}

/// What each string of a list must look like.
enum Rule {
    Any,
    EnvEntry,
    EnvKey,
    AbsolutePath,
}

impl Rule {
    /// Why `s` breaks the rule, if it does.
    fn check(&self, s: &[u8]) -> Option<&'static str> {
        match self {
            Rule::Any => None,
            Rule::EnvEntry => match s.iter().position(|&b| b == b'=') {
                Some(1..) => None,
                _ => Some("env entry must be KEY=VALUE with a non-empty KEY"),
            },
            Rule::EnvKey => (s.is_empty() || s.contains(&b'='))
                .then_some("env_unset entry must be a non-empty KEY without '='"),
            Rule::AbsolutePath if s.first() != Some(&b'/') => Some("cwd must be absolute"),
            Rule::AbsolutePath => {
                (s.len() >= PATH_MAX).then_some("cwd must be shorter than PATH_MAX (4096)")
            }
        }
    }
}

const ARGS_LIST: List = List {
    max: MAX_ARGS,
    too_many: "args: more than 256 strings",
    rule: Rule::Any,
};
const ENV_SET_LIST: List = List {
    max: MAX_ENV,
    too_many: "env_set: more than 1024 entries",
    rule: Rule::EnvEntry,
};
const ENV_UNSET_LIST: List = List {
    max: MAX_ENV,
    too_many: "env_unset: more than 1024 keys",
    rule: Rule::EnvKey,
};
const CWD_LIST: List = List {
    max: 1,
    too_many: "cwd: more than one path",
    rule: Rule::AbsolutePath,
};

impl<'a> Entry<'a> {
    fn error(&self, what: &'static str) -> Error {
        error(self.offset, what)
    }

    /// The entries inside this one.
    fn fields(&self) -> Entries<'a> {
        Entries {
            rest: self.payload,
            offset: self.offset,
            next_id: 0,
        }
    }

    /// Skips an unknown entry if it is optional; refuses it if it is required.
    fn skip_unknown(&self) -> Result<(), Error> {
        match self.id & OPTIONAL {
            0 => Err(error(
                self.offset - ENTRY_HEADER_LEN,
                "unknown required section or field: this config needs a newer keel",
            )),
            _ => Ok(()),
        }
    }

    fn byte(&self) -> Result<u8, Error> {
        match self.payload {
            [byte] => Ok(*byte),
            _ => Err(self.error("expected a 1-byte value")),
        }
    }

    fn bool(&self) -> Result<bool, Error> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.error("boolean must be 0 or 1")),
        }
    }

    fn signal(&self) -> Result<u8, Error> {
        match self.byte()? {
            signal @ 1..=MAX_SIGNAL => Ok(signal),
            _ => Err(self.error("signal must be 1..=64")),
        }
    }

    fn flag(&self) -> Result<bool, Error> {
        match self.payload {
            [] => Ok(true),
            _ => Err(self.error("flag must have an empty payload")),
        }
    }

    fn strings(&self, list: &List) -> Result<Strings<'a>, Error> {
        let end = self.offset + self.payload.len();
        let strings = Strings::from_bytes_with_nul(self.payload)
            .ok_or(error(end, "string not terminated by NUL"))?;
        if strings.len() > list.max {
            return Err(self.error(list.too_many));
        }
        let mut offset = self.offset;
        for string in strings.iter() {
            if let Some(what) = list.rule.check(string.to_bytes()) {
                return Err(error(offset, what));
            }
            offset += string.count_bytes() + 1;
        }
        Ok(strings)
    }

    fn rewrites(&self) -> Result<SignalRewrites<'a>, Error> {
        let (pairs, odd) = self.payload.as_chunks::<2>();
        if !odd.is_empty() {
            return Err(self.error("rewrite must be FROM,TO byte pairs"));
        }
        let mut offset = self.offset;
        let mut next_from = 1;
        for &[from, to] in pairs {
            if !(next_from..=MAX_SIGNAL).contains(&from) {
                return Err(error(
                    offset,
                    "rewrite FROM signals must be 1..=64, increasing, each once",
                ));
            }
            if to > MAX_SIGNAL {
                return Err(error(
                    offset + 1,
                    "rewrite TO signal must be 0..=64 (0 drops the signal)",
                ));
            }
            next_from = from + 1;
            offset += 2;
        }
        Ok(SignalRewrites(pairs))
    }
}

fn process<'a>(section: &Entry<'a>) -> Result<Process<'a>, Error> {
    use id::process::*;
    let mut process = Process::default();
    let mut fields = section.fields();
    while let Some(field) = fields.next()? {
        match field.id {
            ARGS => {
                process.args = field.strings(&ARGS_LIST)?;
                if process
                    .args
                    .iter()
                    .next()
                    .is_some_and(|program| program.is_empty())
                {
                    return Err(field.error("args: the program (first string) must not be empty"));
                }
            }
            ENV_CLEAR => process.env_clear = field.flag()?,
            ENV_SET => process.env_set = field.strings(&ENV_SET_LIST)?,
            ENV_UNSET => process.env_unset = field.strings(&ENV_UNSET_LIST)?,
            CWD => process.cwd = field.strings(&CWD_LIST)?.iter().next(),
            _ => field.skip_unknown()?,
        }
    }
    Ok(process)
}

fn supervision<'a>(section: &Entry<'a>) -> Result<Supervision<'a>, Error> {
    use id::supervision::*;
    let mut supervision = Supervision::default();
    let mut fields = section.fields();
    while let Some(field) = fields.next()? {
        match field.id {
            MODE => {
                let mode = Mode::from_wire(field.byte()?);
                supervision.mode = Some(
                    mode.ok_or(field.error("mode must be 0 (supervise), 1 (exec) or 2 (machine)"))?,
                );
            }
            SUBREAPER => supervision.subreaper = Some(field.bool()?),
            KILL_PROCESS_GROUP => supervision.kill_process_group = Some(field.bool()?),
            REMAP_EXIT => {
                let set = field.payload.try_into();
                supervision.remap_exit =
                    ExitCodes(set.map_err(|_| field.error("remap_exit must be a 32-byte set"))?);
            }
            GRACE_MS => {
                let ms = field.payload.try_into();
                supervision.grace_ms = Some(u32::from_le_bytes(
                    ms.map_err(|_| field.error("expected a 4-byte value"))?,
                ));
            }
            REWRITE => supervision.rewrite = field.rewrites()?,
            VERBOSITY => supervision.verbosity = Some(field.byte()?),
            WARN_ON_REAP => supervision.warn_on_reap = Some(field.bool()?),
            PARENT_DEATH_SIGNAL => supervision.parent_death_signal = Some(field.signal()?),
            _ => field.skip_unknown()?,
        }
    }
    Ok(supervision)
}
