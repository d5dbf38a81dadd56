//! The shared model of keel-wire's tests: owned configs that encode to the wire types,
//! proptest strategies for each section, and helpers to build and break configs.
#![allow(
    dead_code,
    unused_imports,
    reason = "every test crate compiles this module and uses a different part of it"
)]

pub use keel_wire::{
    self as wire, CAP_LAST_CAP, Capabilities, Cgroup, Config, Delegate, EncodeError, Error,
    ExitCodes, HEADER_LEN, HOST_NAME_MAX, IdMap, Landlock, LandlockPath, LandlockPort, Limit, List,
    MAX_ARGS, MAX_CONTROLLERS, MAX_DELEGATES, MAX_ENV, MAX_GIDS, MAX_ID_MAPS, MAX_LANDLOCK_RULES,
    MAX_LEN, MAX_LIMITS, MAX_LOWER_LAYERS, MAX_MOUNT_PATHS, MAX_MOUNTS, MAX_RLIMITS,
    MAX_SECCOMP_INSTRUCTIONS, MAX_SIGNAL, MOUNT_OPTION_MAX, Mode, Mount, MountKind, Mounts,
    NAME_MAX, NamespaceSet, Namespaces, PATH_MAX, Process, Record, Rlimit, SeccompFilter,
    SignalRewrites, Strings, Supervision, TimeOffsets, Upper, User, syntax,
};
pub use proptest::collection::{btree_map, btree_set, vec};
pub use proptest::prelude::*;
pub use std::ffi::CString;

/// Storage for a generated config, which `Config` borrows.
#[derive(Clone, Debug, Default)]
pub struct Owned {
    pub args: Vec<u8>,
    pub env_clear: bool,
    pub env_set: Vec<u8>,
    pub env_unset: Vec<u8>,
    pub cwd: Option<CString>,
    /// The uid, the gid and the additional gids as records.
    pub user: Option<(u32, u32, Vec<u8>)>,
    pub no_new_privileges: bool,
    pub capabilities: Option<Capabilities>,
    pub rlimits: Vec<Rlimit>,
    pub umask: Option<u32>,
    pub oom_score_adj: Option<i32>,
    /// `rlimits` as records, which the list borrows.
    pub rlimit_records: Vec<u8>,
    pub mode: Option<Mode>,
    pub subreaper: Option<bool>,
    pub kill_process_group: Option<bool>,
    pub remap_exit: Vec<u8>,
    pub grace_ms: Option<u32>,
    pub rewrite: Vec<[u8; 2]>,
    pub verbosity: Option<u8>,
    pub warn_on_reap: Option<bool>,
    pub parent_death_signal: Option<u8>,
    pub seal_exe: Option<bool>,
    pub cgroup: Option<OwnedCgroup>,
    pub namespaces: Option<OwnedNamespaces>,
    pub mounts: Option<OwnedMounts>,
    /// The seccomp flags and program.
    pub seccomp: Option<(u32, Vec<u8>)>,
    pub landlock: Option<OwnedLandlock>,
}

/// Storage for a generated Landlock section.
#[derive(Clone, Debug, Default)]
pub struct OwnedLandlock {
    pub required: bool,
    pub handled_fs: u64,
    pub handled_net: u64,
    pub scoped: u64,
    pub paths: Vec<(u64, CString)>,
    pub ports: Vec<(u64, u16)>,
    /// `paths` and `ports` as records, which the lists borrow.
    pub path_records: Vec<u8>,
    pub port_records: Vec<u8>,
}

impl OwnedLandlock {
    pub fn seal(mut self) -> OwnedLandlock {
        self.path_records = records(self.paths.iter().map(|(access, path)| LandlockPath {
            access: *access,
            path,
        }));
        self.port_records = records(
            self.ports
                .iter()
                .map(|&(access, port)| LandlockPort { access, port }),
        );
        self
    }

    pub fn config(&self) -> Landlock<'_> {
        Landlock {
            required: self.required,
            handled_fs: self.handled_fs,
            handled_net: self.handled_net,
            scoped: self.scoped,
            paths: list(&self.path_records),
            ports: list(&self.port_records),
        }
    }
}

