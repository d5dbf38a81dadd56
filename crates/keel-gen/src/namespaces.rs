//! `[namespaces]` (documented by `examples/namespaces.toml`): the namespaces keel creates,
//! with OCI's names (`linux.namespaces` types, `uidMappings`, `hostname`, `timeOffsets`), and
//! the host's checks that each setting has the namespace it needs.

use std::ffi::CString;
use std::ops::Range;

use keel_wire::{
    self as wire, HOST_NAME_MAX, IdMap, MAX_ID_MAPS, NamespaceSet, Namespaces, Record, TimeOffsets,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::field::{List, c_string, names_schema, records, text, unique, unspanned};
use crate::source::Source;
use crate::suggest::did_you_mean;

/// The namespaces by name, in the order `inspect` lists them. OCI calls net "network".
const NAMES: [(&str, u32); 8] = [
    ("mount", NamespaceSet::MOUNT),
    ("pid", NamespaceSet::PID),
    ("uts", NamespaceSet::UTS),
    ("ipc", NamespaceSet::IPC),
    ("net", NamespaceSet::NET),
    ("cgroup", NamespaceSet::CGROUP),
    ("user", NamespaceSet::USER),
    ("time", NamespaceSet::TIME),
];

names_schema!(
    /// A namespace in the JSON schema, from [`NAMES`], and OCI's "network".
    NamespaceName,
    NAMES.iter().map(|(name, _)| (*name).to_owned()).chain(["network".to_owned()])
);

/// The kernel refuses a time offset that takes a clock past `KTIME_SEC_MAX / 2` seconds
/// (kernel/time/namespace.c), about 146 years.
const MAX_OFFSET_SECS: i64 = i64::MAX / 1_000_000_000 / 2;

pub type Mappings = Spanned<Vec<Spanned<Mapping>>>;

/// `[namespaces]`: the namespaces keel creates.
// Spanned fields are the ones an error may point at.
#[derive(Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespacesTable {
    /// Which namespaces to create: mount, pid, uts, ipc, net (or network), cgroup, user, time, each once [none].
    #[schemars(example = serde_json::json!(["mount", "pid", "uts", "ipc", "net"]))]
    #[schemars(with = "Option<Vec<NamespaceName>>")]
    pub unshare: Option<List>,
    /// Only with "user": "deny" writes deny to /proc/PID/setgroups before the gid map ["allow"].
    #[schemars(with = "Option<String>")]
    pub setgroups: Option<Spanned<String>>,
    /// Only with "uts": the host name, 1 to 64 bytes [the host's].
    #[schemars(example = serde_json::json!("box"))]
    #[schemars(with = "Option<String>")]
    pub hostname: Option<Spanned<String>>,
    /// Only with "uts": the NIS domain name, 1 to 64 bytes [the host's].
    #[schemars(with = "Option<String>")]
    pub domainname: Option<Spanned<String>>,
    /// Only with "user": which uids the new namespace sees (OCI linux.uidMappings), at most 340 [keel's euid as 0].
    #[schemars(with = "Option<Vec<Mapping>>")]
    pub uid_mappings: Option<Mappings>,
    /// Only with "user": which gids the new namespace sees (OCI linux.gidMappings), at most 340 [keel's egid as 0].
    #[schemars(with = "Option<Vec<Mapping>>")]
    pub gid_mappings: Option<Mappings>,
    /// Only with "time": the offsets of the new namespace's clocks (OCI linux.timeOffsets) [none].
    #[schemars(with = "Option<TimeOffsetsTable>")]
    pub time_offsets: Option<Spanned<TimeOffsetsTable>>,
}

/// An entry of `uid_mappings` or `gid_mappings` (OCI `linux.uidMappings`).
#[derive(PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The first id inside the namespace.
    #[schemars(with = "i64")]
    pub container_id: Spanned<i64>,
    /// The first id outside, in keel's namespace.
    #[schemars(with = "i64")]
    pub host_id: Spanned<i64>,
    /// How many ids.
    #[schemars(with = "i64")]
    pub size: Spanned<i64>,
}

/// `[namespaces.time_offsets]` (OCI `linux.timeOffsets`).
#[derive(Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffsetsTable {
    /// The offset of CLOCK_MONOTONIC.
    #[schemars(with = "Option<Offset>")]
    pub monotonic: Option<Spanned<Offset>>,
    /// The offset of CLOCK_BOOTTIME.
    #[schemars(with = "Option<Offset>")]
    pub boottime: Option<Spanned<Offset>>,
}

#[derive(PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Offset {
    /// Seconds, possibly negative.
    #[schemars(with = "i64")]
    pub secs: Spanned<i64>,
    /// Nanoseconds, 0..=999999999 [0].
    #[schemars(with = "Option<i64>")]
    pub nanosecs: Option<Spanned<i64>>,
}

