//! Runs the real keel-gen's `from-oci` on config.json files written by runc and crun and on a
//! hand-written one using every field it converts: the TOML it prints, the warnings, and that
//! the result builds.

mod common;

use std::path::Path;

use common::{keel_gen, scratch, text};

const FIXTURES: &str = "tests/fixtures/oci";

/// The TOML and the warnings (without the `keel-gen: from-oci: ` prefix) of a conversion
/// that must succeed.
fn convert(args: &[&str], stdin: &[u8]) -> (String, Vec<String>) {
    let run = keel_gen(args, stdin);
    assert_eq!(run.code, Some(0), "from-oci {args:?}: {}", run.stderr);
    let warnings = run
        .stderr
        .lines()
        .map(|line| {
            let warning = line.strip_prefix("keel-gen: from-oci: ");
            warning
                .unwrap_or_else(|| panic!("not a warning: {line}"))
                .to_owned()
        })
        .collect();
    (text(&run.stdout), warnings)
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

const AMBIENT: [&str; 3] = [
    "process.capabilities.ambient \"CAP_AUDIT_WRITE\": not permitted and inheritable, so the kernel cannot raise it (runc and crun skip it too); dropped",
    "process.capabilities.ambient \"CAP_KILL\": not permitted and inheritable, so the kernel cannot raise it (runc and crun skip it too); dropped",
    "process.capabilities.ambient \"CAP_NET_BIND_SERVICE\": not permitted and inheritable, so the kernel cannot raise it (runc and crun skip it too); dropped",
];
const TERMINAL: &str = "process.terminal: not supported (keel has no terminal allocation); dropped";
const DEVICES: &str = "linux.resources.devices: not supported (keel has no device cgroup, which cgroup v2 implements as an eBPF program); dropped";

#[test]
fn real_tools_configs_convert_with_the_expected_warnings_and_build() {
    let cases: [(&str, &[&str]); 4] = [
        ("runc.json", &[TERMINAL, DEVICES]),
        ("runc-rootless.json", &[TERMINAL]),
        ("crun.json", &[TERMINAL, DEVICES]),
        ("crun-rootless.json", &[TERMINAL, DEVICES]),
    ];
    let rootfs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join("rootfs");
    for (name, warnings) in cases {
        let (toml, got) = convert(&["from-oci", &fixture(name)], b"");
        let expected: Vec<_> = AMBIENT.iter().chain(warnings).copied().collect();
        assert_eq!(got, expected, "{name}");
        // root.path "rootfs" is the bundle's, the config's directory.
        let root = format!("root = {:?}\n", rootfs.to_str().unwrap());
        for line in [root.as_str(), "root_readonly = true\n"] {
            assert!(toml.contains(line), "{name}: no {line} in\n{toml}");
        }
        let built = keel_gen(&["build", "-", "-o", "-"], toml.as_bytes());
        assert_eq!(built.code, Some(0), "{name}: {}\n{toml}", built.stderr);
    }
}

#[test]
fn every_supported_field_converts_exactly() {
    let (toml, warnings) = convert(&["from-oci", &fixture("full.json")], b"");
    let expected =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("full.toml")))
            .unwrap();
    assert_eq!(toml, expected);
    assert_eq!(
        warnings,
        [
            "process.apparmorProfile: not supported (keel applies no AppArmor profile); dropped",
            "linux.cgroupsPath: \"/pod1/ctr\" is from the cgroup root, keel's paths from keel's own cgroup (the same in a container with its own cgroup namespace); using \"pod1/ctr\"",
            DEVICES,
            "linux.namespaces[4] (net at /var/run/netns/shared): not supported (keel cannot join an existing namespace: the workload stays in keel's net namespace); dropped",
            "mounts[4].options \"sync\": not supported (keel has no such mount setting); dropped",
            "mounts[6].options \"index=off\": not supported (keel's overlays take only lowerdir, upperdir, workdir and attribute words); dropped",
            "mounts[8] (\"ext4\" on /mnt/disk): not supported (keel mounts bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup, cgroup2, overlay and devtmpfs); dropped",
            "linux.sysctl[\"kernel.shmmax\"]: not supported (keel sets no sysctls); dropped",
            "linux.sysctl[\"net.ipv4.ip_forward\"]: not supported (keel sets no sysctls); dropped",
            "hooks: not supported (keel runs no hooks); dropped",
            "linux.futureSetting: not supported (unknown to oci-spec, the OCI runtime spec model keel-gen reads); dropped",
        ]
    );
}

