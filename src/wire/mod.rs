//! keel's compact binary config: the format, its decoder and its encoder.
//!
//! `keel-gen` compiles a TOML description into this format on the host; keel decodes it
//! before its first side effect. All names, policies and cross-field checks live in keel-gen;
//! this module only checks what keel would otherwise trip over at run time, so that a config
//! that decodes is one keel can apply.
//!
//! # What keel calls
//!
//! ```
//! use keel::wire::{self, Config, Process, Strings};
//!
//! // keel-gen and the tests build configs like this (keel only decodes).
//! let args = Strings::from_bytes_with_nul(b"/bin/sh\0-c\0exit 7\0").unwrap();
//! let config = Config { process: Process { args, ..Process::default() }, ..Config::default() };
//! let mut buf = [0; 64];
//! let len = wire::encode(&config, &mut buf).unwrap();
//!
//! // keel: `decode` checks everything up front; reading the result cannot fail.
//! let decoded = wire::decode(&buf[..len]).unwrap();
//! assert_eq!(decoded, config);
//! let argv: Vec<&core::ffi::CStr> = decoded.process.args.iter().collect();
//! assert_eq!(argv, [c"/bin/sh", c"-c", c"exit 7"]);
//! ```
//!
//! - [`decode`]`(&[u8]) -> Result<`[`Config`]`, `[`Error`]`>` borrows the input: strings are
//!   `&CStr` pointing into it, ready for syscalls. An [`Error`] is a byte offset and a
//!   `&'static str`, printed by keel as `keel: config PATH: offset 52: cwd must be absolute`.
//! - [`Config`] has one struct per section; an absent section or field is the default
//!   (empty list, `false`, `None`), so keel's command line can fill or override it.
//! - [`MAGIC`] starts every config. keel's embedded `.keelcfg` section is all zeros when no
//!   config was embedded, so keel checks for the magic before calling [`decode`].
//! - [`encode`] writes a [`Config`] into a caller's buffer and checks the result with
//!   [`decode`], so the encoder can never produce a config keel would refuse.
//! - [`syntax`] parses the text forms of signals and durations that keel's command line and
//!   keel-gen's TOML share.
//!
//! # Format, version 1
//!
//! All integers are little-endian; nothing is aligned. A config is a 16-byte header and a
//! body of at most [`MAX_LEN`]` - 16` bytes:
//!
//! | offset | size | content |
//! |-------:|-----:|---------|
//! | 0  | 4 | magic [`MAGIC`], `KEEL` |
//! | 4  | 4 | format [`VERSION`], 1 |
//! | 8  | 4 | length of the whole config, header included: `16..=`[`MAX_LEN`] |
//! | 12 | 4 | CRC-32C ([`crc32c`], Castagnoli, as in iSCSI and ext4) of the body |
//! | 16 | length − 16 | body: sections |
//!
//! Anything after `length` must be zero bytes: that is the unused rest of keel's embedded
//! section. A keel refuses every version but its own; the version only changes when the
//! meaning of existing bytes changes. New features get new ids instead.
//!
//! ## Entries
//!
//! The body is a sequence of sections, and a section's payload is a sequence of fields.
//! Both are entries:
//!
//! | offset | size | content |
//! |-------:|-----:|---------|
//! | 0 | 1 | id |
//! | 1 | 2 | payload length |
//! | 3 | length | payload |
//!
//! - Within a sequence, ids strictly increase: each section or field appears at most once
//!   and a config has exactly one encoding (the one [`encode`] writes, which omits absent
//!   fields and empty sections).
//! - Unknown ids `0x00..=0x7f` are **required**: a keel that does not know one refuses the
//!   config ("needs a newer keel"), because doing silently less than the config asks
//!   (skipping its namespaces, its mounts, its seccomp filter) is worse than not starting.
//!   Unknown ids `0x80..=0xff` ([`OPTIONAL`] bit set) are **optional** and skipped: they are
//!   for settings an older keel may safely ignore.
//!
//! ## Field types
//!
//! | type | payload |
//! |------|---------|
//! | flag | empty; present means `true` |
//! | bool | 1 byte, 0 or 1 |
//! | u8, u32 | 1 or 4 bytes |
//! | signal | 1 byte, `1..=`[`MAX_SIGNAL`] |
//! | strings | NUL-terminated strings back to back, so none contains NUL; an empty payload is an empty list |
//! | exit codes | 32 bytes: a bit set, code `c` is bit `c % 8` of byte `c / 8` |
//! | signal pairs | (FROM, TO) byte pairs, FROM `1..=64` strictly increasing, TO `0..=64` (0 drops the signal) |
//!
//! ## Section `0x01`: process ([`Process`])
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | args | strings | at most [`MAX_ARGS`]; the first, the program, not empty. Absent: keel takes the program from its command line |
//! | 2 | env_clear | flag | start the program's environment empty instead of from keel's |
//! | 3 | env_set | strings | at most [`MAX_ENV`], each `KEY=VALUE` with a non-empty `KEY` |
//! | 4 | env_unset | strings | at most [`MAX_ENV`], each a non-empty `KEY` without `=` |
//! | 5 | cwd | strings | at most one: an absolute path shorter than [`PATH_MAX`] |
//!
//! ## Section `0x02`: supervision ([`Supervision`])
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | mode | u8 | [`Mode`]: 0 supervise, 1 exec, 2 machine |
//! | 2 | subreaper | bool | |
//! | 3 | kill_process_group | bool | |
//! | 4 | remap_exit | exit codes | |
//! | 5 | grace_ms | u32 | milliseconds |
//! | 6 | rewrite | signal pairs | at most 64 (one per FROM) |
//! | 7 | verbosity | u8 | |
//! | 8 | warn_on_reap | bool | |
//! | 9 | parent_death_signal | signal | |
//!
//! ## Adding a section
//!
//! Cgroups, namespaces, mounts and process security (uid/gid, capabilities, rlimits, seccomp
//! BPF as a bytes field) each become a section the same way: a table above, a struct in
//! [`Config`] whose `Default` means "not configured", a function in `decode.rs` matching its
//! field ids, and one in `encode.rs` writing them in id order. Repeated items such as mounts
//! become a strings-like field of packed records, checked once by `decode` and read by an
//! infallible iterator, like [`Strings`].

