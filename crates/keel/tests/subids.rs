//! Subordinate id ranges for an unprivileged keel: the relay maps them through shadow's
//! newuidmap and newgidmap (Debian's `uidmap` package), which check /etc/subuid and
//! /etc/subgid. Each test creates a user of its own with `200000:65536` granted in both
//! files and removes it again, also when it fails (a guard), then starts keel as that user
//! with setpriv.

mod common;

use common::{KEEL, Scratch, processes_mentioning, text};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

/// useradd and userdel lock /etc/passwd: one at a time.
static ACCOUNTS: Mutex<()> = Mutex::new(());

/// A user with `200000-265535` in /etc/subuid and /etc/subgid, removed on drop.
struct SubidUser {
    name: &'static str,
    id: u32,
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().expect(program);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        text(&out.stderr)
    );
}

impl SubidUser {
    fn new(name: &'static str) -> SubidUser {
        let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        // A leftover of a killed run goes first.
        let _ = Command::new("userdel").arg(name).output();
        let _ = Command::new("groupdel").arg(name).output();
        let taken = |file: &str| -> Vec<u32> {
            std::fs::read_to_string(file)
                .expect(file)
                .lines()
                .filter_map(|l| l.split(':').nth(2)?.parse().ok())
                .collect()
        };
        let (users, groups) = (taken("/etc/passwd"), taken("/etc/group"));
        let id = (4200..5000)
            .find(|id| !users.contains(id) && !groups.contains(id))
            .expect("a free id");
        let id_text = id.to_string();
        run("groupadd", &["-g", &id_text, name]);
        let user = SubidUser { name, id };
        // No automatic ranges: only the one granted below.
        run(
            "useradd",
            &[
                "-M",
                "-N",
                "-u",
                &id_text,
                "-g",
                &id_text,
                "-s",
                "/bin/sh",
                "-K",
                "SUB_UID_COUNT=0",
                "-K",
                "SUB_GID_COUNT=0",
                name,
            ],
        );
        run(
            "usermod",
            &[
                "--add-subuids",
                "200000-265535",
                "--add-subgids",
                "200000-265535",
                name,
            ],
        );
        user
    }

    /// keel, as this user with this user's group alone, with `config` and `program`: run
    /// by `setpriv`, or by `prefix` that ends in a command taking setpriv's arguments.
    fn keel(&self, prefix: &[&str], config: &Path, program: &[&str]) -> Output {
        let id = self.id.to_string();
        let (first, rest) = prefix.split_first().unwrap_or((&"setpriv", &[]));
        Command::new(first)
            .args(rest)
            .args([
                &format!("--reuid={id}"),
                &format!("--regid={id}"),
                "--clear-groups",
                KEEL,
                "-c",
            ])
            .arg(config)
            .arg("--")
            .args(program)
            .stdin(Stdio::null())
            .output()
            .expect("keel")
    }
}

impl Drop for SubidUser {
    fn drop(&mut self) {
        let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        // userdel takes the user's ranges out of /etc/subuid and /etc/subgid too.
        let _ = Command::new("userdel").arg(self.name).output();
        let _ = Command::new("groupdel").arg(self.name).output();
    }
}

/// `[namespaces]` as `user`'s own id mapped to 0 and `1..65536` to `FIRST..` for uids
/// and gids.
fn config(
    t: &Scratch,
    user: &SubidUser,
    uid_first: u32,
    gid_first: u32,
    deny: bool,
) -> std::path::PathBuf {
    let id = user.id;
    let setgroups = if deny { "setgroups = \"deny\"\n" } else { "" };
    t.config(
        "keel.cfg",
        &format!(
            "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n\
             uid_mappings = [{{ container_id = 0, host_id = {id}, size = 1 }}, {{ container_id = 1, host_id = {uid_first}, size = 65536 }}]\n\
             gid_mappings = [{{ container_id = 0, host_id = {id}, size = 1 }}, {{ container_id = 1, host_id = {gid_first}, size = 65536 }}]\n\
             {setgroups}"
        ),
    )
}

