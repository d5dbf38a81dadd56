//! The header, the process and supervision sections, the text syntax, security, seccomp and Landlock: each check of the decoder.

mod common;

use common::*;

#[test]
fn crc32c_matches_the_standard_check_value() {
    assert_eq!(wire::crc32c(b"123456789"), 0xE306_9283);
}

#[test]
fn an_empty_config_is_the_default() {
    let bytes = encode(&Config::default()).unwrap();
    assert_eq!(bytes.len(), HEADER_LEN);
    assert_eq!(bytes[..4], wire::MAGIC);
    assert_eq!(wire::decode(&bytes), Ok(Config::default()));
}

#[test]
fn args_are_limited_to_256() {
    for (count, ok) in [(MAX_ARGS, true), (MAX_ARGS + 1, false)] {
        let args = nul_joined((0..count).map(|i| format!("a{i}").into_bytes()));
        let config = process_with(Process {
            args: strings(&args),
            ..Process::default()
        });
        match ok {
            true => assert_eq!(
                wire::decode(&encode(&config).unwrap())
                    .unwrap()
                    .process
                    .args
                    .len(),
                count
            ),
            false => assert_eq!(invalid(&config), "args: more than 256"),
        }
    }
}

#[test]
fn env_lists_are_limited_to_1024() {
    for (count, ok) in [(MAX_ENV, true), (MAX_ENV + 1, false)] {
        let set = nul_joined((0..count).map(|i| format!("K{i}=v").into_bytes()));
        let unset = nul_joined((0..count).map(|i| format!("K{i}").into_bytes()));
        let set_config = process_with(Process {
            env_set: strings(&set),
            ..Process::default()
        });
        let unset_config = process_with(Process {
            env_unset: strings(&unset),
            ..Process::default()
        });
        match ok {
            true => {
                assert!(encode(&set_config).is_ok());
                assert!(encode(&unset_config).is_ok());
            }
            false => {
                assert_eq!(invalid(&set_config), "env_set: more than 1024");
                assert_eq!(invalid(&unset_config), "env_unset: more than 1024");
            }
        }
    }
}

#[test]
fn cwd_must_be_absolute_and_shorter_than_path_max() {
    let longest = CString::new(format!("/{}", "d".repeat(PATH_MAX - 2))).unwrap();
    assert!(
        encode(&process_with(Process {
            cwd: Some(&longest),
            ..Process::default()
        }))
        .is_ok()
    );
    let too_long = CString::new(format!("/{}", "d".repeat(PATH_MAX - 1))).unwrap();
    let config = process_with(Process {
        cwd: Some(&too_long),
        ..Process::default()
    });
    assert_eq!(invalid(&config), "path longer than PATH_MAX");
    // The error points at the path: header, section header, field header.
    let relative = process_with(Process {
        cwd: Some(c"srv"),
        ..Process::default()
    });
    assert_eq!(
        encode(&relative),
        Err(EncodeError::Invalid(Error {
            offset: 22,
            what: "cwd must be absolute"
        }))
    );
    assert_eq!(
        wire::decode(&sealed(&[1, 6, 0, 5, 3, 0, b'a', b'b', 0]))
            .unwrap_err()
            .to_string(),
        "offset 22: cwd must be absolute"
    );
}

#[test]
fn strings_are_checked() {
    let cases: [(u8, &[u8], &str); 5] = [
        (1, b"\0-c\0", "args: empty program"),
        (3, b"PATH\0", "env_set entry must be KEY=VALUE"),
        (3, b"=x\0", "env_set entry must be KEY=VALUE"),
        (4, b"A=B\0", "env_unset entry must be a KEY"),
        (1, b"/bin/sh", "string lacks its NUL"),
    ];
    for (id, payload, what) in cases {
        let field = [&[id][..], &(payload.len() as u16).to_le_bytes(), payload].concat();
        let body = [&[1][..], &(field.len() as u16).to_le_bytes(), &field].concat();
        assert_eq!(
            wire::decode(&sealed(&body)).unwrap_err().what,
            what,
            "{payload:?}"
        );
    }
}

