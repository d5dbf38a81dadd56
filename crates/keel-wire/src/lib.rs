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
//! use keel_wire::{self as wire, Config, Process, Strings};
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
//!   cgroup, namespaces and mounts sections are the exceptions: absent is `None` (keel
//!   touches no cgroup, creates no namespace, mounts nothing), present is a [`Cgroup`],
//!   [`Namespaces`] or [`Mounts`] whose defaults are the usual set-up.
//! - Repeated items are a [`List`] of records that [`decode`] has checked, so reading them
//!   cannot fail: [`Strings`], [`Gids`], [`Rlimits`], [`Delegates`], [`Limits`], [`IdMaps`],
//!   [`MountList`].
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
//!   fields, and empty sections but the cgroup, namespaces and mounts ones, whose presence
//!   means something).
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
//! | u8, u32, i32 | 1 or 4 bytes |
//! | signal | 1 byte, `1..=`[`MAX_SIGNAL`] |
//! | strings | NUL-terminated strings back to back, so none contains NUL; an empty payload is an empty list |
//! | exit codes | 32 bytes: a bit set, code `c` is bit `c % 8` of byte `c / 8` |
//! | signal pairs | (FROM, TO) byte pairs, FROM `1..=64` strictly increasing, TO `0..=64` (0 drops the signal) |
//! | delegates | [`Delegate`] records back to back: a flags byte (bit 0 enable_controllers, bit 1 owned, the others 0), the uid and the gid (u32 each) only if owned, then the path with its NUL |
//! | limits | [`Limit`] records back to back: the cgroup, the file and the value, each with its NUL |
//! | u32 bits | 4 bytes, a bit set |
//! | id maps | [`IdMap`] records back to back, 12 bytes each: inside, outside and count (u32 each) |
//! | time offset | 12 bytes: seconds (i64) and nanoseconds (u32) |
//! | mounts | [`Mount`] records back to back, as tabled under section `0x05` |
//! | user | uid and gid (u32 each), then the additional gids (u32 each, [`Gids`]) |
//! | capabilities | 40 bytes: the bounding, effective, permitted, inheritable and ambient sets (u64 each); capability `n` is bit `n` |
//! | rlimits | [`Rlimit`] records back to back, 17 bytes each: the resource (u8), soft and hard (u64 each, `u64::MAX` unlimited) |
//! | u64 bits | 8 bytes, a bit set |
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
//! | 6 | user | user | at most [`MAX_GIDS`] additional gids |
//! | 7 | no_new_privileges | flag | set `PR_SET_NO_NEW_PRIVS` |
//! | 8 | capabilities | capabilities | only bits `0..=`[`CAP_LAST_CAP`]; effective ⊆ permitted, ambient ⊆ permitted ∩ inheritable (the kernel refuses otherwise). Absent: capabilities are left as they are |
//! | 9 | rlimits | rlimits | applied in order; each resource `0..`[`MAX_RLIMITS`] (`RLIMIT_*`) at most once, soft ≤ hard |
//! | 10 | umask | u32 | `0..=0o777` |
//! | 11 | oom_score_adj | i32 | [`OOM_SCORE_ADJ_MIN`]`..=`[`OOM_SCORE_ADJ_MAX`] |
//! | 12 | seccomp | seccomp filter | flags only [`SeccompFilter::FLAGS`]; 1 to [`MAX_SECCOMP_INSTRUCTIONS`] instructions |
//!
//! A **seccomp filter** is the `flags` argument of `seccomp(SECCOMP_SET_MODE_FILTER)` (u32),
//! then the classic BPF program, 8 bytes per instruction as the kernel's `sock_filter`: code
//! (u16), jt and jf (u8 each), k (u32). keel-gen compiles it from a policy; keel installs the
//! bytes as they are (the kernel checks the program), after no_new_privs as the last step
//! before exec, or, without no_new_privs, while keel still has `CAP_SYS_ADMIN`, before the
//! user switch (as runc does), so the policy must then allow the switch's syscalls too.
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
//! | 10 | seal_exe | bool | re-execute keel from a sealed copy of its binary first. Absent: when keel is PID 1 |
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
//! ## Section `0x04`: namespaces ([`Namespaces`])
//!
//! Present, even empty, keel creates the namespaces `unshare` names and sets them up before
//! the mounts; absent, keel creates none. Its payload may be empty, and [`encode`] writes it
//! whenever [`Config::namespaces`] is `Some`.
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | unshare | u32 bits | [`NamespaceSet`]: only the kernel's `CLONE_NEW*` bits of the 8 namespaces (mask `0x7e02_0080`) |
//! | 2 | uid_map | id maps | needs the user namespace; at most [`MAX_ID_MAPS`]. Absent: keel's euid maps to 0 |
//! | 3 | gid_map | id maps | as uid_map, for groups. Absent: keel's egid maps to 0 |
//! | 4 | setgroups_deny | flag | needs the user namespace: write `deny` to `/proc/PID/setgroups` before gid_map |
//! | 5 | hostname | strings | needs the uts namespace; at most one, 1 to [`HOST_NAME_MAX`] bytes |
//! | 6 | domainname | strings | as hostname |
//! | 7 | monotonic_offset | time offset | needs the time namespace; nanoseconds below 10⁹ |
//! | 8 | boottime_offset | time offset | as monotonic_offset |
//!
//! An **id map** is a line of `/proc/PID/uid_map`: `count` ids from `inside` (in the new
//! namespace) are `outside` (in keel's). `count` is not 0, and neither `inside + count` nor
//! `outside + count` overflows a u32, as the kernel requires. Overlaps are keel-gen's to check.
//!
//! ## Section `0x05`: mounts ([`Mounts`])
//!
//! Present, even empty, keel builds the workload's filesystem view in a mount namespace of
//! its own (the namespaces section's, or one keel makes when that section is absent): the
//! mounts in order (inside `root` when it is given), then the masked paths, then the
//! read-only ones, then it pivots into `root`, if given. Absent, keel mounts nothing. Its
//! payload may be empty, and [`encode`] writes it whenever [`Config::mounts`] is `Some`.
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | root | strings | at most one: an absolute path shorter than [`PATH_MAX`]. Absent: the current root |
//! | 2 | entries | mounts | at most [`MAX_MOUNTS`] |
//! | 3 | masked | strings | at most [`MAX_MOUNT_PATHS`] absolute paths shorter than [`PATH_MAX`] |
//! | 4 | readonly | strings | at most [`MAX_MOUNT_PATHS`] absolute paths shorter than [`PATH_MAX`] |
//! | 5 | root_readonly | flag | needs root: the new root itself is read-only (not the mounts on it), as OCI `root.readonly` |
//!
//! A [`Mount`] record is an 8-byte head, then its strings, each with its NUL:
//!
//! | offset | size | content |
//! |-------:|-----:|---------|
//! | 0 | 1 | kind: [`MountKind`], `0..=8` |
//! | 1 | 1 | flags: bit 0 recursive, bit 1 a source follows the target, bits 2–3 upper: 0 sealed, 1 tmpfs, 2 tmpfs with a size, 3 directories; bits 4–7 are 0 |
//! | 2 | 4 | attrs (u32): `MOUNT_ATTR_*` bits |
//! | 6 | 1 | number of options |
//! | 7 | 1 | number of lower layers |
//! | 8 | | target, the source if flagged, the options, the lower layers, then the size (upper 2) or the upper and work directories (upper 3) |
//!
//! - **Paths** (target, source, layers, upper and work) are absolute and shorter than
//!   [`PATH_MAX`]; a target has no `..` component.
//! - Only a bind mount has a source, and it must; only a bind mount is recursive.
//! - Only the filesystem kinds (all but bind and overlay, whose parameters keel sets itself)
//!   have options, passed to fsconfig: each `key=value` or `flag`, see
//!   [`check_mount_option`].
//! - Only an overlay has lower layers, 1 to [`MAX_LOWER_LAYERS`], and an upper other than
//!   sealed; a tmpfs size is 1 to 250 bytes without `,`, see [`check_overlay_size`].
//! - attrs has only the attribute bits of [`Mount`] ([`Mount::ATTRS`]), and at most one
//!   atime mode: not both [`Mount::NOATIME`] and [`Mount::STRICTATIME`].
//!
//! ## Section `0x06`: Landlock ([`Landlock`])
//!
//! Present, keel restricts the program with a Landlock ruleset: of the rights `handled_*`
//! names, the program keeps only those the rules grant. keel applies it with the best ABI
//! the running kernel has: rights that ABI lacks are dropped with a warning, or, when
//! `required` is set, keel refuses to start (as it does when the kernel has no Landlock).
//! keel applies it just before the seccomp filter, at the point field 12 of the process
//! section describes.
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | required | flag | fail rather than run with less than the ruleset asks |
//! | 2 | handled_fs | u64 bits | `LANDLOCK_ACCESS_FS_*`, only [`Landlock::FS_ALL`] |
//! | 3 | handled_net | u64 bits | `LANDLOCK_ACCESS_NET_*`, only [`Landlock::NET_ALL`] |
//! | 4 | scoped | u64 bits | `LANDLOCK_SCOPE_*`, only [`Landlock::SCOPE_ALL`] |
//! | 5 | paths | landlock paths | at most [`MAX_LANDLOCK_RULES`]; each access not empty and within handled_fs, each path absolute and shorter than [`PATH_MAX`] |
//! | 6 | ports | landlock ports | at most [`MAX_LANDLOCK_RULES`]; each access not empty and within handled_net |
//!
//! At least one of handled_fs, handled_net and scoped is not empty. A **landlock path**
//! record ([`LandlockPath`]) is the access rights granted beneath the path (u64), then the
//! path with its NUL; a **landlock port** record ([`LandlockPort`]) is 10 bytes, the
//! access rights (u64) and the TCP port (u16).
//!
//! ## Adding a section
//!
//! A new section is added this way: a table above, a struct in [`Config`] whose `Default` means "not
//! configured", a function in `decode.rs` matching its field ids, and one in `encode.rs`
//! writing them in id order. Repeated items become a [`List`] of a new [`Record`] type, like [`Delegates`]: checked once by `decode`
//! and read by an infallible iterator. A record with parts of its own, like a [`Mount`],
//! gets a fixed head with counts, so that [`Record::split`] frames it in one pass.

