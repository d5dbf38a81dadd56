//! Helpers shared by keel-gen's CLI tests: the real keel-gen run as a subprocess, its
//! results checked, a scratch directory per test, and ELF files to embed into.
#![allow(
    dead_code,
    reason = "every test crate compiles this module and uses a different part of it"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};

/// What a run of keel-gen gave.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs keel-gen with `stdin` on its standard input. A death by a signal (a panic aborts)
/// fails the test: keel-gen reports every error with a status.
pub fn keel_gen(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keel-gen"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keel-gen starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.code().is_some(), "keel-gen died: {output:?}");
    Run {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: text(&output.stderr),
    }
}

/// A fresh directory for one test, under cargo's scratch directory for tests.
pub fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "keel-gen-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs keel-gen and returns its stdout, failing on an error.
pub fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let run = keel_gen(args, stdin);
    assert!(
        run.code == Some(0),
        "keel-gen {args:?} failed: {}",
        run.stderr
    );
    run.stdout
}

/// Runs keel-gen expecting a failure reported as one line, and returns that line.
pub fn error(args: &[&str], stdin: &[u8]) -> String {
    let run = keel_gen(args, stdin);
    assert!(run.code != Some(0), "keel-gen {args:?} succeeded");
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "not one line: {}",
        run.stderr
    );
    run.stderr.trim_end().to_owned()
}

pub fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

pub fn build(toml: &str) -> Vec<u8> {
    ok(&["build", "-", "-o", "-"], toml.as_bytes())
}

pub fn inspect(config: &[u8]) -> String {
    String::from_utf8(ok(&["inspect", "-"], config)).unwrap()
}

/// An ELF file with the `.note.keel` note of a keel built with `parts`, and nothing else of
/// keel's (a relocatable object: no program headers).
pub fn elf_built_with(parts: keel_wire::Features) -> Vec<u8> {
    let mut object = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let note = object.add_section(Vec::new(), b".note.keel".to_vec(), SectionKind::Note);
    let mut bytes = vec![5, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0];
    bytes.extend_from_slice(b"keel\0\0\0\0");
    bytes.extend_from_slice(&parts.record());
    bytes.extend_from_slice(&[0, 0]);
    object.append_section_data(note, &bytes, 4);
    object.write().unwrap()
}
