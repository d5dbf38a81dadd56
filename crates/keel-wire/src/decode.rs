//! The decoder keel runs on untrusted bytes: no allocation, no panic, no read out of bounds,
//! and every loop advances through the input, so it ends whatever the bytes are.
//!
//! It is written for size, since it is linked into keel: checks return a bare
//! `&'static str` (two registers) while `at` follows the offset being checked, and [`decode`]
//! pairs the two into an [`Error`] in one place. Offsets are positions in the input, which the
//! header check bounds by [`MAX_LEN`], so adding to them cannot overflow.

use core::ffi::CStr;
use core::marker::PhantomData;

use crate::check::{
    Check, absolute, check_cgroup_path, check_controller, check_id_map, check_limit_file,
    check_limit_value, check_mount_option, check_mount_target, check_overlay_size,
};
use crate::config::{
    Capabilities, Cgroup, Config, ExitCodes, IdMap, IdMaps, Landlock, LandlockPath, LandlockPort,
    Mode, Mount, MountKind, MountList, Mounts, NamespaceSet, Namespaces, Process, Ready, Restart,
    Rlimit, Rlimits, SeccompFilter, Service, Services, SignalRewrites, Strings, Supervision, Upper,
    User,
};
use crate::crc::crc32c;
use crate::features::Features;
use crate::frame::{ENTRY_HEADER_LEN, HEADER_LEN, MAGIC, MAX_LEN, OPTIONAL, VERSION};
use crate::id;
use crate::limits::{
    HOST_NAME_MAX, MAX_ARGS, MAX_CONTROLLERS, MAX_DELEGATES, MAX_ENV, MAX_GIDS, MAX_ID_MAPS,
    MAX_LANDLOCK_RULES, MAX_LIMITS, MAX_LOWER_LAYERS, MAX_MOUNT_PATHS, MAX_MOUNTS, MAX_RLIMITS,
    MAX_SECCOMP_INSTRUCTIONS, MAX_SERVICES, MAX_SIGNAL, OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN,
    SERVICE_NAME_MAX,
};
use crate::list::{List, Record};
use crate::record::{LANDLOCK_PORT_LEN, MOUNT_HEAD_LEN, SERVICE_HEAD_LEN, delegate_head_len};

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

/// Decodes and checks a whole config; see the module docs for the format and the rules.
///
/// Bytes after the config's length must be zero, so keel can pass its whole embedded section.
pub fn decode(bytes: &[u8]) -> Result<Config<'_>, Error> {
    decode_for(bytes, Features::ALL)
}

/// [`decode`] for a keel `built` with only some of the optional parts: a section or field
/// that needs another part is refused at its offset ("this keel was built without mounts").
/// keel passes its own set as a constant, so the decoders of the sections it lacks are
/// dead code the linker drops.
pub fn decode_for(bytes: &[u8], built: Features) -> Result<Config<'_>, Error> {
    let mut config = Config::default();
    let mut at = 0;
    match decode_into(bytes, &mut at, &mut config, built) {
        Ok(()) => Ok(config),
        Err(what) => Err(Error {
            offset: u32::try_from(at).unwrap_or(u32::MAX),
            what,
        }),
    }
}

// `decode_into` and the section functions stay out of line: inlined, LLVM duplicates parts
// of them and keel grows by ~700 bytes (measured with rustc 1.95, opt-level "z").
#[inline(never)]
fn decode_into<'a>(
    bytes: &'a [u8],
    at: &mut usize,
    config: &mut Config<'a>,
    built: Features,
) -> Check {
    let mut sections = Entries {
        rest: body(bytes, at)?,
        offset: HEADER_LEN,
        next_id: 0,
    };
    while let Some(section) = sections.next(at)? {
        if let Some(part) = section_part(section.id) {
            require(built, part, at)?;
        }
        match section.id {
            id::PROCESS => process(&section, at, &mut config.process, built)?,
            id::SUPERVISION => supervision(&section, at, &mut config.supervision, built)?,
            id::CGROUP => cgroup(&section, at, config.cgroup.insert(Cgroup::default()))?,
            id::NAMESPACES => {
                let namespaces = config.namespaces.insert(Namespaces::default());
                self::namespaces(&section, at, namespaces)?
            }
            id::MOUNTS => {
                let mounts = config.mounts.insert(Mounts::default());
                self::mounts(&section, at, mounts, built)?
            }
            id::LANDLOCK => landlock(&section, at, config.landlock.insert(Landlock::default()))?,
            id::SERVICES => services(&section, at, &mut config.services, built)?,
            _ => skip_unknown(section.id, at)?,
        }
    }
    Ok(())
}