// no_std and no alloc unconditionally: a `std` feature would be unified into the keel build
// and link std into the init.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
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
    check_cgroup_path, check_controller, check_id_map, check_limit_file, check_limit_value,
    check_mount_option, check_mount_target, check_overlay_size, decode,
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
/// Most instructions in a seccomp filter (the kernel's `BPF_MAXINSNS`).
pub const MAX_SECCOMP_INSTRUCTIONS: usize = 4096;
/// Most Landlock path rules, and most port rules.
pub const MAX_LANDLOCK_RULES: usize = 256;
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
/// Most lines in a uid or gid map (the kernel's limit).
pub const MAX_ID_MAPS: usize = 340;
/// Longest host or domain name (the kernel's `__NEW_UTS_LEN`).
pub const HOST_NAME_MAX: usize = 64;
/// Most mounts.
pub const MAX_MOUNTS: usize = 256;
/// Most masked paths, and most read-only paths.
pub const MAX_MOUNT_PATHS: usize = 64;
/// Most lower layers of an overlay.
pub const MAX_LOWER_LAYERS: usize = 15;
/// Longest mount option: fsconfig refuses longer strings.
pub const MOUNT_OPTION_MAX: usize = 255;
/// Most additional gids of a [`User`].
pub const MAX_GIDS: usize = 64;
/// Highest capability number (Linux 6.x's `CAP_LAST_CAP`, `CAP_CHECKPOINT_RESTORE`).
pub const CAP_LAST_CAP: u8 = 40;
/// Number of `RLIMIT_*` resources (`RLIMIT_NLIMITS`), so the most rlimits, each once.
pub const MAX_RLIMITS: usize = 16;
/// Lowest `oom_score_adj`: the process is never killed for lack of memory.
pub const OOM_SCORE_ADJ_MIN: i32 = -1000;
/// Highest `oom_score_adj`: the process is killed first.
pub const OOM_SCORE_ADJ_MAX: i32 = 1000;

