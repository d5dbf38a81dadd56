//! keel driven by a binary config: from `-c`, from `KEEL_CONFIG`, from its embedded section and
//! from /etc/keel.cfg, in that order of precedence; configs compiled by the real keel-gen.
//! A bad config is refused whole, before keel does anything.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{KEEL, Scratch};

fn run(cmd: &mut Command) -> Output {
    // Some of the programs run here are keels with a config embedded this moment.
    common::output_of_written(cmd.stdin(Stdio::null()))
}

fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed: {out:?}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn exits_with(n: u8) -> String {
    format!("[process]\nargs = [\"/bin/sh\", \"-c\", \"exit {n}\"]\n")
}

#[test]
fn a_config_file_alone_says_what_to_run() {
    let t = Scratch::new("file");
    let cfg = t.config("c", &exits_with(7));
    assert_eq!(code(&run(Command::new(KEEL).arg("-c").arg(&cfg))), 7);
    assert_eq!(
        code(&run(
            Command::new(KEEL).arg(format!("--config={}", cfg.display()))
        )),
        7
    );
    // A program on the command line replaces the config's.
    assert_eq!(
        code(&run(Command::new(KEEL)
            .arg("-c")
            .arg(&cfg)
            .args(["--", "sh", "-c", "exit 3"]))),
        3
    );
}

#[test]
fn keel_config_in_the_environment() {
    let t = Scratch::new("env");
    let cfg = t.config("c", &exits_with(8));
    assert_eq!(code(&run(Command::new(KEEL).env("KEEL_CONFIG", &cfg))), 8);
    // -c wins over KEEL_CONFIG.
    let other = t.config("d", &exits_with(9));
    assert_eq!(
        code(&run(Command::new(KEEL)
            .env("KEEL_CONFIG", &cfg)
            .arg("-c")
            .arg(&other))),
        9
    );
}

#[test]
fn an_embedded_config_needs_no_file_and_no_flag() {
    let t = Scratch::new("embed");
    let cfg = t.config("c", &exits_with(11));
    let keel = t.embedded_keel("keel", &cfg);
    assert_eq!(code(&run(&mut Command::new(&keel))), 11);
    // A file named on the command line or in the environment still wins.
    let file = t.config("d", &exits_with(12));
    assert_eq!(
        code(&run(Command::new(&keel).env("KEEL_CONFIG", &file))),
        12
    );
    // The embedded config reads back as the TOML it came from.
    let shown = keel_gen::inspect(&std::fs::read(&keel).unwrap(), "keel").unwrap();
    assert!(shown.contains("exit 11"), "{shown}");
}

/// `keel-gen embed` appends the config to the real keel in a read-only segment of its own:
/// the file grows by exactly the config, a config far above the old 4 KiB reservation fits,
/// embedding again replaces it, and `strip` keeps it.
#[test]
fn embedding_appends_the_config_and_survives_strip() {
    let t = Scratch::new("embed-segment");
    let fresh = std::fs::read(KEEL).unwrap();
    // 60 variables of 500 bytes: a config of some 30 KB.
    let env: Vec<String> = (0..60)
        .map(|i| format!("\"V{i}={}\"", "x".repeat(500)))
        .collect();
    let big = t.config(
        "big",
        &format!(
            "[process]\nargs = [\"/bin/sh\", \"-c\", \"[ ${{#V59}} = 500 ] && exit 21\"]\nenv = [{}]\n",
            env.join(", ")
        ),
    );
    let big_bytes = std::fs::read(&big).unwrap();
    assert!(big_bytes.len() > 30_000, "{}", big_bytes.len());
    let keel = t.embedded_keel("keel", &big);
    let embedded = std::fs::read(&keel).unwrap();
    assert_eq!(embedded.len(), fresh.len() + big_bytes.len());
    assert_eq!(code(&run(&mut Command::new(&keel))), 21);
    let range = keel_gen::elf::embedded(&embedded)
        .unwrap()
        .expect("embedded");
    assert_eq!(&embedded[range], &big_bytes[..]);
    let shown = keel_gen::inspect(&embedded, "k").unwrap();
    assert!(shown.starts_with("# keel config decoded from the config embedded in k\n"));

    // Again, into the keel that has one: replaced, and the file is fresh + the new config.
    let small = t.config("small", &exits_with(22));
    let small_bytes = std::fs::read(&small).unwrap();
    let again = keel_gen::embed(&small_bytes, "small", &embedded, "keel").unwrap();
    assert_eq!(again.len(), fresh.len() + small_bytes.len());
    let again_path = t.path("again");
    std::fs::write(&again_path, &again).unwrap();
    std::fs::set_permissions(&again_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code(&run(&mut Command::new(&again_path))), 22);

    // strip rewrites the file from its sections: the config's section keeps it.
    let stripped = t.path("stripped");
    let strip = Command::new("strip")
        .arg(&again_path)
        .arg("-o")
        .arg(&stripped)
        .status()
        .expect("strip (binutils)");
    assert!(strip.success());
    assert_eq!(code(&run(&mut Command::new(&stripped))), 22);
    assert_eq!(keel_gen::elf::embedded(&fresh).unwrap(), None);
}