/// The optional part of keel a section needs, if any.
fn section_part(id: u8) -> Option<Features> {
    match id {
        id::CGROUP => Some(Features::CGROUP),
        id::NAMESPACES => Some(Features::NAMESPACES),
        id::MOUNTS => Some(Features::MOUNTS),
        id::LANDLOCK => Some(Features::LANDLOCK),
        id::SERVICES => Some(Features::SERVICES),
        _ => None,
    }
}

/// Ok when keel was `built` with `part`; else the error, at the start of the entry whose
/// payload `at` is on.
fn require(built: Features, part: Features, at: &mut usize) -> Check {
    built.require(part).inspect_err(|_| *at -= ENTRY_HEADER_LEN)
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

fn flag(payload: &[u8]) -> Check<bool> {
    match payload {
        [] => Ok(true),
        _ => Err("flag must be empty"),
    }
}

fn bool(payload: &[u8]) -> Check<bool> {
    match byte(payload)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err("bool must be 0 or 1"),
    }
}

fn word(payload: &[u8]) -> Check<u32> {
    let word = payload.try_into().map_err(|_| "expected 4 bytes")?;
    Ok(u32::from_le_bytes(word))
}

fn signal(payload: &[u8]) -> Check<u8> {
    match byte(payload)? {
        signal @ 1..=MAX_SIGNAL => Ok(signal),
        _ => Err("signal must be 1..=64"),
    }
}

/// A list field as data: how many records it may hold, how they are framed and what their
/// strings must look like. Data rather than an enum matched in [`records`], so each check is
/// reachable only from the section that uses it and a keel built without that section links
/// neither the check nor its messages.
struct ListField {
    max: usize,
    too_many: &'static str,
    /// Strings per record: 3 for a limit, 1 otherwise.
    strings: usize,
    /// Whether each record starts with a delegate's head, which `delegate_head_len` measures.
    delegate_head: bool,
    /// Checks string `part` of the record numbered `index`.
    check: fn(index: usize, part: usize, s: &[u8]) -> Check,
}

impl ListField {
    /// A field of one string per record.
    const fn strings(max: usize, too_many: &'static str, check: StringCheck) -> ListField {
        ListField {
            max,
            too_many,
            strings: 1,
            delegate_head: false,
            check,
        }
    }

    const ARGS: ListField =
        ListField::strings(MAX_ARGS, "args: more than 256", |index, _, s| {
            match (index, s) {
                (0, []) => Err("args: empty program"),
                _ => Ok(()),
            }
        });
    const ENV_SET: ListField = ListField::strings(MAX_ENV, "env_set: more than 1024", |_, _, s| {
        // A plain loop: `contains` would link memchr's word-at-a-time code into keel.
        match s.iter().position(|&b| b == b'=') {
            Some(1..) => Ok(()),
            _ => Err("env_set entry must be KEY=VALUE"),
        }
    });
    const ENV_UNSET: ListField =
        ListField::strings(MAX_ENV, "env_unset: more than 1024", |_, _, s| {
            match s.iter().position(|&b| b == b'=') {
                None if !s.is_empty() => Ok(()),
                _ => Err("env_unset entry must be a KEY"),
            }
        });
    const CWD: ListField =
        ListField::strings(1, ONE_PATH, |_, _, s| absolute(s, "cwd must be absolute"));
    const CGROUP_ROOT: ListField = ListField::strings(1, ONE_PATH, |_, _, s| {
        absolute(s, "cgroup root must be absolute")
    });
    /// The leaf and the workload's cgroup.
    const CGROUP_PATH: ListField = ListField::strings(1, ONE_PATH, |_, _, s| check_cgroup_path(s));
    /// The required and the optional controllers.
    const CONTROLLERS: ListField =
        ListField::strings(MAX_CONTROLLERS, "more than 32 controllers", |_, _, s| {
            check_controller(s)
        });
    const DELEGATES: ListField = ListField {
        delegate_head: true,
        ..ListField::strings(MAX_DELEGATES, "more than 64 delegates", |_, _, s| {
            check_cgroup_path(s)
        })
    };
    /// A limit: the cgroup's path, the limit file, the value.
    const LIMITS: ListField = ListField {
        strings: 3,
        ..ListField::strings(
            MAX_LIMITS,
            "more than 256 limits",
            |_, part, s| match part {
                0 => check_cgroup_path(s),
                1 => check_limit_file(s),
                _ => check_limit_value(s),
            },
        )
    };
    const UTS_NAME: ListField =
        ListField::strings(1, "more than one name", |_, _, s| match s.len() {
            1..=HOST_NAME_MAX => Ok(()),
            _ => Err("host and domain names are 1 to 64 bytes"),
        });
    const MOUNT_ROOT: ListField = ListField::strings(1, ONE_PATH, |_, _, s| {
        absolute(s, "mount root must be absolute")
    });
    const MASKED: ListField =
        ListField::strings(MAX_MOUNT_PATHS, "more than 64 masked paths", |_, _, s| {
            absolute(s, "masked path must be absolute")
        });
    const READONLY: ListField = ListField::strings(
        MAX_MOUNT_PATHS,
        "more than 64 read-only paths",
        |_, _, s| absolute(s, "read-only path must be absolute"),
    );
}

