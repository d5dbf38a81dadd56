//! Faults (issue 7) on this machine's kernel, as root. Each fault must give keel's documented
//! outcome: exit status 125 for a set-up step that failed, 2 for a config keel cannot use
//! (README, "Exit status"); exactly one line on stderr, `keel: ` and the step, the path and
//! the errno; the workload never started; nothing left behind (the host's mount table as it
//! was, no process of the run alive); and keel exits instead of hanging.
//!
//! Faults tested elsewhere, not repeated here: a missing overlay lower layer or bind source
//! (tests/sealing.rs, `mount_errors_are_one_line_with_step_path_and_errno`, which also checks
//! that nothing is left), a full tmpfs upper (tests/sealing.rs,
//! `a_full_tmpfs_upper_gives_enospc_inside_and_keel_carries_on`), a missing, directory,
//! oversized, writable or foreign-owned config (tests/config.rs), a read-only cgroupfs
//! (tests/vm/cgroup-errors.sh) and a kernel without the overlay module
//! (tests/vm/fault-overlay-module.sh).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{KEEL, Scratch, host_mounts, processes_mentioning, text};

/// keel's exit statuses (README, "Exit status").
const SETUP: i32 = 125;
const USAGE: i32 = 2;

/// Longer than any failing keel needs; a keel still running then has hung.
const HANG: Duration = Duration::from_secs(5);

/// `keel -c CFG -- echo RAN`, behind `wrapper` when given.
fn keel(cfg: &Path, wrapper: Option<&Path>) -> Command {
    let mut c = match wrapper {
        Some(w) => {
            let mut c = Command::new(w);
            c.arg(KEEL);
            c
        }
        None => Command::new(KEEL),
    };
    c.arg("-c").arg(cfg).args(["--", "echo", "RAN"]);
    c
}

/// Runs `cmd` (a keel whose config path is `cfg`) and checks what every fault must give:
/// keel exits within `HANG` with `status`, prints nothing on stdout (the workload never ran)
/// and one line on stderr, the host's mount table is unchanged and no process that mentions
/// `cfg` is left. Returns that line, without its newline, for the caller's exact check.
fn fails_cleanly(mut cmd: Command, cfg: &Path, status: i32) -> String {
    let before = host_mounts();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn keel");
    let deadline = Instant::now() + HANG;
    let mut hung = false;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            // Kill it so that the run ends and the checks below still report what was left.
            let _ = child.kill();
            hung = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("wait");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!hung, "keel hung ({HANG:?}, killed); stderr: {stderr}");
    assert_eq!(out.status.code(), Some(status), "stderr: {stderr}");
    assert_eq!(stdout, "", "the workload must not run");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("keel: "), "{stderr}");
    assert_eq!(host_mounts(), before, "the host's mount table changed");
    assert_eq!(processes_mentioning(cfg), Vec::<String>::new(), "left over");
    stderr.trim_end().to_owned()
}

/// tests/support/no-mount-api.c, built with the host's C compiler into the scratch directory.
fn no_mount_api(t: &Scratch) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/no-mount-api.c");
    let bin = t.path("no-mount-api");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(&cc)
        .args(["-O2", "-Wall", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("{cc}: {e} (a C compiler is needed for this test)"));
    assert!(built.status.success(), "{cc}: {}", text(&built.stderr));
    bin
}