/// Section and field ids, as tabled in the module docs.
mod id {
    pub const PROCESS: u8 = 0x01;
    pub const SUPERVISION: u8 = 0x02;
    pub const CGROUP: u8 = 0x03;
    pub const NAMESPACES: u8 = 0x04;
    pub const MOUNTS: u8 = 0x05;
    pub const LANDLOCK: u8 = 0x06;

    pub mod process {
        pub const ARGS: u8 = 1;
        pub const ENV_CLEAR: u8 = 2;
        pub const ENV_SET: u8 = 3;
        pub const ENV_UNSET: u8 = 4;
        pub const CWD: u8 = 5;
        pub const USER: u8 = 6;
        pub const NO_NEW_PRIVILEGES: u8 = 7;
        pub const CAPABILITIES: u8 = 8;
        pub const RLIMITS: u8 = 9;
        pub const UMASK: u8 = 10;
        pub const OOM_SCORE_ADJ: u8 = 11;
        pub const SECCOMP: u8 = 12;
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
        pub const SEAL_EXE: u8 = 10;
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

    pub mod namespaces {
        pub const UNSHARE: u8 = 1;
        pub const UID_MAP: u8 = 2;
        pub const GID_MAP: u8 = 3;
        pub const SETGROUPS_DENY: u8 = 4;
        pub const HOSTNAME: u8 = 5;
        pub const DOMAINNAME: u8 = 6;
        pub const MONOTONIC_OFFSET: u8 = 7;
        pub const BOOTTIME_OFFSET: u8 = 8;
    }

