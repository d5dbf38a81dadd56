//! The optional parts of keel, one per cargo feature of the init: what a keel binary was
//! built to apply, and so which configs it takes.
//!
//! A keel built without a part refuses, at decode time and so before any side effect, a
//! config that needs it: [`decode_for`](crate::decode_for) stops at the section or field with
//! "this keel was built without mounts". The binary carries its set as a [`Features::record`]
//! in its `.note.keel` ELF note, which keel-gen reads to show it (`inspect --keel`) and to
//! refuse embedding a config the binary would refuse.

/// A set of the optional parts of keel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features(u16);

impl Features {
    /// The `[cgroup]` section: cgroup v2 delegation and limits.
    pub const CGROUP: Features = Features(1 << 0);
    /// The `[namespaces]` section: unshare, id maps, hostname, time offsets.
    pub const NAMESPACES: Features = Features(1 << 1);
    /// The `[mounts]` section, with the new mount API.
    pub const MOUNTS: Features = Features(1 << 2);
    /// The mounts on kernels without the new mount API, with mount(2). No config field
    /// asks for it: a keel without it reports such a kernel when it gets there.
    pub const CLASSIC_MOUNTS: Features = Features(1 << 3);
    /// The process's privileges: user and groups, capabilities, rlimits, umask,
    /// oom_score_adj.
    pub const SECURITY: Features = Features(1 << 4);
    /// The process's seccomp filter.
    pub const SECCOMP: Features = Features(1 << 5);
    /// The `[landlock]` section.
    pub const LANDLOCK: Features = Features(1 << 6);
    /// Re-executing keel from a sealed copy of itself (`seal_exe`).
    pub const SEAL: Features = Features(1 << 7);
    /// The services section: several supervised processes beside the workload.
    pub const SERVICES: Features = Features(1 << 8);

    /// No optional part: the tini-class keel.
    pub const NONE: Features = Features(0);
    /// Every part, in the order [`Features::NAMES`] lists them.
    pub const ALL: Features = Features(0x1ff);

    /// Each part and its name, which is also the init's cargo feature.
    pub const NAMES: [(Features, &'static str); 9] = [
        (Features::CGROUP, "cgroup"),
        (Features::NAMESPACES, "namespaces"),
        (Features::MOUNTS, "mounts"),
        (Features::CLASSIC_MOUNTS, "classic-mounts"),
        (Features::SECURITY, "security"),
        (Features::SECCOMP, "seccomp"),
        (Features::LANDLOCK, "landlock"),
        (Features::SEAL, "seal"),
        (Features::SERVICES, "services"),
    ];

    /// The first bytes of a [`Features::record`].
    pub const RECORD_MAGIC: [u8; 8] = *b"KEELFEAT";
    /// Size of a [`Features::record`]: the magic and the set, little-endian.
    pub const RECORD_LEN: usize = 10;

    /// `self` with `part` added when `on`, taken out otherwise: how keel spells its set
    /// from its `cfg!`s.
    #[must_use]
    pub const fn with(self, part: Features, on: bool) -> Features {
        if on {
            Features(self.0 | part.0)
        } else {
            Features(self.0 & !part.0)
        }
    }

    /// The set as bits, as a record holds them.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every part of `other` is in `self`.
    pub const fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }

    /// The record a keel binary carries.
    pub const fn record(self) -> [u8; Features::RECORD_LEN] {
        let bits = self.0.to_le_bytes();
        let m = Features::RECORD_MAGIC;
        [
            m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], bits[0], bits[1],
        ]
    }

    /// The set in a record; None when `bytes` is not one or names parts unknown here.
    pub fn from_record(bytes: &[u8]) -> Option<Features> {
        let (magic, bits) = bytes.split_first_chunk::<8>()?;
        let bits = u16::from_le_bytes(*<&[u8; 2]>::try_from(bits).ok()?);
        (*magic == Features::RECORD_MAGIC && bits & !Features::ALL.0 == 0).then_some(Features(bits))
    }

    /// Ok when `self` has `part`, else the decoder's error naming it.
    pub(crate) const fn require(self, part: Features) -> Result<(), &'static str> {
        if self.contains(part) {
            return Ok(());
        }
        Err(match part {
            Features::CGROUP => "this keel was built without cgroup",
            Features::NAMESPACES => "this keel was built without namespaces",
            Features::MOUNTS => "this keel was built without mounts",
            Features::SECURITY => "this keel was built without security",
            Features::SECCOMP => "this keel was built without seccomp",
            Features::LANDLOCK => "this keel was built without landlock",
            Features::SEAL => "this keel was built without seal",
            Features::SERVICES => "this keel was built without services",
            _ => "this keel was built without a part this config needs",
        })
    }
}
