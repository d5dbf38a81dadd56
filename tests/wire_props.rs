//! Properties of `keel::wire`: encode→decode round trips, corruption is always detected and
//! never panics, every limit is enforced, and the shared text syntax parses what it prints.

use keel::wire::{
    self, Cgroup, Config, Delegate, EncodeError, Error, ExitCodes, HEADER_LEN, Limit, List,
    MAX_ARGS, MAX_CONTROLLERS, MAX_DELEGATES, MAX_ENV, MAX_LEN, MAX_LIMITS, MAX_SIGNAL, Mode,
    NAME_MAX, PATH_MAX, Process, Record, SignalRewrites, Strings, Supervision, syntax,
};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use std::ffi::CString;

/// Storage for a generated config, which `Config` borrows.
#[derive(Clone, Debug, Default)]
struct Owned {
    args: Vec<u8>,
    env_clear: bool,
    env_set: Vec<u8>,
    env_unset: Vec<u8>,
    cwd: Option<CString>,
    mode: Option<Mode>,
    subreaper: Option<bool>,
    kill_process_group: Option<bool>,
    remap_exit: Vec<u8>,
    grace_ms: Option<u32>,
    rewrite: Vec<[u8; 2]>,
    verbosity: Option<u8>,
    warn_on_reap: Option<bool>,
    parent_death_signal: Option<u8>,
    cgroup: Option<OwnedCgroup>,
}

/// A delegate's path, owner and `enable_controllers`.
type OwnedDelegate = (CString, Option<(u32, u32)>, bool);

/// Storage for a generated cgroup section.
#[derive(Clone, Debug, Default)]
struct OwnedCgroup {
    root: Option<CString>,
    mount: bool,
    leaf: Option<CString>,
    controllers: Vec<u8>,
    optional: Vec<u8>,
    delegates: Vec<OwnedDelegate>,
    limits: Vec<[CString; 3]>,
    workload: Option<CString>,
    /// `delegates` and `limits` as records, which the lists borrow.
    delegate_records: Vec<u8>,
    limit_records: Vec<u8>,
}

impl OwnedCgroup {
    fn delegates(&self) -> impl Iterator<Item = Delegate<'_>> {
        self.delegates
            .iter()
            .map(|(path, owner, enable_controllers)| Delegate {
                path,
                owner: *owner,
                enable_controllers: *enable_controllers,
            })
    }

    fn limits(&self) -> impl Iterator<Item = Limit<'_>> {
        self.limits.iter().map(|[cgroup, file, value]| Limit {
            cgroup,
            file,
            value,
        })
    }

    /// Writes the records the lists borrow.
    fn seal(mut self) -> OwnedCgroup {
        self.delegate_records = records(self.delegates());
        self.limit_records = records(self.limits());
        self
    }

    fn config(&self) -> Cgroup<'_> {
        Cgroup {
            root: self.root.as_deref(),
            mount: self.mount,
            leaf: self.leaf.as_deref(),
            controllers: strings(&self.controllers),
            optional: strings(&self.optional),
            delegates: list(&self.delegate_records),
            limits: list(&self.limit_records),
            workload: self.workload.as_deref(),
        }
    }
}

impl Owned {
    fn config(&self) -> Config<'_> {
        let mut remap_exit = ExitCodes::default();
        self.remap_exit
            .iter()
            .for_each(|&code| remap_exit.insert(code));
        Config {
            process: Process {
                args: strings(&self.args),
                env_clear: self.env_clear,
                env_set: strings(&self.env_set),
                env_unset: strings(&self.env_unset),
                cwd: self.cwd.as_deref(),
            },
            supervision: Supervision {
                mode: self.mode,
                subreaper: self.subreaper,
                kill_process_group: self.kill_process_group,
                remap_exit,
                grace_ms: self.grace_ms,
                rewrite: SignalRewrites::new(&self.rewrite),
                verbosity: self.verbosity,
                warn_on_reap: self.warn_on_reap,
                parent_death_signal: self.parent_death_signal,
            },
            cgroup: self.cgroup.as_ref().map(OwnedCgroup::config),
        }
    }
}

fn strings(bytes: &[u8]) -> Strings<'_> {
    list(bytes)
}

fn list<'a, T: Record<'a>>(bytes: &'a [u8]) -> List<'a, T> {
    List::from_bytes_with_nul(bytes).expect("test records are whole")
}

/// `items` written back to back, as a list's bytes.
fn records<'a, T: Record<'a>>(items: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for item in items {
        item.write(|piece| bytes.extend_from_slice(piece));
    }
    bytes
}

fn c_string(bytes: Vec<u8>) -> CString {
    CString::new(bytes).expect("generated without NUL")
}

/// `items` each followed by a NUL.
fn nul_joined<I: IntoIterator<Item = Vec<u8>>>(items: I) -> Vec<u8> {
    items
        .into_iter()
        .flat_map(|mut item| {
            item.push(0);
            item
        })
        .collect()
}

fn encode(config: &Config<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0; MAX_LEN];
    let len = wire::encode(config, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// A config from a raw body, with a valid header: for bodies `encode` cannot write.
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut config = vec![0; HEADER_LEN];
    config.extend_from_slice(body);
    wire::seal(&mut config);
    config
}

fn not_nul() -> impl Strategy<Value = u8> {
    1..=u8::MAX
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    vec(not_nul().prop_filter("no =", |&b| b != b'='), 1..8)
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Supervise), Just(Mode::Exec), Just(Mode::Machine)]
}