#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod crc;
mod decode;
mod encode;
pub mod syntax;

use core::ffi::CStr;

pub use crc::crc32c;
pub use decode::decode;
pub use encode::{EncodeError, encode, seal};

/// The first 4 bytes of every config.
pub const MAGIC: [u8; 4] = *b"KEEL";
/// The format version this keel reads and writes.
pub const VERSION: u32 = 1;
/// Size of the header before the body.
pub const HEADER_LEN: usize = 16;
/// Largest config, header included (keel reads config files into a buffer of this size).
pub const MAX_LEN: usize = 65536;
/// Size of an entry's id and length.
const ENTRY_HEADER_LEN: usize = 3;
/// Ids with this bit set are optional: a keel that does not know them skips them.
pub const OPTIONAL: u8 = 0x80;
/// Most strings in `args`.
pub const MAX_ARGS: usize = 256;
/// Most entries in `env_set`, and most keys in `env_unset`.
pub const MAX_ENV: usize = 1024;
/// Linux's limit on a path, terminating NUL included: `cwd` must be shorter.
pub const PATH_MAX: usize = 4096;
/// Highest Linux signal number.
pub const MAX_SIGNAL: u8 = 64;

/// Section and field ids, as tabled in the module docs.
mod id {
    pub const PROCESS: u8 = 0x01;
    pub const SUPERVISION: u8 = 0x02;

    pub mod process {
        pub const ARGS: u8 = 1;
        pub const ENV_CLEAR: u8 = 2;
        pub const ENV_SET: u8 = 3;
        pub const ENV_UNSET: u8 = 4;
        pub const CWD: u8 = 5;
    }

    pub mod supervision {
        pub const MODE: u8 = 1;
        pub const SUBREAPER: u8 = 2;
        pub const KILL_PROCESS_GROUP: u8 = 3;
        pub const REMAP_EXIT: u8 = 4;
        pub const GRACE_MS: u8 = 5;
        pub const REWRITE: u8 = 6;
        pub const VERBOSITY: u8 = 7;
        pub const WARN_ON_REAP: u8 = 8;
        pub const PARENT_DEATH_SIGNAL: u8 = 9;
    }
}

/// Why a config was refused: the byte offset where the problem is, and what was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// Offset from the start of the config.
    pub offset: u32,
    /// What was expected there, e.g. "cwd must be absolute".
    pub what: &'static str,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.what)
    }
}

impl core::error::Error for Error {}

/// A decoded config. Absent sections are their `Default`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config<'a> {
    /// What to run.
    pub process: Process<'a>,
    /// How to run it.
    pub supervision: Supervision<'a>,
}

