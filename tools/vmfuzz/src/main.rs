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

/// Where the guest runner puts the cases.
const GUEST_CASES: &str = "/fuzz/cases";
/// The cgroup v2 controllers of both guest kernels, in the kernel's order (the order of
/// `cgroup.subtree_control`).
const CONTROLLERS: [&str; 8] = [
    "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc",
];
/// Directories of the guest's initramfs, for binds and overlay layers.
const GUEST_DIRS: [&str; 5] = ["/etc", "/bin", "/sbin", "/usr", "/lib"];
/// Exit statuses keel itself uses (documented in README.md): a payload avoids them, so a
/// status tells who ended the case.
const KEEL_STATUSES: [u8; 5] = [2, 70, 125, 126, 127];
/// The statuses a near-valid case may end with besides the payload's: keel's documented
/// set-up failures, and 128+9 for a payload the kernel killed (an out-of-memory limit).
const NEAR_STATUSES: [u8; 5] = [2, 125, 126, 127, 137];

/// The `RLIMIT_*` numbers that bound a program's memory, and the signal a starved exec gets.
const RLIMIT_DATA: u8 = 2;
const RLIMIT_STACK: u8 = 3;
const RLIMIT_AS: u8 = 9;
const SIGSEGV: i32 = 11;

/// splitmix64: tiny, fast and good enough to pick cases; seeded per case.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, case: u64) -> Rng {
        let mut r = Rng(seed ^ case.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A random subset of `items`, in their order.
    fn subset<T: Clone>(&mut self, items: &[T], percent: u64) -> Vec<T> {
        items
            .iter()
            .filter(|_| self.chance(percent))
            .cloned()
            .collect()
    }

    /// A short name of `[a-z0-9_]`, starting with a letter.
    fn name(&mut self, prefix: &str) -> String {
        let mut s = prefix.to_owned();
        for _ in 0..self.range(1, 6) {
            s.push(*self.pick(b"abcdefghijklmnopqrstuvwxyz0123456789_") as char);
        }
        s
    }

    /// A string of odd characters TOML can carry: controls, quotes, shell metacharacters,
    /// multi-byte UTF-8 and U+00FF. `newlines` allows line breaks.
    fn odd(&mut self, max: u64, newlines: bool) -> String {
        const PIECES: [&str; 16] = [
            "a", "Z", " ", "\t", "\"", "\\", "'", "$", "`", "é", "ÿ", "✓", "🦀", "\u{7f}", "\u{1}",
            "=",
        ];
        let mut s = String::new();
        for _ in 0..self.range(1, max) {
            if newlines && self.chance(5) {
                s.push('\n');
            } else {
                let piece = *self.pick(&PIECES);
                s.push_str(piece);
            }
        }
        s
    }
}

/// A TOML basic string.
fn t(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn t_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| t(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// One single-quoted POSIX shell word.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Near,
    Binary,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Near => "near",
            Kind::Binary => "binary",
        }
    }
}

/// A case being built: the TOML, the payload's checks, and what the outcome may be.
struct Case {
    rng: Rng,
    kind: Kind,
    dir: String,
    toml: String,
    checks: Vec<String>,
    about: Vec<String>,
    /// The status the payload exits with after its checks.
    exit: u8,
    /// The status keel reports for it (0 when `remap_exit` lists it).
    status: u8,
    machine: bool,
    /// `mode = "exec"`: the payload replaces keel (as the kernel's init, its exit panics).
    exec: bool,
    /// The config sets a mode: as the kernel's init keel then does not default to machine
    /// mode (no API filesystems, no power-off, so its exit panics the kernel).
    mode_set: bool,
    verbosity: u8,
    /// keel runs in the runner's user namespace (identity map).
    outer_userns: bool,
    /// The config's own namespaces (None: no [namespaces] section).
    unshare: Option<Vec<&'static str>>,
    /// Some process in a user namespace other than the initial one builds the mounts.
    mounts_in_userns: bool,
    /// The config's user namespace maps only keel's ids (to root): no other id exists there.
    only_root_mapped: bool,
}

impl Case {
    fn near(&mut self, what: &str) -> bool {
        if self.kind == Kind::Near && self.rng.chance(25) {
            self.about.push(what.to_owned());
            true
        } else {
            false
        }
    }

    fn check(&mut self, line: String) {
        self.checks.push(line);
    }

