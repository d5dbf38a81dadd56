//! Runs the real keel-gen: examples build, `inspect` then `build` gives back the same bytes,
//! errors point at line:column, and `embed` writes configs into ELF files' .keelcfg section.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use keel::wire::{self, syntax};
use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use toml::{Table, Value};

const KEEL_GEN: &str = env!("CARGO_BIN_EXE_keel-gen");

struct Run {
    success: bool,
    stdout: Vec<u8>,
    stderr: String,
}

fn keel_gen(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(KEEL_GEN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keel-gen starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    // A panic would abort with a signal rather than exit 1.
    assert!(output.status.code().is_some(), "keel-gen died: {output:?}");
    Run {
        success: output.status.success(),
        stdout: output.stdout,
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs keel-gen and returns its stdout, failing on an error.
fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let run = keel_gen(args, stdin);
    assert!(run.success, "keel-gen {args:?} failed: {}", run.stderr);
    run.stdout
}

/// Runs keel-gen expecting a failure reported as one line, and returns that line.
fn error(args: &[&str], stdin: &[u8]) -> String {
    let run = keel_gen(args, stdin);
    assert!(!run.success, "keel-gen {args:?} succeeded");
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "not one line: {}",
        run.stderr
    );
    run.stderr.trim_end().to_owned()
}

/// A fresh directory for one test.
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "keel_gen-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn build(toml: &str) -> Vec<u8> {
    ok(&["build", "-", "-o", "-"], toml.as_bytes())
}

fn inspect(config: &[u8]) -> String {
    String::from_utf8(ok(&["inspect", "-"], config)).unwrap()
}

/// An ELF file with a `.keelcfg` section of `size` zeros, as a fresh keel has.
fn elf_with_config_section(size: usize) -> Vec<u8> {
    let mut object = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let section = object.add_section(Vec::new(), b".keelcfg".to_vec(), SectionKind::ReadOnlyData);
    object.append_section_data(section, &vec![0; size], 16);
    object.write().unwrap()
}

/// The `.keelcfg` section of an ELF file.
fn config_section(elf: &[u8]) -> Vec<u8> {
    use object::{Object as _, ObjectSection as _};
    let file = object::File::parse(elf).unwrap();
    file.section_by_name(".keelcfg")
        .unwrap()
        .data()
        .unwrap()
        .to_vec()
}

#[test]
fn every_example_builds_and_inspects_back_to_the_same_bytes() {
    let mut examples: Vec<_> = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    examples.sort();
    let names: Vec<_> = examples
        .iter()
        .map(|path| path.file_name().unwrap().to_str().unwrap())
        .collect();
    for required in [
        "benchexec.toml",
        "cgroup.toml",
        "exec.toml",
        "minimal.toml",
        "supervise.toml",
    ] {
        assert!(names.contains(&required), "examples/{required} is missing");
    }
    let dir = scratch();
    for example in &examples {
        let out = dir.join("keel.cfg");
        ok(&["build", path(example), "-o", path(&out)], b"");
        let bytes = fs::read(&out).unwrap();
        assert!(wire::decode(&bytes).is_ok(), "{example:?}");
        assert_eq!(build(&inspect(&bytes)), bytes, "{example:?}");
    }
}

#[test]
fn args_alone_are_a_complete_config() {
    let bytes = build("[process]\nargs = [\"/bin/sh\", \"-c\", \"exit 7\"]\n");
    let config = wire::decode(&bytes).unwrap();
    let args: Vec<_> = config.process.args.iter().collect();
    assert_eq!(args, [c"/bin/sh", c"-c", c"exit 7"]);
    assert_eq!(config.supervision, wire::Supervision::default());
    // So is an empty one: everything is left to keel's command line.
    let empty = build("");
    assert_eq!(empty.len(), wire::HEADER_LEN);
    assert_eq!(wire::decode(&empty), Ok(wire::Config::default()));
}

#[test]
fn values_are_written_the_canonical_way() {
    let toml = "[supervision]\ngrace = \"120s\"\nrewrite = [\"sigterm:3\", \"36:SIGRTMAX\", \"WINCH:0\"]\nparent_death_signal = \"9\"\n";
    let shown = inspect(&build(toml));
    let body: Vec<_> = shown.lines().skip(1).collect();
    assert_eq!(
        body,
        [
            "[supervision]",
            "grace = \"2m\"",
            "rewrite = [\"TERM:QUIT\", \"WINCH:0\", \"RTMIN+2:RTMIN+30\"]",
            "parent_death_signal = \"KILL\"",
        ]
    );
}

