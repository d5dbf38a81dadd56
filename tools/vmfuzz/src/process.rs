//! Cases for the workload's process: `[process]` (user, capabilities, rlimits, seccomp,
//! Landlock and the rest) and `[supervision]`.

use keel_wire::{self as wire};
use std::fmt::Write as _;

use crate::case::*;

// ---------------------------------------------------------------------------------------
// [process]

pub fn process_section(c: &mut Case, out: &mut String, dests: &[String]) {
    let payload = format!("{}/payload", c.dir);
    let mut args = vec![payload];
    let nargs = if c.near("256 args") {
        wire::MAX_ARGS as u64 - 1
    } else {
        c.rng.below(4)
    };
    for _ in 0..nargs {
        let odd = c.rng.odd(12, true);
        args.push(odd);
    }
    out.push_str("[process]\n");
    let _ = writeln!(out, "args = {}", t_list(&args));
    c.check(format!("[ $# = {} ] || f args: $# arguments", nargs));
    for (n, a) in args.iter().enumerate().skip(1).take(3) {
        c.check(format!("[ \"${{{n}}}\" = {} ] || f arg {n}", q(a)));
    }

    // env, env_clear, env_unset. The runner exports FZ_OUTER and FZ_MARK to every case.
    let mut env = Vec::new();
    let nenv = if c.near("1024 env entries") {
        wire::MAX_ENV as u64
    } else {
        c.rng.below(5)
    };
    for n in 0..nenv {
        let key = format!("FZ_{n}_{}", c.rng.name("k"));
        let value = if c.rng.chance(50) {
            c.rng.odd(20, true)
        } else {
            c.rng.name("v")
        };
        if n < 8 {
            c.check(format!(
                "[ \"${{{key}+set}}\" = set ] && [ \"${key}\" = {} ] || f env {key}",
                q(&value)
            ));
        }
        env.push(format!("{key}={value}"));
    }
    if !env.is_empty() {
        let _ = writeln!(out, "env = {}", t_list(&env));
    }
    if c.rng.chance(20) {
        out.push_str("env_clear = true\n");
        c.check("[ -z \"${FZ_OUTER+x}${FZ_MARK+x}\" ] || f env_clear".into());
    } else if c.rng.chance(30) {
        let mut unset = vec!["FZ_MARK".to_owned()];
        if c.rng.chance(50) {
            unset.push(c.rng.name("NOPE_"));
        }
        let _ = writeln!(out, "env_unset = {}", t_list(&unset));
        c.check("[ -z \"${FZ_MARK+x}\" ] && [ \"$FZ_OUTER\" = 1 ] || f env_unset".into());
    } else {
        c.check("[ \"$FZ_OUTER\" = 1 ] || f env inherited".into());
    }

    // cwd
    if c.rng.chance(40) {
        let cwd = if c.near("missing cwd") {
            "/nonexistent/fz".to_owned()
        } else {
            let mut choices = vec!["/".to_owned(), "/tmp".into(), "/fuzz".into(), "/etc".into()];
            choices.extend(dests.iter().cloned());
            c.rng.pick(&choices).clone()
        };
        let _ = writeln!(out, "cwd = {}", t(&cwd));
        c.check(format!(
            "[ \"$(pwd -P)\" = {} ] || f cwd $(pwd -P)",
            q(&cwd)
        ));
    }

    let nnp = c.rng.chance(30);
    if nnp {
        out.push_str("no_new_privileges = true\n");
        c.check("[ \"$(st NoNewPrivs)\" = 1 ] || f no_new_privileges".into());
    }
    // keel sets it on itself before its own namespaces; lowering it below 0 needs
    // CAP_SYS_RESOURCE in the initial user namespace, which the runner's does not give.
    if c.rng.chance(30) {
        let lowest = if c.outer_userns { 1000 } else { 0 };
        let adj = c.rng.range(lowest, 2000) as i64 - 1000;
        let _ = writeln!(out, "oom_score_adj = {adj}");
        c.check(format!(
            "[ \"$(cat /proc/self/oom_score_adj)\" = {adj} ] || f oom_score_adj"
        ));
    }

    let uid = user(c, out);
    capabilities(c, out, uid, nnp);
    rlimits(c, out);
    if c.rng.chance(25) {
        seccomp(c, out);
    }
}