    fn has(&self, ns: &str) -> bool {
        self.unshare.as_ref().is_some_and(|u| u.contains(&ns))
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vmfuzz: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
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
    for i in first..first + cases {
        generate(seed, i, &keel_gen, &out)?;
    }
    Ok(())
}

/// Writes case `i` of `seed` into `out`. A case keel-gen refuses is a bug in this generator
/// (or keel-gen), reported as an error; a keel-gen that crashes is reported too.
fn generate(seed: u64, i: u64, keel_gen: &Path, out: &Path) -> Result<(), String> {
    let name = format!("s{seed}-{i:05}");
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

// ---------------------------------------------------------------------------------------
// [process]

fn process_section(c: &mut Case, out: &mut String, dests: &[String]) {
    let payload = format!("{}/payload", c.dir);
    let mut args = vec![payload];
    let nargs = if c.near("256 args") {
        wire::MAX_ARGS as u64 - 1
    } else {
        c.rng.below(4)
    };
    for _ in 0..nargs {
        let odd = c.rng.odd(12, true);
        args.push(odd);
    }
    out.push_str("[process]\n");
    let _ = writeln!(out, "args = {}", t_list(&args));
    c.check(format!("[ $# = {} ] || f args: $# arguments", nargs));
    for (n, a) in args.iter().enumerate().skip(1).take(3) {
        c.check(format!("[ \"${{{n}}}\" = {} ] || f arg {n}", q(a)));
    }

    // env, env_clear, env_unset. The runner exports FZ_OUTER and FZ_MARK to every case.
    let mut env = Vec::new();
    let nenv = if c.near("1024 env entries") {
        wire::MAX_ENV as u64
    } else {
        c.rng.below(5)
    };
    for n in 0..nenv {
        let key = format!("FZ_{n}_{}", c.rng.name("k"));
        let value = if c.rng.chance(50) {
            c.rng.odd(20, true)
        } else {
            c.rng.name("v")
        };
        if n < 8 {
            c.check(format!(
                "[ \"${{{key}+set}}\" = set ] && [ \"${key}\" = {} ] || f env {key}",
                q(&value)
            ));
        }
        env.push(format!("{key}={value}"));
    }
    if !env.is_empty() {
        let _ = writeln!(out, "env = {}", t_list(&env));
    }
    if c.rng.chance(20) {
        out.push_str("env_clear = true\n");
        c.check("[ -z \"${FZ_OUTER+x}${FZ_MARK+x}\" ] || f env_clear".into());
    } else if c.rng.chance(30) {
        let mut unset = vec!["FZ_MARK".to_owned()];
        if c.rng.chance(50) {
            unset.push(c.rng.name("NOPE_"));
        }
        let _ = writeln!(out, "env_unset = {}", t_list(&unset));
        c.check("[ -z \"${FZ_MARK+x}\" ] && [ \"$FZ_OUTER\" = 1 ] || f env_unset".into());
    } else {
        c.check("[ \"$FZ_OUTER\" = 1 ] || f env inherited".into());
    }

    // cwd
    if c.rng.chance(40) {
        let cwd = if c.near("missing cwd") {
            "/nonexistent/fz".to_owned()
        } else {
            let mut choices = vec!["/".to_owned(), "/tmp".into(), "/fuzz".into(), "/etc".into()];
            choices.extend(dests.iter().cloned());
            c.rng.pick(&choices).clone()
        };
        let _ = writeln!(out, "cwd = {}", t(&cwd));
        c.check(format!(
            "[ \"$(pwd -P)\" = {} ] || f cwd $(pwd -P)",
            q(&cwd)
        ));
    }

    let nnp = c.rng.chance(30);
    if nnp {
        out.push_str("no_new_privileges = true\n");
        c.check("[ \"$(st NoNewPrivs)\" = 1 ] || f no_new_privileges".into());
    }
    // keel sets it on itself before its own namespaces; lowering it below 0 needs
    // CAP_SYS_RESOURCE in the initial user namespace, which the runner's does not give.
    if c.rng.chance(30) {
        let lowest = if c.outer_userns { 1000 } else { 0 };
        let adj = c.rng.range(lowest, 2000) as i64 - 1000;
        let _ = writeln!(out, "oom_score_adj = {adj}");
        c.check(format!(
            "[ \"$(cat /proc/self/oom_score_adj)\" = {adj} ] || f oom_score_adj"
        ));
    }

    let uid = user(c, out);
    capabilities(c, out, uid, nnp);
    rlimits(c, out);
    if c.rng.chance(25) {
        seccomp(c, out);
    }
}

/// `[process.seccomp]`: everything allowed but mkdir, which fails with a chosen errno, and
/// kill with one signal number. Near-valid: execve denied, so keel's exec fails.
fn seccomp(c: &mut Case, out: &mut String) {
    let errno = *c
        .rng
        .pick(&["EPERM", "EACCES", "EROFS", "ENOSYS", "EOPNOTSUPP"]);
    let signal = c.rng.range(1, 31);
    let _ = writeln!(
        out,
        "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n\
         [[process.seccomp.syscalls]]\nnames = [\"mkdir\", \"mkdirat\"]\naction = \"SCMP_ACT_ERRNO\"\nerrno_ret = \"{errno}\"\n\
         [[process.seccomp.syscalls]]\nnames = [\"kill\"]\naction = \"SCMP_ACT_ERRNO\"\n\
         args = [{{ index = 1, value = {signal}, op = \"SCMP_CMP_EQ\" }}]"
    );
    if c.near("seccomp denies execve") {
        out.push_str(
            "[[process.seccomp.syscalls]]\nnames = [\"execve\", \"execveat\"]\naction = \"SCMP_ACT_ERRNO\"\n",
        );
    }
    c.check("[ \"$(st Seccomp)\" = 2 ] || f seccomp mode".into());
    c.check("mkdir /tmp/fz-seccomp 2>/dev/null && f seccomp let mkdir through".into());
    c.check(format!(
        "kill -{signal} $$ 2>/dev/null && f seccomp let kill -{signal} through"
    ));
}

/// `[landlock]`: writes only under /tmp, /mnt, /dev and /run (where the payload's checks
/// and the mounts are), so writing /etc is refused; ABI 1 rights, which both kernels have.
/// Near-valid: a rule on a path that does not exist.
fn landlock(c: &mut Case, out: &mut String) {
    out.push_str("[landlock]\n");
    if c.rng.chance(50) {
        out.push_str("required = true\n");
    }
    out.push_str("handled_fs = [\"write_file\", \"make_reg\", \"make_dir\", \"remove_file\"]\n");
    let mut paths = vec!["/tmp", "/mnt", "/dev", "/run"];
    if c.near("a landlock rule on a missing path") {
        paths.push("/nonexistent/fz");
    }
    for path in paths {
        let _ = writeln!(
            out,
            "[[landlock.path]]\npath = \"{path}\"\naccess = [\"write_file\", \"make_reg\", \"make_dir\", \"remove_file\"]"
        );
    }
    c.check("( : >/etc/fz-landlock ) 2>/dev/null && f landlock let /etc be written".into());
}

/// `[process.user]`; returns the uid the payload runs as (None: keel's, root).
fn user(c: &mut Case, out: &mut String) -> Option<u32> {
    if !c.rng.chance(35) {
        return None;
    }
    let mut table = String::from("[process.user]\n");
    let mut uid = None;
    // In the config's user namespace only the mapped ids exist (see namespaces()).
    let ids: &[u32] = match (c.has("user"), c.only_root_mapped) {
        (true, true) => &[0],
        (true, false) => &[0, 1000, 65534, 65535],
        _ => &[0, 1000, 65534, 4_294_967_294],
    };
    if c.rng.chance(70) {
        let (u, g) = if c.near("unmapped uid") {
            (4_000_000_000, 4_000_000_000)
        } else {
            (*c.rng.pick(ids), *c.rng.pick(ids))
        };
        let _ = writeln!(table, "uid = {u}\ngid = {g}");
        c.check(format!(
            "[ \"$(st Uid)\" = '{u} {u} {u} {u}' ] || f uid $(st Uid)"
        ));
        c.check(format!(
            "[ \"$(st Gid)\" = '{g} {g} {g} {g}' ] || f gid $(st Gid)"
        ));
        let most = if c.only_root_mapped { 0 } else { 4 };
        let mut gids: Vec<u32> = (0..c.rng.below(most + 1))
            .map(|_| c.rng.range(1, 60000) as u32)
            .collect();
        if c.near("64 additional gids") {
            gids = (1..=wire::MAX_GIDS as u32).collect();
        }
        gids.sort_unstable();
        gids.dedup();
        if !gids.is_empty() {
            let list: Vec<String> = gids.iter().map(u32::to_string).collect();
            let _ = writeln!(table, "additional_gids = [{}]", list.join(", "));
        }
        let want: Vec<String> = gids.iter().map(u32::to_string).collect();
        c.check(format!(
            "[ \"$(st Groups)\" = {} ] || f groups $(st Groups)",
            q(&want.join(" "))
        ));
        uid = Some(u);
    }
    if c.rng.chance(60) {
        let umask = c.rng.below(0o1000);
        let _ = writeln!(table, "umask = \"{umask:04o}\"");
        c.check(format!(
            "[ \"$(umask)\" = {umask:04o} ] || f umask $(umask)"
        ));
    }
    out.push_str(&table);
    uid
}

fn capabilities(c: &mut Case, out: &mut String, uid: Option<u32>, nnp: bool) {
    if !c.rng.chance(30) {
        return;
    }
    let all: Vec<u8> = (0..=wire::CAP_LAST_CAP).collect();
    let bounding = c.rng.subset(&all, 60);
    // The kernel's rules: inheritable within the bounding set (capset), effective within
    // permitted, ambient within permitted and inheritable.
    let inheritable = c.rng.subset(&bounding, 30);
    let permitted = c.rng.subset(&all, 40);
    let effective = c.rng.subset(&permitted, 50);
    let ambient: Vec<u8> = c
        .rng
        .subset(&permitted, 50)
        .into_iter()
        .filter(|x| inheritable.contains(x))
        .collect();
    let names = |set: &[u8]| {
        let v: Vec<String> = set.iter().map(|n| cap_name(*n).to_owned()).collect();
        t_list(&v)
    };
    let bits = |set: &[u8]| set.iter().fold(0u64, |b, n| b | 1 << n);
    let _ = writeln!(
        out,
        "[process.capabilities]\nbounding = {}\neffective = {}\npermitted = {}\ninheritable = {}\nambient = {}",
        names(&bounding),
        names(&effective),
        names(&permitted),
        names(&inheritable),
        names(&ambient)
    );
    // What exec makes of them (capabilities(7)): root gets its bounding set (plus the
    // inheritable one, within it), no more than it had under no_new_privs; anyone else keeps
    // only the ambient set.
    let root = if nnp {
        bits(&bounding) & bits(&permitted)
    } else {
        bits(&bounding)
    };
    let (prm, eff) = if uid.unwrap_or(0) == 0 {
        (root, root)
    } else {
        (bits(&ambient), bits(&ambient))
    };
    for (field, want) in [
        ("CapBnd", bits(&bounding)),
        ("CapInh", bits(&inheritable)),
        ("CapPrm", prm),
        ("CapEff", eff),
        ("CapAmb", bits(&ambient)),
    ] {
        c.check(format!(
            "[ \"$(st {field})\" = {want:016x} ] || f {field} $(st {field})"
        ));
    }
}

fn cap_name(n: u8) -> &'static str {
    const NAMES: [&str; 41] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];
    NAMES[usize::from(n)]
}

