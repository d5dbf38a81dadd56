//! Cases for the sandbox sections: `[cgroup]`, `[namespaces]` and the mounts.

use keel_wire::{self as wire};
use std::fmt::Write as _;

use crate::case::*;

// ---------------------------------------------------------------------------------------
// [cgroup]

pub fn cgroup(c: &mut Case, out: &mut String) {
    out.push_str("[cgroup]\n");
    if c.rng.chance(20) {
        out.push_str("root = \"/sys/fs/cgroup\"\n");
    }
    if c.rng.chance(30) {
        out.push_str("mount = true\n");
    }
    let leaf = if c.near("leaf named like a cgroup file") {
        "cgroup.procs".to_owned()
    } else if c.rng.chance(50) {
        c.rng.name("l")
    } else {
        "init".to_owned()
    };
    if leaf != "init" || c.rng.chance(20) {
        let _ = writeln!(out, "leaf = {}", t(&leaf));
    }
    // Controllers: all of them (the setting left out), or a list.
    let mut enabled: Vec<&str> = CONTROLLERS.to_vec();
    if c.rng.chance(50) {
        enabled = c.rng.subset(&CONTROLLERS, 50);
        if enabled.is_empty() {
            enabled.push("pids");
        }
        let mut list = enabled.clone();
        if c.near("a controller the kernel lacks") {
            list.push("nosuch");
        }
        let _ = writeln!(out, "controllers = {}", t_list(&list));
        if c.rng.chance(30) {
            let optional = c.rng.subset(&list, 50);
            if !optional.is_empty() {
                let _ = writeln!(out, "optional = {}", t_list(&optional));
            }
        }
        let want = enabled.join(" ");
        c.check(format!(
            "[ \"$(cat /sys/fs/cgroup/cgroup.subtree_control)\" = '{want}' ] || f subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
        ));
    } else {
        c.check(
            "[ \"$(cat /sys/fs/cgroup/cgroup.subtree_control)\" = \"$(cat /sys/fs/cgroup/cgroup.controllers)\" ] || f subtree_control all"
                .into(),
        );
    }

    // Delegates: top-level ones, and children of those that enable controllers.
    let mut delegates: Vec<(String, bool)> = Vec::new();
    let ndelegates = if c.near("64 delegates") {
        wire::MAX_DELEGATES as u64
    } else {
        c.rng.below(4)
    };
    let mut table = String::new();
    for n in 0..ndelegates {
        let parent = delegates
            .iter()
            .filter(|(p, enable)| *enable && !p.contains('/'))
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>();
        let path = if !parent.is_empty() && c.rng.chance(40) {
            format!("{}/{}", c.rng.pick(&parent), c.rng.name("d"))
        } else {
            format!("{}{n}", c.rng.name("d"))
        };
        if path == leaf || delegates.iter().any(|(p, _)| *p == path) {
            continue;
        }
        let enable = c.rng.chance(60);
        let _ = writeln!(
            table,
            "[[cgroup.delegate]]\npath = {}\nenable_controllers = {enable}",
            t(&path)
        );
        if c.rng.chance(30) {
            let owner = *c.rng.pick(&["1000:1000", "65534:65534", "0:1000"]);
            let _ = writeln!(table, "owner = \"{owner}\"");
            if !c.outer_userns && !c.has("user") {
                c.check(format!(
                    "[ \"$(stat -c %u:%g /sys/fs/cgroup/{path})\" = {owner} ] || f owner {path}"
                ));
            }
        }
        c.check(format!("[ -d /sys/fs/cgroup/{path} ] || f delegate {path}"));
        if enable {
            c.check(format!(
                "[ \"$(cat /sys/fs/cgroup/{path}/cgroup.subtree_control)\" = \"$(cat /sys/fs/cgroup/cgroup.subtree_control)\" ] || f delegate {path} controllers"
            ));
        }
        delegates.push((path, enable));
    }
    // The workload: the leaf, or a delegate that does not enable controllers.
    let candidates: Vec<String> = delegates
        .iter()
        .filter(|(_, enable)| !enable)
        .map(|(p, _)| p.clone())
        .collect();
    let workload = if !candidates.is_empty() && c.rng.chance(50) {
        let w = c.rng.pick(&candidates).clone();
        let _ = writeln!(out, "workload = {}", t(&w));
        w
    } else {
        leaf.clone()
    };
    out.push_str(&table);
    // A cgroup namespace of the config's own is rooted at keel's leaf: the path differs.
    if !c.has("cgroup") {
        c.check(format!(
            "[ \"$(cat /proc/self/cgroup)\" = '0::/{workload}' ] || f cgroup $(cat /proc/self/cgroup)"
        ));
    }

    // Limits, on cgroups whose parent enables the file's controller: keel's cgroup enables
    // `enabled` for the leaf and the top-level delegates, an enabling delegate the same for
    // its children.
    let mut targets = vec![leaf.clone()];
    targets.extend(delegates.iter().map(|(p, _)| p.clone()));
    let mut limits: Limits = Vec::new();
    for _ in 0..c.rng.below(4) {
        let cg = c.rng.pick(&targets).clone();
        // Freezing keel's leaf or the workload's cgroup, or one above either, stops keel or
        // the payload: a hang by design (seeds 907690 and 478675 froze the workload's parent).
        let under = |path: &str| path == cg || path.starts_with(&format!("{cg}/"));
        let frozen_ok = !under(&workload) && !under(&leaf);
        let (file, value, readback) = limit(c, &enabled, frozen_ok);
        if add_limit(&mut limits, &cg, file.clone(), value) {
            c.check(format!(
                "[ \"$(cat /sys/fs/cgroup/{cg}/{file})\" = {} ] || f limit {cg}/{file} $(cat /sys/fs/cgroup/{cg}/{file})",
                q(&readback)
            ));
        }
    }
    if c.near("a limit file the kernel lacks") {
        add_limit(&mut limits, &leaf, "cgroup.nosuch".into(), "1".into());
    }
    if c.near("a limit value the kernel refuses") {
        add_limit(
            &mut limits,
            &leaf,
            "cgroup.max.depth".into(),
            "\"-5\"".into(),
        );
    }
    if c.near("256 limits") {
        // Up to keel's maximum with those above, not past it: keel-gen refuses one more.
        let mut n = 0;
        while limits_len(&limits) < wire::MAX_LIMITS {
            add_limit(&mut limits, &leaf, format!("cgroup.fz{n}"), n.to_string());
            n += 1;
        }
    }
    if !limits.is_empty() {
        out.push_str("[cgroup.limits]\n");
        for (cg, files) in &limits {
            let files: Vec<String> = files
                .iter()
                .map(|(f, v)| format!("{} = {v}", t(f)))
                .collect();
            let _ = writeln!(out, "{} = {{ {} }}", t(cg), files.join(", "));
        }
    }
}

