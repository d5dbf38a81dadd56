//! The command line and environment, tini-compatible.
//!
//! Options end at the first non-option or at `--`: `keel ls -l` runs `ls -l` (tini's getopt
//! would permute and eat the `-l`). Environment variables act like their flags and are
//! overridden by them; keel's `KEEL_*` names and tini's `TINI_*` names are both accepted.

use crate::log::{self, Bytes, error};
use crate::sys::StrArray;
use core::ffi::CStr;
use keel_wire::{self as wire, ExitCodes, syntax};

/// keel's exit codes of its own, besides the workload's status (documented in README.md).
pub mod exit {
    /// Bad command line or bad config: nothing was changed.
    pub const USAGE: i32 = 2;
    /// Setting up failed at run time (fork, mounts, cgroups…).
    pub const SETUP: i32 = 125;
    /// The program was found but could not be executed.
    pub const NOT_EXECUTABLE: i32 = 126;
    /// The program was not found.
    pub const NOT_FOUND: i32 = 127;
    /// keel panicked (a bug).
    pub const INTERNAL: i32 = 70;
}

/// What keel does with the workload.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fork it and supervise it (tini's job). The default.
    Supervise,
    /// Replace keel with it after setup (an init script's `exec "$@"`).
    Exec,
    /// Supervise it as the machine's init, then power off.
    Machine,
}

/// Everything the command line, the environment and a config decide.
pub struct Settings {
    pub program: StrArray,
    pub config: Option<&'static CStr>,
    pub mode: Option<Mode>,
    pub subreaper: bool,
    pub parent_death_signal: Option<u8>,
    pub kill_process_group: bool,
    /// Exit codes reported as 0 (`-e`).
    pub remap_exit: ExitCodes,
    pub verbosity: Option<u8>,
    pub warn_on_reap: bool,
    pub grace_ms: Option<u32>,
    /// `rewrite[n]`, when set, is the signal forwarded when keel receives signal `n`; 0 drops it.
    pub rewrite: [Option<u8>; wire::MAX_SIGNAL as usize + 1],
    pub keep_fds: bool,
    /// The workload's environment changes and working directory, from a config.
    pub process: wire::Process<'static>,
    /// Re-execute keel from a sealed copy first; None: when keel is PID 1.
    pub seal_exe: Option<bool>,
    pub cgroup: Option<wire::Cgroup<'static>>,
    pub namespaces: Option<wire::Namespaces<'static>>,
    pub mounts: Option<wire::Mounts<'static>>,
    pub landlock: Option<wire::Landlock<'static>>,
    #[cfg(feature = "services")]
    pub services: wire::Services<'static>,
}

/// What the command line asks for: run with these settings, or (`Err`) exit at once with
/// this status after `-h`, `--version`, `-l` or a usage error.
pub type Parsed = Result<Settings, i32>;

/// The `--help` text; keel-gen renders the same file as keel(1), so the two cannot drift.
const USAGE: &str = include_str!("usage.txt");

const LICENCE: &str = "\
keel is distributed under the MIT License:

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the \"Software\"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
";

/// tini's shape, `tini version X - git.COMMIT`, which `docker info` parses: it shows the
/// commit as the init version, and wants no `.` in it; X names keel and its version.
const VERSION: &str = concat!(
    "tini version keel-",
    env!("CARGO_PKG_VERSION"),
    " - git.",
    env!("KEEL_GIT_COMMIT"),
    "\n"
);

impl Settings {
    fn new() -> Settings {
        Settings {
            program: StrArray::EMPTY,
            config: None,
            mode: None,
            subreaper: false,
            parent_death_signal: None,
            kill_process_group: false,
            remap_exit: ExitCodes::default(),
            verbosity: None,
            warn_on_reap: false,
            grace_ms: None,
            rewrite: [None; wire::MAX_SIGNAL as usize + 1],
            keep_fds: false,
            process: wire::Process::default(),
            seal_exe: None,
            cgroup: None,
            namespaces: None,
            mounts: None,
            landlock: None,
            #[cfg(feature = "services")]
            services: wire::Services::default(),
        }
    }

    /// The signal to forward when keel receives `sig`: itself unless rewritten; 0 drops it.
    pub fn forwarded_as(&self, sig: i32) -> i32 {
        match usize::try_from(sig).ok().and_then(|i| self.rewrite.get(i)) {
            Some(Some(to)) => i32::from(*to),
            _ => sig,
        }
    }
}

