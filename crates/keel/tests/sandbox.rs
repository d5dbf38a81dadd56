//! keel's namespaces, mounts and sealing, on this machine's kernel, as root: the real keel
//! with configs compiled by the real keel-gen. Each test checks what the workload sees from
//! inside, and that nothing leaks into the host.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::{KEEL, Scratch, host_mounts, ok, text};

impl Scratch {
    /// keel with the config and a shell script as the workload.
    fn run(&self, toml: &str, script: &str) -> Output {
        let cfg = self.config("keel.cfg", toml);
        Command::new(KEEL)
            .arg("-c")
            .arg(&cfg)
            .args(["--", "/bin/sh", "-c", script])
            .stdin(Stdio::null())
            .output()
            .expect("keel")
    }
}

const PID_NS: &str = "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n";

#[test]
fn a_new_pid_namespace_shows_keel_as_pid_1_and_only_its_processes() {
    let t = Scratch::new("pid");
    let out = ok(&t.run(PID_NS, "echo $$; cat /proc/1/comm; echo /proc/[0-9]*"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["2", "keel"], "{out}");
    // keel, the shell, and nothing of the host's (the glob runs inside the shell).
    assert_eq!(lines[2], "/proc/1 /proc/2", "{out}");
}

#[test]
fn status_and_signals_pass_through_every_level() {
    let t = Scratch::new("status");
    let out = t.run(PID_NS, "exit 7");
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let out = t.run(PID_NS, "kill -TERM $$");
    assert_eq!(out.status.code(), Some(143));
    // A signal to the outer keel reaches the workload through the inner one.
    let cfg = t.config("keel.cfg", PID_NS);
    let mut child = Command::new(KEEL)
        .arg("-c")
        .arg(&cfg)
        .args([
            "--",
            "/bin/sh",
            "-c",
            "trap 'echo got USR1; exit 5' USR1; echo ready; while :; do sleep 0.01; done",
        ])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("read");
    assert_eq!(line, "ready\n");
    // SAFETY: kill(2) with plain integers.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGUSR1) }, 0);
    line.clear();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("read");
    assert_eq!(line, "got USR1\n");
    assert_eq!(child.wait().expect("wait").code(), Some(5));
}

#[test]
fn hostname_ipc_and_net_namespaces() {
    let t = Scratch::new("uts");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let toml = "[namespaces]\nunshare = [\"mount\", \"uts\", \"ipc\", \"net\"]\nhostname = \"box\"\ndomainname = \"example.org\"\n\
                [[mount]]\ndestination = \"/sys\"\ntype = \"sysfs\"\n";
    let out = ok(&t.run(toml, "cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname; cat /sys/class/net/lo/operstate; ls /sys/class/net"));
    assert_eq!(
        out, "box\nexample.org\nunknown\nlo\n",
        "lo is up (operstate unknown) and alone"
    );
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname"),
        host
    );
}

#[test]
fn user_namespace_with_id_maps() {
    let t = Scratch::new("user");
    // oom_score_adj too: inside the user namespace its /proc file has an unmapped owner, so
    // keel must set it before entering.
    let toml = "[process]\noom_score_adj = 300\n\
                [namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n\
                uid_mappings = [{ container_id = 0, host_id = 100000, size = 65536 }]\n\
                gid_mappings = [{ container_id = 0, host_id = 100000, size = 65536 }]\n\
                [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n";
    let out = ok(&t.run(
        toml,
        "id -u; id -g; cat /proc/self/uid_map; cat /proc/self/oom_score_adj",
    ));
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words, ["0", "0", "0", "100000", "65536", "300"], "{out}");
}

