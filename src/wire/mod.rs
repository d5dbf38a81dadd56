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
//!   (empty list, `false`, `None`), so keel's command line can fill or override it. The
//!   cgroup section is the exception: absent is `None` (keel touches no cgroup), present is
//!   a [`Cgroup`] whose defaults are the usual set-up.
//! - Repeated items are a [`List`] of records that [`decode`] has checked, so reading them
//!   cannot fail: [`Strings`], [`Delegates`], [`Limits`].
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
//!   fields, and empty sections but the cgroup one, whose presence means something).
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
//! | delegates | [`Delegate`] records back to back: a flags byte (bit 0 enable_controllers, bit 1 owned, the others 0), the uid and the gid (u32 each) only if owned, then the path with its NUL |
//! | limits | [`Limit`] records back to back: the cgroup, the file and the value, each with its NUL |
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
//! ## Section `0x03`: cgroup ([`Cgroup`])
//!
//! Present, even empty, keel sets up cgroup v2 as BenchExec's `init.sh` does: it moves
//! itself and the processes already in its cgroup into the leaf, enables the controllers in
//! its cgroup, creates the delegates (enabling the controllers in those that ask, chowning
//! those that have an owner), writes the limits, and starts the program in the workload
//! cgroup. Absent, keel touches no cgroup. Its payload may be empty, and [`encode`] writes it
//! whenever [`Config::cgroup`] is `Some`.
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | root | strings | at most one: an absolute path shorter than [`PATH_MAX`]. Absent: [`DEFAULT_CGROUP_ROOT`] |
//! | 2 | mount | flag | mount cgroup2 at `root` when nothing is mounted there |
//! | 3 | leaf | strings | at most one cgroup path. Absent: [`DEFAULT_LEAF`] |
//! | 4 | controllers | strings | at most [`MAX_CONTROLLERS`] controller names. Absent: every available one |
//! | 5 | optional | strings | at most [`MAX_CONTROLLERS`] controller names, whose failure is only a warning |
//! | 6 | delegates | delegates | at most [`MAX_DELEGATES`]; each path a cgroup path |
//! | 7 | limits | limits | at most [`MAX_LIMITS`]; each cgroup a cgroup path, each file a limit file, each value not empty and without a newline |
//! | 8 | workload | strings | at most one cgroup path. Absent: the leaf |
//!
//! - A **cgroup path** is relative to keel's cgroup (the mount's root in a container with its
//!   own cgroup namespace): not empty, no leading or trailing `/`, no empty, `.` or `..`
//!   component, no newline (the kernel refuses it in cgroup names), each component at most
//!   [`NAME_MAX`] bytes, and shorter than [`PATH_MAX`] in all.
//! - A **controller name** is 1 to [`CONTROLLER_NAME_MAX`] of `[a-z0-9_]`.
//! - A **limit file** is `PREFIX.NAME`: PREFIX a controller name (or `cgroup`), NAME not
//!   empty, no `/`, at most [`NAME_MAX`] bytes in all, and not `cgroup.procs`,
//!   `cgroup.threads` or `cgroup.subtree_control`, which keel writes itself.
//!
//! Whether the cgroups fit together (the no-internal-process rule, nested delegates, limits
//! on cgroups keel creates) is keel-gen's to check: these rules only keep keel from tripping.
//!
//! ## Adding a section
//!
//! Namespaces, mounts and process security (uid/gid, capabilities, rlimits, seccomp
//! BPF as a bytes field) each become a section the same way: a table above, a struct in
//! [`Config`] whose `Default` means "not configured", a function in `decode.rs` matching its
//! field ids, and one in `encode.rs` writing them in id order. Repeated items such as mounts
//! become a [`List`] of a new [`Record`] type, like [`Delegates`]: checked once by `decode`
//! and read by an infallible iterator.

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
use core::marker::PhantomData;

pub use crc::crc32c;
pub use decode::{
    check_cgroup_path, check_controller, check_limit_file, check_limit_value, decode,
};
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
/// Linux's limit on a file name: a cgroup path's components and a limit's file.
pub const NAME_MAX: usize = 255;
/// Most names in the cgroup section's `controllers`, and in its `optional`.
pub const MAX_CONTROLLERS: usize = 32;
/// Longest controller name.
pub const CONTROLLER_NAME_MAX: usize = 64;
/// Most cgroup delegates.
pub const MAX_DELEGATES: usize = 64;
/// Most cgroup limits.
pub const MAX_LIMITS: usize = 256;
/// Where the cgroup2 filesystem is when the cgroup section gives no `root`.
pub const DEFAULT_CGROUP_ROOT: &CStr = c"/sys/fs/cgroup";
/// keel's cgroup when the cgroup section gives no `leaf`: BenchExec's `init.sh` uses `init`.
pub const DEFAULT_LEAF: &CStr = c"init";

/// Section and field ids, as tabled in the module docs.
mod id {
    pub const PROCESS: u8 = 0x01;
    pub const SUPERVISION: u8 = 0x02;
    pub const CGROUP: u8 = 0x03;

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

