//! Random documents over the whole schema: build then inspect gives back the same bytes.

mod common;

use common::*;

use keel_wire::{self as wire, syntax};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use toml::{Table, Value};

use keel_gen::security::{CAPABILITIES, RLIMITS};

/// A signal spelled one of the ways users write it.
fn spelled_signal(signal: u8, spelling: u8) -> String {
    let name = match syntax::signal_name(signal) {
        Some(name) => name.to_owned(),
        None if signal >= syntax::RTMIN => format!("RTMIN+{}", signal - syntax::RTMIN),
        None => return signal.to_string(),
    };
    match spelling % 3 {
        0 => signal.to_string(),
        1 => format!("SIG{name}"),
        _ => name.to_lowercase(),
    }
}

fn signal() -> impl Strategy<Value = String> {
    (1..=wire::MAX_SIGNAL, any::<u8>())
        .prop_map(|(signal, spelling)| spelled_signal(signal, spelling))
}

fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,8}"
}

prop_compose! {
    /// A `[process]` table keel-gen accepts.
    fn process()(
        program in "[^\u{0}]{1,8}",
        args in vec(text(), 0..4),
        // Keys never start with U_, the prefix of env_unset's.
        env in btree_map("[A-TV-Z_][A-Z0-9_]{0,5}", text(), 0..4),
        env_unset in btree_set("U_[A-Z0-9_]{0,5}", 0..3),
        env_clear in any::<bool>(),
        cwd in proptest::option::of(text()),
    ) -> Table {
        let mut table = Table::new();
        table.insert("args".into(), strings([program].into_iter().chain(args).collect()));
        table.insert("env".into(), strings(env.into_iter().map(|(key, value)| format!("{key}={value}")).collect()));
        if env_unset.is_empty() {
            table.insert("env_clear".into(), Value::Boolean(env_clear));
        } else {
            table.insert("env_unset".into(), strings(env_unset.into_iter().collect()));
        }
        if let Some(cwd) = cwd {
            table.insert("cwd".into(), Value::String(format!("/{cwd}")));
        }
        table
    }
}

/// A name spelled one of the ways keel-gen accepts: with or without its prefix, any case.
fn spelled(prefix: &str, name: &str, spelling: u8) -> String {
    let name = if spelling & 1 == 0 {
        format!("{prefix}{name}")
    } else {
        name.to_owned()
    };
    if spelling & 2 == 0 {
        name
    } else {
        name.to_lowercase()
    }
}

/// A capability set as names, each spelled its way.
fn capability_names(set: u64, spellings: &[u8]) -> Value {
    let names = (0..CAPABILITIES.len()).filter(|&cap| set & 1 << cap != 0);
    let names = names.zip(spellings.iter().cycle());
    strings(
        names
            .map(|(cap, &spelling)| spelled("CAP_", CAPABILITIES[cap], spelling))
            .collect(),
    )
}

/// A soft or hard limit: a number, or `"unlimited"` for `u64::MAX`.
fn rlimit_value(limit: u64) -> Value {
    match limit {
        u64::MAX => Value::String("unlimited".into()),
        _ => integer(i64::try_from(limit).unwrap()),
    }
}

