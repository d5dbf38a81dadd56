//! What every generator shares: the guest's facts, the per-case PRNG, TOML quoting, and
//! the case being written. A leaf: it knows nothing of the sections.

use std::fmt::Write as _;

/// Where the guest runner puts the cases.
pub const GUEST_CASES: &str = "/fuzz/cases";
/// The cgroup v2 controllers of both guest kernels, in the kernel's order (the order of
/// `cgroup.subtree_control`).
pub const CONTROLLERS: [&str; 8] = [
    "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc",
];
/// Directories of the guest's initramfs, for binds and overlay layers.
pub const GUEST_DIRS: [&str; 5] = ["/etc", "/bin", "/sbin", "/usr", "/lib"];
/// Exit statuses keel itself uses (documented in README.md): a payload avoids them, so a
/// status tells who ended the case.
pub const KEEL_STATUSES: [u8; 5] = [2, 70, 125, 126, 127];
/// The statuses a near-valid case may end with besides the payload's: keel's documented
/// set-up failures, and 128+9 for a payload the kernel killed (an out-of-memory limit).
pub const NEAR_STATUSES: [u8; 5] = [2, 125, 126, 127, 137];

/// The `RLIMIT_*` numbers that bound a program's memory, and the signal a starved exec gets.
pub const RLIMIT_DATA: u8 = 2;
pub const RLIMIT_STACK: u8 = 3;
pub const RLIMIT_AS: u8 = 9;
pub const SIGSEGV: i32 = 11;

/// splitmix64: tiny, fast and good enough to pick cases; seeded per case.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, case: u64) -> Rng {
        let mut r = Rng(seed ^ case.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A random subset of `items`, in their order.
    pub fn subset<T: Clone>(&mut self, items: &[T], percent: u64) -> Vec<T> {
        items
            .iter()
            .filter(|_| self.chance(percent))
            .cloned()
            .collect()
    }

    /// A short name of `[a-z0-9_]`, starting with a letter.
    pub fn name(&mut self, prefix: &str) -> String {
        let mut s = prefix.to_owned();
        for _ in 0..self.range(1, 6) {
            s.push(*self.pick(b"abcdefghijklmnopqrstuvwxyz0123456789_") as char);
        }
        s
    }

    /// A string of odd characters TOML can carry: controls, quotes, shell metacharacters,
    /// multi-byte UTF-8 and U+00FF. `newlines` allows line breaks.
    pub fn odd(&mut self, max: u64, newlines: bool) -> String {
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
pub fn t(s: &str) -> String {
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

pub fn t_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| t(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// One single-quoted POSIX shell word.
pub fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Valid,
    Near,
    Binary,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Near => "near",
            Kind::Binary => "binary",
        }
    }
}

/// A case being built: the TOML, the payload's checks, and what the outcome may be.
pub struct Case {
    pub rng: Rng,
    pub kind: Kind,
    pub dir: String,
    pub toml: String,
    pub checks: Vec<String>,
    pub about: Vec<String>,
    /// The status the payload exits with after its checks.
    pub exit: u8,
    /// The status keel reports for it (0 when `remap_exit` lists it).
    pub status: u8,
    pub machine: bool,
    /// `mode = "exec"`: the payload replaces keel (as the kernel's init, its exit panics).
    pub exec: bool,
    /// The config sets a mode: as the kernel's init keel then does not default to machine
    /// mode (no API filesystems, no power-off, so its exit panics the kernel).
    pub mode_set: bool,
    pub verbosity: u8,
    /// keel runs in the runner's user namespace (identity map).
    pub outer_userns: bool,
    /// The config's own namespaces (None: no [namespaces] section).
    pub unshare: Option<Vec<&'static str>>,
    /// Some process in a user namespace other than the initial one builds the mounts.
    pub mounts_in_userns: bool,
    /// The config's user namespace maps only keel's ids (to root): no other id exists there.
    pub only_root_mapped: bool,
}

impl Case {
    pub fn near(&mut self, what: &str) -> bool {
        if self.kind == Kind::Near && self.rng.chance(25) {
            self.about.push(what.to_owned());
            true
        } else {
            false
        }
    }

    pub fn check(&mut self, line: String) {
        self.checks.push(line);
    }

    pub fn has(&self, ns: &str) -> bool {
        self.unshare.as_ref().is_some_and(|u| u.contains(&ns))
    }
}
