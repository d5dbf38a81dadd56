//! keel started by an unprivileged user (issue 14): a test user made for the run
//! (common::user; root runs these tests and the user exists only while they do), keel
//! started as it with setpriv, in a user namespace that maps the user's one uid and gid
//! (`setgroups = "deny"`). Everything a user namespace allows is checked from inside; what
//! needs root is one line naming the step, the path or the namespace, and the fix.
//!
//! No case is skipped: a kernel that lacks something (user namespaces for unprivileged users,
//! Landlock, ...) fails the case, with keel's own line saying what is missing.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod common;
use common::user::TestUser;
use common::{Running, Scratch, host_mounts, landlock_system, ok, processes_mentioning, text};

/// A scratch directory, the test user, and a copy of keel it can run.
struct Unprivileged {
    t: Scratch,
    user: TestUser,
    keel: PathBuf,
}

impl Unprivileged {
    fn new(name: &str) -> Unprivileged {
        let t = Scratch::new(name);
        let user = TestUser::take();
        let keel = user.keel_in(&t.path(""));
        Unprivileged { t, user, keel }
    }

    /// The user's one uid and gid as root inside, as an unprivileged keel may map them.
    fn maps(&self) -> String {
        self.maps_to(0)
    }

    fn maps_to(&self, inside: u32) -> String {
        format!(
            "uid_mappings = [{{ container_id = {inside}, host_id = {}, size = 1 }}]\n\
             gid_mappings = [{{ container_id = {inside}, host_id = {}, size = 1 }}]\n\
             setgroups = \"deny\"\n",
            self.user.uid, self.user.gid
        )
    }

    /// keel as the user with `args` (options), the config and a shell script as the workload.
    fn command(&self, args: &[&str], toml: &str, script: &str) -> Command {
        let cfg = self.t.config("keel.cfg", toml);
        let mut c = self.user.command(&self.keel);
        c.args(args)
            .arg("-c")
            .arg(&cfg)
            .args(["--", "/bin/sh", "-c", script])
            .stdin(Stdio::null());
        c
    }

    fn run(&self, toml: &str, script: &str) -> Output {
        self.command(&[], toml, script)
            .output()
            .expect("setpriv keel")
    }