    pub mod mounts {
        pub const ROOT: u8 = 1;
        pub const ENTRIES: u8 = 2;
        pub const MASKED: u8 = 3;
        pub const READONLY: u8 = 4;
        pub const ROOT_READONLY: u8 = 5;
    }

    pub mod landlock {
        pub const REQUIRED: u8 = 1;
        pub const HANDLED_FS: u8 = 2;
        pub const HANDLED_NET: u8 = 3;
        pub const SCOPED: u8 = 4;
        pub const PATHS: u8 = 5;
        pub const PORTS: u8 = 6;
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
    /// The namespaces to create; `None` (the section is absent): keel creates none.
    pub namespaces: Option<Namespaces<'a>>,
    /// The filesystem view to build; `None` (the section is absent): keel mounts nothing.
    pub mounts: Option<Mounts<'a>>,
    /// The Landlock ruleset; `None` (the section is absent): none.
    pub landlock: Option<Landlock<'a>>,
}

/// Section `0x01`: the program, its environment, its working directory and its privileges.
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
    /// The user to switch to before exec; `None`: keel's.
    pub user: Option<User<'a>>,
    /// Set `PR_SET_NO_NEW_PRIVS`: exec grants no privileges (setuid bits, file capabilities).
    pub no_new_privileges: bool,
    /// The program's capability sets; `None`: leave capabilities as they are.
    pub capabilities: Option<Capabilities>,
    /// Resource limits, applied in order.
    pub rlimits: Rlimits<'a>,
    /// The file mode creation mask, `0..=0o777`; `None`: keel's.
    pub umask: Option<u32>,
    /// `/proc/self/oom_score_adj`, [`OOM_SCORE_ADJ_MIN`]`..=`[`OOM_SCORE_ADJ_MAX`].
    pub oom_score_adj: Option<i32>,
    /// The seccomp filter installed last; `None`: none.
    pub seccomp: Option<SeccompFilter<'a>>,
}

/// A compiled seccomp filter, as `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeccompFilter<'a> {
    /// `SECCOMP_FILTER_FLAG_*` bits, only [`SeccompFilter::FLAGS`].
    pub flags: u32,
    /// The `sock_filter` array: 8 bytes per instruction, 1 to [`MAX_SECCOMP_INSTRUCTIONS`].
    pub program: &'a [u8],
}

impl SeccompFilter<'_> {
    /// The flags a filter may carry: `TSYNC` (1), `LOG` (2) and `SPEC_ALLOW` (4). Those that
    /// change how keel must install it (`NEW_LISTENER`, `TSYNC_ESRCH`) are not allowed.
    pub const FLAGS: u32 = 0x7;
    /// The size of one BPF instruction (`struct sock_filter`).
    pub const INSTRUCTION_LEN: usize = 8;

    /// The number of BPF instructions.
    pub fn instructions(&self) -> usize {
        self.program.len() / Self::INSTRUCTION_LEN
    }
}

/// Section `0x06`: a Landlock ruleset for the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Landlock<'a> {
    /// Refuse to start when the kernel cannot enforce every right the ruleset handles.
    pub required: bool,
    /// The filesystem rights the ruleset restricts (`LANDLOCK_ACCESS_FS_*`).
    pub handled_fs: u64,
    /// The network rights the ruleset restricts (`LANDLOCK_ACCESS_NET_*`, ABI 4).
    pub handled_net: u64,
    /// The IPC scopes the ruleset restricts (`LANDLOCK_SCOPE_*`, ABI 6).
    pub scoped: u64,
    /// Filesystem rights granted beneath paths.
    pub paths: LandlockPaths<'a>,
    /// Network rights granted on TCP ports.
    pub ports: LandlockPorts<'a>,
}

impl Landlock<'_> {
    /// Every filesystem right up to ABI 6: `EXECUTE` (bit 0) to `IOCTL_DEV` (bit 15).
    pub const FS_ALL: u64 = (1 << 16) - 1;
    /// Both network rights: `BIND_TCP` and `CONNECT_TCP`.
    pub const NET_ALL: u64 = 0x3;
    /// Both scopes: `ABSTRACT_UNIX_SOCKET` and `SIGNAL`.
    pub const SCOPE_ALL: u64 = 0x3;
}

/// Filesystem rights a Landlock ruleset grants beneath a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LandlockPath<'a> {
    /// `LANDLOCK_ACCESS_FS_*` bits.
    pub access: u64,
    /// An absolute path, opened by keel when it applies the ruleset.
    pub path: &'a CStr,
}