#[test]
fn signals_and_rewrites_are_checked() {
    for signal in [0, MAX_SIGNAL + 1] {
        let config = Config {
            supervision: Supervision {
                parent_death_signal: Some(signal),
                ..Supervision::default()
            },
            ..Config::default()
        };
        assert_eq!(invalid(&config), "signal must be 1..=64");
    }
    let every_signal: Vec<[u8; 2]> = (1..=MAX_SIGNAL).map(|s| [s, 0]).collect();
    let rewrites: [(&[[u8; 2]], Option<&str>); 5] = [
        (&every_signal, None),
        (
            &[[15, 3], [15, 2]],
            Some("rewrite FROM must be 1..=64, increasing"),
        ),
        (
            &[[15, 3], [2, 2]],
            Some("rewrite FROM must be 1..=64, increasing"),
        ),
        (&[[65, 3]], Some("rewrite FROM must be 1..=64, increasing")),
        (&[[15, 65]], Some("rewrite TO must be 0..=64")),
    ];
    for (pairs, what) in rewrites {
        let config = Config {
            supervision: Supervision {
                rewrite: SignalRewrites::new(pairs),
                ..Supervision::default()
            },
            ..Config::default()
        };
        match what {
            None => assert!(encode(&config).is_ok()),
            Some(what) => assert_eq!(invalid(&config), what),
        }
    }
}

#[test]
fn malformed_bodies_are_rejected_with_their_offset() {
    let cases: [(&[u8], u32, &str); 9] = [
        (&[0x7f, 0, 0], 16, "unknown required id: needs a newer keel"),
        (
            &[1, 3, 0, 0x7f, 0, 0],
            19,
            "unknown required id: needs a newer keel",
        ),
        (&[2, 0, 0, 1, 0, 0], 19, "id repeated or out of order"),
        (&[1, 0, 0, 1, 0, 0], 19, "id repeated or out of order"),
        (&[1, 3, 0, 1, 9, 0], 20, "entry overruns its section"),
        (&[2, 4, 0, 2, 1, 0, 2], 22, "bool must be 0 or 1"),
        (&[2, 4, 0, 1, 1, 0, 3], 22, "mode must be 0..=2"),
        (&[1, 4, 0, 2, 1, 0, 0], 22, "flag must be empty"),
        (&[1, 1], 16, "truncated entry"),
    ];
    for (body, offset, what) in cases {
        assert_eq!(
            wire::decode(&sealed(body)),
            Err(Error { offset, what }),
            "{body:?}"
        );
    }
}

#[test]
fn unknown_optional_entries_are_skipped() {
    // An optional section, and an optional field inside a known section.
    let body = [
        1, 10, 0, 3, 4, 0, b'A', b'=', b'b', 0, 0x80, 0, 0, 0x80, 2, 0, 0xff, 0xff,
    ];
    let bytes = sealed(&body);
    let config = wire::decode(&bytes).unwrap();
    assert_eq!(config.process.env_set.iter().collect::<Vec<_>>(), [c"A=b"]);
}

#[test]
fn headers_are_checked() {
    let good = encode(&Config::default()).unwrap();
    let with = |at: usize, bytes: &[u8]| {
        let mut config = good.clone();
        config[at..at + bytes.len()].copy_from_slice(bytes);
        wire::decode(&config).unwrap_err()
    };
    assert_eq!(with(0, b"KEEP").what, "not a keel config (no KEEL magic)");
    assert_eq!(
        with(4, &2u32.to_le_bytes()).what,
        "unsupported format version"
    );
    assert_eq!(with(8, &15u32.to_le_bytes()).what, "length out of range");
    assert_eq!(
        with(8, &(MAX_LEN as u32 + 1).to_le_bytes()).what,
        "length out of range"
    );
    assert_eq!(with(12, &[1, 0, 0, 0]).what, "checksum mismatch");
    let trailing = [good.as_slice(), &[0, 0, 1]].concat();
    assert_eq!(
        wire::decode(&trailing),
        Err(Error {
            offset: 18,
            what: "nonzero bytes after the end"
        })
    );
}

#[test]
fn the_largest_config_fits_and_one_more_byte_does_not() {
    // One field of `payload` bytes in one section: 16 + 3 + 3 + payload.
    let payload = MAX_LEN - HEADER_LEN - 6;
    for (len, ok) in [(payload, true), (payload + 1, false)] {
        let arg = nul_joined([vec![b'x'; len - 1]]);
        let config = process_with(Process {
            args: strings(&arg),
            ..Process::default()
        });
        let mut out = vec![0; MAX_LEN + 1];
        let result = wire::encode(&config, &mut out);
        match ok {
            true => assert_eq!(result, Ok(MAX_LEN)),
            false => assert_eq!(
                result,
                Err(EncodeError::Invalid(Error {
                    offset: 8,
                    what: "length out of range"
                }))
            ),
        }
    }
}

