//! keel started by the test user of [`super::user`]: a scratch directory, the user, and a
//! copy of keel it can run, with the configs and checks the unprivileged tests share.

use super::user::TestUser;
use super::{Scratch, processes_mentioning, setup_error};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A scratch directory, the test user, and a copy of keel it can run.
pub struct Unprivileged {
    pub t: Scratch,
    pub user: TestUser,
    pub keel: PathBuf,
}

impl Unprivileged {
    pub fn new(name: &str) -> Unprivileged {
        let t = Scratch::new(name);
        let user = TestUser::take();
        let keel = user.keel_in(&t.path(""));
        Unprivileged { t, user, keel }
    }

    /// The user's one uid and gid as root inside, as an unprivileged keel may map them.
    pub fn maps(&self) -> String {
        self.maps_to(0)
    }

    pub fn maps_to(&self, inside: u32) -> String {
        format!(
            "uid_mappings = [{{ container_id = {inside}, host_id = {}, size = 1 }}]\n\
             gid_mappings = [{{ container_id = {inside}, host_id = {}, size = 1 }}]\n\
             setgroups = \"deny\"\n",
            self.user.uid, self.user.gid
        )
    }

    /// keel as the user with `args` (options), the config and a shell script as the workload.
    pub fn command(&self, args: &[&str], toml: &str, script: &str) -> Command {
        let cfg = self.t.config("keel.cfg", toml);
        let mut c = self.user.command(&self.keel);
        c.args(args)
            .arg("-c")
            .arg(&cfg)
            .args(["--", "/bin/sh", "-c", script])
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, toml: &str, script: &str) -> Output {
        self.command(&[], toml, script)
            .output()
            .expect("setpriv keel")
    }

    /// The one line of a run that must fail before the workload (status 125), with the pid
    /// in a `/proc/PID/` path replaced by `PID`; and no keel left running.
    pub fn setup_error(&self, toml: &str) -> String {
        let err = setup_error(&self.run(toml, "echo RAN"));
        assert_eq!(
            processes_mentioning(&self.t.path("keel.cfg")),
            Vec::<String>::new()
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        without_pid(&err)
    }

    /// A busybox root filesystem that belongs to the user, with `dirs` in it.
    pub fn root(&self, dirs: &[&str]) -> PathBuf {
        let root = self.t.busybox_root(
            dirs,
            &[
                "sh", "awk", "cat", "echo", "grep", "hostname", "id", "ls", "readlink", "touch",
            ],
        );
        self.user.own_tree(&root);
        root
    }
}

fn without_pid(line: &str) -> String {
    match line.split_once("/proc/") {
        Some((head, tail)) if tail.starts_with(|c: char| c.is_ascii_digit()) => {
            let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{head}/proc/PID{rest}")
        }
        _ => line.to_owned(),
    }
}
