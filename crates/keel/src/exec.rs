//! execve with a PATH search, as `execvp` does, and the exit codes shells use when it fails.

use crate::cli::exit;
use crate::log::{Bytes, ErrnoText, error};
use crate::sys;
use core::ffi::CStr;
use rustix::io::Errno;

/// Used when the environment has no PATH (the value glibc's execvp and Docker use).
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Replaces this process with `argv[0]`, looked up in `path` when it has no slash.
/// Returns only on failure, with the exit status to report (126 or 127) after saying why.
pub fn exec(argv: sys::StrArray, envp: *const *const u8, path: Option<&[u8]>) -> i32 {
    let Some(program) = argv.get(0) else {
        error!("exec: no program");
        return exit::NOT_FOUND;
    };
    let name = program.to_bytes();
    let errno = if name.contains(&b'/') {
        sys::execve(program, argv.as_ptr(), envp)
    } else {
        search(name, argv, envp, path.unwrap_or(DEFAULT_PATH))
    };
    report(name, errno)
}

/// Tries every PATH directory in order. The error kept is the most telling one: a found but
/// unusable file (EACCES…) beats "not here" (ENOENT), as in execvp.
fn search(name: &[u8], argv: sys::StrArray, envp: *const *const u8, path: &[u8]) -> Errno {
    let mut buf = [0u8; 4096];
    let mut errno = Errno::NOENT;
    for dir in path.split(|&c| c == b':') {
        // An empty PATH entry means the current directory.
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let len = dir.len() + 1 + name.len();
        if len >= buf.len() {
            continue;
        }
        buf[..dir.len()].copy_from_slice(dir);
        buf[dir.len()] = b'/';
        buf[dir.len() + 1..len].copy_from_slice(name);
        buf[len] = 0;
        let Ok(candidate) = CStr::from_bytes_with_nul(&buf[..=len]) else {
            continue;
        };
        match sys::execve(candidate, argv.as_ptr(), envp) {
            Errno::NOENT | Errno::NOTDIR | Errno::NAMETOOLONG => {}
            other => errno = other,
        }
    }
    errno
}

/// Says why exec failed and picks the status: 127 when there is nothing to run, 126 when
/// something was found but cannot be run.
fn report(name: &[u8], errno: Errno) -> i32 {
    error!("exec {}: {}", Bytes(name), ErrnoText(errno));
    match errno {
        Errno::NOENT | Errno::NOTDIR | Errno::NAMETOOLONG | Errno::LOOP => exit::NOT_FOUND,
        _ => exit::NOT_EXECUTABLE,
    }
}
