//! Helpers shared by keel-gen's CLI tests: the real keel-gen run as a subprocess, and a
//! scratch directory per test.
#![allow(
    dead_code,
    reason = "every test crate compiles this module and uses a different part of it"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

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
