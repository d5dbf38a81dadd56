//! Runs the real keel-gen: examples build, `inspect` then `build` gives back the same bytes,
//! errors point at line:column, and `embed` writes configs into ELF files' .keelcfg section.

mod common;
use common::{keel_gen, scratch};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keel_wire::{self as wire, syntax};
use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use toml::{Table, Value};

/// Runs keel-gen and returns its stdout, failing on an error.
fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let run = keel_gen(args, stdin);
    assert!(
        run.code == Some(0),
        "keel-gen {args:?} failed: {}",
        run.stderr
    );
    run.stdout
}

/// Runs keel-gen expecting a failure reported as one line, and returns that line.
fn error(args: &[&str], stdin: &[u8]) -> String {
    let run = keel_gen(args, stdin);
    assert!(run.code != Some(0), "keel-gen {args:?} succeeded");
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "not one line: {}",
        run.stderr
    );
    run.stderr.trim_end().to_owned()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn build(toml: &str) -> Vec<u8> {
    ok(&["build", "-", "-o", "-"], toml.as_bytes())
}

fn inspect(config: &[u8]) -> String {
    String::from_utf8(ok(&["inspect", "-"], config)).unwrap()
}

/// An ELF file with a `.keelcfg` section of `size` zeros, as a fresh keel has.
fn elf_with_config_section(size: usize) -> Vec<u8> {
    let mut object = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let section = object.add_section(Vec::new(), b".keelcfg".to_vec(), SectionKind::ReadOnlyData);
    object.append_section_data(section, &vec![0; size], 16);
    object.write().unwrap()
}

/// The `.keelcfg` section of an ELF file.
fn config_section(elf: &[u8]) -> Vec<u8> {
    use object::{Object as _, ObjectSection as _};
    let file = object::File::parse(elf).unwrap();
    file.section_by_name(".keelcfg")
        .unwrap()
        .data()
        .unwrap()
        .to_vec()
}

#[test]
fn every_example_builds_and_inspects_back_to_the_same_bytes() {
    let mut examples: Vec<_> = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    examples.sort();
    let names: Vec<_> = examples
        .iter()
        .map(|path| path.file_name().unwrap().to_str().unwrap())
        .collect();
    for required in [
        "benchexec.toml",
        "cgroup.toml",
        "exec.toml",
        "landlock.toml",
        "minimal.toml",
        "mounts.toml",
        "namespaces.toml",
        "sandbox.toml",
        "seccomp.toml",
        "security.toml",
        "supervise.toml",
    ] {
        assert!(names.contains(&required), "examples/{required} is missing");
    }
    let dir = scratch();
    for example in &examples {
        let out = dir.join("keel.cfg");
        ok(&["build", path(example), "-o", path(&out)], b"");
        let bytes = fs::read(&out).unwrap();
        assert!(wire::decode(&bytes).is_ok(), "{example:?}");
        assert_eq!(build(&inspect(&bytes)), bytes, "{example:?}");
    }
}

#[test]
fn args_alone_are_a_complete_config() {
    let bytes = build("[process]\nargs = [\"/bin/sh\", \"-c\", \"exit 7\"]\n");
    let config = wire::decode(&bytes).unwrap();
    let args: Vec<_> = config.process.args.iter().collect();
    assert_eq!(args, [c"/bin/sh", c"-c", c"exit 7"]);
    assert_eq!(config.supervision, wire::Supervision::default());
    // So is an empty one: everything is left to keel's command line.
    let empty = build("");
    assert_eq!(empty.len(), wire::HEADER_LEN);
    assert_eq!(wire::decode(&empty), Ok(wire::Config::default()));
}

#[test]
fn values_are_written_the_canonical_way() {
    let toml = "[supervision]\ngrace = \"120s\"\nrewrite = [\"sigterm:3\", \"36:SIGRTMAX\", \"WINCH:0\"]\nparent_death_signal = \"9\"\n";
    let shown = inspect(&build(toml));
    let body: Vec<_> = shown.lines().skip(1).collect();
    assert_eq!(
        body,
        [
            "[supervision]",
            "grace = \"2m\"",
            "rewrite = [\"TERM:QUIT\", \"WINCH:0\", \"RTMIN+2:RTMIN+30\"]",
            "parent_death_signal = \"KILL\"",
        ]
    );
}