/// A delegate's path, owner and `enable_controllers`.
type OwnedDelegate = (CString, Option<(u32, u32)>, bool);

/// Storage for a generated cgroup section.
#[derive(Clone, Debug, Default)]
pub struct OwnedCgroup {
    pub root: Option<CString>,
    pub mount: bool,
    pub leaf: Option<CString>,
    pub controllers: Vec<u8>,
    pub optional: Vec<u8>,
    pub delegates: Vec<OwnedDelegate>,
    pub limits: Vec<[CString; 3]>,
    pub workload: Option<CString>,
    /// `delegates` and `limits` as records, which the lists borrow.
    pub delegate_records: Vec<u8>,
    pub limit_records: Vec<u8>,
}

impl OwnedCgroup {
    pub fn delegates(&self) -> impl Iterator<Item = Delegate<'_>> {
        self.delegates
            .iter()
            .map(|(path, owner, enable_controllers)| Delegate {
                path,
                owner: *owner,
                enable_controllers: *enable_controllers,
            })
    }

    pub fn limits(&self) -> impl Iterator<Item = Limit<'_>> {
        self.limits.iter().map(|[cgroup, file, value]| Limit {
            cgroup,
            file,
            value,
        })
    }

    /// Writes the records the lists borrow.
    pub fn seal(mut self) -> OwnedCgroup {
        self.delegate_records = records(self.delegates());
        self.limit_records = records(self.limits());
        self
    }

    pub fn config(&self) -> Cgroup<'_> {
        Cgroup {
            root: self.root.as_deref(),
            mount: self.mount,
            leaf: self.leaf.as_deref(),
            controllers: strings(&self.controllers),
            optional: strings(&self.optional),
            delegates: list(&self.delegate_records),
            limits: list(&self.limit_records),
            workload: self.workload.as_deref(),
        }
    }
}

/// Storage for a generated namespaces section.
#[derive(Clone, Debug, Default)]
pub struct OwnedNamespaces {
    pub unshare: u32,
    pub uid_map: Vec<IdMap>,
    pub gid_map: Vec<IdMap>,
    pub setgroups_deny: bool,
    pub hostname: Option<CString>,
    pub domainname: Option<CString>,
    pub time_offsets: TimeOffsets,
    /// The maps as records, which the lists borrow.
    pub uid_records: Vec<u8>,
    pub gid_records: Vec<u8>,
}

impl OwnedNamespaces {
    pub fn seal(mut self) -> OwnedNamespaces {
        self.uid_records = records(self.uid_map.iter().copied());
        self.gid_records = records(self.gid_map.iter().copied());
        self
    }

    pub fn config(&self) -> Namespaces<'_> {
        Namespaces {
            unshare: NamespaceSet(self.unshare),
            uid_map: list(&self.uid_records),
            gid_map: list(&self.gid_records),
            setgroups_deny: self.setgroups_deny,
            hostname: self.hostname.as_deref(),
            domainname: self.domainname.as_deref(),
            time_offsets: self.time_offsets,
        }
    }
}

/// An overlay's upper layer, owning its strings.
#[derive(Clone, Debug)]
pub enum OwnedUpper {
    Sealed,
    Tmpfs(Option<CString>),
    Dir(CString, CString),
}

/// Storage for a generated mount.
#[derive(Clone, Debug)]
pub struct OwnedMount {
    pub kind: MountKind,
    pub source: Option<CString>,
    pub target: CString,
    pub attrs: u64,
    pub recursive: bool,
    pub options: Vec<u8>,
    pub lower: Vec<u8>,
    pub upper: OwnedUpper,
}