    pub mod cgroup {
        pub const ROOT: u8 = 1;
        pub const MOUNT: u8 = 2;
        pub const LEAF: u8 = 3;
        pub const CONTROLLERS: u8 = 4;
        pub const OPTIONAL: u8 = 5;
        pub const DELEGATES: u8 = 6;
        pub const LIMITS: u8 = 7;
        pub const WORKLOAD: u8 = 8;
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
    /// The cgroups to set up; `None` (the section is absent): keel touches no cgroup.
    pub cgroup: Option<Cgroup<'a>>,
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

/// Section `0x03`: the cgroups keel sets up before starting the program, in the order of
/// the fields. `None` and empty lists are the defaults the module docs table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cgroup<'a> {
    /// Absolute path of the cgroup2 mount; `None`: [`DEFAULT_CGROUP_ROOT`].
    pub root: Option<&'a CStr>,
    /// Mount cgroup2 at `root` when nothing is mounted there.
    pub mount: bool,
    /// The cgroup keel moves itself and the processes already there into; `None`:
    /// [`DEFAULT_LEAF`].
    pub leaf: Option<&'a CStr>,
    /// Controllers to enable in keel's cgroup and in delegates; empty: every available one.
    pub controllers: Strings<'a>,
    /// Controllers whose failure (missing, or refused) is only a warning.
    pub optional: Strings<'a>,
    /// Cgroups to create, in order.
    pub delegates: Delegates<'a>,
    /// Values to write into cgroup files, in order, after the delegates exist.
    pub limits: Limits<'a>,
    /// The cgroup the program starts in; `None`: the leaf.
    pub workload: Option<&'a CStr>,
}

/// A cgroup keel creates (with its parents), for a workload that manages its own children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delegate<'a> {
    /// A cgroup path, relative to keel's cgroup.
    pub path: &'a CStr,
    /// Who gets the cgroup (`uid`, `gid`): its directory and the files the kernel lists in
    /// `/sys/kernel/cgroup/delegate`.
    pub owner: Option<(u32, u32)>,
    /// Enable the controllers in its `cgroup.subtree_control`, for its children.
    pub enable_controllers: bool,
}

/// A value keel writes into a cgroup's file, such as `1G` into `memory.max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit<'a> {
    /// A cgroup path, relative to keel's cgroup.
    pub cgroup: &'a CStr,
    /// The file in it, `PREFIX.NAME`.
    pub file: &'a CStr,
    /// What to write.
    pub value: &'a CStr,
}

/// C strings, each with its NUL.
pub type Strings<'a> = List<'a, &'a CStr>;
/// Cgroup delegates.
pub type Delegates<'a> = List<'a, Delegate<'a>>;
/// Cgroup limits.
pub type Limits<'a> = List<'a, Limit<'a>>;

/// Records stored back to back, as in the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct List<'a, T> {
    bytes: &'a [u8],
    len: usize,
    record: PhantomData<T>,
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
    /// are not whole records (one cut short, a delegate's unknown flags). Empty `bytes` is
    /// the empty list. Only framing is checked here: [`decode`] checks the contents.
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

/// Bits of a [`Delegate`] record's flags byte.
const ENABLE_CONTROLLERS: u8 = 1;
const OWNED: u8 = 2;

/// The length of a [`Delegate`] record before its path, from its flags byte: the flags, and
/// the owner if it has one. `None` for unknown flags.
fn delegate_head_len(flags: u8) -> Option<usize> {
    match flags & !ENABLE_CONTROLLERS {
        0 => Some(1),
        OWNED => Some(9),
        _ => None,
    }
}

impl<'a> Record<'a> for Delegate<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Delegate<'a>, &'a [u8])> {
        let flags = *bytes.first()?;
        let (head, rest) = bytes.split_at_checked(delegate_head_len(flags)?)?;
        let owner = match head {
            [_, u0, u1, u2, u3, g0, g1, g2, g3] => Some((
                u32::from_le_bytes([*u0, *u1, *u2, *u3]),
                u32::from_le_bytes([*g0, *g1, *g2, *g3]),
            )),
            _ => None,
        };
        let (path, rest) = <&CStr>::split(rest)?;
        let enable_controllers = flags & ENABLE_CONTROLLERS != 0;
        let delegate = Delegate {
            path,
            owner,
            enable_controllers,
        };
        Some((delegate, rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        let enable = if self.enable_controllers {
            ENABLE_CONTROLLERS
        } else {
            0
        };
        let owned = if self.owner.is_some() { OWNED } else { 0 };
        put(&[enable | owned]);
        if let Some((uid, gid)) = self.owner {
            put(&uid.to_le_bytes());
            put(&gid.to_le_bytes());
        }
        put(self.path.to_bytes_with_nul());
    }
}

impl<'a> Record<'a> for Limit<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Limit<'a>, &'a [u8])> {
        let (cgroup, rest) = <&CStr>::split(bytes)?;
        let (file, rest) = <&CStr>::split(rest)?;
        let (value, rest) = <&CStr>::split(rest)?;
        Some((
            Limit {
                cgroup,
                file,
                value,
            },
            rest,
        ))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        for string in [self.cgroup, self.file, self.value] {
            put(string.to_bytes_with_nul());
        }
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