prop_compose! {
    /// The security settings of a `[process]` table that keel-gen accepts.
    fn security()(
        no_new_privileges in any::<Option<bool>>(),
        oom_score_adj in proptest::option::of(-1000..=1000i32),
        ids in proptest::option::of((0..u32::MAX, 0..u32::MAX, btree_set(any::<u32>().prop_filter("not -1", |&g| g != u32::MAX), 0..4))),
        umask in proptest::option::of((0..=0o777u32, 0..3u8)),
        caps in proptest::option::of([any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()]),
        spellings in vec(any::<u8>(), 8),
        rlimits in proptest::sample::subsequence((0..RLIMITS.len()).collect::<Vec<_>>(), 0..4).prop_shuffle(),
        limits in vec((prop_oneof![Just(u64::MAX), 0..=i64::MAX as u64], prop_oneof![Just(u64::MAX), 0..=i64::MAX as u64]), 4),
    ) -> Table {
        let mut table = Table::new();
        if let Some(flag) = no_new_privileges {
            table.insert("no_new_privileges".into(), Value::Boolean(flag));
        }
        if let Some(adj) = oom_score_adj {
            table.insert("oom_score_adj".into(), integer(adj));
        }
        let mut user = Table::new();
        if let Some((uid, gid, gids)) = ids {
            user.insert("uid".into(), integer(uid));
            user.insert("gid".into(), integer(gid));
            if !gids.is_empty() {
                user.insert("additional_gids".into(), Value::Array(gids.into_iter().map(integer).collect()));
            }
        }
        if let Some((umask, spelling)) = umask {
            let umask = match spelling {
                0 => Value::String(format!("{umask:04o}")),
                1 => Value::String(format!("{umask:o}")),
                _ => integer(umask),
            };
            user.insert("umask".into(), umask);
        }
        if !user.is_empty() {
            table.insert("user".into(), Value::Table(user));
        }
        if let Some([bounding, effective, permitted, inheritable, ambient]) = caps {
            let all = (1u64 << CAPABILITIES.len()) - 1;
            let permitted = permitted & all;
            let inheritable = inheritable & all;
            let mut sets = Table::new();
            for (name, set) in [
                ("bounding", bounding & all),
                ("effective", effective & permitted),
                ("permitted", permitted),
                ("inheritable", inheritable),
                ("ambient", ambient & permitted & inheritable),
            ] {
                // A set left out is empty.
                if set != 0 || spellings[0] & 1 == 0 {
                    sets.insert(name.into(), capability_names(set, &spellings));
                }
            }
            table.insert("capabilities".into(), Value::Table(sets));
        }
        let entries = rlimits.into_iter().zip(&limits).zip(&spellings).map(|((resource, &(a, b)), &spelling)| {
            let mut entry = Table::new();
            entry.insert("type".into(), Value::String(spelled("RLIMIT_", RLIMITS[resource], spelling)));
            entry.insert("soft".into(), rlimit_value(a.min(b)));
            entry.insert("hard".into(), rlimit_value(a.max(b)));
            Value::Table(entry)
        });
        let entries: Vec<_> = entries.collect();
        if !entries.is_empty() {
            table.insert("rlimits".into(), Value::Array(entries));
        }
        table
    }
}

prop_compose! {
    /// A `[supervision]` table keel-gen accepts.
    fn supervision()(
        mode in proptest::option::of(prop_oneof![Just("supervise"), Just("exec"), Just("machine")]),
        subreaper in any::<Option<bool>>(),
        kill_process_group in any::<Option<bool>>(),
        remap_exit in btree_set(any::<u8>(), 0..4),
        grace in proptest::option::of((any::<u32>(), prop_oneof![Just(("ms", 1)), Just(("s", 1000)), Just(("m", 60_000))])),
        rewrite in btree_map((1..=wire::MAX_SIGNAL).prop_filter("catchable", |s| ![9, 19].contains(s)), 0..=wire::MAX_SIGNAL, 0..4),
        spellings in vec(any::<u8>(), 8),
        verbosity in any::<Option<u8>>(),
        warn_on_reap in any::<Option<bool>>(),
        parent_death_signal in proptest::option::of(signal()),
        seal_exe in any::<Option<bool>>(),
    ) -> Table {
        let mut table = Table::new();
        let supervises = mode != Some("exec");
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                table.insert(key.into(), value);
            }
        };
        set("mode", mode.map(|mode| Value::String(mode.into())));
        set("subreaper", subreaper.map(Value::Boolean));
        set("verbosity", verbosity.map(|v| Value::Integer(v.into())));
        set("parent_death_signal", parent_death_signal.map(Value::String));
        set("seal_exe", seal_exe.map(Value::Boolean));
        if supervises {
            set("kill_process_group", kill_process_group.map(Value::Boolean));
            set("remap_exit", Some(Value::Array(remap_exit.into_iter().map(|c| Value::Integer(c.into())).collect())));
            set("grace", grace.map(|(n, (unit, ms))| Value::String(format!("{}{unit}", n / ms))));
            let rules = rewrite.into_iter().zip(spellings.iter().cycle()).map(|((from, to), &spelling)| {
                let to = if to == 0 { "0".to_owned() } else { spelled_signal(to, spelling / 3) };
                format!("{}:{to}", spelled_signal(from, spelling))
            });
            set("rewrite", Some(strings(rules.collect())));
            set("warn_on_reap", warn_on_reap.map(Value::Boolean));
        }
        table
    }
}

