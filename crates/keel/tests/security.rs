//! The workload's privileges as it sees them in /proc/self/status and /proc/self/limits:
//! user and groups, capabilities, no_new_privs, rlimits, umask, oom_score_adj. As root.

mod common;
use common::{KEEL, Scratch, landlock_system, ok, text};
use std::process::{Command, Output};

fn run(t: &Scratch, toml: &str, script: &str) -> Output {
    let cfg = t.config("keel.cfg", toml);
    Command::new(KEEL)
        .arg("-c")
        .arg(&cfg)
        .args(["--", "/bin/sh", "-c", script])
        .output()
        .expect("keel")
}

/// The value of a `Name:\tvalue` line of /proc/self/status as printed by the workload.
fn field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in {status}"))
}

const NET_BIND_SERVICE: u64 = 1 << 10;

#[test]
fn user_groups_and_ambient_capabilities_reach_a_non_root_workload() {
    let t = Scratch::new("sec-user");
    let toml = "[process]\nno_new_privileges = true\n\
                [process.user]\nuid = 1000\ngid = 1000\nadditional_gids = [10, 20]\n\
                [process.capabilities]\nbounding = [\"CAP_NET_BIND_SERVICE\"]\neffective = [\"CAP_NET_BIND_SERVICE\"]\n\
                permitted = [\"CAP_NET_BIND_SERVICE\"]\ninheritable = [\"CAP_NET_BIND_SERVICE\"]\nambient = [\"CAP_NET_BIND_SERVICE\"]\n";
    let status = ok(&run(&t, toml, "cat /proc/self/status"));
    assert_eq!(field(&status, "Uid"), "1000\t1000\t1000\t1000");
    assert_eq!(field(&status, "Gid"), "1000\t1000\t1000\t1000");
    assert_eq!(field(&status, "Groups"), "10 20");
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(
            field(&status, set),
            format!("{NET_BIND_SERVICE:016x}"),
            "{set}"
        );
    }
    assert_eq!(field(&status, "NoNewPrivs"), "1");
}

#[test]
fn a_root_workload_keeps_only_its_bounding_set() {
    let t = Scratch::new("sec-root");
    let toml = "[process.capabilities]\nbounding = [\"CAP_NET_BIND_SERVICE\", \"CAP_KILL\"]\n\
                effective = [\"CAP_KILL\"]\npermitted = [\"CAP_KILL\"]\n";
    let status = ok(&run(&t, toml, "cat /proc/self/status"));
    let kill = 1u64 << 5;
    assert_eq!(
        field(&status, "CapBnd"),
        format!("{:016x}", NET_BIND_SERVICE | kill)
    );
    // The kernel gives root, at exec, everything the bounding set allows.
    assert_eq!(
        field(&status, "CapEff"),
        format!("{:016x}", NET_BIND_SERVICE | kill)
    );
    assert_eq!(field(&status, "NoNewPrivs"), "0");
}

#[test]
fn rlimits_umask_and_oom_score_adj() {
    let t = Scratch::new("sec-limits");
    let toml = "[process]\noom_score_adj = 500\n[process.user]\nuid = 0\ngid = 0\numask = \"0027\"\n\
                [[process.rlimits]]\ntype = \"RLIMIT_NOFILE\"\nsoft = 1024\nhard = 4096\n\
                [[process.rlimits]]\ntype = \"RLIMIT_CORE\"\nsoft = 0\nhard = \"unlimited\"\n";
    let out = ok(&run(
        &t,
        toml,
        "grep -E '^Max (open files|core file size)' /proc/self/limits; umask; cat /proc/self/oom_score_adj",
    ));
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0][4..6], ["0", "unlimited"], "{out}");
    assert_eq!(lines[1][3..5], ["1024", "4096"], "{out}");
    assert_eq!(lines[2], ["0027"]);
    assert_eq!(lines[3], ["500"]);
}

#[test]
fn an_unmapped_user_is_a_one_line_error() {
    let t = Scratch::new("sec-unmapped");
    let toml = "[namespaces]\nunshare = [\"user\", \"mount\"]\n\
                uid_mappings = [{ container_id = 0, host_id = 100000, size = 1 }]\n\
                gid_mappings = [{ container_id = 0, host_id = 100000, size = 1 }]\n\
                [process.user]\nuid = 1000\ngid = 1000\n";
    let out = run(&t, toml, "echo ran");
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("keel: security: setresgid: EINVAL (Invalid argument): an id not mapped"),
        "{err}"
    );
}

#[test]
fn landlock_refuses_what_no_rule_grants() {
    let t = Scratch::new("sec-landlock");
    let work = t.dir("work");
    let secret = t.file("secret", "hidden\n");
    let toml = format!(
        "[process]\nno_new_privileges = true\n[landlock]\nrequired = true\n{}\
         [[landlock.path]]\npath = \"{}\"\naccess = [\"read\", \"write\"]\n",
        landlock_system(),
        work.display()
    );
    let script = format!(
        "echo written > {work}/new && cat {work}/new; \
         cat {secret} 2>/dev/null || echo secret-denied; \
         echo x > {secret} 2>/dev/null || echo write-denied; \
         cat /proc/self/status | grep NoNewPrivs",
        work = work.display(),
        secret = secret.display()
    );
    let out = ok(&run(&t, &toml, &script));
    assert_eq!(
        out,
        "written\nsecret-denied\nwrite-denied\nNoNewPrivs:\t1\n"
    );
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "hidden\n");
}