/// Network rights a Landlock ruleset grants on a TCP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LandlockPort {
    /// `LANDLOCK_ACCESS_NET_*` bits.
    pub access: u64,
    /// The TCP port.
    pub port: u16,
}

/// Who the program runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User<'a> {
    /// The real, effective and saved user id.
    pub uid: u32,
    /// The real, effective and saved group id.
    pub gid: u32,
    /// The supplementary groups (setgroups), at most [`MAX_GIDS`].
    pub additional_gids: Gids<'a>,
}

/// Capability sets: bit `n` is capability `n`, `0..=`[`CAP_LAST_CAP`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The bounding set: capabilities outside it are dropped from it for good.
    pub bounding: u64,
    /// The effective set, within `permitted`.
    pub effective: u64,
    /// The permitted set.
    pub permitted: u64,
    /// The inheritable set.
    pub inheritable: u64,
    /// The ambient set, within `permitted` and `inheritable`: what a non-root exec keeps.
    pub ambient: u64,
}

impl Capabilities {
    /// Every capability bit a set may have.
    pub const ALL: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;
}

/// A resource limit, as `setrlimit` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    /// The `RLIMIT_*` number, `0..`[`MAX_RLIMITS`].
    pub resource: u8,
    /// The soft limit, at most `hard`; `u64::MAX` is unlimited (`RLIM_INFINITY`).
    pub soft: u64,
    /// The hard limit; `u64::MAX` is unlimited.
    pub hard: u64,
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
    /// Re-execute keel from a sealed copy of its binary first; `None`: when keel is PID 1.
    pub seal_exe: Option<bool>,
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

/// Section `0x04`: the namespaces keel creates and how it sets them up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Namespaces<'a> {
    /// Which namespaces to create.
    pub unshare: NamespaceSet,
    /// Lines of the uid map; empty: keel maps its own euid to 0. Only with [`NamespaceSet::USER`].
    pub uid_map: IdMaps<'a>,
    /// Lines of the gid map; empty: keel maps its own egid to 0. Only with [`NamespaceSet::USER`].
    pub gid_map: IdMaps<'a>,
    /// Write `deny` to `/proc/PID/setgroups` before the gid map. Only with [`NamespaceSet::USER`].
    pub setgroups_deny: bool,
    /// The host name. Only with [`NamespaceSet::UTS`].
    pub hostname: Option<&'a CStr>,
    /// The NIS domain name. Only with [`NamespaceSet::UTS`].
    pub domainname: Option<&'a CStr>,
    /// Clock offsets. Only with [`NamespaceSet::TIME`].
    pub time_offsets: TimeOffsets,
}

/// Bit set of namespaces; the values are the kernel's `CLONE_NEW*` bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NamespaceSet(pub u32);

impl NamespaceSet {
    /// `CLONE_NEWNS`: mounts.
    pub const MOUNT: u32 = 0x0002_0000;
    /// `CLONE_NEWUTS`: host and domain names.
    pub const UTS: u32 = 0x0400_0000;
    /// `CLONE_NEWIPC`: System V IPC and POSIX message queues.
    pub const IPC: u32 = 0x0800_0000;
    /// `CLONE_NEWNET`: network devices, addresses, ports.
    pub const NET: u32 = 0x4000_0000;
    /// `CLONE_NEWPID`: process ids.
    pub const PID: u32 = 0x2000_0000;
    /// `CLONE_NEWCGROUP`: the cgroup root.
    pub const CGROUP: u32 = 0x0200_0000;
    /// `CLONE_NEWUSER`: user and group ids, capabilities.
    pub const USER: u32 = 0x1000_0000;
    /// `CLONE_NEWTIME`: the monotonic and boot-time clocks.
    pub const TIME: u32 = 0x0000_0080;
    /// The 8 namespaces, the only bits a config may set.
    pub const ALL: u32 = Self::MOUNT
        | Self::UTS
        | Self::IPC
        | Self::NET
        | Self::PID
        | Self::CGROUP
        | Self::USER
        | Self::TIME;

    /// Whether the set has the namespace `flag` (one of the constants).
    pub fn contains(self, flag: u32) -> bool {
        self.0 & flag != 0
    }
}

/// A line of a uid or gid map: `count` ids from `inside` in the new user namespace are the
/// ids from `outside` in keel's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdMap {
    /// First id in the new namespace.
    pub inside: u32,
    /// First id in keel's namespace.
    pub outside: u32,
    /// Number of ids; not 0.
    pub count: u32,
}