/// Runs `script` with /etc replaced by an empty tmpfs in a private mount namespace.
fn with_private_etc(script: &str, args: &[&Path]) -> Output {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"]);
    cmd.arg(format!("mount -t tmpfs keel-test /etc && {script}"))
        .arg("sh")
        .args(args);
    run(&mut cmd)
}

#[test]
fn etc_keel_cfg_is_read_when_nothing_else_is_given() {
    let t = Scratch::new("etc");
    let cfg = t.config("c", &exits_with(13));
    let out = with_private_etc(
        "cp \"$1\" /etc/keel.cfg && exec \"$2\"",
        &[&cfg, Path::new(KEEL)],
    );
    assert_eq!(code(&out), 13, "{}", stderr(&out));
    // An embedded config wins over /etc/keel.cfg.
    let embedded = t.config("e", &exits_with(14));
    let keel = t.embedded_keel("keel", &embedded);
    let out = with_private_etc("cp \"$1\" /etc/keel.cfg && exec \"$2\"", &[&cfg, &keel]);
    assert_eq!(code(&out), 14, "{}", stderr(&out));
}

#[test]
fn a_corrupt_config_is_refused_whole_before_anything_runs() {
    let t = Scratch::new("corrupt");
    let marker = t.path("ran");
    let cfg = t.config(
        "c",
        &format!(
            "[process]\nargs = [\"/bin/touch\", \"{}\"]\n[supervision]\ngrace = \"1s\"\n",
            marker.display()
        ),
    );
    let mut bytes = std::fs::read(&cfg).expect("read");
    // Break the last byte (in the supervision section, after a valid process section).
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&cfg, &bytes).expect("write");
    let out = run(Command::new(KEEL).arg("-c").arg(&cfg));
    assert_eq!(code(&out), 2, "{out:?}");
    let msg = stderr(&out);
    assert!(
        msg.starts_with(&format!("keel: config {}: offset ", cfg.display())),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1, "one line: {msg}");
    assert!(!marker.exists(), "the workload must not run");

    std::fs::write(&cfg, b"this is not a keel config").expect("write");
    let out = run(Command::new(KEEL).arg("-c").arg(&cfg).arg("true"));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with(&format!("keel: config {}: offset 0: ", cfg.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unsafe_config_files_are_refused() {
    let t = Scratch::new("unsafe");
    let cfg = t.config("c", &exits_with(0));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let out = run(Command::new(KEEL).arg("-c").arg(&cfg));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("group or others may write it"),
        "{}",
        stderr(&out)
    );

    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::os::unix::fs::chown(&cfg, Some(4242), None).expect("chown");
    let out = run(Command::new(KEEL).arg("-c").arg(&cfg));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("owned by another user"),
        "{}",
        stderr(&out)
    );

    let out = run(Command::new(KEEL).args(["-c", "/nonexistent/keel.cfg", "true"]));
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "keel: config /nonexistent/keel.cfg: open: ENOENT (No such file or directory)\n"
    );

    let out = run(Command::new(KEEL).args(["-c", "/tmp", "true"]));
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out), "keel: config /tmp: not a regular file\n");

    let big = t.path("big");
    std::fs::write(&big, vec![0u8; 70_000]).expect("write");
    let out = run(Command::new(KEEL).arg("-c").arg(&big).arg("true"));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("larger than 65536 bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_workload_gets_the_configured_environment_and_directory() {
    let t = Scratch::new("envcwd");
    let cfg = t.config(
        "c",
        "[process]\nargs = [\"/bin/sh\", \"-c\", \"echo $FOO/$BAR/${GONE-unset}/$PATH; pwd\"]\n\
         env = [\"FOO=set by config\", \"PATH=/bin:/usr/bin\"]\nenv_unset = [\"GONE\"]\ncwd = \"/usr\"\n",
    );
    let out = run(Command::new(KEEL)
        .arg("-c")
        .arg(&cfg)
        .env("BAR", "inherited")
        .env("GONE", "x")
        .env("FOO", "old"));
    assert_eq!(
        stdout(&out),
        "set by config/inherited/unset//bin:/usr/bin\n/usr\n",
        "{}",
        stderr(&out)
    );

    let cfg = t.config(
        "d",
        "[process]\nargs = [\"/usr/bin/env\"]\nenv = [\"ONLY=this\"]\nenv_clear = true\n",
    );
    let out = run(Command::new(KEEL)
        .arg("-c")
        .arg(&cfg)
        .env("BAR", "inherited"));
    assert_eq!(stdout(&out), "ONLY=this\n");

    let cfg = t.config(
        "e",
        "[process]\nargs = [\"/bin/true\"]\ncwd = \"/nonexistent\"\n",
    );
    let out = run(Command::new(KEEL).arg("-c").arg(&cfg));
    assert_eq!(code(&out), 125);
    assert_eq!(
        stderr(&out),
        "keel: cwd /nonexistent: ENOENT (No such file or directory)\n"
    );
}

