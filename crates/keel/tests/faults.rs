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
//! (tests/vm/fault-overlay-module.sh). A kernel without the new mount API is not a fault any
//! more: keel builds the view with mount(2), checked here.

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

/// A minimal root filesystem: busybox and the applets the view checks use.
fn busybox_root(t: &Scratch) -> PathBuf {
    let root = t.busybox_root(
        &["proc", "tmp", "masked"],
        &[
            "sh", "awk", "cat", "echo", "ls", "grep", "touch", "readlink",
        ],
    );
    std::fs::write(root.join("secret"), "s").expect("write");
    root
}

/// On a kernel without the new mount API (simulated with a seccomp filter that gives ENOSYS
/// for its seven system calls, as a kernel before 5.2 does) keel builds the view with
/// mount(2) instead: every kind of mount, masked and read-only paths, a read-only root and
/// the pivot give the workload the same view as the new API does (same mount points, types
/// and attributes; the same writes refused), and nothing reaches the host. keel's own sealing
/// falls back to a memfd copy.
#[test]
fn without_the_new_mount_api_keel_builds_the_same_view_with_mount2() {
    let t = Scratch::new("no-mount-api");
    let wrapper = no_mount_api(&t);
    let root = busybox_root(&t);
    let (src, lower) = (t.dir("src"), t.dir("lower:with,odd"));
    std::fs::write(src.join("f"), "bound").expect("write");
    std::fs::write(lower.join("f"), "layer").expect("write");
    let cfg = t.config(
        "view.cfg",
        &format!(
            "[namespaces]\nunshare = [\"mount\", \"pid\"]\n\
             [mounts]\nroot = \"{}\"\nmasked = [\"/secret\", \"/masked\"]\nreadonly = [\"/bin\"]\nroot_readonly = true\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
             [[mount]]\ndestination = \"/view\"\ntype = \"bind\"\nsource = \"{}\"\noptions = [\"rbind\", \"ro\", \"nosuid\", \"noatime\"]\n\
             [[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\noptions = [\"size=1m\", \"mode=0700\", \"nodev\", \"noexec\"]\n\
             [[mount]]\ndestination = \"/sealed\"\ntype = \"overlay\"\nlower = [\"{l}\"]\n\
             [[mount]]\ndestination = \"/eph\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"tmpfs\"\nsize = \"1m\"\n",
            root.display(),
            src.display(),
            l = lower.display()
        ),
    );
    // Mount point, attributes and type of every mount (mountinfo fields 5 and 6 and the one
    // after "-"), then what the workload can and cannot do.
    let script = "awk '{ for (i = 7; $i != \"-\"; i++); print $5, $6, $(i + 1) }' /proc/self/mountinfo; \
                  cat /view/f; echo; touch /view/x; cat /sealed/f; echo; touch /sealed/x; \
                  echo new > /eph/f && cat /eph/f; echo w > /tmp/w && cat /tmp/w; \
                  echo \"[$(cat /secret)]\"; ls /masked | grep -c .; touch /masked/x /bin/x /x; readlink /proc/1/root; true";
    let run = |wrapper: Option<&Path>| {
        let mut cmd = match wrapper {
            Some(w) => {
                let mut c = Command::new(w);
                c.arg(KEEL);
                c
            }
            None => Command::new(KEEL),
        };
        let out = cmd
            .args(["-vv", "-c"])
            .arg(&cfg)
            .args(["--", "/bin/sh", "-c", script])
            .stdin(Stdio::null())
            .output()
            .expect("keel");
        assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    let before = host_mounts();
    let (view, said) = run(Some(&wrapper));
    assert_eq!(host_mounts(), before, "the host's mount table changed");
    assert!(
        said.contains(
            "keel: info: mounts: the kernel has no mount_setattr (Linux 5.12); using mount(2)\n"
        ),
        "{said}"
    );
    assert!(said.contains("using a sealed memfd copy"), "{said}");
    assert_eq!(
        said.matches("Read-only file system").count(),
        5,
        "/view, /sealed, /masked, /bin and / refuse writes: {said}"
    );
    let lines: Vec<&str> = view.lines().collect();
    assert_eq!(
        lines,
        [
            "/ ro,relatime ext4",
            "/proc rw,relatime proc",
            "/view ro,nosuid,noatime ext4",
            "/tmp rw,nodev,noexec,relatime tmpfs",
            "/sealed rw,nosuid,nodev,relatime tmpfs",
            "/sealed ro,relatime overlay",
            "/eph rw,nosuid,nodev,relatime tmpfs",
            "/eph rw,relatime overlay",
            "/secret ro,relatime devtmpfs",
            "/masked ro,nosuid,nodev,relatime tmpfs",
            "/bin ro,relatime ext4",
            "bound",
            "layer",
            "new",
            "w",
            "[]",
            "0",
            "/",
        ]
        .iter()
        .map(|l| match l.split_once(" ext4") {
            // The root's and the binds' filesystem is whatever the scratch directory is on.
            Some((head, "")) => format!("{head} {}", fs_type(&t.path(""))),
            _ => (*l).to_owned(),
        })
        .collect::<Vec<_>>(),
        "{view}"
    );
    // The new mount API gives exactly the same.
    assert_eq!(run(None).0, view);
}

/// A mount on / (the rootfs overlaid as the new root, Sandbox.jl's flow): with mount(2) as
/// with the new API, the overlay is the root the workload writes to, the mounts after it go
/// onto it, and the rootfs is untouched.
#[test]
fn without_the_new_mount_api_an_overlay_on_root_is_the_new_root_too() {
    let t = Scratch::new("no-mount-api-root");
    let wrapper = no_mount_api(&t);
    let root = busybox_root(&t);
    let cfg = t.config(
        "root.cfg",
        &format!(
            "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[mounts]\nroot = \"{r}\"\n\
             [[mount]]\ndestination = \"/\"\ntype = \"overlay\"\nlower = [\"{r}\"]\nupper = \"tmpfs\"\nsize = \"1m\"\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
            r = root.display()
        ),
    );
    let script = "awk '{ for (i = 7; $i != \"-\"; i++); print $5, $(i + 1) }' /proc/self/mountinfo; \
                  echo new > /new && cat /new; readlink /proc/1/root";
    let run = |wrapper: Option<&Path>| {
        let mut cmd = Command::new(wrapper.unwrap_or(Path::new(KEEL)));
        if wrapper.is_some() {
            cmd.arg(KEEL);
        }
        let out = cmd
            .args(["-vv", "-c"])
            .arg(&cfg)
            .args(["--", "/bin/sh", "-c", script])
            .stdin(Stdio::null())
            .output()
            .expect("keel");
        let said = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "stderr: {said}");
        assert_eq!(said.contains("using mount(2)"), wrapper.is_some(), "{said}");
        text(&out.stdout)
    };
    let view = run(Some(&wrapper));
    // The bind of the rootfs and the upper's tmpfs, under the overlay, went with the old root.
    assert_eq!(
        view.lines().collect::<Vec<_>>(),
        ["/ overlay", "/proc proc", "new", "/"]
    );
    assert_eq!(run(None), view);
    assert!(!root.join("new").exists(), "the rootfs is untouched");
}

