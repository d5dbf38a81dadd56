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
        // One read-only, executable segment for the constants and the code, not two: the
        // page the two would share is mapped once, one page less of RSS (52 -> 48 kB for the
        // minimal keel supervising `sleep 1`). Nothing is both writable and executable; the
        // constants are keel's own messages and tables.
        "-Wl,--no-rosegment",
        "-Wl,--no-eh-frame-hdr",
        &script,
    ] {
        println!("cargo:rustc-link-arg-bin=keel={arg}");
    }
    println!("cargo:rerun-if-changed=linker/keel.ld");
}