#[test]
fn errors_point_at_line_and_column() {
    let args_257 = format!("[process]\nargs = [{}]\n", vec!["\"x\""; 257].join(", "));
    let cases: Vec<(&str, &str)> = vec![
        ("[process\n", "1:9: unclosed table, expected `]`"),
        (
            "[process]\nargz = []\n",
            "2:1: unknown field `argz`, expected one of `args`, `env`, `env_clear`, `env_unset`, `cwd`",
        ),
        (
            "[process]\ncwd = \"srv\"\n",
            "2:7: cwd must be an absolute path, as in cwd = \"/srv\"",
        ),
        (
            "[process]\nargs = []\n",
            "2:8: args is empty: name the program, as in args = [\"/bin/app\"]",
        ),
        (
            "[process]\nargs = [\"\", \"x\"]\n",
            "2:9: the program (the first of args) is empty",
        ),
        (
            &args_257,
            "2:8: args has 257 entries; keel allows at most 256",
        ),
        (
            "[process]\nargs = [\"a\\u0000b\"]\n",
            "2:9: strings cannot contain NUL (\\u0000): keel passes them to the kernel as C strings",
        ),
        (
            "[process]\nenv = [\"A=1\",\n  \"B=2\", \"A=3\"]\n",
            "3:10: env sets A twice (first at line 2)",
        ),
        (
            "[process]\nenv = [\"A\"]\n",
            "2:8: env entries are \"KEY=VALUE\" with a non-empty KEY",
        ),
        (
            "[process]\nenv = [\"A=1\"]\nenv_unset = [\"A\"]\n",
            "3:14: A is both set by env and removed by env_unset: keep one",
        ),
        (
            "[process]\nenv_clear = true\nenv_unset = [\"A\"]\n",
            "2:13: env_clear = true leaves nothing for env_unset to remove: drop one of them",
        ),
        (
            "[supervision]\nmode = \"daemon\"\n",
            "2:8: unknown mode \"daemon\": use \"supervise\", \"exec\" or \"machine\"",
        ),
        (
            "[supervision]\nmode = \"exec\"\ngrace = \"5s\"\n",
            "3:9: grace needs keel to supervise, but mode = \"exec\" replaces keel with the program: remove grace or the mode",
        ),
        (
            "[supervision]\nremap_exit = [143, 256]\n",
            "2:20: exit codes are 0..=255",
        ),
        (
            "[supervision]\nremap_exit = [143, 143]\n",
            "2:20: remap_exit lists 143 twice (first at line 2)",
        ),
        (
            "[supervision]\ngrace = \"5 s\"\n",
            "2:9: durations are written \"250ms\", \"5s\" or \"1m\" (at most 49 days)",
        ),
        (
            "[supervision]\nrewrite = [\"TERM\"]\n",
            "2:12: rewrite entries are \"FROM:TO\" signals, as in \"TERM:QUIT\"; TO = 0 drops FROM",
        ),
        (
            "[supervision]\nrewrite = [\"KILL:TERM\"]\n",
            "2:12: SIGKILL and SIGSTOP cannot be caught, so keel never gets them to rewrite",
        ),
        (
            "[supervision]\nrewrite = [\"TERM:QUIT\", \"15:0\"]\n",
            "2:25: rewrite has two rules for TERM (first at line 2)",
        ),
        (
            "[supervision]\nverbosity = 256\n",
            "2:13: invalid value: integer `256`, expected u8",
        ),
        (
            "[supervision]\nparent_death_signal = \"KIL\"\n",
            "2:23: unknown signal \"KIL\": use a name such as \"KILL\" or \"SIGKILL\", 1..=64, or RTMIN+n",
        ),
        (
            "[cgroup]\npreset = \"slurm\"\n",
            "2:10: unknown preset \"slurm\": the only one is \"benchexec\"",
        ),
        (
            "[cgroup]\nowner = \"1000:1000\"\n",
            "2:9: owner at [cgroup] level goes with preset = \"benchexec\"; without it, give each [[cgroup.delegate]] its owner",
        ),
        (
            "[cgroup]\npreset = \"benchexec\"\nowner = \"1000\"\n",
            "3:9: owner is \"UID:GID\", two numbers, as in \"1000:1000\"",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"a\"\nowner = \"0:4294967295\"\n",
            "4:9: 4294967295 is -1, which chown takes as \"leave unchanged\": use a real id",
        ),
        (
            "[cgroup]\nleaf = \"/init\"\n",
            "2:8: leaf: cgroup path must be relative, without empty, . or .. components; cgroup paths are relative to keel's cgroup, as in \"benchexec\" or \"a/b\"",
        ),
        (
            "[cgroup]\nworkload = \"a/../b\"\n",
            "2:12: workload: cgroup path must be relative, without empty, . or .. components; cgroup paths are relative to keel's cgroup, as in \"benchexec\" or \"a/b\"",
        ),
        (
            "[cgroup]\nroot = \"sys/fs/cgroup\"\n",
            "2:8: root must be an absolute path, as in root = \"/sys/fs/cgroup\"",
        ),
        (
            "[cgroup]\ncontrollers = []\n",
            "2:15: controllers = [] would mean every available controller: leave controllers out for that",
        ),
        (
            "[cgroup]\ncontrollers = [\"cpu\", \"Memory\"]\n",
            "2:23: controller names are 1 to 64 of a-z, 0-9 and _, as in \"memory\"",
        ),
        (
            "[cgroup]\noptional = [\"io\", \"io\"]\n",
            "2:19: optional lists \"io\" twice (first at line 2)",
        ),
        (
            "[cgroup]\ncontrollers = [\"cpu\"]\noptional = [\"io\"]\n",
            "3:13: optional names \"io\", which controllers does not list: add it there, or remove it here",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"a\"\n[[cgroup.delegate]]\npath = \"a\"\n",
            "5:8: delegate \"a\" is listed twice (first at line 3)",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"init\"\n",
            "3:8: \"init\" is the leaf, which holds keel and the processes it found, and a cgroup with processes cannot enable controllers for its children (no-internal-process rule; EBUSY at run time): set enable_controllers = false, or delegate another cgroup",
        ),
        (
            "[cgroup]\npreset = \"benchexec\"\nworkload = \"benchexec\"\n",
            "3:12: the workload cannot start in \"benchexec\", which enables controllers for its children: the kernel refuses processes in such a cgroup (no-internal-process rule; EBUSY at run time). Set enable_controllers = false on that delegate, or start the workload in a child cgroup such as \"benchexec/workload\"",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"a/b\"\n[[cgroup.delegate]]\npath = \"a\"\n",
            "3:8: enabling controllers in \"a/b\" needs them enabled in \"a\" first: list a [[cgroup.delegate]] with path = \"a\" before this one, or set enable_controllers = false here",
        ),
        (
            "[cgroup]\n[cgroup.limits]\nx = { \"memory.max\" = \"1G\" }\n",
            "3:1: keel creates no cgroup \"x\": limits go on the leaf (\"init\"), a delegate or the workload",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"cgroup.procs\" = 1 }\n",
            "3:10: \"cgroup.procs\": limit file is one keel writes itself; limit files are PREFIX.NAME as in \"memory.max\", and keel writes cgroup.procs, cgroup.threads and cgroup.subtree_control itself",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"memory\" = 1 }\n",
            "3:10: \"memory\": limit file must be PREFIX.NAME, without /; limit files are PREFIX.NAME as in \"memory.max\", and keel writes cgroup.procs, cgroup.threads and cgroup.subtree_control itself",
        ),
        (
            "[cgroup]\nleaf = \"keel/init\"\n[cgroup.limits]\n\"keel/init\" = { \"cgroup.max.depth\" = 3, \"memory.max\" = \"1G\" }\n",
            "4:41: memory.max exists in \"keel/init\" only if \"keel\" enables the memory controller for its children: make \"keel\" a [[cgroup.delegate]] that enables controllers, or limit another cgroup",
        ),
        (
            "[cgroup]\ncontrollers = [\"cpu\"]\n[cgroup.limits]\ninit = { \"memory.max\" = \"1G\" }\n",
            "4:10: memory.max needs the memory controller, which controllers does not list: add \"memory\" to it",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"memory.max\" = \"\" }\n",
            "3:25: limit value is empty, as in \"1G\" or \"max\"",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"memory.max\" = 1.5 }\n",
            "3:25: limit values are strings or integers, as in \"1G\", \"max\" or 512",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"pids.max\" = 1 }\n[cgroup.limits.init]\n\"pids.max\" = 2\n",
            "4:16: duplicate key",
        ),
    ];
    let dir = scratch();
    let file = dir.join("keel.toml");
    for (toml, expected) in cases {
        fs::write(&file, toml).unwrap();
        let line = error(
            &["build", path(&file), "-o", path(&dir.join("out.cfg"))],
            b"",
        );
        assert_eq!(
            line,
            format!("keel-gen: {}:{expected}", path(&file)),
            "{toml}"
        );
    }
    assert!(
        !dir.join("out.cfg").exists(),
        "a failed build wrote its output"
    );
    // Errors in stdin name it.
    assert!(
        error(&["build", "-", "-o", "-"], b"[x]")
            .starts_with("keel-gen: <stdin>:1:2: unknown field `x`")
    );
}