fn rlimits(c: &mut Case, out: &mut String) {
    // (name, /proc/self/limits label, a soft..hard range that works for a busybox payload
    // and stays within the guest's default hard limit, which only CAP_SYS_RESOURCE in the
    // initial user namespace may raise).
    const RLIMITS: [(&str, &str, u64, u64); 12] = [
        ("CPU", "Max cpu time", 60, u64::MAX),
        ("FSIZE", "Max file size", 1 << 20, u64::MAX),
        ("DATA", "Max data size", 256 << 20, u64::MAX),
        ("CORE", "Max core file size", 0, u64::MAX),
        ("RSS", "Max resident set", 0, u64::MAX),
        ("NOFILE", "Max open files", 64, 4096),
        ("MEMLOCK", "Max locked memory", 0, 65536),
        ("AS", "Max address space", 512 << 20, u64::MAX),
        ("LOCKS", "Max file locks", 0, u64::MAX),
        ("MSGQUEUE", "Max msgqueue size", 0, 819_200),
        ("NICE", "Max nice priority", 0, 0),
        ("RTTIME", "Max realtime timeout", 1_000_000, u64::MAX),
    ];
    let n = c.rng.below(4);
    if n == 0 {
        return;
    }
    let mut used = Vec::new();
    for _ in 0..n {
        let (name, label, lo, hi) = *c.rng.pick(&RLIMITS);
        if used.contains(&name) {
            continue;
        }
        used.push(name);
        let value = |rng: &mut Rng, lo: u64| {
            if hi == u64::MAX && rng.chance(30) {
                u64::MAX
            } else {
                rng.range(lo, hi.min(lo.saturating_mul(4).max(lo + 1000)))
            }
        };
        let mut soft = value(&mut c.rng, lo);
        let mut hard = if soft == u64::MAX {
            soft
        } else {
            value(&mut c.rng, soft)
        };
        if c.near("rlimit above the kernel's ceiling") {
            (soft, hard) = (1 << 40, 1 << 40);
        }
        if soft > hard {
            (soft, hard) = (hard, soft);
        }
        let show = |v: u64| {
            if v == u64::MAX {
                "\"unlimited\"".to_owned()
            } else {
                v.to_string()
            }
        };
        let shown = |v: u64| {
            if v == u64::MAX {
                "unlimited".to_owned()
            } else {
                v.to_string()
            }
        };
        let _ = writeln!(
            out,
            "[[process.rlimits]]\ntype = \"RLIMIT_{name}\"\nsoft = {}\nhard = {}",
            show(soft),
            show(hard)
        );
        c.check(format!(
            "[ \"$(lim '{label}')\" = '{} {}' ] || f rlimit {name} $(lim '{label}')",
            shown(soft),
            shown(hard)
        ));
    }
}