const CONTROLLERS: [&str; 6] = ["cpu", "memory", "pids", "io", "cpuset", "hugetlb"];
const LIMIT_FILES: [&str; 5] = [
    "memory.max",
    "pids.max",
    "cpu.weight",
    "cgroup.max.depth",
    "hugetlb.2MB.max",
];

fn owner() -> impl Strategy<Value = String> {
    (0..70_000u32, 0..70_000u32).prop_map(|(uid, gid)| format!("{uid}:{gid}"))
}

/// A top-level delegate (never the leaf), its owner, whether it enables controllers (`None`:
/// the default), and whether it has a child delegate that does.
type DelegateChoice = (&'static str, Option<String>, Option<bool>, Option<bool>);

prop_compose! {
    /// A `[cgroup]` table keel-gen accepts: only cgroups that fit together.
    fn cgroup()(
        // None: no preset; Some(None): the preset; Some(Some(owner)): its non-root form.
        preset in proptest::option::of(proptest::option::of(owner())),
        root in proptest::option::of("/[a-z]{1,6}(/[a-z]{1,6}){0,2}"),
        mount in any::<Option<bool>>(),
        leaf in proptest::option::of(prop_oneof![Just("init"), Just("keel"), Just("keel/init")]),
        controllers in proptest::option::of(proptest::sample::subsequence(CONTROLLERS.to_vec(), 1..=CONTROLLERS.len())),
        optional in proptest::sample::subsequence(CONTROLLERS.to_vec(), 0..3),
        delegates in btree_map(
            prop_oneof![Just("jobs"), Just("batch"), Just("work")],
            (proptest::option::of(owner()), any::<Option<bool>>(), any::<Option<bool>>()),
            0..3,
        ),
        workload in any::<prop::sample::Index>(),
        limits in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop_oneof![
            Just(Value::String("max".into())),
            "[1-9][0-9]{0,3}[KMG]?".prop_map(Value::String),
            (0..100_000i64).prop_map(Value::Integer),
        ]), 0..5),
    ) -> Table {
        let mut table = Table::new();
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                table.insert(key.into(), value);
            }
        };
        let text = |s: &str| Value::String(s.into());
        set("preset", preset.as_ref().map(|_| text("benchexec")));
        set("owner", preset.clone().flatten().map(Value::String));
        set("root", root.map(Value::String));
        set("mount", mount.map(Value::Boolean));
        set("leaf", leaf.map(text));
        let optional: Vec<&str> = match &controllers {
            Some(listed) => optional.into_iter().filter(|c| listed.contains(c)).collect(),
            None => optional,
        };
        set("controllers", controllers.clone().map(|c| strings(c.into_iter().map(String::from).collect())));
        set("optional", Some(strings(optional.into_iter().map(String::from).collect())));

        // The cgroups keel creates, and whether each enables controllers.
        let leaf = leaf.or(preset.as_ref().map(|_| "init")).unwrap_or("init");
        let mut created: Vec<(String, bool)> = vec![(leaf.to_owned(), false)];
        if let Some(owner) = &preset {
            created.push(("benchexec".to_owned(), owner.is_none()));
        }
        let mut tables = Vec::new();
        let choices: Vec<DelegateChoice> = delegates.into_iter().map(|(path, (owner, enable, child))| (path, owner, enable, child)).collect();
        for (path, owner, enable, child) in choices {
            let mut delegate = Table::new();
            delegate.insert("path".into(), text(path));
            if let Some(owner) = owner {
                delegate.insert("owner".into(), Value::String(owner));
            }
            if let Some(enable) = enable {
                delegate.insert("enable_controllers".into(), Value::Boolean(enable));
            }
            let enables = enable.unwrap_or(true);
            created.push((path.to_owned(), enables));
            tables.push(Value::Table(delegate));
            if let Some(child_enables) = child {
                // Only a parent that enables controllers can have a child that does.
                let child_enables = child_enables && enables;
                let mut delegate = Table::new();
                delegate.insert("path".into(), Value::String(format!("{path}/sub")));
                delegate.insert("enable_controllers".into(), Value::Boolean(child_enables));
                created.push((format!("{path}/sub"), child_enables));
                tables.push(Value::Table(delegate));
            }
        }
        set("delegate", Some(Value::Array(tables)));
        // The workload: a created cgroup that does not enable controllers, or a new child of
        // one that does; or the default.
        let mut places: Vec<Option<String>> = vec![None];
        for (path, enables) in &created {
            places.push(Some(if *enables { format!("{path}/run") } else { path.clone() }));
        }
        let workload = workload.get(&places).clone();
        if let Some(workload) = &workload {
            created.push((workload.clone(), false));
        }
        set("workload", workload.map(Value::String));
        let mut by_cgroup = Table::new();
        for (cgroup, file, value) in limits {
            let (cgroup, _) = cgroup.get(&created);
            let file = file.get(&LIMIT_FILES);
            // A controller's file exists only where the parent enables the controller: keel's
            // cgroup does, with the listed controllers; a delegate may.
            let (controller, _) = file.split_once('.').unwrap();
            let parent_enables = match cgroup.rsplit_once('/') {
                Some((parent, _)) => created.iter().any(|(path, enables)| path == parent && *enables),
                None => true,
            };
            let listed = controllers.as_ref().is_none_or(|listed| listed.contains(&controller));
            if controller != "cgroup" && !(parent_enables && listed) {
                continue;
            }
            let files = by_cgroup.entry(cgroup.clone()).or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(files) = files {
                files.insert((*file).to_owned(), value);
            }
        }
        set("limits", Some(Value::Table(by_cgroup)));
        table
    }
}

