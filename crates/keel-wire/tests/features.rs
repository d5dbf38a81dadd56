//! A keel built without an optional part: `decode_for` refuses exactly the configs that need
//! it, at the entry that does, and the record a keel binary carries reads back.

use keel_wire::{
    self as wire, Cgroup, Config, Features, Landlock, Mounts, NamespaceSet, Namespaces, Process,
    SeccompFilter, Supervision,
};

/// `ret SECCOMP_RET_ALLOW`: one classic BPF instruction.
const ALLOW: [u8; 8] = [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f];

/// For each part, its name, the id of the entry that needs it (a section's, or a field's in
/// the process or supervision section) and a config with it (and nothing else optional).
fn needing_each_part() -> Vec<(Features, &'static str, u8, Config<'static>)> {
    let process = |process| Config {
        process,
        ..Config::default()
    };
    vec![
        (
            Features::CGROUP,
            "cgroup",
            3,
            Config {
                cgroup: Some(Cgroup::default()),
                ..Config::default()
            },
        ),
        (
            Features::NAMESPACES,
            "namespaces",
            4,
            Config {
                namespaces: Some(Namespaces {
                    unshare: NamespaceSet(NamespaceSet::UTS),
                    ..Namespaces::default()
                }),
                ..Config::default()
            },
        ),
        (
            Features::MOUNTS,
            "mounts",
            5,
            Config {
                mounts: Some(Mounts::default()),
                ..Config::default()
            },
        ),
        (
            Features::SECURITY,
            "security",
            10,
            process(Process {
                umask: Some(0o022),
                ..Process::default()
            }),
        ),
        (
            Features::SECCOMP,
            "seccomp",
            12,
            process(Process {
                seccomp: Some(SeccompFilter {
                    flags: 0,
                    program: &ALLOW,
                }),
                ..Process::default()
            }),
        ),
        (
            Features::LANDLOCK,
            "landlock",
            6,
            Config {
                landlock: Some(Landlock {
                    handled_fs: 1,
                    ..Landlock::default()
                }),
                ..Config::default()
            },
        ),
        (
            Features::SEAL,
            "seal",
            10,
            Config {
                supervision: Supervision {
                    seal_exe: Some(true),
                    ..Supervision::default()
                },
                ..Config::default()
            },
        ),
    ]
}

fn encode(config: &Config<'_>) -> Vec<u8> {
    let mut buf = vec![0; wire::MAX_LEN];
    let len = wire::encode(config, &mut buf).expect("a valid config");
    buf.truncate(len);
    buf
}

/// Every part but `part`.
fn all_but(part: Features) -> Features {
    Features::ALL.with(part, false)
}

#[test]
fn a_config_needing_a_missing_part_is_refused_at_the_entry_that_needs_it() {
    let cases = needing_each_part();
    assert_eq!(cases.len(), 7, "every part a config can ask for");
    for (part, name, id, config) in cases {
        let bytes = encode(&config);
        let error = wire::decode_for(&bytes, all_but(part)).unwrap_err();
        assert_eq!(error.what, format!("this keel was built without {name}"));
        // The offset is the entry's own: its id byte, a section's or its field's.
        let at = usize::try_from(error.offset).unwrap();
        assert_eq!(bytes.get(at), Some(&id), "{name}: {error}");
        assert_eq!(
            wire::decode_for(&bytes, Features::NONE.with(part, true)),
            Ok(config),
            "{name}: needs only itself"
        );
    }
}

/// `[mounts] lock` is a user and a mount namespace of keel's: a keel with mounts but without
/// namespaces refuses it at the field.
#[test]
fn locking_the_mounts_needs_namespaces_too() {
    let config = Config {
        mounts: Some(Mounts {
            lock: true,
            ..Mounts::default()
        }),
        ..Config::default()
    };
    let bytes = encode(&config);
    let error = wire::decode_for(&bytes, all_but(Features::NAMESPACES)).unwrap_err();
    assert_eq!(error.what, "this keel was built without namespaces");
    assert_eq!(
        bytes.get(usize::try_from(error.offset).unwrap()),
        Some(&6),
        "the lock field"
    );
    let both = Features::NONE
        .with(Features::MOUNTS, true)
        .with(Features::NAMESPACES, true);
    assert_eq!(wire::decode_for(&bytes, both), Ok(config));
}

#[test]
fn what_every_keel_takes_needs_no_part() {
    let config = Config {
        process: Process {
            no_new_privileges: true,
            env_clear: true,
            ..Process::default()
        },
        supervision: Supervision {
            seal_exe: Some(false),
            grace_ms: Some(100),
            ..Supervision::default()
        },
        ..Config::default()
    };
    let bytes = encode(&config);
    assert_eq!(wire::decode_for(&bytes, Features::NONE), Ok(config));
    // Corruption is still reported first as what it is, not as a missing part.
    let mut bad = encode(&needing_each_part()[2].3);
    bad[15] ^= 1;
    assert_eq!(
        wire::decode_for(&bad, Features::NONE).unwrap_err().what,
        "checksum mismatch"
    );
}

#[test]
fn the_record_reads_back_and_refuses_what_is_not_one() {
    for set in [Features::NONE, Features::ALL, all_but(Features::MOUNTS)] {
        assert_eq!(Features::from_record(&set.record()), Some(set));
    }
    let mut unknown = Features::ALL.record();
    unknown[9] = 0x02; // a part this version does not have
    assert_eq!(Features::from_record(&unknown), None);
    assert_eq!(Features::from_record(b"KEELCONF\xff\x00"), None);
    assert_eq!(Features::from_record(&Features::ALL.record()[..9]), None);
    assert_eq!(Features::NAMES.len(), 9);
    assert_eq!(
        Features::NAMES
            .iter()
            .fold(Features::NONE, |set, (part, _)| set.with(*part, true)),
        Features::ALL
    );
}
