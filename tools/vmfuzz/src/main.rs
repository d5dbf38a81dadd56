//! vmfuzz: the case generator of `scripts/fuzz-vm.sh`, which runs keel as PID 1 in QEMU VMs.
//!
//! ```text
//! cargo run --release -p vmfuzz -- --seed S --cases N [--first I] \
//!     --keel-gen target/release/keel-gen --out DIR
//! ```
//!
//! Case `I` of seed `S` depends on `S` and `I` only (its own PRNG stream), so any case can be
//! regenerated alone. Each case is a directory `DIR/sS-IIIII/` with:
//!
//! - `config.toml` (valid and near-valid cases), compiled by the real keel-gen into
//!   `config.cfg`; binary cases mutate that compiled config in place;
//! - `payload`: the busybox sh program keel runs. It prints `FZ-RAN`, checks from inside
//!   the state the config describes (ids, groups, capabilities, umask, cwd, env, rlimits,
//!   oom_score_adj, hostname, namespaces, mounts with their attributes, cgroup and limits),
//!   prints one `FZ-FAIL what` line per difference, and exits with the case's exit code;
//! - `userns`: `1` when the guest runner gives keel a user namespace of its own (an identity
//!   map) besides the fresh pid, mount and cgroup namespaces, else `0`;
//! - `expect`: what the host driver holds the outcome to, `key=value` lines:
//!   `kind` (valid, near or binary), `allow` (the exit statuses keel may report), `signal`
//!   (the one signal keel may die of: 2 in machine mode, where reboot(2) in a pid namespace
//!   kills its init with SIGINT; else empty), `checks` (1: every payload check must pass),
//!   `decode_error` (binary cases keel must refuse: the decoder's `offset N: what`),
//!   `verbosity`, `exec` (1: the payload replaces keel, so a boot with keel as the kernel's
//!   init ends in the kernel's "Attempted to kill init" by design), `mode_set` (1: the
//!   config chooses the mode, so as the kernel's init keel is not in machine mode and its
//!   exit panics the kernel, as documented), and `about` (what the
//!   generator did, for humans).
//!
//! Valid cases stay within what the guest offers (controllers, paths, kernel limits) and
//! must produce exactly the described state. Near-valid ones are accepted by keel-gen but
//! refused by the guest's kernel or filesystem (missing paths, absent controllers, limits the
//! kernel refuses, counts near the MAX_* limits, odd bytes): keel must end with a documented
//! status and one-line messages. Binary cases flip, insert, delete or truncate bytes of a
//! compiled config, and usually re-seal it (length and CRC-32C) so the mutation gets past the
//! checksum; `keel_wire::decode` itself predicts whether keel must refuse it.

use keel_wire::{self as wire, Mode};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod case;
mod mutate;
mod process;
mod sandbox;

use case::*;
use mutate::*;
use process::*;
use sandbox::*;