/// Inside, root (the user) gives a file in a host directory to 1000:1000, which is
/// 200999:200999 on the host; with and without setgroups = "deny", which stays as set.
#[test]
fn an_unprivileged_keel_maps_granted_ranges_through_newuidmap_and_newgidmap() {
    let user = SubidUser::new("keel-subid-test");
    let t = Scratch::new("subids");
    let dir = t.dir("shared");
    std::os::unix::fs::chown(&dir, Some(user.id), Some(user.id)).expect("chown");
    let mut ran = 0;
    for deny in [true, false] {
        let file = dir.join(format!("f-{deny}"));
        let cfg = config(&t, &user, 200000, 200000, deny);
        let script = format!(
            "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups && touch {f} && chown 1000:1000 {f}",
            f = file.display()
        );
        let out = user.keel(&[], &cfg, &["/bin/sh", "-c", &script]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "setgroups deny {deny}: {}",
            text(&out.stderr)
        );
        let maps: Vec<Vec<String>> = text(&out.stdout)
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect();
        let id = user.id.to_string();
        let want = |a: &str, b: &str, c: &str| vec![a.to_owned(), b.to_owned(), c.to_owned()];
        let policy = if deny { "deny" } else { "allow" };
        assert_eq!(
            maps,
            [
                want("0", &id, "1"),
                want("1", "200000", "65536"),
                want("0", &id, "1"),
                want("1", "200000", "65536"),
                vec![policy.to_owned()],
            ]
        );
        let meta = std::fs::metadata(&file).expect("the file");
        assert_eq!((meta.uid(), meta.gid()), (200999, 200999), "deny {deny}");
        ran += 1;
    }
    assert_eq!(ran, 2);
}

/// A uid or gid range the user was not granted: newuidmap's or newgidmap's refusal in one
/// line with the fix, keel's setup status, and nothing left running.
#[test]
fn a_range_not_granted_is_one_line_with_the_fix() {
    let user = SubidUser::new("keel-subid-nogrant");
    let t = Scratch::new("subids-nogrant");
    let id = user.id;
    for (uid_first, gid_first, kind, helper, file, option) in [
        (
            300000,
            200000,
            "uid",
            "newuidmap",
            "/etc/subuid",
            "--add-subuids",
        ),
        (
            200000,
            300000,
            "gid",
            "newgidmap",
            "/etc/subgid",
            "--add-subgids",
        ),
    ] {
        let cfg = config(&t, &user, uid_first, gid_first, false);
        let out = user.keel(&[], &cfg, &["/bin/true"]);
        assert_eq!(out.status.code(), Some(125), "{kind}");
        let stderr = text(&out.stderr);
        let tail = format!(
            " 0 {id} 1 1 300000 65536: exit 1 ({helper}: {kind} range [1-65537) -> [300000-365536) not allowed; \
             uid {id} may map only its own {kind} and the ranges {file} grants it; \
             fix: usermod {option} 300000-365535 $(id -nu {id}))\n"
        );
        let head = format!("keel: {kind} map: {helper} ");
        assert!(
            stderr.starts_with(&head) && stderr.ends_with(&tail) && stderr.lines().count() == 1,
            "{stderr}"
        );
        assert_eq!(processes_mentioning(&cfg), Vec::<String>::new());
    }
}

/// Without the helper (hidden by a tmpfs over /usr/bin, which /bin links to on Debian):
/// one line naming it, the errno and the package.
#[test]
fn a_missing_helper_is_one_line_with_the_package() {
    let user = SubidUser::new("keel-subid-nohelper");
    let t = Scratch::new("subids-nohelper");
    let cfg = config(&t, &user, 200000, 200000, false);
    // setpriv runs from a copy outside /usr/bin, readable by all.
    let setpriv = t.path("setpriv");
    std::fs::copy("/usr/bin/setpriv", &setpriv).expect("copy setpriv");
    std::fs::set_permissions(&setpriv, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = format!(
        "mount -t tmpfs none /usr/bin && exec {} \"$@\"",
        setpriv.display()
    );
    let out = user.keel(
        &[
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            &script,
            "sh",
        ],
        &cfg,
        &["/bin/true"],
    );
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "keel: uid map: /usr/bin/newuidmap: ENOENT (No such file or directory); \
         fix: apt-get install uidmap (keel maps more than its own id through it)\n"
    );
    assert_eq!(processes_mentioning(&cfg), Vec::<String>::new());
}
