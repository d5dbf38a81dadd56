//! How a config is framed: its header, and the entries (sections and fields) of its body.

/// The first 4 bytes of every config.
pub const MAGIC: [u8; 4] = *b"KEEL";
/// The format version this keel reads and writes.
pub const VERSION: u32 = 1;
/// Size of the header before the body.
pub const HEADER_LEN: usize = 16;
/// Largest config, header included (keel reads config files into a buffer of this size).
pub const MAX_LEN: usize = 65536;
/// Size of an entry's id and length.
pub(crate) const ENTRY_HEADER_LEN: usize = 3;
/// Ids with this bit set are optional: a keel that does not know them skips them.
pub const OPTIONAL: u8 = 0x80;
