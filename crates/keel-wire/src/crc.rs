//! CRC-32C, bit by bit: a config is at most 64 KiB and is checked once, so a 1 KiB lookup
//! table would cost keel more in size than it saves in time.

/// Reversed Castagnoli polynomial 0x1EDC6F41.
const POLYNOMIAL: u32 = 0x82F6_3B78;

/// CRC-32C (Castagnoli) of `bytes`, as in iSCSI, ext4 and SSE4.2's `crc32` instruction.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            // XOR in the polynomial when the bit shifted out is 1, without a branch.
            crc = (crc >> 1) ^ (POLYNOMIAL & (crc & 1).wrapping_neg());
        }
    }
    !crc
}