// ---------------------------------------------------------------------------------------
// [supervision]

fn supervision(c: &mut Case, out: &mut String) {
    if !c.rng.chance(60) {
        return;
    }
    out.push_str("[supervision]\n");
    let mode = *c
        .rng
        .pick(&["supervise", "supervise", "supervise", "exec", "machine"]);
    let _ = writeln!(out, "mode = \"{mode}\"");
    c.machine = mode == "machine";
    c.exec = mode == "exec";
    c.mode_set = true;
    if mode != "exec" {
        if c.rng.chance(40) {
            let mut codes = vec![c.rng.below(256)];
            if c.rng.chance(50) {
                codes.push(u64::from(c.exit));
                c.status = 0;
            }
            codes.sort_unstable();
            codes.dedup();
            if codes.contains(&u64::from(c.exit)) {
                c.status = 0;
            }
            let list: Vec<String> = codes.iter().map(u64::to_string).collect();
            let _ = writeln!(out, "remap_exit = [{}]", list.join(", "));
        }
        if c.rng.chance(40) {
            let _ = writeln!(out, "kill_process_group = {}", c.rng.chance(50));
        }
        if c.rng.chance(40) {
            let _ = writeln!(out, "grace = \"{}ms\"", c.rng.range(0, 2000));
        }
        if c.rng.chance(30) {
            let pairs = [
                "TERM:QUIT",
                "SIGWINCH:0",
                "RTMIN+1:USR1",
                "HUP:TERM",
                "USR2:9",
            ];
            let set = c.rng.subset(&pairs, 40);
            let _ = writeln!(out, "rewrite = {}", t_list(&set));
        }
        if c.rng.chance(30) {
            let _ = writeln!(out, "warn_on_reap = {}", c.rng.chance(50));
        }
    }
    if c.rng.chance(30) {
        let _ = writeln!(out, "subreaper = {}", c.rng.chance(50));
    }
    if c.rng.chance(30) {
        let _ = writeln!(
            out,
            "parent_death_signal = \"{}\"",
            c.rng.pick(&["KILL", "TERM", "SIGUSR1", "RTMAX-1"])
        );
    }
    if c.rng.chance(30) {
        let _ = writeln!(out, "seal_exe = {}", c.rng.chance(50));
    }
    if c.rng.chance(50) {
        c.verbosity = c.rng.range(0, 3) as u8;
        let _ = writeln!(out, "verbosity = {}", c.verbosity);
    }
}

// ---------------------------------------------------------------------------------------
// [cgroup]

