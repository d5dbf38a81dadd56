//! Section 0x07: services round trip, and the decoder refuses what keel could not run.

use keel_wire::{
    self as wire, Config, Features, List, Process, Ready, Record, Restart, Service, Strings,
};

fn args(bytes: &[u8]) -> Strings<'_> {
    Strings::from_bytes_with_nul(bytes).unwrap()
}

fn service<'a>(name: &'a core::ffi::CStr, argv: &'a [u8], after: &'a [u8]) -> Service<'a> {
    Service {
        name,
        process: Process {
            args: args(argv),
            ..Process::default()
        },
        after: List::from_bytes_with_nul(after).unwrap(),
        ready: Ready::Notify,
        restart: Restart::OnFailure,
        critical: true,
        stop_signal: 3,
        stop_grace_ms: 250,
        ready_timeout_ms: 1000,
        restart_delay_ms: 10,
        restart_max_ms: 80,
        restart_reset_ms: 5000,
    }
}

/// The records of `services`, as keel-gen writes them.
fn records(services: &[Service<'_>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for service in services {
        service.write(|part| bytes.extend_from_slice(part));
    }
    bytes
}

/// A config of the services section alone, written by hand: `List::from_bytes_with_nul`
/// would check the records, and these tests hand the decoder bad ones.
fn encoded(records: &[u8]) -> Result<Vec<u8>, wire::Error> {
    let field_len = u16::try_from(records.len()).unwrap();
    let mut config = vec![0; wire::HEADER_LEN];
    config.push(0x07);
    config.extend_from_slice(&(field_len + 3).to_le_bytes());
    config.push(0x01);
    config.extend_from_slice(&field_len.to_le_bytes());
    config.extend_from_slice(records);
    wire::seal(&mut config);
    wire::decode(&config).map(drop)?;
    Ok(config)
}

#[test]
fn services_round_trip_with_their_process_and_after() {
    let mut web = service(c"web", b"/app/server\0--port\08080\0", b"\0");
    web.ready = Ready::Fd(3);
    web.restart = Restart::Always;
    web.process.cwd = Some(c"/srv");
    let db = service(c"db", b"/usr/bin/redis-server\0", b"");
    let bytes = records(&[db, web]);
    let config = encoded(&bytes).unwrap();
    // The encoder writes the same bytes.
    let from_encoder = Config {
        services: List::from_bytes_with_nul(&bytes).unwrap(),
        ..Config::default()
    };
    let mut buf = vec![0; wire::MAX_LEN];
    let len = wire::encode(&from_encoder, &mut buf).unwrap();
    assert_eq!(buf[..len], config[..]);
    let decoded = wire::decode(&config).unwrap();
    let got: Vec<Service<'_>> = decoded.services.iter().collect();
    assert_eq!(got, [db, web]);
    assert_eq!(got[1].after.iter().collect::<Vec<u8>>(), [0]);
    // A keel built without services refuses the section at its offset.
    let error = wire::decode_for(&config, Features::ALL.with(Features::SERVICES, false));
    assert_eq!(
        error.unwrap_err().what,
        "this keel was built without services"
    );
}

#[test]
fn the_decoder_refuses_bad_services() {
    let base = service(c"db", b"/bin/db\0", b"");
    let cases: [(Service<'_>, &str); 6] = [
        (
            service(c"web", b"/bin/web\0", b"\0"),
            "service after must name earlier services, increasing",
        ),
        (
            Service {
                name: c"a b",
                ..base
            },
            "service name must be 1 to 32 of A-Z a-z 0-9 . _ -",
        ),
        (
            Service {
                process: Process::default(),
                ..base
            },
            "service needs args",
        ),
        (
            Service {
                restart_max_ms: 1,
                ..base
            },
            "service restart_max_ms must be at least restart_delay_ms",
        ),
        (
            Service {
                ready: Ready::Fd(2),
                ..base
            },
            "service ready must be 0 or 1 with fd 0, or 2 with fd 3..=255",
        ),
        (
            Service {
                stop_signal: 65,
                ..base
            },
            "signal must be 1..=64",
        ),
    ];
    for (bad, what) in cases {
        match encoded(&records(&[bad])) {
            Err(error) => assert_eq!(error.what, what, "{bad:?}"),
            other => panic!("{bad:?} gave {other:?}, not {what}"),
        }
    }
    let too_many = records(&vec![base; wire::MAX_SERVICES + 1]);
    let Err(error) = encoded(&too_many) else {
        panic!("33 services encoded");
    };
    assert_eq!(error.what, "more than 32 services");
}
