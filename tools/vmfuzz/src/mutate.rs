//! Binary cases: a compiled config with bytes flipped, inserted, deleted or cut.

use keel_wire::{self as wire};

use crate::case::*;

// ---------------------------------------------------------------------------------------
// Binary mutations

pub fn mutate(c: &mut Case, bytes: &mut Vec<u8>) {
    let rng = &mut c.rng;
    let rounds = rng.range(1, 4);
    for _ in 0..rounds {
        let len = bytes.len() as u64;
        let at = rng.below(len.max(1)) as usize;
        match rng.below(7) {
            0 => {
                let bit = rng.below(8);
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << bit;
                }
                c.about.push(format!("flip bit {bit} of byte {at}"));
            }
            1 => {
                let v = *rng.pick(&[0u8, 1, 0x7f, 0x80, 0xff, b'/', b'\n', b'=']);
                if let Some(b) = bytes.get_mut(at) {
                    *b = v;
                }
                c.about.push(format!("byte {at} = {v:#04x}"));
            }
            2 => {
                let n = rng.range(1, 8) as usize;
                let insert: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, insert);
                c.about.push(format!("insert {n} bytes at {at}"));
            }
            3 => {
                let n = (rng.range(1, 16) as usize).min(bytes.len() - at);
                bytes.drain(at..at + n);
                c.about.push(format!("delete {n} bytes at {at}"));
            }
            4 => {
                bytes.truncate(at);
                c.about.push(format!("truncate to {at}"));
            }
            5 => {
                // A 16-bit length or count somewhere: entries and records are framed by them.
                let v = *rng.pick(&[0u16, 1, 0xff, 0x100, 0xffff]);
                if at + 2 <= bytes.len() {
                    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
                }
                c.about.push(format!("u16 at {at} = {v}"));
            }
            _ => {
                let n = rng.range(1, 64) as usize;
                bytes.extend(std::iter::repeat_n(0, n));
                c.about.push(format!("append {n} zero bytes"));
            }
        }
    }
    // Usually re-seal (magic, version, length, CRC) so the mutation reaches the decoder's
    // later checks; sometimes fix the CRC alone; sometimes leave the header as it is.
    match rng.below(100) {
        0..60 if bytes.len() >= wire::HEADER_LEN => {
            wire::seal(bytes);
            c.about.push("resealed".into());
        }
        60..75 if bytes.len() >= wire::HEADER_LEN => {
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
            if let Some(body) = bytes.get(wire::HEADER_LEN..len) {
                let crc = wire::crc32c(body);
                bytes[12..16].copy_from_slice(&crc.to_le_bytes());
                c.about.push("CRC fixed".into());
            }
        }
        _ => c.about.push("header left as is".into()),
    }
}