#[test]
fn binary_is_what_build_makes_of_the_toml() {
    let (toml, _) = convert(&["from-oci", &fixture("runc.json")], b"");
    let built = keel_gen(&["build", "-", "-o", "-"], toml.as_bytes());
    let binary = keel_gen(&["from-oci", "--binary", &fixture("runc.json")], b"");
    assert_eq!(binary.code, Some(0), "{}", binary.stderr);
    assert_eq!(binary.stdout, built.stdout);
    let out = scratch().join("keel.cfg");
    let run = keel_gen(
        &[
            "from-oci",
            "--binary",
            "-o",
            out.to_str().unwrap(),
            &fixture("runc.json"),
        ],
        b"",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), built.stdout);
}

#[test]
fn strict_fails_on_what_keel_cannot_express() {
    let run = keel_gen(&["from-oci", "--strict", &fixture("runc.json")], b"");
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty(), "{}", text(&run.stdout));
    let lines: Vec<_> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{}", run.stderr);
    assert_eq!(
        lines[5],
        "keel-gen: from-oci: tests/fixtures/oci/runc.json: --strict: 5 field(s) above cannot be expressed in keel's config"
    );
}

#[test]
fn strict_passes_a_config_keel_expresses_whole() {
    let json = br#"{"ociVersion": "1.0.0", "process": {"user": {"uid": 0, "gid": 0}, "args": ["/bin/true"], "cwd": "/"}}"#;
    let (toml, warnings) = convert(&["from-oci", "--strict", "-"], json);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        toml,
        "# keel config made by keel-gen from-oci from <stdin>\n[process]\nargs = [\"/bin/true\"]\nenv_clear = true\ncwd = \"/\"\n\n[process.user]\nuid = 0\ngid = 0\n"
    );
}

#[test]
fn relative_paths_are_the_bundles() {
    let scratch = scratch();
    std::fs::create_dir(scratch.join("bundle")).unwrap();
    let config = scratch.join("bundle/config.json");
    std::fs::write(
        &config,
        r#"{"root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]},
            "mounts": [{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind"]}]}"#,
    )
    .unwrap();
    let (toml, warnings) = convert(&["from-oci", config.to_str().unwrap()], b"");
    assert!(warnings.is_empty(), "{warnings:?}");
    let bundle = scratch.join("bundle");
    let bundle = bundle.to_str().unwrap();
    assert!(
        toml.contains(&format!("root = \"{bundle}/rootfs\"\n")),
        "{toml}"
    );
    assert!(
        toml.contains(&format!("source = \"{bundle}/data\"\n")),
        "{toml}"
    );
}

/// Runs keel-gen expecting a failure reported as one line, and returns that line.
fn error(args: &[&str], stdin: &[u8]) -> String {
    let run = keel_gen(args, stdin);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "not one line: {}",
        run.stderr
    );
    run.stderr.trim_end().to_owned()
}

#[test]
fn bad_configs_fail_with_one_line() {
    assert_eq!(
        error(&["from-oci", "-"], b"{\"process\": "),
        "keel-gen: <stdin>: not an OCI runtime config: EOF while parsing a value at line 1 column 12"
    );
    // oci-spec takes it (it skips an unknown field unchecked), JSON does not: keel-gen
    // panicked (found by the oci fuzz target).
    assert_eq!(
        error(
            &["from-oci", "-"],
            b"{\"ociVersion\": \"1.0.2\", \"Linux\": {\"n\x93\": 1}}"
        ),
        "keel-gen: <stdin>: not an OCI runtime config: invalid unicode code point at line 1 column 37"
    );
    assert_eq!(
        error(&["from-oci", "-"], br#"{"process": {"args": ["sh"]}}"#),
        "keel-gen: <stdin>: not an OCI runtime config: missing field `user` at line 1 column 28"
    );
    assert_eq!(
        error(&["from-oci", "-"], br#"{"mounts": [{"destination": "/proc", "type": "proc"}], "linux": {"namespaces": [{"type": "pid"}]}}"#),
        "keel-gen: the TOML made from <stdin>:3:11: [namespaces] unshare lacks \"mount\", which the mounts need: add \"mount\" so the mounts stay out of the host's mount table"
    );
}
