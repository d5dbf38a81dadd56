//! keel-gen's compilers, as a library: TOML (or an OCI config.json) in, keel's binary config
//! out, and back. It runs on the host, so the names, the checks and the error messages live
//! here, and keel only decodes (see `keel_wire`). The `keel-gen` CLI (main.rs) is a thin
//! layer of file and stream handling over [`compile`], [`inspect`], [`embed`] and
//! [`from_oci`]; tests call them directly.
//!
//! Every error is one line for the user, already naming the input, so it is a `String`.

pub mod cgroup;
pub mod elf;
pub mod field;
pub mod json_schema;
pub mod landlock;
pub mod man;
pub mod mounts;
pub mod namespaces;
pub mod oci;
pub mod schema;
pub mod seccomp;
pub mod security;
pub mod source;
pub mod suggest;

use keel_wire::{self as wire, EncodeError, Features};

use schema::Document;
pub use source::Source;

/// A binary config and the warnings its compilation printed nothing of yet.
pub struct Built {
    pub bytes: Vec<u8>,
    /// One line each, without the `keel-gen: warning: ` prefix.
    pub warnings: Vec<String>,
}

/// The binary config for a TOML document.
pub fn compile(source: &Source) -> Result<Built, String> {
    let document: Document = toml::from_str(&source.text).map_err(|e| source.toml_error(&e))?;
    let compiled = document.compile(source)?;
    let warnings = compiled.warnings().to_vec();
    let mut bytes = vec![0; wire::MAX_LEN];
    let len = wire::encode(&compiled.config(), &mut bytes).map_err(|e| match e {
        EncodeError::BufferTooSmall { needed } => format!(
            "{}: the config needs {needed} bytes, more than keel's limit of {} bytes",
            source.name,
            wire::MAX_LEN
        ),
        EncodeError::Invalid(error) => format!(
            "{}: bug: keel-gen made a config keel would refuse ({error})",
            source.name
        ),
    })?;
    bytes.truncate(len);
    Ok(Built { bytes, warnings })
}

/// A binary config, or a keel binary with one embedded, as TOML that [`compile`] turns back
/// into the same bytes. `name` is how errors name the input.
pub fn inspect(bytes: &[u8], name: &str) -> Result<String, String> {
    let (config, origin) = if elf::is_elf(bytes) {
        let range = elf::embedded(bytes).map_err(|e| format!("{name}: {e}"))?;
        let Some(range) = range else {
            return Err(format!(
                "{name}: no config embedded (its {} record is zeros); add one with keel-gen embed",
                elf::SECTION
            ));
        };
        (&bytes[range], format!("the config embedded in {name}"))
    } else {
        (bytes, name.to_owned())
    };
    let config = wire::decode(config).map_err(|e| format!("{origin}: {e}"))?;
    let document = Document::from_config(&config).map_err(|e| format!("{origin}: {e}"))?;
    let toml =
        toml::to_string(&document).map_err(|e| format!("{origin}: cannot print as TOML: {e}"))?;
    Ok(format!("# keel config decoded from {origin}\n{toml}"))
}

/// `keel` (a keel binary) with `config` embedded (see `elf`), replacing any config
/// embedded before. The names are how errors name the two inputs. A config the
/// binary would refuse, because it needs a part the binary was built without, is refused.
pub fn embed(
    config: &[u8],
    config_name: &str,
    keel: &[u8],
    keel_name: &str,
) -> Result<Vec<u8>, String> {
    wire::decode(config).map_err(|e| format!("{config_name}: not a valid keel config: {e}"))?;
    let built = elf::features(keel).map_err(|e| format!("{keel_name}: {e}"))?;
    wire::decode_for(config, built).map_err(|e| {
        format!(
            "{config_name}: {e} ({keel_name}): build keel with that feature, or leave it out of the config"
        )
    })?;
    let binary = elf::embed(keel.to_vec(), config).map_err(|e| format!("{keel_name}: {e}"))?;
    Ok(binary)
}

/// What the keel `binary` was built with and without, one line each, for `inspect --keel`.
pub fn keel_features(binary: &[u8], name: &str) -> Result<String, String> {
    let built = elf::features(binary).map_err(|e| format!("{name}: {e}"))?;
    let names = |with: bool| {
        let names: Vec<&str> = Features::NAMES
            .iter()
            .filter(|(part, _)| built.contains(*part) == with)
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() {
            "(none)".to_owned()
        } else {
            names.join(" ")
        }
    };
    Ok(format!(
        "keel {name}\nbuilt with: {}\nwithout: {}\n",
        names(true),
        names(false)
    ))
}

/// What [`from_oci`] made of a config.json.
pub struct FromOci {
    /// The TOML, with a header naming its origin, to be compiled exactly as printed so that
    /// an error's line:col points into it.
    pub source: Source,
    /// The fields keel cannot express, one line each.
    pub unexpressed: Vec<String>,
}

/// Converts an OCI bundle's config.json (`json`, named `name`) into keel's TOML. OCI's
/// relative paths (root.path, bind sources) are relative to `bundle`.
pub fn from_oci(json: &[u8], name: &str, bundle: &std::path::Path) -> Result<FromOci, String> {
    let conversion = oci::convert(json, bundle).map_err(|e| format!("{name}: {e}"))?;
    let text = toml::to_string(&conversion.document)
        .map_err(|e| format!("{name}: cannot write TOML: {e}"))?;
    Ok(FromOci {
        source: Source {
            name: format!("the TOML made from {name}"),
            text: format!("# keel config made by keel-gen from-oci from {name}\n{text}"),
        },
        unexpressed: conversion.warnings,
    })
}
