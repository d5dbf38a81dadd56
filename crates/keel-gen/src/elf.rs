//! keel's own records in its ELF file, found by name in the section headers (which survive
//! `strip`): `.note.keel`, the note of the optional parts it was built with, and `.keelcfg`,
//! where an embedded config is (its address and length, zeros in a fresh keel).
//!
//! `embed` appends the config to the file and maps it with a read-only PT_LOAD program
//! header of its own: the linker left a PT_NOTE header for `.note.keel`, which is the slot
//! (the kernel ignores notes, and readers find the note by its section). A keel so carries
//! only the bytes its config needs, and a config is not limited by reserved space. Embedding
//! again replaces the config: the segment it added is reused and the file cut back first.

use std::ops::Range;

use keel_wire::{Features, MAX_LEN};
use object::{Object, ObjectSection};

pub const SECTION: &str = ".keelcfg";
/// The empty section the linker leaves for the config, which `embed` points at the appended
/// bytes so that `strip` and objcopy keep them.
pub const DATA_SECTION: &str = ".keelcfg.data";
pub const NOTE_SECTION: &str = ".note.keel";

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const PF_R: u32 = 4;
const PAGE: u64 = 4096;
/// Size of an ELF64 program header.
const PHDR_LEN: usize = 56;
/// Size of an ELF64 section header.
const SHDR_LEN: usize = 64;
/// Where the ELF64 header holds the offsets of the program and section header tables.
const E_PHOFF: usize = 0x20;
const E_SHOFF: usize = 0x28;

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// The optional parts the keel `binary` was built with, from its note.
pub fn features(binary: &[u8]) -> Result<Features, String> {
    let note = &binary[section(
        binary,
        NOTE_SECTION,
        "a keel from before its parts were cargo features, or not a keel: rebuild it",
    )?];
    // namesz, descsz, type, then "keel\0" padded to 8 bytes, then the record.
    let record = note
        .strip_prefix(&[5, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0][..])
        .and_then(|rest| rest.strip_prefix(b"keel\0\0\0\0"));
    record
        .and_then(|record| Features::from_record(record.get(..Features::RECORD_LEN)?))
        .ok_or_else(|| {
            format!("its {NOTE_SECTION} note is not one this keel-gen reads: use the keel-gen of the same version")
        })
}

/// Where the config embedded in `binary` is in the file; None for a keel without one.
pub fn embedded(binary: &[u8]) -> Result<Option<Range<usize>>, String> {
    let (_, addr, len) = record(binary)?;
    if len == 0 {
        return Ok(None);
    }
    let file = object::File::parse(binary)
        .map_err(|e| format!("not an ELF file keel-gen can read ({e})"))?;
    let data = file
        .section_by_name(DATA_SECTION)
        .filter(|data| data.address() == addr && data.size() == len)
        .ok_or_else(|| {
            format!("its {SECTION} record names no {DATA_SECTION} of the file: embed again into a fresh keel")
        })?;
    let (offset, size) = data.file_range().unwrap_or_default();
    file_range(binary, offset, size)
        .filter(|range| range.len() as u64 == len)
        .map(Some)
        .ok_or_else(|| "its embedded config lies outside the file".to_owned())
}

/// `binary` with `config` embedded, replacing any config embedded before.
pub fn embed(mut binary: Vec<u8>, config: &[u8]) -> Result<Vec<u8>, String> {
    if config.len() > MAX_LEN {
        return Err(format!(
            "the config is {} bytes, more than keel's limit of {MAX_LEN}",
            config.len()
        ));
    }
    let (record_at, old_addr, old_len) = record(&binary)?;
    let headers = program_headers(&binary)?;
    let previous = (old_len != 0)
        .then(|| {
            headers
                .iter()
                .position(|p| p.kind == PT_LOAD && p.vaddr == old_addr && p.filesz == old_len)
        })
        .flatten();
    let slot = match previous {
        Some(slot) => {
            // Cut the old config off when it ends the file, as the last embed left it (a
            // strip since may have moved the section headers behind it: then it stays).
            let old = &headers[slot];
            if old.offset + old.filesz == binary.len() as u64 {
                binary.truncate(usize::try_from(old.offset).map_err(|_| "bad offset")?);
            }
            slot
        }
        None => headers.iter().position(|p| p.kind == PT_NOTE).ok_or_else(|| {
            format!("no PT_NOTE program header (for {NOTE_SECTION}) to map the config with: is this a keel binary?")
        })?,
    };
    // The segment starts past everything else keel's image maps, on a page of its own; the
    // file needs no padding, only the same offset within a page (the rule for p_offset).
    let end_of_image = headers
        .iter()
        .enumerate()
        .filter(|&(i, p)| i != slot && p.kind == PT_LOAD)
        .map(|(_, p)| p.vaddr + p.memsz)
        .max()
        .ok_or("no PT_LOAD program header")?;
    let offset = binary.len() as u64;
    let addr = end_of_image.next_multiple_of(PAGE) + offset % PAGE;
    let len = config.len() as u64;
    binary.extend_from_slice(config);
    let header = Phdr {
        kind: PT_LOAD,
        flags: PF_R,
        offset,
        vaddr: addr,
        filesz: len,
        memsz: len,
        align: PAGE,
    };
    let at = phdr_offset(&binary, slot)?;
    header.write(&mut binary[at..at + PHDR_LEN]);
    // sh_addr, sh_offset and sh_size of `.keelcfg.data`, then the record keel reads.
    let at = data_section_header(&binary)?;
    for (field, word) in [(16, addr), (24, offset), (32, len)] {
        put_u64(&mut binary, at + field, word);
    }
    put_u64(&mut binary, record_at.start, addr);
    put_u64(&mut binary, record_at.start + 8, len);
    Ok(binary)
}

