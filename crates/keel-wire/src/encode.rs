//! The encoder shared by keel-gen, the tests and the fuzzer. It writes into the caller's
//! buffer and leaves every rule to [`decode`], which it runs on its own output: the format's
//! rules are written once, and nothing the encoder returns can be refused by keel.

use core::ffi::CStr;

use crate::config::{
    Cgroup, Config, Landlock, Mounts, Namespaces, Process, Ready, Restart, Service, Supervision,
};
use crate::crc::crc32c;
use crate::decode::{Error, decode};
use crate::frame::{ENTRY_HEADER_LEN, HEADER_LEN, MAGIC, VERSION};
use crate::id;
use crate::list::List;

/// Why [`encode`] produced no config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The buffer is too small: the config needs `needed` bytes.
    BufferTooSmall {
        /// Size of the encoded config.
        needed: usize,
    },
    /// The config breaks a rule of the format (a limit, a range, a relative cwd…). The
    /// offset is in the encoded bytes.
    Invalid(Error),
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => {
                write!(f, "the config needs {needed} bytes, more than the buffer")
            }
            EncodeError::Invalid(error) => write!(f, "invalid config: {error}"),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Encodes `config` into the start of `out` and returns its length.
///
/// Absent fields and sections with no field (but `Some` cgroup, namespaces and mounts
/// sections) are left out, so every [`Config`] has one encoding, and decoding it gives back
/// an equal [`Config`].
pub fn encode(config: &Config<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
    let mut writer = Writer {
        out: &mut *out,
        len: HEADER_LEN,
    };
    writer.process(&config.process);
    writer.supervision(&config.supervision);
    if let Some(cgroup) = &config.cgroup {
        writer.cgroup(cgroup);
    }
    if let Some(namespaces) = &config.namespaces {
        writer.namespaces(namespaces);
    }
    if let Some(mounts) = &config.mounts {
        writer.mounts(mounts);
    }
    if let Some(landlock) = &config.landlock {
        writer.landlock(landlock);
    }
    let start = writer.begin(id::SERVICES);
    writer.list_field(id::services::ENTRIES, config.services);
    writer.finish_section(start);
    let needed = writer.len;
    let encoded = out
        .get_mut(..needed)
        .ok_or(EncodeError::BufferTooSmall { needed })?;
    seal(encoded);
    decode(encoded).map_err(EncodeError::Invalid)?;
    Ok(needed)
}

/// Writes the header for a config that is all of `config`: the body must follow the
/// [`HEADER_LEN`] bytes reserved for the header. A slice shorter than that is left alone.
///
/// [`encode`] calls it; fuzzers call it on arbitrary bodies so that their mutations reach the
/// section parser instead of failing the checksum.
pub fn seal(config: &mut [u8]) {
    let length = u32::try_from(config.len()).unwrap_or(u32::MAX);
    let checksum = crc32c(config.get(HEADER_LEN..).unwrap_or_default());
    let (words, _) = config.as_chunks_mut::<4>();
    if let Some([magic, version, len, crc]) = words.first_chunk_mut::<4>() {
        *magic = MAGIC;
        *version = VERSION.to_le_bytes();
        *len = length.to_le_bytes();
        *crc = checksum.to_le_bytes();
    }
}