/// Offsets of the new time namespace's clocks, as `(seconds, nanoseconds)`, nanoseconds
/// below 10⁹; `None` leaves a clock as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeOffsets {
    /// `CLOCK_MONOTONIC`'s offset.
    pub monotonic: Option<(i64, u32)>,
    /// `CLOCK_BOOTTIME`'s offset.
    pub boottime: Option<(i64, u32)>,
}

/// Section `0x05`: the workload's filesystem view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mounts<'a> {
    /// Absolute directory keel pivots into, after making it a mount point; `None`: the mounts
    /// apply to the current root.
    pub root: Option<&'a CStr>,
    /// The mounts, in order.
    pub entries: MountList<'a>,
    /// Absolute paths inside the (new) root hidden from the workload: an empty read-only
    /// tmpfs over a directory, `/dev/null` over a file (OCI `maskedPaths`).
    pub masked: Strings<'a>,
    /// Absolute paths inside the (new) root made read-only, recursively (OCI `readonlyPaths`).
    pub readonly: Strings<'a>,
    /// Make the new root's own mount read-only, just before the pivot (OCI `root.readonly`).
    pub root_readonly: bool,
}

/// One mount, built detached and then moved onto its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mount<'a> {
    /// What is mounted.
    pub kind: MountKind,
    /// A bind mount's absolute host path; `None` for the other kinds.
    pub source: Option<&'a CStr>,
    /// Absolute path of the mount point, inside `root` when it is set.
    pub target: &'a CStr,
    /// `MOUNT_ATTR_*` bits, the constants below.
    pub attrs: u64,
    /// A bind mount of the whole tree under the source (`rbind`), attributes applied to all.
    pub recursive: bool,
    /// fsconfig parameters for the filesystem kinds: `key=value` or `flag`.
    pub options: Strings<'a>,
    /// An overlay's lower directories, top first, absolute.
    pub lower: Strings<'a>,
    /// An overlay's upper layer.
    pub upper: Upper<'a>,
}

impl Mount<'_> {
    /// `MOUNT_ATTR_RDONLY`.
    pub const RDONLY: u64 = 0x1;
    /// `MOUNT_ATTR_NOSUID`.
    pub const NOSUID: u64 = 0x2;
    /// `MOUNT_ATTR_NODEV`.
    pub const NODEV: u64 = 0x4;
    /// `MOUNT_ATTR_NOEXEC`.
    pub const NOEXEC: u64 = 0x8;
    /// `MOUNT_ATTR_NOATIME`, an atime mode (`MOUNT_ATTR_RELATIME` is 0, the default).
    pub const NOATIME: u64 = 0x10;
    /// `MOUNT_ATTR_STRICTATIME`, an atime mode.
    pub const STRICTATIME: u64 = 0x20;
    /// `MOUNT_ATTR_NODIRATIME`.
    pub const NODIRATIME: u64 = 0x80;
    /// `MOUNT_ATTR_NOSYMFOLLOW`.
    pub const NOSYMFOLLOW: u64 = 0x20_0000;
    /// Every attribute a config may set.
    pub const ATTRS: u64 = Self::RDONLY
        | Self::NOSUID
        | Self::NODEV
        | Self::NOEXEC
        | Self::NOATIME
        | Self::STRICTATIME
        | Self::NODIRATIME
        | Self::NOSYMFOLLOW;
}

/// What a [`Mount`] mounts; the wire value is the discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MountKind {
    /// A host path (`open_tree`).
    Bind = 0,
    /// A new tmpfs.
    Tmpfs = 1,
    /// A new proc.
    Proc = 2,
    /// A new sysfs.
    Sysfs = 3,
    /// A new devpts.
    Devpts = 4,
    /// A new mqueue.
    Mqueue = 5,
    /// A new cgroup2.
    Cgroup2 = 6,
    /// An overlay of `lower` (and `upper`).
    Overlay = 7,
    /// A new devtmpfs.
    Devtmpfs = 8,
}

impl MountKind {
    /// Every kind, in wire order.
    pub const ALL: [MountKind; 9] = [
        MountKind::Bind,
        MountKind::Tmpfs,
        MountKind::Proc,
        MountKind::Sysfs,
        MountKind::Devpts,
        MountKind::Mqueue,
        MountKind::Cgroup2,
        MountKind::Overlay,
        MountKind::Devtmpfs,
    ];
}