#[test]
fn signal_syntax() {
    let cases: [(&str, Option<u8>); 14] = [
        ("TERM", Some(15)),
        ("sigterm", Some(15)),
        ("15", Some(15)),
        ("64", Some(64)),
        ("0", None),
        ("65", None),
        ("RTMIN", Some(34)),
        ("SIGRTMIN+3", Some(37)),
        ("RTMIN+31", None),
        ("RTMAX", Some(64)),
        ("rtmax-1", Some(63)),
        ("RTMAX-31", None),
        ("SIG", None),
        ("TERMINATE", None),
    ];
    for (text, signal) in cases {
        assert_eq!(syntax::parse_signal(text.as_bytes()), signal, "{text}");
    }
    assert_eq!(syntax::parse_rewrite(b"TERM:QUIT"), Some((15, 3)));
    assert_eq!(syntax::parse_rewrite(b"SIGWINCH:0"), Some((28, 0)));
    assert_eq!(syntax::parse_rewrite(b"0:TERM"), None);
    assert_eq!(syntax::parse_rewrite(b"TERM"), None);
}

#[test]
fn duration_syntax() {
    let cases: [(&str, Option<u32>); 8] = [
        ("250ms", Some(250)),
        ("5s", Some(5000)),
        ("1m", Some(60_000)),
        ("30", Some(30_000)),
        ("71582m", Some(4_294_920_000)),
        ("71583m", None),
        ("1.5s", None),
        ("-1s", None),
    ];
    for (text, ms) in cases {
        assert_eq!(syntax::parse_duration_ms(text.as_bytes()), ms, "{text}");
    }
}

fn rlimit(resource: u8, soft: u64, hard: u64) -> Rlimit {
    Rlimit {
        resource,
        soft,
        hard,
    }
}

/// What `decode` says about a process section, `None` if it accepts it.
fn process_problem(process: Process<'_>) -> Option<&'static str> {
    problem(&process_with(process))
}

#[test]
fn users_are_a_uid_a_gid_and_at_most_64_gids() {
    for (count, ok) in [(0, true), (MAX_GIDS, true), (MAX_GIDS + 1, false)] {
        let gids = records(0..count as u32);
        let user = User {
            uid: u32::MAX,
            gid: 0,
            additional_gids: list(&gids),
        };
        let config = process_with(Process {
            user: Some(user),
            ..Process::default()
        });
        match encode(&config) {
            Ok(bytes) => {
                assert!(ok, "{count} gids accepted");
                let decoded = wire::decode(&bytes).unwrap().process.user.unwrap();
                assert!(decoded.additional_gids.iter().eq(0..count as u32));
            }
            Err(EncodeError::Invalid(Error { offset, what })) => {
                assert!(!ok, "{count} gids refused");
                assert_eq!(what, "more than 64 additional gids");
                // Section and field headers, the uid and the gid, then 64 gids.
                assert_eq!(offset as usize, HEADER_LEN + 6 + 8 + 4 * MAX_GIDS);
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    for payload in [&[0; 7][..], &[0; 10], &[]] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, 6, payload)))
                .unwrap_err()
                .what,
            "user must be a uid, a gid and gids, 4 bytes each"
        );
    }
}

