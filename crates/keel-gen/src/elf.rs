//! keel's own sections, found by name in the ELF section headers (which survive `strip`):
//! the reserved config section, which a fresh keel has full of zeros ("no embedded
//! config"), and the record of the optional parts it was built with.

use std::ops::Range;

use keel_wire::Features;
use object::{Object, ObjectSection};

pub const SECTION: &str = ".keelcfg";
pub const FEATURES_SECTION: &str = ".keelfeatures";

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// Where the config section's bytes are in `binary`.
pub fn config_section(binary: &[u8]) -> Result<Range<usize>, String> {
    section(binary, SECTION, "is this a keel binary?")
}

/// The optional parts the keel `binary` was built with.
pub fn features(binary: &[u8]) -> Result<Features, String> {
    let range = section(
        binary,
        FEATURES_SECTION,
        "a keel from before its parts were cargo features, or not a keel: rebuild it",
    )?;
    Features::from_record(&binary[range])
        .ok_or_else(|| format!("its {FEATURES_SECTION} section is not a record this keel-gen reads: use the keel-gen of the same version"))
}

/// Where the bytes of the section `name` are in `binary`; `missing` says why it may not be.
fn section(binary: &[u8], name: &str, missing: &str) -> Result<Range<usize>, String> {
    let file = object::File::parse(binary)
        .map_err(|e| format!("not an ELF file keel-gen can read ({e})"))?;
    let section = file
        .section_by_name(name)
        .ok_or_else(|| format!("no {name} section: {missing}"))?;
    let (offset, size) = section
        .file_range()
        .ok_or_else(|| format!("its {name} section takes no space in the file"))?;
    let start = usize::try_from(offset).ok();
    let end = start
        .zip(usize::try_from(size).ok())
        .and_then(|(start, size)| start.checked_add(size));
    match (start, end) {
        (Some(start), Some(end)) if end <= binary.len() => Ok(start..end),
        _ => Err(format!("its {name} section lies outside the file")),
    }
}

/// Writes `config` at the start of the config section and zeros the rest of it, replacing
/// any config embedded before.
pub fn embed(binary: &mut [u8], config: &[u8]) -> Result<(), String> {
    let range = config_section(binary)?;
    let section = &mut binary[range];
    if config.len() > section.len() {
        return Err(format!(
            "the config is {} bytes but the {SECTION} section holds only {} bytes: shorten the config",
            config.len(),
            section.len()
        ));
    }
    let (head, rest) = section.split_at_mut(config.len());
    head.copy_from_slice(config);
    rest.fill(0);
    Ok(())
}
