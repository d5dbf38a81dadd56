//! The decoded config: one struct per section, and the types of their fields.

use core::ffi::CStr;

use crate::limits::CAP_LAST_CAP;
use crate::list::List;

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
    /// The services keel runs beside the program; empty (the section is absent): none.
    pub services: Services<'a>,
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
    /// `/proc/self/oom_score_adj`, [`OOM_SCORE_ADJ_MIN`](crate::OOM_SCORE_ADJ_MIN)`..=`[`OOM_SCORE_ADJ_MAX`](crate::OOM_SCORE_ADJ_MAX).
    pub oom_score_adj: Option<i32>,
    /// The seccomp filter installed last; `None`: none.
    pub seccomp: Option<SeccompFilter<'a>>,
}

/// A compiled seccomp filter, as `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeccompFilter<'a> {
    /// `SECCOMP_FILTER_FLAG_*` bits, only [`SeccompFilter::FLAGS`].
    pub flags: u32,
    /// The `sock_filter` array: 8 bytes per instruction, 1 to [`MAX_SECCOMP_INSTRUCTIONS`](crate::MAX_SECCOMP_INSTRUCTIONS).
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

/// Section `0x07`: a process keel starts, restarts and stops beside the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service<'a> {
    /// 1 to [`SERVICE_NAME_MAX`](crate::SERVICE_NAME_MAX) of `[A-Za-z0-9._-]`, for the log.
    pub name: &'a CStr,
    /// What it runs: args (required) and the settings of section `0x01` but oom_score_adj
    /// and seccomp.
    pub process: Process<'a>,
    /// The services started before it and ready first: indexes of earlier services,
    /// increasing.
    pub after: List<'a, u8>,
    /// How it says it is ready.
    pub ready: Ready,
    /// When it is started again after it exits.
    pub restart: Restart,
    /// When it stops for good, keel stops everything and exits with its status.
    pub critical: bool,
    /// The signal that stops it, `1..=64`.
    pub stop_signal: u8,
    /// Milliseconds between the stop signal and SIGKILL; 0: keel's grace.
    pub stop_grace_ms: u32,
    /// Milliseconds it has to become ready, else it counts as a failed start; 0: no limit.
    pub ready_timeout_ms: u32,
    /// The first delay before a restart, in milliseconds; it doubles after each restart.
    pub restart_delay_ms: u32,
    /// The longest delay before a restart, at least `restart_delay_ms`.
    pub restart_max_ms: u32,
    /// A run at least this long (milliseconds) resets the delay to `restart_delay_ms`.
    pub restart_reset_ms: u32,
}

/// How a [`Service`] reports that it is ready; the services after it start then.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ready {
    /// Once it is started (exec'd): it reports nothing.
    #[default]
    Started,
    /// systemd's sd_notify: it sends `READY=1` to the datagram socket in `NOTIFY_SOCKET`.
    Notify,
    /// s6's notification-fd: it writes a newline to this descriptor, `3..=255`.
    Fd(u8),
}

/// When a [`Service`] that exited is started again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Restart {
    /// Never.
    #[default]
    No,
    /// When it failed: a status other than 0, a signal, or no readiness in time.
    OnFailure,
    /// Whenever it exits (while keel is not stopping).
    Always,
}

/// Who the program runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User<'a> {
    /// The real, effective and saved user id.
    pub uid: u32,
    /// The real, effective and saved group id.
    pub gid: u32,
    /// The supplementary groups (setgroups), at most [`MAX_GIDS`](crate::MAX_GIDS).
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
    /// The `RLIMIT_*` number, `0..`[`MAX_RLIMITS`](crate::MAX_RLIMITS).
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
    pub(crate) fn from_wire(byte: u8) -> Option<Mode> {
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
    /// Absolute path of the cgroup2 mount; `None`: [`DEFAULT_CGROUP_ROOT`](crate::DEFAULT_CGROUP_ROOT).
    pub root: Option<&'a CStr>,
    /// Mount cgroup2 at `root` when nothing is mounted there.
    pub mount: bool,
    /// The cgroup keel moves itself and the processes already there into; `None`:
    /// [`DEFAULT_LEAF`](crate::DEFAULT_LEAF).
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
    /// Once the mounts are built, enter a new user namespace (keel's ids mapped onto
    /// themselves) and a new mount namespace, so the kernel locks every mount keel made
    /// against the workload: no unmount, no change of a locked flag.
    pub lock: bool,
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
/// Services.
pub type Services<'a> = List<'a, Service<'a>>;

/// A set of exit codes, 0..=255.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitCodes(pub(crate) [u8; 32]);

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
pub struct SignalRewrites<'a>(pub(crate) &'a [[u8; 2]]);

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