#[test]
fn capabilities_follow_the_kernel_rules() {
    let cap = |n: u8| 1u64 << n;
    let caps = |bounding, effective, permitted, inheritable, ambient| {
        process_problem(Process {
            capabilities: Some(Capabilities {
                bounding,
                effective,
                permitted,
                inheritable,
                ambient,
            }),
            ..Process::default()
        })
    };
    let last = cap(CAP_LAST_CAP);
    assert_eq!(Capabilities::ALL, (last << 1) - 1);
    assert_eq!(caps(0, 0, 0, 0, 0), None);
    assert_eq!(caps(last, last, last, last, last), None);
    let all = Capabilities::ALL;
    assert_eq!(caps(all, all, all, all, all), None);
    let above = Some("capability above 40 (CAP_LAST_CAP)");
    for high in [cap(41), cap(63)] {
        assert_eq!(caps(high, 0, 0, 0, 0), above);
        assert_eq!(caps(0, 0, 0, high, 0), above);
        assert_eq!(caps(0, high, high, high, high), above);
    }
    assert_eq!(
        caps(0, cap(5), cap(6), 0, 0),
        Some("effective capabilities must be permitted")
    );
    let ambient = Some("ambient capabilities must be permitted and inheritable");
    assert_eq!(caps(0, 0, cap(5), 0, cap(5)), ambient);
    assert_eq!(caps(0, 0, 0, cap(5), cap(5)), ambient);
    assert_eq!(caps(0, 0, cap(5), cap(5), cap(5)), None);
    // Capabilities the config leaves alone differ from an empty set.
    let bytes = encode(&process_with(Process {
        capabilities: Some(Capabilities::default()),
        ..Process::default()
    }))
    .unwrap();
    assert_eq!(bytes[HEADER_LEN..HEADER_LEN + 6], [1, 43, 0, 8, 40, 0]);
    for len in [0, 39, 41, 48] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, 8, &vec![0; len])))
                .unwrap_err()
                .what,
            "capabilities must be 5 sets of 8 bytes"
        );
    }
}

#[test]
fn rlimits_are_known_resources_once_each_soft_at_most_hard() {
    let rlimits_problem = |items: &[Rlimit]| {
        let bytes = records(items.iter().copied());
        process_problem(Process {
            rlimits: list(&bytes),
            ..Process::default()
        })
    };
    let every: Vec<_> = (0..MAX_RLIMITS as u8)
        .rev()
        .map(|r| rlimit(r, u64::from(r), u64::MAX))
        .collect();
    assert_eq!(rlimits_problem(&every), None);
    assert_eq!(rlimits_problem(&[rlimit(7, 0, 0)]), None);
    assert_eq!(
        rlimits_problem(&[rlimit(16, 0, 0)]),
        Some("rlimit resource must be 0..=15")
    );
    assert_eq!(
        rlimits_problem(&[rlimit(255, 0, 0)]),
        Some("rlimit resource must be 0..=15")
    );
    assert_eq!(
        rlimits_problem(&[rlimit(7, 1, 2), rlimit(4, 0, 0), rlimit(7, 1, 2)]),
        Some("rlimit resource repeated")
    );
    assert_eq!(
        rlimits_problem(&[rlimit(4, u64::MAX, u64::MAX - 1)]),
        Some("rlimit soft limit above hard")
    );
    // The error points at the record.
    let bytes = records([rlimit(1, 0, 0), rlimit(2, 2, 1)]);
    let config = process_with(Process {
        rlimits: list(&bytes),
        ..Process::default()
    });
    match encode(&config) {
        Err(EncodeError::Invalid(error)) => assert_eq!(error.offset as usize, HEADER_LEN + 6 + 17),
        other => panic!("{other:?}"),
    }
    // Read back in order.
    let bytes = records(every.iter().copied());
    let encoded = encode(&process_with(Process {
        rlimits: list(&bytes),
        ..Process::default()
    }))
    .unwrap();
    let decoded = wire::decode(&encoded).unwrap();
    assert!(decoded.process.rlimits.iter().eq(every.iter().copied()));
    for len in [1, 16, 18, 33] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, 9, &vec![0; len])))
                .unwrap_err()
                .what,
            "rlimits must be 17-byte records"
        );
    }
}

#[test]
fn umask_and_oom_score_adj_are_in_range() {
    for (umask, ok) in [(0, true), (0o777, true), (0o1000, false), (u32::MAX, false)] {
        let problem = process_problem(Process {
            umask: Some(umask),
            ..Process::default()
        });
        assert_eq!(
            problem,
            (!ok).then_some("umask must be 0..=0o777"),
            "{umask:o}"
        );
    }
    for (adj, ok) in [
        (-1000, true),
        (0, true),
        (1000, true),
        (-1001, false),
        (1001, false),
        (i32::MIN, false),
        (i32::MAX, false),
    ] {
        let problem = process_problem(Process {
            oom_score_adj: Some(adj),
            ..Process::default()
        });
        assert_eq!(
            problem,
            (!ok).then_some("oom_score_adj must be -1000..=1000"),
            "{adj}"
        );
    }
    let bytes = encode(&process_with(Process {
        oom_score_adj: Some(-1),
        no_new_privileges: true,
        ..Process::default()
    }))
    .unwrap();
    assert_eq!(
        bytes[HEADER_LEN..],
        [1, 10, 0, 7, 0, 0, 11, 4, 0, 0xff, 0xff, 0xff, 0xff]
    );
    for (field, payload, what) in [
        (7, &[0][..], "flag must be empty"),
        (10, &[0, 0], "expected 4 bytes"),
        (11, &[0; 5], "expected 4 bytes"),
    ] {
        assert_eq!(
            wire::decode(&sealed(&one_field(1, field, payload)))
                .unwrap_err()
                .what,
            what
        );
    }
}