/// The check of one string of a list field's record: `(index, part, string)`.
type StringCheck = fn(usize, usize, &[u8]) -> Check;

const ONE_PATH: &str = "more than one path";

/// Checks a list field record by record, moving `at` along. Its framing must be the one
/// `Record::split` reads for `T`: strings (3 for a limit, 1 otherwise) after, for a
/// delegate, the head `delegate_head_len` measures.
fn list<'a, T>(payload: &'a [u8], at: &mut usize, field: &ListField) -> Check<List<'a, T>> {
    Ok(List {
        bytes: payload,
        len: records(payload, at, field)?,
        record: PhantomData,
    })
}

/// The non-generic part of [`list`]: the number of records.
#[inline(never)]
fn records(payload: &[u8], at: &mut usize, field: &ListField) -> Check<usize> {
    let mut len = 0;
    let mut rest = payload;
    while !rest.is_empty() {
        if len == field.max {
            return Err(field.too_many);
        }
        if field.delegate_head {
            let head = rest.first().and_then(|&flags| delegate_head_len(flags));
            let Some(tail) = head.and_then(|head| rest.get(head..)) else {
                return Err("delegate must be flags 0..=3, the owner if bit 1, a path");
            };
            *at += rest.len() - tail.len();
            rest = tail;
        }
        for part in 0..field.strings {
            let nul = rest.iter().position(|&b| b == 0);
            let Some((text, tail)) = nul.and_then(|nul| rest.split_at_checked(nul)) else {
                *at += rest.len();
                return Err("string lacks its NUL");
            };
            (field.check)(len, part, text)?;
            *at += text.len() + 1;
            rest = tail.get(1..).unwrap_or_default();
        }
        len += 1;
    }
    Ok(len)
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
fn process<'a>(
    section: &Entry<'a>,
    at: &mut usize,
    process: &mut Process<'a>,
    built: Features,
) -> Check {
    use id::process::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        match field.id {
            USER | CAPABILITIES | RLIMITS | UMASK | OOM_SCORE_ADJ => {
                require(built, Features::SECURITY, at)?
            }
            SECCOMP => require(built, Features::SECCOMP, at)?,
            _ => {}
        }
        match field.id {
            ARGS => process.args = list(field.payload, at, &ListField::ARGS)?,
            ENV_CLEAR => process.env_clear = flag(field.payload)?,
            ENV_SET => process.env_set = list(field.payload, at, &ListField::ENV_SET)?,
            ENV_UNSET => process.env_unset = list(field.payload, at, &ListField::ENV_UNSET)?,
            CWD => process.cwd = path(field.payload, at, &ListField::CWD)?,
            USER => process.user = Some(user(field.payload, at)?),
            NO_NEW_PRIVILEGES => process.no_new_privileges = flag(field.payload)?,
            CAPABILITIES => process.capabilities = Some(capabilities(field.payload)?),
            RLIMITS => process.rlimits = rlimits(field.payload, at)?,
            UMASK => match word(field.payload)? {
                umask @ 0..=0o777 => process.umask = Some(umask),
                _ => return Err("umask must be 0..=0o777"),
            },
            OOM_SCORE_ADJ => match word(field.payload)?.cast_signed() {
                adj @ OOM_SCORE_ADJ_MIN..=OOM_SCORE_ADJ_MAX => process.oom_score_adj = Some(adj),
                _ => return Err("oom_score_adj must be -1000..=1000"),
            },
            SECCOMP => process.seccomp = Some(seccomp(field.payload, at)?),
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

/// The uid and the gid, then the additional gids.
fn user<'a>(payload: &'a [u8], at: &mut usize) -> Check<User<'a>> {
    const FRAMING: &str = "user must be a uid, a gid and gids, 4 bytes each";
    let ids = u32::split(payload).and_then(|(uid, rest)| Some((uid, u32::split(rest)?)));
    let Some((uid, (gid, gids))) = ids else {
        return Err(FRAMING);
    };
    *at += 8;
    let additional_gids = fixed(gids, at, FRAMING, |index, _: &[u8; 4]| match index {
        MAX_GIDS => Err("more than 64 additional gids"),
        _ => Ok(()),
    })?;
    Ok(User {
        uid,
        gid,
        additional_gids,
    })
}