impl OwnedMount {
    pub fn mount(&self) -> Mount<'_> {
        Mount {
            kind: self.kind,
            source: self.source.as_deref(),
            target: &self.target,
            attrs: self.attrs,
            recursive: self.recursive,
            options: strings(&self.options),
            lower: strings(&self.lower),
            upper: match &self.upper {
                OwnedUpper::Sealed => Upper::Sealed,
                OwnedUpper::Tmpfs(size) => Upper::Tmpfs {
                    size: size.as_deref(),
                },
                OwnedUpper::Dir(upper, work) => Upper::Dir { upper, work },
            },
        }
    }
}

/// Storage for a generated mounts section.
#[derive(Clone, Debug, Default)]
pub struct OwnedMounts {
    pub root: Option<CString>,
    pub entries: Vec<OwnedMount>,
    pub masked: Vec<u8>,
    pub readonly: Vec<u8>,
    pub root_readonly: bool,
    pub lock: bool,
    /// `entries` as records, which the list borrows.
    pub entry_records: Vec<u8>,
}

impl OwnedMounts {
    pub fn seal(mut self) -> OwnedMounts {
        self.entry_records = records(self.entries.iter().map(OwnedMount::mount));
        self
    }

    pub fn config(&self) -> Mounts<'_> {
        Mounts {
            root: self.root.as_deref(),
            entries: list(&self.entry_records),
            masked: strings(&self.masked),
            readonly: strings(&self.readonly),
            root_readonly: self.root_readonly,
            lock: self.lock,
        }
    }
}

impl Owned {
    pub fn config(&self) -> Config<'_> {
        let mut remap_exit = ExitCodes::default();
        self.remap_exit
            .iter()
            .for_each(|&code| remap_exit.insert(code));
        Config {
            process: Process {
                args: strings(&self.args),
                env_clear: self.env_clear,
                env_set: strings(&self.env_set),
                env_unset: strings(&self.env_unset),
                cwd: self.cwd.as_deref(),
                user: self.user.as_ref().map(|(uid, gid, gids)| User {
                    uid: *uid,
                    gid: *gid,
                    additional_gids: list(gids),
                }),
                no_new_privileges: self.no_new_privileges,
                capabilities: self.capabilities,
                rlimits: list(&self.rlimit_records),
                umask: self.umask,
                oom_score_adj: self.oom_score_adj,
                seccomp: self.seccomp.as_ref().map(|(flags, program)| SeccompFilter {
                    flags: *flags,
                    program,
                }),
            },
            supervision: Supervision {
                mode: self.mode,
                subreaper: self.subreaper,
                kill_process_group: self.kill_process_group,
                remap_exit,
                grace_ms: self.grace_ms,
                rewrite: SignalRewrites::new(&self.rewrite),
                verbosity: self.verbosity,
                warn_on_reap: self.warn_on_reap,
                parent_death_signal: self.parent_death_signal,
                seal_exe: self.seal_exe,
            },
            cgroup: self.cgroup.as_ref().map(OwnedCgroup::config),
            namespaces: self.namespaces.as_ref().map(OwnedNamespaces::config),
            mounts: self.mounts.as_ref().map(OwnedMounts::config),
            landlock: self.landlock.as_ref().map(OwnedLandlock::config),
            services: List::default(),
        }
    }
}

pub fn strings(bytes: &[u8]) -> Strings<'_> {
    list(bytes)
}

pub fn list<'a, T: Record<'a>>(bytes: &'a [u8]) -> List<'a, T> {
    List::from_bytes_with_nul(bytes).expect("test records are whole")
}

/// `items` written back to back, as a list's bytes.
pub fn records<'a, T: Record<'a>>(items: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for item in items {
        item.write(|piece| bytes.extend_from_slice(piece));
    }
    bytes
}

pub fn c_string(bytes: Vec<u8>) -> CString {
    CString::new(bytes).expect("generated without NUL")
}

/// `items` each followed by a NUL.
pub fn nul_joined<I: IntoIterator<Item = Vec<u8>>>(items: I) -> Vec<u8> {
    items
        .into_iter()
        .flat_map(|mut item| {
            item.push(0);
            item
        })
        .collect()
}

pub fn encode(config: &Config<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0; MAX_LEN];
    let len = wire::encode(config, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// A config from a raw body, with a valid header: for bodies `encode` cannot write.
pub fn sealed(body: &[u8]) -> Vec<u8> {
    let mut config = vec![0; HEADER_LEN];
    config.extend_from_slice(body);
    wire::seal(&mut config);
    config
}

pub fn not_nul() -> impl Strategy<Value = u8> {
    1..=u8::MAX
}

pub fn key() -> impl Strategy<Value = Vec<u8>> {
    vec(not_nul().prop_filter("no =", |&b| b != b'='), 1..8)
}

pub fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Supervise), Just(Mode::Exec), Just(Mode::Machine)]
}