fn cgroup(c: &mut Case, out: &mut String) {
    out.push_str("[cgroup]\n");
    if c.rng.chance(20) {
        out.push_str("root = \"/sys/fs/cgroup\"\n");
    }
    if c.rng.chance(30) {
        out.push_str("mount = true\n");
    }
    let leaf = if c.near("leaf named like a cgroup file") {
        "cgroup.procs".to_owned()
    } else if c.rng.chance(50) {
        c.rng.name("l")
    } else {
        "init".to_owned()
    };
    if leaf != "init" || c.rng.chance(20) {
        let _ = writeln!(out, "leaf = {}", t(&leaf));
    }
    // Controllers: all of them (the setting left out), or a list.
    let mut enabled: Vec<&str> = CONTROLLERS.to_vec();
    if c.rng.chance(50) {
        enabled = c.rng.subset(&CONTROLLERS, 50);
        if enabled.is_empty() {
            enabled.push("pids");
        }
        let mut list = enabled.clone();
        if c.near("a controller the kernel lacks") {
            list.push("nosuch");
        }
        let _ = writeln!(out, "controllers = {}", t_list(&list));
        if c.rng.chance(30) {
            let optional = c.rng.subset(&list, 50);
            if !optional.is_empty() {
                let _ = writeln!(out, "optional = {}", t_list(&optional));
            }
        }
        let want = enabled.join(" ");
        c.check(format!(
            "[ \"$(cat /sys/fs/cgroup/cgroup.subtree_control)\" = '{want}' ] || f subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
        ));
    } else {
        c.check(
            "[ \"$(cat /sys/fs/cgroup/cgroup.subtree_control)\" = \"$(cat /sys/fs/cgroup/cgroup.controllers)\" ] || f subtree_control all"
                .into(),
        );
    }

    // Delegates: top-level ones, and children of those that enable controllers.
    let mut delegates: Vec<(String, bool)> = Vec::new();
    let ndelegates = if c.near("64 delegates") {
        wire::MAX_DELEGATES as u64
    } else {
        c.rng.below(4)
    };
    let mut table = String::new();
    for n in 0..ndelegates {
        let parent = delegates
            .iter()
            .filter(|(p, enable)| *enable && !p.contains('/'))
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>();
        let path = if !parent.is_empty() && c.rng.chance(40) {
            format!("{}/{}", c.rng.pick(&parent), c.rng.name("d"))
        } else {
            format!("{}{n}", c.rng.name("d"))
        };
        if path == leaf || delegates.iter().any(|(p, _)| *p == path) {
            continue;
        }
        let enable = c.rng.chance(60);
        let _ = writeln!(
            table,
            "[[cgroup.delegate]]\npath = {}\nenable_controllers = {enable}",
            t(&path)
        );
        if c.rng.chance(30) {
            let owner = *c.rng.pick(&["1000:1000", "65534:65534", "0:1000"]);
            let _ = writeln!(table, "owner = \"{owner}\"");
            if !c.outer_userns && !c.has("user") {
                c.check(format!(
                    "[ \"$(stat -c %u:%g /sys/fs/cgroup/{path})\" = {owner} ] || f owner {path}"
                ));
            }
        }
        c.check(format!("[ -d /sys/fs/cgroup/{path} ] || f delegate {path}"));
        if enable {
            c.check(format!(
                "[ \"$(cat /sys/fs/cgroup/{path}/cgroup.subtree_control)\" = \"$(cat /sys/fs/cgroup/cgroup.subtree_control)\" ] || f delegate {path} controllers"
            ));
        }
        delegates.push((path, enable));
    }
    // The workload: the leaf, or a delegate that does not enable controllers.
    let candidates: Vec<String> = delegates
        .iter()
        .filter(|(_, enable)| !enable)
        .map(|(p, _)| p.clone())
        .collect();
    let workload = if !candidates.is_empty() && c.rng.chance(50) {
        let w = c.rng.pick(&candidates).clone();
        let _ = writeln!(out, "workload = {}", t(&w));
        w
    } else {
        leaf.clone()
    };
    out.push_str(&table);
    // A cgroup namespace of the config's own is rooted at keel's leaf: the path differs.
    if !c.has("cgroup") {
        c.check(format!(
            "[ \"$(cat /proc/self/cgroup)\" = '0::/{workload}' ] || f cgroup $(cat /proc/self/cgroup)"
        ));
    }

    // Limits, on cgroups whose parent enables the file's controller: keel's cgroup enables
    // `enabled` for the leaf and the top-level delegates, an enabling delegate the same for
    // its children.
    let mut targets = vec![leaf.clone()];
    targets.extend(delegates.iter().map(|(p, _)| p.clone()));
    // One inline table per cgroup, in the order first written (keel applies them in order).
    let mut limits: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut add = |cg: &str, file: String, value: String| {
        match limits.iter_mut().find(|(c, _)| c == cg) {
            Some((_, files)) if files.iter().any(|(f, _)| *f == file) => return false,
            Some((_, files)) => files.push((file, value)),
            None => limits.push((cg.to_owned(), vec![(file, value)])),
        }
        true
    };
    for _ in 0..c.rng.below(4) {
        let cg = c.rng.pick(&targets).clone();
        // Freezing keel's leaf or the workload's cgroup stops keel or the payload: a hang
        // by design.
        let frozen_ok = cg != workload && cg != leaf;
        let (file, value, readback) = limit(c, &enabled, frozen_ok);
        if add(&cg, file.clone(), value) {
            c.check(format!(
                "[ \"$(cat /sys/fs/cgroup/{cg}/{file})\" = {} ] || f limit {cg}/{file} $(cat /sys/fs/cgroup/{cg}/{file})",
                q(&readback)
            ));
        }
    }
    if c.near("a limit file the kernel lacks") {
        add(&leaf, "cgroup.nosuch".into(), "1".into());
    }
    if c.near("a limit value the kernel refuses") {
        add(&leaf, "cgroup.max.depth".into(), "\"-5\"".into());
    }
    if c.near("256 limits") {
        for n in 0..wire::MAX_LIMITS - 4 {
            add(&leaf, format!("cgroup.fz{n}"), n.to_string());
        }
    }
    if !limits.is_empty() {
        out.push_str("[cgroup.limits]\n");
        for (cg, files) in &limits {
            let files: Vec<String> = files
                .iter()
                .map(|(f, v)| format!("{} = {v}", t(f)))
                .collect();
            let _ = writeln!(out, "{} = {{ {} }}", t(cg), files.join(", "));
        }
    }
}