/// The five sets, checked as `capset` and `PR_CAP_AMBIENT_RAISE` would.
fn capabilities(payload: &[u8]) -> Check<Capabilities> {
    let (&[b, e, p, i, a], []) = payload.as_chunks::<8>() else {
        return Err("capabilities must be 5 sets of 8 bytes");
    };
    let caps = Capabilities {
        bounding: u64::from_le_bytes(b),
        effective: u64::from_le_bytes(e),
        permitted: u64::from_le_bytes(p),
        inheritable: u64::from_le_bytes(i),
        ambient: u64::from_le_bytes(a),
    };
    let all = caps.bounding | caps.effective | caps.permitted | caps.inheritable | caps.ambient;
    if all & !Capabilities::ALL != 0 {
        return Err("capability above 40 (CAP_LAST_CAP)");
    }
    if caps.effective & !caps.permitted != 0 {
        return Err("effective capabilities must be permitted");
    }
    if caps.ambient & !(caps.permitted & caps.inheritable) != 0 {
        return Err("ambient capabilities must be permitted and inheritable");
    }
    Ok(caps)
}

/// The filter's flags, then 1 to [`MAX_SECCOMP_INSTRUCTIONS`] whole instructions.
fn seccomp<'a>(payload: &'a [u8], at: &mut usize) -> Check<SeccompFilter<'a>> {
    let Some((flags, program)) = payload.split_first_chunk::<4>() else {
        return Err("seccomp must be flags (4 bytes) and instructions");
    };
    let flags = u32::from_le_bytes(*flags);
    if flags & !SeccompFilter::FLAGS != 0 {
        return Err("seccomp flags must be TSYNC, LOG or SPEC_ALLOW");
    }
    *at += 4;
    let filter = SeccompFilter { flags, program };
    if program.len() % SeccompFilter::INSTRUCTION_LEN != 0 {
        return Err("seccomp instructions are 8 bytes each");
    }
    if !(1..=MAX_SECCOMP_INSTRUCTIONS).contains(&filter.instructions()) {
        return Err("seccomp filter must have 1 to 4096 instructions");
    }
    Ok(filter)
}

/// Rlimit records: each resource known and once, soft at most hard.
fn rlimits<'a>(payload: &'a [u8], at: &mut usize) -> Check<Rlimits<'a>> {
    let mut seen = 0u16;
    fixed(
        payload,
        at,
        "rlimits must be 17-byte records",
        |_, record| {
            let rlimit = Rlimit::from_wire(record);
            if usize::from(rlimit.resource) >= MAX_RLIMITS {
                return Err("rlimit resource must be 0..=15");
            }
            let bit = 1 << rlimit.resource;
            if seen & bit != 0 {
                return Err("rlimit resource repeated");
            }
            seen |= bit;
            if rlimit.soft > rlimit.hard {
                return Err("rlimit soft limit above hard");
            }
            Ok(())
        },
    )
}