/// The limits of a case: (cgroup, [(file, value)]), in the order first written (keel applies
/// them in order).
type Limits = Vec<(String, Vec<(String, String)>)>;

/// Adds `file = value` for `cg`; false when `cg` has `file` already.
fn add_limit(limits: &mut Limits, cg: &str, file: String, value: String) -> bool {
    match limits.iter_mut().find(|(c, _)| c == cg) {
        Some((_, files)) if files.iter().any(|(f, _)| *f == file) => return false,
        Some((_, files)) => files.push((file, value)),
        None => limits.push((cg.to_owned(), vec![(file, value)])),
    }
    true
}

/// How many limits, over every cgroup: what keel-gen holds to `MAX_LIMITS`.
fn limits_len(limits: &Limits) -> usize {
    limits.iter().map(|(_, files)| files.len()).sum()
}

/// A limit file of an enabled controller with a value and what reading it back shows.
pub fn limit(c: &mut Case, enabled: &[&str], may_freeze: bool) -> (String, String, String) {
    let mut options: Vec<(String, String, String)> = vec![
        ("cgroup.max.descendants".into(), "100".into(), "100".into()),
        ("cgroup.max.depth".into(), "\"max\"".into(), "max".into()),
    ];
    if enabled.contains(&"memory") {
        let mib = c.rng.range(64, 4096);
        options.push((
            "memory.max".into(),
            format!("\"{mib}M\""),
            (mib << 20).to_string(),
        ));
        options.push(("memory.high".into(), "\"max\"".into(), "max".into()));
        options.push((
            "memory.low".into(),
            (mib << 20).to_string(),
            (mib << 20).to_string(),
        ));
        options.push(("memory.oom.group".into(), "1".into(), "1".into()));
    }
    if enabled.contains(&"pids") {
        let n = c.rng.range(64, 100_000);
        options.push(("pids.max".into(), n.to_string(), n.to_string()));
    }
    if enabled.contains(&"cpu") {
        let w = c.rng.range(1, 10000);
        options.push(("cpu.weight".into(), w.to_string(), w.to_string()));
        let quota = c.rng.range(10_000, 200_000);
        options.push((
            "cpu.max".into(),
            format!("\"{quota} 100000\""),
            format!("{quota} 100000"),
        ));
    }
    if enabled.contains(&"cpuset") {
        options.push(("cpuset.cpus".into(), "\"0\"".into(), "0".into()));
    }
    if may_freeze {
        options.push(("cgroup.freeze".into(), "1".into(), "1".into()));
    }
    c.rng.pick(&options).clone()
}

