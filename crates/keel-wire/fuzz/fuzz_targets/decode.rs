//! Fuzzes `keel_wire::decode`: it must never panic, and a config it accepts must encode
//! to one that decodes to the same config.
#![no_main]

use keel_wire::{self as wire, HEADER_LEN, MAX_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As given: exercises the header, length, padding and checksum checks.
    check(data);
    // As a body behind a valid header: a mutation almost never keeps the checksum right, so
    // without this the fuzzer would hardly ever get past it into the sections.
    let mut sealed = vec![0; HEADER_LEN];
    sealed.extend_from_slice(data);
    wire::seal(&mut sealed);
    check(&sealed);
});

fn check(bytes: &[u8]) {
    if let Ok(config) = wire::decode(bytes) {
        let mut out = vec![0; MAX_LEN];
        let len = wire::encode(&config, &mut out).expect("a decoded config encodes");
        assert_eq!(wire::decode(&out[..len]), Ok(config));
    }
}