/// The cgroup section of the config `toml` builds to.
fn cgroup_of(toml: &str) -> String {
    let bytes = build(toml);
    let config = wire::decode(&bytes).unwrap();
    format!("{:?}", config.cgroup)
}

#[test]
fn an_empty_cgroup_table_sets_up_every_default() {
    let bytes = build("[cgroup]\n");
    assert_eq!(
        wire::decode(&bytes).unwrap().cgroup,
        Some(wire::Cgroup::default())
    );
    assert_eq!(
        inspect(&bytes).lines().skip(1).collect::<Vec<_>>(),
        ["[cgroup]"]
    );
    // Without the table, keel touches no cgroup.
    assert_eq!(wire::decode(&build("")).unwrap().cgroup, None);
}

#[test]
fn the_benchexec_preset_is_what_init_sh_does() {
    assert_eq!(
        cgroup_of("[cgroup]\npreset = \"benchexec\"\n"),
        cgroup_of("[cgroup]\nleaf = \"init\"\n[[cgroup.delegate]]\npath = \"benchexec\"\n")
    );
    let bytes = build("[cgroup]\npreset = \"benchexec\"\n");
    let cgroup = wire::decode(&bytes).unwrap().cgroup.unwrap();
    assert_eq!(cgroup.leaf, Some(c"init"));
    assert_eq!(cgroup.workload, None);
    assert!(cgroup.controllers.is_empty());
    let delegates: Vec<_> = cgroup.delegates.iter().collect();
    assert_eq!(
        delegates,
        [wire::Delegate {
            path: c"benchexec",
            owner: None,
            enable_controllers: true
        }]
    );
    // With an owner: BenchExec starts in its chowned cgroup, which cannot enable controllers.
    assert_eq!(
        cgroup_of("[cgroup]\npreset = \"benchexec\"\nowner = \"1000:100\"\n"),
        cgroup_of(
            "[cgroup]\nleaf = \"init\"\nworkload = \"benchexec\"\n[[cgroup.delegate]]\npath = \"benchexec\"\nowner = \"1000:100\"\nenable_controllers = false\n"
        )
    );
    // Explicit fields override the preset's or add to them.
    let toml = "[cgroup]\npreset = \"benchexec\"\nleaf = \"keel\"\ncontrollers = [\"memory\"]\n[[cgroup.delegate]]\npath = \"extra\"\n[[cgroup.delegate]]\npath = \"benchexec\"\nowner = \"1:1\"\nenable_controllers = false\n[cgroup.limits]\nbenchexec = { \"memory.max\" = \"8G\" }\n";
    let expanded = "[cgroup]\nleaf = \"keel\"\ncontrollers = [\"memory\"]\n[[cgroup.delegate]]\npath = \"extra\"\n[[cgroup.delegate]]\npath = \"benchexec\"\nowner = \"1:1\"\nenable_controllers = false\n[cgroup.limits]\nbenchexec = { \"memory.max\" = \"8G\" }\n";
    assert_eq!(cgroup_of(toml), cgroup_of(expanded));
    // inspect shows the expanded fields, no preset.
    let shown = inspect(&build(toml));
    assert!(!shown.contains("preset"), "{shown}");
    assert_eq!(build(&shown), build(expanded));
}