const NAMESPACES: [&str; 8] = [
    "mount", "pid", "uts", "ipc", "net", "cgroup", "user", "time",
];

fn integer(n: impl Into<i64>) -> Value {
    Value::Integer(n.into())
}

/// Id mappings whose container and host ranges never overlap: each starts past the last.
fn mappings() -> impl Strategy<Value = Vec<Value>> {
    vec((0..1000u32, 1..70_000u32, 0..1000u32), 1..4).prop_map(|steps| {
        let (mut container, mut host) = (0, 0);
        steps
            .into_iter()
            .map(|(gap, size, host_gap)| {
                container += gap;
                host += host_gap;
                let mut mapping = Table::new();
                mapping.insert("container_id".into(), integer(container));
                mapping.insert("host_id".into(), integer(host));
                mapping.insert("size".into(), integer(size));
                container += size;
                host += size;
                Value::Table(mapping)
            })
            .collect()
    })
}

fn offset() -> impl Strategy<Value = Value> {
    (
        -10_000_000i64..10_000_000,
        proptest::option::of(0..1_000_000_000i64),
    )
        .prop_map(|(secs, nanosecs)| {
            let mut offset = Table::new();
            offset.insert("secs".into(), integer(secs));
            if let Some(nanosecs) = nanosecs {
                offset.insert("nanosecs".into(), integer(nanosecs));
            }
            Value::Table(offset)
        })
}

prop_compose! {
    /// A `[namespaces]` table keel-gen accepts: each setting with the namespace it needs.
    fn namespaces()(
        names in proptest::sample::subsequence(NAMESPACES.to_vec(), 0..=NAMESPACES.len()),
        network in any::<bool>(),
        uid_mappings in proptest::option::of(mappings()),
        gid_mappings in proptest::option::of(mappings()),
        setgroups in proptest::option::of(prop_oneof![Just("allow"), Just("deny")]),
        hostname in proptest::option::of("[a-z][a-z0-9-]{0,20}"),
        domainname in proptest::option::of("[a-z]{1,10}\\.[a-z]{2,5}"),
        monotonic in proptest::option::of(offset()),
        boottime in proptest::option::of(offset()),
    ) -> Table {
        let has = |name| names.contains(&name);
        let mut table = Table::new();
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                table.insert(key.into(), value);
            }
        };
        // OCI's spelling of net, which inspect writes "net".
        let spelled = names.iter().map(|&name| if name == "net" && network { "network" } else { name });
        set("unshare", Some(strings(spelled.map(String::from).collect())));
        if has("user") {
            set("uid_mappings", uid_mappings.map(Value::Array));
            set("gid_mappings", gid_mappings.map(Value::Array));
            set("setgroups", setgroups.map(|s| Value::String(s.into())));
        }
        if has("uts") {
            set("hostname", hostname.map(Value::String));
            set("domainname", domainname.map(Value::String));
        }
        if has("time") {
            let mut offsets = Table::new();
            for (clock, offset) in [("monotonic", monotonic), ("boottime", boottime)] {
                if let Some(offset) = offset {
                    offsets.insert(clock.into(), offset);
                }
            }
            set("time_offsets", Some(Value::Table(offsets)));
        }
        table
    }
}

