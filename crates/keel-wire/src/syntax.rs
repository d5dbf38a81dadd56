//! Text forms that keel's command line and keel-gen's TOML share, so that both accept the
//! same spellings: signals (`TERM`, `SIGTERM`, `15`, `RTMIN+3`, `SIGRTMAX-1`, any case),
//! signal rewrites (`TERM:QUIT`, `WINCH:0`) and durations (`250ms`, `5s`, `1m`, `30` seconds).

use crate::limits::MAX_SIGNAL;

/// Names of signals 1..=31 in order: the numbering of x86_64, aarch64 and the other
/// asm-generic architectures. NUL-padded to 6 bytes: a table of `&str` would cost keel 16
/// bytes of pointer and length per name, more than the names.
const NAMES: [[u8; 6]; 31] = [
    *b"HUP\0\0\0",
    *b"INT\0\0\0",
    *b"QUIT\0\0",
    *b"ILL\0\0\0",
    *b"TRAP\0\0",
    *b"ABRT\0\0",
    *b"BUS\0\0\0",
    *b"FPE\0\0\0",
    *b"KILL\0\0",
    *b"USR1\0\0",
    *b"SEGV\0\0",
    *b"USR2\0\0",
    *b"PIPE\0\0",
    *b"ALRM\0\0",
    *b"TERM\0\0",
    *b"STKFLT",
    *b"CHLD\0\0",
    *b"CONT\0\0",
    *b"STOP\0\0",
    *b"TSTP\0\0",
    *b"TTIN\0\0",
    *b"TTOU\0\0",
    *b"URG\0\0\0",
    *b"XCPU\0\0",
    *b"XFSZ\0\0",
    *b"VTALRM",
    *b"PROF\0\0",
    *b"WINCH\0",
    *b"IO\0\0\0\0",
    *b"PWR\0\0\0",
    *b"SYS\0\0\0",
];

/// The name in a padded entry of `NAMES`.
fn name(padded: &[u8; 6]) -> &[u8] {
    let len = padded.iter().position(|&b| b == 0).unwrap_or(padded.len());
    padded.get(..len).unwrap_or_default()
}

/// The first real-time signal as C libraries number it, so as `kill -l` and the programs keel
/// runs know it: they reserve the kernel's 32 and 33 for themselves.
pub const RTMIN: u8 = 34;

/// The name of a signal 1..=31 without `SIG` (`TERM`); other numbers have none (real-time
/// signals are written `RTMIN+n`).
pub fn signal_name(signal: u8) -> Option<&'static str> {
    let padded = NAMES.get(usize::from(signal).checked_sub(1)?)?;
    core::str::from_utf8(name(padded)).ok()
}

/// A signal 1..=64: a number, a name with or without `SIG`, `RTMIN+n` or `RTMAX-n`.
pub fn parse_signal(text: &[u8]) -> Option<u8> {
    let signal = match parse_decimal(text) {
        Some(number) => number,
        None => named_signal(strip_prefix_ignore_case(text, b"SIG").unwrap_or(text))?,
    };
    u8::try_from(signal)
        .ok()
        .filter(|signal| (1..=MAX_SIGNAL).contains(signal))
}

/// `FROM:TO`: forward signal FROM as TO; TO may be `0`, which drops FROM.
pub fn parse_rewrite(text: &[u8]) -> Option<(u8, u8)> {
    let colon = text.iter().position(|&c| c == b':')?;
    let (from, to) = text.split_at_checked(colon)?;
    let to = match to.get(1..)? {
        b"0" => 0,
        to => parse_signal(to)?,
    };
    Some((parse_signal(from)?, to))
}

/// Milliseconds from `250ms`, `5s`, `1m` or `30` (seconds), if they fit in a `u32` (49 days).
pub fn parse_duration_ms(text: &[u8]) -> Option<u32> {
    let (digits, unit_ms) = if let Some(digits) = text.strip_suffix(b"ms") {
        (digits, 1)
    } else if let Some(digits) = text.strip_suffix(b"s") {
        (digits, 1000)
    } else if let Some(digits) = text.strip_suffix(b"m") {
        (digits, 60_000)
    } else {
        (text, 1000)
    };
    parse_decimal(digits)?.checked_mul(unit_ms)
}

/// A decimal number without sign, if it fits in a `u32`.
pub fn parse_decimal(text: &[u8]) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u32, |n, &c| {
        let digit = c.checked_sub(b'0').filter(|&digit| digit < 10)?;
        n.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

/// A signal 1..=31 by name, or a real-time one written `RTMIN`, `RTMIN+n`, `RTMAX`, `RTMAX-n`.
fn named_signal(name: &[u8]) -> Option<u32> {
    if let Some(index) = NAMES
        .iter()
        .position(|padded| self::name(padded).eq_ignore_ascii_case(name))
    {
        return u32::try_from(index + 1).ok();
    }
    let (rtmin, rtmax) = (u32::from(RTMIN), u32::from(MAX_SIGNAL));
    let signal = if let Some(offset) = strip_prefix_ignore_case(name, b"RTMIN") {
        match offset {
            [] => rtmin,
            [b'+', n @ ..] => rtmin.checked_add(parse_decimal(n)?)?,
            _ => return None,
        }
    } else {
        match strip_prefix_ignore_case(name, b"RTMAX")? {
            [] => rtmax,
            [b'-', n @ ..] => rtmax.checked_sub(parse_decimal(n)?)?,
            _ => return None,
        }
    };
    (rtmin..=rtmax).contains(&signal).then_some(signal)
}

fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = text.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}
