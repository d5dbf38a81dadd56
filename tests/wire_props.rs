//! Properties of `keel::wire`: encode→decode round trips, corruption is always detected and
//! never panics, every limit is enforced, and the shared text syntax parses what it prints.

use keel::wire::{
    self, Config, EncodeError, Error, ExitCodes, HEADER_LEN, MAX_ARGS, MAX_ENV, MAX_LEN,
    MAX_SIGNAL, Mode, PATH_MAX, Process, SignalRewrites, Strings, Supervision, syntax,
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
        }
    }
}

fn strings(bytes: &[u8]) -> Strings<'_> {
    Strings::from_bytes_with_nul(bytes).expect("test strings end with NUL")
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
    assert_eq!(invalid(&config), "cwd longer than PATH_MAX");
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
        (&[3, 0, 0], 16, "unknown required id: needs a newer keel"),
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
        (&[1, 4, 0, 2, 1, 0, 0], 22, "env_clear must be empty"),
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