/// Appends entries to the buffer, counting the bytes that do not fit so that [`encode`] can
/// report the size needed.
struct Writer<'b> {
    out: &'b mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    /// Starts an entry; returns where its payload starts.
    fn begin(&mut self, id: u8) -> usize {
        self.put(&[id, 0, 0]);
        self.len
    }

    /// Writes the length of the entry whose payload started at `start`. A payload too long
    /// for its 2-byte length makes the config longer than `MAX_LEN`, which `decode` refuses,
    /// so the saturated length is never read.
    fn finish(&mut self, start: usize) {
        let len = u16::try_from(self.len - start).unwrap_or(u16::MAX);
        // The length is the last 2 bytes before the payload.
        if let Some(dst) = self.out.get_mut(start - 2..start) {
            dst.copy_from_slice(&len.to_le_bytes());
        }
    }

    /// Finishes a section, or removes it if it has no field: absent means default.
    fn finish_section(&mut self, start: usize) {
        if self.len == start {
            self.len = start - ENTRY_HEADER_LEN;
        } else {
            self.finish(start);
        }
    }

    fn field(&mut self, id: u8, payload: &[u8]) {
        let start = self.begin(id);
        self.put(payload);
        self.finish(start);
    }

    fn byte_field(&mut self, id: u8, value: Option<u8>) {
        if let Some(byte) = value {
            self.field(id, &[byte]);
        }
    }

    fn flag_field(&mut self, id: u8, value: bool) {
        if value {
            self.field(id, &[]);
        }
    }

    fn word_field(&mut self, id: u8, value: Option<u32>) {
        if let Some(word) = value {
            self.field(id, &word.to_le_bytes());
        }
    }

    fn list_field<T>(&mut self, id: u8, list: List<'_, T>) {
        if list.len != 0 {
            self.field(id, list.bytes);
        }
    }

    fn time_offset_field(&mut self, id: u8, offset: Option<(i64, u32)>) {
        if let Some((secs, nanos)) = offset {
            let start = self.begin(id);
            self.put(&secs.to_le_bytes());
            self.put(&nanos.to_le_bytes());
            self.finish(start);
        }
    }

    /// A strings field of at most one path.
    fn path_field(&mut self, id: u8, path: Option<&CStr>) {
        if let Some(path) = path {
            self.field(id, path.to_bytes_with_nul());
        }
    }

    fn process(&mut self, process: &Process<'_>) {
        let start = self.begin(id::PROCESS);
        self.process_fields(process);
        self.finish_section(start);
    }

    /// The fields of a process section, also a service's.
    fn process_fields(&mut self, process: &Process<'_>) {
        use id::process::*;
        self.list_field(ARGS, process.args);
        self.flag_field(ENV_CLEAR, process.env_clear);
        self.list_field(ENV_SET, process.env_set);
        self.list_field(ENV_UNSET, process.env_unset);
        self.path_field(CWD, process.cwd);
        if let Some(user) = &process.user {
            let start = self.begin(USER);
            self.put(&user.uid.to_le_bytes());
            self.put(&user.gid.to_le_bytes());
            self.put(user.additional_gids.bytes);
            self.finish(start);
        }
        self.flag_field(NO_NEW_PRIVILEGES, process.no_new_privileges);
        if let Some(caps) = &process.capabilities {
            let start = self.begin(CAPABILITIES);
            let sets = [
                caps.bounding,
                caps.effective,
                caps.permitted,
                caps.inheritable,
                caps.ambient,
            ];
            for set in sets {
                self.put(&set.to_le_bytes());
            }
            self.finish(start);
        }
        self.list_field(RLIMITS, process.rlimits);
        self.word_field(UMASK, process.umask);
        self.word_field(OOM_SCORE_ADJ, process.oom_score_adj.map(i32::cast_unsigned));
        if let Some(filter) = &process.seccomp {
            let start = self.begin(SECCOMP);
            self.put(&filter.flags.to_le_bytes());
            self.put(filter.program);
            self.finish(start);
        }
    }

    fn supervision(&mut self, supervision: &Supervision<'_>) {
        use id::supervision::*;
        let start = self.begin(id::SUPERVISION);
        self.byte_field(MODE, supervision.mode.map(|mode| mode as u8));
        self.byte_field(SUBREAPER, supervision.subreaper.map(u8::from));
        self.byte_field(
            KILL_PROCESS_GROUP,
            supervision.kill_process_group.map(u8::from),
        );
        if !supervision.remap_exit.is_empty() {
            self.field(REMAP_EXIT, &supervision.remap_exit.0);
        }
        self.word_field(GRACE_MS, supervision.grace_ms);
        if !supervision.rewrite.is_empty() {
            self.field(REWRITE, supervision.rewrite.0.as_flattened());
        }
        self.byte_field(VERBOSITY, supervision.verbosity);
        self.byte_field(WARN_ON_REAP, supervision.warn_on_reap.map(u8::from));
        self.byte_field(PARENT_DEATH_SIGNAL, supervision.parent_death_signal);
        self.byte_field(SEAL_EXE, supervision.seal_exe.map(u8::from));
        self.finish_section(start);
    }

    /// Written even with no field: present, keel sets cgroups up with the defaults.
    fn cgroup(&mut self, cgroup: &Cgroup<'_>) {
        use id::cgroup::*;
        let start = self.begin(id::CGROUP);
        self.path_field(ROOT, cgroup.root);
        self.flag_field(MOUNT, cgroup.mount);
        self.path_field(LEAF, cgroup.leaf);
        self.list_field(CONTROLLERS, cgroup.controllers);
        self.list_field(OPTIONAL, cgroup.optional);
        self.list_field(DELEGATES, cgroup.delegates);
        self.list_field(LIMITS, cgroup.limits);
        self.path_field(WORKLOAD, cgroup.workload);
        self.finish(start);
    }

    /// Written even with no field: present, keel sets namespaces up (none, if `unshare` is
    /// empty).
    fn namespaces(&mut self, namespaces: &Namespaces<'_>) {
        use id::namespaces::*;
        let start = self.begin(id::NAMESPACES);
        if namespaces.unshare.0 != 0 {
            self.field(UNSHARE, &namespaces.unshare.0.to_le_bytes());
        }
        self.list_field(UID_MAP, namespaces.uid_map);
        self.list_field(GID_MAP, namespaces.gid_map);
        self.flag_field(SETGROUPS_DENY, namespaces.setgroups_deny);
        self.path_field(HOSTNAME, namespaces.hostname);
        self.path_field(DOMAINNAME, namespaces.domainname);
        let offsets = &namespaces.time_offsets;
        self.time_offset_field(MONOTONIC_OFFSET, offsets.monotonic);
        self.time_offset_field(BOOTTIME_OFFSET, offsets.boottime);
        self.finish(start);
    }

    /// Written even with no field: present, keel builds the view in a mount namespace.
    fn mounts(&mut self, mounts: &Mounts<'_>) {
        use id::mounts::*;
        let start = self.begin(id::MOUNTS);
        self.path_field(ROOT, mounts.root);
        self.list_field(ENTRIES, mounts.entries);
        self.list_field(MASKED, mounts.masked);
        self.list_field(READONLY, mounts.readonly);
        self.flag_field(ROOT_READONLY, mounts.root_readonly);
        self.flag_field(LOCK, mounts.lock);
        self.finish(start);
    }

    fn landlock(&mut self, landlock: &Landlock<'_>) {
        use id::landlock::*;
        let start = self.begin(id::LANDLOCK);
        self.flag_field(REQUIRED, landlock.required);
        for (id, bits) in [
            (HANDLED_FS, landlock.handled_fs),
            (HANDLED_NET, landlock.handled_net),
            (SCOPED, landlock.scoped),
        ] {
            if bits != 0 {
                self.field(id, &bits.to_le_bytes());
            }
        }
        self.list_field(PATHS, landlock.paths);
        self.list_field(PORTS, landlock.ports);
        self.finish(start);
    }
}