/// An overlay's upper layer, where its writes go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Upper<'a> {
    /// None: the overlay is read-only by construction (and every mount but an overlay has this).
    #[default]
    Sealed,
    /// Upper and work directories on a tmpfs of their own: the writes vanish with the mount.
    Tmpfs {
        /// The tmpfs's `size=` value, e.g. `64m`.
        size: Option<&'a CStr>,
    },
    /// Absolute upper and work directories on one filesystem: the writes persist.
    Dir {
        /// Where the writes go.
        upper: &'a CStr,
        /// overlayfs's scratch directory.
        work: &'a CStr,
    },
}

/// C strings, each with its NUL.
pub type Strings<'a> = List<'a, &'a CStr>;
/// Group ids.
pub type Gids<'a> = List<'a, u32>;
/// Resource limits.
pub type Rlimits<'a> = List<'a, Rlimit>;
/// Cgroup delegates.
pub type Delegates<'a> = List<'a, Delegate<'a>>;
/// Cgroup limits.
pub type Limits<'a> = List<'a, Limit<'a>>;
/// Lines of a uid or gid map.
pub type IdMaps<'a> = List<'a, IdMap>;
/// Mounts.
pub type MountList<'a> = List<'a, Mount<'a>>;
/// Landlock path rules.
pub type LandlockPaths<'a> = List<'a, LandlockPath<'a>>;
/// Landlock port rules.
pub type LandlockPorts<'a> = List<'a, LandlockPort>;

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
    /// are not whole records (one cut short, a delegate's or a mount's unknown flags). Empty
    /// `bytes` is the empty list. Only framing is checked here: [`decode`] checks the contents.
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

impl<'a> Record<'a> for u32 {
    fn split(bytes: &'a [u8]) -> Option<(u32, &'a [u8])> {
        let (word, rest) = bytes.split_first_chunk()?;
        Some((u32::from_le_bytes(*word), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&self.to_le_bytes());
    }
}

/// An [`Rlimit`] record's length.
const RLIMIT_LEN: usize = 17;

impl Rlimit {
    fn from_wire(bytes: &[u8; RLIMIT_LEN]) -> Rlimit {
        let [
            resource,
            s0,
            s1,
            s2,
            s3,
            s4,
            s5,
            s6,
            s7,
            h0,
            h1,
            h2,
            h3,
            h4,
            h5,
            h6,
            h7,
        ] = *bytes;
        Rlimit {
            resource,
            soft: u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
            hard: u64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]),
        }
    }
}