/// `[process.seccomp]`: everything allowed but mkdir, which fails with a chosen errno, and
/// kill with one signal number. Near-valid: execve denied, so keel's exec fails.
pub fn seccomp(c: &mut Case, out: &mut String) {
    let errno = *c
        .rng
        .pick(&["EPERM", "EACCES", "EROFS", "ENOSYS", "EOPNOTSUPP"]);
    let signal = c.rng.range(1, 31);
    let _ = writeln!(
        out,
        "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n\
         [[process.seccomp.syscalls]]\nnames = [\"mkdir\", \"mkdirat\"]\naction = \"SCMP_ACT_ERRNO\"\nerrno_ret = \"{errno}\"\n\
         [[process.seccomp.syscalls]]\nnames = [\"kill\"]\naction = \"SCMP_ACT_ERRNO\"\n\
         args = [{{ index = 1, value = {signal}, op = \"SCMP_CMP_EQ\" }}]"
    );
    if c.near("seccomp denies execve") {
        out.push_str(
            "[[process.seccomp.syscalls]]\nnames = [\"execve\", \"execveat\"]\naction = \"SCMP_ACT_ERRNO\"\n",
        );
    }
    c.check("[ \"$(st Seccomp)\" = 2 ] || f seccomp mode".into());
    c.check("mkdir /tmp/fz-seccomp 2>/dev/null && f seccomp let mkdir through".into());
    c.check(format!(
        "kill -{signal} $$ 2>/dev/null && f seccomp let kill -{signal} through"
    ));
}

/// `[landlock]`: writes only under /tmp, /mnt, /dev and /run (where the payload's checks
/// and the mounts are), so writing /etc is refused; ABI 1 rights, which both kernels have.
/// Near-valid: a rule on a path that does not exist.
pub fn landlock(c: &mut Case, out: &mut String) {
    out.push_str("[landlock]\n");
    if c.rng.chance(50) {
        out.push_str("required = true\n");
    }
    out.push_str("handled_fs = [\"write_file\", \"make_reg\", \"make_dir\", \"remove_file\"]\n");
    let mut paths = vec!["/tmp", "/mnt", "/dev", "/run"];
    if c.near("a landlock rule on a missing path") {
        paths.push("/nonexistent/fz");
    }
    for path in paths {
        let _ = writeln!(
            out,
            "[[landlock.path]]\npath = \"{path}\"\naccess = [\"write_file\", \"make_reg\", \"make_dir\", \"remove_file\"]"
        );
    }
    c.check("( : >/etc/fz-landlock ) 2>/dev/null && f landlock let /etc be written".into());
}

/// `[process.user]`; returns the uid the payload runs as (None: keel's, root).
pub fn user(c: &mut Case, out: &mut String) -> Option<u32> {
    if !c.rng.chance(35) {
        return None;
    }
    let mut table = String::from("[process.user]\n");
    let mut uid = None;
    // In the config's user namespace only the mapped ids exist (see namespaces()).
    let ids: &[u32] = match (c.has("user"), c.only_root_mapped) {
        (true, true) => &[0],
        (true, false) => &[0, 1000, 65534, 65535],
        _ => &[0, 1000, 65534, 4_294_967_294],
    };
    if c.rng.chance(70) {
        let (u, g) = if c.near("unmapped uid") {
            (4_000_000_000, 4_000_000_000)
        } else {
            (*c.rng.pick(ids), *c.rng.pick(ids))
        };
        let _ = writeln!(table, "uid = {u}\ngid = {g}");
        c.check(format!(
            "[ \"$(st Uid)\" = '{u} {u} {u} {u}' ] || f uid $(st Uid)"
        ));
        c.check(format!(
            "[ \"$(st Gid)\" = '{g} {g} {g} {g}' ] || f gid $(st Gid)"
        ));
        let most = if c.only_root_mapped { 0 } else { 4 };
        let mut gids: Vec<u32> = (0..c.rng.below(most + 1))
            .map(|_| c.rng.range(1, 60000) as u32)
            .collect();
        if c.near("64 additional gids") {
            gids = (1..=wire::MAX_GIDS as u32).collect();
        }
        gids.sort_unstable();
        gids.dedup();
        if !gids.is_empty() {
            let list: Vec<String> = gids.iter().map(u32::to_string).collect();
            let _ = writeln!(table, "additional_gids = [{}]", list.join(", "));
        }
        let want: Vec<String> = gids.iter().map(u32::to_string).collect();
        c.check(format!(
            "[ \"$(st Groups)\" = {} ] || f groups $(st Groups)",
            q(&want.join(" "))
        ));
        uid = Some(u);
    }
    if c.rng.chance(60) {
        let umask = c.rng.below(0o1000);
        let _ = writeln!(table, "umask = \"{umask:04o}\"");
        c.check(format!(
            "[ \"$(umask)\" = {umask:04o} ] || f umask $(umask)"
        ));
    }
    out.push_str(&table);
    uid
}

