//! Finding, reading and applying keel's binary config (the format: `keel_wire`).
//!
//! Sources, first found wins:
//! 1. `-c FILE` / `--config FILE` on the command line;
//! 2. `KEEL_CONFIG=FILE` in the environment;
//! 3. the config `keel-gen embed` appended to keel's binary (found through `.keelcfg`);
//! 4. `/etc/keel.cfg`, if it exists;
//! 5. none: keel behaves like tini.
//!
//! A file is read whole into a static buffer of `wire::MAX_LEN` (64 KiB) bytes; no allocator.
//! Because a config decides mounts and privileges, keel refuses a file that is not a regular
//! file, that group or others may write, or that is owned by someone other than root or
//! keel's effective user. The whole config is decoded and checked before keel changes
//! anything; command-line flags and environment variables override what it says.

use crate::cli::{Mode, Settings};
use crate::log::{Bytes, ErrnoText, Line, Show, error};
use crate::sys;
use core::ffi::CStr;
use keel_wire as wire;
use rustix::fs::{FileType, Mode as FileMode, OFlags};
use rustix::io::Errno;

const DEFAULT_PATH: &CStr = c"/etc/keel.cfg";

static FILE: sys::StaticCell<[u8; wire::MAX_LEN]> = sys::StaticCell::new([0; wire::MAX_LEN]);
static ARGV: sys::StaticCell<sys::PtrList<{ wire::MAX_ARGS + 1 }>> =
    sys::StaticCell::new(sys::PtrList::new());

/// Where a config came from, for messages.
#[derive(Clone, Copy)]
enum Source {
    File(&'static CStr),
    Embedded,
}

impl Show for Source {
    fn show(&self, line: &mut Line) {
        match self {
            Source::File(path) => line.push(path.to_bytes()),
            Source::Embedded => line.push(b"(embedded)"),
        }
    }
}

/// Loads the config, if any, into `s`. `Err(())` after printing why: keel then exits 2.
pub fn load(s: &mut Settings) -> Result<(), ()> {
    let (source, bytes) = match s.config {
        Some(path) => (Source::File(path), read(path, false)?),
        None => match sys::embedded_config().filter(|b| b.starts_with(&wire::MAGIC)) {
            Some(bytes) => (Source::Embedded, bytes),
            None => match read(DEFAULT_PATH, true)? {
                [] => return Ok(()),
                bytes => (Source::File(DEFAULT_PATH), bytes),
            },
        },
    };
    match wire::decode_for(bytes, crate::features::BUILT) {
        Ok(config) => {
            apply(s, &config);
            Ok(())
        }
        Err(e) => {
            error!("config {}: offset {}: {}", source, e.offset, e.what);
            Err(())
        }
    }
}

/// The file's bytes; empty when `optional` and it does not exist.
fn read(path: &'static CStr, optional: bool) -> Result<&'static [u8], ()> {
    let fail = |what: &str, e: Errno| {
        error!(
            "config {}: {}: {}",
            Bytes(path.to_bytes()),
            what,
            ErrnoText(e)
        )
    };
    // NONBLOCK: opening a FIFO would otherwise wait for a writer, before the check below
    // can refuse it; it changes nothing for a regular file.
    let fd = match rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
        FileMode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) if optional => return Ok(&[]),
        Err(e) => {
            fail("open", e);
            return Err(());
        }
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| fail("fstat", e))?;
    let refuse = |why: &str| error!("config {}: {}", Bytes(path.to_bytes()), why);
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        refuse("not a regular file");
        return Err(());
    }
    if st.st_mode & 0o022 != 0 {
        refuse(
            "group or others may write it, and a config decides mounts and privileges: chmod go-w",
        );
        return Err(());
    }
    if st.st_uid != 0 && st.st_uid != rustix::process::geteuid().as_raw() {
        refuse("owned by another user than root or keel's; a config decides mounts and privileges");
        return Err(());
    }
    let buf = FILE.take().ok_or(())?;
    let mut len = 0;
    loop {
        match rustix::io::read(&fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::INTR) => {}
            Err(e) => {
                fail("read", e);
                return Err(());
            }
        }
        if len == buf.len() {
            // Full: one more byte would make it too large for any config.
            let mut probe = [0u8; 1];
            if rustix::io::read(&fd, &mut probe).is_ok_and(|n| n > 0) {
                refuse("larger than 65536 bytes, the most a config may have");
                return Err(());
            }
            break;
        }
    }
    Ok(&buf[..len])
}

/// Fills in what the command line and environment left unset.
fn apply(s: &mut Settings, c: &wire::Config<'static>) {
    let (p, v) = (&c.process, &c.supervision);
    if s.program.len() == 0
        && !p.args.is_empty()
        && let Some(argv) = ARGV.take()
    {
        {
            // decode checked the count against MAX_ARGS, so every push fits.
            for arg in p.args.iter() {
                let _ = argv.push(arg);
            }
            s.program = argv.as_array();
        }
    }
    s.process = *p;
    s.cgroup = c.cgroup;
    s.namespaces = c.namespaces;
    s.mounts = c.mounts;
    s.landlock = c.landlock;
    #[cfg(feature = "services")]
    {
        s.services = c.services;
    }
    s.seal_exe = s.seal_exe.or(v.seal_exe);

    if s.mode.is_none() {
        s.mode = v.mode.map(|m| match m {
            wire::Mode::Supervise => Mode::Supervise,
            wire::Mode::Exec => Mode::Exec,
            wire::Mode::Machine => Mode::Machine,
        });
    }
    s.subreaper |= v.subreaper == Some(true);
    s.kill_process_group |= v.kill_process_group == Some(true);
    s.warn_on_reap |= v.warn_on_reap == Some(true);
    for code in v.remap_exit.iter() {
        s.remap_exit.insert(code);
    }
    for (from, to) in v.rewrite.iter() {
        if let Some(slot @ None) = s.rewrite.get_mut(usize::from(from)) {
            *slot = Some(to);
        }
    }
    s.grace_ms = s.grace_ms.or(v.grace_ms);
    s.verbosity = s.verbosity.or(v.verbosity);
    s.parent_death_signal = s.parent_death_signal.or(v.parent_death_signal);
}