#[test]
fn supervision_settings_come_from_the_config_and_flags_override_them() {
    let t = Scratch::new("supervision");
    let cfg = t.config(
        "c",
        "[process]\nargs = [\"/bin/sh\", \"-c\", \"kill $$\"]\n[supervision]\nremap_exit = [143]\nverbosity = 2\n",
    );
    let out = run(Command::new(KEEL).arg("-c").arg(&cfg));
    assert_eq!(code(&out), 0, "143 remapped");
    assert!(
        stderr(&out).contains("keel: info: Main child exited with signal (with signal 'SIGTERM')"),
        "{}",
        stderr(&out)
    );
    // -v on the command line beats the config's verbosity... and KEEL_VERBOSITY=0 too.
    let out = run(Command::new(KEEL)
        .arg("-c")
        .arg(&cfg)
        .env("KEEL_VERBOSITY", "0"));
    assert_eq!(stderr(&out), "");

    // A grace of 10 s in the config, 200 ms on the command line: the flag wins.
    let cfg = t.config(
        "d",
        "[process]\nargs = [\"/bin/sh\", \"-c\", \"sh -c 'trap \\\"\\\" TERM; sleep 5' & sleep 0.1\"]\n[supervision]\ngrace = \"10s\"\n",
    );
    let start = std::time::Instant::now();
    let out = run(Command::new(KEEL)
        .arg("--grace")
        .arg("200ms")
        .arg("-c")
        .arg(&cfg));
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(4),
        "took {:?}",
        start.elapsed()
    );

    // Exec mode from the config: keel is replaced by the program.
    let cfg = t.config(
        "e",
        "[process]\nargs = [\"/bin/sh\", \"-c\", \"echo $$\"]\n[supervision]\nmode = \"exec\"\n",
    );
    let child = Command::new(KEEL)
        .arg("-c")
        .arg(&cfg)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        stdout(&out),
        format!("{pid}\n"),
        "the program runs in keel's own process"
    );
}

/// A keel built without an optional part refuses a config that needs it, whole, before it
/// runs anything: one line naming the file, the offset and the part, exit 2. Run against
/// both builds: `cargo test -p keel`, and scripts/test.sh's minimal one
/// (`--no-default-features`), which lacks them all.
#[test]
fn a_config_needing_a_part_this_keel_lacks_is_refused_at_its_offset() {
    let t = Scratch::new("features");
    let marker = t.path("ran");
    let program = format!(
        "[process]\nargs = [\"/bin/sh\", \"-c\", \"touch {}\"]\n",
        marker.display()
    );
    let needing: [(&str, &str); 8] = [
        ("cgroup", "[cgroup]\nleaf = \"box\"\n"),
        ("namespaces", "[namespaces]\nunshare = [\"uts\"]\n"),
        ("mounts", "[mounts]\nmasked = [\"/proc/kcore\"]\n"),
        ("security", "[process.user]\numask = \"0022\"\n"),
        (
            "seccomp",
            "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n",
        ),
        ("landlock", "[landlock]\nhandled_fs = [\"all\"]\n"),
        ("seal", "[supervision]\nseal_exe = true\n"),
        (
            "services",
            "[[service]]\nname = \"db\"\nargs = [\"/bin/true\"]\n",
        ),
    ];
    let built = keel_gen::elf::features(&std::fs::read(KEEL).expect("read keel")).expect("record");
    let mut refused = 0;
    for (name, section) in needing {
        let (part, _) = keel_wire::Features::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .expect("a part");
        if built.contains(*part) {
            continue;
        }
        let cfg = t.config(name, &format!("{program}{section}"));
        let bytes = std::fs::read(&cfg).expect("read config");
        let offset = keel_wire::decode_for(&bytes, built).unwrap_err().offset;
        let out = run(Command::new(KEEL).arg("-c").arg(&cfg));
        assert_eq!(
            stderr(&out),
            format!(
                "keel: config {}: offset {offset}: this keel was built without {name}\n",
                cfg.display()
            )
        );
        assert_eq!(code(&out), 2, "{name}");
        assert!(!marker.exists(), "{name}: the program ran");
        refused += 1;
    }
    let missing = keel_wire::Features::NAMES
        .iter()
        .filter(|(part, name)| !built.contains(*part) && *name != "classic-mounts")
        .count();
    assert_eq!(refused, missing, "one case per part this keel lacks");
}

/// The record in the binary, which keel-gen reads, follows the cargo features keel was built
/// with (the minimal build and the full one differ in every part; two are checked here).
#[test]
fn the_binary_records_the_parts_it_was_built_with() {
    use keel_wire::Features;
    let binary = std::fs::read(KEEL).expect("read keel");
    let built = keel_gen::elf::features(&binary).expect("a record keel-gen reads");
    assert_eq!(built.contains(Features::MOUNTS), cfg!(feature = "mounts"));
    assert_eq!(built.contains(Features::SEAL), cfg!(feature = "seal"));
    let shown = keel_gen::keel_features(&binary, "keel").expect("shown");
    assert!(shown.starts_with("keel keel\nbuilt with: "), "{shown}");
}
