//! `[namespaces]` from OCI's `linux.namespaces`, id maps, `hostname`, `domainname` and
//! `linux.timeOffsets`.

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::converter::Converter;
use super::values::{id_maps, json_name};
use crate::field::unspanned;
use crate::namespaces::{NamespacesTable, Offset, TimeOffsetsTable};

impl Converter<'_> {
    /// `[namespaces]`: linux.namespaces, the id maps, the names and the time offsets.
    pub(super) fn namespaces(&mut self, spec: &Spec) -> Option<NamespacesTable> {
        let linux = spec.linux().as_ref()?;
        let mut unshare = Vec::new();
        for (i, ns) in linux.namespaces().iter().flatten().enumerate() {
            let name = match ns.typ() {
                LinuxNamespaceType::Network => "net".to_owned(),
                typ => json_name(&typ),
            };
            if let Some(path) = ns.path() {
                self.unsupported(
                    format!("linux.namespaces[{i}] ({name} at {})", path.display()),
                    format!("keel cannot join an existing namespace: the workload stays in keel's {name} namespace"),
                );
                continue;
            }
            unshare.push(unspanned(name));
        }
        let mut offsets = TimeOffsetsTable::default();
        let mut clocks: Vec<_> = linux.time_offsets().iter().flatten().collect();
        clocks.sort_by(|a, b| a.0.cmp(b.0));
        for (clock, offset) in clocks {
            let slot = match clock.as_str() {
                "monotonic" => &mut offsets.monotonic,
                "boottime" => &mut offsets.boottime,
                _ => {
                    self.unsupported(
                        format!("linux.timeOffsets[{clock:?}]"),
                        "time namespaces offset only monotonic and boottime",
                    );
                    continue;
                }
            };
            *slot = Some(unspanned(Offset {
                secs: unspanned(offset.secs().unwrap_or_default()),
                nanosecs: offset
                    .nanosecs()
                    .filter(|&n| n != 0)
                    .map(|n| unspanned(n.into())),
            }));
        }
        let maps = |maps: &Option<Vec<_>>| maps.as_deref().filter(|m| !m.is_empty()).map(id_maps);
        let table = NamespacesTable {
            unshare: (!unshare.is_empty()).then(|| unspanned(unshare)),
            hostname: spec.hostname().clone().map(unspanned),
            domainname: spec.domainname().clone().map(unspanned),
            uid_mappings: maps(linux.uid_mappings()),
            gid_mappings: maps(linux.gid_mappings()),
            time_offsets: (offsets != TimeOffsetsTable::default()).then(|| unspanned(offsets)),
            ..NamespacesTable::default()
        };
        (table != NamespacesTable::default()).then_some(table)
    }
}