/// A limit file of an enabled controller with a value and what reading it back shows.
fn limit(c: &mut Case, enabled: &[&str], may_freeze: bool) -> (String, String, String) {
    let mut options: Vec<(String, String, String)> = vec![
        ("cgroup.max.descendants".into(), "100".into(), "100".into()),
        ("cgroup.max.depth".into(), "\"max\"".into(), "max".into()),
    ];
    if enabled.contains(&"memory") {
        let mib = c.rng.range(64, 4096);
        options.push((
            "memory.max".into(),
            format!("\"{mib}M\""),
            (mib << 20).to_string(),
        ));
        options.push(("memory.high".into(), "\"max\"".into(), "max".into()));
        options.push((
            "memory.low".into(),
            (mib << 20).to_string(),
            (mib << 20).to_string(),
        ));
        options.push(("memory.oom.group".into(), "1".into(), "1".into()));
    }
    if enabled.contains(&"pids") {
        let n = c.rng.range(64, 100_000);
        options.push(("pids.max".into(), n.to_string(), n.to_string()));
    }
    if enabled.contains(&"cpu") {
        let w = c.rng.range(1, 10000);
        options.push(("cpu.weight".into(), w.to_string(), w.to_string()));
        let quota = c.rng.range(10_000, 200_000);
        options.push((
            "cpu.max".into(),
            format!("\"{quota} 100000\""),
            format!("{quota} 100000"),
        ));
    }
    if enabled.contains(&"cpuset") {
        options.push(("cpuset.cpus".into(), "\"0\"".into(), "0".into()));
    }
    if may_freeze {
        options.push(("cgroup.freeze".into(), "1".into(), "1".into()));
    }
    c.rng.pick(&options).clone()
}

// ---------------------------------------------------------------------------------------
// [namespaces]

