//! `[cgroup]` from OCI's `linux.cgroupsPath` and `linux.resources`: the container's cgroup
//! as keel's leaf, and the resources as cgroup v2 files, converted as runc and crun do.

use std::path::Path;

use keel_wire::DEFAULT_LEAF;
use oci_spec::runtime::LinuxResources;
use toml::Value;

use super::converter::Converter;
use super::values::{cpu_weight, io_weight, max_or_number, swap_max, text, u64_value};
use crate::cgroup::{CgroupTable, DelegateTable, Pairs};
use crate::field::unspanned;

impl Converter<'_> {
    /// `[cgroup]`: the container's cgroup is keel's leaf, which holds keel and the workload,
    /// as the container's cgroup holds its whole tree; linux.resources are its limits.
    pub(super) fn cgroup(
        &mut self,
        resources: Option<&LinuxResources>,
        path: Option<&Path>,
    ) -> Result<Option<CgroupTable>, String> {
        let leaf = match path {
            Some(path) => self.leaf(text(path, "linux.cgroupsPath")?),
            None => None,
        };
        let limits = resources.map(|r| self.limits(r)).unwrap_or_default();
        if leaf.is_none() && limits.is_empty() {
            return Ok(None);
        }
        let leaf_name = match &leaf {
            Some(leaf) => leaf.clone(),
            None => DEFAULT_LEAF.to_str().expect("ASCII").to_owned(),
        };
        // A controller's files exist in a cgroup only when its parent enables the
        // controller, so each ancestor of a nested leaf is a delegate that does.
        let ancestors: Vec<DelegateTable> = leaf
            .iter()
            .flat_map(|leaf| leaf.match_indices('/').map(|(end, _)| &leaf[..end]))
            .map(|ancestor| DelegateTable {
                path: unspanned(ancestor.to_owned()),
                owner: None,
                enable_controllers: None,
            })
            .collect();
        let limits = (!limits.is_empty()).then(|| {
            let files = limits
                .into_iter()
                .map(|(file, value)| (unspanned(file), unspanned(value)));
            Pairs(vec![(unspanned(leaf_name), Pairs(files.collect()))])
        });
        Ok(Some(CgroupTable {
            leaf: leaf.map(unspanned),
            delegate: (!ancestors.is_empty()).then_some(ancestors),
            limits,
            ..CgroupTable::default()
        }))
    }

    /// keel's leaf for `cgroupsPath`, relative to keel's own cgroup as keel's paths are.
    pub(super) fn leaf(&mut self, path: String) -> Option<String> {
        if path.contains(':') {
            self.unsupported(
                format!("linux.cgroupsPath ({path:?})"),
                "the systemd slice:prefix:name form; keel creates cgroupfs paths",
            );
            return None;
        }
        let relative = path.trim_matches('/');
        if relative.is_empty() {
            self.unsupported(
                "linux.cgroupsPath",
                "the cgroup root is not a cgroup keel creates",
            );
            return None;
        }
        if path.starts_with('/') {
            self.warnings.push(format!(
                "linux.cgroupsPath: {path:?} is from the cgroup root, keel's paths from keel's own cgroup (the same in a container with its own cgroup namespace); using {relative:?}"
            ));
        }
        Some(relative.to_owned())
    }

    /// The cgroup v2 files and values for linux.resources, converted as runc and crun do.
    pub(super) fn limits(&mut self, r: &LinuxResources) -> Vec<(String, Value)> {
        let mut limits: Vec<(String, Value)> = Vec::new();
        let mut set = |file: &str, value: Value| limits.push((file.to_owned(), value));
        if let Some(memory) = r.memory() {
            let at = "linux.resources.memory";
            if let Some(limit) = memory.limit().and_then(max_or_number) {
                set("memory.max", limit);
            }
            if let Some(low) = memory.reservation().and_then(max_or_number) {
                set("memory.low", low);
            }
            if let Some(swap) = memory.swap() {
                match swap_max(swap, memory.limit().unwrap_or(0)) {
                    Ok(value) => {
                        if let Some(value) = max_or_number(value) {
                            set("memory.swap.max", value);
                        }
                    }
                    Err(why) => self
                        .warnings
                        .push(format!("{at}.swap: {why}, which runc refuses; dropped")),
                }
            }
            for (field, present, why) in [
                (
                    "kernel",
                    memory.kernel().is_some(),
                    "cgroup v2 has no kernel memory limit",
                ),
                (
                    "kernelTCP",
                    memory.kernel_tcp().is_some(),
                    "cgroup v2 has no kernel TCP limit",
                ),
                (
                    "swappiness",
                    memory.swappiness().is_some(),
                    "cgroup v2 has no swappiness",
                ),
                (
                    "disableOOMKiller",
                    memory.disable_oom_killer() == Some(true),
                    "cgroup v2 cannot turn the OOM killer off",
                ),
                (
                    "useHierarchy",
                    memory.use_hierarchy() == Some(false),
                    "cgroup v2 is always hierarchical",
                ),
            ] {
                if present {
                    self.unsupported(format!("{at}.{field}"), why);
                }
            }
        }
        if let Some(cpu) = r.cpu() {
            let at = "linux.resources.cpu";
            if let Some(shares) = cpu.shares().filter(|&s| s != 0) {
                set("cpu.weight", cpu_weight(shares).into());
            }
            let (quota, period) = (cpu.quota().unwrap_or(0), cpu.period().unwrap_or(0));
            if quota != 0 || period != 0 {
                let quota = if quota > 0 {
                    quota.to_string()
                } else {
                    "max".to_owned()
                };
                let max = if period != 0 {
                    format!("{quota} {period}")
                } else {
                    quota
                };
                set("cpu.max", max.into());
            }
            if let Some(burst) = cpu.burst() {
                set("cpu.max.burst", u64_value(burst));
            }
            if let Some(idle) = cpu.idle() {
                set("cpu.idle", idle.into());
            }
            if let Some(cpus) = cpu.cpus().as_ref().filter(|c| !c.is_empty()) {
                set("cpuset.cpus", cpus.clone().into());
            }
            if let Some(mems) = cpu.mems().as_ref().filter(|m| !m.is_empty()) {
                set("cpuset.mems", mems.clone().into());
            }
            if cpu.realtime_runtime().is_some() || cpu.realtime_period().is_some() {
                self.unsupported(
                    format!("{at}.realtimeRuntime/realtimePeriod"),
                    "cgroup v2 has no realtime CPU budget",
                );
            }
        }
        if let Some(max) = r
            .pids()
            .as_ref()
            .and_then(|pids| max_or_number(pids.limit()))
        {
            set("pids.max", max);
        }
        if let Some(io) = r.block_io() {
            let at = "linux.resources.blockIO";
            if let Some(weight) = io.weight().filter(|&w| w != 0) {
                set("io.weight", io_weight(weight).into());
            }
            for (field, present) in [
                ("leafWeight", io.leaf_weight().is_some()),
                ("weightDevice", io.weight_device().is_some()),
                (
                    "throttleReadBpsDevice",
                    io.throttle_read_bps_device().is_some(),
                ),
                (
                    "throttleWriteBpsDevice",
                    io.throttle_write_bps_device().is_some(),
                ),
                (
                    "throttleReadIOPSDevice",
                    io.throttle_read_iops_device().is_some(),
                ),
                (
                    "throttleWriteIOPSDevice",
                    io.throttle_write_iops_device().is_some(),
                ),
            ] {
                if present {
                    self.unsupported(
                        format!("{at}.{field}"),
                        "keel writes one value per cgroup file, not one per device",
                    );
                }
            }
        }
        for page in r.hugepage_limits().iter().flatten() {
            let file = format!("hugetlb.{}.max", page.page_size());
            set(
                &file,
                max_or_number(page.limit()).unwrap_or_else(|| 0.into()),
            );
        }
        // Last, as runc does: a unified value overrides the one converted above.
        let mut unified: Vec<_> = r.unified().iter().flatten().collect();
        unified.sort();
        for (file, value) in unified {
            limits.retain(|(f, _)| f != file);
            limits.push((file.clone(), value.clone().into()));
        }
        if r.devices().as_ref().is_some_and(|d| !d.is_empty()) {
            self.unsupported(
                "linux.resources.devices",
                "keel has no device cgroup, which cgroup v2 implements as an eBPF program",
            );
        }
        if r.network().is_some() {
            self.unsupported(
                "linux.resources.network",
                "cgroup v2 has no net_cls or net_prio",
            );
        }
        if r.rdma().is_some() {
            self.unsupported(
                "linux.resources.rdma",
                "keel writes one value per cgroup file, not one per device",
            );
        }
        limits
    }
}