/// Writes `service` as a record into the start of `out` (see the module docs' section
/// `0x07`) and returns its length, which may be more than `out` holds.
pub(crate) fn service(service: &Service<'_>, out: &mut [u8]) -> usize {
    const PROCESS_LEN_AT: usize = 24;
    let mut writer = Writer { out, len: 0 };
    let (ready, fd) = match service.ready {
        Ready::Started => (0, 0),
        Ready::Notify => (1, 0),
        Ready::Fd(fd) => (2, fd),
    };
    let restart = match service.restart {
        Restart::No => 0,
        Restart::OnFailure => 1,
        Restart::Always => 2,
    };
    let flags = u8::from(service.critical) | ready << 1 | restart << 3;
    // More than 255 is written as 255, and the after that does not fit breaks the framing.
    let after = u8::try_from(service.after.len()).unwrap_or(u8::MAX);
    writer.put(&[flags, fd, service.stop_signal, after]);
    for time in [
        service.stop_grace_ms,
        service.ready_timeout_ms,
        service.restart_delay_ms,
        service.restart_max_ms,
        service.restart_reset_ms,
    ] {
        writer.put(&time.to_le_bytes());
    }
    writer.put(&[0, 0]);
    writer.put(service.name.to_bytes_with_nul());
    writer.put(service.after.bytes);
    let start = writer.len;
    writer.process_fields(&service.process);
    let len = u16::try_from(writer.len - start).unwrap_or(u16::MAX);
    if let Some(dst) = writer.out.get_mut(PROCESS_LEN_AT..PROCESS_LEN_AT + 2) {
        dst.copy_from_slice(&len.to_le_bytes());
    }
    writer.len
}
