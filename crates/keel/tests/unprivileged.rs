//! keel started by an unprivileged user (issue 14): a test user made for the run
//! (common::user; root runs these tests and the user exists only while they do), keel
//! started as it with setpriv, in a user namespace that maps the user's one uid and gid
//! (`setgroups = "deny"`). Everything a user namespace allows is checked from inside; what
//! needs root is in tests/unprivileged_errors.rs.
//!
//! No case is skipped: a kernel that lacks something (user namespaces for unprivileged users,
//! Landlock, ...) fails the case, with keel's own line saying what is missing.

use std::process::Output;

mod common;
use common::unprivileged::Unprivileged;
use common::{Running, host_mounts, landlock_system, ok, text};

/// The lines of a workload's stdout.
fn lines(out: &Output) -> Vec<String> {
    ok(out).lines().map(str::to_owned).collect()
}

#[test]
fn single_id_maps_make_the_user_root_inside() {
    let u = Unprivileged::new("unpriv-maps");
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n{}\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
        u.maps()
    );
    let out = u.run(
        &toml,
        "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; \
         grep -E '^Cap(Eff|Bnd)' /proc/1/status",
    );
    let words: Vec<String> = ok(&out).split_whitespace().map(str::to_owned).collect();
    let (uid, gid) = (u.user.uid.to_string(), u.user.gid.to_string());
    assert_eq!(
        words,
        [
            "0",
            "0",
            "0",
            &uid,
            "1",
            "0",
            &gid,
            "1",
            "deny",
            "CapEff:",
            "000001ffffffffff",
            "CapBnd:",
            "000001ffffffffff"
        ],
        "root inside with every capability there, the user's ids outside"
    );
}

