//! One-line messages on stderr, each written with a single write(2) so lines from keel and its
//! children never interleave mid-line.
//!
//! Levels follow tini's: 0 silent but for errors, 1 warnings (default), 2 info, 3 debug.
//! Everything goes to stderr: stdout belongs to the workload.
//!
//! Every message goes through the one non-generic [`emit`]: its template, and its arguments
//! as `&dyn Show`, so a call site is a few stores and a call. A ufmt expansion at each of the
//! ~115 sites cost keel 2,088 bytes more (measured on the full build).

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

impl ufmt::uWrite for Line {
    type Error = core::convert::Infallible;
    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// Bytes from the outside world (argv, paths), shown as they are; invalid UTF-8 is fine here.
pub struct Bytes<'a>(pub &'a [u8]);

impl ufmt::uDisplay for Bytes<'_> {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        let mut rest = self.0;
        while !rest.is_empty() {
            let (good, skip) = match core::str::from_utf8(rest) {
                Ok(s) => (s, rest.len()),
                Err(e) => (
                    // The first `valid_up_to` bytes are valid UTF-8 by definition.
                    core::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or(""),
                    e.valid_up_to() + e.error_len().unwrap_or(rest.len() - e.valid_up_to()),
                ),
            };
            f.write_str(good)?;
            if skip > good.len() {
                f.write_str("\u{fffd}")?;
            }
            rest = &rest[skip..];
        }
        Ok(())
    }
}

/// An errno as `ENOENT (No such file or directory)`.
pub struct ErrnoText(pub Errno);

impl ufmt::uDisplay for ErrnoText {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        let raw = self.0.raw_os_error();
        match ERRNO_NAMES.iter().find(|(n, _)| i32::from(*n) == raw) {
            Some((_, text)) => f.write_str(text),
            None => ufmt::uwrite!(f, "errno {}", raw),
        }
    }
}

/// The errnos keel's system calls can meet, with glibc's descriptions. One string per errno,
/// not a name and a description apart: a table of two `&str` costs keel 600 bytes more.
const ERRNO_NAMES: &[(u8, &str)] = &[
    (1, "EPERM (Operation not permitted)"),
    (2, "ENOENT (No such file or directory)"),
    (3, "ESRCH (No such process)"),
    (4, "EINTR (Interrupted system call)"),
    (5, "EIO (Input/output error)"),
    (6, "ENXIO (No such device or address)"),
    (7, "E2BIG (Argument list too long)"),
    (8, "ENOEXEC (Exec format error)"),
    (9, "EBADF (Bad file descriptor)"),
    (10, "ECHILD (No child processes)"),
    (11, "EAGAIN (Resource temporarily unavailable)"),
    (12, "ENOMEM (Cannot allocate memory)"),
    (13, "EACCES (Permission denied)"),
    (14, "EFAULT (Bad address)"),
    (16, "EBUSY (Device or resource busy)"),
    (17, "EEXIST (File exists)"),
    (18, "EXDEV (Invalid cross-device link)"),
    (19, "ENODEV (No such device)"),
    (20, "ENOTDIR (Not a directory)"),
    (21, "EISDIR (Is a directory)"),
    (22, "EINVAL (Invalid argument)"),
    (23, "ENFILE (Too many open files in system)"),
    (24, "EMFILE (Too many open files)"),
    (25, "ENOTTY (Inappropriate ioctl for device)"),
    (26, "ETXTBSY (Text file busy)"),
    (27, "EFBIG (File too large)"),
    (28, "ENOSPC (No space left on device)"),
    (30, "EROFS (Read-only file system)"),
    (31, "EMLINK (Too many links)"),
    (36, "ENAMETOOLONG (File name too long)"),
    (38, "ENOSYS (Function not implemented)"),
    (39, "ENOTEMPTY (Directory not empty)"),
    (40, "ELOOP (Too many levels of symbolic links)"),
    (75, "EOVERFLOW (Value too large for defined data type)"),
    (95, "EOPNOTSUPP (Operation not supported)"),
    (122, "EDQUOT (Disk quota exceeded)"),
];

/// An argument of a message: anything ufmt can display, behind one vtable, so that every
/// message goes through the one non-generic [`emit`] instead of a ufmt expansion per site.
pub trait Show {
    fn show(&self, line: &mut Line);
}

impl<T: ufmt::uDisplay + ?Sized> Show for T {
    fn show(&self, line: &mut Line) {
        let _ = ufmt::uwrite!(line, "{}", self);
    }
}

/// Writes `keel: PREFIX` and `template` with each `{}` replaced by the next of `args`, as one
/// line. The macros below check at compile time that the counts agree.
#[inline(never)]
pub fn emit(prefix: &str, template: &str, args: &[&dyn Show]) {
    let mut line = Line::new(prefix);
    let mut args = args.iter();
    let mut rest = template.as_bytes();
    while let Some(at) = rest.windows(2).position(|pair| pair == b"{}") {
        let (text, after) = rest.split_at(at);
        line.push(text);
        if let Some(arg) = args.next() {
            arg.show(&mut line);
        }
        rest = after.get(2..).unwrap_or_default();
    }
    line.push(rest);
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

/// How many `{}` a template has, for the macros' compile-time check.
pub const fn placeholders(template: &str) -> usize {
    let bytes = template.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'}' {
            n += 1;
            i += 1;
        }
        i += 1;
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
