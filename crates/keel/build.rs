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
    println!("cargo:rustc-env=KEEL_GIT_COMMIT={}", git_commit(&dir));
}

/// The commit keel is built from, 7 characters as tini's `git.fec3683`: `docker info` shows it
/// as the init version. "unknown" (also 7, so keel's size does not depend on it) outside a
/// git checkout. Cargo reruns this when HEAD or the branch it names moves.
fn git_commit(dir: &str) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|text| text.trim().to_owned())
    };
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", name]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={path}");
    }
    git(&["rev-parse", "--short=7", "HEAD"])
        .filter(|commit| commit.len() == 7)
        .unwrap_or_else(|| "unknown".to_owned())
}