/// The filesystem type of the mount `path` is on, as mountinfo names it.
fn fs_type(path: &Path) -> String {
    let out = Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(path)
        .output()
        .expect("stat");
    match text(&out.stdout).trim() {
        "ext2/ext3" => "ext4".to_owned(),
        other => other.to_owned(),
    }
}

/// What mount(2) cannot do: filesystem options are one data page, so options longer than 4 KiB
/// in all, which fsconfig takes one by one, fail with one line, after the mounts before them
/// were built; and a mount point that cannot be created fails as with the new API. Nothing
/// reaches the host.
#[test]
fn without_the_new_mount_api_what_mount2_cannot_do_fails_cleanly() {
    let t = Scratch::new("no-mount-api-fails");
    let wrapper = no_mount_api(&t);
    let (ok_view, big_view) = (t.path("ok"), t.path("big"));
    let options: Vec<String> = (0..17)
        .map(|i| format!("\"x-{i:02}-{}\"", "a".repeat(240)))
        .collect();
    let cfg = t.config(
        "big.cfg",
        &format!(
            "[[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\n\
             [[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\noptions = [{}]\n",
            ok_view.display(),
            big_view.display(),
            options.join(", ")
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        format!(
            "keel: mounts: tmpfs options for {}: longer than mount(2)'s page",
            big_view.display()
        )
    );

    let file = t.file("file", "");
    let bad_view = file.join("sub");
    let cfg = t.config(
        "ns.cfg",
        &format!(
            "[namespaces]\nunshare = [\"mount\", \"pid\"]\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
             [[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\n",
            bad_view.display()
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        format!(
            "keel: mounts: target {}: ENOTDIR (Not a directory)",
            bad_view.display()
        )
    );
}

/// A keel built with mounts but without `classic-mounts` (the mount(2) fallback) on a kernel
/// without the new mount API refuses before its first mount, with one line saying so and
/// what to do. scripts/test.sh runs it with such a build (`--features mounts`).
#[cfg(all(feature = "mounts", not(feature = "classic-mounts")))]
#[test]
fn without_the_new_mount_api_a_keel_without_classic_mounts_refuses_cleanly() {
    let t = Scratch::new("no-classic-mounts");
    let wrapper = no_mount_api(&t);
    let view = t.path("view");
    let cfg = t.config(
        "tmpfs.cfg",
        &format!(
            "[[mount]]\ndestination = \"{}\"\ntype = \"tmpfs\"\n",
            view.display()
        ),
    );
    assert_eq!(
        fails_cleanly(keel(&cfg, Some(&wrapper)), &cfg, SETUP),
        "keel: mounts: the kernel has no mount_setattr (Linux 5.12), and this keel was built without classic-mounts: use a newer kernel, or a keel built with that feature"
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
