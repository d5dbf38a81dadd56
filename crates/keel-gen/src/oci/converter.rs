//! The converter: the walk over a config.json that each section's module adds its part to,
//! and the warnings for what keel cannot express, including the fields oci-spec itself does
//! not know.

use std::fmt::Display;
use std::path::Path;

use oci_spec::runtime::Spec;
use serde_json::Value as Json;

use crate::field::unspanned;
use crate::schema::Document;

/// keel's document for a config.json, and what it could not express.
pub struct Conversion {
    pub document: Document,
    pub warnings: Vec<String>,
}

/// Parses `json` and converts it; relative paths in it are relative to `bundle`.
pub fn convert(json: &[u8], bundle: &Path) -> Result<Conversion, String> {
    let not_oci = |e: serde_json::Error| format!("not an OCI runtime config: {e}");
    let spec: Spec = serde_json::from_slice(json).map_err(not_oci)?;
    // Not an `expect`: oci-spec skips unknown fields without checking their strings, so
    // bytes it takes can still be invalid JSON (a lone \ud800 in an unknown field: found by
    // the oci fuzz target).
    let given: Json = serde_json::from_slice(json).map_err(not_oci)?;
    let mut out = Converter {
        bundle,
        warnings: Vec::new(),
    };
    let document = out.spec(&spec)?;
    // oci-spec skips the fields it does not know: whatever does not come back when the
    // parsed config is written out again was never seen by the conversion.
    let parsed = serde_json::to_value(&spec).expect("a parsed config serializes");
    out.unknown_fields(&given, &parsed, "");
    Ok(Conversion {
        document,
        warnings: out.warnings,
    })
}

/// The walk over one config.json, and the warnings so far.
pub(super) struct Converter<'a> {
    /// The bundle's directory, which relative paths are relative to.
    pub(super) bundle: &'a Path,
    pub(super) warnings: Vec<String>,
}

impl Converter<'_> {
    /// A field keel has no equivalent for, and why.
    pub(super) fn unsupported(&mut self, path: impl Display, why: impl Display) {
        self.warnings
            .push(format!("{path}: not supported ({why}); dropped"));
    }

    fn spec(&mut self, spec: &Spec) -> Result<Document, String> {
        let mut document = Document::default();
        if let Some(process) = spec.process() {
            let mut table = self.process(process)?;
            if let Some(seccomp) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
                table.seccomp = self.seccomp(seccomp);
            }
            document.process = Some(table);
        }
        if let Some(linux) = spec.linux() {
            document.cgroup =
                self.cgroup(linux.resources().as_ref(), linux.cgroups_path().as_deref())?;
        }
        document.namespaces = self.namespaces(spec).map(unspanned);
        document.mounts = self.mounts_table(spec)?;
        let mut entries = Vec::new();
        for (index, mount) in spec.mounts().iter().flatten().enumerate() {
            if let Some(entry) = self.mount(index, mount)? {
                entries.push(unspanned(entry));
            }
        }
        document.mount = (!entries.is_empty()).then_some(entries);
        if let Some(linux) = spec.linux() {
            self.linux_unsupported(linux);
        }
        if spec.hooks().is_some() {
            self.unsupported("hooks", "keel runs no hooks");
        }
        for (field, present) in [
            ("solaris", spec.solaris().is_some()),
            ("windows", spec.windows().is_some()),
            ("vm", spec.vm().is_some()),
            ("zos", spec.zos().is_some()),
        ] {
            if present {
                self.unsupported(field, "keel runs Linux processes only");
            }
        }
        Ok(document)
    }

    /// The rest of `linux`, none of which keel can express.
    fn linux_unsupported(&mut self, linux: &oci_spec::runtime::Linux) {
        let mut sysctls: Vec<_> = linux.sysctl().iter().flatten().map(|(k, _)| k).collect();
        sysctls.sort();
        for key in sysctls {
            self.unsupported(format!("linux.sysctl[{key:?}]"), "keel sets no sysctls");
        }
        for (field, present, why) in [
            (
                "devices",
                linux.devices().is_some(),
                "keel creates no device nodes",
            ),
            (
                "mountLabel",
                linux.mount_label().is_some(),
                "keel sets no SELinux mount label",
            ),
            (
                "intelRdt",
                linux.intel_rdt().is_some(),
                "keel has no resctrl support",
            ),
            (
                "memoryPolicy",
                linux.memory_policy().is_some(),
                "keel sets no NUMA memory policy",
            ),
            (
                "personality",
                linux.personality().is_some(),
                "keel sets no execution domain",
            ),
            (
                "netDevices",
                linux.net_devices().is_some(),
                "keel moves no network devices",
            ),
        ] {
            if present {
                self.unsupported(format!("linux.{field}"), why);
            }
        }
    }

    /// A warning for each field of `given` that is not in `parsed`.
    fn unknown_fields(&mut self, given: &Json, parsed: &Json, path: &str) {
        match (given, parsed) {
            (Json::Object(given), Json::Object(parsed)) => {
                for (key, value) in given {
                    let at = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    match parsed.get(key) {
                        Some(known) => self.unknown_fields(value, known, &at),
                        // null is how JSON writes an absent field.
                        None if value.is_null() => {}
                        None => self.unsupported(
                            at,
                            "unknown to oci-spec, the OCI runtime spec model keel-gen reads",
                        ),
                    }
                }
            }
            (Json::Array(given), Json::Array(parsed)) => {
                for (i, (value, known)) in given.iter().zip(parsed).enumerate() {
                    self.unknown_fields(value, known, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }
}