fn signal() -> impl Strategy<Value = u8> {
    1..=MAX_SIGNAL
}

/// A cgroup name: any bytes but NUL, `/` and newline, and not `.` or `..`.
fn cgroup_name() -> impl Strategy<Value = Vec<u8>> {
    vec(
        not_nul().prop_filter("no / or newline", |&b| b != b'/' && b != b'\n'),
        1..10,
    )
    .prop_filter("not . or ..", |name| name != b"." && name != b"..")
}

fn cgroup_path() -> impl Strategy<Value = CString> {
    vec(cgroup_name(), 1..4).prop_map(|names| c_string(names.join(&b'/')))
}

fn controller() -> impl Strategy<Value = Vec<u8>> {
    "[a-z0-9_]{1,10}".prop_map(String::into_bytes)
}

fn limit_file() -> impl Strategy<Value = CString> {
    (
        controller(),
        vec(not_nul().prop_filter("no /", |&b| b != b'/'), 1..10),
    )
        .prop_map(|(prefix, name)| c_string([prefix, b".".to_vec(), name].concat()))
        .prop_filter("not keel's", |file| {
            ![
                c"cgroup.procs",
                c"cgroup.threads",
                c"cgroup.subtree_control",
            ]
            .contains(&file.as_c_str())
        })
}

prop_compose! {
    /// A cgroup section `decode` accepts (nothing need fit together: keel-gen checks that).
    fn owned_cgroup()(
        root in proptest::option::of(vec(not_nul(), 0..20)),
        mount in any::<bool>(),
        leaf in proptest::option::of(cgroup_path()),
        controllers in vec(controller(), 0..4),
        optional in vec(controller(), 0..3),
        delegates in vec((cgroup_path(), any::<Option<(u32, u32)>>(), any::<bool>()), 0..4),
        limits in vec((cgroup_path(), limit_file(), vec(not_nul().prop_filter("no newline", |&b| b != b'\n'), 1..10)), 0..4),
        workload in proptest::option::of(cgroup_path()),
    ) -> OwnedCgroup {
        OwnedCgroup {
            root: root.map(|path| c_string([b"/".as_slice(), &path].concat())),
            mount,
            leaf,
            controllers: nul_joined(controllers),
            optional: nul_joined(optional),
            delegates,
            limits: limits.into_iter().map(|(cgroup, file, value)| [cgroup, file, c_string(value)]).collect(),
            workload,
            ..OwnedCgroup::default()
        }
        .seal()
    }
}

prop_compose! {
    /// Any config `decode` accepts (names need not be UTF-8, nothing need be sensible).
    fn owned()(
        args in proptest::option::of((vec(not_nul(), 1..12), vec(vec(not_nul(), 0..12), 0..6))),
        env_clear in any::<bool>(),
        env_set in vec((key(), vec(not_nul(), 0..12)), 0..5),
        env_unset in vec(key(), 0..5),
        cwd in proptest::option::of(vec(not_nul(), 0..20)),
        mode in proptest::option::of(mode()),
        subreaper in any::<Option<bool>>(),
        kill_process_group in any::<Option<bool>>(),
        remap_exit in vec(any::<u8>(), 0..5),
        grace_ms in any::<Option<u32>>(),
        rewrite in btree_map(signal(), 0..=MAX_SIGNAL, 0..6),
        verbosity in any::<Option<u8>>(),
        warn_on_reap in any::<Option<bool>>(),
        parent_death_signal in proptest::option::of(signal()),
        cgroup in proptest::option::of(owned_cgroup()),
    ) -> Owned {
        Owned {
            args: args.map(|(program, rest)| nul_joined([program].into_iter().chain(rest))).unwrap_or_default(),
            env_clear,
            env_set: nul_joined(env_set.into_iter().map(|(mut key, value)| {
                key.push(b'=');
                key.extend(value);
                key
            })),
            env_unset: nul_joined(env_unset),
            cwd: cwd.map(|path| CString::new([b"/".as_slice(), &path].concat()).expect("no NUL")),
            mode,
            subreaper,
            kill_process_group,
            remap_exit,
            grace_ms,
            rewrite: rewrite.into_iter().map(|(from, to)| [from, to]).collect(),
            verbosity,
            warn_on_reap,
            parent_death_signal,
            cgroup,
        }
    }
}

