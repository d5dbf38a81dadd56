//! Sandbox.jl's flow with keel, rootless, end to end (issue 14): a read-only rootfs directory
//! as the root, overlaid with an ephemeral upper (Sandbox.jl's `persist = false`) or a
//! persisted one (`persist = true`: the changes are in the upper directory afterwards),
//! read-only and read-write binds of host directories, a sized tmpfs /tmp, a /dev of the
//! host's device nodes, and the workload as uid 1000 inside (a single-id map, 1000 → the test
//! user), its exit code passed through.
//!
//! The same request goes to bubblewrap (Debian's 0.8: its overlay options need 0.11, so the
//! root is `--ro-bind rootfs /`), and a probe run inside both prints what the workload sees:
//! ids, the mounts with their flags, write tests, /tmp's size, the hostname. The fields that
//! must agree are compared; the documented differences are asserted as they are:
//!
//! | field | keel | bwrap 0.8 |
//! |---|---|---|
//! | `/` | an overlay, writable (the writes go to the upper layer) | a read-only bind |
//! | nosuid | only where the config says | on every mount |
//! | uid_map | one level: `1000 UID 1` | two levels: `1000 0 1` (an outer namespace maps 0 → UID) |
//! | CapBnd | the full set (nothing effective after the exec as uid 1000) | empty |
//!
//! scripts/bench-sandbox-jl.sh times both for the same request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

mod common;
use common::text;
use common::unprivileged::Unprivileged;

/// What the workload sees, one `key value` line each; exits 42.
const PROBE: &str = r#"echo "id $(id)"
echo "uid_map $(awk '{ print $1, $2, $3 }' /proc/self/uid_map)"
for p in / /proc /dev /dev/null /tmp /data/ro /data/rw; do
    awk -v p=$p '$5 == p { for (i = 7; $i != "-"; i++) ; t = ($4 == "/") ? $(i+1) : "bind"
        o = ""; if (t == "tmpfs" && match($(i+3), /size=[0-9]+k/)) o = " " substr($(i+3), RSTART, RLENGTH)
        n = ($6 ~ /nosuid/) ? " nosuid" : ""; m = t " " substr($6, 1, 2) n o }
        END { print "mount" p, m }' /proc/self/mountinfo
done
for f in /probe-root /data/ro/new /data/rw/new /tmp/new /dev/null; do
    if echo x 2>/dev/null >> $f; then echo "write$f ok"; else echo "write$f refused"; fi
done
echo "hostname $(hostname)"
echo "caps $(awk '$1 == "CapEff:" || $1 == "CapBnd:" { printf "%s%s", s, $2; s = " " }' /proc/self/status)"
exit 42
"#;

/// The fields both must show alike.
const AGREE: &[(&str, &str)] = &[
    ("id", "uid=1000 gid=1000"),
    ("mount/proc", "proc rw nosuid"),
    ("mount/dev", "tmpfs rw nosuid"),
    ("mount/dev/null", "bind rw nosuid"),
    ("mount/tmp", "tmpfs rw nosuid size=8192k"),
    ("mount/data/ro", "bind ro nosuid"),
    ("mount/data/rw", "bind rw nosuid"),
    ("write/data/ro/new", "refused"),
    ("write/data/rw/new", "ok"),
    ("write/tmp/new", "ok"),
    ("write/dev/null", "ok"),
    ("hostname", "sandbox"),
];

/// The rootfs, the host directories to bind, and the test user.
struct Request {
    u: Unprivileged,
    rootfs: PathBuf,
    host_ro: PathBuf,
    host_rw: PathBuf,
}

impl Request {
    fn new(name: &str) -> Request {
        let u = Unprivileged::new(name);
        // A rootless rootfs is the user's (Sandbox.jl unpacks it as the user).
        let rootfs = u.root(&["proc", "dev", "tmp", "data/ro", "data/rw"]);
        std::fs::write(rootfs.join("probe"), PROBE).expect("probe");
        let (host_ro, host_rw) = (u.t.dir("host-ro"), u.t.dir("host-rw"));
        u.user.own(&host_rw);
        Request {
            u,
            rootfs,
            host_ro,
            host_rw,
        }
    }

    /// keel's config: `upper` is `"tmpfs"` (persist = false) or an upper and work directory.
    fn keel_toml(&self, upper: &str) -> String {
        let (uid, gid) = (self.u.user.uid, self.u.user.gid);
        let r = self.rootfs.display();
        let mut toml = format!(
            "[process.user]\nuid = 1000\ngid = 1000\n\
             [namespaces]\nunshare = [\"user\", \"mount\", \"pid\", \"uts\"]\n\
             uid_mappings = [{{ container_id = 1000, host_id = {uid}, size = 1 }}]\n\
             gid_mappings = [{{ container_id = 1000, host_id = {gid}, size = 1 }}]\n\
             setgroups = \"deny\"\nhostname = \"sandbox\"\n\
             [mounts]\nroot = \"{r}\"\n\
             [[mount]]\ndestination = \"/\"\ntype = \"overlay\"\nlower = [\"{r}\"]\n{upper}\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\noptions = [\"nosuid\", \"nodev\", \"noexec\"]\n\
             [[mount]]\ndestination = \"/dev\"\ntype = \"tmpfs\"\noptions = [\"nosuid\", \"mode=0755\"]\n"
        );
        for dev in ["null", "zero", "full", "random", "urandom", "tty"] {
            toml += &format!(
                "[[mount]]\ndestination = \"/dev/{dev}\"\ntype = \"bind\"\nsource = \"/dev/{dev}\"\noptions = [\"nosuid\"]\n"
            );
        }
        toml += &format!(
            "[[mount]]\ndestination = \"/tmp\"\ntype = \"tmpfs\"\noptions = [\"nosuid\", \"nodev\", \"size=8m\"]\n\
             [[mount]]\ndestination = \"/data/ro\"\ntype = \"bind\"\nsource = \"{}\"\noptions = [\"ro\", \"nosuid\", \"nodev\"]\n\
             [[mount]]\ndestination = \"/data/rw\"\ntype = \"bind\"\nsource = \"{}\"\noptions = [\"nosuid\", \"nodev\"]\n",
            self.host_ro.display(),
            self.host_rw.display()
        );
        toml
    }

