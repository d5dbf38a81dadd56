//! One-line messages on stderr, each written with a single write(2) so lines from keel and its
//! children never interleave mid-line.
//!
//! Levels follow tini's: 0 silent but for errors, 1 warnings (default), 2 info, 3 debug.
//! Everything goes to stderr: stdout belongs to the workload.
//!
//! Every message goes through the one non-generic [`emit`]: its template, and its arguments
//! as `&dyn Show`, so a call site is a few stores and a call. A ufmt expansion at each of the
//! ~115 sites cost keel 2,088 bytes more (measured on the full build). Each argument type
//! pushes its own bytes: showing them through ufmt's `uDisplay` cost 704 bytes more (full)
//! and 448 (minimal), and its `&str` interface made argv bytes pass a UTF-8 check.

use core::sync::atomic::{AtomicU8, Ordering};
use rustix::io::Errno;

static VERBOSITY: AtomicU8 = AtomicU8::new(1);

pub const WARN: u8 = 1;
pub const INFO: u8 = 2;
pub const DEBUG: u8 = 3;

pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub fn enabled(level: u8) -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= level
}

/// A message being assembled; [`Line::emit`] writes it with its trailing newline.
pub struct Line {
    buf: [u8; 512],
    len: usize,
}

impl Line {
    pub fn new(prefix: &str) -> Line {
        let mut line = Line {
            buf: [0; 512],
            len: 0,
        };
        line.push(b"keel: ");
        line.push(prefix.as_bytes());
        line
    }

    pub fn push(&mut self, bytes: &[u8]) {
        // Leave one byte for the newline; a message too long for the buffer is cut, not lost.
        let room = self.buf.len() - 1 - self.len;
        let n = bytes.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    /// `magnitude` in decimal, after a `-` when `negative`.
    #[inline(never)]
    pub fn push_decimal(&mut self, negative: bool, mut magnitude: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        if negative {
            self.push(b"-");
        }
        self.push(digits.get(at..).unwrap_or_default());
    }

    pub fn emit(&mut self) {
        self.buf[self.len] = b'\n';
        let mut out = &self.buf[..=self.len];
        while !out.is_empty() {
            match rustix::io::write(crate::sys::stdio(2), out) {
                Ok(n) => out = &out[n..],
                Err(Errno::INTR) => {}
                // Nowhere left to report to: stderr is closed or broken.
                Err(_) => return,
            }
        }
    }
}

/// Bytes from the outside world (argv, paths), shown as they are, as tini shows them:
/// invalid UTF-8 is fine here.
pub struct Bytes<'a>(pub &'a [u8]);

impl Show for Bytes<'_> {
    fn show(&self, line: &mut Line) {
        line.push(self.0);
    }
}

/// An errno as `ENOENT (No such file or directory)`.
pub struct ErrnoText(pub Errno);

impl Show for ErrnoText {
    fn show(&self, line: &mut Line) {
        let raw = self.0.raw_os_error();
        let text = ERRNOS
            .iter()
            .position(|&n| i32::from(n) == raw)
            .and_then(|index| self::line(ERRNO_TEXTS, index));
        match text {
            Some(text) => line.push(text.as_bytes()),
            None => {
                line.push(b"errno ");
                raw.show(line);
            }
        }
    }
}

/// Line `index` of `text` (lines end with '\n'), by a byte loop: str's splitters would bring
/// their pattern searchers.
fn line(text: &str, index: usize) -> Option<&str> {
    let mut start = 0;
    let mut seen = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if byte == b'\n' {
            if seen == index {
                return text.get(start..at);
            }
            seen += 1;
            start = at + 1;
        }
    }
    None
}

/// The errnos keel's system calls can meet, and their names with glibc's descriptions, one
/// line each in the same order: one string instead of a table of `&str`, whose 16-byte
/// pointers cost keel more than the text.
const ERRNOS: [u8; 36] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
    28, 30, 31, 36, 38, 39, 40, 75, 95, 122,
];
const ERRNO_TEXTS: &str = "\
EPERM (Operation not permitted)\n\
ENOENT (No such file or directory)\n\
ESRCH (No such process)\n\
EINTR (Interrupted system call)\n\
EIO (Input/output error)\n\
ENXIO (No such device or address)\n\
E2BIG (Argument list too long)\n\
ENOEXEC (Exec format error)\n\
EBADF (Bad file descriptor)\n\
ECHILD (No child processes)\n\
EAGAIN (Resource temporarily unavailable)\n\
ENOMEM (Cannot allocate memory)\n\
EACCES (Permission denied)\n\
EFAULT (Bad address)\n\
EBUSY (Device or resource busy)\n\
EEXIST (File exists)\n\
EXDEV (Invalid cross-device link)\n\
ENODEV (No such device)\n\
ENOTDIR (Not a directory)\n\
EISDIR (Is a directory)\n\
EINVAL (Invalid argument)\n\
ENFILE (Too many open files in system)\n\
EMFILE (Too many open files)\n\
ENOTTY (Inappropriate ioctl for device)\n\
ETXTBSY (Text file busy)\n\
EFBIG (File too large)\n\
ENOSPC (No space left on device)\n\
EROFS (Read-only file system)\n\
EMLINK (Too many links)\n\
ENAMETOOLONG (File name too long)\n\
ENOSYS (Function not implemented)\n\
ENOTEMPTY (Directory not empty)\n\
ELOOP (Too many levels of symbolic links)\n\
EOVERFLOW (Value too large for defined data type)\n\
EOPNOTSUPP (Operation not supported)\n\
EDQUOT (Disk quota exceeded)\n";

