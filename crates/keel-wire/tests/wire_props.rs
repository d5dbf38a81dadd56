//! Properties of `keel_wire`: encode→decode round trips, corruption is always detected and
//! never panics, every limit is enforced, and the shared text syntax parses what it prints.

use keel_wire::{
    self as wire, CAP_LAST_CAP, Capabilities, Cgroup, Config, Delegate, EncodeError, Error,
    ExitCodes, HEADER_LEN, HOST_NAME_MAX, IdMap, Landlock, LandlockPath, LandlockPort, Limit, List,
    MAX_ARGS, MAX_CONTROLLERS, MAX_DELEGATES, MAX_ENV, MAX_GIDS, MAX_ID_MAPS, MAX_LANDLOCK_RULES,
    MAX_LEN, MAX_LIMITS, MAX_LOWER_LAYERS, MAX_MOUNT_PATHS, MAX_MOUNTS, MAX_RLIMITS,
    MAX_SECCOMP_INSTRUCTIONS, MAX_SIGNAL, MOUNT_OPTION_MAX, Mode, Mount, MountKind, Mounts,
    NAME_MAX, NamespaceSet, Namespaces, PATH_MAX, Process, Record, Rlimit, SeccompFilter,
    SignalRewrites, Strings, Supervision, TimeOffsets, Upper, User, syntax,
};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use std::ffi::CString;

/// Storage for a generated config, which `Config` borrows.
#[derive(Clone, Debug, Default)]
struct Owned {
    args: Vec<u8>,
    env_clear: bool,
    env_set: Vec<u8>,
    env_unset: Vec<u8>,
    cwd: Option<CString>,
    /// The uid, the gid and the additional gids as records.
    user: Option<(u32, u32, Vec<u8>)>,
    no_new_privileges: bool,
    capabilities: Option<Capabilities>,
    rlimits: Vec<Rlimit>,
    umask: Option<u32>,
    oom_score_adj: Option<i32>,
    /// `rlimits` as records, which the list borrows.
    rlimit_records: Vec<u8>,
    mode: Option<Mode>,
    subreaper: Option<bool>,
    kill_process_group: Option<bool>,
    remap_exit: Vec<u8>,
    grace_ms: Option<u32>,
    rewrite: Vec<[u8; 2]>,
    verbosity: Option<u8>,
    warn_on_reap: Option<bool>,
    parent_death_signal: Option<u8>,
    seal_exe: Option<bool>,
    cgroup: Option<OwnedCgroup>,
    namespaces: Option<OwnedNamespaces>,
    mounts: Option<OwnedMounts>,
    /// The seccomp flags and program.
    seccomp: Option<(u32, Vec<u8>)>,
    landlock: Option<OwnedLandlock>,
}

/// Storage for a generated Landlock section.
#[derive(Clone, Debug, Default)]
struct OwnedLandlock {
    required: bool,
    handled_fs: u64,
    handled_net: u64,
    scoped: u64,
    paths: Vec<(u64, CString)>,
    ports: Vec<(u64, u16)>,
    /// `paths` and `ports` as records, which the lists borrow.
    path_records: Vec<u8>,
    port_records: Vec<u8>,
}

impl OwnedLandlock {
    fn seal(mut self) -> OwnedLandlock {
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

    fn config(&self) -> Landlock<'_> {
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
struct OwnedCgroup {
    root: Option<CString>,
    mount: bool,
    leaf: Option<CString>,
    controllers: Vec<u8>,
    optional: Vec<u8>,
    delegates: Vec<OwnedDelegate>,
    limits: Vec<[CString; 3]>,
    workload: Option<CString>,
    /// `delegates` and `limits` as records, which the lists borrow.
    delegate_records: Vec<u8>,
    limit_records: Vec<u8>,
}

impl OwnedCgroup {
    fn delegates(&self) -> impl Iterator<Item = Delegate<'_>> {
        self.delegates
            .iter()
            .map(|(path, owner, enable_controllers)| Delegate {
                path,
                owner: *owner,
                enable_controllers: *enable_controllers,
            })
    }

    fn limits(&self) -> impl Iterator<Item = Limit<'_>> {
        self.limits.iter().map(|[cgroup, file, value]| Limit {
            cgroup,
            file,
            value,
        })
    }

    /// Writes the records the lists borrow.
    fn seal(mut self) -> OwnedCgroup {
        self.delegate_records = records(self.delegates());
        self.limit_records = records(self.limits());
        self
    }

    fn config(&self) -> Cgroup<'_> {
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
struct OwnedNamespaces {
    unshare: u32,
    uid_map: Vec<IdMap>,
    gid_map: Vec<IdMap>,
    setgroups_deny: bool,
    hostname: Option<CString>,
    domainname: Option<CString>,
    time_offsets: TimeOffsets,
    /// The maps as records, which the lists borrow.
    uid_records: Vec<u8>,
    gid_records: Vec<u8>,
}

impl OwnedNamespaces {
    fn seal(mut self) -> OwnedNamespaces {
        self.uid_records = records(self.uid_map.iter().copied());
        self.gid_records = records(self.gid_map.iter().copied());
        self
    }

    fn config(&self) -> Namespaces<'_> {
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
enum OwnedUpper {
    Sealed,
    Tmpfs(Option<CString>),
    Dir(CString, CString),
}

/// Storage for a generated mount.
#[derive(Clone, Debug)]
struct OwnedMount {
    kind: MountKind,
    source: Option<CString>,
    target: CString,
    attrs: u64,
    recursive: bool,
    options: Vec<u8>,
    lower: Vec<u8>,
    upper: OwnedUpper,
}

impl OwnedMount {
    fn mount(&self) -> Mount<'_> {
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
struct OwnedMounts {
    root: Option<CString>,
    entries: Vec<OwnedMount>,
    masked: Vec<u8>,
    readonly: Vec<u8>,
    root_readonly: bool,
    /// `entries` as records, which the list borrows.
    entry_records: Vec<u8>,
}

impl OwnedMounts {
    fn seal(mut self) -> OwnedMounts {
        self.entry_records = records(self.entries.iter().map(OwnedMount::mount));
        self
    }

    fn config(&self) -> Mounts<'_> {
        Mounts {
            root: self.root.as_deref(),
            entries: list(&self.entry_records),
            masked: strings(&self.masked),
            readonly: strings(&self.readonly),
            root_readonly: self.root_readonly,
        }
    }
}

impl Owned {
    fn config(&self) -> Config<'_> {
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
        }
    }
}

fn strings(bytes: &[u8]) -> Strings<'_> {
    list(bytes)
}

fn list<'a, T: Record<'a>>(bytes: &'a [u8]) -> List<'a, T> {
    List::from_bytes_with_nul(bytes).expect("test records are whole")
}

/// `items` written back to back, as a list's bytes.
fn records<'a, T: Record<'a>>(items: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for item in items {
        item.write(|piece| bytes.extend_from_slice(piece));
    }
    bytes
}

fn c_string(bytes: Vec<u8>) -> CString {
    CString::new(bytes).expect("generated without NUL")
}

/// `items` each followed by a NUL.
fn nul_joined<I: IntoIterator<Item = Vec<u8>>>(items: I) -> Vec<u8> {
    items
        .into_iter()
        .flat_map(|mut item| {
            item.push(0);
            item
        })
        .collect()
}

fn encode(config: &Config<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0; MAX_LEN];
    let len = wire::encode(config, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// A config from a raw body, with a valid header: for bodies `encode` cannot write.
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut config = vec![0; HEADER_LEN];
    config.extend_from_slice(body);
    wire::seal(&mut config);
    config
}

fn not_nul() -> impl Strategy<Value = u8> {
    1..=u8::MAX
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    vec(not_nul().prop_filter("no =", |&b| b != b'='), 1..8)
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Supervise), Just(Mode::Exec), Just(Mode::Machine)]
}

fn signal() -> impl Strategy<Value = u8> {
    1..=MAX_SIGNAL
}

/// A cgroup name: any bytes but NUL, `/` and newline, and not `.` or `..`.
fn cgroup_name() -> impl Strategy<Value = Vec<u8>> {
    vec(
        not_nul().prop_filter("no / or newline", |&b| b != b'/' && b != b'\n'),
        1..10,
    )
    .prop_filter("not . or ..", |name| name != b"." && name != b"..")
}

fn cgroup_path() -> impl Strategy<Value = CString> {
    vec(cgroup_name(), 1..4).prop_map(|names| c_string(names.join(&b'/')))
}

fn controller() -> impl Strategy<Value = Vec<u8>> {
    "[a-z0-9_]{1,10}".prop_map(String::into_bytes)
}