const MOUNT_TYPES: [&str; 9] = [
    "bind", "tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup2", "overlay", "devtmpfs",
];

fn absolute() -> impl Strategy<Value = String> {
    "(/[a-z]{1,6}){1,3}"
}

prop_compose! {
    /// A `[[mount]]` keel-gen accepts, without its destination: only what its type takes.
    fn mount()(
        kind in proptest::sample::select(MOUNT_TYPES.to_vec()),
        source in absolute(),
        attrs in proptest::sample::subsequence(vec!["ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow"], 0..4),
        atime in proptest::option::of(proptest::sample::select(vec!["relatime", "noatime", "strictatime"])),
        bind in proptest::option::of(proptest::sample::select(vec!["bind", "rbind"])),
        parameters in proptest::sample::subsequence(vec!["size=1m", "mode=0755", "uid=0", "newinstance", "ptmxmode=0666", "nsdelegate"], 0..3),
        rotate in any::<prop::sample::Index>(),
        lower in btree_set(absolute(), 1..4),
        upper in 0..3u8,
        size in proptest::option::of("[1-9][0-9]{0,3}[kmg]"),
    ) -> Table {
        let mut table = Table::new();
        table.insert("type".into(), Value::String(kind.into()));
        let mut options: Vec<&str> = attrs.into_iter().chain(atime).collect();
        match kind {
            "bind" => {
                table.insert("source".into(), Value::String(source));
                options.extend(bind);
            }
            "overlay" => {
                table.insert("lower".into(), strings(lower.into_iter().collect()));
                match upper {
                    0 => {}
                    1 => {
                        table.insert("upper".into(), Value::String("tmpfs".into()));
                        if let Some(size) = size {
                            table.insert("size".into(), Value::String(size));
                        }
                    }
                    _ => {
                        table.insert("upper".into(), Value::String("/changes/upper".into()));
                        table.insert("work".into(), Value::String("/changes/work".into()));
                    }
                }
            }
            _ => options.extend(parameters),
        }
        // Any order: inspect writes the words in its own.
        if !options.is_empty() {
            let at = rotate.index(options.len());
            options.rotate_left(at);
            table.insert("options".into(), strings(options.into_iter().map(String::from).collect()));
        }
        table
    }
}

prop_compose! {
    /// `[mounts]` and the `[[mount]]`s, each destination once.
    fn mounts()(
        root in proptest::option::of(absolute()),
        masked in proptest::option::of(btree_set(absolute(), 0..3)),
        readonly in proptest::option::of(btree_set(absolute(), 0..3)),
        mounts in proptest::option::of(vec((mount(), "(/[a-z]{1,4}){0,2}"), 0..4)),
        empty_table in any::<bool>(),
    ) -> (Option<Table>, Option<Value>) {
        let mut table = Table::new();
        if let Some(root) = root {
            table.insert("root".into(), Value::String(root));
        }
        for (key, paths) in [("masked", masked), ("readonly", readonly)] {
            if let Some(paths) = paths {
                table.insert(key.into(), strings(paths.into_iter().collect()));
            }
        }
        let mounts = mounts.map(|mounts| {
            Value::Array(
                mounts
                    .into_iter()
                    .enumerate()
                    .map(|(i, (mut mount, under))| {
                        mount.insert("destination".into(), Value::String(format!("/m{i}{under}")));
                        Value::Table(mount)
                    })
                    .collect(),
            )
        });
        // An empty [mounts] table is the same as none when [[mount]]s follow.
        let table = (!table.is_empty() || mounts.is_none() || empty_table).then_some(table);
        (table, mounts)
    }
}

