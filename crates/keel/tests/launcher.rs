//! The launcher interface (`--status-fd`, `--block-fd`, and `status_fd`, `block_fd` in the
//! config), read by a real launcher: tests/support/launcher.py, which starts keel with two
//! pipes through python's subprocess `pass_fds`, as bubblewrap's users do, and checks every
//! line keel writes and when the workload starts (its docstring lists the checks). As root
//! and as nobody (uid 65534) with a user namespace of single-id maps.

mod common;

use common::{KEEL, Scratch, text};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

const LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/launcher.py");
/// The system's python: nobody must be able to run it (the workload is launcher.py too).
const PYTHON: &str = "/usr/bin/python3";
/// The `ok:` lines launcher.py prints when every check passed.
const CHECKS: usize = 5;

/// Runs the launcher with keel, as `prefix` (setpriv) says, and `fds_in_config`: the
/// descriptors given by the config instead of the command line; fails unless every check of
/// the launcher ran and passed.
fn launch(name: &str, toml: &str, prefix: &[&str], fds_in_config: bool, keys: &str, end: &str) {
    let t = Scratch::new(name);
    // The workload writes here, as whatever user it is.
    let dir = t.dir("run");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let toml = if fds_in_config {
        format!("{toml}\n[supervision]\nstatus_fd = 10\nblock_fd = 11\n")
    } else {
        toml.to_owned()
    };
    let cfg = t.config("keel.cfg", &toml);
    let mut keel: Vec<String> = prefix.iter().map(|s| (*s).to_owned()).collect();
    keel.extend([KEEL.to_owned(), "-c".to_owned(), cfg.display().to_string()]);
    if !fds_in_config {
        keel.extend(["--status-fd=10", "--block-fd", "11"].map(str::to_owned));
    }
    keel.extend(
        [
            "--",
            PYTHON,
            LAUNCHER,
            "--workload",
            &dir.display().to_string(),
        ]
        .map(str::to_owned),
    );
    let out = Command::new(PYTHON)
        .args([LAUNCHER, "--dir", &dir.display().to_string()])
        .args(["--keys", keys, "--end", end, "--"])
        .args(&keel)
        .stdin(Stdio::null())
        .output()
        .expect("python3 launcher.py");
    let stdout = text(&out.stdout);
    let passed = stdout.lines().filter(|l| l.starts_with("ok: ")).count();
    assert!(
        out.status.success() && passed == CHECKS,
        "{name}: launcher exited {:?} after {passed} of {CHECKS} checks\nstdout: {stdout}\nstderr: {}",
        out.status,
        text(&out.stderr)
    );
}

const ROOT_NAMESPACES: &str =
    "[namespaces]\nunshare = [\"pid\", \"mount\", \"uts\", \"ipc\", \"net\", \"cgroup\"]\n";
const ROOT_KEYS: &str = "cgroup,ipc,mnt,net,pid,uts";

const NOBODY_NAMESPACES: &str = "[namespaces]\nunshare = [\"user\", \"pid\", \"mount\"]\n\
    uid_mappings = [{ container_id = 0, host_id = 65534, size = 1 }]\n\
    gid_mappings = [{ container_id = 0, host_id = 65534, size = 1 }]\n\
    setgroups = \"deny\"\n";
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

#[test]
fn a_launcher_reads_the_start_and_an_exit_as_root() {
    launch("root-exit", ROOT_NAMESPACES, &[], false, ROOT_KEYS, "exit");
}

#[test]
fn a_launcher_reads_the_start_and_a_signal_death_as_root() {
    launch(
        "root-signal",
        ROOT_NAMESPACES,
        &[],
        true,
        ROOT_KEYS,
        "signal",
    );
}

/// Without namespaces keel's own child is the workload: no namespace keys.
#[test]
fn a_launcher_reads_a_keel_without_namespaces() {
    launch("plain", "", &[], false, "", "exit");
}

#[test]
fn a_launcher_reads_the_start_and_an_exit_as_nobody() {
    launch(
        "nobody-exit",
        NOBODY_NAMESPACES,
        &NOBODY,
        true,
        "mnt,pid,user",
        "exit",
    );
}

#[test]
fn a_launcher_reads_the_start_and_a_signal_death_as_nobody() {
    launch(
        "nobody-signal",
        NOBODY_NAMESPACES,
        &NOBODY,
        false,
        "mnt,pid,user",
        "signal",
    );
}

/// keel run by `sh -c 'exec keel ARGS REDIRECTION'`.
fn keel_with(args: &str, redirection: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec {KEEL} {args} -- true {redirection}"))
        .stdin(Stdio::null())
        .output()
        .expect("sh")
}

/// A descriptor that is not open, or open the wrong way, is one line naming the option, the
/// descriptor and the errno, and keel exits 2 before it starts anything.
#[test]
fn bad_launcher_descriptors_are_one_line() {
    let cases = [
        (
            "--status-fd 9",
            "",
            "keel: --status-fd 9: EBADF (Bad file descriptor): not an open descriptor; fix: pass it to keel open (e.g. python's pass_fds)\n",
        ),
        (
            "--status-fd 9",
            "9</dev/null",
            "keel: --status-fd 9: EBADF (Bad file descriptor): open read-only, and keel writes there\n",
        ),
        (
            "--block-fd=9",
            "9>/dev/null",
            "keel: --block-fd 9: EBADF (Bad file descriptor): open write-only, and keel reads there\n",
        ),
        (
            "--exec --status-fd 9",
            "9>/dev/null",
            "keel: --status-fd 9: keel reports the workload's start and end only when it supervises it, and --exec replaces keel with it: drop one\n",
        ),
    ];
    for (args, redirection, want) in cases {
        let out = keel_with(args, redirection);
        assert_eq!(out.status.code(), Some(2), "{args} {redirection}");
        assert_eq!(text(&out.stderr), want, "{args} {redirection}");
    }
    // 0-2 are the workload's stdio.
    let out = keel_with("--block-fd 1", "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "keel: --block-fd 1: 0-2 are the workload's stdio, and a descriptor is below 2^31: use 3 or above\n"
    );
}
