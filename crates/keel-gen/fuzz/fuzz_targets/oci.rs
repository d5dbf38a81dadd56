//! Fuzzes the OCI converter with any bytes: a config.json is converted (and its TOML then
//! builds or fails with a located error), or refused with an error naming it; never a panic.
#![no_main]

use keel_gen::{compile, from_oci};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match from_oci(data, "config.json", std::path::Path::new("/bundle")) {
        Ok(converted) => {
            if let Err(error) = compile(&converted.source) {
                let name = &converted.source.name;
                assert!(
                    error.starts_with(name.as_str()),
                    "an error names the TOML: {error}"
                );
            }
        }
        Err(error) => assert!(
            error.starts_with("config.json"),
            "an error names it: {error}"
        ),
    }
});