    /// The one line of a run that must fail before the workload (status 125), with the pid
    /// in a `/proc/PID/` path replaced by `PID`; and no keel left running.
    fn setup_error(&self, toml: &str) -> String {
        let out = self.run(toml, "echo RAN");
        assert_eq!(
            out.status.code(),
            Some(125),
            "stdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "", "the workload never ran");
        assert_eq!(
            processes_mentioning(&self.t.path("keel.cfg")),
            Vec::<String>::new()
        );
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        without_pid(&err)
    }

    /// A busybox root filesystem that belongs to the user, with `dirs` in it.
    fn root(&self, dirs: &[&str]) -> PathBuf {
        let root = self.t.busybox_root(
            dirs,
            &[
                "sh", "awk", "cat", "echo", "grep", "hostname", "id", "ls", "readlink", "touch",
            ],
        );
        self.user.own_tree(&root);
        root
    }
}

fn without_pid(line: &str) -> String {
    match line.split_once("/proc/") {
        Some((head, tail)) if tail.starts_with(|c: char| c.is_ascii_digit()) => {
            let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{head}/proc/PID{rest}")
        }
        _ => line.to_owned(),
    }
}

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

/// What needs root, or a namespace the config does not ask for: one line each, with the fix.
#[test]
fn what_needs_root_is_one_line_with_the_fix() {
    let u = Unprivileged::new("unpriv-errors");
    let (uid, gid) = (u.user.uid, u.user.gid);
    assert_eq!(
        u.setup_error("[namespaces]\nunshare = [\"mount\"]\n"),
        "keel: namespaces: unshare: EPERM (Operation not permitted): new namespaces need CAP_SYS_ADMIN: add \"user\" to unshare (keel gets it in a user namespace of its own), or start keel as root\n"
    );
    assert_eq!(
        u.setup_error("[namespaces]\nunshare = [\"mount\", \"pid\"]\n"),
        "keel: namespaces: clone: EPERM (Operation not permitted): new namespaces need CAP_SYS_ADMIN: add \"user\" to unshare (keel gets it in a user namespace of its own), or start keel as root\n"
    );
    // Ids the user does not own: only root (or newuidmap's /etc/subuid ranges) maps them.
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\"]\n\
         uid_mappings = [{{ container_id = 0, host_id = 100000, size = 65536 }}]\n\
         gid_mappings = [{{ container_id = 0, host_id = {gid}, size = 1 }}]\nsetgroups = \"deny\"\n"
    );
    assert_eq!(
        u.setup_error(&toml),
        format!(
            "keel: namespaces: write /proc/PID/uid_map: EPERM (Operation not permitted): without CAP_SETUID in the parent namespace keel may map only its own uid: set host_id = {uid} with size = 1, or start keel as root\n"
        )
    );
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\"]\n\
         uid_mappings = [{{ container_id = 0, host_id = {uid}, size = 1 }}]\n\
         gid_mappings = [{{ container_id = 0, host_id = {gid}, size = 1 }}]\n"
    );
    assert_eq!(
        u.setup_error(&toml),
        format!(
            "keel: namespaces: write /proc/PID/gid_map: EPERM (Operation not permitted): without CAP_SETGID in the parent namespace, set setgroups = \"deny\" and map only keel's own gid: host_id = {gid} with size = 1, or start keel as root\n"
        )
    );
    // A filesystem whose namespace keel does not own: its own namespace is the fix.
    let at = u.t.dir("m");
    for (fs, namespace) in [("proc", "pid"), ("sysfs", "net"), ("mqueue", "ipc")] {
        let toml = format!(
            "[namespaces]\nunshare = [\"user\", \"mount\"]\n{}\
             [[mount]]\ndestination = \"{}\"\ntype = \"{fs}\"\n",
            u.maps(),
            at.display()
        );
        let step = if fs == "sysfs" {
            "fsopen sysfs".to_owned()
        } else {
            format!("create {fs} for {}", at.display())
        };
        assert_eq!(
            u.setup_error(&toml),
            format!(
                "keel: mounts: {step}: EPERM (Operation not permitted): {fs} needs a {namespace} namespace of its own: add \"{namespace}\" to unshare\n"
            )
        );
    }
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\"]\n{}\
         [[mount]]\ndestination = \"{}\"\ntype = \"devtmpfs\"\n",
        u.maps(),
        at.display()
    );
    assert_eq!(
        u.setup_error(&toml),
        format!(
            "keel: mounts: create devtmpfs for {}: EPERM (Operation not permitted): devtmpfs needs root: in a user namespace, bind the host's device nodes onto a tmpfs /dev\n",
            at.display()
        )
    );
    let toml = format!(
        "[process]\noom_score_adj = -500\n[namespaces]\nunshare = [\"user\", \"mount\"]\n{}",
        u.maps()
    );
    assert_eq!(
        u.setup_error(&toml),
        "keel: security: write /proc/self/oom_score_adj: EACCES (Permission denied): lowering it needs CAP_SYS_RESOURCE: start keel as root, or set oom_score_adj = 0 or more\n"
    );
    // cgroup delegation: the host's layout decides which refusal comes first.
    let toml = format!(
        "[cgroup]\n[namespaces]\nunshare = [\"user\", \"mount\"]\n{}",
        u.maps()
    );
    let err = u.setup_error(&toml);
    if cgroup2() {
        assert!(
            err.starts_with("keel: cgroup: ")
                && err.ends_with("delegate the cgroup to keel's user\n"),
            "{err}"
        );
    } else {
        assert_eq!(
            err,
            "keel: cgroup: /sys/fs/cgroup: a tmpfs, not cgroup2: a cgroup v1 or hybrid layout (or nothing mounted); keel needs the unified cgroup v2 hierarchy (boot with systemd.unified_cgroup_hierarchy=1)\n"
        );
    }
}

/// Whether /sys/fs/cgroup is the unified cgroup v2 hierarchy.
fn cgroup2() -> bool {
    host_mounts()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some("/sys/fs/cgroup") && l.contains(" - cgroup2 "))
}

/// With no user namespace left to make (user.max_user_namespaces = 0 in the user's own
/// namespace, where it may set it), the clone fails with ENOSPC and keel names the sysctl.
#[test]
fn no_user_namespace_left_is_one_line_naming_the_sysctl() {
    let u = Unprivileged::new("unpriv-nouserns");
    let cfg = u.t.config(
        "keel.cfg",
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n",
    );
    // keel reads a config only from root or its own user: root is unmapped in there.
    u.user.own(&cfg);
    let script = format!(
        "echo 0 > /proc/sys/user/max_user_namespaces && exec {} -c {} -- /bin/true",
        u.keel.display(),
        cfg.display()
    );
    let out = u
        .user
        .command(std::path::Path::new("/usr/bin/unshare"))
        .args(["--user", "--map-root-user", "/bin/sh", "-c", &script])
        .output()
        .expect("unshare");
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "keel: namespaces: clone: ENOSPC (No space left on device): no user namespace left to create here (sysctl user.max_user_namespaces; 0 disables them)\n"
    );
}