#[test]
fn bind_tmpfs_and_read_only_mounts_never_reach_the_host() {
    let t = Scratch::new("binds");
    let data = t.dir("data");
    std::fs::write(data.join("file"), "hello").expect("write");
    let before = host_mounts();
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\"]\n\
         [[mount]]\ndestination = \"/mnt/keel-ro\"\ntype = \"bind\"\nsource = \"{}\"\noptions = [\"rbind\", \"ro\", \"nosuid\", \"nodev\"]\n\
         [[mount]]\ndestination = \"/mnt/keel-tmp\"\ntype = \"tmpfs\"\noptions = [\"size=1m\", \"mode=0700\"]\n",
        data.display()
    );
    let script = "cat /mnt/keel-ro/file; echo; touch /mnt/keel-ro/new 2>&1 | grep -c 'Read-only'; \
                  stat -c %a /mnt/keel-tmp; dd if=/dev/zero of=/mnt/keel-tmp/big bs=1k count=2048 2>&1 | grep -c 'No space'; \
                  grep -c keel- /proc/self/mountinfo; grep -c keel- /proc/1/mountinfo; true";
    let out = ok(&t.run(&toml, script));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["hello", "1", "700", "1", "2", "0"],
        "{out}"
    );
    assert!(!Path::new("/mnt/keel-ro/file").exists());
    assert_eq!(host_mounts(), before, "the host's mount table is unchanged");
}

#[test]
fn a_sealed_overlay_stays_read_only_even_for_root() {
    let t = Scratch::new("sealed");
    let lower = t.dir("lower");
    std::fs::write(lower.join("f"), "layer").expect("write");
    let target = t.dir("view");
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\"]\n[[mount]]\ndestination = \"{}\"\ntype = \"overlay\"\nlower = [\"{}\"]\n",
        target.display(),
        lower.display()
    );
    let v = target.display();
    let script = format!(
        "cat {v}/f; echo; echo x > {v}/f 2>/dev/null && echo WROTE; \
         mount -o remount,rw {v} 2>/dev/null && echo x > {v}/f 2>/dev/null && echo WROTE-AFTER-REMOUNT; \
         touch {v}/new 2>&1 | grep -c 'Read-only'"
    );
    let out = ok(&t.run(&toml, &script));
    assert_eq!(out, "layer\n1\n", "{out}");
    assert_eq!(
        std::fs::read_to_string(lower.join("f")).expect("read"),
        "layer"
    );
}

#[test]
fn ephemeral_and_persisted_overlays() {
    let t = Scratch::new("overlays");
    let lower = t.dir("lower");
    std::fs::write(lower.join("f"), "layer").expect("write");
    let (eph, per) = (t.dir("eph"), t.dir("per"));
    let (up, work) = (t.dir("changes/upper"), t.dir("changes/work"));
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\"]\n\
         [[mount]]\ndestination = \"{}\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"tmpfs\"\nsize = \"1m\"\n\
         [[mount]]\ndestination = \"{}\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"{}\"\nwork = \"{}\"\n",
        eph.display(),
        per.display(),
        up.display(),
        work.display(),
        l = lower.display()
    );
    let script = format!(
        "echo new > {e}/f && cat {e}/f && echo kept > {p}/g && cat {p}/f",
        e = eph.display(),
        p = per.display()
    );
    let out = ok(&t.run(&toml, &script));
    assert_eq!(out, "new\nlayer");
    assert_eq!(
        std::fs::read_to_string(lower.join("f")).expect("read"),
        "layer",
        "lower untouched"
    );
    assert!(
        std::fs::read_dir(&eph).expect("dir").next().is_none(),
        "ephemeral writes vanished"
    );
    assert_eq!(
        std::fs::read_to_string(up.join("g")).expect("upper"),
        "kept\n",
        "persisted writes stay in upper"
    );
}

/// A minimal root filesystem: busybox and its applet links.
fn busybox_root(t: &Scratch) -> PathBuf {
    t.busybox_root(
        &["proc", "tmp"],
        &["sh", "ls", "cat", "echo", "grep", "readlink", "touch"],
    )
}