#[test]
fn limits_keep_their_order_and_integers_are_decimal() {
    let toml = "[cgroup]\n[[cgroup.delegate]]\npath = \"b\"\n[[cgroup.delegate]]\npath = \"a\"\n[cgroup.limits]\nb = { \"pids.max\" = 512, \"memory.max\" = \"1G\" }\ninit = { \"cpu.weight\" = 50 }\na = { \"memory.high\" = -1 }\n";
    let bytes = build(toml);
    let cgroup = wire::decode(&bytes).unwrap().cgroup.unwrap();
    let limits: Vec<_> = cgroup
        .limits
        .iter()
        .map(|l| (l.cgroup, l.file, l.value))
        .collect();
    assert_eq!(
        limits,
        [
            (c"b", c"pids.max", c"512"),
            (c"b", c"memory.max", c"1G"),
            (c"init", c"cpu.weight", c"50"),
            (c"a", c"memory.high", c"-1"),
        ]
    );
    assert_eq!(build(&inspect(&bytes)), bytes);
}

#[test]
fn inspect_refuses_limits_toml_cannot_show() {
    let encode = |limits: &[wire::Limit<'_>]| {
        let mut records = Vec::new();
        for limit in limits {
            wire::Record::write(limit, |piece| records.extend_from_slice(piece));
        }
        let config = wire::Config {
            cgroup: Some(wire::Cgroup {
                limits: wire::List::from_bytes_with_nul(&records).unwrap(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut buf = vec![0; 256];
        let len = wire::encode(&config, &mut buf).unwrap();
        buf.truncate(len);
        buf
    };
    let limit = |cgroup, file| wire::Limit {
        cgroup,
        file,
        value: c"1",
    };
    let apart = encode(&[
        limit(c"a", c"pids.max"),
        limit(c"b", c"pids.max"),
        limit(c"a", c"memory.max"),
    ]);
    assert_eq!(
        error(&["inspect", "-"], &apart),
        "keel-gen: <stdin>: the limits on a are not together: TOML cannot show their order"
    );
    let twice = encode(&[limit(c"a", c"pids.max"), limit(c"a", c"pids.max")]);
    assert_eq!(
        error(&["inspect", "-"], &twice),
        "keel-gen: <stdin>: two limits write a/pids.max: TOML cannot show it"
    );
}

#[test]
fn bad_files_give_one_error_line() {
    let dir = scratch();
    let missing = dir.join("missing.cfg");
    assert!(
        error(&["inspect", path(&missing)], b"")
            .starts_with(&format!("keel-gen: {}: ", path(&missing)))
    );
    assert_eq!(
        error(&["inspect", "-"], b"garbage, not a config"),
        "keel-gen: <stdin>: offset 0: not a keel config (no KEEL magic)"
    );
    let config = build("[process]\nargs = [\"/bin/true\"]\n");
    assert_eq!(
        error(&["inspect", "-"], &config[..config.len() - 1]),
        format!("keel-gen: <stdin>: offset {}: truncated", config.len() - 1)
    );
    assert_eq!(
        error(&["build", "-", "-o", "-"], b"\xff"),
        "keel-gen: <stdin>: not UTF-8 text"
    );
    // A config whose strings are not UTF-8 cannot be shown as TOML.
    let args = wire::Strings::from_bytes_with_nul(b"/bin/\xff\0").unwrap();
    let mut buf = [0; 64];
    let config = wire::Config {
        process: wire::Process {
            args,
            ..Default::default()
        },
        ..Default::default()
    };
    let len = wire::encode(&config, &mut buf).unwrap();
    assert_eq!(
        error(&["inspect", "-"], &buf[..len]),
        "keel-gen: <stdin>: args holds \"/bin/\\xff\", which is not UTF-8: TOML cannot show it"
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["build", "--help"],
        &["inspect", "--help"],
        &["embed", "--help"],
    ] {
        let help = String::from_utf8(ok(args, b"")).unwrap();
        assert!(help.contains("Usage: keel-gen"), "{args:?}: {help}");
    }
    assert!(!keel_gen(&["build"], b"").success);
    assert!(!keel_gen(&["frobnicate"], b"").success);
}

#[test]
fn embed_writes_the_config_into_the_keelcfg_section() {
    let dir = scratch();
    let keel = dir.join("keel");
    let out = dir.join("out/keel");
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    fs::write(&keel, elf_with_config_section(4096)).unwrap();
    assert_eq!(
        error(&["inspect", path(&keel)], b""),
        format!(
            "keel-gen: {}: no config embedded (its .keelcfg section is all zeros); add one with keel-gen embed",
            path(&keel)
        )
    );

    let big = dir.join("big.cfg");
    let small = dir.join("small.cfg");
    fs::write(
        &big,
        build(
            &fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/supervise.toml"
            ))
            .unwrap(),
        ),
    )
    .unwrap();
    fs::write(&small, build("[process]\nargs = [\"/bin/true\"]\n")).unwrap();
    let embed = |config: &Path, keel: &Path| {
        ok(
            &[
                "embed",
                "--config",
                path(config),
                "--keel",
                path(keel),
                "-o",
                path(&out),
            ],
            b"",
        )
    };

    embed(&big, &keel);
    let section = config_section(&fs::read(&out).unwrap());
    let big_bytes = fs::read(&big).unwrap();
    assert_eq!(section.len(), 4096);
    assert_eq!(section[..big_bytes.len()], big_bytes);
    assert!(section[big_bytes.len()..].iter().all(|&b| b == 0));
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let shown = String::from_utf8(ok(&["inspect", path(&out)], b"")).unwrap();
    assert_eq!(
        shown.lines().skip(1).collect::<Vec<_>>(),
        inspect(&big_bytes).lines().skip(1).collect::<Vec<_>>()
    );
    assert_eq!(
        shown.lines().next().unwrap(),
        format!(
            "# keel config decoded from the .keelcfg section of {}",
            path(&out)
        )
    );

    // Embedding into a binary that has a config replaces it, leaving no trace of the old one.
    let copy = dir.join("embedded-once");
    fs::copy(&out, &copy).unwrap();
    embed(&small, &copy);
    let section = config_section(&fs::read(&out).unwrap());
    let small_bytes = fs::read(&small).unwrap();
    assert_eq!(section[..small_bytes.len()], small_bytes);
    assert!(section[small_bytes.len()..].iter().all(|&b| b == 0));
    // Only the section changed.
    let (fresh, embedded) = (fs::read(&keel).unwrap(), fs::read(&out).unwrap());
    assert_eq!(fresh.len(), embedded.len());
    assert_eq!(
        fresh.iter().zip(&embedded).filter(|(a, b)| a != b).count(),
        small_bytes.iter().filter(|&&b| b != 0).count()
    );

    // A config larger than the section is refused, naming both sizes.
    let tiny = dir.join("tiny-keel");
    fs::write(&tiny, elf_with_config_section(64)).unwrap();
    assert_eq!(
        error(
            &[
                "embed",
                "--config",
                path(&big),
                "--keel",
                path(&tiny),
                "-o",
                path(&out)
            ],
            b""
        ),
        format!(
            "keel-gen: {}: the config is {} bytes but the .keelcfg section holds only 64 bytes: shorten the config",
            path(&tiny),
            big_bytes.len()
        )
    );
    // Neither an invalid config nor a binary without the section is accepted.
    assert!(
        error(
            &[
                "embed",
                "--config",
                path(&keel),
                "--keel",
                path(&keel),
                "-o",
                path(&out)
            ],
            b""
        )
        .contains("not a valid keel config: offset 0: not a keel config (no KEEL magic)")
    );
    let plain = dir.join("plain");
    let mut object = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    object.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    fs::write(&plain, object.write().unwrap()).unwrap();
    assert_eq!(
        error(
            &[
                "embed",
                "--config",
                path(&small),
                "--keel",
                path(&plain),
                "-o",
                path(&out)
            ],
            b""
        ),
        format!(
            "keel-gen: {}: no .keelcfg section: is this a keel binary?",
            path(&plain)
        )
    );
}

#[test]
fn embed_into_the_real_keel() {
    let dir = scratch();
    let config = dir.join("keel.cfg");
    let out = dir.join("keel");
    fs::write(
        &config,
        build("[process]\nargs = [\"/bin/sh\", \"-c\", \"exit 7\"]\n"),
    )
    .unwrap();
    let keel = env!("CARGO_BIN_EXE_keel");
    ok(
        &[
            "embed",
            "--config",
            path(&config),
            "--keel",
            keel,
            "-o",
            path(&out),
        ],
        b"",
    );
    let section = config_section(&fs::read(&out).unwrap());
    assert_eq!(
        wire::decode(&section),
        wire::decode(&fs::read(&config).unwrap())
    );
}

/// A signal spelled one of the ways users write it.
fn spelled_signal(signal: u8, spelling: u8) -> String {
    let name = match syntax::signal_name(signal) {
        Some(name) => name.to_owned(),
        None if signal >= syntax::RTMIN => format!("RTMIN+{}", signal - syntax::RTMIN),
        None => return signal.to_string(),
    };
    match spelling % 3 {
        0 => signal.to_string(),
        1 => format!("SIG{name}"),
        _ => name.to_lowercase(),
    }
}

fn signal() -> impl Strategy<Value = String> {
    (1..=wire::MAX_SIGNAL, any::<u8>())
        .prop_map(|(signal, spelling)| spelled_signal(signal, spelling))
}

fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,8}"
}