/// Where the `.keelcfg` record is in the file, and the address and length it holds.
fn record(binary: &[u8]) -> Result<(Range<usize>, u64, u64), String> {
    let at = section(binary, SECTION, "is this a keel binary?")?;
    if at.len() != 16 {
        return Err(format!(
            "its {SECTION} section is not the 16-byte record this keel-gen reads: use the keel-gen of the same version"
        ));
    }
    let word = |field| u64_at(binary, at.start + field).expect("inside the record");
    Ok((at.clone(), word(0), word(8)))
}

/// An ELF64 program header.
struct Phdr {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

impl Phdr {
    /// The header in `b`, one whole program header.
    fn read(b: &[u8]) -> Phdr {
        let word = |at| u64_at(b, at).expect("inside the header");
        let [kind, flags] = [0, 4].map(|at: usize| {
            u32::from_le_bytes(*b[at..].first_chunk().expect("inside the header"))
        });
        Phdr {
            kind,
            flags,
            offset: word(8),
            vaddr: word(16),
            filesz: word(32),
            memsz: word(40),
            align: word(48),
        }
    }

    /// Writes the header into `b`, one whole program header; p_paddr is p_vaddr.
    fn write(&self, b: &mut [u8]) {
        b[0..4].copy_from_slice(&self.kind.to_le_bytes());
        b[4..8].copy_from_slice(&self.flags.to_le_bytes());
        for (at, word) in [
            (8, self.offset),
            (16, self.vaddr),
            (24, self.vaddr),
            (32, self.filesz),
            (40, self.memsz),
            (48, self.align),
        ] {
            put_u64(b, at, word);
        }
    }
}

/// The little-endian u64 at `at`, if `bytes` hold one there.
fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*bytes.get(at..)?.first_chunk()?))
}

/// Writes `word` little-endian at `at`, which the caller has checked is inside `bytes`.
fn put_u64(bytes: &mut [u8], at: usize, word: u64) {
    bytes[at..at + 8].copy_from_slice(&word.to_le_bytes());
}

/// Where entry `index` of a header table is in the file: the table starts at the offset the
/// ELF header holds at `table` (E_PHOFF, E_SHOFF), its entries `len` bytes each.
fn table_entry(binary: &[u8], table: usize, index: usize, len: usize) -> Option<usize> {
    usize::try_from(u64_at(binary, table)?)
        .ok()?
        .checked_add(index.checked_mul(len)?)
        .filter(|at| at + len <= binary.len())
}

/// Where the section header of `.keelcfg.data` is in the file.
fn data_section_header(binary: &[u8]) -> Result<usize, String> {
    let file = object::File::parse(binary)
        .map_err(|e| format!("not an ELF file keel-gen can read ({e})"))?;
    let index = file
        .section_by_name(DATA_SECTION)
        .ok_or_else(|| format!("no {DATA_SECTION} section: a keel from before embedding grew the file, or not a keel: rebuild it"))?
        .index()
        .0;
    table_entry(binary, E_SHOFF, index, SHDR_LEN)
        .ok_or_else(|| "its section headers lie outside the file".to_owned())
}

/// Where program header `index` is in the file.
fn phdr_offset(binary: &[u8], index: usize) -> Result<usize, String> {
    table_entry(binary, E_PHOFF, index, PHDR_LEN)
        .ok_or_else(|| "its program headers lie outside the file".to_owned())
}

/// The program headers of a little-endian ELF64 file (what keel is).
fn program_headers(binary: &[u8]) -> Result<Vec<Phdr>, String> {
    if binary.get(4..6) != Some(&[2, 1][..]) {
        return Err("not a little-endian 64-bit ELF file, which keel is".to_owned());
    }
    let count = binary
        .get(0x38..0x3a)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
    (0..usize::from(count))
        .map(|i| phdr_offset(binary, i).map(|at| Phdr::read(&binary[at..at + PHDR_LEN])))
        .collect()
}

fn file_range(binary: &[u8], offset: u64, size: u64) -> Option<Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    (end <= binary.len()).then_some(start..end)
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
    file_range(binary, offset, size)
        .ok_or_else(|| format!("its {name} section lies outside the file"))
}