// ---------------------------------------------------------------------------------------
// [namespaces]

pub fn namespaces(c: &mut Case, out: &mut String) {
    const ALL: [&str; 8] = [
        "mount", "pid", "uts", "ipc", "net", "cgroup", "user", "time",
    ];
    let unshare = c.rng.subset(&ALL, 40);
    out.push_str("[namespaces]\n");
    let _ = writeln!(out, "unshare = {}", t_list(&unshare));
    c.unshare = Some(unshare);
    for ns in ["uts", "ipc", "net", "time"] {
        let op = if c.has(ns) { "!=" } else { "=" };
        c.check(format!(
            "[ \"$(readlink /proc/self/ns/{ns})\" {op} \"$(cat /fuzz/outer-ns/{ns})\" ] || f namespace {ns}"
        ));
    }
    if c.has("user") {
        c.mounts_in_userns = true;
        if c.rng.chance(50) {
            let lines = if c.near("340 id map lines") {
                (0..wire::MAX_ID_MAPS as u64)
                    .map(|n| {
                        format!(
                            "{{ container_id = {n}, host_id = {}, size = 1 }}",
                            100_000 + n
                        )
                    })
                    .collect::<Vec<_>>()
            } else {
                vec!["{ container_id = 0, host_id = 100000, size = 65536 }".to_owned()]
            };
            let _ = writeln!(out, "uid_mappings = [{}]", lines.join(", "));
            let _ = writeln!(out, "gid_mappings = [{}]", lines.join(", "));
        } else {
            c.only_root_mapped = true;
        }
        if c.near("setgroups deny") {
            out.push_str("setgroups = \"deny\"\n");
        }
    }
    if c.has("uts") && c.rng.chance(70) {
        let mut host = c.rng.odd(20, false);
        if c.near("64-byte hostname with a newline") {
            host = format!("{}\n", "h".repeat(63));
        }
        while host.len() > wire::HOST_NAME_MAX {
            host.pop();
        }
        let _ = writeln!(out, "hostname = {}", t(&host));
        if !host.ends_with('\n') {
            c.check(format!("[ \"$(hostname)\" = {} ] || f hostname", q(&host)));
        }
        if c.rng.chance(40) {
            let _ = writeln!(out, "domainname = {}", t(&c.rng.name("dom.")));
        }
    }
    if c.has("time") && c.rng.chance(70) {
        let secs = if c.near("a boot time offset far in the past") {
            -4_000_000_000i64
        } else {
            c.rng.range(0, 1_000_000) as i64
        };
        let _ = writeln!(
            out,
            "[namespaces.time_offsets]\nboottime = {{ secs = {secs} }}\nmonotonic = {{ secs = {}, nanosecs = {} }}",
            c.rng.range(0, 1000),
            c.rng.below(1_000_000_000)
        );
        if secs > 0 {
            c.check(format!(
                "[ \"$(cut -d. -f1 /proc/uptime)\" -ge {secs} ] || f boottime offset"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// [mounts] and [[mount]]

pub fn mounts_section(c: &mut Case, out: &mut String, dests: &mut Vec<String>) {
    // keel-gen wants the mount namespace listed when there is a namespaces section.
    if c.unshare.is_some() && !c.has("mount") {
        return;
    }
    let userns = c.mounts_in_userns;
    let n = if c.near("256 mounts") {
        wire::MAX_MOUNTS as u64
    } else {
        c.rng.range(1, 4)
    };
    let mut entries = String::new();
    for i in 0..n {
        // Mapped onto other host ids (100000...), keel's root cannot create a mount point in
        // the guest's /mnt (root's, 0755): EACCES, by design (seeds 907690 and 470694, when no
        // earlier case of the boot had made /mnt/fzN). /tmp is 1777.
        let may_mkdir_in_mnt = !userns || c.only_root_mapped;
        let dest = if c.near("a destination under missing directories") {
            format!("/mnt/fzmiss/a/b{i}")
        } else if may_mkdir_in_mnt && c.rng.chance(50) {
            format!("/mnt/fz{i}")
        } else {
            format!("/tmp/fz{i}")
        };
        let (kind, table) = mount_entry(c, userns);
        let mut attrs = mount_attrs(c);
        if userns {
            locked_attrs(&kind, &mut attrs);
        }
        let mut opts: Vec<String> = attrs.clone();
        opts.extend(table.1.iter().cloned());
        let _ = writeln!(
            entries,
            "[[mount]]\ndestination = {}\ntype = \"{kind}\"",
            t(&dest)
        );
        if !opts.is_empty() {
            let _ = writeln!(entries, "options = {}", t_list(&opts));
        }
        entries.push_str(&table.0);
        if n <= 8 {
            mount_checks(c, &dest, &kind, &attrs, table.2);
        }
        dests.push(dest);
    }
    let mut head = String::new();
    if c.near("a missing root") {
        head.push_str("root = \"/nonexistent/root\"\n");
    }
    let masks = ["/proc/kcore", "/proc/keys", "/proc/timer_list"];
    let mut masked: Vec<String> = c
        .rng
        .subset(&masks, 30)
        .iter()
        .map(|s| s.to_string())
        .collect();
    if c.near("a missing masked path") {
        masked.push("/proc/nosuch".into());
    }
    let mut readonly: Vec<String> = c
        .rng
        .subset(&["/proc/sys", "/proc/sysrq-trigger", "/proc/irq"], 30)
        .iter()
        .map(|s| s.to_string())
        .collect();
    if c.near("64 read-only paths") {
        readonly = (0..wire::MAX_MOUNT_PATHS)
            .map(|n| format!("/proc/sys/fz{n}"))
            .collect();
    }
    if !masked.is_empty() {
        let _ = writeln!(head, "masked = {}", t_list(&masked));
        for m in &masked {
            c.check(format!("[ -n \"$(mnt {m})\" ] || f masked {m}"));
        }
    }
    if !readonly.is_empty() {
        let _ = writeln!(head, "readonly = {}", t_list(&readonly));
        for r in readonly.iter().take(8) {
            c.check(format!(
                "case \"$(mnt {r})\" in *\\ ro*) ;; *) f readonly {r} ;; esac"
            ));
        }
    }
    if !head.is_empty() {
        let _ = write!(out, "[mounts]\n{head}");
    }
    out.push_str(&entries);
}

/// A mount kind valid where the mounts are built, its table lines, its fsconfig options, and
/// whether it is a sealed overlay (read-only whatever its attributes say).
pub fn mount_entry(c: &mut Case, userns: bool) -> (String, (String, Vec<String>, bool)) {
    let mut kinds = vec!["tmpfs", "bind", "overlay", "overlay-tmpfs", "devpts"];
    // Mounting proc, sysfs, mqueue or cgroup2 in a user namespace needs the matching
    // namespace to be owned by it; devtmpfs is never allowed there.
    let unshared = |c: &Case, ns| c.has("user") && c.has(ns) || !c.has("user");
    if !userns || (c.has("user") && c.has("pid")) {
        kinds.push("proc");
    }
    if !userns || (c.has("net") && (c.has("user") || c.outer_userns)) {
        kinds.push("sysfs");
    }
    if !userns || (c.has("ipc") && (c.has("user") || c.outer_userns)) {
        kinds.push("mqueue");
    }
    if !userns || unshared(c, "cgroup") {
        kinds.push("cgroup2");
    }
    if !userns {
        kinds.push("devtmpfs");
    }
    if c.near("devtmpfs anywhere") {
        kinds.push("devtmpfs");
    }
    let kind = *c.rng.pick(&kinds);
    let mut lines = String::new();
    let mut opts = Vec::new();
    let mut sealed = false;
    let kind = match kind {
        "tmpfs" => {
            if c.rng.chance(60) {
                opts.push(format!("size={}k", c.rng.range(64, 8192)));
            }
            if c.rng.chance(40) {
                // Not 0700: a payload of another user could not enter it as its cwd.
                opts.push(c.rng.pick(&["mode=0755", "mode=1777"]).to_string());
            }
            if c.near("a tmpfs option the kernel refuses") {
                opts.push("bogus=1".into());
            }
            "tmpfs"
        }
        "bind" => {
            let source = if c.near("a missing bind source") {
                "/nonexistent/src".to_owned()
            } else {
                c.rng.pick(&GUEST_DIRS).to_string()
            };
            let _ = writeln!(lines, "source = {}", t(&source));
            if c.rng.chance(30) {
                opts.push("rbind".into());
            }
            "bind"
        }
        "overlay" | "overlay-tmpfs" => {
            let mut layers = c.rng.subset(&GUEST_DIRS, 40);
            if layers.is_empty() {
                layers.push("/etc");
            }
            let mut layers: Vec<String> = layers.iter().map(|s| s.to_string()).collect();
            if c.near("a missing lower layer") {
                layers.push("/nonexistent/layer".into());
            }
            let _ = writeln!(lines, "lower = {}", t_list(&layers));
            if kind == "overlay-tmpfs" {
                lines.push_str("upper = \"tmpfs\"\n");
                if c.rng.chance(50) {
                    let _ = writeln!(lines, "size = \"{}k\"", c.rng.range(64, 4096));
                }
            } else if c.rng.chance(30) {
                // The runner makes these fresh for each case, on the guest's rootfs.
                lines.push_str("upper = \"/tmp/fzu/upper\"\nwork = \"/tmp/fzu/work\"\n");
            } else {
                sealed = true;
            }
            "overlay"
        }
        "devpts" => {
            opts.push("newinstance".into());
            if c.rng.chance(50) {
                opts.push("ptmxmode=0666".into());
            }
            "devpts"
        }
        "proc" => {
            if c.rng.chance(30) {
                opts.push("hidepid=2".into());
            }
            "proc"
        }
        other => other,
    };
    (kind.to_owned(), (lines, opts, sealed))
}

/// Attribute words for a mount: each with some chance, at most one atime mode.
pub fn mount_attrs(c: &mut Case) -> Vec<String> {
    let mut attrs = c
        .rng
        .subset(
            &[
                "ro",
                "nosuid",
                "nodev",
                "noexec",
                "nodiratime",
                "nosymfollow",
            ],
            25,
        )
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    if c.rng.chance(30) {
        attrs.push(
            c.rng
                .pick(&["relatime", "noatime", "strictatime"])
                .to_string(),
        );
    }
    attrs
}

/// In a user namespace the kernel locks the attributes of the mounts it inherits: a new
/// proc or sysfs must keep those of the visible one (nosuid, nodev, noexec and its atime
/// mode), and a bind cannot change the atime mode of its source (EPERM either way).
pub fn locked_attrs(kind: &str, attrs: &mut Vec<String>) {
    attrs.retain(|a| !["noatime", "strictatime", "nodiratime", "relatime"].contains(&a.as_str()));
    if kind == "proc" || kind == "sysfs" {
        for word in ["nosuid", "nodev", "noexec"] {
            if !attrs.iter().any(|a| a == word) {
                attrs.push(word.to_owned());
            }
        }
    }
}

/// Checks of a mount from inside: its type and its attributes in /proc/self/mountinfo.
pub fn mount_checks(c: &mut Case, dest: &str, kind: &str, attrs: &[String], sealed: bool) {
    let fstype = match kind {
        "bind" => "",
        other => other,
    };
    if !fstype.is_empty() {
        c.check(format!(
            "case \"$(mnt {dest})\" in '{fstype} '*) ;; *) f mount {dest} type $(mnt {dest}) ;; esac"
        ));
    } else {
        c.check(format!(
            "[ -n \"$(mnt {dest})\" ] || f mount {dest} missing"
        ));
    }
    // Field 6 of mountinfo: ro or rw, then nosuid, nodev, noexec, noatime, nodiratime,
    // relatime, nosymfollow (the kernel's show_mnt_opts).
    let ro = attrs.iter().any(|a| a == "ro");
    if !sealed {
        let want = if ro { "ro" } else { "rw" };
        c.check(format!(
            "case \"$(mnt {dest})\" in *' {want}'*) ;; *) f mount {dest} not {want}: $(mnt {dest}) ;; esac"
        ));
    } else {
        c.check(format!(
            "! touch {dest}/fz-write 2>/dev/null || f sealed overlay {dest} is writable"
        ));
    }
    for word in [
        "nosuid",
        "nodev",
        "noexec",
        "nodiratime",
        "nosymfollow",
        "noatime",
    ] {
        let configured = attrs.iter().any(|a| a == word);
        if configured {
            c.check(format!(
                "case \"$(mnt {dest})\" in *,{word}*) ;; *) f mount {dest} lacks {word} ;; esac"
            ));
        } else if ["nosuid", "nodev", "noexec"].contains(&word) {
            c.check(format!(
                "case \"$(mnt {dest})\" in *,{word}*) f mount {dest} has {word} ;; esac"
            ));
        }
    }
}