pub fn capabilities(c: &mut Case, out: &mut String, uid: Option<u32>, nnp: bool) {
    if !c.rng.chance(30) {
        return;
    }
    let all: Vec<u8> = (0..=wire::CAP_LAST_CAP).collect();
    let bounding = c.rng.subset(&all, 60);
    // The kernel's rules: inheritable within the bounding set (capset), effective within
    // permitted, ambient within permitted and inheritable.
    let inheritable = c.rng.subset(&bounding, 30);
    let permitted = c.rng.subset(&all, 40);
    let effective = c.rng.subset(&permitted, 50);
    let ambient: Vec<u8> = c
        .rng
        .subset(&permitted, 50)
        .into_iter()
        .filter(|x| inheritable.contains(x))
        .collect();
    let names = |set: &[u8]| {
        let v: Vec<String> = set.iter().map(|n| cap_name(*n).to_owned()).collect();
        t_list(&v)
    };
    let bits = |set: &[u8]| set.iter().fold(0u64, |b, n| b | 1 << n);
    let _ = writeln!(
        out,
        "[process.capabilities]\nbounding = {}\neffective = {}\npermitted = {}\ninheritable = {}\nambient = {}",
        names(&bounding),
        names(&effective),
        names(&permitted),
        names(&inheritable),
        names(&ambient)
    );
    // What exec makes of them (capabilities(7)): root gets its bounding set (plus the
    // inheritable one, within it), no more than it had under no_new_privs; anyone else keeps
    // only the ambient set.
    let root = if nnp {
        bits(&bounding) & bits(&permitted)
    } else {
        bits(&bounding)
    };
    let (prm, eff) = if uid.unwrap_or(0) == 0 {
        (root, root)
    } else {
        (bits(&ambient), bits(&ambient))
    };
    for (field, want) in [
        ("CapBnd", bits(&bounding)),
        ("CapInh", bits(&inheritable)),
        ("CapPrm", prm),
        ("CapEff", eff),
        ("CapAmb", bits(&ambient)),
    ] {
        c.check(format!(
            "[ \"$(st {field})\" = {want:016x} ] || f {field} $(st {field})"
        ));
    }
}

pub fn cap_name(n: u8) -> &'static str {
    const NAMES: [&str; 41] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];
    NAMES[usize::from(n)]
}