pub fn signal() -> impl Strategy<Value = u8> {
    1..=MAX_SIGNAL
}

/// A cgroup name: any bytes but NUL, `/` and newline, and not `.` or `..`.
pub fn cgroup_name() -> impl Strategy<Value = Vec<u8>> {
    vec(
        not_nul().prop_filter("no / or newline", |&b| b != b'/' && b != b'\n'),
        1..10,
    )
    .prop_filter("not . or ..", |name| name != b"." && name != b"..")
}

pub fn cgroup_path() -> impl Strategy<Value = CString> {
    vec(cgroup_name(), 1..4).prop_map(|names| c_string(names.join(&b'/')))
}

pub fn controller() -> impl Strategy<Value = Vec<u8>> {
    "[a-z0-9_]{1,10}".prop_map(String::into_bytes)
}

pub fn limit_file() -> impl Strategy<Value = CString> {
    (
        controller(),
        vec(not_nul().prop_filter("no /", |&b| b != b'/'), 1..10),
    )
        .prop_map(|(prefix, name)| c_string([prefix, b".".to_vec(), name].concat()))
        .prop_filter("not keel's", |file| {
            ![
                c"cgroup.procs",
                c"cgroup.threads",
                c"cgroup.subtree_control",
            ]
            .contains(&file.as_c_str())
        })
}

prop_compose! {
    /// A cgroup section `decode` accepts (nothing need fit together: keel-gen checks that).
    pub fn owned_cgroup()(
        root in proptest::option::of(vec(not_nul(), 0..20)),
        mount in any::<bool>(),
        leaf in proptest::option::of(cgroup_path()),
        controllers in vec(controller(), 0..4),
        optional in vec(controller(), 0..3),
        delegates in vec((cgroup_path(), any::<Option<(u32, u32)>>(), any::<bool>()), 0..4),
        limits in vec((cgroup_path(), limit_file(), vec(not_nul().prop_filter("no newline", |&b| b != b'\n'), 1..10)), 0..4),
        workload in proptest::option::of(cgroup_path()),
    ) -> OwnedCgroup {
        OwnedCgroup {
            root: root.map(|path| c_string([b"/".as_slice(), &path].concat())),
            mount,
            leaf,
            controllers: nul_joined(controllers),
            optional: nul_joined(optional),
            delegates,
            limits: limits.into_iter().map(|(cgroup, file, value)| [cgroup, file, c_string(value)]).collect(),
            workload,
            ..OwnedCgroup::default()
        }
        .seal()
    }
}

/// Any bytes but NUL, the start of an absolute path.
pub fn absolute() -> impl Strategy<Value = CString> {
    vec(not_nul(), 0..12).prop_map(|path| c_string([b"/".as_slice(), &path].concat()))
}

/// An absolute path without a `..` component.
pub fn mount_target() -> impl Strategy<Value = CString> {
    let name = vec(not_nul().prop_filter("no /", |&b| b != b'/'), 0..5)
        .prop_filter("not ..", |name| name != b"..");
    vec(name, 1..4).prop_map(|names| c_string([b"".as_slice(), &names.join(&b'/')].join(&b'/')))
}

/// An fsconfig parameter: 1 to 255 bytes without `,`, not starting with `=`.
pub fn mount_option() -> impl Strategy<Value = Vec<u8>> {
    vec(not_nul().prop_filter("no ,", |&b| b != b','), 1..12)
        .prop_filter("a key", |option| option[0] != b'=')
}

