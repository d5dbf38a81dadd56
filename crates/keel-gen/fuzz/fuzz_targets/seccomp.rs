//! Fuzzes the seccomp compiler with any policy (a `[process.seccomp]` table as TOML): a
//! program or an error, and a program reads back (the disassembler) to a policy that
//! compiles to the same bytes.
#![no_main]

use keel_gen::Source;
use keel_gen::seccomp::SeccompTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source {
        name: "seccomp.toml".to_owned(),
        text: text.to_owned(),
    };
    let Ok(table) = toml::from_str::<SeccompTable>(text) else {
        return;
    };
    let Ok(compiled) = table.compile(&source) else {
        return;
    };
    let read = SeccompTable::from_wire(compiled.flags, &compiled.program)
        .expect("a compiled program reads back");
    let again = read
        .compile(&source)
        .expect("the policy read back compiles");
    assert_eq!(again.program, compiled.program);
});
