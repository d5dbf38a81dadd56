//! The cgroup section: each check of the decoder.

mod common;

use common::*;

fn cgroup_with(cgroup: Cgroup<'_>) -> Config<'_> {
    Config {
        cgroup: Some(cgroup),
        ..Config::default()
    }
}

/// What `decode` says about a cgroup section, `None` if it accepts it.
fn cgroup_problem(cgroup: Cgroup<'_>) -> Option<&'static str> {
    match encode(&cgroup_with(cgroup)) {
        Ok(_) => None,
        Err(EncodeError::Invalid(Error { what, .. })) => Some(what),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_cgroup_section_is_present() {
    // Present and empty: keel sets cgroups up with every default.
    let bytes = encode(&cgroup_with(Cgroup::default())).unwrap();
    assert_eq!(bytes[HEADER_LEN..], [3, 0, 0]);
    assert_eq!(
        wire::decode(&bytes).unwrap().cgroup,
        Some(Cgroup::default())
    );
    // Absent: keel touches no cgroup.
    assert_eq!(
        wire::decode(&encode(&Config::default()).unwrap())
            .unwrap()
            .cgroup,
        None
    );
}

#[test]
fn cgroup_paths_are_checked() {
    let longest_name = "n".repeat(NAME_MAX);
    let too_long_name = "n".repeat(NAME_MAX + 1);
    let longest_path = vec!["n"; PATH_MAX / 2 - 1].join("/") + "/n";
    let too_long_path = format!("{longest_path}n");
    let relative = Some("cgroup path must be relative, without empty, . or .. components");
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("init", None),
        ("a/b/c", None),
        ("...", None),
        (".a/b.", None),
        ("a b", None),
        (&longest_name, None),
        (&longest_path, None),
        ("", relative),
        ("/a", relative),
        ("a/", relative),
        ("a//b", relative),
        (".", relative),
        ("..", relative),
        ("a/./b", relative),
        ("a/..", relative),
        ("a\nb", Some("cgroup name has a newline")),
        (&too_long_name, Some("cgroup name longer than 255 bytes")),
        (&too_long_path, Some("path longer than PATH_MAX")),
    ];
    assert_eq!(longest_path.len(), PATH_MAX - 1);
    for (path, problem) in cases {
        let path = CString::new(path).unwrap();
        let (file, value) = (c"memory.max", c"1G");
        let limit = records([Limit {
            cgroup: &path,
            file,
            value,
        }]);
        let delegate = records([Delegate {
            path: &path,
            owner: None,
            enable_controllers: true,
        }]);
        let each_place = [
            Cgroup {
                leaf: Some(&path),
                ..Cgroup::default()
            },
            Cgroup {
                workload: Some(&path),
                ..Cgroup::default()
            },
            Cgroup {
                delegates: list(&delegate),
                ..Cgroup::default()
            },
            Cgroup {
                limits: list(&limit),
                ..Cgroup::default()
            },
        ];
        for cgroup in each_place {
            assert_eq!(cgroup_problem(cgroup), problem, "{path:?} in {cgroup:?}");
        }
    }
    assert_eq!(
        cgroup_problem(Cgroup {
            root: Some(c"sys/fs/cgroup"),
            ..Cgroup::default()
        }),
        Some("cgroup root must be absolute")
    );
}

#[test]
fn controllers_are_checked() {
    let longest = "c".repeat(64);
    let too_long = "c".repeat(65);
    let bad = Some("controller name must be 1 to 64 of [a-z0-9_]");
    let cases: [(&str, Option<&str>); 6] = [
        ("perf_event", None),
        (&longest, None),
        (&too_long, bad),
        ("", bad),
        ("Memory", bad),
        ("cpu+", bad),
    ];
    for (name, problem) in cases {
        let names = nul_joined([name.as_bytes().to_vec()]);
        for cgroup in in_both_controller_lists(&names) {
            assert_eq!(cgroup_problem(cgroup), problem, "{name:?}");
        }
    }
    for (count, problem) in [
        (MAX_CONTROLLERS, None),
        (MAX_CONTROLLERS + 1, Some("more than 32 controllers")),
    ] {
        let names = nul_joined((0..count).map(|i| format!("c{i}").into_bytes()));
        for cgroup in in_both_controller_lists(&names) {
            assert_eq!(cgroup_problem(cgroup), problem, "{count}");
        }
    }
}

/// A cgroup section with `names` as its controllers, and one with them as its optional ones:
/// both lists follow the same rules.
fn in_both_controller_lists(names: &[u8]) -> [Cgroup<'_>; 2] {
    [
        Cgroup {
            controllers: strings(names),
            ..Cgroup::default()
        },
        Cgroup {
            optional: strings(names),
            ..Cgroup::default()
        },
    ]
}

#[test]
fn limits_are_checked() {
    let longest = format!("memory.{}", "m".repeat(NAME_MAX - 7));
    let too_long = format!("memory.{}", "m".repeat(NAME_MAX - 6));
    let form = Some("limit file must be PREFIX.NAME, without /");
    let keels = Some("limit file is one keel writes itself");
    let files: [(&str, Option<&str>); 14] = [
        ("memory.max", None),
        ("hugetlb.2MB.max", None),
        ("cgroup.max.depth", None),
        ("memory..", None),
        (&longest, None),
        (&too_long, form),
        ("memory", form),
        (".max", form),
        ("memory.", form),
        ("memory.a/b", form),
        ("Memory.max", form),
        ("cgroup.procs", keels),
        ("cgroup.threads", keels),
        ("cgroup.subtree_control", keels),
    ];
    let values: [(&str, Option<&str>); 4] = [
        ("max", None),
        ("10000 100000", None),
        ("", Some("limit value is empty")),
        ("1G\n", Some("limit value has a newline")),
    ];
    let cases = files
        .iter()
        .map(|&(file, problem)| (file, "1", problem))
        .chain(
            values
                .iter()
                .map(|&(value, problem)| ("memory.max", value, problem)),
        );
    for (file, value, problem) in cases {
        let (file, value) = (CString::new(file).unwrap(), CString::new(value).unwrap());
        let limit = records([Limit {
            cgroup: c"init",
            file: &file,
            value: &value,
        }]);
        let cgroup = Cgroup {
            limits: list(&limit),
            ..Cgroup::default()
        };
        assert_eq!(cgroup_problem(cgroup), problem, "{file:?} = {value:?}");
    }
}

#[test]
fn delegates_and_limits_are_limited() {
    let names: Vec<CString> = (0..=MAX_LIMITS)
        .map(|i| CString::new(format!("d{i}")).unwrap())
        .collect();
    for (count, problem) in [
        (MAX_DELEGATES, None),
        (MAX_DELEGATES + 1, Some("more than 64 delegates")),
    ] {
        let delegates = records(names[..count].iter().map(|path| Delegate {
            path,
            owner: Some((1, 2)),
            enable_controllers: false,
        }));
        let cgroup = Cgroup {
            delegates: list(&delegates),
            ..Cgroup::default()
        };
        assert_eq!(cgroup_problem(cgroup), problem, "{count}");
    }
    for (count, problem) in [
        (MAX_LIMITS, None),
        (MAX_LIMITS + 1, Some("more than 256 limits")),
    ] {
        let limits = records(names[..count].iter().map(|cgroup| Limit {
            cgroup,
            file: c"pids.max",
            value: c"9",
        }));
        let cgroup = Cgroup {
            limits: list(&limits),
            ..Cgroup::default()
        };
        assert_eq!(cgroup_problem(cgroup), problem, "{count}");
    }
}

#[test]
fn delegate_records_are_framed() {
    let delegates = [
        Delegate {
            path: c"a",
            owner: None,
            enable_controllers: false,
        },
        Delegate {
            path: c"b/c",
            owner: Some((1000, 0)),
            enable_controllers: true,
        },
        Delegate {
            path: c"d",
            owner: Some((0, u32::MAX)),
            enable_controllers: false,
        },
    ];
    let bytes = records(delegates);
    assert_eq!(
        bytes,
        [
            &[0, b'a', 0][..],
            &[3, 0xe8, 3, 0, 0, 0, 0, 0, 0, b'b', b'/', b'c', 0],
            &[2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, b'd', 0],
        ]
        .concat()
    );
    let parsed: List<'_, Delegate<'_>> = list(&bytes);
    assert_eq!(parsed.len(), 3);
    assert!(parsed.iter().eq(delegates));
    // Unknown flags, a cut owner, a path without its NUL.
    for bad in [&[4, b'a', 0][..], &[2, 1, 0, 0, 0, 0, 0, 0, 0], &[1, b'a']] {
        assert_eq!(
            List::<Delegate<'_>>::from_bytes_with_nul(bad),
            None,
            "{bad:?}"
        );
        let field = [&[6][..], &(bad.len() as u16).to_le_bytes(), bad].concat();
        let body = [&[3][..], &(field.len() as u16).to_le_bytes(), &field].concat();
        let what = wire::decode(&sealed(&body)).unwrap_err().what;
        assert!(
            what.starts_with("delegate must be") || what == "string lacks its NUL",
            "{bad:?}: {what}"
        );
    }
    // A limit is three strings.
    let field = [&[7][..], &6u16.to_le_bytes(), b"a\0b.c\0"].concat();
    let body = [&[3][..], &(field.len() as u16).to_le_bytes(), &field].concat();
    assert_eq!(
        wire::decode(&sealed(&body)).unwrap_err().what,
        "string lacks its NUL"
    );
}

#[test]
fn cgroup_errors_point_at_the_string() {
    // Header 16, section header 3, field header 3: the first record is at 22.
    let limit = records([
        Limit {
            cgroup: c"init",
            file: c"pids.max",
            value: c"9",
        },
        Limit {
            cgroup: c"init",
            file: c"cgroup.procs",
            value: c"1",
        },
    ]);
    let config = cgroup_with(Cgroup {
        limits: list(&limit),
        ..Cgroup::default()
    });
    assert_eq!(
        encode(&config),
        Err(EncodeError::Invalid(Error {
            offset: 22 + 16 + 5,
            what: "limit file is one keel writes itself"
        }))
    );
    let delegate = records([Delegate {
        path: c"a/",
        owner: Some((1, 1)),
        enable_controllers: true,
    }]);
    let config = cgroup_with(Cgroup {
        delegates: list(&delegate),
        ..Cgroup::default()
    });
    assert!(matches!(
        encode(&config),
        Err(EncodeError::Invalid(Error { offset: 31, .. }))
    ));
    let config = cgroup_with(Cgroup {
        leaf: Some(c"a"),
        workload: Some(c".."),
        ..Cgroup::default()
    });
    assert!(matches!(
        encode(&config),
        Err(EncodeError::Invalid(Error { offset: 27, .. }))
    ));
}

#[test]
fn cgroup_paths_are_one_each() {
    for (id, two) in [(1, &b"/a\0/b\0"[..]), (3, b"a\0b\0"), (8, b"a\0b\0")] {
        let field = [&[id][..], &(two.len() as u16).to_le_bytes(), two].concat();
        let body = [&[3][..], &(field.len() as u16).to_le_bytes(), &field].concat();
        assert_eq!(
            wire::decode(&sealed(&body)),
            Err(Error {
                offset: 22 + two.len() as u32 / 2,
                what: "more than one path"
            }),
            "field {id}"
        );
    }
    // mount is a flag.
    assert_eq!(
        wire::decode(&sealed(&[3, 4, 0, 2, 1, 0, 1]))
            .unwrap_err()
            .what,
        "flag must be empty"
    );
    let bytes = sealed(&[3, 3, 0, 2, 0, 0]);
    let config = wire::decode(&bytes).unwrap();
    assert_eq!(
        config.cgroup,
        Some(Cgroup {
            mount: true,
            ..Cgroup::default()
        })
    );
}

#[test]
fn the_check_functions_are_the_decoders() {
    assert_eq!(wire::check_cgroup_path(b"a/b"), Ok(()));
    assert!(wire::check_cgroup_path(b"/a").is_err());
    assert_eq!(wire::check_controller(b"io"), Ok(()));
    assert!(wire::check_controller(b"IO").is_err());
    assert_eq!(wire::check_limit_file(b"io.max"), Ok(()));
    assert!(wire::check_limit_file(b"io").is_err());
    assert_eq!(wire::check_limit_value(b"max"), Ok(()));
    assert!(wire::check_limit_value(b"").is_err());
}