#[test]
fn pivot_root_into_a_new_root_with_masked_and_read_only_paths() {
    let t = Scratch::new("pivot");
    let root = busybox_root(&t);
    std::fs::write(root.join("secret"), "s").expect("write");
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[mounts]\nroot = \"{}\"\nmasked = [\"/secret\", \"/tmp\"]\nreadonly = [\"/bin\"]\n\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
        root.display()
    );
    let script = "ls /; cat /secret; echo; ls /tmp | grep -c .; touch /bin/x 2>&1 | grep -c 'Read-only'; \
                  readlink /proc/1/root; cat /proc/self/mountinfo | grep -c .; true";
    let stdout = ok(&t.run(&toml, script));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..4], ["bin", "proc", "secret", "tmp"], "{stdout}");
    // The masked file is empty, the masked directory too, /bin is read-only, and the old root
    // is gone: the new root, /proc, two masks and one read-only bind are all that is mounted.
    assert_eq!(lines[4..], ["", "0", "1", "/", "5"], "{stdout}");
}

/// `[mounts] lock` writes keel's id maps through /proc/self: in a new root without a proc,
/// one line naming the step, the path and the errno, with the fix, and nothing runs.
#[test]
fn lock_without_a_proc_is_a_one_line_setup_error() {
    let t = Scratch::new("lock-no-proc");
    let root = busybox_root(&t);
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[mounts]\nroot = \"{}\"\nlock = true\n",
        root.display()
    );
    let out = t.run(&toml, "echo RAN");
    assert_eq!(out.status.code(), Some(125));
    assert!(!text(&out.stdout).contains("RAN"));
    assert_eq!(
        text(&out.stderr),
        "keel: namespaces: lock mounts: open /proc/self: ENOENT (No such file or directory): mount a proc (keel writes its id maps through it)\n"
    );
}

#[test]
fn a_read_only_root_keeps_the_mounts_on_it_writable() {
    let t = Scratch::new("root-ro");
    let root = busybox_root(&t);
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[mounts]\nroot = \"{}\"\nroot_readonly = true\n\
         [[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\n",
        root.display()
    );
    let script = "touch /new 2>&1 | grep -c 'Read-only'; touch /tmp/new && echo tmp-writable";
    assert_eq!(ok(&t.run(&toml, script)), "1\ntmp-writable\n");
    assert!(!root.join("new").exists());
}

#[test]
fn the_payload_cannot_write_keel_through_proc_1_exe() {
    let t = Scratch::new("seal");
    let copy = t.path("keel");
    std::fs::copy(KEEL, &copy).expect("copy keel");
    let cfg = t.config("keel.cfg", PID_NS);
    let script = "echo x >> /proc/1/exe && echo WROTE; readlink /proc/1/exe";
    let out = Command::new(&copy)
        .arg("-c")
        .arg(&cfg)
        .args(["--", "/bin/sh", "-c", script])
        .output()
        .expect("keel");
    let stdout = ok(&out);
    assert!(!stdout.contains("WROTE"), "{stdout}");
    assert_ne!(
        stdout.trim(),
        copy.display().to_string(),
        "/proc/1/exe is not the host file"
    );
    assert_eq!(
        std::fs::read(&copy).expect("read"),
        std::fs::read(KEEL).expect("read"),
        "keel on disk is intact"
    );
    // --no-seal runs keel from its file: the write is refused only by ETXTBSY, and
    // /proc/1/exe names the host file.
    let out = Command::new(&copy)
        .arg("--no-seal")
        .arg("-c")
        .arg(&cfg)
        .args(["--", "/bin/sh", "-c", "readlink /proc/1/exe"])
        .output()
        .expect("keel");
    assert_eq!(ok(&out).trim(), copy.display().to_string());
}