/// An argument of a message, behind one vtable, so that every message goes through the one
/// non-generic [`emit`] instead of a formatting expansion per site.
pub trait Show {
    fn show(&self, line: &mut Line);
}

impl<T: Show + ?Sized> Show for &T {
    fn show(&self, line: &mut Line) {
        (**self).show(line);
    }
}

impl Show for str {
    fn show(&self, line: &mut Line) {
        line.push(self.as_bytes());
    }
}

/// Integers in decimal, all through the one [`Line::push_decimal`].
macro_rules! show_integers {
    ($($t:ty: $negative:expr, $magnitude:expr);* $(;)?) => {$(
        impl Show for $t {
            fn show(&self, line: &mut Line) {
                let n = *self;
                line.push_decimal($negative(n), $magnitude(n));
            }
        }
    )*};
}
show_integers! {
    i32: |n: i32| n < 0, |n: i32| u64::from(n.unsigned_abs());
    i64: |n: i64| n < 0, |n: i64| n.unsigned_abs();
    u8: |_| false, u64::from;
    u16: |_| false, u64::from;
    u32: |_| false, u64::from;
    u64: |_| false, |n| n;
    usize: |_| false, |n: usize| n as u64;
}

/// Writes `keel: PREFIX` and `template` with each `{}` replaced by the next of `args`, as one
/// line. The macros below check at compile time that the counts agree.
#[inline(never)]
pub fn emit(prefix: &str, template: &str, args: &[&dyn Show]) {
    let mut line = Line::new(prefix);
    let mut args = args.iter();
    let template = template.as_bytes();
    let mut from = 0;
    while let Some(at) = placeholder(template, from) {
        line.push(template.get(from..at).unwrap_or_default());
        if let Some(arg) = args.next() {
            arg.show(&mut line);
        }
        from = at + 2;
    }
    line.push(template.get(from..).unwrap_or_default());
    line.emit();
}

/// [`emit`] with the prefix of a level, when the verbosity reaches it.
#[inline(never)]
pub fn say_at(level: u8, template: &str, args: &[&dyn Show]) {
    if enabled(level) {
        let prefix = match level {
            WARN => "warning: ",
            INFO => "info: ",
            _ => "debug: ",
        };
        emit(prefix, template, args);
    }
}

/// Where the first `{}` at or after `from` is in a template: what [`emit`] fills and
/// [`placeholders`] counts, so both read templates the same way.
const fn placeholder(template: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + 1 < template.len() {
        if template[at] == b'{' && template[at + 1] == b'}' {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// How many `{}` a template has, for the macros' compile-time check.
pub const fn placeholders(template: &str) -> usize {
    let (mut from, mut n) = (0, 0);
    while let Some(at) = placeholder(template.as_bytes(), from) {
        n += 1;
        from = at + 2;
    }
    n
}

/// One, whatever it is given: counts a macro's arguments in a constant.
pub const fn one(_: &str) -> usize {
    1
}

/// `error!("exec {}: {}", ...)`: always printed, as `keel: …`.
macro_rules! error {
    ($template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::log::placeholders($template) == 0 $(+ $crate::log::one(stringify!($arg)))*,
            "the number of placeholders and of arguments differ"
        );
        $crate::log::emit("", $template, &[$(&$arg as &dyn $crate::log::Show),*])
    }};
}

/// `say!(log::WARN, "...")`: printed when the verbosity reaches the level.
macro_rules! say {
    ($level:expr, $template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::log::placeholders($template) == 0 $(+ $crate::log::one(stringify!($arg)))*,
            "the number of placeholders and of arguments differ"
        );
        $crate::log::say_at($level, $template, &[$(&$arg as &dyn $crate::log::Show),*])
    }};
}

pub(crate) use {error, say};
