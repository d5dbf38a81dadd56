//! The process's privileges in `[process]` (documented by `examples/security.toml`), with
//! OCI's names: `user` (with its `umask`), `capabilities`, `rlimits`, `no_new_privileges`
//! and `oom_score_adj`; and the host's checks that name the capability or rlimit to fix.

use std::ops::Range;

use keel_wire::{
    self as wire, CAP_LAST_CAP, Capabilities, MAX_GIDS, OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN,
    Record, Rlimit, User,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::{Spanned, Value};

use crate::field::{IntegerOrString, List, names_schema, records, unique, unspanned};
use crate::source::Source;
use crate::suggest::did_you_mean;

/// The capabilities by number, without `CAP_` (linux/capability.h, up to `CAP_LAST_CAP`).
pub const CAPABILITIES: [&str; CAP_LAST_CAP as usize + 1] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// The resources by number, without `RLIMIT_` (asm-generic/resource.h).
pub const RLIMITS: [&str; wire::MAX_RLIMITS] = [
    "CPU",
    "FSIZE",
    "DATA",
    "STACK",
    "CORE",
    "RSS",
    "NPROC",
    "NOFILE",
    "MEMLOCK",
    "AS",
    "LOCKS",
    "SIGPENDING",
    "MSGQUEUE",
    "NICE",
    "RTPRIO",
    "RTTIME",
];

names_schema!(
    /// A capability's name in the JSON schema, from [`CAPABILITIES`], with and without `CAP_`
    /// (keel-gen also takes them in lower case).
    CapabilityName,
    CAPABILITIES.iter().flat_map(|name| [format!("CAP_{name}"), (*name).to_owned()])
);

names_schema!(
    /// A resource's name in the JSON schema, from [`RLIMITS`], with and without `RLIMIT_`.
    RlimitName,
    RLIMITS.iter().flat_map(|name| [format!("RLIMIT_{name}"), (*name).to_owned()])
);

/// `[process.user]` (OCI `process.user`). Without uid and gid, only the umask is set.
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserTable {
    /// The user id, 0..=4294967294, given with gid; switching needs CAP_SETUID and CAP_SETGID.
    #[schemars(with = "Option<i64>")]
    pub uid: Option<Spanned<i64>>,
    /// The group id, 0..=4294967294, given with uid.
    #[schemars(with = "Option<i64>")]
    pub gid: Option<Spanned<i64>>,
    /// Supplementary groups, at most 64, each once; only with uid and gid [none].
    #[schemars(with = "Option<Vec<i64>>")]
    pub additional_gids: Option<Spanned<Vec<Spanned<i64>>>>,
    /// An octal string such as `"0022"`, or a number as in OCI's JSON.
    #[schemars(with = "Option<IntegerOrString>")]
    pub umask: Option<Spanned<Value>>,
}

/// `[process.capabilities]` (OCI `process.capabilities`); an absent set is empty.
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilitiesTable {
    /// Capabilities outside it are gone for good, even for a setuid program.
    #[schemars(with = "Option<Vec<CapabilityName>>")]
    pub bounding: Option<List>,
    /// What the program can use now; within permitted.
    #[schemars(with = "Option<Vec<CapabilityName>>")]
    pub effective: Option<List>,
    /// What the program may make effective.
    #[schemars(with = "Option<Vec<CapabilityName>>")]
    pub permitted: Option<List>,
    /// What the program may pass on through exec of files with inheritable capabilities.
    #[schemars(with = "Option<Vec<CapabilityName>>")]
    pub inheritable: Option<List>,
    /// What the program passes on through exec of any program; within permitted and inheritable.
    #[schemars(with = "Option<Vec<CapabilityName>>")]
    pub ambient: Option<List>,
}

/// An entry of `[[process.rlimits]]` (OCI `process.rlimits`).
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RlimitTable {
    /// The resource, an RLIMIT_ name (the prefix and the case are optional).
    #[serde(rename = "type")]
    #[schemars(with = "RlimitName")]
    pub kind: Spanned<String>,
    /// The soft limit: an integer from 0, or "unlimited"; at most hard.
    #[schemars(with = "IntegerOrString")]
    pub soft: Spanned<Value>,
    /// The hard limit: an integer from 0, or "unlimited"; raising it needs CAP_SYS_RESOURCE.
    #[schemars(with = "IntegerOrString")]
    pub hard: Spanned<Value>,
}

/// The bytes a `wire::User` borrows, and the umask.
#[derive(Default)]
pub struct CompiledUser {
    ids: Option<(u32, u32)>,
    additional_gids: Vec<u8>,
    umask: Option<u32>,
}

impl CompiledUser {
    /// The user to switch to and the umask.
    pub fn config(&self) -> (Option<User<'_>>, Option<u32>) {
        let user = self.ids.map(|(uid, gid)| User {
            uid,
            gid,
            additional_gids: records(&self.additional_gids),
        });
        (user, self.umask)
    }
}

impl UserTable {
    pub fn compile(&self, source: &Source, span: Range<usize>) -> Result<CompiledUser, String> {
        let mut out = CompiledUser::default();
        match (&self.uid, &self.gid) {
            (Some(uid), Some(gid)) => out.ids = Some((id(source, uid)?, id(source, gid)?)),
            (None, None) => {}
            _ => {
                let message = "[process.user] switches user with uid and gid together: give both, or neither to only set the umask";
                return Err(source.error(span, message));
            }
        }
        if let Some(gids) = &self.additional_gids {
            if out.ids.is_none() {
                let message = "additional_gids go with a user switch: add uid and gid";
                return Err(source.error(gids.span(), message));
            }
            if let Some(extra) = gids.get_ref().get(MAX_GIDS) {
                let message = format!(
                    "additional_gids has {} entries; keel allows at most {MAX_GIDS}",
                    gids.get_ref().len()
                );
                return Err(source.error(extra.span(), message));
            }
            let mut each = Vec::new();
            for gid in gids.get_ref() {
                let gid_value = id(source, gid)?;
                gid_value.write(|piece| out.additional_gids.extend_from_slice(piece));
                each.push((gid_value, gid.span()));
            }
            unique(source, each, |gid| {
                format!("additional_gids lists {gid} twice")
            })?;
        }
        out.umask = self.umask.as_ref().map(|m| umask(source, m)).transpose()?;
        Ok(out)
    }

    /// The table that compiles to `user` and `umask`, if either is set: what `inspect` prints.
    pub fn from_wire(user: Option<User<'_>>, umask: Option<u32>) -> Option<UserTable> {
        let ids = |id: u32| Some(unspanned(i64::from(id)));
        (user.is_some() || umask.is_some()).then(|| UserTable {
            uid: user.and_then(|u| ids(u.uid)),
            gid: user.and_then(|u| ids(u.gid)),
            additional_gids: user.filter(|u| !u.additional_gids.is_empty()).map(|u| {
                let gids = u.additional_gids.iter();
                unspanned(gids.map(|gid| unspanned(i64::from(gid))).collect())
            }),
            umask: umask.map(|m| unspanned(Value::String(format!("{m:04o}")))),
        })
    }
}

/// A uid or gid: 0..=4294967294, since 4294967295 is -1, "leave unchanged" to setresuid.
fn id(source: &Source, id: &Spanned<i64>) -> Result<u32, String> {
    u32::try_from(*id.get_ref())
        .ok()
        .filter(|&id| id != u32::MAX)
        .ok_or_else(|| {
            source.error(
                id.span(),
                "ids are 0..=4294967294 (4294967295 is -1, which the kernel takes as \"leave unchanged\")",
            )
        })
}

/// An octal string such as `"0022"`, or an integer (TOML's `0o022`, or OCI's decimal 18).
fn umask(source: &Source, umask: &Spanned<Value>) -> Result<u32, String> {
    let value = match umask.get_ref() {
        Value::String(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
            u32::from_str_radix(text, 8).ok()
        }
        Value::Integer(number) => u32::try_from(*number).ok(),
        _ => None,
    };
    value.filter(|&m| m <= 0o777).ok_or_else(|| {
        source.error(
            umask.span(),
            "umask is an octal string \"0000\" to \"0777\", as in umask = \"0022\", or an integer up to 0o777",
        )
    })
}

/// `oom_score_adj`, -1000..=1000.
pub fn oom_score_adj(source: &Source, adj: &Spanned<i64>) -> Result<i32, String> {
    i32::try_from(*adj.get_ref())
        .ok()
        .filter(|adj| (OOM_SCORE_ADJ_MIN..=OOM_SCORE_ADJ_MAX).contains(adj))
        .ok_or_else(|| source.error(adj.span(), "oom_score_adj is -1000..=1000"))
}

/// The index of `name` in `names`, which lack `prefix`; the name may have it, in any case.
pub fn lookup(names: &[&str], prefix: &str, name: &str) -> Option<usize> {
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix(prefix).unwrap_or(&upper);
    names.iter().position(|known| *known == bare)
}

impl CapabilitiesTable {
    pub fn compile(&self, source: &Source) -> Result<Capabilities, String> {
        let caps = Capabilities {
            bounding: cap_set(source, &self.bounding, "bounding")?,
            effective: cap_set(source, &self.effective, "effective")?,
            permitted: cap_set(source, &self.permitted, "permitted")?,
            inheritable: cap_set(source, &self.inheritable, "inheritable")?,
            ambient: cap_set(source, &self.ambient, "ambient")?,
        };
        // The kernel's rules (capset, PR_CAP_AMBIENT_RAISE), at the name that breaks them.
        for (set, within, rule) in [
            (
                &self.effective,
                caps.permitted,
                "is effective but not permitted, which the kernel refuses: add it to permitted",
            ),
            (
                &self.ambient,
                caps.permitted & caps.inheritable,
                "is ambient but not both permitted and inheritable, which the kernel refuses: add it to both",
            ),
        ] {
            for name in set.iter().flat_map(|list| list.get_ref()) {
                let cap = lookup(&CAPABILITIES, "CAP_", name.get_ref()).expect("checked");
                if within & 1 << cap == 0 {
                    let message = format!("CAP_{} {rule}", CAPABILITIES[cap]);
                    return Err(source.error(name.span(), message));
                }
            }
        }
        Ok(caps)
    }

    /// The table that compiles to `caps`, every set listed: what `inspect` prints.
    pub fn from_wire(caps: &Capabilities) -> CapabilitiesTable {
        let names = |set: u64| {
            let names = CAPABILITIES.iter().enumerate();
            let names = names.filter(|&(cap, _)| set & 1 << cap != 0);
            Some(unspanned(
                names
                    .map(|(_, name)| unspanned(format!("CAP_{name}")))
                    .collect(),
            ))
        };
        CapabilitiesTable {
            bounding: names(caps.bounding),
            effective: names(caps.effective),
            permitted: names(caps.permitted),
            inheritable: names(caps.inheritable),
            ambient: names(caps.ambient),
        }
    }
}

/// A capability set from its names, each known and listed once.
fn cap_set(source: &Source, names: &Option<List>, field: &str) -> Result<u64, String> {
    let mut caps = Vec::new();
    for name in names.iter().flat_map(|list| list.get_ref()) {
        let cap = lookup(&CAPABILITIES, "CAP_", name.get_ref()).ok_or_else(|| {
            let message = format!(
                "unknown capability {:?}: use a name from capabilities(7) such as \"CAP_NET_BIND_SERVICE\"{}",
                name.get_ref(),
                did_you_mean(name.get_ref(), "CAP_", CAPABILITIES.map(|cap| format!("CAP_{cap}")))
            );
            source.error(name.span(), message)
        })?;
        caps.push((cap, name.span()));
    }
    let caps = unique(source, caps, |&cap| {
        format!("{field} lists CAP_{} twice", CAPABILITIES[cap])
    })?;
    Ok(caps.into_keys().fold(0, |set, cap| set | 1 << cap))
}

/// The rlimit records, in order, each resource once.
pub fn rlimits(source: &Source, entries: &[Spanned<RlimitTable>]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut kinds = Vec::new();
    for entry in entries {
        let RlimitTable { kind, soft, hard } = entry.get_ref();
        let resource = lookup(&RLIMITS, "RLIMIT_", kind.get_ref()).ok_or_else(|| {
            let message = format!(
                "unknown rlimit {:?}: use RLIMIT_ and one of {}{}",
                kind.get_ref(),
                RLIMITS.join(", "),
                did_you_mean(
                    kind.get_ref(),
                    "RLIMIT_",
                    RLIMITS.map(|rlimit| format!("RLIMIT_{rlimit}"))
                )
            );
            source.error(kind.span(), message)
        })?;
        let rlimit = Rlimit {
            resource: u8::try_from(resource).expect("16 resources"),
            soft: rlimit_value(source, soft)?,
            hard: rlimit_value(source, hard)?,
        };
        if rlimit.soft > rlimit.hard {
            let message = "the soft limit is above the hard one, which setrlimit refuses: lower soft or raise hard";
            return Err(source.error(soft.span(), message));
        }
        rlimit.write(|piece| bytes.extend_from_slice(piece));
        kinds.push((resource, kind.span()));
    }
    unique(source, kinds, |&resource| {
        format!("rlimits set RLIMIT_{} twice", RLIMITS[resource])
    })?;
    Ok(bytes)
}

/// A soft or hard limit: a number, or `"unlimited"` (`RLIM_INFINITY`).
fn rlimit_value(source: &Source, value: &Spanned<Value>) -> Result<u64, String> {
    match value.get_ref() {
        Value::String(text) if text == "unlimited" => Some(u64::MAX),
        Value::Integer(number) => u64::try_from(*number).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        source.error(
            value.span(),
            "rlimit values are integers from 0, or \"unlimited\"",
        )
    })
}

/// The `[[process.rlimits]]` entries for `rlimits`: what `inspect` prints.
pub fn rlimits_from_wire(
    rlimits: wire::Rlimits<'_>,
) -> Result<Option<Vec<Spanned<RlimitTable>>>, String> {
    let value = |limit: u64| match limit {
        u64::MAX => Ok(Value::String("unlimited".to_owned())),
        _ => i64::try_from(limit)
            .map(Value::Integer)
            .map_err(|_| format!("rlimit value {limit} is larger than TOML's integers")),
    };
    let entries: Result<Vec<_>, String> = rlimits
        .iter()
        .map(|rlimit| {
            let name = RLIMITS[usize::from(rlimit.resource)];
            Ok(unspanned(RlimitTable {
                kind: unspanned(format!("RLIMIT_{name}")),
                soft: unspanned(value(rlimit.soft)?),
                hard: unspanned(value(rlimit.hard)?),
            }))
        })
        .collect();
    Ok(Some(entries?).filter(|entries| !entries.is_empty()))
}