#[inline(never)]
fn supervision<'a>(
    section: &Entry<'a>,
    at: &mut usize,
    supervision: &mut Supervision<'a>,
    built: Features,
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
            GRACE_MS => supervision.grace_ms = Some(word(payload)?),
            REWRITE => supervision.rewrite = rewrites(payload, at)?,
            VERBOSITY => supervision.verbosity = Some(byte(payload)?),
            WARN_ON_REAP => supervision.warn_on_reap = Some(bool(payload)?),
            PARENT_DEATH_SIGNAL => supervision.parent_death_signal = Some(signal(payload)?),
            SEAL_EXE => {
                let seal = bool(payload)?;
                if seal {
                    require(built, Features::SEAL, at)?;
                }
                supervision.seal_exe = Some(seal);
            }
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

#[inline(never)]
fn cgroup<'a>(section: &Entry<'a>, at: &mut usize, cgroup: &mut Cgroup<'a>) -> Check {
    use id::cgroup::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        let payload = field.payload;
        match field.id {
            ROOT => cgroup.root = path(payload, at, &ListField::CGROUP_ROOT)?,
            MOUNT => cgroup.mount = flag(payload)?,
            LEAF => cgroup.leaf = path(payload, at, &ListField::CGROUP_PATH)?,
            CONTROLLERS => cgroup.controllers = list(payload, at, &ListField::CONTROLLERS)?,
            OPTIONAL => cgroup.optional = list(payload, at, &ListField::CONTROLLERS)?,
            DELEGATES => cgroup.delegates = list(payload, at, &ListField::DELEGATES)?,
            LIMITS => cgroup.limits = list(payload, at, &ListField::LIMITS)?,
            WORKLOAD => cgroup.workload = path(payload, at, &ListField::CGROUP_PATH)?,
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

#[inline(never)]
fn namespaces<'a>(section: &Entry<'a>, at: &mut usize, ns: &mut Namespaces<'a>) -> Check {
    use id::namespaces::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        let payload = field.payload;
        // Ids increase, so unshare is known before the fields that need a namespace.
        let needs = match field.id {
            UID_MAP | GID_MAP | SETGROUPS_DENY => Some((
                NamespaceSet::USER,
                "uid_map, gid_map and setgroups need the user namespace",
            )),
            HOSTNAME | DOMAINNAME => Some((
                NamespaceSet::UTS,
                "hostname and domainname need the uts namespace",
            )),
            MONOTONIC_OFFSET | BOOTTIME_OFFSET => {
                Some((NamespaceSet::TIME, "time offsets need the time namespace"))
            }
            _ => None,
        };
        if let Some((namespace, missing)) = needs
            && !ns.unshare.contains(namespace)
        {
            return Err(missing);
        }
        match field.id {
            UNSHARE => {
                let set = word(payload)?;
                if set & !NamespaceSet::ALL != 0 {
                    return Err("unshare has bits of no namespace");
                }
                ns.unshare = NamespaceSet(set);
            }
            // One call for each pair of fields of a type: smaller than one per field.
            UID_MAP | GID_MAP => {
                let maps = id_maps(payload, at)?;
                match field.id {
                    UID_MAP => ns.uid_map = maps,
                    _ => ns.gid_map = maps,
                }
            }
            SETGROUPS_DENY => ns.setgroups_deny = flag(payload)?,
            HOSTNAME | DOMAINNAME => {
                let name = path(payload, at, &ListField::UTS_NAME)?;
                match field.id {
                    HOSTNAME => ns.hostname = name,
                    _ => ns.domainname = name,
                }
            }
            MONOTONIC_OFFSET | BOOTTIME_OFFSET => {
                let offset = Some(time_offset(payload, at)?);
                match field.id {
                    MONOTONIC_OFFSET => ns.time_offsets.monotonic = offset,
                    _ => ns.time_offsets.boottime = offset,
                }
            }
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

fn id_maps<'a>(payload: &'a [u8], at: &mut usize) -> Check<IdMaps<'a>> {
    fixed(
        payload,
        at,
        "id maps must be 12-byte records",
        |index, map| match index {
            MAX_ID_MAPS => Err("more than 340 id maps"),
            _ => check_id_map(IdMap::from_wire(map)),
        },
    )
}