/// The bytes a `wire::Namespaces` borrows.
#[derive(Default)]
pub struct CompiledNamespaces {
    unshare: NamespaceSet,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    setgroups_deny: bool,
    hostname: Option<CString>,
    domainname: Option<CString>,
    time_offsets: TimeOffsets,
}

impl CompiledNamespaces {
    pub fn config(&self) -> Namespaces<'_> {
        Namespaces {
            unshare: self.unshare,
            uid_map: records(&self.uid_map),
            gid_map: records(&self.gid_map),
            setgroups_deny: self.setgroups_deny,
            hostname: self.hostname.as_deref(),
            domainname: self.domainname.as_deref(),
            time_offsets: self.time_offsets,
        }
    }
}

impl NamespacesTable {
    pub fn compile(&self, source: &Source) -> Result<CompiledNamespaces, String> {
        let unshare = self.unshare(source)?;
        // An error for a setting whose namespace `unshare` lacks.
        let needs = |span: Range<usize>, setting: &str, namespace: u32| {
            if unshare.contains(namespace) {
                return Ok(());
            }
            let (name, _) = NAMES
                .iter()
                .find(|(_, bit)| *bit == namespace)
                .expect("named");
            Err(source.error(
                span,
                format!("{setting} needs a new {name} namespace: add \"{name}\" to unshare"),
            ))
        };
        let mut out = CompiledNamespaces {
            unshare,
            ..CompiledNamespaces::default()
        };
        for (field, mappings, bytes) in [
            ("uid_mappings", &self.uid_mappings, &mut out.uid_map),
            ("gid_mappings", &self.gid_mappings, &mut out.gid_map),
        ] {
            if let Some(mappings) = mappings {
                needs(mappings.span(), field, NamespaceSet::USER)?;
                *bytes = id_maps(source, mappings, field)?;
            }
        }
        if let Some(setgroups) = &self.setgroups {
            out.setgroups_deny = match setgroups.get_ref().as_str() {
                "allow" => false,
                "deny" => true,
                other => {
                    let message = format!("setgroups is \"allow\" or \"deny\", not {other:?}");
                    return Err(source.error(setgroups.span(), message));
                }
            };
            if out.setgroups_deny {
                needs(setgroups.span(), "setgroups = \"deny\"", NamespaceSet::USER)?;
            }
        }
        for (field, name, compiled) in [
            ("hostname", &self.hostname, &mut out.hostname),
            ("domainname", &self.domainname, &mut out.domainname),
        ] {
            if let Some(name) = name {
                needs(name.span(), field, NamespaceSet::UTS)?;
                if !(1..=HOST_NAME_MAX).contains(&name.get_ref().len()) {
                    let message = format!("{field} must be 1 to {HOST_NAME_MAX} bytes");
                    return Err(source.error(name.span(), message));
                }
                *compiled = Some(c_string(source, name)?);
            }
        }
        if let Some(offsets) = &self.time_offsets {
            needs(
                offsets.span(),
                "[namespaces.time_offsets]",
                NamespaceSet::TIME,
            )?;
            let offsets = offsets.get_ref();
            let offset = |offset: &Option<Spanned<Offset>>| {
                offset.as_ref().map(|o| time_offset(source, o)).transpose()
            };
            out.time_offsets = TimeOffsets {
                monotonic: offset(&offsets.monotonic)?,
                boottime: offset(&offsets.boottime)?,
            };
        }
        Ok(out)
    }

    /// Where `unshare` is, if given.
    pub fn unshare_span(&self) -> Option<Range<usize>> {
        self.unshare.as_ref().map(Spanned::span)
    }

    /// The namespaces `unshare` names, each once.
    fn unshare(&self, source: &Source) -> Result<NamespaceSet, String> {
        let Some(names) = &self.unshare else {
            return Ok(NamespaceSet::default());
        };
        let mut bits = Vec::new();
        for name in names.get_ref() {
            let bit = match name.get_ref().as_str() {
                "network" => NamespaceSet::NET,
                text => NAMES
                    .iter()
                    .find(|(known, _)| *known == text)
                    .map(|&(_, bit)| bit)
                    .ok_or_else(|| {
                        let hint = did_you_mean(text, "", NAMES.map(|(name, _)| name));
                        let message = format!(
                            "unknown namespace {text:?}: use mount, pid, uts, ipc, net, cgroup, user or time{hint}"
                        );
                        source.error(name.span(), message)
                    })?,
            };
            bits.push((bit, name.span()));
        }
        let set = unique(source, bits, |&bit| {
            let (name, _) = NAMES.iter().find(|(_, b)| *b == bit).expect("named");
            format!("unshare lists {name} twice")
        })?;
        Ok(NamespaceSet(set.into_keys().fold(0, |set, bit| set | bit)))
    }

