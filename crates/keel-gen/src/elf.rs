//! keel's reserved config section, found by name in the ELF section headers (which survive
//! `strip`). A fresh keel has it full of zeros, which keel reads as "no embedded config".

use std::ops::Range;

use object::{Object, ObjectSection};

pub const SECTION: &str = ".keelcfg";

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// Where the config section's bytes are in `binary`.
pub fn config_section(binary: &[u8]) -> Result<Range<usize>, String> {
    let file = object::File::parse(binary)
        .map_err(|e| format!("not an ELF file keel-gen can read ({e})"))?;
    let section = file
        .section_by_name(SECTION)
        .ok_or_else(|| format!("no {SECTION} section: is this a keel binary?"))?;
    let (offset, size) = section
        .file_range()
        .ok_or_else(|| format!("its {SECTION} section takes no space in the file"))?;
    let start = usize::try_from(offset).ok();
    let end = start
        .zip(usize::try_from(size).ok())
        .and_then(|(start, size)| start.checked_add(size));
    match (start, end) {
        (Some(start), Some(end)) if end <= binary.len() => Ok(start..end),
        _ => Err(format!("its {SECTION} section lies outside the file")),
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