/// Attribute bits, at most one atime mode.
pub fn attrs() -> impl Strategy<Value = u64> {
    (any::<u8>(), 0..3usize).prop_map(|(bits, atime)| {
        let others = [
            Mount::RDONLY,
            Mount::NOSUID,
            Mount::NODEV,
            Mount::NOEXEC,
            Mount::NODIRATIME,
            Mount::NOSYMFOLLOW,
        ];
        let atime = [0, Mount::NOATIME, Mount::STRICTATIME][atime];
        others
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .fold(atime, |set, (_, bit)| set | bit)
    })
}

prop_compose! {
    /// A mount `decode` accepts: only what its kind takes.
    pub fn owned_mount()(
        kind in proptest::sample::select(MountKind::ALL.to_vec()),
        source in absolute(),
        target in mount_target(),
        attrs in attrs(),
        recursive in any::<bool>(),
        options in vec(mount_option(), 0..3),
        lower in vec(absolute(), 1..4),
        upper in 0..4u8,
        size in vec(not_nul().prop_filter("no ,", |&b| b != b','), 1..8).prop_filter("a value", |s| s[0] != b'='),
        dirs in (absolute(), absolute()),
    ) -> OwnedMount {
        let (bind, overlay) = (kind == MountKind::Bind, kind == MountKind::Overlay);
        OwnedMount {
            kind,
            source: bind.then_some(source),
            target,
            attrs,
            recursive: bind && recursive,
            options: if bind || overlay { Vec::new() } else { nul_joined(options) },
            lower: if overlay { nul_joined(lower.into_iter().map(CString::into_bytes)) } else { Vec::new() },
            upper: match upper {
                _ if !overlay => OwnedUpper::Sealed,
                0 => OwnedUpper::Sealed,
                1 => OwnedUpper::Tmpfs(None),
                2 => OwnedUpper::Tmpfs(Some(c_string(size))),
                _ => OwnedUpper::Dir(dirs.0, dirs.1),
            },
        }
    }
}

prop_compose! {
    /// A mounts section `decode` accepts.
    pub fn owned_mounts()(
        root in proptest::option::of(absolute()),
        entries in vec(owned_mount(), 0..4),
        masked in vec(absolute(), 0..3),
        readonly in vec(absolute(), 0..3),
        root_readonly in any::<bool>(),
        lock in any::<bool>(),
    ) -> OwnedMounts {
        OwnedMounts {
            root_readonly: root_readonly && root.is_some(),
            lock,
            root,
            entries,
            masked: nul_joined(masked.into_iter().map(CString::into_bytes)),
            readonly: nul_joined(readonly.into_iter().map(CString::into_bytes)),
            ..OwnedMounts::default()
        }
        .seal()
    }
}

/// An id map the kernel accepts: a count above 0, and no range past `u32::MAX`.
pub fn id_map() -> impl Strategy<Value = IdMap> {
    (any::<u32>(), any::<u32>(), 1..=u32::MAX).prop_map(|(inside, outside, count)| IdMap {
        inside: inside.min(u32::MAX - count),
        outside: outside.min(u32::MAX - count),
        count,
    })
}

pub fn uts_name() -> impl Strategy<Value = CString> {
    vec(not_nul(), 1..=HOST_NAME_MAX).prop_map(c_string)
}

pub fn time_offset() -> impl Strategy<Value = (i64, u32)> {
    (any::<i64>(), 0..1_000_000_000u32)
}