/// A list of `N`-byte records (`framing` says so when the payload is not whole records),
/// each passed to `check` with its index, `at` on it.
fn fixed<'a, T, const N: usize>(
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

/// Seconds (i64) and nanoseconds (u32), below 10⁹.
fn time_offset(payload: &[u8], at: &mut usize) -> Check<(i64, u32)> {
    let offset = payload.split_first_chunk::<8>().and_then(|(secs, nanos)| {
        let nanos = nanos.try_into().ok()?;
        Some((i64::from_le_bytes(*secs), u32::from_le_bytes(nanos)))
    });
    let Some((secs, nanos)) = offset else {
        return Err("time offset must be 12 bytes");
    };
    if nanos >= 1_000_000_000 {
        *at += 8;
        return Err("time offset nanoseconds must be below 10^9");
    }
    Ok((secs, nanos))
}

#[inline(never)]
fn landlock<'a>(section: &Entry<'a>, at: &mut usize, landlock: &mut Landlock<'a>) -> Check {
    use id::landlock::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        let payload = field.payload;
        match field.id {
            REQUIRED => landlock.required = flag(payload)?,
            HANDLED_FS => landlock.handled_fs = bits(payload, Landlock::FS_ALL)?,
            HANDLED_NET => landlock.handled_net = bits(payload, Landlock::NET_ALL)?,
            SCOPED => landlock.scoped = bits(payload, Landlock::SCOPE_ALL)?,
            PATHS => landlock.paths = landlock_paths(payload, at, landlock.handled_fs)?,
            PORTS => {
                let handled = landlock.handled_net;
                landlock.ports = fixed(
                    payload,
                    at,
                    "landlock ports must be 10-byte records",
                    |index, record: &[u8; LANDLOCK_PORT_LEN]| {
                        if index == MAX_LANDLOCK_RULES {
                            return Err("more than 256 landlock ports");
                        }
                        access(LandlockPort::from_wire(record).access, handled)
                    },
                )?
            }
            _ => skip_unknown(field.id, at)?,
        }
    }
    if landlock.handled_fs | landlock.handled_net | landlock.scoped == 0 {
        *at = section.offset;
        return Err("landlock handles no right");
    }
    Ok(())
}

/// A u64 bit set within `known`.
fn bits(payload: &[u8], known: u64) -> Check<u64> {
    let bits = u64::from_le_bytes(payload.try_into().map_err(|_| "expected 8 bytes")?);
    match bits & !known {
        0 => Ok(bits),
        _ => Err("unknown landlock right"),
    }
}

/// A rule's rights: not empty, and within the rights the ruleset handles.
fn access(access: u64, handled: u64) -> Check {
    match access {
        0 => Err("landlock rule grants nothing"),
        _ if access & !handled != 0 => Err("landlock rule grants a right not handled"),
        _ => Ok(()),
    }
}

/// Landlock path records: rights within `handled`, absolute paths.
fn landlock_paths<'a>(
    payload: &'a [u8],
    at: &mut usize,
    handled: u64,
) -> Check<List<'a, LandlockPath<'a>>> {
    let mut len = 0;
    let mut rest = payload;
    while !rest.is_empty() {
        if len == MAX_LANDLOCK_RULES {
            return Err("more than 256 landlock paths");
        }
        let Some((rule, tail)) = LandlockPath::split(rest) else {
            return Err("landlock path must be rights (8 bytes) and a path with its NUL");
        };
        access(rule.access, handled)?;
        *at += 8;
        absolute(rule.path.to_bytes(), "landlock path must be absolute")?;
        *at += rule.path.count_bytes() + 1;
        rest = tail;
        len += 1;
    }
    Ok(List {
        bytes: payload,
        len,
        record: PhantomData,
    })
}