/// Every kind of mount a user namespace allows, in a new root that belongs to the user:
/// proc (with a pid namespace), sysfs (with a net namespace), a tmpfs /dev with devpts and
/// mqueue (with an ipc namespace), a sized tmpfs, read-only and read-write binds of host
/// directories, and the three overlays, whose upper layers get `userxattr`. The layers belong
/// to the user.
#[test]
fn every_mount_a_user_namespace_allows() {
    let u = Unprivileged::new("unpriv-mounts");
    let root = u.root(&["proc", "sys", "dev", "tmp", "data/ro", "data/rw"]);
    let lower = u.t.dir("lower");
    std::fs::write(lower.join("f"), "layer").expect("write");
    // A copy-up keeps the file's owner: in the user namespace only the user's own files can
    // be copied up (root's are unmapped there), as a rootless image's layers are.
    u.user.own_tree(&lower);
    let (host_ro, host_rw) = (u.t.dir("host-ro"), u.t.dir("host-rw"));
    std::fs::write(host_ro.join("f"), "host").expect("write");
    let (upper, work) = (u.t.dir("changes/upper"), u.t.dir("changes/work"));
    for dir in [&host_rw, &upper, &work] {
        u.user.own(dir);
    }
    let before = host_mounts();
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\", \"ipc\", \"net\", \"uts\"]\n{maps}\
         [mounts]\nroot = \"{root}\"\n\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
         [[mount]]\ndestination = \"/sys\"\ntype = \"sysfs\"\noptions = [\"ro\"]\n\
         [[mount]]\ndestination = \"/dev\"\ntype = \"tmpfs\"\noptions = [\"mode=0755\", \"size=64k\"]\n\
         [[mount]]\ndestination = \"/dev/pts\"\ntype = \"devpts\"\noptions = [\"newinstance\", \"ptmxmode=0666\"]\n\
         [[mount]]\ndestination = \"/dev/mqueue\"\ntype = \"mqueue\"\n\
         [[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\noptions = [\"size=1m\"]\n\
         [[mount]]\ndestination = \"/data/ro\"\ntype = \"bind\"\nsource = \"{ro}\"\noptions = [\"ro\"]\n\
         [[mount]]\ndestination = \"/data/rw\"\ntype = \"bind\"\nsource = \"{rw}\"\n\
         [[mount]]\ndestination = \"/sealed\"\ntype = \"overlay\"\nlower = [\"{l}\"]\n\
         [[mount]]\ndestination = \"/eph\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"tmpfs\"\nsize = \"1m\"\n\
         [[mount]]\ndestination = \"/per\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"{up}\"\nwork = \"{w}\"\n",
        maps = u.maps(),
        root = root.display(),
        ro = host_ro.display(),
        rw = host_rw.display(),
        l = lower.display(),
        up = upper.display(),
        w = work.display(),
    );
    // Mount point, type, ro/rw and, for tmpfs and overlays, the options that matter here.
    // A bind shows as `bind` (the root of its mount is a subdirectory of the filesystem).
    let script = "awk '{ for (i = 7; $i != \"-\"; i++) ; t = ($4 == \"/\") ? $(i+1) : \"bind\"; o = \"\"; \
                  if (t == \"tmpfs\" && match($(i+3), /size=[0-9]+k/)) o = \" \" substr($(i+3), RSTART, RLENGTH); \
                  if (t == \"overlay\" && $(i+3) ~ /userxattr/) o = \" userxattr\"; \
                  print $5, t, substr($6, 1, 2) o }' /proc/self/mountinfo | grep -v '^/ '; \
                  for f in /data/ro/f /data/rw/new /sealed/f /eph/f /per/f /tmp/f /sys/x; do \
                  echo x 2>/dev/null >> $f && echo \"$f written\" || echo \"$f refused\"; done; \
                  cat /data/ro/f; echo; ls /dev/pts; ls /dev/mqueue | grep -c .; exit 3";
    let out = u.run(&toml, script);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout)
        .expect("utf-8")
        .lines()
        .collect();
    assert_eq!(
        lines,
        [
            "/proc proc rw",
            "/sys sysfs ro",
            "/dev tmpfs rw size=64k",
            "/dev/pts devpts rw",
            "/dev/mqueue mqueue rw",
            "/tmp tmpfs rw size=1024k",
            "/data/ro bind ro",
            "/data/rw bind rw",
            // Under each overlay keel's scratch tmpfs (the empty layer, the upper; see
            // README: kernels before 6.15 refuse detached layers).
            "/sealed tmpfs rw",
            "/sealed overlay ro",
            "/eph tmpfs rw size=1024k",
            "/eph overlay rw userxattr",
            "/per overlay rw userxattr",
            "/data/ro/f refused",
            "/data/rw/new written",
            "/sealed/f refused",
            "/eph/f written",
            "/per/f written",
            "/tmp/f written",
            "/sys/x refused",
            "host",
            "ptmx",
            "0",
        ],
        "stderr: {}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(lower.join("f")).expect("read"),
        "layer"
    );
    assert_eq!(
        std::fs::read_to_string(upper.join("f")).expect("upper"),
        "layerx\n",
        "the persisted overlay's change is in its upper directory"
    );
    assert_eq!(
        std::fs::read_to_string(host_rw.join("new")).expect("rw"),
        "x\n"
    );
    assert_eq!(host_mounts(), before, "the host's mount table is unchanged");
}

#[test]
fn pivot_root_masked_and_read_only_paths_and_hostname() {
    let u = Unprivileged::new("unpriv-pivot");
    let root = u.root(&["proc", "tmp"]);
    std::fs::write(root.join("secret"), "s").expect("write");
    std::fs::write(root.join("tmp/t"), "t").expect("write");
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\", \"uts\"]\n{}hostname = \"box\"\n\
         [mounts]\nroot = \"{}\"\nmasked = [\"/secret\", \"/tmp\"]\nreadonly = [\"/bin\"]\n\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
        u.maps(),
        root.display()
    );
    let script = "ls /; cat /secret; echo; ls /tmp | grep -c .; \
                  touch /bin/x 2>&1 | grep -c 'Read-only'; readlink /proc/1/root; hostname";
    assert_eq!(
        lines(&u.run(&toml, script)),
        ["bin", "proc", "secret", "tmp", "", "0", "1", "/", "box"]
    );
    assert!(!root.join("bin/x").exists());
}