prop_compose! {
    /// A namespaces section `decode` accepts: each setting with its namespace.
    pub fn owned_namespaces()(
        unshare in proptest::sample::subsequence(
            vec![NamespaceSet::MOUNT, NamespaceSet::UTS, NamespaceSet::IPC, NamespaceSet::NET, NamespaceSet::PID, NamespaceSet::CGROUP, NamespaceSet::USER, NamespaceSet::TIME],
            0..=8,
        ),
        uid_map in vec(id_map(), 0..3),
        gid_map in vec(id_map(), 0..3),
        setgroups_deny in any::<bool>(),
        hostname in proptest::option::of(uts_name()),
        domainname in proptest::option::of(uts_name()),
        monotonic in proptest::option::of(time_offset()),
        boottime in proptest::option::of(time_offset()),
    ) -> OwnedNamespaces {
        let unshare = unshare.into_iter().fold(0, |set, bit| set | bit);
        let set = NamespaceSet(unshare);
        let (user, uts, time) = (set.contains(NamespaceSet::USER), set.contains(NamespaceSet::UTS), set.contains(NamespaceSet::TIME));
        OwnedNamespaces {
            unshare,
            uid_map: if user { uid_map } else { Vec::new() },
            gid_map: if user { gid_map } else { Vec::new() },
            setgroups_deny: user && setgroups_deny,
            hostname: hostname.filter(|_| uts),
            domainname: domainname.filter(|_| uts),
            time_offsets: if time { TimeOffsets { monotonic, boottime } } else { TimeOffsets::default() },
            ..OwnedNamespaces::default()
        }
        .seal()
    }
}

/// Capability sets the kernel accepts: effective within permitted, ambient within
/// permitted and inheritable.
pub fn capabilities() -> impl Strategy<Value = Capabilities> {
    [any::<u64>(); 5].prop_map(|[bounding, effective, permitted, inheritable, ambient]| {
        let [bounding, permitted, inheritable] =
            [bounding, permitted, inheritable].map(|set| set & Capabilities::ALL);
        Capabilities {
            bounding,
            effective: effective & permitted,
            permitted,
            inheritable,
            ambient: ambient & permitted & inheritable,
        }
    })
}

/// Rlimits on distinct resources, in any order, soft at most hard.
pub fn rlimits() -> impl Strategy<Value = Vec<Rlimit>> {
    let resources = (0..MAX_RLIMITS as u8).collect::<Vec<_>>();
    let limit = || prop_oneof![Just(u64::MAX), any::<u64>()];
    (
        proptest::sample::subsequence(resources, 0..4).prop_shuffle(),
        vec((limit(), limit()), 4),
    )
        .prop_map(|(resources, limits)| {
            let limits = resources.into_iter().zip(limits);
            limits
                .map(|(resource, (a, b))| Rlimit {
                    resource,
                    soft: a.min(b),
                    hard: a.max(b),
                })
                .collect()
        })
}

/// A seccomp filter's flags and program: the decoder checks the framing, not the
/// instructions, which the kernel checks.
pub fn seccomp() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (0..=SeccompFilter::FLAGS, vec(any::<[u8; 8]>(), 1..20))
        .prop_map(|(flags, program)| (flags, program.concat()))
}

/// A nonempty subset of `within`, from `bits`.
pub fn some_of(bits: u64, within: u64) -> u64 {
    match bits & within {
        0 => within & within.wrapping_neg(), // its lowest bit
        some => some,
    }
}

prop_compose! {
    /// A Landlock section: every rule within the rights the ruleset handles.
    pub fn owned_landlock()(
        required in any::<bool>(),
        handled in [any::<u64>(); 3],
        paths in vec((any::<u64>(), absolute()), 0..4),
        ports in vec((any::<u64>(), any::<u16>()), 0..4),
    ) -> OwnedLandlock {
        let handled_fs = some_of(handled[0], Landlock::FS_ALL);
        let handled_net = handled[1] & Landlock::NET_ALL;
        let ports = match handled_net {
            0 => Vec::new(),
            net => ports.into_iter().map(|(access, port)| (some_of(access, net), port)).collect(),
        };
        OwnedLandlock {
            required,
            handled_fs,
            handled_net,
            scoped: handled[2] & Landlock::SCOPE_ALL,
            paths: paths.into_iter().map(|(access, path)| (some_of(access, handled_fs), path)).collect(),
            ports,
            ..OwnedLandlock::default()
        }
        .seal()
    }
}