/// Section `0x01`: the program, its environment and its working directory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Process<'a> {
    /// The program and its arguments; empty when the config leaves them to the command line.
    pub args: Strings<'a>,
    /// Start from an empty environment rather than keel's.
    pub env_clear: bool,
    /// `KEY=VALUE` entries to set, after `env_unset` is applied.
    pub env_set: Strings<'a>,
    /// Keys to remove from the environment keel was given.
    pub env_unset: Strings<'a>,
    /// Absolute directory to run the program in.
    pub cwd: Option<&'a CStr>,
}

/// Section `0x02`: how keel supervises the program. `None` (or an empty set) leaves keel's
/// default, or its command line's value, in place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Supervision<'a> {
    /// What keel does with the program.
    pub mode: Option<Mode>,
    /// Become a child subreaper (tini `-s`).
    pub subreaper: Option<bool>,
    /// Forward signals to the program's process group (tini `-g`).
    pub kill_process_group: Option<bool>,
    /// Exit codes reported as 0 (tini `-e`).
    pub remap_exit: ExitCodes,
    /// How long the drain waits between SIGTERM and SIGKILL, in milliseconds.
    pub grace_ms: Option<u32>,
    /// Signals forwarded as another signal, or dropped (dumb-init `--rewrite`).
    pub rewrite: SignalRewrites<'a>,
    /// How much keel logs.
    pub verbosity: Option<u8>,
    /// Warn about every zombie reaped (tini `-w`).
    pub warn_on_reap: Option<bool>,
    /// Signal keel gets when its parent dies (tini `-p`).
    pub parent_death_signal: Option<u8>,
}

/// What keel does with the program; the wire value is the discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Fork the program and supervise it: forward signals, reap, drain.
    Supervise = 0,
    /// Replace keel with the program once set up.
    Exec = 1,
    /// Supervise the program as the machine's init, then power off.
    Machine = 2,
}

impl Mode {
    fn from_wire(byte: u8) -> Option<Mode> {
        match byte {
            0 => Some(Mode::Supervise),
            1 => Some(Mode::Exec),
            2 => Some(Mode::Machine),
            _ => None,
        }
    }
}

/// A list of C strings stored back to back, each with its NUL, as in the wire format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Strings<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl<'a> Strings<'a> {
    /// The strings in `bytes`, NUL-terminated strings back to back; `None` if the last one
    /// lacks its NUL. Empty `bytes` is the empty list.
    pub fn from_bytes_with_nul(bytes: &'a [u8]) -> Option<Strings<'a>> {
        if bytes.last().is_some_and(|&last| last != 0) {
            return None;
        }
        let len = bytes.iter().filter(|&&b| b == 0).count();
        Some(Strings { bytes, len })
    }

    /// The strings in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a CStr> + use<'a> {
        let mut rest = self.bytes;
        core::iter::from_fn(move || {
            let string = CStr::from_bytes_until_nul(rest).ok()?;
            rest = rest.get(string.count_bytes() + 1..).unwrap_or_default();
            Some(string)
        })
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no strings.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A set of exit codes, 0..=255.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitCodes([u8; 32]);

impl ExitCodes {
    /// Adds `code` to the set.
    pub fn insert(&mut self, code: u8) {
        if let Some(byte) = self.0.get_mut(usize::from(code / 8)) {
            *byte |= 1 << (code % 8);
        }
    }

    /// Whether `code` is in the set.
    pub fn contains(&self, code: u8) -> bool {
        self.0
            .get(usize::from(code / 8))
            .is_some_and(|byte| byte & (1 << (code % 8)) != 0)
    }

    /// Whether the set is empty (keel's command line then decides).
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 32]
    }

    /// The codes in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u8> + use<> {
        let set = *self;
        (0..=u8::MAX).filter(move |&code| set.contains(code))
    }
}

/// Signal rewrites as `(from, to)` pairs; `to == 0` drops the signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalRewrites<'a>(&'a [[u8; 2]]);

impl<'a> SignalRewrites<'a> {
    /// Rewrites from `[from, to]` pairs, sorted by `from` (the order the format requires).
    pub fn new(pairs: &'a [[u8; 2]]) -> SignalRewrites<'a> {
        SignalRewrites(pairs)
    }

    /// The `(from, to)` pairs, by increasing `from`.
    pub fn iter(&self) -> impl Iterator<Item = (u8, u8)> + use<'a> {
        self.0.iter().map(|&[from, to]| (from, to))
    }

    /// Number of rewrites.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no rewrites.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