    /// The table that compiles to `namespaces`: what `inspect` prints.
    pub fn from_wire(namespaces: &Namespaces<'_>) -> Result<NamespacesTable, String> {
        let unshare: Vec<_> = NAMES
            .iter()
            .filter(|&&(_, bit)| namespaces.unshare.contains(bit))
            .map(|&(name, _)| unspanned(name.to_owned()))
            .collect();
        let name = |name: Option<&std::ffi::CStr>, field| {
            name.map(|name| text(name, field).map(unspanned))
                .transpose()
        };
        let offsets = namespaces.time_offsets;
        let offset = |offset: Option<(i64, u32)>| {
            offset.map(|(secs, nanosecs)| {
                unspanned(Offset {
                    secs: unspanned(secs),
                    nanosecs: (nanosecs != 0).then(|| unspanned(i64::from(nanosecs))),
                })
            })
        };
        Ok(NamespacesTable {
            unshare: (!unshare.is_empty()).then(|| unspanned(unshare)),
            setgroups: namespaces
                .setgroups_deny
                .then(|| unspanned("deny".to_owned())),
            hostname: name(namespaces.hostname, "hostname")?,
            domainname: name(namespaces.domainname, "domainname")?,
            uid_mappings: mappings(namespaces.uid_map),
            gid_mappings: mappings(namespaces.gid_map),
            time_offsets: (offsets != TimeOffsets::default()).then(|| {
                unspanned(TimeOffsetsTable {
                    monotonic: offset(offsets.monotonic),
                    boottime: offset(offsets.boottime),
                })
            }),
        })
    }
}

/// The id map records of `mappings`, after checking each and that no two overlap.
fn id_maps(source: &Source, mappings: &Mappings, field: &str) -> Result<Vec<u8>, String> {
    let items = mappings.get_ref();
    if items.is_empty() {
        let message = format!(
            "{field} = [] maps nothing: leave it out, and keel maps its own id to 0 (root)"
        );
        return Err(source.error(mappings.span(), message));
    }
    if let Some(extra) = items.get(MAX_ID_MAPS) {
        let message = format!(
            "{field} has {} entries; the kernel allows at most {MAX_ID_MAPS}",
            items.len()
        );
        return Err(source.error(extra.span(), message));
    }
    let mut maps: Vec<(IdMap, Range<usize>)> = Vec::new();
    let mut bytes = Vec::new();
    for mapping in items {
        let m = mapping.get_ref();
        let id = |value: &Spanned<i64>, name: &str| {
            u32::try_from(*value.get_ref())
                .map_err(|_| source.error(value.span(), format!("{name} must be 0..=4294967295")))
        };
        let map = IdMap {
            inside: id(&m.container_id, "container_id")?,
            outside: id(&m.host_id, "host_id")?,
            count: id(&m.size, "size")?,
        };
        wire::check_id_map(map).map_err(|_| {
            source.error(
                m.size.span(),
                "size must be at least 1, and container_id + size and host_id + size at most 4294967295",
            )
        })?;
        for (other, span) in &maps {
            let overlap = |a: u32, b: u32| a < b + other.count && b < a + map.count;
            let side = if overlap(map.inside, other.inside) {
                "container"
            } else if overlap(map.outside, other.outside) {
                "host"
            } else {
                continue;
            };
            let (line, _) = source.line_column(span.start);
            let message = format!(
                "{field}: these {side} ids overlap those of the mapping at line {line}, which the kernel refuses"
            );
            return Err(source.error(mapping.span(), message));
        }
        map.write(|piece| bytes.extend_from_slice(piece));
        maps.push((map, mapping.span()));
    }
    Ok(bytes)
}

fn mappings(maps: wire::IdMaps<'_>) -> Option<Mappings> {
    let items = maps.iter().map(|map| {
        unspanned(Mapping {
            container_id: unspanned(i64::from(map.inside)),
            host_id: unspanned(i64::from(map.outside)),
            size: unspanned(i64::from(map.count)),
        })
    });
    (!maps.is_empty()).then(|| unspanned(items.collect()))
}

fn time_offset(source: &Source, offset: &Spanned<Offset>) -> Result<(i64, u32), String> {
    let Offset { secs, nanosecs } = offset.get_ref();
    if !(-MAX_OFFSET_SECS..=MAX_OFFSET_SECS).contains(secs.get_ref()) {
        let message = format!(
            "secs must be within ±{MAX_OFFSET_SECS} (about 146 years): the kernel refuses larger offsets"
        );
        return Err(source.error(secs.span(), message));
    }
    let nanos = match nanosecs {
        Some(nanos) => u32::try_from(*nanos.get_ref())
            .ok()
            .filter(|&n| n < 1_000_000_000)
            .ok_or_else(|| source.error(nanos.span(), "nanosecs must be 0..=999999999"))?,
        None => 0,
    };
    Ok((*secs.get_ref(), nanos))
}
