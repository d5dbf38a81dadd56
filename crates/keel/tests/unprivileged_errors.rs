//! What an unprivileged keel cannot do (issue 14), started as the test user as in
//! tests/unprivileged.rs: what needs root, or a namespace the config does not ask for, is one
//! line naming the step, the path or the namespace, and the fix; asserted exactly.

mod common;
use common::unprivileged::Unprivileged;
use common::{host_mounts, text};

/// What needs root, or a namespace the config does not ask for: one line each, with the fix.
#[test]
fn what_needs_root_is_one_line_with_the_fix() {
    let u = Unprivileged::new("unpriv-errors");
    let (uid, gid) = (u.user.uid, u.user.gid);
    assert_eq!(
        u.setup_error("[namespaces]\nunshare = [\"mount\"]\n"),
        "keel: namespaces: unshare: EPERM (Operation not permitted): new namespaces need CAP_SYS_ADMIN: add \"user\" to unshare (keel gets it in a user namespace of its own), or start keel as root\n"
    );
    assert_eq!(
        u.setup_error("[namespaces]\nunshare = [\"mount\", \"pid\"]\n"),
        "keel: namespaces: clone: EPERM (Operation not permitted): new namespaces need CAP_SYS_ADMIN: add \"user\" to unshare (keel gets it in a user namespace of its own), or start keel as root\n"
    );
    // Ids the user does not own: only root (or newuidmap's /etc/subuid ranges) maps them.
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\"]\n\
         uid_mappings = [{{ container_id = 0, host_id = 100000, size = 65536 }}]\n\
         gid_mappings = [{{ container_id = 0, host_id = {gid}, size = 1 }}]\nsetgroups = \"deny\"\n"
    );
    // More than its own uid: keel asks newuidmap, which refuses a range /etc/subuid does not
    // grant (the test user has none), and its line names the fix.
    let line = u.setup_error(&toml);
    let pid = line
        .strip_prefix("keel: uid map: newuidmap ")
        .and_then(|rest| rest.split_once(' '))
        .map(|(pid, _)| pid)
        .unwrap_or_else(|| panic!("not newuidmap's refusal: {line}"));
    assert_eq!(
        line.replacen(pid, "PID", 1),
        format!(
            "keel: uid map: newuidmap PID 0 100000 65536: exit 1 (newuidmap: uid range [0-65536) -> [100000-165536) not allowed; uid {uid} may map only its own uid and the ranges /etc/subuid grants it; fix: usermod --add-subuids 100000-165535 $(id -nu {uid}))\n"
        )
    );
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\"]\n\
         uid_mappings = [{{ container_id = 0, host_id = {uid}, size = 1 }}]\n\
         gid_mappings = [{{ container_id = 0, host_id = {gid}, size = 1 }}]\n"
    );
    assert_eq!(
        u.setup_error(&toml),
        format!(
            "keel: namespaces: write /proc/PID/gid_map: EPERM (Operation not permitted): without CAP_SETGID in the parent namespace, set setgroups = \"deny\" and map only keel's own gid: host_id = {gid} with size = 1, or start keel as root\n"
        )
    );
    // A filesystem whose namespace keel does not own: its own namespace is the fix.
    let at = u.t.dir("m");
    for (fs, namespace) in [("proc", "pid"), ("sysfs", "net"), ("mqueue", "ipc")] {
        let toml = format!(
            "[namespaces]\nunshare = [\"user\", \"mount\"]\n{}\
             [[mount]]\ndestination = \"{}\"\ntype = \"{fs}\"\n",
            u.maps(),
            at.display()
        );
        let step = if fs == "sysfs" {
            "fsopen sysfs".to_owned()
        } else {
            format!("create {fs} for {}", at.display())
        };
        assert_eq!(
            u.setup_error(&toml),
            format!(
                "keel: mounts: {step}: EPERM (Operation not permitted): {fs} needs a {namespace} namespace of its own: add \"{namespace}\" to unshare\n"
            )
        );
    }
    let toml = format!(
        "[namespaces]\nunshare = [\"user\", \"mount\"]\n{}\
         [[mount]]\ndestination = \"{}\"\ntype = \"devtmpfs\"\n",
        u.maps(),
        at.display()
    );
    assert_eq!(
        u.setup_error(&toml),
        format!(
            "keel: mounts: create devtmpfs for {}: EPERM (Operation not permitted): devtmpfs needs root: in a user namespace, bind the host's device nodes onto a tmpfs /dev\n",
            at.display()
        )
    );
    let toml = format!(
        "[process]\noom_score_adj = -500\n[namespaces]\nunshare = [\"user\", \"mount\"]\n{}",
        u.maps()
    );
    assert_eq!(
        u.setup_error(&toml),
        "keel: security: write /proc/self/oom_score_adj: EACCES (Permission denied): lowering it needs CAP_SYS_RESOURCE: start keel as root, or set oom_score_adj = 0 or more\n"
    );
    // cgroup delegation: the host's layout decides which refusal comes first.
    let toml = format!(
        "[cgroup]\n[namespaces]\nunshare = [\"user\", \"mount\"]\n{}",
        u.maps()
    );
    let err = u.setup_error(&toml);
    if cgroup2() {
        assert!(
            err.starts_with("keel: cgroup: ")
                && err.ends_with("delegate the cgroup to keel's user\n"),
            "{err}"
        );
    } else {
        assert_eq!(
            err,
            "keel: cgroup: /sys/fs/cgroup: a tmpfs, not cgroup2: a cgroup v1 or hybrid layout (or nothing mounted); keel needs the unified cgroup v2 hierarchy (boot with systemd.unified_cgroup_hierarchy=1)\n"
        );
    }
}

/// Whether /sys/fs/cgroup is the unified cgroup v2 hierarchy.
fn cgroup2() -> bool {
    host_mounts()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some("/sys/fs/cgroup") && l.contains(" - cgroup2 "))
}

/// With no user namespace left to make (user.max_user_namespaces = 0 in the user's own
/// namespace, where it may set it), the clone fails with ENOSPC and keel names the sysctl.
#[test]
fn no_user_namespace_left_is_one_line_naming_the_sysctl() {
    let u = Unprivileged::new("unpriv-nouserns");
    let cfg = u.t.config(
        "keel.cfg",
        "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n",
    );
    // keel reads a config only from root or its own user: root is unmapped in there.
    u.user.own(&cfg);
    let script = format!(
        "echo 0 > /proc/sys/user/max_user_namespaces && exec {} -c {} -- /bin/true",
        u.keel.display(),
        cfg.display()
    );
    let out = u
        .user
        .command(std::path::Path::new("/usr/bin/unshare"))
        .args(["--user", "--map-root-user", "/bin/sh", "-c", &script])
        .output()
        .expect("unshare");
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "keel: namespaces: clone: ENOSPC (No space left on device): no user namespace left to create here (sysctl user.max_user_namespaces; 0 disables them)\n"
    );
}