/// Exit status 0: every case written; 1: some could not be (each named on stderr, its
/// directory removed, the others written): a campaign goes on without them and counts them
/// as failures; 2: bad usage or an I/O error.
fn main() -> ExitCode {
    match run() {
        Ok(0) => ExitCode::SUCCESS,
        Ok(unwritten) => {
            eprintln!("vmfuzz: {unwritten} cases could not be written (above); the rest are");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("vmfuzz: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes the cases; returns how many could not be written.
fn run() -> Result<u64, String> {
    let mut seed = None;
    let mut cases = None;
    let mut first = 0;
    let mut keel_gen = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--seed" => seed = Some(value()?.parse::<u64>().map_err(|e| e.to_string())?),
            "--cases" => cases = Some(value()?.parse::<u64>().map_err(|e| e.to_string())?),
            "--first" => first = value()?.parse::<u64>().map_err(|e| e.to_string())?,
            "--keel-gen" => keel_gen = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let (Some(seed), Some(cases), Some(keel_gen), Some(out)) = (seed, cases, keel_gen, out) else {
        return Err(
            "usage: vmfuzz --seed S --cases N [--first I] --keel-gen PATH --out DIR".into(),
        );
    };
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut unwritten = 0;
    for i in first..first + cases {
        // One bad case (a generator bug keel-gen refuses, or a keel-gen crash) must not
        // stop the campaign: it is reported and left out.
        if let Err(e) = generate(seed, i, &keel_gen, &out) {
            eprintln!("vmfuzz: FAIL-generator {e}");
            let _ = fs::remove_dir_all(out.join(case_name(seed, i)));
            unwritten += 1;
        }
    }
    Ok(unwritten)
}

fn case_name(seed: u64, i: u64) -> String {
    format!("s{seed}-{i:05}")
}

/// Writes case `i` of `seed` into `out`. A case keel-gen refuses is a bug in this generator
/// (or keel-gen), reported as an error; a keel-gen that crashes is reported too.
fn generate(seed: u64, i: u64, keel_gen: &Path, out: &Path) -> Result<(), String> {
    let name = case_name(seed, i);
    let dir = out.join(&name);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut rng = Rng::new(seed, i);
    let kind = match rng.below(100) {
        0..50 => Kind::Valid,
        50..75 => Kind::Near,
        _ => Kind::Binary,
    };
    let mut exit = rng.below(100) as u8;
    while KEEL_STATUSES.contains(&exit) {
        exit += 1;
    }
    let outer_userns = rng.chance(25);
    let mut c = Case {
        rng,
        kind,
        dir: format!("{GUEST_CASES}/{name}"),
        toml: String::new(),
        checks: Vec::new(),
        about: Vec::new(),
        exit,
        status: exit,
        machine: false,
        exec: false,
        mode_set: false,
        verbosity: 1,
        outer_userns,
        unshare: None,
        mounts_in_userns: outer_userns,
        only_root_mapped: false,
    };
    build_toml(&mut c);

    let toml_path = dir.join("config.toml");
    let cfg_path = dir.join("config.cfg");
    write(&toml_path, c.toml.as_bytes(), 0o644)?;
    write(&dir.join("payload"), payload(&c).as_bytes(), 0o755)?;
    write(
        &dir.join("userns"),
        if c.outer_userns { b"1\n" } else { b"0\n" },
        0o644,
    )?;
    let built = Command::new(keel_gen)
        .arg("build")
        .arg(&toml_path)
        .arg("-o")
        .arg(&cfg_path)
        .output()
        .map_err(|e| format!("{}: {e}", keel_gen.display()))?;
    if !built.status.success() {
        return Err(format!(
            "{name}: keel-gen build refused a {} case ({}): {}",
            kind.name(),
            built.status,
            String::from_utf8_lossy(&built.stderr).trim()
        ));
    }

    let mut expect = Vec::new();
    let mut checks = kind == Kind::Valid;
    let mut allow = vec![c.status];
    let mut signal = c.machine.then_some(2);
    if kind == Kind::Near {
        allow.extend(NEAR_STATUSES);
    }
    if kind == Kind::Binary {
        let mut bytes = fs::read(&cfg_path).map_err(|e| format!("{name}: {e}"))?;
        mutate(&mut c, &mut bytes);
        write(&cfg_path, &bytes, 0o644)?;
        checks = false;
        match wire::decode(&bytes) {
            Err(e) => {
                allow = vec![2];
                signal = None;
                expect.push(format!("decode_error={e}"));
            }
            Ok(config) => {
                // Anything the config can still say: keel's statuses, the payload's, or
                // whatever the mutated program exits with; never a crash or a hang.
                allow = (0..=255).filter(|s| *s != 70).collect();
                let machine = config.supervision.mode == Some(Mode::Machine);
                signal = machine.then_some(2);
                c.exec = config.supervision.mode == Some(Mode::Exec);
                // With --exec keel becomes the program, and a mutated memory rlimit (a stack
                // of a few hundred bytes, found with seed 2027) kills it at its exec with
                // SIGSEGV: the program's death, not keel's.
                let starved = config.process.rlimits.iter().any(|limit| {
                    matches!(limit.resource, RLIMIT_DATA | RLIMIT_STACK | RLIMIT_AS)
                        && limit.soft < 1 << 20
                });
                if c.exec && starved {
                    signal = Some(SIGSEGV);
                }
                c.mode_set = config.supervision.mode.is_some();
                c.verbosity = config.supervision.verbosity.unwrap_or(1);
            }
        }
    }
    allow.sort_unstable();
    allow.dedup();
    let allow: Vec<String> = allow.iter().map(u8::to_string).collect();
    expect.insert(0, format!("kind={}", kind.name()));
    expect.push(format!("allow={}", allow.join(" ")));
    expect.push(format!(
        "signal={}",
        signal.map(|s: i32| s.to_string()).unwrap_or_default()
    ));
    expect.push(format!("checks={}", u8::from(checks)));
    expect.push(format!("verbosity={}", c.verbosity));
    expect.push(format!("exec={}", u8::from(c.exec)));
    expect.push(format!("mode_set={}", u8::from(c.mode_set)));
    expect.push(format!("about={}", c.about.join("; ")));
    write(
        &dir.join("expect"),
        (expect.join("\n") + "\n").as_bytes(),
        0o644,
    )
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The payload: checks first (stderr joins stdout, so only keel writes to stderr), then the
/// case's exit code.
fn payload(c: &Case) -> String {
    let mut s = String::from(
        "#!/bin/sh\n\
         # Generated by examples/vmfuzz.rs: checks the state keel set up, from inside.\n\
         exec 2>&1\n\
         PATH=/usr/sbin:/usr/bin:/sbin:/bin\n\
         echo FZ-RAN\n\
         f() { echo \"FZ-FAIL $*\"; }\n\
         st() { while read -r k v; do [ \"$k\" = \"$1:\" ] && echo $v && return; done </proc/self/status; }\n\
         mnt() { awk -v m=\"$1\" '$5 == m { o = $6; for (i = 7; $i != \"-\"; i++) ; t = $(i + 1) } END { print t, o }' /proc/self/mountinfo; }\n\
         lim() { while IFS= read -r l; do case $l in \"$1 \"*) set -- ${l#\"$1\"}; echo \"$1 $2\"; return ;; esac; done </proc/self/limits; }\n",
    );
    for line in &c.checks {
        s.push_str(line);
        s.push('\n');
    }
    let _ = writeln!(s, "exit {}", c.exit);
    s
}

fn build_toml(c: &mut Case) {
    // Order matters: namespaces decide what mounts and users can be, mounts give cwd choices.
    let mut ns = String::new();
    if c.rng.chance(40) {
        namespaces(c, &mut ns);
    }
    let mut mounts = String::new();
    let mut dests = Vec::new();
    if c.rng.chance(40) {
        mounts_section(c, &mut mounts, &mut dests);
    }
    let mut process = String::new();
    process_section(c, &mut process, &dests);
    let mut sup = String::new();
    supervision(c, &mut sup);
    let mut cg = String::new();
    if c.rng.chance(40) {
        cgroup(c, &mut cg);
    }
    let mut ll = String::new();
    if c.rng.chance(20) {
        landlock(c, &mut ll);
    }
    c.toml = format!(
        "# {} case\n{process}{sup}{cg}{ns}{mounts}{ll}",
        c.kind.name()
    );
}
