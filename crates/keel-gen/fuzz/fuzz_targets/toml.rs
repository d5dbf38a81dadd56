//! Fuzzes keel-gen's TOML front end with any bytes: an error names the input (a located
//! one), and a config it builds prints (inspect) as TOML that builds to the same bytes.
#![no_main]

use keel_gen::{Source, compile, inspect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source {
        name: "fuzz.toml".to_owned(),
        text: text.to_owned(),
    };
    match compile(&source) {
        Ok(built) => {
            let printed = inspect(&built.bytes, "fuzz.cfg").expect("a built config inspects");
            let again = Source {
                name: "printed.toml".to_owned(),
                text: printed,
            };
            let rebuilt = compile(&again).expect("inspect's TOML builds");
            assert_eq!(
                rebuilt.bytes, built.bytes,
                "inspect's TOML builds the same bytes"
            );
        }
        Err(error) => assert!(
            error.starts_with("fuzz.toml"),
            "an error names the input: {error}"
        ),
    }
});