#[test]
fn errors_point_at_line_and_column() {
    let args_257 = format!("[process]\nargs = [{}]\n", vec!["\"x\""; 257].join(", "));
    let cases: Vec<(&str, &str)> = vec![
        ("[process\n", "1:9: unclosed table, expected `]`"),
        (
            "[process]\nargz = []\n",
            "2:1: unknown field `argz`, expected one of `args`, `env`, `env_clear`, `env_unset`, `cwd`, `no_new_privileges`, `oom_score_adj`, `user`, `capabilities`, `rlimits`, `seccomp`",
        ),
        (
            "[process]\ncwd = \"srv\"\n",
            "2:7: cwd must be an absolute path, as in cwd = \"/srv\"",
        ),
        (
            "[process]\nargs = []\n",
            "2:8: args is empty: name the program, as in args = [\"/bin/app\"]",
        ),
        (
            "[process]\nargs = [\"\", \"x\"]\n",
            "2:9: the program (the first of args) is empty",
        ),
        (
            &args_257,
            "2:8: args has 257 entries; keel allows at most 256",
        ),
        (
            "[process]\nargs = [\"a\\u0000b\"]\n",
            "2:9: strings cannot contain NUL (\\u0000): keel passes them to the kernel as C strings",
        ),
        (
            "[process]\nenv = [\"A=1\",\n  \"B=2\", \"A=3\"]\n",
            "3:10: env sets A twice (first at line 2)",
        ),
        (
            "[process]\nenv = [\"A\"]\n",
            "2:8: env entries are \"KEY=VALUE\" with a non-empty KEY",
        ),
        (
            "[process]\nenv = [\"A=1\"]\nenv_unset = [\"A\"]\n",
            "3:14: A is both set by env and removed by env_unset: keep one",
        ),
        (
            "[process]\nenv_clear = true\nenv_unset = [\"A\"]\n",
            "2:13: env_clear = true leaves nothing for env_unset to remove: drop one of them",
        ),
        (
            "[supervision]\nmode = \"daemon\"\n",
            "2:8: unknown mode \"daemon\": use \"supervise\", \"exec\" or \"machine\"",
        ),
        (
            "[supervision]\nmode = \"exec\"\ngrace = \"5s\"\n",
            "3:9: grace needs keel to supervise, but mode = \"exec\" replaces keel with the program: remove grace or the mode",
        ),
        (
            "[supervision]\nremap_exit = [143, 256]\n",
            "2:20: exit codes are 0..=255",
        ),
        (
            "[supervision]\nremap_exit = [143, 143]\n",
            "2:20: remap_exit lists 143 twice (first at line 2)",
        ),
        (
            "[supervision]\ngrace = \"5 s\"\n",
            "2:9: durations are written \"250ms\", \"5s\" or \"1m\" (at most 49 days)",
        ),
        (
            "[supervision]\nrewrite = [\"TERM\"]\n",
            "2:12: rewrite entries are \"FROM:TO\" signals, as in \"TERM:QUIT\"; TO = 0 drops FROM",
        ),
        (
            "[supervision]\nrewrite = [\"KILL:TERM\"]\n",
            "2:12: SIGKILL and SIGSTOP cannot be caught, so keel never gets them to rewrite",
        ),
        (
            "[supervision]\nrewrite = [\"TERM:QUIT\", \"15:0\"]\n",
            "2:25: rewrite has two rules for TERM (first at line 2)",
        ),
        (
            "[supervision]\nverbosity = 256\n",
            "2:13: invalid value: integer `256`, expected u8",
        ),
        (
            "[supervision]\nparent_death_signal = \"KIL\"\n",
            "2:23: unknown signal \"KIL\": use a name such as \"KILL\" or \"SIGKILL\", 1..=64, or RTMIN+n",
        ),
        (
            "[cgroup]\npreset = \"slurm\"\n",
            "2:10: unknown preset \"slurm\": the only one is \"benchexec\"",
        ),
        (
            "[cgroup]\nowner = \"1000:1000\"\n",
            "2:9: owner at [cgroup] level goes with preset = \"benchexec\"; without it, give each [[cgroup.delegate]] its owner",
        ),
        (
            "[cgroup]\npreset = \"benchexec\"\nowner = \"1000\"\n",
            "3:9: owner is \"UID:GID\", two numbers, as in \"1000:1000\"",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"a\"\nowner = \"0:4294967295\"\n",
            "4:9: 4294967295 is -1, which chown takes as \"leave unchanged\": use a real id",
        ),
        (
            "[cgroup]\nleaf = \"/init\"\n",
            "2:8: leaf: cgroup path must be relative, without empty, . or .. components; cgroup paths are relative to keel's cgroup, as in \"benchexec\" or \"a/b\"",
        ),
        (
            "[cgroup]\nworkload = \"a/../b\"\n",
            "2:12: workload: cgroup path must be relative, without empty, . or .. components; cgroup paths are relative to keel's cgroup, as in \"benchexec\" or \"a/b\"",
        ),
        (
            "[cgroup]\nroot = \"sys/fs/cgroup\"\n",
            "2:8: root must be an absolute path, as in root = \"/sys/fs/cgroup\"",
        ),
        (
            "[cgroup]\ncontrollers = []\n",
            "2:15: controllers = [] would mean every available controller: leave controllers out for that",
        ),
        (
            "[cgroup]\ncontrollers = [\"cpu\", \"Memory\"]\n",
            "2:23: controller names are 1 to 64 of a-z, 0-9 and _, as in \"memory\"",
        ),
        (
            "[cgroup]\noptional = [\"io\", \"io\"]\n",
            "2:19: optional lists \"io\" twice (first at line 2)",
        ),
        (
            "[cgroup]\ncontrollers = [\"cpu\"]\noptional = [\"io\"]\n",
            "3:13: optional names \"io\", which controllers does not list: add it there, or remove it here",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"a\"\n[[cgroup.delegate]]\npath = \"a\"\n",
            "5:8: delegate \"a\" is listed twice (first at line 3)",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"init\"\n",
            "3:8: \"init\" is the leaf, which holds keel and the processes it found, and a cgroup with processes cannot enable controllers for its children (no-internal-process rule; EBUSY at run time): set enable_controllers = false, or delegate another cgroup",
        ),
        (
            "[cgroup]\npreset = \"benchexec\"\nworkload = \"benchexec\"\n",
            "3:12: the workload cannot start in \"benchexec\", which enables controllers for its children: the kernel refuses processes in such a cgroup (no-internal-process rule; EBUSY at run time). Set enable_controllers = false on that delegate, or start the workload in a child cgroup such as \"benchexec/workload\"",
        ),
        (
            "[cgroup]\n[[cgroup.delegate]]\npath = \"a/b\"\n[[cgroup.delegate]]\npath = \"a\"\n",
            "3:8: enabling controllers in \"a/b\" needs them enabled in \"a\" first: list a [[cgroup.delegate]] with path = \"a\" before this one, or set enable_controllers = false here",
        ),
        (
            "[cgroup]\n[cgroup.limits]\nx = { \"memory.max\" = \"1G\" }\n",
            "3:1: keel creates no cgroup \"x\": limits go on the leaf (\"init\"), a delegate or the workload",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"cgroup.procs\" = 1 }\n",
            "3:10: \"cgroup.procs\": limit file is one keel writes itself; limit files are PREFIX.NAME as in \"memory.max\", and keel writes cgroup.procs, cgroup.threads and cgroup.subtree_control itself",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"memory\" = 1 }\n",
            "3:10: \"memory\": limit file must be PREFIX.NAME, without /; limit files are PREFIX.NAME as in \"memory.max\", and keel writes cgroup.procs, cgroup.threads and cgroup.subtree_control itself",
        ),
        (
            "[cgroup]\nleaf = \"keel/init\"\n[cgroup.limits]\n\"keel/init\" = { \"cgroup.max.depth\" = 3, \"memory.max\" = \"1G\" }\n",
            "4:41: memory.max exists in \"keel/init\" only if \"keel\" enables the memory controller for its children: make \"keel\" a [[cgroup.delegate]] that enables controllers, or limit another cgroup",
        ),
        (
            "[cgroup]\ncontrollers = [\"cpu\"]\n[cgroup.limits]\ninit = { \"memory.max\" = \"1G\" }\n",
            "4:10: memory.max needs the memory controller, which controllers does not list: add \"memory\" to it",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"memory.max\" = \"\" }\n",
            "3:25: limit value is empty, as in \"1G\" or \"max\"",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"memory.max\" = 1.5 }\n",
            "3:25: limit values are strings or integers, as in \"1G\", \"max\" or 512",
        ),
        (
            "[cgroup]\n[cgroup.limits]\ninit = { \"pids.max\" = 1 }\n[cgroup.limits.init]\n\"pids.max\" = 2\n",
            "4:16: duplicate key",
        ),
        (
            "[namespaces]\nunshare = [\"pid\", \"netx\"]\n",
            "2:19: unknown namespace \"netx\": use mount, pid, uts, ipc, net, cgroup, user or time",
        ),
        (
            "[namespaces]\nunshare = [\"net\", \"pid\", \"network\"]\n",
            "2:26: unshare lists net twice (first at line 2)",
        ),
        (
            "[namespaces]\nunshare = [\"pid\"]\nuid_mappings = [{ container_id = 0, host_id = 1000, size = 1 }]\n",
            "3:16: uid_mappings needs a new user namespace: add \"user\" to unshare",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\ngid_mappings = []\n",
            "3:16: gid_mappings = [] maps nothing: leave it out, and keel maps its own id to 0 (root)",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\nuid_mappings = [{ container_id = 0, host_id = 1, size = 0 }]\n",
            "3:57: size must be at least 1, and container_id + size and host_id + size at most 4294967295",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\nuid_mappings = [{ container_id = 1, host_id = 4294967295, size = 1 }]\n",
            "3:66: size must be at least 1, and container_id + size and host_id + size at most 4294967295",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\nuid_mappings = [\n  { container_id = 0, host_id = 1000, size = 10 },\n  { container_id = 5, host_id = 2000, size = 1 },\n]\n",
            "5:3: uid_mappings: these container ids overlap those of the mapping at line 4, which the kernel refuses",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\ngid_mappings = [\n  { container_id = 0, host_id = 1000, size = 10 },\n  { container_id = 10, host_id = 1009, size = 1 },\n]\n",
            "5:3: gid_mappings: these host ids overlap those of the mapping at line 4, which the kernel refuses",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\nuid_mappings = [{ container_id = -1, host_id = 1, size = 1 }]\n",
            "3:34: container_id must be 0..=4294967295",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\nuid_mappings = [{ container_id = 0, host_id = 1 }]\n",
            "3:17: missing field `size`",
        ),
        (
            "[namespaces]\nunshare = [\"user\"]\nsetgroups = \"never\"\n",
            "3:13: setgroups is \"allow\" or \"deny\", not \"never\"",
        ),
        (
            "[namespaces]\nunshare = [\"pid\"]\nsetgroups = \"deny\"\n",
            "3:13: setgroups = \"deny\" needs a new user namespace: add \"user\" to unshare",
        ),
        (
            "[namespaces]\nunshare = [\"pid\"]\nhostname = \"box\"\n",
            "3:12: hostname needs a new uts namespace: add \"uts\" to unshare",
        ),
        (
            "[namespaces]\nunshare = [\"uts\"]\ndomainname = \"\"\n",
            "3:14: domainname must be 1 to 64 bytes",
        ),
        (
            "[namespaces]\nunshare = [\"ipc\"]\n[namespaces.time_offsets]\nmonotonic = { secs = 1 }\n",
            "3:1: [namespaces.time_offsets] needs a new time namespace: add \"time\" to unshare",
        ),
        (
            "[namespaces]\nunshare = [\"time\"]\n[namespaces.time_offsets]\nboottime = { secs = 1, nanosecs = 1000000000 }\n",
            "4:35: nanosecs must be 0..=999999999",
        ),
        (
            "[namespaces]\nunshare = [\"time\"]\n[namespaces.time_offsets]\nmonotonic = { secs = 5000000000 }\n",
            "4:22: secs must be within ±4611686018 (about 146 years): the kernel refuses larger offsets",
        ),
        (
            "[namespaces]\nunshare = [\"pid\"]\n[[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
            "2:11: [namespaces] unshare lacks \"mount\", which the mounts need: add \"mount\" so the mounts stay out of the host's mount table",
        ),
        (
            "[namespaces]\nhostname = \"x\"\n",
            "2:12: hostname needs a new uts namespace: add \"uts\" to unshare",
        ),
        (
            "[namespaces]\n[mounts]\nmasked = [\"/proc/kcore\"]\n",
            "1:1: [namespaces] unshare lacks \"mount\", which the mounts need: add \"mount\" so the mounts stay out of the host's mount table",
        ),
        (
            "[[mount]]\ndestination = \"/proc\"\ntype = \"procfs\"\n",
            "3:8: unknown mount type \"procfs\": use bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup2, overlay or devtmpfs",
        ),
        (
            "[[mount]]\ndestination = \"proc\"\ntype = \"proc\"\n",
            "2:15: destination must be an absolute path, as in destination = \"/data\"",
        ),
        (
            "[[mount]]\ndestination = \"/a/../etc\"\ntype = \"tmpfs\"\n",
            "2:15: destination: mount target has a .. component: write the path without it",
        ),
        (
            "[[mount]]\ndestination = \"/a\"\ntype = \"proc\"\n[[mount]]\ndestination = \"/a\"\ntype = \"tmpfs\"\n",
            "5:15: two mounts have destination \"/a\" (first at line 2)",
        ),
        (
            "[[mount]]\ndestination = \"/data\"\ntype = \"bind\"\n",
            "3:8: a bind mount needs source, the host path, as in source = \"/srv/data\"",
        ),
        (
            "[[mount]]\ndestination = \"/data\"\ntype = \"bind\"\nsource = \"srv/data\"\n",
            "4:10: source must be an absolute path, as in source = \"/srv/data\"",
        ),
        (
            "[[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\nsource = \"tmpfs\"\n",
            "4:10: source is for type = \"bind\": a tmpfs mount makes a new filesystem",
        ),
        (
            "[[mount]]\ndestination = \"/data\"\ntype = \"bind\"\nsource = \"/srv\"\noptions = [\"ro\", \"size=1m\"]\n",
            "5:18: unknown option \"size=1m\" for type = \"bind\", which takes only ro, nosuid, nodev, noexec, relatime, noatime, strictatime, nodiratime, nosymfollow, bind, rbind",
        ),
        (
            "[[mount]]\ndestination = \"/data\"\ntype = \"bind\"\nsource = \"/srv\"\noptions = [\"noatime\", \"relatime\"]\n",
            "5:23: options has two atime words, \"noatime\" and \"relatime\": keep one",
        ),
        (
            "[[mount]]\ndestination = \"/data\"\ntype = \"bind\"\nsource = \"/srv\"\noptions = [\"bind\", \"rbind\"]\n",
            "5:20: options has both \"bind\" and \"rbind\": keep \"rbind\" for the whole tree, or \"bind\" for the source alone",
        ),
        (
            "[[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\noptions = [\"rbind\"]\n",
            "4:12: \"rbind\" is for type = \"bind\", not \"tmpfs\"",
        ),
        (
            "[[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\noptions = [\"size=1m,mode=0755\"]\n",
            "4:12: filesystem parameters are \"key=value\" or \"flag\", 1 to 255 bytes, one per entry (no ,), as in options = [\"size=64m\", \"mode=0755\"]",
        ),
        (
            "[[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\noptions = [\"ro\", \"nosuid\", \"ro\"]\n",
            "4:28: options lists \"ro\" twice (first at line 4)",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\noptions = [\"ro\", \"index=on\"]\n",
            "5:18: unknown option \"index=on\" for type = \"overlay\", which takes only ro, nosuid, nodev, noexec, relatime, noatime, strictatime, nodiratime, nosymfollow",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\n",
            "3:8: an overlay needs lower, its layers top first, as in lower = [\"/srv/layers/top\", \"/srv/layers/base\"]",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\", \"l\"]\n",
            "4:16: lower entries must be absolute paths, as in lower = [\"/srv/layers/base\"]",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\", \"/l\"]\n",
            "4:16: lower lists \"/l\" twice (first at line 4)",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/1\", \"/2\", \"/3\", \"/4\", \"/5\", \"/6\", \"/7\", \"/8\", \"/9\", \"/10\", \"/11\", \"/12\", \"/13\", \"/14\", \"/15\", \"/16\"]\n",
            "4:9: lower has 16 entries; keel allows at most 15",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nupper = \"tmpfs\"\nwork = \"/w\"\n",
            "6:8: upper = \"tmpfs\" keeps its work directory on the tmpfs too: remove work",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nupper = \"/u\"\n",
            "5:9: an upper directory needs work, an empty directory on the same filesystem, as in work = \"/srv/changes/work\"",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nupper = \"/u\"\nwork = \"/w\"\nsize = \"1m\"\n",
            "7:8: size is for upper = \"tmpfs\": an upper directory is on its own filesystem",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nsize = \"1m\"\n",
            "5:8: size goes with upper = \"tmpfs\"",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nwork = \"/w\"\n",
            "5:8: work goes with upper = \"/path\": add upper, on the same filesystem as work",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nupper = \"changes\"\nwork = \"/w\"\n",
            "5:9: upper is \"tmpfs\" (the writes vanish) or an absolute directory, as in upper = \"/srv/changes/upper\"",
        ),
        (
            "[[mount]]\ndestination = \"/usr\"\ntype = \"overlay\"\nlower = [\"/l\"]\nupper = \"tmpfs\"\nsize = \"1,2\"\n",
            "6:8: size is tmpfs's size= value, as in size = \"64m\": 1 to 250 bytes, without ,",
        ),
        (
            "[[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\nupper = \"tmpfs\"\n",
            "4:9: upper is for type = \"overlay\", not \"tmpfs\"",
        ),
        (
            "[mounts]\nroot = \"srv/rootfs\"\n",
            "2:8: root must be an absolute path, as in root = \"/srv/rootfs\"",
        ),
        (
            "[mounts]\nmasked = [\"/proc/kcore\", \"proc/keys\"]\n",
            "2:26: masked entries must be absolute paths, as in masked = [\"/proc/kcore\"]",
        ),
        (
            "[mounts]\nreadonly = [\"/proc/sys\", \"/proc/sys\"]\n",
            "2:26: readonly lists \"/proc/sys\" twice (first at line 2)",
        ),
        (
            "[[mount]]\ndestination = \"/x\"\ntype = \"tmpfs\"\nsize = \"1m\"\n",
            "4:8: size is for type = \"overlay\", not \"tmpfs\"",
        ),
        (
            "[supervision]\nseal_exe = \"yes\"\n",
            "2:12: invalid type: string \"yes\", expected a boolean",
        ),
        (
            "[process]\noom_score_adj = -1001\n",
            "2:17: oom_score_adj is -1000..=1000",
        ),
        (
            "[mounts]\nroot_readonly = true\n",
            "2:17: root_readonly needs a root to pivot into: set root, or use readonly = [...] for paths of the current root",
        ),
        (
            "[landlock]\nrequired = true\n",
            "1:1: [landlock] restricts nothing: add [[landlock.path]] or [[landlock.port]] rules, or name handled_fs, handled_net or scoped",
        ),
        (
            "[[landlock.path]]\npath = \"/usr\"\naccess = [\"reed\"]\n",
            "3:11: unknown filesystem right \"reed\": use one of execute, write_file, read_file, read_dir, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate, ioctl_dev",
        ),
        (
            "[landlock]\nhandled_fs = [\"write\"]\n[[landlock.path]]\npath = \"/usr\"\naccess = [\"read\"]\n",
            "5:10: grants read_file, read_dir, which handled_fs does not restrict: add it to handled_fs or drop it here",
        ),
        (
            "[[landlock.path]]\npath = \"usr\"\naccess = [\"read\"]\n",
            "2:8: path must be an absolute path, as in path = \"/usr\"",
        ),
        (
            "[[landlock.path]]\npath = \"/usr\"\naccess = [\"read\"]\n[[landlock.path]]\npath = \"/usr\"\naccess = [\"execute\"]\n",
            "5:8: this path has a rule already: merge the two (first at line 2)",
        ),
        (
            "[[landlock.port]]\nport = 80\naccess = [\"bind_tcp\"]\n[[landlock.port]]\nport = 80\naccess = [\"connect_tcp\"]\n",
            "5:8: this port has a rule already: merge the two (first at line 2)",
        ),
        (
            "[[landlock.port]]\nport = 70000\naccess = [\"bind_tcp\"]\n",
            "2:8: a port is 0..=65535",
        ),
        (
            "[[landlock.port]]\nport = 80\naccess = []\n",
            "3:10: name at least one network right",
        ),
        (
            "[process.user]\nuid = 1000\n",
            "1:1: [process.user] switches user with uid and gid together: give both, or neither to only set the umask",
        ),
        (
            "[process.user]\nuid = 1\ngid = 4294967295\n",
            "3:7: ids are 0..=4294967294 (4294967295 is -1, which the kernel takes as \"leave unchanged\")",
        ),
        (
            "[process.user]\numask = \"022\"\nadditional_gids = [1]\n",
            "3:19: additional_gids go with a user switch: add uid and gid",
        ),
        (
            "[process.user]\nuid = 1\ngid = 1\nadditional_gids = [1, 2, 1]\n",
            "4:26: additional_gids lists 1 twice (first at line 4)",
        ),
        (
            "[process.user]\numask = \"0800\"\n",
            "2:9: umask is an octal string \"0000\" to \"0777\", as in umask = \"0022\", or an integer up to 0o777",
        ),
        (
            "[process.user]\numask = 512\n",
            "2:9: umask is an octal string \"0000\" to \"0777\", as in umask = \"0022\", or an integer up to 0o777",
        ),
        (
            "[process.capabilities]\nbounding = [\"CAP_KILL\", \"CAP_FLY\"]\n",
            "2:25: unknown capability \"CAP_FLY\": use a name from capabilities(7) such as \"CAP_NET_BIND_SERVICE\"",
        ),
        (
            "[process.capabilities]\nbounding = [\"CAP_KILL\", \"kill\"]\n",
            "2:25: bounding lists CAP_KILL twice (first at line 2)",
        ),
        (
            "[process.capabilities]\npermitted = [\"KILL\"]\neffective = [\"KILL\", \"CHOWN\"]\n",
            "3:22: CAP_CHOWN is effective but not permitted, which the kernel refuses: add it to permitted",
        ),
        (
            "[process.capabilities]\npermitted = [\"KILL\"]\nambient = [\"KILL\"]\n",
            "3:12: CAP_KILL is ambient but not both permitted and inheritable, which the kernel refuses: add it to both",
        ),
        (
            "[[process.rlimits]]\ntype = \"RLIMIT_FILES\"\nsoft = 1\nhard = 1\n",
            "2:8: unknown rlimit \"RLIMIT_FILES\": use RLIMIT_ and one of CPU, FSIZE, DATA, STACK, CORE, RSS, NPROC, NOFILE, MEMLOCK, AS, LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO, RTTIME",
        ),
        (
            "[[process.rlimits]]\ntype = \"nofile\"\nsoft = 1\nhard = 1\n[[process.rlimits]]\ntype = \"RLIMIT_NOFILE\"\nsoft = 1\nhard = 1\n",
            "6:8: rlimits set RLIMIT_NOFILE twice (first at line 2)",
        ),
        (
            "[[process.rlimits]]\ntype = \"CORE\"\nsoft = \"unlimited\"\nhard = 0\n",
            "3:8: the soft limit is above the hard one, which setrlimit refuses: lower soft or raise hard",
        ),
        (
            "[[process.rlimits]]\ntype = \"CORE\"\nsoft = -1\nhard = \"infinity\"\n",
            "3:8: rlimit values are integers from 0, or \"unlimited\"",
        ),
    ];
    let dir = scratch();
    let file = dir.join("keel.toml");
    for (toml, expected) in cases {
        fs::write(&file, toml).unwrap();
        let line = error(
            &["build", path(&file), "-o", path(&dir.join("out.cfg"))],
            b"",
        );
        assert_eq!(
            line,
            format!("keel-gen: {}:{expected}", path(&file)),
            "{toml}"
        );
    }
    assert!(
        !dir.join("out.cfg").exists(),
        "a failed build wrote its output"
    );
    // Errors in stdin name it.
    assert!(
        error(&["build", "-", "-o", "-"], b"[x]")
            .starts_with("keel-gen: <stdin>:1:2: unknown field `x`")
    );
}

#[test]
fn security_settings_are_written_the_canonical_way() {
    let toml = "[process.user]\numask = 0o27\n[process.capabilities]\npermitted = [\"cap_kill\", \"CHOWN\"]\n[[process.rlimits]]\ntype = \"nofile\"\nsoft = 1\nhard = \"unlimited\"\n";
    let bytes = build(toml);
    let process = wire::decode(&bytes).unwrap().process;
    assert_eq!(process.user, None);
    assert_eq!(process.umask, Some(0o27));
    assert_eq!(
        process.capabilities,
        Some(wire::Capabilities {
            permitted: 1 << 5 | 1,
            ..wire::Capabilities::default()
        })
    );
    let rlimits: Vec<_> = process.rlimits.iter().collect();
    assert_eq!(
        rlimits,
        [wire::Rlimit {
            resource: 7,
            soft: 1,
            hard: u64::MAX
        }]
    );
    let shown = inspect(&bytes);
    let body: Vec<_> = shown.lines().skip(1).collect();
    assert_eq!(
        body,
        [
            "[process.user]",
            "umask = \"0027\"",
            "",
            "[process.capabilities]",
            "bounding = []",
            "effective = []",
            "permitted = [\"CAP_CHOWN\", \"CAP_KILL\"]",
            "inheritable = []",
            "ambient = []",
            "",
            "[[process.rlimits]]",
            "type = \"RLIMIT_NOFILE\"",
            "soft = 1",
            "hard = \"unlimited\"",
        ]
    );
    // OCI's umask is a number: decimal 18 is 0o022. An empty table drops every capability.
    let bytes = build("[process.user]\numask = 18\n[process.capabilities]\n");
    let process = wire::decode(&bytes).unwrap().process;
    assert_eq!(process.umask, Some(0o22));
    assert_eq!(process.capabilities, Some(wire::Capabilities::default()));
}

/// The cgroup section of the config `toml` builds to.
fn cgroup_of(toml: &str) -> String {
    let bytes = build(toml);
    let config = wire::decode(&bytes).unwrap();
    format!("{:?}", config.cgroup)
}

#[test]
fn an_empty_cgroup_table_sets_up_every_default() {
    let bytes = build("[cgroup]\n");
    assert_eq!(
        wire::decode(&bytes).unwrap().cgroup,
        Some(wire::Cgroup::default())
    );
    assert_eq!(
        inspect(&bytes).lines().skip(1).collect::<Vec<_>>(),
        ["[cgroup]"]
    );
    // Without the table, keel touches no cgroup.
    assert_eq!(wire::decode(&build("")).unwrap().cgroup, None);
}

#[test]
fn empty_namespaces_and_mounts_tables_are_present() {
    for (toml, namespaces, mounts) in [
        ("[namespaces]\n", Some(wire::Namespaces::default()), None),
        ("[mounts]\n", None, Some(wire::Mounts::default())),
    ] {
        let bytes = build(toml);
        let config = wire::decode(&bytes).unwrap();
        assert_eq!((config.namespaces, config.mounts), (namespaces, mounts));
        assert_eq!(inspect(&bytes).lines().nth(1), toml.lines().next());
    }
    // `mount = []` is no mount, but mounts all the same; without the tables, nothing.
    assert_eq!(
        wire::decode(&build("mount = []\n")).unwrap().mounts,
        Some(wire::Mounts::default())
    );
    let empty = build("");
    let none = wire::decode(&empty).unwrap();
    assert_eq!((none.namespaces, none.mounts), (None, None));
}

#[test]
fn mounts_without_namespaces_get_a_mount_namespace_from_keel() {
    let toml = "[[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n";
    let bytes = build(toml);
    let config = wire::decode(&bytes).unwrap();
    assert_eq!(config.namespaces, None);
    let mounts: Vec<_> = config.mounts.unwrap().entries.iter().collect();
    assert_eq!(mounts.len(), 1);
    assert_eq!(
        (mounts[0].kind, mounts[0].target),
        (wire::MountKind::Proc, c"/proc")
    );
    // A proc without a pid namespace is allowed (it shows the host's processes).
    let with = format!("[namespaces]\nunshare = [\"mount\"]\n{toml}");
    assert!(wire::decode(&build(&with)).unwrap().namespaces.is_some());
}

#[test]
fn namespaces_and_mount_options_are_written_the_canonical_way() {
    let toml = "[namespaces]\nunshare = [\"user\", \"network\", \"mount\"]\nsetgroups = \"allow\"\n\
        [[mount]]\ndestination = \"/a\"\ntype = \"bind\"\nsource = \"/s\"\noptions = [\"nosuid\", \"bind\", \"relatime\", \"ro\"]\n\
        [[mount]]\ndestination = \"/b\"\ntype = \"bind\"\nsource = \"/s\"\noptions = [\"nodev\", \"rbind\"]\n\
        [[mount]]\ndestination = \"/c\"\ntype = \"tmpfs\"\noptions = [\"size=1m\", \"noatime\", \"mode=0755\", \"noexec\"]\n";
    let bytes = build(toml);
    let shown = inspect(&bytes);
    let body: Vec<_> = shown.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(
        body,
        [
            "[namespaces]",
            "unshare = [\"mount\", \"net\", \"user\"]",
            "[[mount]]",
            "destination = \"/a\"",
            "type = \"bind\"",
            "source = \"/s\"",
            "options = [\"ro\", \"nosuid\"]",
            "[[mount]]",
            "destination = \"/b\"",
            "type = \"bind\"",
            "source = \"/s\"",
            "options = [\"rbind\", \"nodev\"]",
            "[[mount]]",
            "destination = \"/c\"",
            "type = \"tmpfs\"",
            "options = [\"noexec\", \"noatime\", \"size=1m\", \"mode=0755\"]",
        ]
    );
    assert_eq!(build(&shown), bytes);
    let mounts = wire::decode(&bytes).unwrap().mounts.unwrap();
    let c = mounts.entries.iter().nth(2).unwrap();
    assert_eq!(c.attrs, wire::Mount::NOEXEC | wire::Mount::NOATIME);
    assert!(c.options.iter().eq([c"size=1m", c"mode=0755"]));
}

#[test]
fn the_benchexec_preset_is_what_init_sh_does() {
    assert_eq!(
        cgroup_of("[cgroup]\npreset = \"benchexec\"\n"),
        cgroup_of("[cgroup]\nleaf = \"init\"\n[[cgroup.delegate]]\npath = \"benchexec\"\n")
    );
    let bytes = build("[cgroup]\npreset = \"benchexec\"\n");
    let cgroup = wire::decode(&bytes).unwrap().cgroup.unwrap();
    assert_eq!(cgroup.leaf, Some(c"init"));
    assert_eq!(cgroup.workload, None);
    assert!(cgroup.controllers.is_empty());
    let delegates: Vec<_> = cgroup.delegates.iter().collect();
    assert_eq!(
        delegates,
        [wire::Delegate {
            path: c"benchexec",
            owner: None,
            enable_controllers: true
        }]
    );
    // With an owner: BenchExec starts in its chowned cgroup, which cannot enable controllers.
    assert_eq!(
        cgroup_of("[cgroup]\npreset = \"benchexec\"\nowner = \"1000:100\"\n"),
        cgroup_of(
            "[cgroup]\nleaf = \"init\"\nworkload = \"benchexec\"\n[[cgroup.delegate]]\npath = \"benchexec\"\nowner = \"1000:100\"\nenable_controllers = false\n"
        )
    );
    // Explicit fields override the preset's or add to them.
    let toml = "[cgroup]\npreset = \"benchexec\"\nleaf = \"keel\"\ncontrollers = [\"memory\"]\n[[cgroup.delegate]]\npath = \"extra\"\n[[cgroup.delegate]]\npath = \"benchexec\"\nowner = \"1:1\"\nenable_controllers = false\n[cgroup.limits]\nbenchexec = { \"memory.max\" = \"8G\" }\n";
    let expanded = "[cgroup]\nleaf = \"keel\"\ncontrollers = [\"memory\"]\n[[cgroup.delegate]]\npath = \"extra\"\n[[cgroup.delegate]]\npath = \"benchexec\"\nowner = \"1:1\"\nenable_controllers = false\n[cgroup.limits]\nbenchexec = { \"memory.max\" = \"8G\" }\n";
    assert_eq!(cgroup_of(toml), cgroup_of(expanded));
    // inspect shows the expanded fields, no preset.
    let shown = inspect(&build(toml));
    assert!(!shown.contains("preset"), "{shown}");
    assert_eq!(build(&shown), build(expanded));
}

#[test]
fn limits_keep_their_order_and_integers_are_decimal() {
    let toml = "[cgroup]\n[[cgroup.delegate]]\npath = \"b\"\n[[cgroup.delegate]]\npath = \"a\"\n[cgroup.limits]\nb = { \"pids.max\" = 512, \"memory.max\" = \"1G\" }\ninit = { \"cpu.weight\" = 50 }\na = { \"memory.high\" = -1 }\n";
    let bytes = build(toml);
    let cgroup = wire::decode(&bytes).unwrap().cgroup.unwrap();
    let limits: Vec<_> = cgroup
        .limits
        .iter()
        .map(|l| (l.cgroup, l.file, l.value))
        .collect();
    assert_eq!(
        limits,
        [
            (c"b", c"pids.max", c"512"),
            (c"b", c"memory.max", c"1G"),
            (c"init", c"cpu.weight", c"50"),
            (c"a", c"memory.high", c"-1"),
        ]
    );
    assert_eq!(build(&inspect(&bytes)), bytes);
}

#[test]
fn inspect_refuses_limits_toml_cannot_show() {
    let encode = |limits: &[wire::Limit<'_>]| {
        let mut records = Vec::new();
        for limit in limits {
            wire::Record::write(limit, |piece| records.extend_from_slice(piece));
        }
        let config = wire::Config {
            cgroup: Some(wire::Cgroup {
                limits: wire::List::from_bytes_with_nul(&records).unwrap(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut buf = vec![0; 256];
        let len = wire::encode(&config, &mut buf).unwrap();
        buf.truncate(len);
        buf
    };
    let limit = |cgroup, file| wire::Limit {
        cgroup,
        file,
        value: c"1",
    };
    let apart = encode(&[
        limit(c"a", c"pids.max"),
        limit(c"b", c"pids.max"),
        limit(c"a", c"memory.max"),
    ]);
    assert_eq!(
        error(&["inspect", "-"], &apart),
        "keel-gen: <stdin>: the limits on a are not together: TOML cannot show their order"
    );
    let twice = encode(&[limit(c"a", c"pids.max"), limit(c"a", c"pids.max")]);
    assert_eq!(
        error(&["inspect", "-"], &twice),
        "keel-gen: <stdin>: two limits write a/pids.max: TOML cannot show it"
    );
}

#[test]
fn bad_files_give_one_error_line() {
    let dir = scratch();
    let missing = dir.join("missing.cfg");
    assert!(
        error(&["inspect", path(&missing)], b"")
            .starts_with(&format!("keel-gen: {}: ", path(&missing)))
    );
    assert_eq!(
        error(&["inspect", "-"], b"garbage, not a config"),
        "keel-gen: <stdin>: offset 0: not a keel config (no KEEL magic)"
    );
    let config = build("[process]\nargs = [\"/bin/true\"]\n");
    assert_eq!(
        error(&["inspect", "-"], &config[..config.len() - 1]),
        format!("keel-gen: <stdin>: offset {}: truncated", config.len() - 1)
    );
    assert_eq!(
        error(&["build", "-", "-o", "-"], b"\xff"),
        "keel-gen: <stdin>: not UTF-8 text"
    );
    // A config whose strings are not UTF-8 cannot be shown as TOML.
    let args = wire::Strings::from_bytes_with_nul(b"/bin/\xff\0").unwrap();
    let mut buf = [0; 64];
    let config = wire::Config {
        process: wire::Process {
            args,
            ..Default::default()
        },
        ..Default::default()
    };
    let len = wire::encode(&config, &mut buf).unwrap();
    assert_eq!(
        error(&["inspect", "-"], &buf[..len]),
        "keel-gen: <stdin>: args holds \"/bin/\\xff\", which is not UTF-8: TOML cannot show it"
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["build", "--help"],
        &["inspect", "--help"],
        &["embed", "--help"],
    ] {
        let help = String::from_utf8(ok(args, b"")).unwrap();
        assert!(help.contains("Usage: keel-gen"), "{args:?}: {help}");
    }
    assert_ne!(keel_gen(&["build"], b"").code, Some(0));
    assert_ne!(keel_gen(&["frobnicate"], b"").code, Some(0));
}

#[test]
fn embed_writes_the_config_into_the_keelcfg_section() {
    let dir = scratch();
    let keel = dir.join("keel");
    let out = dir.join("out/keel");
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    fs::write(&keel, elf_with_config_section(4096)).unwrap();
    assert_eq!(
        error(&["inspect", path(&keel)], b""),
        format!(
            "keel-gen: {}: no config embedded (its .keelcfg section is all zeros); add one with keel-gen embed",
            path(&keel)
        )
    );

    let big = dir.join("big.cfg");
    let small = dir.join("small.cfg");
    fs::write(
        &big,
        build(
            &fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../examples/supervise.toml"
            ))
            .unwrap(),
        ),
    )
    .unwrap();
    fs::write(&small, build("[process]\nargs = [\"/bin/true\"]\n")).unwrap();
    let embed = |config: &Path, keel: &Path| {
        ok(
            &[
                "embed",
                "--config",
                path(config),
                "--keel",
                path(keel),
                "-o",
                path(&out),
            ],
            b"",
        )
    };

    embed(&big, &keel);
    let section = config_section(&fs::read(&out).unwrap());
    let big_bytes = fs::read(&big).unwrap();
    assert_eq!(section.len(), 4096);
    assert_eq!(section[..big_bytes.len()], big_bytes);
    assert!(section[big_bytes.len()..].iter().all(|&b| b == 0));
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let shown = String::from_utf8(ok(&["inspect", path(&out)], b"")).unwrap();
    assert_eq!(
        shown.lines().skip(1).collect::<Vec<_>>(),
        inspect(&big_bytes).lines().skip(1).collect::<Vec<_>>()
    );
    assert_eq!(
        shown.lines().next().unwrap(),
        format!(
            "# keel config decoded from the .keelcfg section of {}",
            path(&out)
        )
    );

    // Embedding into a binary that has a config replaces it, leaving no trace of the old one.
    let copy = dir.join("embedded-once");
    fs::copy(&out, &copy).unwrap();
    embed(&small, &copy);
    let section = config_section(&fs::read(&out).unwrap());
    let small_bytes = fs::read(&small).unwrap();
    assert_eq!(section[..small_bytes.len()], small_bytes);
    assert!(section[small_bytes.len()..].iter().all(|&b| b == 0));
    // Only the section changed.
    let (fresh, embedded) = (fs::read(&keel).unwrap(), fs::read(&out).unwrap());
    assert_eq!(fresh.len(), embedded.len());
    assert_eq!(
        fresh.iter().zip(&embedded).filter(|(a, b)| a != b).count(),
        small_bytes.iter().filter(|&&b| b != 0).count()
    );

    // A config larger than the section is refused, naming both sizes.
    let tiny = dir.join("tiny-keel");
    fs::write(&tiny, elf_with_config_section(64)).unwrap();
    assert_eq!(
        error(
            &[
                "embed",
                "--config",
                path(&big),
                "--keel",
                path(&tiny),
                "-o",
                path(&out)
            ],
            b""
        ),
        format!(
            "keel-gen: {}: the config is {} bytes but the .keelcfg section holds only 64 bytes: shorten the config",
            path(&tiny),
            big_bytes.len()
        )
    );
    // Neither an invalid config nor a binary without the section is accepted.
    assert!(
        error(
            &[
                "embed",
                "--config",
                path(&keel),
                "--keel",
                path(&keel),
                "-o",
                path(&out)
            ],
            b""
        )
        .contains("not a valid keel config: offset 0: not a keel config (no KEEL magic)")
    );
    let plain = dir.join("plain");
    let mut object = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    object.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    fs::write(&plain, object.write().unwrap()).unwrap();
    assert_eq!(
        error(
            &[
                "embed",
                "--config",
                path(&small),
                "--keel",
                path(&plain),
                "-o",
                path(&out)
            ],
            b""
        ),
        format!(
            "keel-gen: {}: no .keelcfg section: is this a keel binary?",
            path(&plain)
        )
    );
}

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

/// Capability names, as `examples/security.toml` lists them.
const CAPABILITIES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];
const RLIMITS: [&str; 16] = [
    "CPU",
    "FSIZE",
    "DATA",
    "STACK",
    "CORE",
    "RSS",
    "NPROC",
    "NOFILE",
    "MEMLOCK",
    "AS",
    "LOCKS",
    "SIGPENDING",
    "MSGQUEUE",
    "NICE",
    "RTPRIO",
    "RTTIME",
];

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

fn document() -> impl Strategy<Value = String> {
    (
        proptest::option::of((process(), security())),
        proptest::option::of(supervision()),
        proptest::option::of(cgroup()),
        proptest::option::of(namespaces()),
        proptest::option::of(mounts()),
    )
        .prop_map(|(process, supervision, cgroup, namespaces, mounts)| {
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
            toml::to_string(&document).unwrap()
        })
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