/// Reads the command line, then the environment for what the command line left unset.
pub fn parse(args: StrArray, env: StrArray) -> Parsed {
    let mut s = Settings::new();
    let mut i = 1;
    let mut verbose: u8 = 0;
    while let Some(arg) = args.get(i) {
        let bytes = arg.to_bytes();
        i += 1;
        if bytes == b"--" {
            break;
        }
        if !bytes.starts_with(b"-") || bytes == b"-" {
            i -= 1;
            break;
        }
        // An option's value is the rest of this argument (`--grace=5s`, `-e143`) or the next
        // argument. Either way it is NUL-terminated, so a path can go to open(2) as it is.
        let mut value = |inline_from: usize| -> Option<&'static CStr> {
            match arg.to_bytes_with_nul().get(inline_from..) {
                Some(rest) if rest.len() > 1 => CStr::from_bytes_with_nul(rest).ok(),
                _ => {
                    i += 1;
                    args.get(i - 1)
                }
            }
        };
        if let Some(long) = bytes.strip_prefix(b"--") {
            let eq = long.iter().position(|&c| c == b'=');
            let name = &long[..eq.unwrap_or(long.len())];
            let inline_from = eq.map_or(usize::MAX, |eq| 2 + eq + 1);
            let ok = match name {
                b"help" => return print_ok(USAGE),
                b"version" => return print_ok(VERSION),
                b"exec" => set(&mut s.mode, Some(Mode::Exec)),
                b"machine" => set(&mut s.mode, Some(Mode::Machine)),
                b"keep-fds" => set(&mut s.keep_fds, true),
                b"seal" => set(&mut s.seal_exe, Some(true)),
                b"no-seal" => set(&mut s.seal_exe, Some(false)),
                b"config" => value(inline_from).map(|v| s.config = Some(v)).is_some(),
                b"grace" => value(inline_from)
                    .and_then(|v| syntax::parse_duration_ms(v.to_bytes()))
                    .map(|ms| s.grace_ms = Some(ms))
                    .is_some(),
                b"rewrite" => value(inline_from).is_some_and(|v| add_rewrite(&mut s, v.to_bytes())),
                _ => return bad_option(bytes),
            };
            if !ok {
                return bad_value(bytes);
            }
            continue;
        }
        // A cluster of short options: `-vvv`, `-sg`, `-e143`, `-e 143`.
        for (j, &c) in bytes.iter().enumerate().skip(1) {
            let ok = match c {
                b'h' => return print_ok(USAGE),
                b'l' => return print_ok(LICENCE),
                b's' => set(&mut s.subreaper, true),
                b'g' => set(&mut s.kill_process_group, true),
                b'w' => set(&mut s.warn_on_reap, true),
                b'v' => {
                    verbose = verbose.saturating_add(1);
                    true
                }
                b'c' => value(j + 1).map(|v| s.config = Some(v)).is_some(),
                b'p' => value(j + 1)
                    .and_then(|v| syntax::parse_signal(v.to_bytes()))
                    .map(|n| s.parent_death_signal = Some(n))
                    .is_some(),
                b'e' => value(j + 1)
                    .and_then(|v| syntax::parse_decimal(v.to_bytes()))
                    .and_then(|code| u8::try_from(code).ok())
                    .map(|code| s.remap_exit.insert(code))
                    .is_some(),
                b'r' => value(j + 1).is_some_and(|v| add_rewrite(&mut s, v.to_bytes())),
                _ => return bad_option(&[b'-', c]),
            };
            if !ok {
                return bad_value(&[b'-', c]);
            }
            // An option with a value takes the rest of the cluster.
            if matches!(c, b'c' | b'p' | b'e' | b'r') {
                break;
            }
        }
    }
    s.program = args.tail(i);
    if verbose > 0 {
        s.verbosity = Some(1 + verbose);
    }
    read_env(&mut s, env);
    Ok(s)
}

/// Environment variables fill in what the command line did not say.
fn read_env(s: &mut Settings, env: StrArray) {
    let var = |keel: &[u8], tini: &[u8]| lookup(env, keel).or_else(|| lookup(env, tini));
    s.subreaper |= var(b"KEEL_SUBREAPER", b"TINI_SUBREAPER").is_some();
    s.kill_process_group |= var(b"KEEL_KILL_PROCESS_GROUP", b"TINI_KILL_PROCESS_GROUP").is_some();
    if s.verbosity.is_none() {
        s.verbosity = var(b"KEEL_VERBOSITY", b"TINI_VERBOSITY")
            .and_then(syntax::parse_decimal)
            .map(|n| n.min(9) as u8);
    }
    if s.config.is_none() {
        s.config = lookup_cstr(env, b"KEEL_CONFIG");
    }
}

/// The value of `name` in `env`.
pub fn lookup(env: StrArray, name: &[u8]) -> Option<&'static [u8]> {
    env.iter().find_map(|entry| {
        let entry = entry.to_bytes();
        entry.strip_prefix(name)?.strip_prefix(b"=")
    })
}

/// The value of `name` as a NUL-terminated string (it ends where the entry ends).
fn lookup_cstr(env: StrArray, name: &[u8]) -> Option<&'static CStr> {
    env.iter().find_map(|entry| {
        let rest = entry
            .to_bytes_with_nul()
            .strip_prefix(name)?
            .strip_prefix(b"=")?;
        CStr::from_bytes_with_nul(rest)
            .ok()
            .filter(|v| !v.is_empty())
    })
}

fn set<T>(field: &mut T, value: T) -> bool {
    *field = value;
    true
}

/// `FROM:TO` with signal names or numbers; `TO` may be 0 to drop the signal.
fn add_rewrite(s: &mut Settings, spec: &[u8]) -> bool {
    match syntax::parse_rewrite(spec) {
        Some((from, to)) => {
            s.rewrite[usize::from(from)] = Some(to);
            true
        }
        None => false,
    }
}

fn print_ok(text: &str) -> Parsed {
    let _ = rustix::io::write(crate::sys::stdio(1), text.as_bytes());
    Err(0)
}

fn usage_error() -> Parsed {
    let _ = rustix::io::write(crate::sys::stdio(2), USAGE.as_bytes());
    Err(exit::USAGE)
}

fn bad_option(option: &[u8]) -> Parsed {
    error!("unknown option '{}'", Bytes(option));
    usage_error()
}

fn bad_value(option: &[u8]) -> Parsed {
    error!("option '{}' needs a valid value", Bytes(option));
    usage_error()
}

/// Neither the command line nor a config names a program: say so, then show the usage.
pub fn missing_program() -> i32 {
    error!("no program to run: keel [OPTIONS] [--] PROGRAM [ARGS...]");
    usage_error().err().unwrap_or(exit::USAGE)
}

/// Applies the verbosity decided by the command line, the environment or the config.
pub fn apply_verbosity(s: &Settings) {
    if let Some(level) = s.verbosity {
        log::set_verbosity(level);
    }
}
