//! Signal names, as users write them on the command line and as keel prints them.

/// Names of signals 1..=31 (x86_64 and aarch64 numbering), in order.
const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// The first real-time signal as C libraries number it: they reserve 32 and 33.
const RTMIN: i32 = 34;
pub const MAX: i32 = 64;

/// Parses `TERM`, `SIGTERM`, `15`, `RTMIN+3` or `SIGRTMAX-1` (case-insensitive): 1..=64.
pub fn parse(text: &[u8]) -> Option<i32> {
    if let Some(n) = number(text) {
        return (1..=MAX).contains(&n).then_some(n);
    }
    let name = strip_prefix_ignore_case(text, b"SIG").unwrap_or(text);
    if let Some(i) = NAMES
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
    {
        return Some(i as i32 + 1);
    }
    let (base, rest) = if let Some(rest) = strip_prefix_ignore_case(name, b"RTMIN") {
        (RTMIN, rest)
    } else {
        (MAX, strip_prefix_ignore_case(name, b"RTMAX")?)
    };
    let n = match rest {
        [] => base,
        [b'+', digits @ ..] if base == RTMIN => base + number(digits)?,
        [b'-', digits @ ..] if base == MAX => base - number(digits)?,
        _ => return None,
    };
    (RTMIN..=MAX).contains(&n).then_some(n)
}

/// Shows a signal as tini does (`SIGTERM`), real-time ones as `SIGRTMIN+n`.
pub struct Name(pub i32);

impl ufmt::uDisplay for Name {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        match usize::try_from(self.0 - 1).ok().and_then(|i| NAMES.get(i)) {
            Some(name) => ufmt::uwrite!(f, "SIG{}", *name),
            None if self.0 >= RTMIN => ufmt::uwrite!(f, "SIGRTMIN+{}", self.0 - RTMIN),
            None => ufmt::uwrite!(f, "signal {}", self.0),
        }
    }
}

/// A decimal number of at most 9 digits (so it cannot overflow).
pub fn number(text: &[u8]) -> Option<i32> {
    if text.is_empty() || text.len() > 9 {
        return None;
    }
    text.iter().try_fold(0i32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i32::from(c - b'0'))
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}