/// `docker run --init` and podman's `--init` bind-mount keel onto a placeholder file
/// (/sbin/docker-init, /run/podman-init): an overlay of its directory shows the placeholder,
/// not keel, so keel must see that its file is a mount of its own and seal from a memfd.
#[test]
fn keel_bind_mounted_onto_a_placeholder_seals_from_a_memfd() {
    let t = Scratch::new("seal-bind");
    let placeholder = t.path("docker-init");
    std::fs::write(&placeholder, b"").expect("placeholder");
    let script = format!(
        "mount --make-rprivate / && mount --bind {keel} {p} && exec {p} --seal -v -- /bin/sh -c \
         'readlink /proc/$PPID/exe; echo x >> /proc/$PPID/exe && echo WROTE'",
        keel = KEEL,
        p = placeholder.display()
    );
    let keel_before = std::fs::read(KEEL).expect("read keel");
    let out = Command::new("unshare")
        .args(["--mount", "/bin/sh", "-c", &script])
        .output()
        .expect("unshare");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("running unsealed"), "{stderr}");
    assert_eq!(
        std::fs::read(KEEL).expect("read keel"),
        keel_before,
        "keel is intact"
    );
    assert!(stderr.contains("is a mount of its own"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("/memfd:keel"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("WROTE"), "{stdout}");
    assert_eq!(
        std::fs::read(&placeholder).expect("read"),
        b"",
        "the placeholder is intact"
    );
}

/// keel in a directory on an overlay of an overlay: a sealed overlay of it would exceed
/// overlayfs's stacking limit, so keel goes to the memfd after one overlay attempt (each
/// attempt writes "maximum fs stacking depth exceeded" to the kernel log: there were 6).
/// One level down, as in a container image, the sealed overlay itself is used.
#[test]
fn keel_on_nested_overlays_falls_back_to_a_memfd_at_once() {
    let t = Scratch::new("seal-nested");
    let d = t.path("");
    for dir in ["l1/bin", "u1", "w1", "o1", "o2", "u2"] {
        std::fs::create_dir_all(d.join(dir)).expect("mkdir");
    }
    std::fs::copy(KEEL, d.join("l1/bin/keel")).expect("copy keel");
    let d = d.display();
    let script = format!(
        "set -e; mount --make-rprivate /
         mount -t overlay overlay -o lowerdir={d}/l1,upperdir={d}/u1,workdir={d}/w1 {d}/o1
         mount -t tmpfs tmpfs {d}/u2; mkdir {d}/u2/u {d}/u2/w
         mount -t overlay overlay -o lowerdir={d}/o1,upperdir={d}/u2/u,workdir={d}/u2/w {d}/o2
         before=$(dmesg | grep -c 'stacking depth' || true)
         {d}/o2/bin/keel --seal -- /bin/sh -c 'readlink /proc/$PPID/exe'
         echo lines $(( $(dmesg | grep -c 'stacking depth' || true) - before ))
         {d}/o1/bin/keel --seal -- /bin/sh -c 'readlink /proc/$PPID/exe'"
    );
    let out = Command::new("unshare")
        .args(["--mount", "/bin/sh", "-c", &script])
        .output()
        .expect("unshare");
    let stdout = ok(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("/memfd:keel"), "{stdout}");
    let logged: usize = lines[1]
        .strip_prefix("lines ")
        .expect("lines")
        .parse()
        .expect("n");
    // One overlay_fs call: by fd, then by path (kernels before 6.15 need the path form).
    assert!(logged <= 2, "{logged} kernel log lines: {stdout}");
    assert_eq!(
        lines[2], "/keel",
        "one level down, the sealed overlay: {stdout}"
    );
}

#[test]
fn mount_errors_name_the_step_the_path_and_the_errno() {
    let t = Scratch::new("errors");
    let toml = "[namespaces]\nunshare = [\"mount\"]\n[[mount]]\ndestination = \"/mnt/keel-x\"\ntype = \"overlay\"\nlower = [\"/nonexistent/layer\"]\n";
    let out = t.run(toml, "true");
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        text(&out.stderr),
        "keel: mounts: overlay for /mnt/keel-x: /nonexistent/layer: ENOENT (No such file or directory)\n"
    );
    let toml = "[namespaces]\nunshare = [\"mount\"]\n[[mount]]\ndestination = \"/mnt/keel-x\"\ntype = \"tmpfs\"\noptions = [\"bogus=1\"]\n";
    let out = t.run(toml, "true");
    assert_eq!(out.status.code(), Some(125));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("keel: mounts: tmpfs option bogus=1: EINVAL (Invalid argument)"),
        "{err}"
    );
    assert!(
        err.contains("(kernel: tmpfs: Unknown parameter 'bogus')"),
        "the kernel's own message: {err}"
    );
}
