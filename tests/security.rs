//! The workload's privileges as it sees them in /proc/self/status and /proc/self/limits:
//! user and groups, capabilities, no_new_privs, rlimits, umask, oom_score_adj. As root.

mod common;
use common::{KEEL, Scratch, ok, text};
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
