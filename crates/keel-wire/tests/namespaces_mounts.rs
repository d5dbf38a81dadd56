//! The namespaces and mounts sections: each check of the decoder.

mod common;

use common::*;

fn namespaces_with(namespaces: Namespaces<'_>) -> Config<'_> {
    Config {
        namespaces: Some(namespaces),
        ..Config::default()
    }
}

/// What `decode` says about a namespaces section, `None` if it accepts it.
fn namespaces_problem(namespaces: Namespaces<'_>) -> Option<&'static str> {
    problem(&namespaces_with(namespaces))
}

#[test]
fn empty_namespaces_and_mounts_sections_are_present() {
    let config = Config {
        namespaces: Some(Namespaces::default()),
        mounts: Some(Mounts::default()),
        ..Config::default()
    };
    let bytes = encode(&config).unwrap();
    assert_eq!(bytes[HEADER_LEN..], [4, 0, 0, 5, 0, 0]);
    assert_eq!(wire::decode(&bytes), Ok(config));
}

#[test]
fn seal_exe_is_a_bool() {
    for seal_exe in [None, Some(false), Some(true)] {
        let config = Config {
            supervision: Supervision {
                seal_exe,
                ..Supervision::default()
            },
            ..Config::default()
        };
        assert_eq!(wire::decode(&encode(&config).unwrap()), Ok(config));
    }
    assert_eq!(
        wire::decode(&sealed(&one_field(2, 10, &[2]))).unwrap_err(),
        Error {
            offset: 22,
            what: "bool must be 0 or 1"
        }
    );
}

#[test]
fn namespaces_are_the_known_ones() {
    let all = NamespaceSet::ALL;
    assert_eq!(all, 0x7e02_0080);
    assert_eq!(all.count_ones(), 8);
    assert_eq!(
        namespaces_problem(Namespaces {
            unshare: NamespaceSet(all),
            ..Namespaces::default()
        }),
        None
    );
    for bit in (0..32).map(|i| 1u32 << i).filter(|bit| all & bit == 0) {
        assert_eq!(
            namespaces_problem(Namespaces {
                unshare: NamespaceSet(bit),
                ..Namespaces::default()
            }),
            Some("unshare has bits of no namespace"),
            "{bit:#x}"
        );
    }
    let set = NamespaceSet(NamespaceSet::PID | NamespaceSet::USER);
    assert!(set.contains(NamespaceSet::USER));
    assert!(!set.contains(NamespaceSet::MOUNT));
    assert_eq!(
        wire::decode(&sealed(&one_field(4, 1, &[0, 0, 2]))).unwrap_err(),
        Error {
            offset: 22,
            what: "expected 4 bytes"
        }
    );
}

#[test]
fn settings_need_their_namespace() {
    let map = records([IdMap {
        inside: 0,
        outside: 1000,
        count: 1,
    }]);
    let user = Some("uid_map, gid_map and setgroups need the user namespace");
    let uts = Some("hostname and domainname need the uts namespace");
    let time = Some("time offsets need the time namespace");
    let cases: [(u32, Namespaces<'_>, Option<&str>); 7] = [
        (
            NamespaceSet::USER,
            Namespaces {
                uid_map: list(&map),
                ..Namespaces::default()
            },
            user,
        ),
        (
            NamespaceSet::USER,
            Namespaces {
                gid_map: list(&map),
                ..Namespaces::default()
            },
            user,
        ),
        (
            NamespaceSet::USER,
            Namespaces {
                setgroups_deny: true,
                ..Namespaces::default()
            },
            user,
        ),
        (
            NamespaceSet::UTS,
            Namespaces {
                hostname: Some(c"box"),
                ..Namespaces::default()
            },
            uts,
        ),
        (
            NamespaceSet::UTS,
            Namespaces {
                domainname: Some(c"example.org"),
                ..Namespaces::default()
            },
            uts,
        ),
        (
            NamespaceSet::TIME,
            Namespaces {
                time_offsets: TimeOffsets {
                    monotonic: Some((-5, 0)),
                    boottime: None,
                },
                ..Namespaces::default()
            },
            time,
        ),
        (
            NamespaceSet::TIME,
            Namespaces {
                time_offsets: TimeOffsets {
                    monotonic: None,
                    boottime: Some((i64::MAX, 999_999_999)),
                },
                ..Namespaces::default()
            },
            time,
        ),
    ];
    for (namespace, namespaces, missing) in cases {
        // Every namespace but the one needed is not enough.
        let others = Namespaces {
            unshare: NamespaceSet(NamespaceSet::ALL & !namespace),
            ..namespaces
        };
        assert_eq!(namespaces_problem(others), missing, "{namespaces:?}");
        let with = Namespaces {
            unshare: NamespaceSet(namespace),
            ..namespaces
        };
        assert_eq!(namespaces_problem(with), None, "{namespaces:?}");
        assert_eq!(
            wire::decode(&encode(&namespaces_with(with)).unwrap())
                .unwrap()
                .namespaces,
            Some(with)
        );
    }
}

#[test]
fn id_maps_are_checked() {
    let what = "id map count must be above 0, and first + count at most 2^32 - 1";
    let bad = Some(what);
    let max = u32::MAX;
    // (inside, outside, count) and the problem.
    let cases: [(u32, u32, u32, Option<&str>); 8] = [
        (0, 100_000, 65_536, None),
        (0, 0, max, None),
        (max - 1, 1, 1, None),
        (1, max - 1, 1, None),
        (0, 0, 0, bad),
        (1, 0, max, bad),
        (0, max, 1, bad),
        (max, max, max, bad),
    ];
    for (inside, outside, count, problem) in cases {
        let map = IdMap {
            inside,
            outside,
            count,
        };
        assert_eq!(wire::check_id_map(map).err(), problem, "{map:?}");
        let bytes = records([map]);
        let namespaces = Namespaces {
            unshare: NamespaceSet(NamespaceSet::USER),
            gid_map: list(&bytes),
            ..Namespaces::default()
        };
        assert_eq!(namespaces_problem(namespaces), problem, "{map:?}");
    }
    let map = |i: u32| IdMap {
        inside: i,
        outside: i,
        count: 1,
    };
    for (count, problem) in [
        (MAX_ID_MAPS, None),
        (MAX_ID_MAPS + 1, Some("more than 340 id maps")),
    ] {
        let bytes = records((0..count as u32).map(map));
        let namespaces = Namespaces {
            unshare: NamespaceSet(NamespaceSet::USER),
            uid_map: list(&bytes),
            ..Namespaces::default()
        };
        assert_eq!(namespaces_problem(namespaces), problem, "{count}");
    }
    // Records are 12 bytes: inside, outside, count.
    assert_eq!(
        records([IdMap {
            inside: 1,
            outside: 0x0102_0304,
            count: 0xffff_ffff
        }]),
        [1, 0, 0, 0, 4, 3, 2, 1, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(List::<IdMap>::from_bytes_with_nul(&[0; 13]), None);
    let unshare = one_field(4, 1, &NamespaceSet::USER.to_le_bytes());
    let cut = [&unshare[..], &[2, 11, 0], &[0; 11]].concat();
    let body = [&[4][..], &((cut.len() - 3) as u16).to_le_bytes(), &cut[3..]].concat();
    assert_eq!(
        wire::decode(&sealed(&body)).unwrap_err(),
        Error {
            offset: 29,
            what: "id maps must be 12-byte records"
        }
    );
    // The error points at the bad record.
    let bytes = records([map(1), map(u32::MAX)]);
    let config = namespaces_with(Namespaces {
        unshare: NamespaceSet(NamespaceSet::USER),
        uid_map: list(&bytes),
        ..Namespaces::default()
    });
    assert_eq!(
        encode(&config).unwrap_err(),
        EncodeError::Invalid(Error {
            offset: 16 + 3 + 7 + 3 + 12,
            what
        })
    );
}

#[test]
fn host_and_domain_names_are_1_to_64_bytes() {
    let longest = CString::new("h".repeat(HOST_NAME_MAX)).unwrap();
    let too_long = CString::new("h".repeat(HOST_NAME_MAX + 1)).unwrap();
    let bad = Some("host and domain names are 1 to 64 bytes");
    for (name, problem) in [(c"b", None), (&longest, None), (&too_long, bad), (c"", bad)] {
        for namespaces in [
            Namespaces {
                unshare: NamespaceSet(NamespaceSet::UTS),
                hostname: Some(name),
                ..Namespaces::default()
            },
            Namespaces {
                unshare: NamespaceSet(NamespaceSet::UTS),
                domainname: Some(name),
                ..Namespaces::default()
            },
        ] {
            assert_eq!(namespaces_problem(namespaces), problem, "{name:?}");
        }
    }
    let unshare = one_field(4, 1, &NamespaceSet::UTS.to_le_bytes());
    let fields = [&unshare[3..], &[5, 4, 0, b'a', 0, b'b', 0]].concat();
    let body = [&[4][..], &(fields.len() as u16).to_le_bytes(), &fields].concat();
    assert_eq!(
        wire::decode(&sealed(&body)).unwrap_err().what,
        "more than one name"
    );
}

#[test]
fn time_offsets_are_seconds_and_nanoseconds() {
    let with = |offset| {
        namespaces_with(Namespaces {
            unshare: NamespaceSet(NamespaceSet::TIME),
            time_offsets: TimeOffsets {
                monotonic: Some(offset),
                boottime: Some(offset),
            },
            ..Namespaces::default()
        })
    };
    for offset in [(0, 0), (i64::MIN, 999_999_999), (-1, 1)] {
        let config = with(offset);
        assert_eq!(wire::decode(&encode(&config).unwrap()), Ok(config));
    }
    // Header 16, section 3, unshare 3 + 4, offset header 3: the nanoseconds are 8 bytes in.
    assert_eq!(
        encode(&with((1, 1_000_000_000))).unwrap_err(),
        EncodeError::Invalid(Error {
            offset: 16 + 3 + 7 + 3 + 8,
            what: "time offset nanoseconds must be below 10^9"
        })
    );
    let unshare = one_field(4, 1, &NamespaceSet::TIME.to_le_bytes());
    for len in [0, 8, 11, 13] {
        let fields = [&unshare[3..], &[7, len as u8, 0], &vec![0; len]].concat();
        let body = [&[4][..], &(fields.len() as u16).to_le_bytes(), &fields].concat();
        assert_eq!(
            wire::decode(&sealed(&body)).unwrap_err().what,
            "time offset must be 12 bytes",
            "{len}"
        );
    }
}

fn mounts_with(mounts: Mounts<'_>) -> Config<'_> {
    Config {
        mounts: Some(mounts),
        ..Config::default()
    }
}

/// A plain mount of `kind` on `/mnt`, to change one thing of.
fn mount(kind: MountKind) -> Mount<'static> {
    Mount {
        kind,
        source: (kind == MountKind::Bind).then_some(c"/srv"),
        target: c"/mnt",
        attrs: 0,
        recursive: false,
        options: Strings::default(),
        lower: if kind == MountKind::Overlay {
            strings(b"/layer\0")
        } else {
            Strings::default()
        },
        upper: Upper::Sealed,
    }
}

/// What `decode` says about a mount, `None` if it accepts it.
fn mount_problem(mount: Mount<'_>) -> Option<&'static str> {
    let bytes = records([mount]);
    problem(&mounts_with(Mounts {
        entries: list(&bytes),
        ..Mounts::default()
    }))
}

#[test]
fn every_kind_takes_what_it_should() {
    let (bind, overlay) = (MountKind::Bind, MountKind::Overlay);
    let options = nul_joined([b"size=1m".to_vec(), b"newinstance".to_vec()]);
    for kind in MountKind::ALL {
        assert_eq!(mount_problem(mount(kind)), None, "{kind:?}");
        let fs = kind != bind && kind != overlay;
        let source = Mount {
            source: Some(c"/srv"),
            ..mount(kind)
        };
        let no_source = Mount {
            source: None,
            ..mount(kind)
        };
        let recursive = Mount {
            recursive: true,
            ..mount(kind)
        };
        let with_options = Mount {
            options: strings(&options),
            ..mount(kind)
        };
        let lower = Mount {
            lower: strings(b"/a\0"),
            ..mount(kind)
        };
        let tmpfs = Mount {
            upper: Upper::Tmpfs { size: None },
            ..mount(kind)
        };
        let source_rule = "a bind mount needs a source, and only it has one";
        assert_eq!(mount_problem(source), (kind != bind).then_some(source_rule));
        assert_eq!(
            mount_problem(no_source),
            (kind == bind).then_some(source_rule)
        );
        let only_bind = (kind != bind).then_some("only a bind mount is recursive");
        assert_eq!(mount_problem(recursive), only_bind, "{kind:?}");
        let options_rule = (!fs).then_some("bind and overlay mounts take no options");
        assert_eq!(mount_problem(with_options), options_rule, "{kind:?}");
        let layers = (kind != overlay).then_some("only an overlay has layers");
        assert_eq!(mount_problem(lower), layers, "{kind:?}");
        assert_eq!(mount_problem(tmpfs), layers, "{kind:?}");
    }
    let layers: Vec<Vec<u8>> = (0..=MAX_LOWER_LAYERS)
        .map(|i| format!("/l{i}").into_bytes())
        .collect();
    for (count, problem) in [
        (0, Some("an overlay has 1 to 15 lower layers")),
        (1, None),
        (MAX_LOWER_LAYERS, None),
        (
            MAX_LOWER_LAYERS + 1,
            Some("an overlay has 1 to 15 lower layers"),
        ),
    ] {
        let lower = nul_joined(layers[..count].iter().cloned());
        let overlay = Mount {
            lower: strings(&lower),
            ..mount(overlay)
        };
        assert_eq!(mount_problem(overlay), problem, "{count}");
    }
}

#[test]
fn mount_attrs_are_known_bits_and_one_atime_mode() {
    let known = [
        Mount::RDONLY,
        Mount::NOSUID,
        Mount::NODEV,
        Mount::NOEXEC,
        Mount::NOATIME,
        Mount::STRICTATIME,
        Mount::NODIRATIME,
        Mount::NOSYMFOLLOW,
    ];
    assert_eq!(known.iter().fold(0, |set, bit| set | bit), Mount::ATTRS);
    for bit in (0..64).map(|i| 1u64 << i) {
        let problem = (Mount::ATTRS & bit == 0).then_some("mount attrs has unknown bits");
        let with = Mount {
            attrs: bit,
            ..mount(MountKind::Tmpfs)
        };
        assert_eq!(mount_problem(with), problem, "{bit:#x}");
    }
    let everything_but_strictatime = Mount::ATTRS & !Mount::STRICTATIME;
    for (attrs, problem) in [
        (everything_but_strictatime, None),
        (Mount::ATTRS, Some("mount attrs has two atime modes")),
        (
            Mount::NOATIME | Mount::STRICTATIME,
            Some("mount attrs has two atime modes"),
        ),
    ] {
        let with = Mount {
            attrs,
            ..mount(MountKind::Bind)
        };
        assert_eq!(mount_problem(with), problem, "{attrs:#x}");
    }
}

#[test]
fn mount_paths_are_checked() {
    let longest = CString::new(format!("/{}", "p".repeat(PATH_MAX - 2))).unwrap();
    let too_long = CString::new(format!("/{}", "p".repeat(PATH_MAX - 1))).unwrap();
    let long = Some("path longer than PATH_MAX");
    let targets: [(&std::ffi::CStr, Option<&str>); 12] = [
        (c"/", None),
        (c"/a/b", None),
        (c"/...", None),
        (c"/a/..b/c..", None),
        (c"/a/./b", None),
        (&longest, None),
        (&too_long, long),
        (c"a", Some("mount target must be absolute")),
        (c"", Some("mount target must be absolute")),
        (c"/..", Some("mount target has a .. component")),
        (c"/a/../b", Some("mount target has a .. component")),
        (c"/a/..", Some("mount target has a .. component")),
    ];
    for (target, problem) in targets {
        assert_eq!(wire::check_mount_target(target.to_bytes()).err(), problem);
        let with = Mount {
            target,
            ..mount(MountKind::Proc)
        };
        assert_eq!(mount_problem(with), problem, "{target:?}");
    }
    // Sources, layers, upper and work: absolute, shorter than PATH_MAX, `..` allowed.
    let overlay = mount(MountKind::Overlay);
    for (path, ok) in [
        (c"/a/../b", true),
        (&longest, true),
        (c"a", false),
        (&too_long, false),
    ] {
        let list = [path.to_bytes_with_nul(), b"/b\0"].concat();
        let cases = [
            (
                Mount {
                    source: Some(path),
                    ..mount(MountKind::Bind)
                },
                "bind source must be absolute",
            ),
            (
                Mount {
                    lower: strings(&list),
                    ..overlay
                },
                "overlay layer must be absolute",
            ),
            (
                Mount {
                    upper: Upper::Dir {
                        upper: path,
                        work: c"/w",
                    },
                    ..overlay
                },
                "overlay upper and work must be absolute",
            ),
            (
                Mount {
                    upper: Upper::Dir {
                        upper: c"/u",
                        work: path,
                    },
                    ..overlay
                },
                "overlay upper and work must be absolute",
            ),
        ];
        for (with, relative) in cases {
            let problem = match (ok, path.to_bytes().len() < PATH_MAX) {
                (true, _) => None,
                (false, true) => Some(relative),
                (false, false) => long,
            };
            assert_eq!(mount_problem(with), problem, "{path:?} in {with:?}");
        }
    }
}

#[test]
fn mount_options_and_sizes_are_fsconfig_strings() {
    let longest = "o".repeat(MOUNT_OPTION_MAX);
    let too_long = "o".repeat(MOUNT_OPTION_MAX + 1);
    let bad = Some("mount option must be key=value or flag: 1 to 255 bytes, without ,");
    let cases: [(&str, Option<&str>); 8] = [
        ("size=64m", None),
        ("newinstance", None),
        ("a=b=c", None),
        (&longest, None),
        (&too_long, bad),
        ("", bad),
        ("=x", bad),
        ("size=1,mode=2", bad),
    ];
    for (option, problem) in cases {
        assert_eq!(wire::check_mount_option(option.as_bytes()).err(), problem);
        let options = nul_joined([b"mode=0755".to_vec(), option.as_bytes().to_vec()]);
        let with = Mount {
            options: strings(&options),
            ..mount(MountKind::Devpts)
        };
        assert_eq!(mount_problem(with), problem, "{option:?}");
    }
    let largest = "s".repeat(250);
    let too_large = "s".repeat(251);
    let bad = Some("overlay size must be 1 to 250 bytes, without ,");
    for (size, problem) in [
        ("64m", None),
        (&largest, None),
        (&too_large, bad),
        ("", bad),
        ("1,2", bad),
    ] {
        let size = CString::new(size).unwrap();
        assert_eq!(wire::check_overlay_size(size.to_bytes()).err(), problem);
        let with = Mount {
            upper: Upper::Tmpfs { size: Some(&size) },
            ..mount(MountKind::Overlay)
        };
        assert_eq!(mount_problem(with), problem, "{size:?}");
    }
}

#[test]
fn mount_records_are_framed() {
    let bind = Mount {
        attrs: Mount::RDONLY | Mount::NOSYMFOLLOW,
        recursive: true,
        ..mount(MountKind::Bind)
    };
    let tmpfs = Mount {
        options: strings(b"size=1m\0"),
        ..mount(MountKind::Tmpfs)
    };
    let overlay = Mount {
        lower: strings(b"/a\0/b\0"),
        upper: Upper::Tmpfs { size: Some(c"9k") },
        ..mount(MountKind::Overlay)
    };
    let persisted = Mount {
        upper: Upper::Dir {
            upper: c"/u",
            work: c"/w",
        },
        ..mount(MountKind::Overlay)
    };
    let bytes = records([bind, tmpfs, overlay, persisted]);
    assert_eq!(
        bytes,
        [
            &[0, 0b0011, 1, 0, 0x20, 0, 0, 0][..],
            b"/mnt\0/srv\0",
            &[1, 0, 0, 0, 0, 0, 1, 0],
            b"/mnt\0size=1m\0",
            &[7, 0b1000, 0, 0, 0, 0, 0, 2],
            b"/mnt\0/a\0/b\09k\0",
            &[7, 0b1100, 0, 0, 0, 0, 0, 1],
            b"/mnt\0/layer\0/u\0/w\0",
        ]
        .concat()
    );
    let parsed: List<'_, Mount<'_>> = list(&bytes);
    assert_eq!(parsed.len(), 4);
    assert!(parsed.iter().eq([bind, tmpfs, overlay, persisted]));
    // An unknown kind, unknown flags, a cut head, a missing source, too few strings.
    let framing = "mount must be kind 0..=8, flags 0..=15, attrs, 2 counts, its strings";
    for bad in [
        &[9, 0, 0, 0, 0, 0, 0, 0, b'/', 0][..],
        &[1, 0x10, 0, 0, 0, 0, 0, 0, b'/', 0],
        &[1, 0, 0, 0, 0, 0, 0],
        &[0, 2, 0, 0, 0, 0, 0, 0, b'/', 0],
        &[1, 0, 0, 0, 0, 0, 1, 0, b'/', 0],
        &[7, 0b1100, 0, 0, 0, 0, 0, 1, b'/', 0, b'/', 0, b'/', 0],
        &[1, 0, 0, 0, 0, 0, 0, 0, b'/'],
    ] {
        assert_eq!(List::<Mount<'_>>::from_bytes_with_nul(bad), None, "{bad:?}");
        assert_eq!(
            wire::decode(&sealed(&one_field(5, 2, bad))).unwrap_err(),
            Error {
                offset: 22,
                what: framing
            },
            "{bad:?}"
        );
    }
    // What a record cannot hold is written so that decode refuses it.
    let huge = Mount {
        attrs: 1 << 32,
        ..mount(MountKind::Tmpfs)
    };
    assert_eq!(mount_problem(huge), Some("mount attrs has unknown bits"));
    let options = nul_joined((0..256).map(|i| format!("o{i}").into_bytes()));
    let many = Mount {
        options: strings(&options),
        ..mount(MountKind::Tmpfs)
    };
    let written = records([many]);
    assert_eq!(written, [u8::MAX]);
    assert_eq!(
        wire::decode(&sealed(&one_field(5, 2, &written)))
            .unwrap_err()
            .what,
        framing
    );
}

#[test]
fn mount_errors_point_at_the_string() {
    // Header 16, section 3, field 3: the first record is at 22, its strings at 30.
    let bytes = records([
        mount(MountKind::Proc),
        Mount {
            options: strings(b"mode=1\0,\0"),
            ..mount(MountKind::Tmpfs)
        },
    ]);
    let config = mounts_with(Mounts {
        entries: list(&bytes),
        ..Mounts::default()
    });
    // The proc is 8 + 5 bytes; the tmpfs's strings start 8 bytes later: "/mnt", "mode=1".
    assert_eq!(
        encode(&config),
        Err(EncodeError::Invalid(Error {
            offset: 22 + 13 + 8 + 5 + 7,
            what: "mount option must be key=value or flag: 1 to 255 bytes, without ,"
        }))
    );
    let bytes = records([Mount {
        recursive: true,
        ..mount(MountKind::Proc)
    }]);
    let config = mounts_with(Mounts {
        root: Some(c"/root"),
        entries: list(&bytes),
        ..Mounts::default()
    });
    // After the root field (3 + 6 bytes), the record's head.
    assert_eq!(
        encode(&config),
        Err(EncodeError::Invalid(Error {
            offset: 22 + 9,
            what: "only a bind mount is recursive"
        }))
    );
}

#[test]
fn mount_lists_are_limited() {
    let proc = records([mount(MountKind::Proc)]);
    for (count, expected) in [
        (MAX_MOUNTS, None),
        (MAX_MOUNTS + 1, Some("more than 256 mounts")),
    ] {
        let bytes = proc.repeat(count);
        let config = mounts_with(Mounts {
            entries: list(&bytes),
            ..Mounts::default()
        });
        assert_eq!(problem(&config), expected, "{count}");
    }
    for (count, masked, readonly) in [
        (MAX_MOUNT_PATHS, None, None),
        (
            MAX_MOUNT_PATHS + 1,
            Some("more than 64 masked paths"),
            Some("more than 64 read-only paths"),
        ),
    ] {
        let paths = nul_joined((0..count).map(|i| format!("/p{i}").into_bytes()));
        let config = mounts_with(Mounts {
            masked: strings(&paths),
            ..Mounts::default()
        });
        assert_eq!(problem(&config), masked, "{count}");
        let config = mounts_with(Mounts {
            readonly: strings(&paths),
            ..Mounts::default()
        });
        assert_eq!(problem(&config), readonly, "{count}");
    }
    let relative = strings(b"/a\0b\0");
    for (mounts, what) in [
        (
            Mounts {
                masked: relative,
                ..Mounts::default()
            },
            "masked path must be absolute",
        ),
        (
            Mounts {
                readonly: relative,
                ..Mounts::default()
            },
            "read-only path must be absolute",
        ),
        (
            Mounts {
                root: Some(c"srv/root"),
                ..Mounts::default()
            },
            "mount root must be absolute",
        ),
    ] {
        assert_eq!(problem(&mounts_with(mounts)), Some(what));
    }
    assert_eq!(
        wire::decode(&sealed(&one_field(5, 1, b"/a\0/b\0")))
            .unwrap_err()
            .what,
        "more than one path"
    );
}
