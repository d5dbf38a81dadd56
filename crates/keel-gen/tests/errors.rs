//! keel-gen's one-line errors: every refused config names its file, line and column.

mod common;

use common::*;
use std::fs;

#[test]
fn errors_point_at_line_and_column() {
    let args_257 = format!("[process]\nargs = [{}]\n", vec!["\"x\""; 257].join(", "));
    let cases: Vec<(&str, &str)> = vec![
        ("[process\n", "1:9: unclosed table, expected `]`"),
        (
            "[process]\nargz = []\n",
            "2:1: unknown field `argz`, expected one of `args`, `env`, `env_clear`, `env_unset`, `cwd`, `no_new_privileges`, `oom_score_adj`, `user`, `capabilities`, `rlimits`, `seccomp`; did you mean `args`?",
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
            "2:23: unknown signal \"KIL\": use a name such as \"KILL\" or \"SIGKILL\", 1..=64, or RTMIN+n; did you mean \"KILL\"?",
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
            "2:19: unknown namespace \"netx\": use mount, pid, uts, ipc, net, cgroup, user or time; did you mean \"net\"?",
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
            "3:8: unknown mount type \"procfs\": use bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup2, overlay or devtmpfs; did you mean \"proc\"?",
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
            "[namespaces]\nunshare = [\"mount\"]\n[[mount]]\ndestination = \"/\"\ntype = \"tmpfs\"\n",
            "4:15: a mount on / becomes the new root: set [mounts] root, and make it the first [[mount]]",
        ),
        (
            "[namespaces]\nunshare = [\"mount\"]\n[mounts]\nroot = \"/r\"\n\
             [[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\n\
             [[mount]]\ndestination = \"/\"\ntype = \"tmpfs\"\n",
            "9:15: a mount on / becomes the new root: set [mounts] root, and make it the first [[mount]]",
        ),
        (
            "[landlock]\nrequired = true\n",
            "1:1: [landlock] restricts nothing: add [[landlock.path]] or [[landlock.port]] rules, or name handled_fs, handled_net or scoped",
        ),
        (
            "[[landlock.path]]\npath = \"/usr\"\naccess = [\"reed\"]\n",
            "3:11: unknown filesystem right \"reed\": use one of execute, write_file, read_file, read_dir, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate, ioctl_dev; did you mean \"read\"?",
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
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nafter = [\"b\"]\n[[service]]\nname = \"b\"\nargs = [\"y\"]\nafter = [\"a\"]\n",
            "8:10: after makes a cycle: a → b → a",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nafter = [\"bb\"]\n[[service]]\nname = \"b\"\nargs = [\"y\"]\n",
            "4:10: after names \"bb\", which is no [[service]]; did you mean \"b\"?",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nafter = [\"a\"]\n",
            "4:10: a service cannot start after itself",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\n[[service]]\nname = \"a\"\nargs = [\"y\"]\n",
            "5:8: a service is already named \"a\": names are unique",
        ),
        (
            "[[service]]\nname = \"a b\"\nargs = [\"x\"]\n",
            "2:8: service name \"a b\": 1 to 32 of A-Z a-z 0-9 . _ -, as in name = \"db\"",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nready = \"fd:2\"\n",
            "4:9: ready = \"fd:2\": fd 2 is the service's stderr; use fd:3 or above",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nready = \"fd:x\"\n",
            "4:9: ready = \"fd:x\": the fd is a number from 3 to 255, as in \"fd:3\"",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nready = \"notfy\"\n",
            "4:9: ready = \"notfy\": \"started\", \"notify\" or \"fd:N\"; did you mean \"notify\"?",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nready_timeout = \"1s\"\n",
            "4:17: ready_timeout needs ready = \"notify\" or \"fd:N\": a started service is ready at once",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nrestart = \"sometimes\"\n",
            "4:11: restart = \"sometimes\": \"no\", \"on-failure\" or \"always\"",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nrestart_delay = \"2s\"\nrestart_max = \"1s\"\n",
            "5:15: restart_max is shorter than restart_delay: the delay doubles up to restart_max",
        ),
        (
            "[supervision]\nmode = \"exec\"\n[[service]]\nname = \"a\"\nargs = [\"x\"]\n",
            "3:1: [[service]] needs keel to supervise, but mode = \"exec\" replaces keel with the program: remove the services or the mode",
        ),
        (
            "[supervision]\nstatus_fd = 3\n[[service]]\nname = \"a\"\nargs = [\"x\"]\n",
            "3:1: [[service]] and status_fd/block_fd: the launcher's descriptors are for one workload: run the services without them",
        ),
        (
            "[[service]]\nname = \"a\"\n",
            "1:1: service \"a\" has no args: name its program, as in args = [\"/usr/bin/redis-server\"]",
        ),
        (
            "[[service]]\nname = \"a\"\nargs = [\"x\"]\nstop_signal = \"QUITE\"\n",
            "4:15: unknown signal \"QUITE\": use a name such as \"KILL\" or \"SIGKILL\", 1..=64, or RTMIN+n; did you mean \"QUIT\"?",
        ),
    ];
    let dir = scratch();
    let file = dir.join("keel.toml");
    let out = dir.join("out.cfg");
    // Every case runs, and every mismatch is reported at once: the first one would hide the
    // rest.
    let mut mismatches = Vec::new();
    let mut ran = 0;
    for (toml, expected) in &cases {
        fs::write(&file, toml).unwrap();
        let run = keel_gen(&["build", path(&file), "-o", path(&out)], b"");
        ran += 1;
        let expected = format!("keel-gen: {}:{expected}", path(&file));
        let got = run.stderr.trim_end();
        if run.code == Some(0) || got != expected || run.stderr.lines().count() != 1 {
            mismatches.push(format!(
                "{toml:?}\n  status {:?}\n  want {expected}\n  got  {got}",
                run.code
            ));
        }
    }
    assert!(
        ran > 0 && ran == cases.len(),
        "ran {ran} of {} cases",
        cases.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {ran} error cases differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
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

/// A misspelt field or name gets the closest known one, as cargo suggests, at the end of
/// the same one line; a name close to none gets no guess.
#[test]
fn misspellings_get_a_suggestion() {
    let cases = [
        (
            "[namespace]\nunshare = [\"pid\"]\n",
            "1:2:",
            "did you mean `namespaces`?",
        ),
        ("[supervison]\n", "1:2:", "did you mean `supervision`?"),
        (
            "[[mount]]\ndestinaton = \"/proc\"\ntype = \"proc\"\n",
            "2:1:",
            "did you mean `destination`?",
        ),
        (
            "[supervision]\nmode = \"superviss\"\n",
            "2:8:",
            "did you mean \"supervise\"?",
        ),
        (
            "[supervision]\nrewrite = [\"TERM:QUIT\"]\nparent_death_signal = \"SIGTREM\"\n",
            "3:23:",
            "did you mean \"SIGTERM\"?",
        ),
        (
            "[process.capabilities]\nbounding = [\"CAP_NET_BIND_SERVIC\"]\n",
            "2:13:",
            "did you mean \"CAP_NET_BIND_SERVICE\"?",
        ),
        (
            "[process.capabilities]\nbounding = [\"kil\"]\n",
            "2:13:",
            "did you mean \"CAP_KILL\"?",
        ),
        (
            "[[process.rlimits]]\ntype = \"RLIMIT_NOFLIE\"\nsoft = 1\nhard = 1\n",
            "2:8:",
            "did you mean \"RLIMIT_NOFILE\"?",
        ),
        (
            "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALOW\"\n",
            "2:18:",
            "did you mean \"SCMP_ACT_ALLOW\"?",
        ),
        (
            "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n[[process.seccomp.syscalls]]\nnames = [\"opne\"]\naction = \"SCMP_ACT_ERRNO\"\n",
            "4:10:",
            "did you mean \"open\"?",
        ),
        (
            "[[mount]]\ndestination = \"/d\"\ntype = \"bind\"\nsource = \"/s\"\noptions = [\"nosiud\"]\n",
            "5:12:",
            "did you mean \"nosuid\"?",
        ),
        (
            "[landlock]\nhandled_net = [\"conect_tcp\"]\n",
            "2:16:",
            "did you mean \"connect_tcp\"?",
        ),
    ];
    for (toml, at, suggestion) in cases {
        let message = error(&["build", "-", "-o", "-"], toml.as_bytes());
        assert!(
            message.starts_with(&format!("keel-gen: <stdin>:{at} "))
                && message.ends_with(suggestion),
            "{toml:?}: want {at} ... {suggestion}, got {message}"
        );
        assert_eq!(message.lines().count(), 1, "{message}");
    }
    for far in [
        "[bogus]\n",
        "[process.capabilities]\nbounding = [\"CAP_FLY\"]\n",
    ] {
        let message = error(&["build", "-", "-o", "-"], far.as_bytes());
        assert!(!message.contains("did you mean"), "{far:?}: {message}");
    }
}