prop_compose! {
    /// A `[[service]]`, named `s{index}`, after some of the services before it (any of
    /// which keel-gen may reorder, as their order is theirs to keep).
    fn service(index: usize)(
        process in process(),
        security in security(),
        after in proptest::sample::subsequence((0..index).collect::<Vec<_>>(), 0..=index.min(3)),
        ready in proptest::sample::select(vec!["started".to_owned(), "notify".to_owned(), "fd:3".to_owned(), "fd:255".to_owned()]),
        restart in proptest::option::of(proptest::sample::select(vec!["no", "on-failure", "always"])),
        times in vec(proptest::option::of(1..100_000u32), 5),
        stop_signal in proptest::option::of(signal()),
        critical in proptest::option::of(any::<bool>()),
    ) -> Table {
        let mut table = process;
        // oom_score_adj is keel's own, not a service's.
        table.extend(security.into_iter().filter(|(key, _)| key != "oom_score_adj"));
        table.insert("name".into(), Value::String(format!("s{index}")));
        if !after.is_empty() {
            table.insert("after".into(), strings(after.iter().map(|i| format!("s{i}")).collect()));
        }
        table.insert("ready".into(), Value::String(ready.clone()));
        if let Some(restart) = restart {
            table.insert("restart".into(), Value::String(restart.into()));
        }
        let [stop_grace, timeout, delay, max, reset] = [0, 1, 2, 3, 4].map(|i| times[i]);
        let (delay, max) = match (delay, max) {
            (Some(d), Some(m)) => (Some(d.min(m)), Some(d.max(m))),
            other => other,
        };
        let timeout = timeout.filter(|_| ready != "started");
        let named = [("stop_grace", stop_grace), ("ready_timeout", timeout), ("restart_reset", reset)];
        for (key, ms) in named.into_iter().chain(delay.zip(max).map(|(d, m)| [("restart_delay", Some(d)), ("restart_max", Some(m))]).into_iter().flatten()) {
            if let Some(ms) = ms {
                table.insert(key.into(), Value::String(format!("{ms}ms")));
            }
        }
        if let Some(signal) = stop_signal {
            table.insert("stop_signal".into(), Value::String(signal));
        }
        if let Some(critical) = critical {
            table.insert("critical".into(), Value::Boolean(critical));
        }
        table
    }
}

fn services() -> impl Strategy<Value = Value> {
    (0..4usize)
        .prop_flat_map(|n| (0..n).map(service).collect::<Vec<_>>())
        .prop_map(|tables| Value::Array(tables.into_iter().map(Value::Table).collect()))
}

fn document() -> impl Strategy<Value = String> {
    (
        proptest::option::of((process(), security())),
        proptest::option::of(supervision()),
        proptest::option::of(cgroup()),
        proptest::option::of(namespaces()),
        proptest::option::of(mounts()),
        proptest::option::of(services()),
    )
        .prop_map(
            |(process, supervision, cgroup, namespaces, mounts, services)| {
                let mut document = Table::new();
                if let Some((mut process, security)) = process {
                    process.extend(security);
                    document.insert("process".into(), Value::Table(process));
                }
                if let Some(supervision) = supervision {
                    document.insert("supervision".into(), Value::Table(supervision));
                }
                if let Some(cgroup) = cgroup {
                    document.insert("cgroup".into(), Value::Table(cgroup));
                }
                let (table, entries) = mounts.unwrap_or_default();
                if let Some(mut namespaces) = namespaces {
                    // Mounts under [namespaces] need a mount namespace.
                    if (table.is_some() || entries.is_some())
                        && let Some(Value::Array(unshare)) = namespaces.get_mut("unshare")
                        && !unshare.contains(&Value::String("mount".into()))
                    {
                        unshare.push(Value::String("mount".into()));
                    }
                    document.insert("namespaces".into(), Value::Table(namespaces));
                }
                if let Some(table) = table {
                    document.insert("mounts".into(), Value::Table(table));
                }
                if let Some(entries) = entries {
                    document.insert("mount".into(), entries);
                }
                if let Some(services) = services {
                    document.insert("service".into(), services);
                }
                toml::to_string(&document).unwrap()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn inspect_then_build_gives_back_the_same_bytes(document in document()) {
        let bytes = build(&document);
        let shown = inspect(&bytes);
        prop_assert_eq!(build(&shown), bytes, "{}\nshown as\n{}", document, shown);
    }
}