fn limit_file() -> impl Strategy<Value = CString> {
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
    fn owned_cgroup()(
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
fn absolute() -> impl Strategy<Value = CString> {
    vec(not_nul(), 0..12).prop_map(|path| c_string([b"/".as_slice(), &path].concat()))
}

/// An absolute path without a `..` component.
fn mount_target() -> impl Strategy<Value = CString> {
    let name = vec(not_nul().prop_filter("no /", |&b| b != b'/'), 0..5)
        .prop_filter("not ..", |name| name != b"..");
    vec(name, 1..4).prop_map(|names| c_string([b"".as_slice(), &names.join(&b'/')].join(&b'/')))
}

/// An fsconfig parameter: 1 to 255 bytes without `,`, not starting with `=`.
fn mount_option() -> impl Strategy<Value = Vec<u8>> {
    vec(not_nul().prop_filter("no ,", |&b| b != b','), 1..12)
        .prop_filter("a key", |option| option[0] != b'=')
}

/// Attribute bits, at most one atime mode.
fn attrs() -> impl Strategy<Value = u64> {
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
    fn owned_mount()(
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
    fn owned_mounts()(
        root in proptest::option::of(absolute()),
        entries in vec(owned_mount(), 0..4),
        masked in vec(absolute(), 0..3),
        readonly in vec(absolute(), 0..3),
        root_readonly in any::<bool>(),
    ) -> OwnedMounts {
        OwnedMounts {
            root_readonly: root_readonly && root.is_some(),
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
fn id_map() -> impl Strategy<Value = IdMap> {
    (any::<u32>(), any::<u32>(), 1..=u32::MAX).prop_map(|(inside, outside, count)| IdMap {
        inside: inside.min(u32::MAX - count),
        outside: outside.min(u32::MAX - count),
        count,
    })
}

fn uts_name() -> impl Strategy<Value = CString> {
    vec(not_nul(), 1..=HOST_NAME_MAX).prop_map(c_string)
}

fn time_offset() -> impl Strategy<Value = (i64, u32)> {
    (any::<i64>(), 0..1_000_000_000u32)
}

prop_compose! {
    /// A namespaces section `decode` accepts: each setting with its namespace.
    fn owned_namespaces()(
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
fn capabilities() -> impl Strategy<Value = Capabilities> {
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
fn rlimits() -> impl Strategy<Value = Vec<Rlimit>> {
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
fn seccomp() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (0..=SeccompFilter::FLAGS, vec(any::<[u8; 8]>(), 1..20))
        .prop_map(|(flags, program)| (flags, program.concat()))
}

/// A nonempty subset of `within`, from `bits`.
fn some_of(bits: u64, within: u64) -> u64 {
    match bits & within {
        0 => within & within.wrapping_neg(), // its lowest bit
        some => some,
    }
}

prop_compose! {
    /// A Landlock section: every rule within the rights the ruleset handles.
    fn owned_landlock()(
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
    fn owned()(
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
fn decode_and_reencode(bytes: &[u8]) {
    if let Ok(config) = wire::decode(bytes) {
        let again = encode(&config).expect("a decoded config re-encodes");
        assert_eq!(wire::decode(&again), Ok(config));
    }
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_config_back(owned in owned()) {
        let config = owned.config();
        let bytes = encode(&config).unwrap();
        prop_assert_eq!(wire::decode(&bytes), Ok(config));
        // Zero padding after the config is the rest of keel's embedded section.
        let padded = [bytes.as_slice(), &[0; 100]].concat();
        prop_assert_eq!(wire::decode(&padded), Ok(config));
        // The records read back as written.
        if let (Some(cgroup), Some(owned)) = (wire::decode(&bytes).unwrap().cgroup, &owned.cgroup) {
            prop_assert!(cgroup.delegates.iter().eq(owned.delegates()));
            prop_assert!(cgroup.limits.iter().eq(owned.limits()));
            prop_assert_eq!(cgroup.delegates.len(), owned.delegates.len());
            prop_assert_eq!(cgroup.limits.len(), owned.limits.len());
        }
        if let (Some(namespaces), Some(owned)) = (wire::decode(&bytes).unwrap().namespaces, &owned.namespaces) {
            prop_assert!(namespaces.uid_map.iter().eq(owned.uid_map.iter().copied()));
            prop_assert!(namespaces.gid_map.iter().eq(owned.gid_map.iter().copied()));
            prop_assert_eq!(namespaces.uid_map.len(), owned.uid_map.len());
        }
        let process = wire::decode(&bytes).unwrap().process;
        prop_assert!(process.rlimits.iter().eq(owned.rlimits.iter().copied()));
        prop_assert_eq!(process.rlimits.len(), owned.rlimits.len());
        if let (Some(user), Some((_, _, gids))) = (process.user, &owned.user) {
            prop_assert!(user.additional_gids.iter().eq(list::<u32>(gids).iter()));
            prop_assert_eq!(user.additional_gids.len(), gids.len() / 4);
        }
        if let (Some(mounts), Some(owned)) = (wire::decode(&bytes).unwrap().mounts, &owned.mounts) {
            prop_assert!(mounts.entries.iter().eq(owned.entries.iter().map(OwnedMount::mount)));
            prop_assert_eq!(mounts.entries.len(), owned.entries.len());
        }
        // The encoding is canonical.
        prop_assert_eq!(encode(&wire::decode(&bytes).unwrap()).unwrap(), bytes);
    }

    #[test]
    fn a_small_buffer_reports_the_size_needed(owned in owned()) {
        let config = owned.config();
        let needed = encode(&config).unwrap().len();
        let mut small = vec![0; needed - 1];
        prop_assert_eq!(wire::encode(&config, &mut small), Err(EncodeError::BufferTooSmall { needed }));
    }

    #[test]
    fn every_truncation_is_rejected(owned in owned()) {
        let bytes = encode(&owned.config()).unwrap();
        for len in 0..bytes.len() {
            prop_assert!(wire::decode(&bytes[..len]).is_err(), "accepted a config cut to {len} bytes");
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected(owned in owned()) {
        let bytes = encode(&owned.config()).unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut corrupt = bytes.clone();
            corrupt[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(wire::decode(&corrupt).is_err(), "accepted a config with bit {bit} flipped");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        decode_and_reencode(&bytes);
        decode_and_reencode(&sealed(&bytes));
    }

    #[test]
    fn mutated_configs_never_panic(owned in owned(), edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = encode(&owned.config()).unwrap();
        prop_assume!(bytes.len() > HEADER_LEN);
        for (at, byte) in edits {
            let at = at.index(bytes.len() - HEADER_LEN);
            bytes[HEADER_LEN + at] = byte;
        }
        wire::seal(&mut bytes);
        decode_and_reencode(&bytes);
    }

    #[test]
    fn signals_parse_back_from_their_names(signal in signal()) {
        let text = match syntax::signal_name(signal) {
            Some(name) => format!("SIG{name}"),
            None if signal >= syntax::RTMIN => format!("rtmin+{}", signal - syntax::RTMIN),
            None => signal.to_string(),
        };
        prop_assert_eq!(syntax::parse_signal(text.as_bytes()), Some(signal));
        prop_assert_eq!(syntax::parse_signal(signal.to_string().as_bytes()), Some(signal));
    }

    #[test]
    fn exit_code_sets_hold_what_was_inserted(codes in btree_set(any::<u8>(), 0..20)) {
        let mut set = ExitCodes::default();
        codes.iter().for_each(|&code| set.insert(code));
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), codes.into_iter().collect::<Vec<_>>());
    }
}

fn invalid(config: &Config<'_>) -> &'static str {
    match encode(config) {
        Err(EncodeError::Invalid(Error { what, .. })) => what,
        other => panic!("expected an invalid config, got {other:?}"),
    }
}

fn process_with(process: Process<'_>) -> Config<'_> {
    Config {
        process,
        ..Config::default()
    }
}

#[test]
fn crc32c_matches_the_standard_check_value() {
    assert_eq!(wire::crc32c(b"123456789"), 0xE306_9283);
}

#[test]
fn an_empty_config_is_the_default() {
    let bytes = encode(&Config::default()).unwrap();
    assert_eq!(bytes.len(), HEADER_LEN);
    assert_eq!(bytes[..4], wire::MAGIC);
    assert_eq!(wire::decode(&bytes), Ok(Config::default()));
}

#[test]
fn args_are_limited_to_256() {
    for (count, ok) in [(MAX_ARGS, true), (MAX_ARGS + 1, false)] {
        let args = nul_joined((0..count).map(|i| format!("a{i}").into_bytes()));
        let config = process_with(Process {
            args: strings(&args),
            ..Process::default()
        });
        match ok {
            true => assert_eq!(
                wire::decode(&encode(&config).unwrap())
                    .unwrap()
                    .process
                    .args
                    .len(),
                count
            ),
            false => assert_eq!(invalid(&config), "args: more than 256"),
        }
    }
}

#[test]
fn env_lists_are_limited_to_1024() {
    for (count, ok) in [(MAX_ENV, true), (MAX_ENV + 1, false)] {
        let set = nul_joined((0..count).map(|i| format!("K{i}=v").into_bytes()));
        let unset = nul_joined((0..count).map(|i| format!("K{i}").into_bytes()));
        let set_config = process_with(Process {
            env_set: strings(&set),
            ..Process::default()
        });
        let unset_config = process_with(Process {
            env_unset: strings(&unset),
            ..Process::default()
        });
        match ok {
            true => {
                assert!(encode(&set_config).is_ok());
                assert!(encode(&unset_config).is_ok());
            }
            false => {
                assert_eq!(invalid(&set_config), "env_set: more than 1024");
                assert_eq!(invalid(&unset_config), "env_unset: more than 1024");
            }
        }
    }
}

#[test]
fn cwd_must_be_absolute_and_shorter_than_path_max() {
    let longest = CString::new(format!("/{}", "d".repeat(PATH_MAX - 2))).unwrap();
    assert!(
        encode(&process_with(Process {
            cwd: Some(&longest),
            ..Process::default()
        }))
        .is_ok()
    );
    let too_long = CString::new(format!("/{}", "d".repeat(PATH_MAX - 1))).unwrap();
    let config = process_with(Process {
        cwd: Some(&too_long),
        ..Process::default()
    });
    assert_eq!(invalid(&config), "path longer than PATH_MAX");
    // The error points at the path: header, section header, field header.
    let relative = process_with(Process {
        cwd: Some(c"srv"),
        ..Process::default()
    });
    assert_eq!(
        encode(&relative),
        Err(EncodeError::Invalid(Error {
            offset: 22,
            what: "cwd must be absolute"
        }))
    );
    assert_eq!(
        wire::decode(&sealed(&[1, 6, 0, 5, 3, 0, b'a', b'b', 0]))
            .unwrap_err()
            .to_string(),
        "offset 22: cwd must be absolute"
    );
}

#[test]
fn strings_are_checked() {
    let cases: [(u8, &[u8], &str); 5] = [
        (1, b"\0-c\0", "args: empty program"),
        (3, b"PATH\0", "env_set entry must be KEY=VALUE"),
        (3, b"=x\0", "env_set entry must be KEY=VALUE"),
        (4, b"A=B\0", "env_unset entry must be a KEY"),
        (1, b"/bin/sh", "string lacks its NUL"),
    ];
    for (id, payload, what) in cases {
        let field = [&[id][..], &(payload.len() as u16).to_le_bytes(), payload].concat();
        let body = [&[1][..], &(field.len() as u16).to_le_bytes(), &field].concat();
        assert_eq!(
            wire::decode(&sealed(&body)).unwrap_err().what,
            what,
            "{payload:?}"
        );
    }
}

#[test]
fn signals_and_rewrites_are_checked() {
    for signal in [0, MAX_SIGNAL + 1] {
        let config = Config {
            supervision: Supervision {
                parent_death_signal: Some(signal),
                ..Supervision::default()
            },
            ..Config::default()
        };
        assert_eq!(invalid(&config), "signal must be 1..=64");
    }
    let every_signal: Vec<[u8; 2]> = (1..=MAX_SIGNAL).map(|s| [s, 0]).collect();
    let rewrites: [(&[[u8; 2]], Option<&str>); 5] = [
        (&every_signal, None),
        (
            &[[15, 3], [15, 2]],
            Some("rewrite FROM must be 1..=64, increasing"),
        ),
        (
            &[[15, 3], [2, 2]],
            Some("rewrite FROM must be 1..=64, increasing"),
        ),
        (&[[65, 3]], Some("rewrite FROM must be 1..=64, increasing")),
        (&[[15, 65]], Some("rewrite TO must be 0..=64")),
    ];
    for (pairs, what) in rewrites {
        let config = Config {
            supervision: Supervision {
                rewrite: SignalRewrites::new(pairs),
                ..Supervision::default()
            },
            ..Config::default()
        };
        match what {
            None => assert!(encode(&config).is_ok()),
            Some(what) => assert_eq!(invalid(&config), what),
        }
    }
}

#[test]
fn malformed_bodies_are_rejected_with_their_offset() {
    let cases: [(&[u8], u32, &str); 9] = [
        (&[0x7f, 0, 0], 16, "unknown required id: needs a newer keel"),
        (
            &[1, 3, 0, 0x7f, 0, 0],
            19,
            "unknown required id: needs a newer keel",
        ),
        (&[2, 0, 0, 1, 0, 0], 19, "id repeated or out of order"),
        (&[1, 0, 0, 1, 0, 0], 19, "id repeated or out of order"),
        (&[1, 3, 0, 1, 9, 0], 20, "entry overruns its section"),
        (&[2, 4, 0, 2, 1, 0, 2], 22, "bool must be 0 or 1"),
        (&[2, 4, 0, 1, 1, 0, 3], 22, "mode must be 0..=2"),
        (&[1, 4, 0, 2, 1, 0, 0], 22, "flag must be empty"),
        (&[1, 1], 16, "truncated entry"),
    ];
    for (body, offset, what) in cases {
        assert_eq!(
            wire::decode(&sealed(body)),
            Err(Error { offset, what }),
            "{body:?}"
        );
    }
}

#[test]
fn unknown_optional_entries_are_skipped() {
    // An optional section, and an optional field inside a known section.
    let body = [
        1, 10, 0, 3, 4, 0, b'A', b'=', b'b', 0, 0x80, 0, 0, 0x80, 2, 0, 0xff, 0xff,
    ];
    let bytes = sealed(&body);
    let config = wire::decode(&bytes).unwrap();
    assert_eq!(config.process.env_set.iter().collect::<Vec<_>>(), [c"A=b"]);
}

#[test]
fn headers_are_checked() {
    let good = encode(&Config::default()).unwrap();
    let with = |at: usize, bytes: &[u8]| {
        let mut config = good.clone();
        config[at..at + bytes.len()].copy_from_slice(bytes);
        wire::decode(&config).unwrap_err()
    };
    assert_eq!(with(0, b"KEEP").what, "not a keel config (no KEEL magic)");
    assert_eq!(
        with(4, &2u32.to_le_bytes()).what,
        "unsupported format version"
    );
    assert_eq!(with(8, &15u32.to_le_bytes()).what, "length out of range");
    assert_eq!(
        with(8, &(MAX_LEN as u32 + 1).to_le_bytes()).what,
        "length out of range"
    );
    assert_eq!(with(12, &[1, 0, 0, 0]).what, "checksum mismatch");
    let trailing = [good.as_slice(), &[0, 0, 1]].concat();
    assert_eq!(
        wire::decode(&trailing),
        Err(Error {
            offset: 18,
            what: "nonzero bytes after the end"
        })
    );
}

#[test]
fn the_largest_config_fits_and_one_more_byte_does_not() {
    // One field of `payload` bytes in one section: 16 + 3 + 3 + payload.
    let payload = MAX_LEN - HEADER_LEN - 6;
    for (len, ok) in [(payload, true), (payload + 1, false)] {
        let arg = nul_joined([vec![b'x'; len - 1]]);
        let config = process_with(Process {
            args: strings(&arg),
            ..Process::default()
        });
        let mut out = vec![0; MAX_LEN + 1];
        let result = wire::encode(&config, &mut out);
        match ok {
            true => assert_eq!(result, Ok(MAX_LEN)),
            false => assert_eq!(
                result,
                Err(EncodeError::Invalid(Error {
                    offset: 8,
                    what: "length out of range"
                }))
            ),
        }
    }
}

#[test]
fn signal_syntax() {
    let cases: [(&str, Option<u8>); 14] = [
        ("TERM", Some(15)),
        ("sigterm", Some(15)),
        ("15", Some(15)),
        ("64", Some(64)),
        ("0", None),
        ("65", None),
        ("RTMIN", Some(34)),
        ("SIGRTMIN+3", Some(37)),
        ("RTMIN+31", None),
        ("RTMAX", Some(64)),
        ("rtmax-1", Some(63)),
        ("RTMAX-31", None),
        ("SIG", None),
        ("TERMINATE", None),
    ];
    for (text, signal) in cases {
        assert_eq!(syntax::parse_signal(text.as_bytes()), signal, "{text}");
    }
    assert_eq!(syntax::parse_rewrite(b"TERM:QUIT"), Some((15, 3)));
    assert_eq!(syntax::parse_rewrite(b"SIGWINCH:0"), Some((28, 0)));
    assert_eq!(syntax::parse_rewrite(b"0:TERM"), None);
    assert_eq!(syntax::parse_rewrite(b"TERM"), None);
}

#[test]
fn duration_syntax() {
    let cases: [(&str, Option<u32>); 8] = [
        ("250ms", Some(250)),
        ("5s", Some(5000)),
        ("1m", Some(60_000)),
        ("30", Some(30_000)),
        ("71582m", Some(4_294_920_000)),
        ("71583m", None),
        ("1.5s", None),
        ("-1s", None),
    ];
    for (text, ms) in cases {
        assert_eq!(syntax::parse_duration_ms(text.as_bytes()), ms, "{text}");
    }
}

fn cgroup_with(cgroup: Cgroup<'_>) -> Config<'_> {
    Config {
        cgroup: Some(cgroup),
        ..Config::default()
    }
}

/// What `decode` says about a cgroup section, `None` if it accepts it.
fn cgroup_problem(cgroup: Cgroup<'_>) -> Option<&'static str> {
    match encode(&cgroup_with(cgroup)) {
        Ok(_) => None,
        Err(EncodeError::Invalid(Error { what, .. })) => Some(what),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_cgroup_section_is_present() {
    // Present and empty: keel sets cgroups up with every default.
    let bytes = encode(&cgroup_with(Cgroup::default())).unwrap();
    assert_eq!(bytes[HEADER_LEN..], [3, 0, 0]);
    assert_eq!(
        wire::decode(&bytes).unwrap().cgroup,
        Some(Cgroup::default())
    );
    // Absent: keel touches no cgroup.
    assert_eq!(
        wire::decode(&encode(&Config::default()).unwrap())
            .unwrap()
            .cgroup,
        None
    );
}

#[test]
fn cgroup_paths_are_checked() {
    let longest_name = "n".repeat(NAME_MAX);
    let too_long_name = "n".repeat(NAME_MAX + 1);
    let longest_path = vec!["n"; PATH_MAX / 2 - 1].join("/") + "/n";
    let too_long_path = format!("{longest_path}n");
    let relative = Some("cgroup path must be relative, without empty, . or .. components");
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("init", None),
        ("a/b/c", None),
        ("...", None),
        (".a/b.", None),
        ("a b", None),
        (&longest_name, None),
        (&longest_path, None),
        ("", relative),
        ("/a", relative),
        ("a/", relative),
        ("a//b", relative),
        (".", relative),
        ("..", relative),
        ("a/./b", relative),
        ("a/..", relative),
        ("a\nb", Some("cgroup name has a newline")),
        (&too_long_name, Some("cgroup name longer than 255 bytes")),
        (&too_long_path, Some("path longer than PATH_MAX")),
    ];
    assert_eq!(longest_path.len(), PATH_MAX - 1);
    for (path, problem) in cases {
        let path = CString::new(path).unwrap();
        let (file, value) = (c"memory.max", c"1G");
        let limit = records([Limit {
            cgroup: &path,
            file,
            value,
        }]);
        let delegate = records([Delegate {
            path: &path,
            owner: None,
            enable_controllers: true,
        }]);
        let each_place = [
            Cgroup {
                leaf: Some(&path),
                ..Cgroup::default()
            },
            Cgroup {
                workload: Some(&path),
                ..Cgroup::default()
            },
            Cgroup {
                delegates: list(&delegate),
                ..Cgroup::default()
            },
            Cgroup {
                limits: list(&limit),
                ..Cgroup::default()
            },
        ];
        for cgroup in each_place {
            assert_eq!(cgroup_problem(cgroup), problem, "{path:?} in {cgroup:?}");
        }
    }
    assert_eq!(
        cgroup_problem(Cgroup {
            root: Some(c"sys/fs/cgroup"),
            ..Cgroup::default()
        }),
        Some("cgroup root must be absolute")
    );
}

#[test]
fn controllers_are_checked() {
    let longest = "c".repeat(64);
    let too_long = "c".repeat(65);
    let bad = Some("controller name must be 1 to 64 of [a-z0-9_]");
    let cases: [(&str, Option<&str>); 6] = [
        ("perf_event", None),
        (&longest, None),
        (&too_long, bad),
        ("", bad),
        ("Memory", bad),
        ("cpu+", bad),
    ];
    for (name, problem) in cases {
        let names = nul_joined([name.as_bytes().to_vec()]);
        for cgroup in in_both_controller_lists(&names) {
            assert_eq!(cgroup_problem(cgroup), problem, "{name:?}");
        }
    }
    for (count, problem) in [
        (MAX_CONTROLLERS, None),
        (MAX_CONTROLLERS + 1, Some("more than 32 controllers")),
    ] {
        let names = nul_joined((0..count).map(|i| format!("c{i}").into_bytes()));
        for cgroup in in_both_controller_lists(&names) {
            assert_eq!(cgroup_problem(cgroup), problem, "{count}");
        }
    }
}

/// A cgroup section with `names` as its controllers, and one with them as its optional ones:
/// both lists follow the same rules.
fn in_both_controller_lists(names: &[u8]) -> [Cgroup<'_>; 2] {
    [
        Cgroup {
            controllers: strings(names),
            ..Cgroup::default()
        },
        Cgroup {
            optional: strings(names),
            ..Cgroup::default()
        },
    ]
}

#[test]
fn limits_are_checked() {
    let longest = format!("memory.{}", "m".repeat(NAME_MAX - 7));
    let too_long = format!("memory.{}", "m".repeat(NAME_MAX - 6));
    let form = Some("limit file must be PREFIX.NAME, without /");
    let keels = Some("limit file is one keel writes itself");
    let files: [(&str, Option<&str>); 14] = [
        ("memory.max", None),
        ("hugetlb.2MB.max", None),
        ("cgroup.max.depth", None),
        ("memory..", None),
        (&longest, None),
        (&too_long, form),
        ("memory", form),
        (".max", form),
        ("memory.", form),
        ("memory.a/b", form),
        ("Memory.max", form),
        ("cgroup.procs", keels),
        ("cgroup.threads", keels),
        ("cgroup.subtree_control", keels),
    ];
    let values: [(&str, Option<&str>); 4] = [
        ("max", None),
        ("10000 100000", None),
        ("", Some("limit value is empty")),
        ("1G\n", Some("limit value has a newline")),
    ];
    let cases = files
        .iter()
        .map(|&(file, problem)| (file, "1", problem))
        .chain(
            values
                .iter()
                .map(|&(value, problem)| ("memory.max", value, problem)),
        );
    for (file, value, problem) in cases {
        let (file, value) = (CString::new(file).unwrap(), CString::new(value).unwrap());
        let limit = records([Limit {
            cgroup: c"init",
            file: &file,
            value: &value,
        }]);
        let cgroup = Cgroup {
            limits: list(&limit),
            ..Cgroup::default()
        };
        assert_eq!(cgroup_problem(cgroup), problem, "{file:?} = {value:?}");
    }
}

#[test]
fn delegates_and_limits_are_limited() {
    let names: Vec<CString> = (0..=MAX_LIMITS)
        .map(|i| CString::new(format!("d{i}")).unwrap())
        .collect();
    for (count, problem) in [
        (MAX_DELEGATES, None),
        (MAX_DELEGATES + 1, Some("more than 64 delegates")),
    ] {
        let delegates = records(names[..count].iter().map(|path| Delegate {
            path,
            owner: Some((1, 2)),
            enable_controllers: false,
        }));
        let cgroup = Cgroup {
            delegates: list(&delegates),
            ..Cgroup::default()
        };
        assert_eq!(cgroup_problem(cgroup), problem, "{count}");
    }
    for (count, problem) in [
        (MAX_LIMITS, None),
        (MAX_LIMITS + 1, Some("more than 256 limits")),
    ] {
        let limits = records(names[..count].iter().map(|cgroup| Limit {
            cgroup,
            file: c"pids.max",
            value: c"9",
        }));
        let cgroup = Cgroup {
            limits: list(&limits),
            ..Cgroup::default()
        };
        assert_eq!(cgroup_problem(cgroup), problem, "{count}");
    }
}

#[test]
fn delegate_records_are_framed() {
    let delegates = [
        Delegate {
            path: c"a",
            owner: None,
            enable_controllers: false,
        },
        Delegate {
            path: c"b/c",
            owner: Some((1000, 0)),
            enable_controllers: true,
        },
        Delegate {
            path: c"d",
            owner: Some((0, u32::MAX)),
            enable_controllers: false,
        },
    ];
    let bytes = records(delegates);
    assert_eq!(
        bytes,
        [
            &[0, b'a', 0][..],
            &[3, 0xe8, 3, 0, 0, 0, 0, 0, 0, b'b', b'/', b'c', 0],
            &[2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, b'd', 0],
        ]
        .concat()
    );
    let parsed: List<'_, Delegate<'_>> = list(&bytes);
    assert_eq!(parsed.len(), 3);
    assert!(parsed.iter().eq(delegates));
    // Unknown flags, a cut owner, a path without its NUL.
    for bad in [&[4, b'a', 0][..], &[2, 1, 0, 0, 0, 0, 0, 0, 0], &[1, b'a']] {
        assert_eq!(
            List::<Delegate<'_>>::from_bytes_with_nul(bad),
            None,
            "{bad:?}"
        );
        let field = [&[6][..], &(bad.len() as u16).to_le_bytes(), bad].concat();
        let body = [&[3][..], &(field.len() as u16).to_le_bytes(), &field].concat();
        let what = wire::decode(&sealed(&body)).unwrap_err().what;
        assert!(
            what.starts_with("delegate must be") || what == "string lacks its NUL",
            "{bad:?}: {what}"
        );
    }
    // A limit is three strings.
    let field = [&[7][..], &6u16.to_le_bytes(), b"a\0b.c\0"].concat();
    let body = [&[3][..], &(field.len() as u16).to_le_bytes(), &field].concat();
    assert_eq!(
        wire::decode(&sealed(&body)).unwrap_err().what,
        "string lacks its NUL"
    );
}

#[test]
fn cgroup_errors_point_at_the_string() {
    // Header 16, section header 3, field header 3: the first record is at 22.
    let limit = records([
        Limit {
            cgroup: c"init",
            file: c"pids.max",
            value: c"9",
        },
        Limit {
            cgroup: c"init",
            file: c"cgroup.procs",
            value: c"1",
        },
    ]);
    let config = cgroup_with(Cgroup {
        limits: list(&limit),
        ..Cgroup::default()
    });
    assert_eq!(
        encode(&config),
        Err(EncodeError::Invalid(Error {
            offset: 22 + 16 + 5,
            what: "limit file is one keel writes itself"
        }))
    );
    let delegate = records([Delegate {
        path: c"a/",
        owner: Some((1, 1)),
        enable_controllers: true,
    }]);
    let config = cgroup_with(Cgroup {
        delegates: list(&delegate),
        ..Cgroup::default()
    });
    assert!(matches!(
        encode(&config),
        Err(EncodeError::Invalid(Error { offset: 31, .. }))
    ));
    let config = cgroup_with(Cgroup {
        leaf: Some(c"a"),
        workload: Some(c".."),
        ..Cgroup::default()
    });
    assert!(matches!(
        encode(&config),
        Err(EncodeError::Invalid(Error { offset: 27, .. }))
    ));
}

#[test]
fn cgroup_paths_are_one_each() {
    for (id, two) in [(1, &b"/a\0/b\0"[..]), (3, b"a\0b\0"), (8, b"a\0b\0")] {
        let field = [&[id][..], &(two.len() as u16).to_le_bytes(), two].concat();
        let body = [&[3][..], &(field.len() as u16).to_le_bytes(), &field].concat();
        assert_eq!(
            wire::decode(&sealed(&body)),
            Err(Error {
                offset: 22 + two.len() as u32 / 2,
                what: "more than one path"
            }),
            "field {id}"
        );
    }
    // mount is a flag.
    assert_eq!(
        wire::decode(&sealed(&[3, 4, 0, 2, 1, 0, 1]))
            .unwrap_err()
            .what,
        "flag must be empty"
    );
    let bytes = sealed(&[3, 3, 0, 2, 0, 0]);
    let config = wire::decode(&bytes).unwrap();
    assert_eq!(
        config.cgroup,
        Some(Cgroup {
            mount: true,
            ..Cgroup::default()
        })
    );
}

#[test]
fn the_check_functions_are_the_decoders() {
    assert_eq!(wire::check_cgroup_path(b"a/b"), Ok(()));
    assert!(wire::check_cgroup_path(b"/a").is_err());
    assert_eq!(wire::check_controller(b"io"), Ok(()));
    assert!(wire::check_controller(b"IO").is_err());
    assert_eq!(wire::check_limit_file(b"io.max"), Ok(()));
    assert!(wire::check_limit_file(b"io").is_err());
    assert_eq!(wire::check_limit_value(b"max"), Ok(()));
    assert!(wire::check_limit_value(b"").is_err());
}

fn namespaces_with(namespaces: Namespaces<'_>) -> Config<'_> {
    Config {
        namespaces: Some(namespaces),
        ..Config::default()
    }
}

/// What `decode` says about a namespaces section, `None` if it accepts it.
fn namespaces_problem(namespaces: Namespaces<'_>) -> Option<&'static str> {
    problem(&namespaces_with(namespaces))
}

fn problem(config: &Config<'_>) -> Option<&'static str> {
    match encode(config) {
        Ok(_) => None,
        Err(EncodeError::Invalid(Error { what, .. })) => Some(what),
        Err(other) => panic!("{other:?}"),
    }
}

/// A body of one section `id` holding one field `field` with `payload`.
fn one_field(id: u8, field: u8, payload: &[u8]) -> Vec<u8> {
    let field = [&[field][..], &(payload.len() as u16).to_le_bytes(), payload].concat();
    [&[id][..], &(field.len() as u16).to_le_bytes(), &field].concat()
}

#[test]
fn empty_namespaces_and_mounts_sections_are_present() {
    let config = Config {
        namespaces: Some(Namespaces::default()),
        mounts: Some(Mounts::default()),
        ..Config::default()
    };
    let bytes = encode(&config).unwrap();
    assert_eq!(bytes[HEADER_LEN..], [4, 0, 0, 5, 0, 0]);
    assert_eq!(wire::decode(&bytes), Ok(config));
}

#[test]
fn seal_exe_is_a_bool() {
    for seal_exe in [None, Some(false), Some(true)] {
        let config = Config {
            supervision: Supervision {
                seal_exe,
                ..Supervision::default()
            },
            ..Config::default()
        };
        assert_eq!(wire::decode(&encode(&config).unwrap()), Ok(config));
    }
    assert_eq!(
        wire::decode(&sealed(&one_field(2, 10, &[2]))).unwrap_err(),
        Error {
            offset: 22,
            what: "bool must be 0 or 1"
        }
    );
}

#[test]
fn namespaces_are_the_known_ones() {
    let all = NamespaceSet::ALL;
    assert_eq!(all, 0x7e02_0080);
    assert_eq!(all.count_ones(), 8);
    assert_eq!(
        namespaces_problem(Namespaces {
            unshare: NamespaceSet(all),
            ..Namespaces::default()
        }),
        None
    );
    for bit in (0..32).map(|i| 1u32 << i).filter(|bit| all & bit == 0) {
        assert_eq!(
            namespaces_problem(Namespaces {
                unshare: NamespaceSet(bit),
                ..Namespaces::default()
            }),
            Some("unshare has bits of no namespace"),
            "{bit:#x}"
        );
    }
    let set = NamespaceSet(NamespaceSet::PID | NamespaceSet::USER);
    assert!(set.contains(NamespaceSet::USER));
    assert!(!set.contains(NamespaceSet::MOUNT));
    assert_eq!(
        wire::decode(&sealed(&one_field(4, 1, &[0, 0, 2]))).unwrap_err(),
        Error {
            offset: 22,
            what: "expected 4 bytes"
        }
    );
}

#[test]
fn settings_need_their_namespace() {
    let map = records([IdMap {
        inside: 0,
        outside: 1000,
        count: 1,
    }]);
    let user = Some("uid_map, gid_map and setgroups need the user namespace");
    let uts = Some("hostname and domainname need the uts namespace");
    let time = Some("time offsets need the time namespace");
    let cases: [(u32, Namespaces<'_>, Option<&str>); 7] = [
        (
            NamespaceSet::USER,
            Namespaces {
                uid_map: list(&map),
                ..Namespaces::default()
            },
            user,
        ),
        (
            NamespaceSet::USER,
            Namespaces {
                gid_map: list(&map),
                ..Namespaces::default()
            },
            user,
        ),
        (
            NamespaceSet::USER,
            Namespaces {
                setgroups_deny: true,
                ..Namespaces::default()
            },
            user,
        ),
        (
            NamespaceSet::UTS,
            Namespaces {
                hostname: Some(c"box"),
                ..Namespaces::default()
            },
            uts,
        ),
        (
            NamespaceSet::UTS,
            Namespaces {
                domainname: Some(c"example.org"),
                ..Namespaces::default()
            },
            uts,
        ),
        (
            NamespaceSet::TIME,
            Namespaces {
                time_offsets: TimeOffsets {
                    monotonic: Some((-5, 0)),
                    boottime: None,
                },
                ..Namespaces::default()
            },
            time,
        ),
        (
            NamespaceSet::TIME,
            Namespaces {
                time_offsets: TimeOffsets {
                    monotonic: None,
                    boottime: Some((i64::MAX, 999_999_999)),
                },
                ..Namespaces::default()
            },
            time,
        ),
    ];
    for (namespace, namespaces, missing) in cases {
        // Every namespace but the one needed is not enough.
        let others = Namespaces {
            unshare: NamespaceSet(NamespaceSet::ALL & !namespace),
            ..namespaces
        };
        assert_eq!(namespaces_problem(others), missing, "{namespaces:?}");
        let with = Namespaces {
            unshare: NamespaceSet(namespace),
            ..namespaces
        };
        assert_eq!(namespaces_problem(with), None, "{namespaces:?}");
        assert_eq!(
            wire::decode(&encode(&namespaces_with(with)).unwrap())
                .unwrap()
                .namespaces,
            Some(with)
        );
    }
}

#[test]
fn id_maps_are_checked() {
    let what = "id map count must be above 0, and first + count at most 2^32 - 1";
    let bad = Some(what);
    let max = u32::MAX;
    // (inside, outside, count) and the problem.
    let cases: [(u32, u32, u32, Option<&str>); 8] = [
        (0, 100_000, 65_536, None),
        (0, 0, max, None),
        (max - 1, 1, 1, None),
        (1, max - 1, 1, None),
        (0, 0, 0, bad),
        (1, 0, max, bad),
        (0, max, 1, bad),
        (max, max, max, bad),
    ];
    for (inside, outside, count, problem) in cases {
        let map = IdMap {
            inside,
            outside,
            count,
        };
        assert_eq!(wire::check_id_map(map).err(), problem, "{map:?}");
        let bytes = records([map]);
        let namespaces = Namespaces {
            unshare: NamespaceSet(NamespaceSet::USER),
            gid_map: list(&bytes),
            ..Namespaces::default()
        };
        assert_eq!(namespaces_problem(namespaces), problem, "{map:?}");
    }
    let map = |i: u32| IdMap {
        inside: i,
        outside: i,
        count: 1,
    };
    for (count, problem) in [
        (MAX_ID_MAPS, None),
        (MAX_ID_MAPS + 1, Some("more than 340 id maps")),
    ] {
        let bytes = records((0..count as u32).map(map));
        let namespaces = Namespaces {
            unshare: NamespaceSet(NamespaceSet::USER),
            uid_map: list(&bytes),
            ..Namespaces::default()
        };
        assert_eq!(namespaces_problem(namespaces), problem, "{count}");
    }
    // Records are 12 bytes: inside, outside, count.
    assert_eq!(
        records([IdMap {
            inside: 1,
            outside: 0x0102_0304,
            count: 0xffff_ffff
        }]),
        [1, 0, 0, 0, 4, 3, 2, 1, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(List::<IdMap>::from_bytes_with_nul(&[0; 13]), None);
    let unshare = one_field(4, 1, &NamespaceSet::USER.to_le_bytes());
    let cut = [&unshare[..], &[2, 11, 0], &[0; 11]].concat();
    let body = [&[4][..], &((cut.len() - 3) as u16).to_le_bytes(), &cut[3..]].concat();
    assert_eq!(
        wire::decode(&sealed(&body)).unwrap_err(),
        Error {
            offset: 29,
            what: "id maps must be 12-byte records"
        }
    );
    // The error points at the bad record.
    let bytes = records([map(1), map(u32::MAX)]);
    let config = namespaces_with(Namespaces {
        unshare: NamespaceSet(NamespaceSet::USER),
        uid_map: list(&bytes),
        ..Namespaces::default()
    });
    assert_eq!(
        encode(&config).unwrap_err(),
        EncodeError::Invalid(Error {
            offset: 16 + 3 + 7 + 3 + 12,
            what
        })
    );
}

#[test]
fn host_and_domain_names_are_1_to_64_bytes() {
    let longest = CString::new("h".repeat(HOST_NAME_MAX)).unwrap();
    let too_long = CString::new("h".repeat(HOST_NAME_MAX + 1)).unwrap();
    let bad = Some("host and domain names are 1 to 64 bytes");
    for (name, problem) in [(c"b", None), (&longest, None), (&too_long, bad), (c"", bad)] {
        for namespaces in [
            Namespaces {
                unshare: NamespaceSet(NamespaceSet::UTS),
                hostname: Some(name),
                ..Namespaces::default()
            },
            Namespaces {
                unshare: NamespaceSet(NamespaceSet::UTS),
                domainname: Some(name),
                ..Namespaces::default()
            },
        ] {
            assert_eq!(namespaces_problem(namespaces), problem, "{name:?}");
        }
    }
    let unshare = one_field(4, 1, &NamespaceSet::UTS.to_le_bytes());
    let fields = [&unshare[3..], &[5, 4, 0, b'a', 0, b'b', 0]].concat();
    let body = [&[4][..], &(fields.len() as u16).to_le_bytes(), &fields].concat();
    assert_eq!(
        wire::decode(&sealed(&body)).unwrap_err().what,
        "more than one name"
    );
}

#[test]
fn time_offsets_are_seconds_and_nanoseconds() {
    let with = |offset| {
        namespaces_with(Namespaces {
            unshare: NamespaceSet(NamespaceSet::TIME),
            time_offsets: TimeOffsets {
                monotonic: Some(offset),
                boottime: Some(offset),
            },
            ..Namespaces::default()
        })
    };
    for offset in [(0, 0), (i64::MIN, 999_999_999), (-1, 1)] {
        let config = with(offset);
        assert_eq!(wire::decode(&encode(&config).unwrap()), Ok(config));
    }
    // Header 16, section 3, unshare 3 + 4, offset header 3: the nanoseconds are 8 bytes in.
    assert_eq!(
        encode(&with((1, 1_000_000_000))).unwrap_err(),
        EncodeError::Invalid(Error {
            offset: 16 + 3 + 7 + 3 + 8,
            what: "time offset nanoseconds must be below 10^9"
        })
    );
    let unshare = one_field(4, 1, &NamespaceSet::TIME.to_le_bytes());
    for len in [0, 8, 11, 13] {
        let fields = [&unshare[3..], &[7, len as u8, 0], &vec![0; len]].concat();
        let body = [&[4][..], &(fields.len() as u16).to_le_bytes(), &fields].concat();
        assert_eq!(
            wire::decode(&sealed(&body)).unwrap_err().what,
            "time offset must be 12 bytes",
            "{len}"
        );
    }
}

fn mounts_with(mounts: Mounts<'_>) -> Config<'_> {
    Config {
        mounts: Some(mounts),
        ..Config::default()
    }
}

/// A plain mount of `kind` on `/mnt`, to change one thing of.
fn mount(kind: MountKind) -> Mount<'static> {
    Mount {
        kind,
        source: (kind == MountKind::Bind).then_some(c"/srv"),
        target: c"/mnt",
        attrs: 0,
        recursive: false,
        options: Strings::default(),
        lower: if kind == MountKind::Overlay {
            strings(b"/layer\0")
        } else {
            Strings::default()
        },
        upper: Upper::Sealed,
    }
}

/// What `decode` says about a mount, `None` if it accepts it.
fn mount_problem(mount: Mount<'_>) -> Option<&'static str> {
    let bytes = records([mount]);
    problem(&mounts_with(Mounts {
        entries: list(&bytes),
        ..Mounts::default()
    }))
}

#[test]
fn every_kind_takes_what_it_should() {
    let (bind, overlay) = (MountKind::Bind, MountKind::Overlay);
    let options = nul_joined([b"size=1m".to_vec(), b"newinstance".to_vec()]);
    for kind in MountKind::ALL {
        assert_eq!(mount_problem(mount(kind)), None, "{kind:?}");
        let fs = kind != bind && kind != overlay;
        let source = Mount {
            source: Some(c"/srv"),
            ..mount(kind)
        };
        let no_source = Mount {
            source: None,
            ..mount(kind)
        };
        let recursive = Mount {
            recursive: true,
            ..mount(kind)
        };
        let with_options = Mount {
            options: strings(&options),
            ..mount(kind)
        };
        let lower = Mount {
            lower: strings(b"/a\0"),
            ..mount(kind)
        };
        let tmpfs = Mount {
            upper: Upper::Tmpfs { size: None },
            ..mount(kind)
        };
        let source_rule = "a bind mount needs a source, and only it has one";
        assert_eq!(mount_problem(source), (kind != bind).then_some(source_rule));
        assert_eq!(
            mount_problem(no_source),
            (kind == bind).then_some(source_rule)
        );
        let only_bind = (kind != bind).then_some("only a bind mount is recursive");
        assert_eq!(mount_problem(recursive), only_bind, "{kind:?}");
        let options_rule = (!fs).then_some("bind and overlay mounts take no options");
        assert_eq!(mount_problem(with_options), options_rule, "{kind:?}");
        let layers = (kind != overlay).then_some("only an overlay has layers");
        assert_eq!(mount_problem(lower), layers, "{kind:?}");
        assert_eq!(mount_problem(tmpfs), layers, "{kind:?}");
    }
    let layers: Vec<Vec<u8>> = (0..=MAX_LOWER_LAYERS)
        .map(|i| format!("/l{i}").into_bytes())
        .collect();
    for (count, problem) in [
        (0, Some("an overlay has 1 to 15 lower layers")),
        (1, None),
        (MAX_LOWER_LAYERS, None),
        (
            MAX_LOWER_LAYERS + 1,
            Some("an overlay has 1 to 15 lower layers"),
        ),
    ] {
        let lower = nul_joined(layers[..count].iter().cloned());
        let overlay = Mount {
            lower: strings(&lower),
            ..mount(overlay)
        };
        assert_eq!(mount_problem(overlay), problem, "{count}");
    }
}

#[test]
fn mount_attrs_are_known_bits_and_one_atime_mode() {
    let known = [
        Mount::RDONLY,
        Mount::NOSUID,
        Mount::NODEV,
        Mount::NOEXEC,
        Mount::NOATIME,
        Mount::STRICTATIME,
        Mount::NODIRATIME,
        Mount::NOSYMFOLLOW,
    ];
    assert_eq!(known.iter().fold(0, |set, bit| set | bit), Mount::ATTRS);
    for bit in (0..64).map(|i| 1u64 << i) {
        let problem = (Mount::ATTRS & bit == 0).then_some("mount attrs has unknown bits");
        let with = Mount {
            attrs: bit,
            ..mount(MountKind::Tmpfs)
        };
        assert_eq!(mount_problem(with), problem, "{bit:#x}");
    }
    let everything_but_strictatime = Mount::ATTRS & !Mount::STRICTATIME;
    for (attrs, problem) in [
        (everything_but_strictatime, None),
        (Mount::ATTRS, Some("mount attrs has two atime modes")),
        (
            Mount::NOATIME | Mount::STRICTATIME,
            Some("mount attrs has two atime modes"),
        ),
    ] {
        let with = Mount {
            attrs,
            ..mount(MountKind::Bind)
        };
        assert_eq!(mount_problem(with), problem, "{attrs:#x}");
    }
}

#[test]
fn mount_paths_are_checked() {
    let longest = CString::new(format!("/{}", "p".repeat(PATH_MAX - 2))).unwrap();
    let too_long = CString::new(format!("/{}", "p".repeat(PATH_MAX - 1))).unwrap();
    let long = Some("path longer than PATH_MAX");
    let targets: [(&std::ffi::CStr, Option<&str>); 12] = [
        (c"/", None),
        (c"/a/b", None),
        (c"/...", None),
        (c"/a/..b/c..", None),
        (c"/a/./b", None),
        (&longest, None),
        (&too_long, long),
        (c"a", Some("mount target must be absolute")),
        (c"", Some("mount target must be absolute")),
        (c"/..", Some("mount target has a .. component")),
        (c"/a/../b", Some("mount target has a .. component")),
        (c"/a/..", Some("mount target has a .. component")),
    ];
    for (target, problem) in targets {
        assert_eq!(wire::check_mount_target(target.to_bytes()).err(), problem);
        let with = Mount {
            target,
            ..mount(MountKind::Proc)
        };
        assert_eq!(mount_problem(with), problem, "{target:?}");
    }
    // Sources, layers, upper and work: absolute, shorter than PATH_MAX, `..` allowed.
    let overlay = mount(MountKind::Overlay);
    for (path, ok) in [
        (c"/a/../b", true),
        (&longest, true),
        (c"a", false),
        (&too_long, false),
    ] {
        let list = [path.to_bytes_with_nul(), b"/b\0"].concat();
        let cases = [
            (
                Mount {
                    source: Some(path),
                    ..mount(MountKind::Bind)
                },
                "bind source must be absolute",
            ),
            (
                Mount {
                    lower: strings(&list),
                    ..overlay
                },
                "overlay layer must be absolute",
            ),
            (
                Mount {
                    upper: Upper::Dir {
                        upper: path,
                        work: c"/w",
                    },
                    ..overlay
                },
                "overlay upper and work must be absolute",
            ),
            (
                Mount {
                    upper: Upper::Dir {
                        upper: c"/u",
                        work: path,
                    },
                    ..overlay
                },
                "overlay upper and work must be absolute",
            ),
        ];
        for (with, relative) in cases {
            let problem = match (ok, path.to_bytes().len() < PATH_MAX) {
                (true, _) => None,
                (false, true) => Some(relative),
                (false, false) => long,
            };
            assert_eq!(mount_problem(with), problem, "{path:?} in {with:?}");
        }
    }
}

#[test]
fn mount_options_and_sizes_are_fsconfig_strings() {
    let longest = "o".repeat(MOUNT_OPTION_MAX);
    let too_long = "o".repeat(MOUNT_OPTION_MAX + 1);
    let bad = Some("mount option must be key=value or flag: 1 to 255 bytes, without ,");
    let cases: [(&str, Option<&str>); 8] = [
        ("size=64m", None),
        ("newinstance", None),
        ("a=b=c", None),
        (&longest, None),
        (&too_long, bad),
        ("", bad),
        ("=x", bad),
        ("size=1,mode=2", bad),
    ];
    for (option, problem) in cases {
        assert_eq!(wire::check_mount_option(option.as_bytes()).err(), problem);
        let options = nul_joined([b"mode=0755".to_vec(), option.as_bytes().to_vec()]);
        let with = Mount {
            options: strings(&options),
            ..mount(MountKind::Devpts)
        };
        assert_eq!(mount_problem(with), problem, "{option:?}");
    }
    let largest = "s".repeat(250);
    let too_large = "s".repeat(251);
    let bad = Some("overlay size must be 1 to 250 bytes, without ,");
    for (size, problem) in [
        ("64m", None),
        (&largest, None),
        (&too_large, bad),
        ("", bad),
        ("1,2", bad),
    ] {
        let size = CString::new(size).unwrap();
        assert_eq!(wire::check_overlay_size(size.to_bytes()).err(), problem);
        let with = Mount {
            upper: Upper::Tmpfs { size: Some(&size) },
            ..mount(MountKind::Overlay)
        };
        assert_eq!(mount_problem(with), problem, "{size:?}");
    }
}

#[test]
fn mount_records_are_framed() {
    let bind = Mount {
        attrs: Mount::RDONLY | Mount::NOSYMFOLLOW,
        recursive: true,
        ..mount(MountKind::Bind)
    };
    let tmpfs = Mount {
        options: strings(b"size=1m\0"),
        ..mount(MountKind::Tmpfs)
    };
    let overlay = Mount {
        lower: strings(b"/a\0/b\0"),
        upper: Upper::Tmpfs { size: Some(c"9k") },
        ..mount(MountKind::Overlay)
    };
    let persisted = Mount {
        upper: Upper::Dir {
            upper: c"/u",
            work: c"/w",
        },
        ..mount(MountKind::Overlay)
    };
    let bytes = records([bind, tmpfs, overlay, persisted]);
    assert_eq!(
        bytes,
        [
            &[0, 0b0011, 1, 0, 0x20, 0, 0, 0][..],
            b"/mnt\0/srv\0",
            &[1, 0, 0, 0, 0, 0, 1, 0],
            b"/mnt\0size=1m\0",
            &[7, 0b1000, 0, 0, 0, 0, 0, 2],
            b"/mnt\0/a\0/b\09k\0",
            &[7, 0b1100, 0, 0, 0, 0, 0, 1],
            b"/mnt\0/layer\0/u\0/w\0",
        ]
        .concat()
    );
    let parsed: List<'_, Mount<'_>> = list(&bytes);
    assert_eq!(parsed.len(), 4);
    assert!(parsed.iter().eq([bind, tmpfs, overlay, persisted]));
    // An unknown kind, unknown flags, a cut head, a missing source, too few strings.
    let framing = "mount must be kind 0..=8, flags 0..=15, attrs, 2 counts, its strings";
    for bad in [
        &[9, 0, 0, 0, 0, 0, 0, 0, b'/', 0][..],
        &[1, 0x10, 0, 0, 0, 0, 0, 0, b'/', 0],
        &[1, 0, 0, 0, 0, 0, 0],
        &[0, 2, 0, 0, 0, 0, 0, 0, b'/', 0],
        &[1, 0, 0, 0, 0, 0, 1, 0, b'/', 0],
        &[7, 0b1100, 0, 0, 0, 0, 0, 1, b'/', 0, b'/', 0, b'/', 0],
        &[1, 0, 0, 0, 0, 0, 0, 0, b'/'],
    ] {
        assert_eq!(List::<Mount<'_>>::from_bytes_with_nul(bad), None, "{bad:?}");
        assert_eq!(
            wire::decode(&sealed(&one_field(5, 2, bad))).unwrap_err(),
            Error {
                offset: 22,
                what: framing
            },
            "{bad:?}"
        );
    }
    // What a record cannot hold is written so that decode refuses it.
    let huge = Mount {
        attrs: 1 << 32,
        ..mount(MountKind::Tmpfs)
    };
    assert_eq!(mount_problem(huge), Some("mount attrs has unknown bits"));
    let options = nul_joined((0..256).map(|i| format!("o{i}").into_bytes()));
    let many = Mount {
        options: strings(&options),
        ..mount(MountKind::Tmpfs)
    };
    let written = records([many]);
    assert_eq!(written, [u8::MAX]);
    assert_eq!(
        wire::decode(&sealed(&one_field(5, 2, &written)))
            .unwrap_err()
            .what,
        framing
    );
}

#[test]
fn mount_errors_point_at_the_string() {
    // Header 16, section 3, field 3: the first record is at 22, its strings at 30.
    let bytes = records([
        mount(MountKind::Proc),
        Mount {
            options: strings(b"mode=1\0,\0"),
            ..mount(MountKind::Tmpfs)
        },
    ]);
    let config = mounts_with(Mounts {
        entries: list(&bytes),
        ..Mounts::default()
    });
    // The proc is 8 + 5 bytes; the tmpfs's strings start 8 bytes later: "/mnt", "mode=1".
    assert_eq!(
        encode(&config),
        Err(EncodeError::Invalid(Error {
            offset: 22 + 13 + 8 + 5 + 7,
            what: "mount option must be key=value or flag: 1 to 255 bytes, without ,"
        }))
    );
    let bytes = records([Mount {
        recursive: true,
        ..mount(MountKind::Proc)
    }]);
    let config = mounts_with(Mounts {
        root: Some(c"/root"),
        entries: list(&bytes),
        ..Mounts::default()
    });
    // After the root field (3 + 6 bytes), the record's head.
    assert_eq!(
        encode(&config),
        Err(EncodeError::Invalid(Error {
            offset: 22 + 9,
            what: "only a bind mount is recursive"
        }))
    );
}

#[test]
fn mount_lists_are_limited() {
    let proc = records([mount(MountKind::Proc)]);
    for (count, expected) in [
        (MAX_MOUNTS, None),
        (MAX_MOUNTS + 1, Some("more than 256 mounts")),
    ] {
        let bytes = proc.repeat(count);
        let config = mounts_with(Mounts {
            entries: list(&bytes),
            ..Mounts::default()
        });
        assert_eq!(problem(&config), expected, "{count}");
    }
    for (count, masked, readonly) in [
        (MAX_MOUNT_PATHS, None, None),
        (
            MAX_MOUNT_PATHS + 1,
            Some("more than 64 masked paths"),
            Some("more than 64 read-only paths"),
        ),
    ] {
        let paths = nul_joined((0..count).map(|i| format!("/p{i}").into_bytes()));
        let config = mounts_with(Mounts {
            masked: strings(&paths),
            ..Mounts::default()
        });
        assert_eq!(problem(&config), masked, "{count}");
        let config = mounts_with(Mounts {
            readonly: strings(&paths),
            ..Mounts::default()
        });
        assert_eq!(problem(&config), readonly, "{count}");
    }
    let relative = strings(b"/a\0b\0");
    for (mounts, what) in [
        (
            Mounts {
                masked: relative,
                ..Mounts::default()
            },
            "masked path must be absolute",
        ),
        (
            Mounts {
                readonly: relative,
                ..Mounts::default()
            },
            "read-only path must be absolute",
        ),
        (
            Mounts {
                root: Some(c"srv/root"),
                ..Mounts::default()
            },
            "mount root must be absolute",
        ),
    ] {
        assert_eq!(problem(&mounts_with(mounts)), Some(what));
    }
    assert_eq!(
        wire::decode(&sealed(&one_field(5, 1, b"/a\0/b\0")))
            .unwrap_err()
            .what,
        "more than one path"
    );
}

fn rlimit(resource: u8, soft: u64, hard: u64) -> Rlimit {
    Rlimit {
        resource,
        soft,
        hard,
    }
}

/// What `decode` says about a process section, `None` if it accepts it.
fn process_problem(process: Process<'_>) -> Option<&'static str> {
    problem(&process_with(process))
}

#[test]
fn users_are_a_uid_a_gid_and_at_most_64_gids() {
    for (count, ok) in [(0, true), (MAX_GIDS, true), (MAX_GIDS + 1, false)] {
        let gids = records(0..count as u32);
        let user = User {
            uid: u32::MAX,
            gid: 0,
            additional_gids: list(&gids),
        };
        let config = process_with(Process {
            user: Some(user),
            ..Process::default()
        });
        match encode(&config) {
            Ok(bytes) => {
                assert!(ok, "{count} gids accepted");
                let decoded = wire::decode(&bytes).unwrap().process.user.unwrap();
                assert!(decoded.additional_gids.iter().eq(0..count as u32));
            }
            Err(EncodeError::Invalid(Error { offset, what })) => {
                assert!(!ok, "{count} gids refused");
                assert_eq!(what, "more than 64 additional gids");
                // Section and field headers, the uid and the gid, then 64 gids.
                assert_eq!(offset as usize, HEADER_LEN + 6 + 8 + 4 * MAX_GIDS);
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    for payload in [&[0; 7][..], &[0; 10], &[]] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, 6, payload)))
                .unwrap_err()
                .what,
            "user must be a uid, a gid and gids, 4 bytes each"
        );
    }
}

#[test]
fn capabilities_follow_the_kernel_rules() {
    let cap = |n: u8| 1u64 << n;
    let caps = |bounding, effective, permitted, inheritable, ambient| {
        process_problem(Process {
            capabilities: Some(Capabilities {
                bounding,
                effective,
                permitted,
                inheritable,
                ambient,
            }),
            ..Process::default()
        })
    };
    let last = cap(CAP_LAST_CAP);
    assert_eq!(Capabilities::ALL, (last << 1) - 1);
    assert_eq!(caps(0, 0, 0, 0, 0), None);
    assert_eq!(caps(last, last, last, last, last), None);
    let all = Capabilities::ALL;
    assert_eq!(caps(all, all, all, all, all), None);
    let above = Some("capability above 40 (CAP_LAST_CAP)");
    for high in [cap(41), cap(63)] {
        assert_eq!(caps(high, 0, 0, 0, 0), above);
        assert_eq!(caps(0, 0, 0, high, 0), above);
        assert_eq!(caps(0, high, high, high, high), above);
    }
    assert_eq!(
        caps(0, cap(5), cap(6), 0, 0),
        Some("effective capabilities must be permitted")
    );
    let ambient = Some("ambient capabilities must be permitted and inheritable");
    assert_eq!(caps(0, 0, cap(5), 0, cap(5)), ambient);
    assert_eq!(caps(0, 0, 0, cap(5), cap(5)), ambient);
    assert_eq!(caps(0, 0, cap(5), cap(5), cap(5)), None);
    // Capabilities the config leaves alone differ from an empty set.
    let bytes = encode(&process_with(Process {
        capabilities: Some(Capabilities::default()),
        ..Process::default()
    }))
    .unwrap();
    assert_eq!(bytes[HEADER_LEN..HEADER_LEN + 6], [1, 43, 0, 8, 40, 0]);
    for len in [0, 39, 41, 48] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, 8, &vec![0; len])))
                .unwrap_err()
                .what,
            "capabilities must be 5 sets of 8 bytes"
        );
    }
}

#[test]
fn rlimits_are_known_resources_once_each_soft_at_most_hard() {
    let rlimits_problem = |items: &[Rlimit]| {
        let bytes = records(items.iter().copied());
        process_problem(Process {
            rlimits: list(&bytes),
            ..Process::default()
        })
    };
    let every: Vec<_> = (0..MAX_RLIMITS as u8)
        .rev()
        .map(|r| rlimit(r, u64::from(r), u64::MAX))
        .collect();
    assert_eq!(rlimits_problem(&every), None);
    assert_eq!(rlimits_problem(&[rlimit(7, 0, 0)]), None);
    assert_eq!(
        rlimits_problem(&[rlimit(16, 0, 0)]),
        Some("rlimit resource must be 0..=15")
    );
    assert_eq!(
        rlimits_problem(&[rlimit(255, 0, 0)]),
        Some("rlimit resource must be 0..=15")
    );
    assert_eq!(
        rlimits_problem(&[rlimit(7, 1, 2), rlimit(4, 0, 0), rlimit(7, 1, 2)]),
        Some("rlimit resource repeated")
    );
    assert_eq!(
        rlimits_problem(&[rlimit(4, u64::MAX, u64::MAX - 1)]),
        Some("rlimit soft limit above hard")
    );
    // The error points at the record.
    let bytes = records([rlimit(1, 0, 0), rlimit(2, 2, 1)]);
    let config = process_with(Process {
        rlimits: list(&bytes),
        ..Process::default()
    });
    match encode(&config) {
        Err(EncodeError::Invalid(error)) => assert_eq!(error.offset as usize, HEADER_LEN + 6 + 17),
        other => panic!("{other:?}"),
    }
    // Read back in order.
    let bytes = records(every.iter().copied());
    let encoded = encode(&process_with(Process {
        rlimits: list(&bytes),
        ..Process::default()
    }))
    .unwrap();
    let decoded = wire::decode(&encoded).unwrap();
    assert!(decoded.process.rlimits.iter().eq(every.iter().copied()));
    for len in [1, 16, 18, 33] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, 9, &vec![0; len])))
                .unwrap_err()
                .what,
            "rlimits must be 17-byte records"
        );
    }
}

#[test]
fn umask_and_oom_score_adj_are_in_range() {
    for (umask, ok) in [(0, true), (0o777, true), (0o1000, false), (u32::MAX, false)] {
        let problem = process_problem(Process {
            umask: Some(umask),
            ..Process::default()
        });
        assert_eq!(
            problem,
            (!ok).then_some("umask must be 0..=0o777"),
            "{umask:o}"
        );
    }
    for (adj, ok) in [
        (-1000, true),
        (0, true),
        (1000, true),
        (-1001, false),
        (1001, false),
        (i32::MIN, false),
        (i32::MAX, false),
    ] {
        let problem = process_problem(Process {
            oom_score_adj: Some(adj),
            ..Process::default()
        });
        assert_eq!(
            problem,
            (!ok).then_some("oom_score_adj must be -1000..=1000"),
            "{adj}"
        );
    }
    let bytes = encode(&process_with(Process {
        oom_score_adj: Some(-1),
        no_new_privileges: true,
        ..Process::default()
    }))
    .unwrap();
    assert_eq!(
        bytes[HEADER_LEN..],
        [1, 10, 0, 7, 0, 0, 11, 4, 0, 0xff, 0xff, 0xff, 0xff]
    );
    for (field, payload, what) in [
        (7, &[0][..], "flag must be empty"),
        (10, &[0, 0], "expected 4 bytes"),
        (11, &[0; 5], "expected 4 bytes"),
    ] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, field, payload)))
                .unwrap_err()
                .what,
            what
        );
    }
}

fn landlock_with(landlock: Landlock<'_>) -> Config<'_> {
    Config {
        landlock: Some(landlock),
        ..Config::default()
    }
}

#[test]
fn seccomp_filters_are_framed() {
    let filter = |flags, program| {
        process_with(Process {
            seccomp: Some(SeccompFilter { flags, program }),
            ..Process::default()
        })
    };
    let one = [0u8; 8];
    assert!(encode(&filter(7, &one)).is_ok());
    assert_eq!(
        invalid(&filter(8, &one)),
        "seccomp flags must be TSYNC, LOG or SPEC_ALLOW"
    );
    assert_eq!(
        invalid(&filter(0, &[])),
        "seccomp filter must have 1 to 4096 instructions"
    );
    assert_eq!(
        invalid(&filter(0, &[0; 12])),
        "seccomp instructions are 8 bytes each"
    );
    let most = vec![0; MAX_SECCOMP_INSTRUCTIONS * 8];
    let config = filter(0, &most);
    let decoded_len = wire::decode(&encode(&config).expect("4096 instructions fit"))
        .expect("decodes")
        .process
        .seccomp
        .map(|f| f.instructions());
    assert_eq!(decoded_len, Some(MAX_SECCOMP_INSTRUCTIONS));
    let too_many = vec![0; (MAX_SECCOMP_INSTRUCTIONS + 1) * 8];
    assert_eq!(
        invalid(&filter(0, &too_many)),
        "seccomp filter must have 1 to 4096 instructions"
    );
}

#[test]
fn landlock_rules_are_checked() {
    let base = Landlock {
        handled_fs: 0b1100,
        ..Landlock::default()
    };
    assert!(encode(&landlock_with(base)).is_ok());
    assert_eq!(
        invalid(&landlock_with(Landlock::default())),
        "landlock handles no right"
    );
    let unknown = Landlock {
        handled_fs: Landlock::FS_ALL + 1,
        ..base
    };
    assert_eq!(invalid(&landlock_with(unknown)), "unknown landlock right");
    let scoped = Landlock { scoped: 4, ..base };
    assert_eq!(invalid(&landlock_with(scoped)), "unknown landlock right");
    let path = |access, path: &CString| records([LandlockPath { access, path }]);
    let usr = c"/usr".to_owned();
    for (access, path_text, problem) in [
        (0b100, &usr, None),
        (0, &usr, Some("landlock rule grants nothing")),
        (0b1, &usr, Some("landlock rule grants a right not handled")),
        (
            0b100,
            &c"usr".to_owned(),
            Some("landlock path must be absolute"),
        ),
    ] {
        let bytes = path(access, path_text);
        let config = landlock_with(Landlock {
            paths: list(&bytes),
            ..base
        });
        match problem {
            None => assert!(encode(&config).is_ok()),
            Some(problem) => assert_eq!(invalid(&config), problem),
        }
    }
    let port = |access| records([LandlockPort { access, port: 443 }]);
    let granted = port(1);
    let with_ports = |bytes, handled_net| {
        landlock_with(Landlock {
            handled_net,
            ports: list(bytes),
            ..base
        })
    };
    assert!(encode(&with_ports(&granted, 1)).is_ok());
    assert_eq!(
        invalid(&with_ports(&granted, 2)),
        "landlock rule grants a right not handled"
    );
    let many =
        records((0..=MAX_LANDLOCK_RULES as u16).map(|port| LandlockPort { access: 1, port }));
    assert_eq!(
        invalid(&with_ports(&many, 1)),
        "more than 256 landlock ports"
    );
}

#[test]
fn a_read_only_root_needs_a_root() {
    let mounts = |root| Config {
        mounts: Some(Mounts {
            root,
            root_readonly: true,
            ..Mounts::default()
        }),
        ..Config::default()
    };
    assert!(encode(&mounts(Some(c"/srv/root"))).is_ok());
    assert_eq!(invalid(&mounts(None)), "root_readonly needs a root");
}