/// Decoding must never panic; a config that decodes must re-encode to one that decodes equal.
fn decode_and_reencode(bytes: &[u8]) {
    if let Ok(config) = wire::decode(bytes) {
        let again = encode(&config).expect("a decoded config re-encodes");
        assert_eq!(wire::decode(&again), Ok(config));
    }
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_config_back(owned in owned()) {
        let config = owned.config();
        let bytes = encode(&config).unwrap();
        prop_assert_eq!(wire::decode(&bytes), Ok(config));
        // Zero padding after the config is the rest of keel's embedded section.
        let padded = [bytes.as_slice(), &[0; 100]].concat();
        prop_assert_eq!(wire::decode(&padded), Ok(config));
        // The records read back as written.
        if let (Some(cgroup), Some(owned)) = (wire::decode(&bytes).unwrap().cgroup, &owned.cgroup) {
            prop_assert!(cgroup.delegates.iter().eq(owned.delegates()));
            prop_assert!(cgroup.limits.iter().eq(owned.limits()));
            prop_assert_eq!(cgroup.delegates.len(), owned.delegates.len());
            prop_assert_eq!(cgroup.limits.len(), owned.limits.len());
        }
        // The encoding is canonical.
        prop_assert_eq!(encode(&wire::decode(&bytes).unwrap()).unwrap(), bytes);
    }

    #[test]
    fn a_small_buffer_reports_the_size_needed(owned in owned()) {
        let config = owned.config();
        let needed = encode(&config).unwrap().len();
        let mut small = vec![0; needed - 1];
        prop_assert_eq!(wire::encode(&config, &mut small), Err(EncodeError::BufferTooSmall { needed }));
    }

    #[test]
    fn every_truncation_is_rejected(owned in owned()) {
        let bytes = encode(&owned.config()).unwrap();
        for len in 0..bytes.len() {
            prop_assert!(wire::decode(&bytes[..len]).is_err(), "accepted a config cut to {len} bytes");
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected(owned in owned()) {
        let bytes = encode(&owned.config()).unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut corrupt = bytes.clone();
            corrupt[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(wire::decode(&corrupt).is_err(), "accepted a config with bit {bit} flipped");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        decode_and_reencode(&bytes);
        decode_and_reencode(&sealed(&bytes));
    }

    #[test]
    fn mutated_configs_never_panic(owned in owned(), edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = encode(&owned.config()).unwrap();
        prop_assume!(bytes.len() > HEADER_LEN);
        for (at, byte) in edits {
            let at = at.index(bytes.len() - HEADER_LEN);
            bytes[HEADER_LEN + at] = byte;
        }
        wire::seal(&mut bytes);
        decode_and_reencode(&bytes);
    }

    #[test]
    fn signals_parse_back_from_their_names(signal in signal()) {
        let text = match syntax::signal_name(signal) {
            Some(name) => format!("SIG{name}"),
            None if signal >= syntax::RTMIN => format!("rtmin+{}", signal - syntax::RTMIN),
            None => signal.to_string(),
        };
        prop_assert_eq!(syntax::parse_signal(text.as_bytes()), Some(signal));
        prop_assert_eq!(syntax::parse_signal(signal.to_string().as_bytes()), Some(signal));
    }

    #[test]
    fn exit_code_sets_hold_what_was_inserted(codes in btree_set(any::<u8>(), 0..20)) {
        let mut set = ExitCodes::default();
        codes.iter().for_each(|&code| set.insert(code));
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), codes.into_iter().collect::<Vec<_>>());
    }
}

fn invalid(config: &Config<'_>) -> &'static str {
    match encode(config) {
        Err(EncodeError::Invalid(Error { what, .. })) => what,
        other => panic!("expected an invalid config, got {other:?}"),
    }
}

fn process_with(process: Process<'_>) -> Config<'_> {
    Config {
        process,
        ..Config::default()
    }
}

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
            &[1, 3, 0, 6, 0, 0],
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
        for cgroup in [
            Cgroup {
                controllers: strings(&names),
                ..Cgroup::default()
            },
            Cgroup {
                optional: strings(&names),
                ..Cgroup::default()
            },
        ] {
            assert_eq!(cgroup_problem(cgroup), problem, "{name:?}");
        }
    }
    for (count, problem) in [
        (MAX_CONTROLLERS, None),
        (MAX_CONTROLLERS + 1, Some("more than 32 controllers")),
    ] {
        let names = nul_joined((0..count).map(|i| format!("c{i}").into_bytes()));
        for cgroup in [
            Cgroup {
                controllers: strings(&names),
                ..Cgroup::default()
            },
            Cgroup {
                optional: strings(&names),
                ..Cgroup::default()
            },
        ] {
            assert_eq!(cgroup_problem(cgroup), problem, "{count}");
        }
    }
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
