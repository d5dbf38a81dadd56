//! keel-gen's subcommands end to end: build, inspect and embed on examples, canonical output, ELF files.

mod common;

use common::*;
use std::fs;
use std::path::Path;

use keel_wire as wire;
use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};

#[test]
fn every_example_builds_and_inspects_back_to_the_same_bytes() {
    let mut examples: Vec<_> = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
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
        "landlock.toml",
        "minimal.toml",
        "mounts.toml",
        "namespaces.toml",
        "sandbox.toml",
        "seccomp.toml",
        "security.toml",
        "services.toml",
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
fn security_settings_are_written_the_canonical_way() {
    let toml = "[process.user]\numask = 0o27\n[process.capabilities]\npermitted = [\"cap_kill\", \"CHOWN\"]\n[[process.rlimits]]\ntype = \"nofile\"\nsoft = 1\nhard = \"unlimited\"\n";
    let bytes = build(toml);
    let process = wire::decode(&bytes).unwrap().process;
    assert_eq!(process.user, None);
    assert_eq!(process.umask, Some(0o27));
    assert_eq!(
        process.capabilities,
        Some(wire::Capabilities {
            permitted: 1 << 5 | 1,
            ..wire::Capabilities::default()
        })
    );
    let rlimits: Vec<_> = process.rlimits.iter().collect();
    assert_eq!(
        rlimits,
        [wire::Rlimit {
            resource: 7,
            soft: 1,
            hard: u64::MAX
        }]
    );
    let shown = inspect(&bytes);
    let body: Vec<_> = shown.lines().skip(1).collect();
    assert_eq!(
        body,
        [
            "[process.user]",
            "umask = \"0027\"",
            "",
            "[process.capabilities]",
            "bounding = []",
            "effective = []",
            "permitted = [\"CAP_CHOWN\", \"CAP_KILL\"]",
            "inheritable = []",
            "ambient = []",
            "",
            "[[process.rlimits]]",
            "type = \"RLIMIT_NOFILE\"",
            "soft = 1",
            "hard = \"unlimited\"",
        ]
    );
    // OCI's umask is a number: decimal 18 is 0o022. An empty table drops every capability.
    let bytes = build("[process.user]\numask = 18\n[process.capabilities]\n");
    let process = wire::decode(&bytes).unwrap().process;
    assert_eq!(process.umask, Some(0o22));
    assert_eq!(process.capabilities, Some(wire::Capabilities::default()));
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
fn empty_namespaces_and_mounts_tables_are_present() {
    for (toml, namespaces, mounts) in [
        ("[namespaces]\n", Some(wire::Namespaces::default()), None),
        ("[mounts]\n", None, Some(wire::Mounts::default())),
    ] {
        let bytes = build(toml);
        let config = wire::decode(&bytes).unwrap();
        assert_eq!((config.namespaces, config.mounts), (namespaces, mounts));
        assert_eq!(inspect(&bytes).lines().nth(1), toml.lines().next());
    }
    // `mount = []` is no mount, but mounts all the same; without the tables, nothing.
    assert_eq!(
        wire::decode(&build("mount = []\n")).unwrap().mounts,
        Some(wire::Mounts::default())
    );
    let empty = build("");
    let none = wire::decode(&empty).unwrap();
    assert_eq!((none.namespaces, none.mounts), (None, None));
}

#[test]
fn mounts_without_namespaces_get_a_mount_namespace_from_keel() {
    let toml = "[[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n";
    let bytes = build(toml);
    let config = wire::decode(&bytes).unwrap();
    assert_eq!(config.namespaces, None);
    let mounts: Vec<_> = config.mounts.unwrap().entries.iter().collect();
    assert_eq!(mounts.len(), 1);
    assert_eq!(
        (mounts[0].kind, mounts[0].target),
        (wire::MountKind::Proc, c"/proc")
    );
    // A proc without a pid namespace is allowed (it shows the host's processes).
    let with = format!("[namespaces]\nunshare = [\"mount\"]\n{toml}");
    assert!(wire::decode(&build(&with)).unwrap().namespaces.is_some());
}

#[test]
fn namespaces_and_mount_options_are_written_the_canonical_way() {
    let toml = "[namespaces]\nunshare = [\"user\", \"network\", \"mount\"]\nsetgroups = \"allow\"\n\
        [[mount]]\ndestination = \"/a\"\ntype = \"bind\"\nsource = \"/s\"\noptions = [\"nosuid\", \"bind\", \"relatime\", \"ro\"]\n\
        [[mount]]\ndestination = \"/b\"\ntype = \"bind\"\nsource = \"/s\"\noptions = [\"nodev\", \"rbind\"]\n\
        [[mount]]\ndestination = \"/c\"\ntype = \"tmpfs\"\noptions = [\"size=1m\", \"noatime\", \"mode=0755\", \"noexec\"]\n";
    let bytes = build(toml);
    let shown = inspect(&bytes);
    let body: Vec<_> = shown.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(
        body,
        [
            "[namespaces]",
            "unshare = [\"mount\", \"net\", \"user\"]",
            "[[mount]]",
            "destination = \"/a\"",
            "type = \"bind\"",
            "source = \"/s\"",
            "options = [\"ro\", \"nosuid\"]",
            "[[mount]]",
            "destination = \"/b\"",
            "type = \"bind\"",
            "source = \"/s\"",
            "options = [\"rbind\", \"nodev\"]",
            "[[mount]]",
            "destination = \"/c\"",
            "type = \"tmpfs\"",
            "options = [\"noexec\", \"noatime\", \"size=1m\", \"mode=0755\"]",
        ]
    );
    assert_eq!(build(&shown), bytes);
    let mounts = wire::decode(&bytes).unwrap().mounts.unwrap();
    let c = mounts.entries.iter().nth(2).unwrap();
    assert_eq!(c.attrs, wire::Mount::NOEXEC | wire::Mount::NOATIME);
    assert!(c.options.iter().eq([c"size=1m", c"mode=0755"]));
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
        &["schema", "--help"],
        &["man", "--help"],
        &["completions", "--help"],
    ] {
        let help = String::from_utf8(ok(args, b"")).unwrap();
        assert!(help.contains("Usage: keel-gen"), "{args:?}: {help}");
    }
    assert_ne!(keel_gen(&["build"], b"").code, Some(0));
    assert_ne!(keel_gen(&["frobnicate"], b"").code, Some(0));
}

/// Embedding into the real keel (appended, mapped, surviving strip) is tested with it, in
/// crates/keel/tests/config.rs; here, what embed refuses before it writes anything.
#[test]
fn embed_refuses_what_is_not_a_keel_config_or_not_a_keel() {
    let dir = scratch();
    let keel = dir.join("keel");
    let out = dir.join("out/keel");
    fs::write(&keel, elf_built_with(wire::Features::ALL)).unwrap();
    let small = dir.join("small.cfg");
    fs::write(&small, build("[process]\nargs = [\"/bin/true\"]\n")).unwrap();
    let embed = |config: &Path, keel: &Path| {
        error(
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
    assert!(
        embed(&keel, &keel)
            .contains("not a valid keel config: offset 0: not a keel config (no KEEL magic)")
    );
    let plain = dir.join("plain");
    let mut object = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    object.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    fs::write(&plain, object.write().unwrap()).unwrap();
    assert_eq!(
        embed(&small, &plain),
        format!(
            "keel-gen: {}: no .note.keel section: a keel from before its parts were cargo features, or not a keel: rebuild it",
            path(&plain)
        )
    );
    // The note alone is not enough: the record and the program headers are what keel reads.
    assert_eq!(
        embed(&small, &keel),
        format!(
            "keel-gen: {}: no .keelcfg section: is this a keel binary?",
            path(&keel)
        )
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn inspect_keel_shows_the_parts_and_embed_refuses_a_config_needing_a_missing_one() {
    let dir = scratch();
    let full = dir.join("full");
    fs::write(&full, elf_built_with(wire::Features::ALL)).unwrap();
    let shown = text(&ok(&["inspect", "--keel", path(&full)], b""));
    assert_eq!(
        shown,
        format!(
            "keel {}\nbuilt with: cgroup namespaces mounts classic-mounts security seccomp landlock seal services\nwithout: (none)\n",
            path(&full)
        )
    );
    let minimal = dir.join("minimal");
    let without_mounts = wire::Features::ALL.with(wire::Features::MOUNTS, false);
    fs::write(&minimal, elf_built_with(without_mounts)).unwrap();
    let shown = text(&ok(&["inspect", "--keel", path(&minimal)], b""));
    assert!(shown.ends_with("\nwithout: mounts\n"), "{shown}");

    let mounts = dir.join("mounts.cfg");
    fs::write(
        &mounts,
        build("[process]\nargs = [\"/bin/true\"]\n[mounts]\nmasked = [\"/proc/kcore\"]\n"),
    )
    .unwrap();
    let out = dir.join("embedded");
    let offset = wire::decode_for(&fs::read(&mounts).unwrap(), without_mounts)
        .unwrap_err()
        .offset;
    let embed = |keel: &Path| {
        [
            "embed",
            "--config",
            path(&mounts),
            "--keel",
            path(keel),
            "-o",
            path(&out),
        ]
        .map(str::to_owned)
    };
    let args = embed(&minimal);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        error(&args, b""),
        format!(
            "keel-gen: {}: offset {offset}: this keel was built without mounts ({}): build keel with that feature, or leave it out of the config",
            path(&mounts),
            path(&minimal)
        )
    );
    assert!(!out.exists(), "nothing written");
}

/// `groff -k -man -Tutf8 page` as text (-k: preconv, as man runs it), failing the test when
/// groff fails or warns.
fn rendered(page: &Path) -> String {
    let output = std::process::Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww"])
        .arg(page)
        .output()
        .expect("groff runs (apt-get install groff-base)");
    let stderr = text(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "{page:?}: {stderr}"
    );
    // groff overstrikes bold and underlines with backspaces on a terminal device.
    let out = text(&output.stdout);
    let mut plain = String::new();
    for c in out.chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    plain
}

#[test]
fn man_writes_pages_that_render_with_their_options() {
    let dir = scratch().join("man");
    ok(&["man", path(&dir)], b"");
    let mut pages: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let subcommands = [
        "build",
        "completions",
        "embed",
        "from-oci",
        "inspect",
        "man",
        "schema",
    ];
    let mut expected: Vec<String> = subcommands
        .iter()
        .map(|name| format!("keel-gen-{name}.1"))
        .collect();
    expected.extend(["keel-gen.1", "keel.1", "keel.toml.5"].map(str::to_owned));
    expected.sort();
    assert_eq!(pages, expected);
    let mut checked = 0;
    for (page, wants) in [
        (
            "keel.1",
            &[
                "--config FILE",
                "--grace DURATION",
                "KEEL_CONFIG",
                "EXIT STATUS",
            ][..],
        ),
        ("keel-gen.1", &["keel-gen-build(1)", "--version"]),
        ("keel-gen-build.1", &["--output", "<INPUT>"]),
        ("keel-gen-from-oci.1", &["--strict", "--binary"]),
        (
            "keel.toml.5",
            &[
                "[process]",
                "[[process.rlimits]]",
                "[[mount]]",
                "[cgroup.delegate]",
                "parent_death_signal",
                "mode (one of: supervise, exec, machine)",
            ],
        ),
    ] {
        let text = rendered(&dir.join(page));
        for want in wants {
            assert!(text.contains(want), "{page} lacks {want:?}:\n{text}");
            checked += 1;
        }
    }
    // Every line of keel's --help is in keel(1): the page is made from the same text.
    let usage = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../keel/src/usage.txt"
    ))
    .unwrap();
    let keel = rendered(&dir.join("keel.1"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for line in usage.lines().filter(|line| line.starts_with("  ")) {
        let (option, _) = line.trim().split_once("  ").unwrap();
        assert!(keel.contains(option), "keel.1 lacks {option:?}");
        checked += 1;
    }
    for page in &pages {
        rendered(&dir.join(page));
        checked += 1;
    }
    assert!(checked > 30, "checked {checked}");
}

#[test]
fn completions_are_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef keel-gen"),
        ("fish", "complete -c keel-gen"),
    ] {
        let script = text(&ok(&["completions", shell], b""));
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("from-oci"), "{shell} lacks the subcommands");
    }
    assert_ne!(keel_gen(&["completions", "tcsh"], b"").code, Some(0));
}