prop_compose! {
    /// A `[process]` table keel-gen accepts.
    fn process()(
        program in "[^\u{0}]{1,8}",
        args in vec(text(), 0..4),
        env in btree_map("[A-Z_][A-Z0-9_]{0,5}", text(), 0..4),
        env_unset in btree_set("U_[A-Z0-9_]{0,5}", 0..3),
        env_clear in any::<bool>(),
        cwd in proptest::option::of(text()),
    ) -> Table {
        let mut table = Table::new();
        table.insert("args".into(), strings([program].into_iter().chain(args).collect()));
        table.insert("env".into(), strings(env.into_iter().map(|(key, value)| format!("{key}={value}")).collect()));
        if env_unset.is_empty() {
            table.insert("env_clear".into(), Value::Boolean(env_clear));
        } else {
            table.insert("env_unset".into(), strings(env_unset.into_iter().collect()));
        }
        if let Some(cwd) = cwd {
            table.insert("cwd".into(), Value::String(format!("/{cwd}")));
        }
        table
    }
}

prop_compose! {
    /// A `[supervision]` table keel-gen accepts.
    fn supervision()(
        mode in proptest::option::of(prop_oneof![Just("supervise"), Just("exec"), Just("machine")]),
        subreaper in any::<Option<bool>>(),
        kill_process_group in any::<Option<bool>>(),
        remap_exit in btree_set(any::<u8>(), 0..4),
        grace in proptest::option::of((any::<u32>(), prop_oneof![Just(("ms", 1)), Just(("s", 1000)), Just(("m", 60_000))])),
        rewrite in btree_map((1..=wire::MAX_SIGNAL).prop_filter("catchable", |s| ![9, 19].contains(s)), 0..=wire::MAX_SIGNAL, 0..4),
        spellings in vec(any::<u8>(), 8),
        verbosity in any::<Option<u8>>(),
        warn_on_reap in any::<Option<bool>>(),
        parent_death_signal in proptest::option::of(signal()),
    ) -> Table {
        let mut table = Table::new();
        let supervises = mode != Some("exec");
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                table.insert(key.into(), value);
            }
        };
        set("mode", mode.map(|mode| Value::String(mode.into())));
        set("subreaper", subreaper.map(Value::Boolean));
        set("verbosity", verbosity.map(|v| Value::Integer(v.into())));
        set("parent_death_signal", parent_death_signal.map(Value::String));
        if supervises {
            set("kill_process_group", kill_process_group.map(Value::Boolean));
            set("remap_exit", Some(Value::Array(remap_exit.into_iter().map(|c| Value::Integer(c.into())).collect())));
            set("grace", grace.map(|(n, (unit, ms))| Value::String(format!("{}{unit}", n / ms))));
            let rules = rewrite.into_iter().zip(spellings.iter().cycle()).map(|((from, to), &spelling)| {
                let to = if to == 0 { "0".to_owned() } else { spelled_signal(to, spelling / 3) };
                format!("{}:{to}", spelled_signal(from, spelling))
            });
            set("rewrite", Some(strings(rules.collect())));
            set("warn_on_reap", warn_on_reap.map(Value::Boolean));
        }
        table
    }
}