impl<'a> Record<'a> for Rlimit {
    fn split(bytes: &'a [u8]) -> Option<(Rlimit, &'a [u8])> {
        let (rlimit, rest) = bytes.split_first_chunk::<RLIMIT_LEN>()?;
        Some((Rlimit::from_wire(rlimit), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&[self.resource]);
        put(&self.soft.to_le_bytes());
        put(&self.hard.to_le_bytes());
    }
}

/// An [`IdMap`] record's length.
const ID_MAP_LEN: usize = 12;

impl IdMap {
    fn from_wire(bytes: &[u8; ID_MAP_LEN]) -> IdMap {
        let [i0, i1, i2, i3, o0, o1, o2, o3, c0, c1, c2, c3] = *bytes;
        IdMap {
            inside: u32::from_le_bytes([i0, i1, i2, i3]),
            outside: u32::from_le_bytes([o0, o1, o2, o3]),
            count: u32::from_le_bytes([c0, c1, c2, c3]),
        }
    }
}

impl<'a> Record<'a> for IdMap {
    fn split(bytes: &'a [u8]) -> Option<(IdMap, &'a [u8])> {
        let (map, rest) = bytes.split_first_chunk::<ID_MAP_LEN>()?;
        Some((IdMap::from_wire(map), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        for word in [self.inside, self.outside, self.count] {
            put(&word.to_le_bytes());
        }
    }
}

impl<'a> Record<'a> for LandlockPath<'a> {
    fn split(bytes: &'a [u8]) -> Option<(LandlockPath<'a>, &'a [u8])> {
        let (access, rest) = bytes.split_first_chunk::<8>()?;
        let (path, rest) = <&CStr>::split(rest)?;
        let access = u64::from_le_bytes(*access);
        Some((LandlockPath { access, path }, rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&self.access.to_le_bytes());
        put(self.path.to_bytes_with_nul());
    }
}

/// A [`LandlockPort`] record's length.
const LANDLOCK_PORT_LEN: usize = 10;

impl LandlockPort {
    fn from_wire(bytes: &[u8; LANDLOCK_PORT_LEN]) -> LandlockPort {
        let [a0, a1, a2, a3, a4, a5, a6, a7, p0, p1] = *bytes;
        LandlockPort {
            access: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            port: u16::from_le_bytes([p0, p1]),
        }
    }
}

impl<'a> Record<'a> for LandlockPort {
    fn split(bytes: &'a [u8]) -> Option<(LandlockPort, &'a [u8])> {
        let (port, rest) = bytes.split_first_chunk::<LANDLOCK_PORT_LEN>()?;
        Some((LandlockPort::from_wire(port), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&self.access.to_le_bytes());
        put(&self.port.to_le_bytes());
    }
}

/// Bits of a [`Mount`] record's flags byte: see the module docs.
const RECURSIVE: u8 = 1;
const SOURCE: u8 = 2;
/// The upper layer, in bits 2 and 3.
const UPPER_SHIFT: u8 = 2;
const UPPER_TMPFS: u8 = 1;
const UPPER_TMPFS_SIZE: u8 = 2;
const UPPER_DIR: u8 = 3;
/// The bits a flags byte may have.
const MOUNT_FLAGS: u8 = 0x0f;
/// The length of a [`Mount`] record's head, before its strings.
const MOUNT_HEAD_LEN: usize = 8;

/// The first `count` strings of `bytes` as a list, and the bytes after them.
fn split_strings(bytes: &[u8], count: u8) -> Option<(Strings<'_>, &[u8])> {
    let mut rest = bytes;
    for _ in 0..count {
        (_, rest) = <&CStr>::split(rest)?;
    }
    let list = List {
        bytes: bytes.get(..bytes.len() - rest.len())?,
        len: usize::from(count),
        record: PhantomData,
    };
    Some((list, rest))
}

impl<'a> Record<'a> for Mount<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Mount<'a>, &'a [u8])> {
        let (head, rest) = bytes.split_first_chunk::<MOUNT_HEAD_LEN>()?;
        let &[kind, flags, a0, a1, a2, a3, options, lower] = head;
        if flags & !MOUNT_FLAGS != 0 {
            return None;
        }
        let kind = *MountKind::ALL.get(usize::from(kind))?;
        let (target, rest) = <&CStr>::split(rest)?;
        let (source, rest) = match flags & SOURCE {
            0 => (None, rest),
            _ => <&CStr>::split(rest).map(|(source, rest)| (Some(source), rest))?,
        };
        let (options, rest) = split_strings(rest, options)?;
        let (lower, rest) = split_strings(rest, lower)?;
        let (upper, rest) = match flags >> UPPER_SHIFT {
            0 => (Upper::Sealed, rest),
            UPPER_TMPFS => (Upper::Tmpfs { size: None }, rest),
            UPPER_TMPFS_SIZE => {
                let (size, rest) = <&CStr>::split(rest)?;
                (Upper::Tmpfs { size: Some(size) }, rest)
            }
            _ => {
                let (upper, rest) = <&CStr>::split(rest)?;
                let (work, rest) = <&CStr>::split(rest)?;
                (Upper::Dir { upper, work }, rest)
            }
        };
        let mount = Mount {
            kind,
            source,
            target,
            attrs: u64::from(u32::from_le_bytes([a0, a1, a2, a3])),
            recursive: flags & RECURSIVE != 0,
            options,
            lower,
            upper,
        };
        Some((mount, rest))
    }

    /// attrs beyond 32 bits are written as all ones, and more than 255 options or layers as
    /// an unknown kind: [`decode`] refuses both.
    fn write(&self, mut put: impl FnMut(&[u8])) {
        let (Ok(options), Ok(lower)) = (
            u8::try_from(self.options.len()),
            u8::try_from(self.lower.len()),
        ) else {
            put(&[u8::MAX]);
            return;
        };
        let (upper, size, dirs) = match self.upper {
            Upper::Sealed => (0, None, None),
            Upper::Tmpfs { size: None } => (UPPER_TMPFS, None, None),
            Upper::Tmpfs { size } => (UPPER_TMPFS_SIZE, size, None),
            Upper::Dir { upper, work } => (UPPER_DIR, None, Some([upper, work])),
        };
        let recursive = if self.recursive { RECURSIVE } else { 0 };
        let source = if self.source.is_some() { SOURCE } else { 0 };
        let flags = recursive | source | upper << UPPER_SHIFT;
        let attrs = u32::try_from(self.attrs).unwrap_or(u32::MAX).to_le_bytes();
        put(&[self.kind as u8, flags]);
        put(&attrs);
        put(&[options, lower]);
        let strings = [Some(self.target), self.source];
        for string in strings.into_iter().flatten() {
            put(string.to_bytes_with_nul());
        }
        put(self.options.bytes);
        put(self.lower.bytes);
        for string in size.into_iter().chain(dirs.into_iter().flatten()) {
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
