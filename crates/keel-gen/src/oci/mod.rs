//! `from-oci`: an OCI runtime bundle's `config.json` (parsed by the oci-spec crate) as keel's
//! TOML, field by field. What keel can express becomes its field; what it cannot is a
//! warning named by the field's JSON path, so nothing is dropped silently. `ociVersion` and
//! `annotations` are left out without a warning: they describe the config and carry tools'
//! notes, and change nothing in how a runtime sets the container up.
//!
//! The conversion builds the schema's own types (`schema::Document` and the section tables),
//! so each field's name is written once, in its serde type, and the TOML printed is what
//! `build` reads and `inspect` prints, in the same order.

mod cgroup;
mod converter;
mod mounts;
mod namespaces;
mod process;
#[cfg(test)]
mod tests;
mod values;

pub use converter::{Conversion, convert};