pub fn rlimits(c: &mut Case, out: &mut String) {
    // (name, /proc/self/limits label, a soft..hard range that works for a busybox payload
    // and stays within the guest's default hard limit, which only CAP_SYS_RESOURCE in the
    // initial user namespace may raise).
    const RLIMITS: [(&str, &str, u64, u64); 12] = [
        ("CPU", "Max cpu time", 60, u64::MAX),
        ("FSIZE", "Max file size", 1 << 20, u64::MAX),
        ("DATA", "Max data size", 256 << 20, u64::MAX),
        ("CORE", "Max core file size", 0, u64::MAX),
        ("RSS", "Max resident set", 0, u64::MAX),
        ("NOFILE", "Max open files", 64, 4096),
        ("MEMLOCK", "Max locked memory", 0, 65536),
        ("AS", "Max address space", 512 << 20, u64::MAX),
        ("LOCKS", "Max file locks", 0, u64::MAX),
        ("MSGQUEUE", "Max msgqueue size", 0, 819_200),
        ("NICE", "Max nice priority", 0, 0),
        ("RTTIME", "Max realtime timeout", 1_000_000, u64::MAX),
    ];
    let n = c.rng.below(4);
    if n == 0 {
        return;
    }
    let mut used = Vec::new();
    for _ in 0..n {
        let (name, label, lo, hi) = *c.rng.pick(&RLIMITS);
        if used.contains(&name) {
            continue;
        }
        used.push(name);
        let value = |rng: &mut Rng, lo: u64| {
            if hi == u64::MAX && rng.chance(30) {
                u64::MAX
            } else {
                rng.range(lo, hi.min(lo.saturating_mul(4).max(lo + 1000)))
            }
        };
        let mut soft = value(&mut c.rng, lo);
        let mut hard = if soft == u64::MAX {
            soft
        } else {
            value(&mut c.rng, soft)
        };
        if c.near("rlimit above the kernel's ceiling") {
            (soft, hard) = (1 << 40, 1 << 40);
        }
        if soft > hard {
            (soft, hard) = (hard, soft);
        }
        let show = |v: u64| {
            if v == u64::MAX {
                "\"unlimited\"".to_owned()
            } else {
                v.to_string()
            }
        };
        let shown = |v: u64| {
            if v == u64::MAX {
                "unlimited".to_owned()
            } else {
                v.to_string()
            }
        };
        let _ = writeln!(
            out,
            "[[process.rlimits]]\ntype = \"RLIMIT_{name}\"\nsoft = {}\nhard = {}",
            show(soft),
            show(hard)
        );
        c.check(format!(
            "[ \"$(lim '{label}')\" = '{} {}' ] || f rlimit {name} $(lim '{label}')",
            shown(soft),
            shown(hard)
        ));
    }
}

// ---------------------------------------------------------------------------------------
// [supervision]

pub fn supervision(c: &mut Case, out: &mut String) {
    if !c.rng.chance(60) {
        return;
    }
    out.push_str("[supervision]\n");
    let mode = *c
        .rng
        .pick(&["supervise", "supervise", "supervise", "exec", "machine"]);
    let _ = writeln!(out, "mode = \"{mode}\"");
    c.machine = mode == "machine";
    c.exec = mode == "exec";
    c.mode_set = true;
    if mode != "exec" {
        if c.rng.chance(40) {
            let mut codes = vec![c.rng.below(256)];
            if c.rng.chance(50) {
                codes.push(u64::from(c.exit));
                c.status = 0;
            }
            codes.sort_unstable();
            codes.dedup();
            if codes.contains(&u64::from(c.exit)) {
                c.status = 0;
            }
            let list: Vec<String> = codes.iter().map(u64::to_string).collect();
            let _ = writeln!(out, "remap_exit = [{}]", list.join(", "));
        }
        if c.rng.chance(40) {
            let _ = writeln!(out, "kill_process_group = {}", c.rng.chance(50));
        }
        if c.rng.chance(40) {
            let _ = writeln!(out, "grace = \"{}ms\"", c.rng.range(0, 2000));
        }
        if c.rng.chance(30) {
            let pairs = [
                "TERM:QUIT",
                "SIGWINCH:0",
                "RTMIN+1:USR1",
                "HUP:TERM",
                "USR2:9",
            ];
            let set = c.rng.subset(&pairs, 40);
            let _ = writeln!(out, "rewrite = {}", t_list(&set));
        }
        if c.rng.chance(30) {
            let _ = writeln!(out, "warn_on_reap = {}", c.rng.chance(50));
        }
    }
    if c.rng.chance(30) {
        let _ = writeln!(out, "subreaper = {}", c.rng.chance(50));
    }
    if c.rng.chance(30) {
        let _ = writeln!(
            out,
            "parent_death_signal = \"{}\"",
            c.rng.pick(&["KILL", "TERM", "SIGUSR1", "RTMAX-1"])
        );
    }
    if c.rng.chance(30) {
        let _ = writeln!(out, "seal_exe = {}", c.rng.chance(50));
    }
    if c.rng.chance(50) {
        c.verbosity = c.rng.range(0, 3) as u8;
        let _ = writeln!(out, "verbosity = {}", c.verbosity);
    }
}
