//! An unprivileged user for the tests that start keel as one: created with useradd when the
//! first test of a binary takes a [`TestUser`], removed with userdel when the last one drops
//! it (also when a test panics: the drop runs while unwinding). Test threads share the one
//! user; the count of holders says when it may go. Test binaries run at the same time take
//! turns: each holds an exclusive flock on a lock file while its user exists. A user left
//! by a killed run is removed before the next one is created.
//!
//! It is a system user with no home and no /etc/subuid range, so it owns exactly one uid and
//! one gid: what a user namespace lets it map is its own ids and nothing else.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

pub const NAME: &str = "keel-test";

/// The user's ids, valid while this is held.
pub struct TestUser {
    pub uid: u32,
    pub gid: u32,
}

/// Held while this process's user exists.
const LOCK: &str = "/tmp/keel-test-user.lock";

/// The user while it exists: its ids, and the locked file.
struct Made {
    uid: u32,
    gid: u32,
    _lock: File,
}

/// How many [`TestUser`]s are alive, and the user while any is.
static HOLDERS: Mutex<(usize, Option<Made>)> = Mutex::new((0, None));

impl TestUser {
    pub fn take() -> TestUser {
        let mut holders = HOLDERS.lock().unwrap_or_else(PoisonError::into_inner);
        let (uid, gid) = match &holders.1 {
            Some(made) => (made.uid, made.gid),
            None => {
                let lock = File::create(LOCK).unwrap_or_else(|e| panic!("{LOCK}: {e}"));
                // SAFETY: flock(2) on a descriptor this function owns.
                let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
                assert_eq!(locked, 0, "flock {LOCK}");
                let (uid, gid) = create();
                holders.1 = Some(Made {
                    uid,
                    gid,
                    _lock: lock,
                });
                (uid, gid)
            }
        };
        holders.0 += 1;
        TestUser { uid, gid }
    }

    /// `program` started as this user, with no supplementary groups and no capabilities
    /// (setpriv changes the ids of a root process: the kernel clears its capabilities).
    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .arg("--clear-groups")
            .arg(program);
        c
    }

    /// `path` (a file or a directory, not what is under it) given to this user.
    pub fn own(&self, path: &Path) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }

    /// `path` and everything under it given to this user.
    pub fn own_tree(&self, path: &Path) {
        let out = Command::new("chown")
            .arg("-R")
            .arg(format!("{}:{}", self.uid, self.gid))
            .arg(path)
            .output()
            .expect("chown");
        assert!(out.status.success(), "chown -R {}", path.display());
    }

    /// A copy of keel in `dir` (which the user can reach), since the build's target
    /// directory may be under a home the user cannot enter.
    pub fn keel_in(&self, dir: &Path) -> PathBuf {
        let copy = dir.join("keel");
        std::fs::copy(super::KEEL, &copy).expect("copy keel");
        copy
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let mut holders = HOLDERS.lock().unwrap_or_else(PoisonError::into_inner);
        holders.0 -= 1;
        if holders.0 == 0 {
            // No panic here: a drop during unwinding would abort the whole test binary.
            if let Err(e) = remove() {
                eprintln!("userdel {NAME}: {e}");
            }
            // Closing the file releases the lock, once the user is gone.
            holders.1 = None;
        }
    }
}

/// Whether the user exists now.
pub fn exists() -> bool {
    Command::new("id")
        .arg(NAME)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn remove() -> Result<(), String> {
    let out = Command::new("userdel")
        .arg(NAME)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() && !exists() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn create() -> (u32, u32) {
    if exists() {
        eprintln!("{NAME}: left by an earlier run: removing it");
        remove().unwrap_or_else(|e| panic!("userdel {NAME}: {e}"));
    }
    let out = Command::new("useradd")
        .args([
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            NAME,
        ])
        .output()
        .expect("useradd (the tests that run keel unprivileged need root and useradd)");
    assert!(
        out.status.success(),
        "useradd {NAME}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").args([flag, NAME]).output().expect("id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("id {flag} {NAME}: {e}"))
    };
    (id("-u"), id("-g"))
}
