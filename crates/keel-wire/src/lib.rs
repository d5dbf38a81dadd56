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
//!   [`MountList`], [`Services`].
//! - [`MAGIC`] starts every config; keel checks for it before calling [`decode`] on a
//!   config embedded in its binary.
//! - [`decode_for`]`(&[u8], `[`Features`]`)` is [`decode`] for a keel built without some
//!   optional parts (cargo features of the init): a section or field that needs a missing
//!   part is refused at its offset, `this keel was built without mounts`. [`decode`] is
//!   `decode_for(bytes, Features::ALL)`.
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
//! | 6 | lock | flag | once the mounts are built, keel enters a new user namespace (its ids mapped onto themselves) and mount namespace, which locks them (see `mount_namespaces(7)`) |
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
//! ## Section `0x07`: services ([`Services`])
//!
//! Present, keel runs each service beside the program: it starts a service once those its
//! `after` names are ready, restarts it by its policy with a doubling back-off, and when the
//! program exits (or keel gets its stop signal) stops the services in reverse order, each
//! with its stop signal, its grace, then SIGKILL, before the drain.
//!
//! | id | field | type | rule |
//! |---:|-------|------|------|
//! | 1 | entries | services | at most [`MAX_SERVICES`] |
//!
//! A [`Service`] record is a 26-byte head, then its parts:
//!
//! | offset | size | content |
//! |-------:|-----:|---------|
//! | 0 | 1 | flags: bit 0 critical, bits 1–2 ready ([`Ready`]: 0 started, 1 notify, 2 fd), bits 3–4 restart ([`Restart`]: 0 no, 1 on-failure, 2 always), bits 5–7 are 0 |
//! | 1 | 1 | ready fd: `3..=255` when ready is 2, else 0 |
//! | 2 | 1 | stop signal, `1..=`[`MAX_SIGNAL`] |
//! | 3 | 1 | number of after |
//! | 4 | 4 | stop_grace_ms (u32): 0 is keel's grace |
//! | 8 | 4 | ready_timeout_ms (u32): 0 is no limit |
//! | 12 | 4 | restart_delay_ms (u32): the first back-off |
//! | 16 | 4 | restart_max_ms (u32): the back-off's ceiling, at least restart_delay_ms |
//! | 20 | 4 | restart_reset_ms (u32): a run this long resets the back-off |
//! | 24 | 2 | length of the process fields (u16) |
//! | 26 | | the name with its NUL, the after (one byte each), the process fields |
//!
//! - The **name** is 1 to [`SERVICE_NAME_MAX`] bytes of `[A-Za-z0-9._-]`.
//! - **after** are indexes of earlier records, strictly increasing: the order of the records
//!   is an order to start them in, and cycles cannot be written.
//! - The **process fields** are those of section `0x01`, with the same rules and the same
//!   feature checks; `args` is required, `oom_score_adj` and `seccomp` are not allowed.
//!
//! ## Adding a section
//!
//! A new section is added this way: a table above, its ids in `id.rs`, a struct in [`Config`]
//! (`config.rs`) whose `Default` means "not configured", a function in `decode.rs` matching
//! its field ids, and one in `encode.rs` writing them in id order. Repeated items become a
//! [`List`] of a new [`Record`] type (`record.rs`), like [`Delegates`]: checked once by
//! `decode` and read by an infallible iterator. A record with parts of its own, like a
//! [`Mount`], gets a fixed head with counts, so that [`Record::split`] frames it in one pass.

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

mod check;
mod config;
mod crc;
mod decode;
mod encode;
mod features;
mod frame;
mod id;
mod limits;
mod list;
mod record;
mod service;
pub mod syntax;

// The API is flat: everything keel, keel-gen and the tools use is `keel_wire::X`, whichever
// file defines it.
pub use check::{
    check_cgroup_path, check_controller, check_id_map, check_limit_file, check_limit_value,
    check_mount_option, check_mount_target, check_overlay_size,
};
pub use config::{
    Capabilities, Cgroup, Config, Delegate, Delegates, ExitCodes, Gids, IdMap, IdMaps, Landlock,
    LandlockPath, LandlockPaths, LandlockPort, LandlockPorts, Limit, Limits, Mode, Mount,
    MountKind, MountList, Mounts, NamespaceSet, Namespaces, Process, Ready, Restart, Rlimit,
    Rlimits, SeccompFilter, Service, Services, SignalRewrites, Strings, Supervision, TimeOffsets,
    Upper, User,
};
pub use crc::crc32c;
pub use decode::{Error, decode, decode_for};
pub use encode::{EncodeError, encode, seal};
pub use features::Features;
pub use frame::{HEADER_LEN, MAGIC, MAX_LEN, OPTIONAL, VERSION};
pub use limits::{
    CAP_LAST_CAP, CONTROLLER_NAME_MAX, DEFAULT_CGROUP_ROOT, DEFAULT_LEAF, HOST_NAME_MAX, MAX_ARGS,
    MAX_CONTROLLERS, MAX_DELEGATES, MAX_ENV, MAX_GIDS, MAX_ID_MAPS, MAX_LANDLOCK_RULES, MAX_LIMITS,
    MAX_LOWER_LAYERS, MAX_MOUNT_PATHS, MAX_MOUNTS, MAX_RLIMITS, MAX_SECCOMP_INSTRUCTIONS,
    MAX_SERVICES, MAX_SIGNAL, MOUNT_OPTION_MAX, NAME_MAX, OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN,
    PATH_MAX, SERVICE_NAME_MAX,
};
pub use list::{List, Record};