fn namespaces(c: &mut Case, out: &mut String) {
    const ALL: [&str; 8] = [
        "mount", "pid", "uts", "ipc", "net", "cgroup", "user", "time",
    ];
    let unshare = c.rng.subset(&ALL, 40);
    out.push_str("[namespaces]\n");
    let _ = writeln!(out, "unshare = {}", t_list(&unshare));
    c.unshare = Some(unshare);
    for ns in ["uts", "ipc", "net", "time"] {
        let op = if c.has(ns) { "!=" } else { "=" };
        c.check(format!(
            "[ \"$(readlink /proc/self/ns/{ns})\" {op} \"$(cat /fuzz/outer-ns/{ns})\" ] || f namespace {ns}"
        ));
    }
    if c.has("user") {
        c.mounts_in_userns = true;
        if c.rng.chance(50) {
            let lines = if c.near("340 id map lines") {
                (0..wire::MAX_ID_MAPS as u64)
                    .map(|n| {
                        format!(
                            "{{ container_id = {n}, host_id = {}, size = 1 }}",
                            100_000 + n
                        )
                    })
                    .collect::<Vec<_>>()
            } else {
                vec!["{ container_id = 0, host_id = 100000, size = 65536 }".to_owned()]
            };
            let _ = writeln!(out, "uid_mappings = [{}]", lines.join(", "));
            let _ = writeln!(out, "gid_mappings = [{}]", lines.join(", "));
        } else {
            c.only_root_mapped = true;
        }
        if c.near("setgroups deny") {
            out.push_str("setgroups = \"deny\"\n");
        }
    }
    if c.has("uts") && c.rng.chance(70) {
        let mut host = c.rng.odd(20, false);
        if c.near("64-byte hostname with a newline") {
            host = format!("{}\n", "h".repeat(63));
        }
        while host.len() > wire::HOST_NAME_MAX {
            host.pop();
        }
        let _ = writeln!(out, "hostname = {}", t(&host));
        if !host.ends_with('\n') {
            c.check(format!("[ \"$(hostname)\" = {} ] || f hostname", q(&host)));
        }
        if c.rng.chance(40) {
            let _ = writeln!(out, "domainname = {}", t(&c.rng.name("dom.")));
        }
    }
    if c.has("time") && c.rng.chance(70) {
        let secs = if c.near("a boot time offset far in the past") {
            -4_000_000_000i64
        } else {
            c.rng.range(0, 1_000_000) as i64
        };
        let _ = writeln!(
            out,
            "[namespaces.time_offsets]\nboottime = {{ secs = {secs} }}\nmonotonic = {{ secs = {}, nanosecs = {} }}",
            c.rng.range(0, 1000),
            c.rng.below(1_000_000_000)
        );
        if secs > 0 {
            c.check(format!(
                "[ \"$(cut -d. -f1 /proc/uptime)\" -ge {secs} ] || f boottime offset"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// [mounts] and [[mount]]

fn mounts_section(c: &mut Case, out: &mut String, dests: &mut Vec<String>) {
    // keel-gen wants the mount namespace listed when there is a namespaces section.
    if c.unshare.is_some() && !c.has("mount") {
        return;
    }
    let userns = c.mounts_in_userns;
    let n = if c.near("256 mounts") {
        wire::MAX_MOUNTS as u64
    } else {
        c.rng.range(1, 4)
    };
    let mut entries = String::new();
    for i in 0..n {
        let dest = if c.near("a destination under missing directories") {
            format!("/mnt/fzmiss/a/b{i}")
        } else if c.rng.chance(50) {
            format!("/mnt/fz{i}")
        } else {
            format!("/tmp/fz{i}")
        };
        let (kind, table) = mount_entry(c, userns);
        let mut attrs = mount_attrs(c);
        if userns {
            locked_attrs(&kind, &mut attrs);
        }
        let mut opts: Vec<String> = attrs.clone();
        opts.extend(table.1.iter().cloned());
        let _ = writeln!(
            entries,
            "[[mount]]\ndestination = {}\ntype = \"{kind}\"",
            t(&dest)
        );
        if !opts.is_empty() {
            let _ = writeln!(entries, "options = {}", t_list(&opts));
        }
        entries.push_str(&table.0);
        if n <= 8 {
            mount_checks(c, &dest, &kind, &attrs, table.2);
        }
        dests.push(dest);
    }
    let mut head = String::new();
    if c.near("a missing root") {
        head.push_str("root = \"/nonexistent/root\"\n");
    }
    let masks = ["/proc/kcore", "/proc/keys", "/proc/timer_list"];
    let mut masked: Vec<String> = c
        .rng
        .subset(&masks, 30)
        .iter()
        .map(|s| s.to_string())
        .collect();
    if c.near("a missing masked path") {
        masked.push("/proc/nosuch".into());
    }
    let mut readonly: Vec<String> = c
        .rng
        .subset(&["/proc/sys", "/proc/sysrq-trigger", "/proc/irq"], 30)
        .iter()
        .map(|s| s.to_string())
        .collect();
    if c.near("64 read-only paths") {
        readonly = (0..wire::MAX_MOUNT_PATHS)
            .map(|n| format!("/proc/sys/fz{n}"))
            .collect();
    }
    if !masked.is_empty() {
        let _ = writeln!(head, "masked = {}", t_list(&masked));
        for m in &masked {
            c.check(format!("[ -n \"$(mnt {m})\" ] || f masked {m}"));
        }
    }
    if !readonly.is_empty() {
        let _ = writeln!(head, "readonly = {}", t_list(&readonly));
        for r in readonly.iter().take(8) {
            c.check(format!(
                "case \"$(mnt {r})\" in *\\ ro*) ;; *) f readonly {r} ;; esac"
            ));
        }
    }
    if !head.is_empty() {
        let _ = write!(out, "[mounts]\n{head}");
    }
    out.push_str(&entries);
}

/// A mount kind valid where the mounts are built, its table lines, its fsconfig options, and
/// whether it is a sealed overlay (read-only whatever its attributes say).
fn mount_entry(c: &mut Case, userns: bool) -> (String, (String, Vec<String>, bool)) {
    let mut kinds = vec!["tmpfs", "bind", "overlay", "overlay-tmpfs", "devpts"];
    // Mounting proc, sysfs, mqueue or cgroup2 in a user namespace needs the matching
    // namespace to be owned by it; devtmpfs is never allowed there.
    let unshared = |c: &Case, ns| c.has("user") && c.has(ns) || !c.has("user");
    if !userns || (c.has("user") && c.has("pid")) {
        kinds.push("proc");
    }
    if !userns || (c.has("net") && (c.has("user") || c.outer_userns)) {
        kinds.push("sysfs");
    }
    if !userns || (c.has("ipc") && (c.has("user") || c.outer_userns)) {
        kinds.push("mqueue");
    }
    if !userns || unshared(c, "cgroup") {
        kinds.push("cgroup2");
    }
    if !userns {
        kinds.push("devtmpfs");
    }
    if c.near("devtmpfs anywhere") {
        kinds.push("devtmpfs");
    }
    let kind = *c.rng.pick(&kinds);
    let mut lines = String::new();
    let mut opts = Vec::new();
    let mut sealed = false;
    let kind = match kind {
        "tmpfs" => {
            if c.rng.chance(60) {
                opts.push(format!("size={}k", c.rng.range(64, 8192)));
            }
            if c.rng.chance(40) {
                // Not 0700: a payload of another user could not enter it as its cwd.
                opts.push(c.rng.pick(&["mode=0755", "mode=1777"]).to_string());
            }
            if c.near("a tmpfs option the kernel refuses") {
                opts.push("bogus=1".into());
            }
            "tmpfs"
        }
        "bind" => {
            let source = if c.near("a missing bind source") {
                "/nonexistent/src".to_owned()
            } else {
                c.rng.pick(&GUEST_DIRS).to_string()
            };
            let _ = writeln!(lines, "source = {}", t(&source));
            if c.rng.chance(30) {
                opts.push("rbind".into());
            }
            "bind"
        }
        "overlay" | "overlay-tmpfs" => {
            let mut layers = c.rng.subset(&GUEST_DIRS, 40);
            if layers.is_empty() {
                layers.push("/etc");
            }
            let mut layers: Vec<String> = layers.iter().map(|s| s.to_string()).collect();
            if c.near("a missing lower layer") {
                layers.push("/nonexistent/layer".into());
            }
            let _ = writeln!(lines, "lower = {}", t_list(&layers));
            if kind == "overlay-tmpfs" {
                lines.push_str("upper = \"tmpfs\"\n");
                if c.rng.chance(50) {
                    let _ = writeln!(lines, "size = \"{}k\"", c.rng.range(64, 4096));
                }
            } else if c.rng.chance(30) {
                // The runner makes these fresh for each case, on the guest's rootfs.
                lines.push_str("upper = \"/tmp/fzu/upper\"\nwork = \"/tmp/fzu/work\"\n");
            } else {
                sealed = true;
            }
            "overlay"
        }
        "devpts" => {
            opts.push("newinstance".into());
            if c.rng.chance(50) {
                opts.push("ptmxmode=0666".into());
            }
            "devpts"
        }
        "proc" => {
            if c.rng.chance(30) {
                opts.push("hidepid=2".into());
            }
            "proc"
        }
        other => other,
    };
    (kind.to_owned(), (lines, opts, sealed))
}

/// Attribute words for a mount: each with some chance, at most one atime mode.
fn mount_attrs(c: &mut Case) -> Vec<String> {
    let mut attrs = c
        .rng
        .subset(
            &[
                "ro",
                "nosuid",
                "nodev",
                "noexec",
                "nodiratime",
                "nosymfollow",
            ],
            25,
        )
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    if c.rng.chance(30) {
        attrs.push(
            c.rng
                .pick(&["relatime", "noatime", "strictatime"])
                .to_string(),
        );
    }
    attrs
}

/// In a user namespace the kernel locks the attributes of the mounts it inherits: a new
/// proc or sysfs must keep those of the visible one (nosuid, nodev, noexec and its atime
/// mode), and a bind cannot change the atime mode of its source (EPERM either way).
fn locked_attrs(kind: &str, attrs: &mut Vec<String>) {
    attrs.retain(|a| !["noatime", "strictatime", "nodiratime", "relatime"].contains(&a.as_str()));
    if kind == "proc" || kind == "sysfs" {
        for word in ["nosuid", "nodev", "noexec"] {
            if !attrs.iter().any(|a| a == word) {
                attrs.push(word.to_owned());
            }
        }
    }
}

/// Checks of a mount from inside: its type and its attributes in /proc/self/mountinfo.
fn mount_checks(c: &mut Case, dest: &str, kind: &str, attrs: &[String], sealed: bool) {
    let fstype = match kind {
        "bind" => "",
        other => other,
    };
    if !fstype.is_empty() {
        c.check(format!(
            "case \"$(mnt {dest})\" in '{fstype} '*) ;; *) f mount {dest} type $(mnt {dest}) ;; esac"
        ));
    } else {
        c.check(format!(
            "[ -n \"$(mnt {dest})\" ] || f mount {dest} missing"
        ));
    }
    // Field 6 of mountinfo: ro or rw, then nosuid, nodev, noexec, noatime, nodiratime,
    // relatime, nosymfollow (the kernel's show_mnt_opts).
    let ro = attrs.iter().any(|a| a == "ro");
    if !sealed {
        let want = if ro { "ro" } else { "rw" };
        c.check(format!(
            "case \"$(mnt {dest})\" in *' {want}'*) ;; *) f mount {dest} not {want}: $(mnt {dest}) ;; esac"
        ));
    } else {
        c.check(format!(
            "! touch {dest}/fz-write 2>/dev/null || f sealed overlay {dest} is writable"
        ));
    }
    for word in [
        "nosuid",
        "nodev",
        "noexec",
        "nodiratime",
        "nosymfollow",
        "noatime",
    ] {
        let configured = attrs.iter().any(|a| a == word);
        if configured {
            c.check(format!(
                "case \"$(mnt {dest})\" in *,{word}*) ;; *) f mount {dest} lacks {word} ;; esac"
            ));
        } else if ["nosuid", "nodev", "noexec"].contains(&word) {
            c.check(format!(
                "case \"$(mnt {dest})\" in *,{word}*) f mount {dest} has {word} ;; esac"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Binary mutations

fn mutate(c: &mut Case, bytes: &mut Vec<u8>) {
    let rng = &mut c.rng;
    let rounds = rng.range(1, 4);
    for _ in 0..rounds {
        let len = bytes.len() as u64;
        let at = rng.below(len.max(1)) as usize;
        match rng.below(7) {
            0 => {
                let bit = rng.below(8);
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << bit;
                }
                c.about.push(format!("flip bit {bit} of byte {at}"));
            }
            1 => {
                let v = *rng.pick(&[0u8, 1, 0x7f, 0x80, 0xff, b'/', b'\n', b'=']);
                if let Some(b) = bytes.get_mut(at) {
                    *b = v;
                }
                c.about.push(format!("byte {at} = {v:#04x}"));
            }
            2 => {
                let n = rng.range(1, 8) as usize;
                let insert: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, insert);
                c.about.push(format!("insert {n} bytes at {at}"));
            }
            3 => {
                let n = (rng.range(1, 16) as usize).min(bytes.len() - at);
                bytes.drain(at..at + n);
                c.about.push(format!("delete {n} bytes at {at}"));
            }
            4 => {
                bytes.truncate(at);
                c.about.push(format!("truncate to {at}"));
            }
            5 => {
                // A 16-bit length or count somewhere: entries and records are framed by them.
                let v = *rng.pick(&[0u16, 1, 0xff, 0x100, 0xffff]);
                if at + 2 <= bytes.len() {
                    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
                }
                c.about.push(format!("u16 at {at} = {v}"));
            }
            _ => {
                let n = rng.range(1, 64) as usize;
                bytes.extend(std::iter::repeat_n(0, n));
                c.about.push(format!("append {n} zero bytes"));
            }
        }
    }
    // Usually re-seal (magic, version, length, CRC) so the mutation reaches the decoder's
    // later checks; sometimes fix the CRC alone; sometimes leave the header as it is.
    match rng.below(100) {
        0..60 if bytes.len() >= wire::HEADER_LEN => {
            wire::seal(bytes);
            c.about.push("resealed".into());
        }
        60..75 if bytes.len() >= wire::HEADER_LEN => {
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
            if let Some(body) = bytes.get(wire::HEADER_LEN..len) {
                let crc = wire::crc32c(body);
                bytes[12..16].copy_from_slice(&crc.to_le_bytes());
                c.about.push("CRC fixed".into());
            }
        }
        _ => c.about.push("header left as is".into()),
    }
}