fn landlock_with(landlock: Landlock<'_>) -> Config<'_> {
    Config {
        landlock: Some(landlock),
        ..Config::default()
    }
}

#[test]
fn seccomp_filters_are_framed() {
    let filter = |flags, program| {
        process_with(Process {
            seccomp: Some(SeccompFilter { flags, program }),
            ..Process::default()
        })
    };
    let one = [0u8; 8];
    assert!(encode(&filter(7, &one)).is_ok());
    assert_eq!(
        invalid(&filter(8, &one)),
        "seccomp flags must be TSYNC, LOG or SPEC_ALLOW"
    );
    assert_eq!(
        invalid(&filter(0, &[])),
        "seccomp filter must have 1 to 4096 instructions"
    );
    assert_eq!(
        invalid(&filter(0, &[0; 12])),
        "seccomp instructions are 8 bytes each"
    );
    let most = vec![0; MAX_SECCOMP_INSTRUCTIONS * 8];
    let config = filter(0, &most);
    let decoded_len = wire::decode(&encode(&config).expect("4096 instructions fit"))
        .expect("decodes")
        .process
        .seccomp
        .map(|f| f.instructions());
    assert_eq!(decoded_len, Some(MAX_SECCOMP_INSTRUCTIONS));
    let too_many = vec![0; (MAX_SECCOMP_INSTRUCTIONS + 1) * 8];
    assert_eq!(
        invalid(&filter(0, &too_many)),
        "seccomp filter must have 1 to 4096 instructions"
    );
}

#[test]
fn landlock_rules_are_checked() {
    let base = Landlock {
        handled_fs: 0b1100,
        ..Landlock::default()
    };
    assert!(encode(&landlock_with(base)).is_ok());
    assert_eq!(
        invalid(&landlock_with(Landlock::default())),
        "landlock handles no right"
    );
    let unknown = Landlock {
        handled_fs: Landlock::FS_ALL + 1,
        ..base
    };
    assert_eq!(invalid(&landlock_with(unknown)), "unknown landlock right");
    let scoped = Landlock { scoped: 4, ..base };
    assert_eq!(invalid(&landlock_with(scoped)), "unknown landlock right");
    let path = |access, path: &CString| records([LandlockPath { access, path }]);
    let usr = c"/usr".to_owned();
    for (access, path_text, problem) in [
        (0b100, &usr, None),
        (0, &usr, Some("landlock rule grants nothing")),
        (0b1, &usr, Some("landlock rule grants a right not handled")),
        (
            0b100,
            &c"usr".to_owned(),
            Some("landlock path must be absolute"),
        ),
    ] {
        let bytes = path(access, path_text);
        let config = landlock_with(Landlock {
            paths: list(&bytes),
            ..base
        });
        match problem {
            None => assert!(encode(&config).is_ok()),
            Some(problem) => assert_eq!(invalid(&config), problem),
        }
    }
    let port = |access| records([LandlockPort { access, port: 443 }]);
    let granted = port(1);
    let with_ports = |bytes, handled_net| {
        landlock_with(Landlock {
            handled_net,
            ports: list(bytes),
            ..base
        })
    };
    assert!(encode(&with_ports(&granted, 1)).is_ok());
    assert_eq!(
        invalid(&with_ports(&granted, 2)),
        "landlock rule grants a right not handled"
    );
    let many =
        records((0..=MAX_LANDLOCK_RULES as u16).map(|port| LandlockPort { access: 1, port }));
    assert_eq!(
        invalid(&with_ports(&many, 1)),
        "more than 256 landlock ports"
    );
}

#[test]
fn a_read_only_root_needs_a_root() {
    let mounts = |root| Config {
        mounts: Some(Mounts {
            root,
            root_readonly: true,
            ..Mounts::default()
        }),
        ..Config::default()
    };
    assert!(encode(&mounts(Some(c"/srv/root"))).is_ok());
    assert_eq!(invalid(&mounts(None)), "root_readonly needs a root");
}
