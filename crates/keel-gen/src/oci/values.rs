//! The value conversions of from-oci: OCI numbers and lists as keel's schema values (cgroup
//! weights, `max`, rlimits, id maps, names). A leaf: it knows nothing of the converter.

use std::path::Path;

use oci_spec::runtime::LinuxIdMapping;
use serde::Serialize;
use serde_json::Value as Json;
use toml::Value;

use crate::field::{List, unspanned};
use crate::mounts;
use crate::namespaces::{Mapping, Mappings};

pub(super) fn id_maps(maps: &[LinuxIdMapping]) -> Mappings {
    let maps = maps.iter().map(|m| {
        unspanned(Mapping {
            container_id: unspanned(m.container_id().into()),
            host_id: unspanned(m.host_id().into()),
            size: unspanned(m.size().into()),
        })
    });
    unspanned(maps.collect())
}

/// OCI's -1 for no limit as "max", 0 as unset, as runc does.
pub(super) fn max_or_number(value: i64) -> Option<Value> {
    match value {
        0 => None,
        v if v < 0 => Some("max".into()),
        v => Some(v.into()),
    }
}

/// memory.swap.max from OCI's memory.swap, which is memory and swap together (cgroup v1's
/// memsw), as runc's ConvertMemorySwapToCgroupV2Value: -1 and 0 stay, an unlimited memory
/// leaves swap as it is, and otherwise swap is the part above the memory limit.
pub(super) fn swap_max(swap: i64, memory: i64) -> Result<i64, String> {
    match (swap, memory) {
        (0, -1) => Ok(-1),
        (-1 | 0, _) | (_, -1) => Ok(swap),
        (_, 0) => Err("a swap limit without a memory limit".to_owned()),
        (_, memory) if memory < 0 => Err(format!("memory.limit {memory} is negative")),
        (swap, memory) if swap < memory => Err(format!(
            "{swap} is below memory.limit {memory} (OCI's swap is memory and swap together)"
        )),
        (swap, memory) => Ok(swap - memory),
    }
}

/// cpu.weight (1..=10000, default 100) from cgroup v1's cpu.shares (2..=262144, default
/// 1024) with the curve runc and crun use since 2025 (runc PR 4785, crun issue 1721): a
/// quadratic in log2(shares) through both ends and the default, where the older linear
/// formula sent the default 1024 to 39.
pub(super) fn cpu_weight(shares: u64) -> i64 {
    if shares <= 2 {
        return 1;
    }
    if shares >= 262_144 {
        return 10_000;
    }
    #[expect(clippy::cast_precision_loss, reason = "shares < 2^18 is exact")]
    let log = (shares as f64).log2();
    let exponent = (log * log + 125.0 * log) / 612.0 - 7.0 / 34.0;
    #[expect(clippy::cast_possible_truncation, reason = "the result is 1..=10000")]
    let weight = 10f64.powf(exponent).ceil() as i64;
    weight
}

/// io.weight (1..=10000) from blkio.weight (10..=1000), as runc and crun convert it.
pub(super) fn io_weight(weight: u16) -> i64 {
    1 + (i64::from(weight) - 10) * 9999 / 990
}

/// A u64 as a TOML integer, or as its decimal text above i64::MAX.
pub(super) fn u64_value(value: u64) -> Value {
    i64::try_from(value).map_or_else(|_| value.to_string().into(), Value::from)
}

/// Whether keel takes the mount option word as it is: one of its attribute words
/// (`examples/mounts.toml`).
pub(super) fn is_attr(word: &str) -> bool {
    mounts::ATTRS.iter().any(|(attr, _)| *attr == word)
}

/// A soft or hard rlimit: RLIM_INFINITY as "unlimited"; None for one TOML cannot hold.
pub(super) fn rlimit_value(value: u64) -> Option<Value> {
    match value {
        u64::MAX => Some("unlimited".into()),
        v => i64::try_from(v).ok().map(Value::from),
    }
}

pub(super) fn strings(items: &[String]) -> List {
    unspanned(items.iter().cloned().map(unspanned).collect())
}

pub(super) fn names<T: Serialize>(items: &[T]) -> List {
    unspanned(
        items
            .iter()
            .map(|item| unspanned(json_name(item)))
            .collect(),
    )
}

/// How the OCI JSON spells an enum's value.
pub(super) fn json_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Json::String(name)) => name,
        _ => unreachable!("oci-spec's enums serialize as strings"),
    }
}

pub(super) fn text(path: &Path, field: &str) -> Result<String, String> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{field} {path:?} is not UTF-8, which TOML cannot hold"))
}