    fn keel(&self, upper: &str) -> Output {
        self.u.run(&self.keel_toml(upper), ". /probe")
    }

    fn bwrap(&self) -> Output {
        let mut c = self.u.user.command(Path::new("/usr/bin/bwrap"));
        c.args(["--unshare-user", "--unshare-pid", "--unshare-uts"])
            .args(["--uid", "1000", "--gid", "1000", "--hostname", "sandbox"])
            .arg("--ro-bind")
            .arg(&self.rootfs)
            .arg("/")
            .args(["--proc", "/proc", "--dev", "/dev"])
            .args(["--size", "8388608", "--tmpfs", "/tmp"])
            .arg("--ro-bind")
            .arg(&self.host_ro)
            .arg("/data/ro")
            .arg("--bind")
            .arg(&self.host_rw)
            .arg("/data/rw")
            .args(["/bin/sh", "/probe"])
            .stdin(Stdio::null());
        c.output()
            .expect("bwrap (bubblewrap: scripts/setup.sh installs it)")
    }
}

/// The probe's fields, after checking the run exited 42 and said nothing on stderr.
fn fields(who: &str, out: &Output) -> BTreeMap<String, String> {
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(42), String::new()),
        "{who}: stdout: {}",
        text(&out.stdout)
    );
    text(&out.stdout)
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// `seen` holds every field of `want`, each as wanted; `AGREE`'s are wanted of both.
fn assert_fields(who: &str, seen: &BTreeMap<String, String>, want: &[(&str, String)]) {
    let mut all: Vec<(&str, String)> = AGREE.iter().map(|&(k, v)| (k, v.to_owned())).collect();
    all.extend(want.iter().cloned());
    for (key, value) in &all {
        assert_eq!(
            seen.get(*key).map(String::as_str),
            Some(value.as_str()),
            "{who}: {key}; saw {seen:#?}"
        );
    }
    assert_eq!(seen.len(), all.len(), "{who}: fields {seen:#?}");
}

const FULL_SET: &str = "000001ffffffffff";

#[test]
fn keel_ephemeral_and_bwrap_show_the_workload_the_same_sandbox() {
    let r = Request::new("sandbox-jl");
    let keel = fields("keel", &r.keel("upper = \"tmpfs\"\nsize = \"64m\""));
    let uid = r.u.user.uid;
    assert_fields(
        "keel",
        &keel,
        &[
            ("uid_map", format!("1000 {uid} 1")),
            ("mount/", "overlay rw".into()),
            ("write/probe-root", "ok".into()),
            ("caps", format!("0000000000000000 {FULL_SET}")),
        ],
    );
    let bwrap = fields("bwrap", &r.bwrap());
    assert_fields(
        "bwrap",
        &bwrap,
        &[
            ("uid_map", "1000 0 1".into()),
            ("mount/", "bind ro nosuid".into()),
            ("write/probe-root", "refused".into()),
            ("caps", "0000000000000000 0000000000000000".into()),
        ],
    );
    assert!(
        !r.rootfs.join("probe-root").exists(),
        "the rootfs is untouched"
    );
    assert_eq!(
        std::fs::read_to_string(r.host_rw.join("new")).expect("rw"),
        "x\nx\n",
        "both wrote through the read-write bind"
    );
}

#[test]
fn keel_persisted_upper_keeps_the_changes() {
    let r = Request::new("sandbox-jl-persist");
    let (upper, work) = (r.u.t.dir("changes/upper"), r.u.t.dir("changes/work"));
    r.u.user.own(&upper);
    r.u.user.own(&work);
    let toml = format!(
        "upper = \"{}\"\nwork = \"{}\"",
        upper.display(),
        work.display()
    );
    let keel = fields("keel", &r.keel(&toml));
    assert_eq!(keel.get("write/probe-root").map(String::as_str), Some("ok"));
    assert_eq!(keel.get("mount/").map(String::as_str), Some("overlay rw"));
    assert!(
        !r.rootfs.join("probe-root").exists(),
        "the rootfs is untouched"
    );
    let change = upper.join("probe-root");
    assert_eq!(std::fs::read_to_string(&change).expect("upper"), "x\n");
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&change).expect("stat"));
    assert_eq!(owner, r.u.user.uid, "uid 1000 inside is the user outside");
}