prop_compose! {
    /// Any config `decode` accepts (names need not be UTF-8, nothing need be sensible).
    pub fn owned()(
        args in proptest::option::of((vec(not_nul(), 1..12), vec(vec(not_nul(), 0..12), 0..6))),
        env_clear in any::<bool>(),
        env_set in vec((key(), vec(not_nul(), 0..12)), 0..5),
        env_unset in vec(key(), 0..5),
        cwd in proptest::option::of(vec(not_nul(), 0..20)),
        security in (
            proptest::option::of((any::<u32>(), any::<u32>(), vec(any::<u32>(), 0..4))),
            any::<bool>(),
            proptest::option::of(capabilities()),
            rlimits(),
            proptest::option::of(0..=0o777u32),
            proptest::option::of(-1000..=1000i32),
        ),
        mode in proptest::option::of(mode()),
        subreaper in any::<Option<bool>>(),
        kill_process_group in any::<Option<bool>>(),
        remap_exit in vec(any::<u8>(), 0..5),
        grace_ms in any::<Option<u32>>(),
        rewrite in btree_map(signal(), 0..=MAX_SIGNAL, 0..6),
        verbosity in any::<Option<u8>>(),
        warn_on_reap in any::<Option<bool>>(),
        parent_death_signal in proptest::option::of(signal()),
        seal_exe in any::<Option<bool>>(),
        cgroup in proptest::option::of(owned_cgroup()),
        namespaces in proptest::option::of(owned_namespaces()),
        mounts in proptest::option::of(owned_mounts()),
        seccomp in proptest::option::of(seccomp()),
        landlock in proptest::option::of(owned_landlock()),
    ) -> Owned {
        Owned {
            args: args.map(|(program, rest)| nul_joined([program].into_iter().chain(rest))).unwrap_or_default(),
            env_clear,
            env_set: nul_joined(env_set.into_iter().map(|(mut key, value)| {
                key.push(b'=');
                key.extend(value);
                key
            })),
            env_unset: nul_joined(env_unset),
            cwd: cwd.map(|path| CString::new([b"/".as_slice(), &path].concat()).expect("no NUL")),
            user: security.0.map(|(uid, gid, gids)| (uid, gid, records(gids))),
            no_new_privileges: security.1,
            capabilities: security.2,
            rlimit_records: records(security.3.iter().copied()),
            rlimits: security.3,
            umask: security.4,
            oom_score_adj: security.5,
            mode,
            subreaper,
            kill_process_group,
            remap_exit,
            grace_ms,
            rewrite: rewrite.into_iter().map(|(from, to)| [from, to]).collect(),
            verbosity,
            warn_on_reap,
            parent_death_signal,
            seal_exe,
            cgroup,
            namespaces,
            mounts,
            seccomp,
            landlock,
        }
    }
}

/// Decoding must never panic; a config that decodes must re-encode to one that decodes equal.
pub fn decode_and_reencode(bytes: &[u8]) {
    if let Ok(config) = wire::decode(bytes) {
        let again = encode(&config).expect("a decoded config re-encodes");
        assert_eq!(wire::decode(&again), Ok(config));
    }
}

pub fn invalid(config: &Config<'_>) -> &'static str {
    match encode(config) {
        Err(EncodeError::Invalid(Error { what, .. })) => what,
        other => panic!("expected an invalid config, got {other:?}"),
    }
}

pub fn process_with(process: Process<'_>) -> Config<'_> {
    Config {
        process,
        ..Config::default()
    }
}

pub fn problem(config: &Config<'_>) -> Option<&'static str> {
    match encode(config) {
        Ok(_) => None,
        Err(EncodeError::Invalid(Error { what, .. })) => Some(what),
        Err(other) => panic!("{other:?}"),
    }
}

/// A body of one section `id` holding one field `field` with `payload`.
pub fn one_field(id: u8, field: u8, payload: &[u8]) -> Vec<u8> {
    let field = [&[field][..], &(payload.len() as u16).to_le_bytes(), payload].concat();
    [&[id][..], &(field.len() as u16).to_le_bytes(), &field].concat()
}
