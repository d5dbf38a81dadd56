//! Link the `keel` binary as a static, position-dependent executable with no C runtime.
//! The arguments apply to that binary only: keel-gen, tests and the library link normally.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("-Wl,-T,{dir}/linker/keel.ld");
    for arg in [
        "-nostartfiles",
        "-nostdlib",
        "-static",
        // static-pie would need self-relocation before any Rust code runs; PID 1 gains nothing from ASLR.
        "-no-pie",
        "-Wl,--build-id=none",
        "-Wl,-z,norelro",
        "-Wl,--no-eh-frame-hdr",
        &script,
    ] {
        println!("cargo:rustc-link-arg-bin=keel={arg}");
    }
    println!("cargo:rerun-if-changed=linker/keel.ld");
}