#[inline(never)]
fn mounts<'a>(
    section: &Entry<'a>,
    at: &mut usize,
    mounts: &mut Mounts<'a>,
    built: Features,
) -> Check {
    use id::mounts::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        let payload = field.payload;
        match field.id {
            ROOT => mounts.root = path(payload, at, &ListField::MOUNT_ROOT)?,
            ENTRIES => mounts.entries = mount_list(payload, at)?,
            MASKED => mounts.masked = list(payload, at, &ListField::MASKED)?,
            READONLY => mounts.readonly = list(payload, at, &ListField::READONLY)?,
            ROOT_READONLY if mounts.root.is_none() => return Err("root_readonly needs a root"),
            ROOT_READONLY => mounts.root_readonly = flag(payload)?,
            // Locking is a user and a mount namespace of keel's.
            LOCK => {
                require(built, Features::NAMESPACES, at)?;
                mounts.lock = flag(payload)?
            }
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

/// Mount records, framed by `Mount::split` and checked by [`check_mount`].
fn mount_list<'a>(payload: &'a [u8], at: &mut usize) -> Check<MountList<'a>> {
    let mut len = 0;
    let mut rest = payload;
    while !rest.is_empty() {
        if len == MAX_MOUNTS {
            return Err("more than 256 mounts");
        }
        let Some((mount, tail)) = Mount::split(rest) else {
            return Err("mount must be kind 0..=8, flags 0..=15, attrs, 2 counts, its strings");
        };
        let strings = rest.get(MOUNT_HEAD_LEN..rest.len() - tail.len());
        check_mount(&mount, strings.unwrap_or_default(), at)?;
        rest = tail;
        len += 1;
    }
    Ok(List {
        bytes: payload,
        len,
        record: PhantomData,
    })
}

/// Checks a mount with `at` on its head, then its `strings` one by one, in the order they
/// are written (see the module docs), moving `at` past each.
fn check_mount(mount: &Mount<'_>, strings: &[u8], at: &mut usize) -> Check {
    const ATIME_MODES: u64 = Mount::NOATIME | Mount::STRICTATIME;
    let bind = mount.kind == MountKind::Bind;
    let overlay = mount.kind == MountKind::Overlay;
    if mount.source.is_some() != bind {
        return Err("a bind mount needs a source, and only it has one");
    }
    if mount.recursive && !bind {
        return Err("only a bind mount is recursive");
    }
    if !mount.options.is_empty() && (bind || overlay) {
        return Err("bind and overlay mounts take no options");
    }
    if overlay && !matches!(mount.lower.len(), 1..=MAX_LOWER_LAYERS) {
        return Err("an overlay has 1 to 15 lower layers");
    }
    if !overlay && (!mount.lower.is_empty() || !matches!(mount.upper, Upper::Sealed)) {
        return Err("only an overlay has layers");
    }
    if mount.attrs & !Mount::ATTRS != 0 {
        return Err("mount attrs has unknown bits");
    }
    if mount.attrs & ATIME_MODES == ATIME_MODES {
        return Err("mount attrs has two atime modes");
    }
    *at += MOUNT_HEAD_LEN;
    // Where each part starts, counted in strings: the target is string 0.
    let options = 1 + usize::from(bind);
    let lower = options + mount.options.len();
    let upper = lower + mount.lower.len();
    let (mut index, mut rest) = (0, strings);
    while let Some((string, tail)) = <&CStr>::split(rest) {
        let s = string.to_bytes();
        // One call of each check, with the message picked first: smaller than a call each.
        let relative = if index < options {
            "bind source must be absolute"
        } else if index < upper {
            "overlay layer must be absolute"
        } else {
            "overlay upper and work must be absolute"
        };
        let checked = if index == 0 {
            check_mount_target(s)
        } else if (options..lower).contains(&index) {
            check_mount_option(s)
        } else if index >= upper && matches!(mount.upper, Upper::Tmpfs { .. }) {
            check_overlay_size(s)
        } else {
            absolute(s, relative)
        };
        checked?;
        *at += s.len() + 1;
        (index, rest) = (index + 1, tail);
    }
    Ok(())
}

/// A strings field of at most one path.
fn path<'a>(payload: &'a [u8], at: &mut usize, field: &ListField) -> Check<Option<&'a CStr>> {
    let strings: Strings<'a> = list(payload, at, field)?;
    Ok(strings.iter().next())
}

#[inline(never)]
fn services<'a>(
    section: &Entry<'a>,
    at: &mut usize,
    services: &mut Services<'a>,
    built: Features,
) -> Check {
    use id::services::*;
    let mut fields = section.fields();
    while let Some(field) = fields.next(at)? {
        match field.id {
            ENTRIES => *services = service_list(field.payload, at, built)?,
            _ => skip_unknown(field.id, at)?,
        }
    }
    Ok(())
}