/// Seccomp and Landlock without no_new_privs: keel holds CAP_SYS_ADMIN in its user namespace,
/// which is what the kernel asks for instead.
#[test]
fn seccomp_and_landlock() {
    let u = Unprivileged::new("unpriv-security");
    let work = u.t.dir("work");
    u.user.own(&work);
    let secret = u.t.file("secret", "hidden\n");
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n{}\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
         [process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n\
         [[process.seccomp.syscalls]]\nnames = [\"mkdir\", \"mkdirat\"]\naction = \"SCMP_ACT_ERRNO\"\nerrno_ret = \"EROFS\"\n\
         [landlock]\nrequired = true\n{}\
         [[landlock.path]]\npath = \"{}\"\naccess = [\"read\", \"write\"]\n",
        u.maps(),
        landlock_system(),
        work.display()
    );
    let script = format!(
        "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; mkdir {w}/d 2>&1 | sed 's/.*: //'; \
         echo written > {w}/new && cat {w}/new; cat {s} 2>/dev/null || echo secret-denied",
        w = work.display(),
        s = secret.display()
    );
    assert_eq!(
        lines(&u.run(&toml, &script)),
        [
            "NoNewPrivs:\t0",
            "Seccomp:\t2",
            "Read-only file system",
            "written",
            "secret-denied"
        ]
    );
}

/// An unprivileged keel cannot mount the sealing overlay before its namespaces exist, so it
/// runs from a sealed memfd copy of itself: /proc/1/exe is the memfd, and cannot be written.
#[test]
fn the_sealed_keel_runs_from_a_memfd() {
    let u = Unprivileged::new("unpriv-seal");
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n{}\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
        u.maps()
    );
    let before = std::fs::read(&u.keel).expect("read keel");
    let out = lines(&u.run(
        &toml,
        "readlink /proc/1/exe; { echo x >> /proc/1/exe; } 2>&1 | grep -o 'Text file busy'",
    ));
    assert_eq!(out, ["/memfd:keel (deleted)", "Text file busy"]);
    assert_eq!(std::fs::read(&u.keel).expect("read keel"), before);
}

/// The relay (keel in the user's namespaces) passes the inner keel's status, forwards
/// signals, and the inner keel (PID 1) drains the others with the grace period.
#[test]
fn status_signals_and_drain_pass_through_the_relay() {
    let u = Unprivileged::new("unpriv-relay");
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n{}\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
        u.maps()
    );
    assert_eq!(u.run(&toml, "exit 7").status.code(), Some(7));
    assert_eq!(u.run(&toml, "kill -TERM $$").status.code(), Some(143));

    let mut keel = Running::start(&mut u.command(
        &[],
        &toml,
        "trap 'echo got USR1; exit 5' USR1; echo ready; while :; do sleep 0.01; done",
    ));
    keel.expect("ready", |l| l == "ready");
    // SAFETY: kill(2) with plain integers; the pid is setpriv's, which exec'd keel.
    assert_eq!(
        unsafe { libc::kill(keel.child.id() as i32, libc::SIGUSR1) },
        0
    );
    keel.expect("got USR1", |l| l == "got USR1");
    assert_eq!(keel.finish().0, 5);

    let drain = "sh -c \"trap 'echo bg cleaned up; exit 0' TERM; while :; do sleep 0.01; done\" & \
                 while ! [ -e /proc/$!/status ]; do sleep 0.01; done; sleep 0.2; exit 3";
    let out = u
        .command(&["--grace", "5s"], &toml, drain)
        .output()
        .expect("keel");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "bg cleaned up\n");
}