const CONTROLLERS: [&str; 6] = ["cpu", "memory", "pids", "io", "cpuset", "hugetlb"];
const LIMIT_FILES: [&str; 5] = [
    "memory.max",
    "pids.max",
    "cpu.weight",
    "cgroup.max.depth",
    "hugetlb.2MB.max",
];

fn owner() -> impl Strategy<Value = String> {
    (0..70_000u32, 0..70_000u32).prop_map(|(uid, gid)| format!("{uid}:{gid}"))
}

/// A top-level delegate (never the leaf), its owner, whether it enables controllers (`None`:
/// the default), and whether it has a child delegate that does.
type DelegateChoice = (&'static str, Option<String>, Option<bool>, Option<bool>);

prop_compose! {
    /// A `[cgroup]` table keel-gen accepts: only cgroups that fit together.
    fn cgroup()(
        // None: no preset; Some(None): the preset; Some(Some(owner)): its non-root form.
        preset in proptest::option::of(proptest::option::of(owner())),
        root in proptest::option::of("/[a-z]{1,6}(/[a-z]{1,6}){0,2}"),
        mount in any::<Option<bool>>(),
        leaf in proptest::option::of(prop_oneof![Just("init"), Just("keel"), Just("keel/init")]),
        controllers in proptest::option::of(proptest::sample::subsequence(CONTROLLERS.to_vec(), 1..=CONTROLLERS.len())),
        optional in proptest::sample::subsequence(CONTROLLERS.to_vec(), 0..3),
        delegates in btree_map(
            prop_oneof![Just("jobs"), Just("batch"), Just("work")],
            (proptest::option::of(owner()), any::<Option<bool>>(), any::<Option<bool>>()),
            0..3,
        ),
        workload in any::<prop::sample::Index>(),
        limits in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop_oneof![
            Just(Value::String("max".into())),
            "[1-9][0-9]{0,3}[KMG]?".prop_map(Value::String),
            (0..100_000i64).prop_map(Value::Integer),
        ]), 0..5),
    ) -> Table {
        let mut table = Table::new();
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                table.insert(key.into(), value);
            }
        };
        let text = |s: &str| Value::String(s.into());
        set("preset", preset.as_ref().map(|_| text("benchexec")));
        set("owner", preset.clone().flatten().map(Value::String));
        set("root", root.map(Value::String));
        set("mount", mount.map(Value::Boolean));
        set("leaf", leaf.map(text));
        let optional: Vec<&str> = match &controllers {
            Some(listed) => optional.into_iter().filter(|c| listed.contains(c)).collect(),
            None => optional,
        };
        set("controllers", controllers.clone().map(|c| strings(c.into_iter().map(String::from).collect())));
        set("optional", Some(strings(optional.into_iter().map(String::from).collect())));

        // The cgroups keel creates, and whether each enables controllers.
        let leaf = leaf.or(preset.as_ref().map(|_| "init")).unwrap_or("init");
        let mut created: Vec<(String, bool)> = vec![(leaf.to_owned(), false)];
        if let Some(owner) = &preset {
            created.push(("benchexec".to_owned(), owner.is_none()));
        }
        let mut tables = Vec::new();
        let choices: Vec<DelegateChoice> = delegates.into_iter().map(|(path, (owner, enable, child))| (path, owner, enable, child)).collect();
        for (path, owner, enable, child) in choices {
            let mut delegate = Table::new();
            delegate.insert("path".into(), text(path));
            if let Some(owner) = owner {
                delegate.insert("owner".into(), Value::String(owner));
            }
            if let Some(enable) = enable {
                delegate.insert("enable_controllers".into(), Value::Boolean(enable));
            }
            let enables = enable.unwrap_or(true);
            created.push((path.to_owned(), enables));
            tables.push(Value::Table(delegate));
            if let Some(child_enables) = child {
                // Only a parent that enables controllers can have a child that does.
                let child_enables = child_enables && enables;
                let mut delegate = Table::new();
                delegate.insert("path".into(), Value::String(format!("{path}/sub")));
                delegate.insert("enable_controllers".into(), Value::Boolean(child_enables));
                created.push((format!("{path}/sub"), child_enables));
                tables.push(Value::Table(delegate));
            }
        }
        set("delegate", Some(Value::Array(tables)));
        // The workload: a created cgroup that does not enable controllers, or a new child of
        // one that does; or the default.
        let mut places: Vec<Option<String>> = vec![None];
        for (path, enables) in &created {
            places.push(Some(if *enables { format!("{path}/run") } else { path.clone() }));
        }
        let workload = workload.get(&places).clone();
        if let Some(workload) = &workload {
            created.push((workload.clone(), false));
        }
        set("workload", workload.map(Value::String));
        let mut by_cgroup = Table::new();
        for (cgroup, file, value) in limits {
            let (cgroup, _) = cgroup.get(&created);
            let file = file.get(&LIMIT_FILES);
            // A controller's file exists only where the parent enables the controller: keel's
            // cgroup does, with the listed controllers; a delegate may.
            let (controller, _) = file.split_once('.').unwrap();
            let parent_enables = match cgroup.rsplit_once('/') {
                Some((parent, _)) => created.iter().any(|(path, enables)| path == parent && *enables),
                None => true,
            };
            let listed = controllers.as_ref().is_none_or(|listed| listed.contains(&controller));
            if controller != "cgroup" && !(parent_enables && listed) {
                continue;
            }
            let files = by_cgroup.entry(cgroup.clone()).or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(files) = files {
                files.insert((*file).to_owned(), value);
            }
        }
        set("limits", Some(Value::Table(by_cgroup)));
        table
    }
}

fn document() -> impl Strategy<Value = String> {
    (
        proptest::option::of(process()),
        proptest::option::of(supervision()),
        proptest::option::of(cgroup()),
    )
        .prop_map(|(process, supervision, cgroup)| {
            let mut document = Table::new();
            if let Some(process) = process {
                document.insert("process".into(), Value::Table(process));
            }
            if let Some(supervision) = supervision {
                document.insert("supervision".into(), Value::Table(supervision));
            }
            if let Some(cgroup) = cgroup {
                document.insert("cgroup".into(), Value::Table(cgroup));
            }
            toml::to_string(&document).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn inspect_then_build_gives_back_the_same_bytes(document in document()) {
        let bytes = build(&document);
        let shown = inspect(&bytes);
        prop_assert_eq!(build(&shown), bytes, "{}\nshown as\n{}", document, shown);
    }
}