/// On a kernel without the new mount API (before 5.2, simulated with a seccomp filter that
/// gives ENOSYS for its seven system calls), the first mount fails with ENOSYS, named with
/// its step and path and the kernel version needed, status 125; nothing is left. keel has no mount(2) fallback for the
/// workload's mounts, but still starts: its own sealing falls back to a memfd copy, which a
/// pid namespace without mounts shows.
#[test]
fn without_the_new_mount_api_the_first_mount_fails_with_enosys_and_leaves_nothing() {
    let t = Scratch::new("no-mount-api");
    let wrapper = no_mount_api(&t);
    let (src, view, root) = (t.dir("src"), t.path("view"), t.dir("root"));
    let enosys = "ENOSYS (Function not implemented): the kernel lacks the new mount API \
                  (fsopen, fsmount, open_tree, move_mount: Linux 5.2; mount_setattr: 5.12)";

    // Control: keel, sealed from a memfd as PID 1 of a new pid namespace, runs the workload.
    let cfg = t.config("pid.cfg", "[namespaces]\nunshare = [\"pid\"]\n");
    let out = keel(&cfg, Some(&wrapper)).output().expect("keel");
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        ("RAN\n", Some(0)),
        "stderr: {}",
        text(&out.stderr)
    );

    // In the private mount namespace keel makes itself.
    let cfg = t.config(
        "tmpfs.cfg",
        &format!(
            "[[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\n",
            view.display()
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        format!("keel: mounts: fsopen tmpfs: {enosys}")
    );

    // In the inner keel of new pid and mount namespaces: its status comes back through the relay.
    let cfg = t.config(
        "ns.cfg",
        &format!(
            "[namespaces]\nunshare = [\"mount\", \"pid\"]\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
             [[mount]]\ndestination = \"{}\"\ntype = \"bind\"\nsource = \"{}\"\n",
            view.display(),
            src.display()
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        format!("keel: mounts: fsopen proc: {enosys}")
    );

    let cfg = t.config(
        "bind.cfg",
        &format!(
            "[[mount]]\ndestination = \"{}\"\ntype = \"bind\"\nsource = \"{}\"\noptions = [\"ro\"]\n",
            view.display(),
            src.display()
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        format!("keel: mounts: open_tree {}: {enosys}", src.display())
    );

    let cfg = t.config(
        "root.cfg",
        &format!("[mounts]\nroot = \"{}\"\n", root.display()),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        format!("keel: mounts: open_tree {}: {enosys}", root.display())
    );
}

/// A mount point keel cannot create (a path through a regular file) and a new root that does
/// not exist: each fails at its step, after the mounts before it were built, and none of them
/// reaches the host. keel creates a missing mount point itself, so a missing target alone is
/// not a fault.
#[test]
fn a_mount_point_that_cannot_be_created_and_a_missing_root_fail_cleanly() {
    let t = Scratch::new("missing");
    let file = t.file("file", "");
    let (ok_view, bad_view) = (t.path("ok"), file.join("sub"));
    let enotdir = format!(
        "keel: mounts: target {}: ENOTDIR (Not a directory)",
        bad_view.display()
    );
    let mounts = format!(
        "[[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\n\
         [[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\n",
        ok_view.display(),
        bad_view.display()
    );
    let cfg = t.config("plain.cfg", &mounts);
    assert_eq!(fails_cleanly(keel(&cfg, None), &cfg, SETUP), enotdir);

    let cfg = t.config(
        "ns.cfg",
        &format!(
            "[namespaces]\nunshare = [\"mount\", \"pid\"]\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n{mounts}"
        ),
    );
    assert_eq!(fails_cleanly(keel(&cfg, None), &cfg, SETUP), enotdir);

    let root = t.path("no-root");
    let cfg = t.config(
        "root.cfg",
        &format!(
            "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[mounts]\nroot = \"{}\"\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
            root.display()
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, None), &cfg, SETUP),
        format!(
            "keel: mounts: open_tree {}: ENOENT (No such file or directory)",
            root.display()
        )
    );
}

/// A config keel may not read (mode 000, keel not root) and a truncated one: status 2, one
/// line naming the file and the errno or the offset.
#[test]
fn an_unreadable_or_truncated_config_is_refused_with_status_2() {
    let t = Scratch::new("bad-config");
    let cfg = t.config(
        "c",
        "[process]\nargs = [\"/bin/sh\", \"-c\", \"echo RAN\"]\n",
    );
    let bytes = std::fs::read(&cfg).expect("read");

    let hidden = t.path("hidden");
    std::fs::write(&hidden, &bytes).expect("write");
    std::fs::set_permissions(&hidden, std::os::unix::fs::PermissionsExt::from_mode(0o000))
        .expect("chmod");
    let mut nobody = keel(&hidden, None);
    nobody.uid(65534).gid(65534);
    assert_eq!(
        fails_cleanly(nobody, &hidden, USAGE),
        format!(
            "keel: config {}: open: EACCES (Permission denied)",
            hidden.display()
        )
    );

    let cut = t.path("cut");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    std::fs::set_permissions(&cut, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .expect("chmod");
    let line = fails_cleanly(keel(&cut, None), &cut, USAGE);
    assert!(
        line.starts_with(&format!("keel: config {}: offset ", cut.display())),
        "{line}"
    );
}

/// A FIFO as the config (nobody ever writes to it) is not a regular file: refused at once,
/// like a directory, rather than waited on.
#[test]
fn a_fifo_config_is_refused_not_waited_on() {
    let t = Scratch::new("fifo-config");
    let fifo = t.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    assert_eq!(
        fails_cleanly(keel(&fifo, None), &fifo, USAGE),
        format!("keel: config {}: not a regular file", fifo.display())
    );
}