/// Service records, each checked by [`service`].
fn service_list<'a>(payload: &'a [u8], at: &mut usize, built: Features) -> Check<Services<'a>> {
    let mut len = 0;
    let mut rest = payload;
    while !rest.is_empty() {
        if len == MAX_SERVICES {
            return Err("more than 32 services");
        }
        (_, rest) = service(rest, len, at, built)?;
        len += 1;
    }
    Ok(List {
        bytes: payload,
        len,
        record: PhantomData,
    })
}

/// The service record at the start of `bytes`, the one numbered `index` (its `after` may
/// name only earlier ones), checked with `at` on its head, and the bytes after it.
pub(crate) fn service<'a>(
    bytes: &'a [u8],
    index: usize,
    at: &mut usize,
    built: Features,
) -> Check<(Service<'a>, &'a [u8])> {
    let Some((head, rest)) = bytes.split_first_chunk::<SERVICE_HEAD_LEN>() else {
        return Err("service must be a 26-byte head, a name, its after and its process");
    };
    let &[flags, fd, stop_signal, after, ref times @ .., p0, p1] = head;
    let (words, _) = times.as_chunks::<4>();
    let &[grace, timeout, delay, max, reset] = words else {
        return Err("service head is 26 bytes");
    };
    let ready = match (flags >> 1 & 3, fd) {
        (0, 0) => Ready::Started,
        (1, 0) => Ready::Notify,
        (2, 3..) => Ready::Fd(fd),
        _ => return Err("service ready must be 0 or 1 with fd 0, or 2 with fd 3..=255"),
    };
    let restart = match flags >> 3 {
        0 => Restart::No,
        1 => Restart::OnFailure,
        2 => Restart::Always,
        _ => return Err("service restart must be 0..=2, the flags' bits 5-7 0"),
    };
    *at += 2;
    let stop_signal = signal(&[stop_signal])?;
    let service = |name, after, process| Service {
        name,
        process,
        after,
        ready,
        restart,
        critical: flags & 1 != 0,
        stop_signal,
        stop_grace_ms: u32::from_le_bytes(grace),
        ready_timeout_ms: u32::from_le_bytes(timeout),
        restart_delay_ms: u32::from_le_bytes(delay),
        restart_max_ms: u32::from_le_bytes(max),
        restart_reset_ms: u32::from_le_bytes(reset),
    };
    *at += 14;
    if u32::from_le_bytes(delay) > u32::from_le_bytes(max) {
        return Err("service restart_max_ms must be at least restart_delay_ms");
    }
    *at += 10;
    let Some((name, rest)) = <&CStr>::split(rest) else {
        return Err("service name lacks its NUL");
    };
    let valid = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    if !(1..=SERVICE_NAME_MAX).contains(&name.count_bytes()) || !name.to_bytes().iter().all(valid) {
        return Err("service name must be 1 to 32 of A-Z a-z 0-9 . _ -");
    }
    *at += name.count_bytes() + 1;
    let Some((after, rest)) = rest.split_at_checked(usize::from(after)) else {
        return Err("service after overruns the services");
    };
    let mut next = 0;
    for &earlier in after {
        if earlier < next || usize::from(earlier) >= index {
            return Err("service after must name earlier services, increasing");
        }
        next = earlier + 1;
        *at += 1;
    }
    let Some((payload, rest)) = rest.split_at_checked(usize::from(u16::from_le_bytes([p0, p1])))
    else {
        return Err("service process overruns the services");
    };
    let fields = Entry {
        id: id::PROCESS,
        offset: *at,
        payload,
    };
    let mut process_settings = Process::default();
    process(&fields, at, &mut process_settings, built)?;
    *at = fields.offset;
    if process_settings.args.is_empty() {
        return Err("service needs args");
    }
    if process_settings.oom_score_adj.is_some() || process_settings.seccomp.is_some() {
        return Err("a service takes no oom_score_adj and no seccomp");
    }
    *at += payload.len();
    let after = List {
        bytes: after,
        len: after.len(),
        record: PhantomData,
    };
    Ok((service(name, after, process_settings), rest))
}