#[test]
fn landlock_without_no_new_privileges_is_applied_before_the_user_switch() {
    // Without no_new_privs the kernel wants CAP_SYS_ADMIN for landlock_restrict_self, which
    // the workload's user 1000 no longer has: keel must restrict before switching.
    let t = Scratch::new("sec-landlock-user");
    let toml = format!(
        "[process.user]\nuid = 1000\ngid = 1000\n[landlock]\nrequired = true\n{}",
        landlock_system()
    );
    let out = ok(&run(
        &t,
        &toml,
        "id -u; ls /tmp >/dev/null 2>&1 || echo tmp-denied; grep NoNewPrivs /proc/self/status",
    ));
    assert_eq!(out, "1000\ntmp-denied\nNoNewPrivs:\t0\n");
}

#[test]
fn landlock_ports_limit_tcp_binds() {
    let t = Scratch::new("sec-landlock-net");
    let toml = "[process]\nno_new_privileges = true\n[landlock]\nrequired = true\n\
                [[landlock.port]]\nport = 47231\naccess = [\"bind_tcp\"]\n";
    let bind = "import socket,sys\n\
                for port in (47231, 47232):\n\
                \x20   s = socket.socket()\n\
                \x20   try: s.bind(('127.0.0.1', port)); print(port, 'bound')\n\
                \x20   except OSError as e: print(port, e.strerror)\n";
    let out = ok(&run(&t, toml, &format!("python3 -c \"{bind}\"")));
    assert_eq!(out, "47231 bound\n47232 Permission denied\n");
}

#[test]
fn a_missing_landlock_path_is_a_setup_error() {
    let t = Scratch::new("sec-landlock-missing");
    let toml = "[process]\nno_new_privileges = true\n[landlock]\n\
                [[landlock.path]]\npath = \"/nonexistent/keel\"\naccess = [\"read\"]\n";
    let out = run(&t, toml, "echo ran");
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "keel: landlock: open /nonexistent/keel: ENOENT (No such file or directory)\n"
    );
}

#[test]
fn a_seccomp_filter_returns_the_configured_errno_and_kills_as_the_policy_says() {
    let t = Scratch::new("sec-seccomp");
    let toml = "[process]\nno_new_privileges = true\n\
                [process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n\
                [[process.seccomp.syscalls]]\nnames = [\"mkdir\", \"mkdirat\"]\naction = \"SCMP_ACT_ERRNO\"\nerrno_ret = \"EROFS\"\n\
                [[process.seccomp.syscalls]]\nnames = [\"kill\"]\naction = \"SCMP_ACT_ERRNO\"\n\
                args = [{ index = 1, value = 10, op = \"SCMP_CMP_EQ\" }]\n\
                [[process.seccomp.syscalls]]\nnames = [\"uname\"]\naction = \"SCMP_ACT_KILL_PROCESS\"\n";
    let dir = t.path("made");
    let script = format!(
        "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; \
         mkdir {} 2>&1 | sed 's/.*: //'; \
         kill -USR1 $$ 2>&1 | grep -o 'Operation not permitted'; kill -0 $$ && echo kill-0-allowed; \
         uname; echo \"uname status $?\"",
        dir.display()
    );
    let out = ok(&run(&t, toml, &script));
    assert_eq!(
        out,
        "NoNewPrivs:\t1\nSeccomp:\t2\nRead-only file system\nOperation not permitted\n\
         kill-0-allowed\nuname status 159\n"
    );
    assert!(!dir.exists());
}

#[test]
fn without_no_new_privileges_seccomp_goes_in_before_the_user_switch() {
    // Installing a filter needs no_new_privs or CAP_SYS_ADMIN; user 1000 has neither once
    // switched, so keel installs it first and the switch runs under the filter.
    let t = Scratch::new("sec-seccomp-user");
    let toml = "[process.user]\nuid = 1000\ngid = 1000\n\
                [process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n\
                [[process.seccomp.syscalls]]\nnames = [\"uname\"]\naction = \"SCMP_ACT_ERRNO\"\nerrno_ret = 38\n";
    let out = ok(&run(
        &t,
        toml,
        "grep -E '^(Uid|Seccomp|NoNewPrivs):' /proc/self/status; uname 2>&1 | sed 's/.*: //'",
    ));
    assert_eq!(
        out,
        "Uid:\t1000\t1000\t1000\t1000\nNoNewPrivs:\t0\nSeccomp:\t2\nFunction not implemented\n"
    );
}

#[test]
fn a_filter_that_blocks_the_user_switch_is_a_setup_error() {
    let t = Scratch::new("sec-seccomp-blocked");
    let toml = "[process.user]\nuid = 1000\ngid = 1000\n\
                [process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n\
                [[process.seccomp.syscalls]]\nnames = [\"setresuid\"]\naction = \"SCMP_ACT_ERRNO\"\n";
    let out = run(&t, toml, "echo ran");
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "keel: security: setresuid: EPERM (Operation not permitted): keel lacks the privilege for it here (CAP_SETUID, CAP_SETGID, CAP_SETPCAP or CAP_SYS_RESOURCE)\n"
    );
}
