//! What a payload can and cannot undo of the mounts keel built, on this machine's kernel, as
//! root: the real keel with configs compiled by the real keel-gen (the pattern of
//! tests/sandbox.rs).
//!
//! The payload's attacks are raw system calls made by this test binary itself, run inside
//! keel's namespaces in "helper mode": the workload execs this binary with the environment
//! variable `KEEL_SEALING_HELPER` holding one operation per line (`op path`), and the test
//! named `zz_payload_helper` performs them, printing one `= op path: RESULT` line each, where
//! RESULT is `OK` or the errno's name. Without the variable that test does nothing.

use std::ffi::CString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{KEEL, Scratch, host_mounts, ok, processes_mentioning, setup_error, text};
const HELPER_VAR: &str = "KEEL_SEALING_HELPER";

impl Scratch {
    /// keel with the config and a shell script as the workload.
    fn command(&self, toml: &str, script: &str) -> Command {
        let cfg = self.config("keel.cfg", toml);
        let mut c = Command::new(KEEL);
        c.arg("-c")
            .arg(&cfg)
            .args(["--", "/bin/sh", "-c", script])
            .stdin(Stdio::null());
        c
    }

    fn run(&self, toml: &str, script: &str) -> Output {
        self.command(toml, script).output().expect("keel")
    }

    /// keel running this binary in helper mode with `ops`; `wrap` goes before it in the
    /// workload's command line (e.g. `unshare ...`).
    fn attack(&self, toml: &str, wrap: &str, ops: &str) -> Output {
        let me = std::env::current_exe().expect("current_exe");
        let script = format!(
            "exec {wrap} {} --exact zz_payload_helper --nocapture --test-threads=1",
            me.display()
        );
        self.command(toml, &script)
            .env(HELPER_VAR, ops)
            .output()
            .expect("keel")
    }
}

/// The helper's result lines, without the test harness's own output.
fn results(out: &Output) -> Vec<String> {
    let all = ok(out);
    let lines: Vec<String> = all
        .lines()
        .filter_map(|l| l.strip_prefix("= "))
        .map(str::to_owned)
        .collect();
    assert!(
        !lines.is_empty(),
        "no helper output: {all}\nstderr: {}",
        text(&out.stderr)
    );
    lines
}

// ---------------------------------------------------------------------------------------
// Helper mode: the payload's system calls.

/// Not a test: the payload's side, run by keel's workload (see the module comment).
#[test]
fn zz_payload_helper() {
    let Ok(ops) = std::env::var(HELPER_VAR) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    // After the harness's "test zz_payload_helper ... ", which has no newline.
    writeln!(out).expect("stdout");
    for line in ops.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (op, arg) = line.split_once(' ').unwrap_or((line, ""));
        let result = helper_op(op, arg).unwrap_or_else(|failed| failed);
        let sep = if arg.is_empty() { "" } else { " " };
        writeln!(out, "= {op}{sep}{arg}: {result}").expect("stdout");
    }
    out.flush().expect("flush");
    std::process::exit(0);
}

fn c(path: &str) -> CString {
    CString::new(path).expect("nul in path")
}

/// A system call's result, its errno's name when it failed.
fn check(r: libc::c_long) -> Result<libc::c_long, String> {
    if r < 0 {
        Err(errno_name(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    } else {
        Ok(r)
    }
}

fn io_errno(e: std::io::Error) -> String {
    errno_name(e.raw_os_error().unwrap_or(0))
}

const FSPICK_CLOEXEC: libc::c_long = 1;
const FSCONFIG_SET_FLAG: libc::c_long = 0;
const FSCONFIG_CMD_RECONFIGURE: libc::c_long = 7;
const MOUNT_ATTR_RDONLY: u64 = 1;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// One operation: `OK` or what it shows, else the errno's name (`EPERM`).
fn helper_op(op: &str, arg: &str) -> Result<String, String> {
    let p = c(arg);
    // SAFETY (every unsafe block below): system calls with valid NUL-terminated strings,
    // a valid struct pointer and its size, and descriptors this function owns.
    match op {
        // Write into an existing file, or create a new one.
        "write" | "create" => {
            let flags = libc::O_WRONLY
                | libc::O_CLOEXEC
                | if op == "create" {
                    libc::O_CREAT | libc::O_EXCL
                } else {
                    0
                };
            let fd = check(unsafe { libc::open(p.as_ptr(), flags, 0o644) } as libc::c_long)? as i32;
            let r = check(unsafe { libc::write(fd, b"pwned".as_ptr().cast(), 5) } as libc::c_long);
            unsafe { libc::close(fd) };
            r.map(|_| "OK".into())
        }
        // mount(2) MS_REMOUNT without MS_RDONLY: the superblock read-write.
        "remount" => check(unsafe {
            libc::mount(
                std::ptr::null(),
                p.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT,
                std::ptr::null(),
            )
        } as libc::c_long)
        .map(|_| "OK".into()),
        // mount(2) MS_REMOUNT|MS_BIND without MS_RDONLY: the mount read-write.
        "remount-bind" => check(unsafe {
            libc::mount(
                std::ptr::null(),
                p.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_BIND,
                std::ptr::null(),
            )
        } as libc::c_long)
        .map(|_| "OK".into()),
        // mount(8): util-linux's own way of `mount -o remount,rw`.
        "mount8" => {
            let r = Command::new("mount")
                .args(["-o", "remount,rw", arg])
                .output()
                .map_err(io_errno)?;
            Ok(if r.status.success() {
                "OK".into()
            } else {
                format!("exit {}", r.status.code().unwrap_or(-1))
            })
        }
        // fspick + fsconfig(SET_FLAG "rw") + fsconfig(CMD_RECONFIGURE); names the step that failed.
        "fspick-rw" => {
            let fs = check(unsafe {
                libc::syscall(libc::SYS_fspick, libc::AT_FDCWD, p.as_ptr(), FSPICK_CLOEXEC)
            })
            .map_err(|e| format!("fspick {e}"))? as i32;
            let rw = c("rw");
            let r = check(unsafe {
                libc::syscall(
                    libc::SYS_fsconfig,
                    fs,
                    FSCONFIG_SET_FLAG,
                    rw.as_ptr(),
                    0usize,
                    0,
                )
            })
            .map_err(|e| format!("fsconfig-rw {e}"))
            .and_then(|_| {
                check(unsafe {
                    libc::syscall(
                        libc::SYS_fsconfig,
                        fs,
                        FSCONFIG_CMD_RECONFIGURE,
                        0usize,
                        0usize,
                        0,
                    )
                })
                .map_err(|e| format!("reconfigure {e}"))
            });
            unsafe { libc::close(fs) };
            r.map(|_| "OK".into())
        }
        // mount_setattr(2) clearing MOUNT_ATTR_RDONLY.
        "setattr-rw" => {
            let attr = MountAttr {
                attr_set: 0,
                attr_clr: MOUNT_ATTR_RDONLY,
                propagation: 0,
                userns_fd: 0,
            };
            check(unsafe {
                libc::syscall(
                    libc::SYS_mount_setattr,
                    libc::AT_FDCWD,
                    p.as_ptr(),
                    0,
                    &attr as *const MountAttr,
                    size_of::<MountAttr>(),
                )
            })
            .map(|_| "OK".into())
        }
        // A fresh tmpfs over the path.
        "mount-tmpfs" => {
            let tmpfs = c("tmpfs");
            check(unsafe {
                libc::mount(
                    tmpfs.as_ptr(),
                    p.as_ptr(),
                    tmpfs.as_ptr(),
                    0,
                    std::ptr::null(),
                )
            } as libc::c_long)
            .map(|_| "OK".into())
        }
        "umount" => {
            check(unsafe { libc::umount2(p.as_ptr(), 0) } as libc::c_long).map(|_| "OK".into())
        }
        "detach" => check(unsafe { libc::umount2(p.as_ptr(), libc::MNT_DETACH) } as libc::c_long)
            .map(|_| "OK".into()),
        // The directory's entries, sorted.
        "ls" => {
            let mut names: Vec<String> = std::fs::read_dir(arg)
                .map_err(io_errno)?
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            Ok(names.join(" "))
        }
        // The file's lines, blanks squeezed, joined with " | ".
        "cat" => std::fs::read_to_string(arg)
            .map(|s| {
                s.lines()
                    .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .map_err(io_errno),
        // The mount's options and its superblock's, from the topmost entry at `arg`.
        "opts" => {
            let info = std::fs::read_to_string("/proc/self/mountinfo").map_err(io_errno)?;
            let line = info
                .lines()
                .rfind(|l| l.split(' ').nth(4) == Some(arg))
                .ok_or("not a mount point")?;
            let fields: Vec<&str> = line.split(' ').collect();
            let sep = fields
                .iter()
                .position(|f| *f == "-")
                .expect("mountinfo separator");
            let flag = |s: &str| s.split(',').next().unwrap_or("").to_owned();
            Ok(format!(
                "mount {} super {} fs {}",
                flag(fields[5]),
                flag(fields[sep + 3]),
                fields[sep + 1]
            ))
        }
        "id" => Ok(format!("uid {}", unsafe { libc::geteuid() })),
        // A clock in seconds, as this process's time namespace shows it.
        "clock" => {
            let id = match arg {
                "monotonic" => libc::CLOCK_MONOTONIC,
                "boottime" => libc::CLOCK_BOOTTIME,
                _ => panic!("unknown clock {arg}"),
            };
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            check(unsafe { libc::clock_gettime(id, &mut ts) } as libc::c_long)?;
            Ok(format!("{:.6}", ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9))
        }
        _ => panic!("unknown helper op {op}"),
    }
}

/// `EPERM` for 1.
fn errno_name(e: i32) -> String {
    let name = match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EINVAL => "EINVAL",
        libc::EROFS => "EROFS",
        libc::ENOSPC => "ENOSPC",
        libc::ENOTDIR => "ENOTDIR",
        libc::EXDEV => "EXDEV",
        libc::ENOSYS => "ENOSYS",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        e => return format!("errno {e}"),
    };
    name.to_owned()
}

// ---------------------------------------------------------------------------------------
// 1. A root payload without a user namespace against sealed overlays.

/// A root payload (CAP_SYS_ADMIN, no user namespace of its own) tries to make keel's sealed
/// overlays writable: one with a single lower layer (keel adds an empty tmpfs as the second,
/// attached under the overlay) and one with two. Outcomes on this machine (6.18):
///
/// | attempt | result | writes afterwards |
/// |---|---|---|
/// | write an existing file / create one | EROFS | |
/// | `mount -o remount,rw` (mount(8)) | fails (exit 32) | EROFS |
/// | mount(2) `MS_REMOUNT` without `MS_RDONLY` | EROFS: overlayfs refuses a read-write superblock without an upper layer | EROFS |
/// | fspick + fsconfig(SET_FLAG "rw") + CMD_RECONFIGURE | the reconfigure fails with EROFS | EROFS |
/// | mount_setattr clearing `MOUNT_ATTR_RDONLY` | succeeds: the *mount* is rw, its superblock stays ro | EROFS |
/// | umount | succeeds: real root can look underneath (documented, below) | |
///
/// So a sealed overlay cannot be made writable, but root without a user namespace can
/// unmount it: under the two-layer overlay is the host's target directory, under the
/// single-layer one keel's scratch tmpfs (its `empty` layer directory), then the target.
/// Against that, the workload needs a user namespace of its own (see the locking test).
#[test]
fn a_root_payload_cannot_make_a_sealed_overlay_writable_but_can_unmount_it() {
    let t = Scratch::new("unseal");
    let (bottom, top) = (t.dir("bottom"), t.dir("top"));
    std::fs::write(bottom.join("f"), "layer").expect("write");
    std::fs::write(top.join("g"), "top").expect("write");
    let one = t.dir("one");
    let two = t.dir("two");
    std::fs::write(one.join("UNDERNEATH"), "").expect("write");
    std::fs::write(two.join("UNDERNEATH"), "").expect("write");
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\"]\n\
         [[mount]]\ndestination = \"{one}\"\ntype = \"overlay\"\nlower = [\"{b}\"]\n\
         [[mount]]\ndestination = \"{two}\"\ntype = \"overlay\"\nlower = [\"{t}\", \"{b}\"]\n",
        one = one.display(),
        two = two.display(),
        b = bottom.display(),
        t = top.display()
    );
    let mut ops = String::new();
    for v in [&one, &two] {
        let v = v.display();
        ops += &format!(
            "ls {v}\nwrite {v}/f\ncreate {v}/new\n\
             mount8 {v}\nwrite {v}/f\n\
             remount {v}\nwrite {v}/f\n\
             fspick-rw {v}\nwrite {v}/f\n\
             setattr-rw {v}\nopts {v}\nwrite {v}/f\ncreate {v}/new\n\
             cat {v}/f\numount {v}\nls {v}\n"
        );
    }
    ops += &format!("umount {o}\nls {o}\n", o = one.display());
    let out = results(&t.attack(&toml, "", &ops));
    let expect = |v: &Path, lower: &str, under: &str| {
        let v = v.display();
        vec![
            format!("ls {v}: {lower}"),
            format!("write {v}/f: EROFS"),
            format!("create {v}/new: EROFS"),
            format!("mount8 {v}: exit 32"),
            format!("write {v}/f: EROFS"),
            format!("remount {v}: EROFS"),
            format!("write {v}/f: EROFS"),
            format!("fspick-rw {v}: reconfigure EROFS"),
            format!("write {v}/f: EROFS"),
            format!("setattr-rw {v}: OK"),
            format!("opts {v}: mount rw super ro fs overlay"),
            format!("write {v}/f: EROFS"),
            format!("create {v}/new: EROFS"),
            format!("cat {v}/f: layer"),
            format!("umount {v}: OK"),
            format!("ls {v}: {under}"),
        ]
    };
    let mut want = expect(&one, "f", "empty");
    want.extend(expect(&two, "f g", "UNDERNEATH"));
    want.push(format!("umount {}: OK", one.display()));
    want.push(format!("ls {}: UNDERNEATH", one.display()));
    assert_eq!(out, want);
    assert_eq!(
        std::fs::read_to_string(bottom.join("f")).expect("read"),
        "layer",
        "the layer is intact"
    );
    assert!(!bottom.join("new").exists() && !top.join("new").exists());
}

// ---------------------------------------------------------------------------------------
// 2. Locked mounts: the workload in a user namespace of its own.

/// When the workload makes a new user + mount namespace after keel built the mounts
/// (`unshare --user --map-root-user --mount`), the copied mounts belong to a more privileged
/// user namespace: the kernel locks them (MNT_LOCKED and MNT_LOCK_READONLY, see
/// mount_namespaces(7)). The payload is root with every capability in its namespace, and:
///
/// | attempt | result |
/// |---|---|
/// | umount / umount2(MNT_DETACH) of the sealed overlay, the read-only bind, a tmpfs | EINVAL (locked: nothing underneath shows) |
/// | mount(2) `MS_REMOUNT` rw of the overlay's superblock | EPERM (owned by the initial user namespace) |
/// | mount(2) `MS_REMOUNT\|MS_BIND` rw of the read-only bind | EPERM (read-only is locked) |
/// | mount_setattr clearing `MOUNT_ATTR_RDONLY` (overlay, bind) | EPERM |
/// | fspick + fsconfig(SET_FLAG "rw") + CMD_RECONFIGURE of the overlay | fspick and fsconfig succeed (CAP_SYS_ADMIN over the mount namespace), the reconfigure fails with EPERM (the superblock belongs to the initial user namespace) |
/// | `mount -o remount,rw` (mount(8)) | fails (exit 32) |
/// | writes | EROFS, and the writable tmpfs stays writable |
#[test]
fn mounts_are_locked_for_a_workload_in_its_own_user_namespace() {
    // /proc/1/exe, keel's, belongs to a more privileged user namespace than the payload's.
    locked_mounts_refuse_a_root_payload("", "unshare --user --map-root-user --mount", "EACCES");
}

/// `[mounts] lock = true`: keel itself enters the new user and mount namespaces once the
/// mounts are built, with the same outcome for a root payload that makes none of its own. It
/// can still mount over a locked mount in its namespace (hiding, not changing, what is
/// beneath: the over-mount comes off again and the locked one is back), and keel, PID 1 of
/// its pid namespace, is sealed: /proc/1/exe cannot be written.
#[test]
fn lock_true_locks_the_mounts_keel_made() {
    // keel, PID 1 of the pid namespace, runs from its sealed overlay.
    locked_mounts_refuse_a_root_payload("[mounts]\nlock = true\n", "", "EROFS");
}

/// `lock = true` for keel started as an unprivileged user (nobody) in a user namespace of its
/// own, as bubblewrap and rootless podman run: the nested namespace maps keel's one id onto
/// itself, and the tmpfs keel mounted cannot be unmounted; without the lock it can.
#[test]
fn lock_true_works_for_an_unprivileged_keel() {
    let t = Scratch::new("lock-unprivileged");
    let m = t.dir("m");
    let me = std::env::current_exe().expect("current_exe");
    for (lock, want) in [(true, "EINVAL"), (false, "OK")] {
        let toml = format!(
            "[namespaces]\nunshare = [\"user\", \"mount\", \"pid\"]\n\
             uid_mappings = [{{ container_id = 0, host_id = 65534, size = 1 }}]\n\
             gid_mappings = [{{ container_id = 0, host_id = 65534, size = 1 }}]\n\
             setgroups = \"deny\"\n[mounts]\nlock = {lock}\n\
             [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
             [[mount]]\ndestination = \"{m}\"\ntype = \"tmpfs\"\n",
            m = m.display()
        );
        let cfg = t.config("keel.cfg", &toml);
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                KEEL,
                "-c",
            ])
            .arg(&cfg)
            .arg("--")
            .arg(&me)
            .args([
                "--exact",
                "zz_payload_helper",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER_VAR, format!("id\numount {}\n", m.display()))
            .stdin(Stdio::null())
            .output()
            .expect("setpriv keel");
        assert_eq!(
            results(&out),
            [
                "id: uid 0".to_owned(),
                format!("umount {}: {want}", m.display())
            ],
            "lock = {lock}"
        );
    }
}

/// The attacks of the locking tests, on a sealed overlay, a read-only bind and a tmpfs, with
/// `extra` in the config and `wrap` before the payload; a write to /proc/1/exe fails with
/// `exe`.
fn locked_mounts_refuse_a_root_payload(extra: &str, wrap: &str, exe: &str) {
    let t = Scratch::new("locked");
    let (bottom, top) = (t.dir("bottom"), t.dir("top"));
    std::fs::write(bottom.join("f"), "layer").expect("write");
    let data = t.file("data/file", "data");
    let (ovl, ro, tmp) = (t.dir("ovl"), t.dir("ro"), t.dir("tmp"));
    for d in [&ovl, &ro, &tmp] {
        std::fs::write(d.join("UNDERNEATH"), "").expect("write");
    }
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n{extra}\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
         [[mount]]\ndestination = \"{ovl}\"\ntype = \"overlay\"\nlower = [\"{t}\", \"{b}\"]\n\
         [[mount]]\ndestination = \"{ro}\"\ntype = \"bind\"\nsource = \"{d}\"\noptions = [\"ro\", \"nosuid\", \"nodev\"]\n\
         [[mount]]\ndestination = \"{tmp}\"\ntype = \"tmpfs\"\noptions = [\"size=1m\"]\n",
        ovl = ovl.display(),
        ro = ro.display(),
        tmp = tmp.display(),
        t = top.display(),
        b = bottom.display(),
        d = data.parent().expect("parent").display()
    );
    let (o, r, m) = (ovl.display(), ro.display(), tmp.display());
    let ops = format!(
        "id\n\
         umount {o}\ndetach {o}\numount {r}\ndetach {r}\numount {m}\ndetach {m}\n\
         remount {o}\nremount-bind {o}\nremount-bind {r}\n\
         setattr-rw {o}\nsetattr-rw {r}\n\
         fspick-rw {o}\nmount8 {o}\nmount8 {r}\n\
         write {o}/f\nwrite {r}/file\ncreate {m}/new\n\
         ls {o}\nls {r}\nls {m}\n\
         mount-tmpfs {o}\nls {o}\ndetach {o}\nls {o}\nwrite /proc/1/exe\n"
    );
    let out = results(&t.attack(&toml, wrap, &ops));
    let want = [
        "id: uid 0".to_owned(),
        format!("umount {o}: EINVAL"),
        format!("detach {o}: EINVAL"),
        format!("umount {r}: EINVAL"),
        format!("detach {r}: EINVAL"),
        format!("umount {m}: EINVAL"),
        format!("detach {m}: EINVAL"),
        format!("remount {o}: EPERM"),
        format!("remount-bind {o}: EPERM"),
        format!("remount-bind {r}: EPERM"),
        format!("setattr-rw {o}: EPERM"),
        format!("setattr-rw {r}: EPERM"),
        format!("fspick-rw {o}: reconfigure EPERM"),
        format!("mount8 {o}: exit 32"),
        format!("mount8 {r}: exit 32"),
        format!("write {o}/f: EROFS"),
        format!("write {r}/file: EROFS"),
        format!("create {m}/new: OK"),
        format!("ls {o}: f"),
        format!("ls {r}: file"),
        format!("ls {m}: new"),
        format!("mount-tmpfs {o}: OK"),
        format!("ls {o}: "),
        format!("detach {o}: OK"),
        format!("ls {o}: f"),
        format!("write /proc/1/exe: {exe}"),
    ];
    assert_eq!(out, want);
    assert_eq!(std::fs::read_to_string(&data).expect("read"), "data");
    assert_eq!(
        std::fs::read_to_string(bottom.join("f")).expect("read"),
        "layer"
    );
}

// ---------------------------------------------------------------------------------------
// 3. No mount leaks while the workload runs.

/// Samples the mount tables while a workload with a fresh /proc, a tmpfs, a read-only rbind and
/// three overlays (sealed, ephemeral, persisted) runs, and after: byte-identical to before
/// each time, while the workload's own table has every mount.
///
/// This machine's mounts are private, so nothing could propagate out of keel's namespace
/// even if keel forgot to stop it. keel is therefore started from a namespace whose mounts
/// are all shared (`unshare --mount --propagation shared`), as on a systemd host: its copy of
/// them would propagate every mount back there unless keel makes them private first. Both that
/// namespace's table and the real host's are sampled.
#[test]
fn no_mount_reaches_the_host_while_the_workload_runs_or_after() {
    let t = Scratch::new("leaks");
    let lower = t.dir("lower");
    std::fs::write(lower.join("f"), "layer").expect("write");
    let data = t.dir("data");
    let (up, work) = (t.dir("changes/upper"), t.dir("changes/work"));
    let v = |n: &str| t.path(n).display().to_string();
    let (m_tmp, m_ro, m_sealed, m_eph, m_per) =
        (v("m-tmp"), v("m-ro"), v("m-sealed"), v("m-eph"), v("m-per"));
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n\
         [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n\
         [[mount]]\ndestination = \"{m_tmp}\"\ntype = \"tmpfs\"\noptions = [\"size=1m\"]\n\
         [[mount]]\ndestination = \"{m_ro}\"\ntype = \"bind\"\nsource = \"{d}\"\noptions = [\"rbind\", \"ro\"]\n\
         [[mount]]\ndestination = \"{m_sealed}\"\ntype = \"overlay\"\nlower = [\"{l}\"]\n\
         [[mount]]\ndestination = \"{m_eph}\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"tmpfs\"\nsize = \"1m\"\n\
         [[mount]]\ndestination = \"{m_per}\"\ntype = \"overlay\"\nlower = [\"{l}\"]\nupper = \"{u}\"\nwork = \"{w}\"\n",
        d = data.display(),
        l = lower.display(),
        u = up.display(),
        w = work.display()
    );
    let cfg = t.config("keel.cfg", &toml);
    let (inside, go, shared_before, shared_after) = (
        t.path("inside"),
        t.path("go"),
        t.path("shared-before"),
        t.path("shared-after"),
    );
    let workload = format!(
        "cat /proc/self/mountinfo > {i}.tmp && mv {i}.tmp {i}; while [ ! -e {g} ]; do sleep 0.01; done",
        i = inside.display(),
        g = go.display()
    );
    // The shell stays in the shared namespace, keel's relay too; the inner keel builds the mounts.
    let wrapper = format!(
        "cat /proc/self/mountinfo > {b}; {KEEL} -c {c} -- /bin/sh -c '{workload}'; s=$?; cat /proc/self/mountinfo > {a}; exit $s",
        b = shared_before.display(),
        a = shared_after.display(),
        c = cfg.display()
    );
    let before = host_mounts();
    let child = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "shared",
            "/bin/sh",
            "-c",
            &wrapper,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare");
    let shared_now = || {
        std::fs::read_to_string(format!("/proc/{}/mountinfo", child.id()))
            .expect("the wrapper's mountinfo")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !inside.exists() {
        assert!(Instant::now() < deadline, "the workload never started");
        assert_eq!(host_mounts(), before, "host, while keel builds the mounts");
        std::thread::sleep(Duration::from_millis(1));
    }
    let shared = std::fs::read_to_string(&shared_before).expect("shared-before");
    assert!(
        shared.lines().all(|l| l.contains(" shared:")),
        "every mount of the wrapper's namespace propagates:\n{shared}"
    );
    let table = std::fs::read_to_string(&inside).expect("inside");
    for m in [&m_tmp, &m_ro, &m_sealed, &m_eph, &m_per] {
        assert!(
            table
                .lines()
                .any(|l| l.split(' ').nth(4) == Some(m.as_str())),
            "{m} is mounted inside:\n{table}"
        );
    }
    for _ in 0..20 {
        assert_eq!(host_mounts(), before, "host, while the workload runs");
        assert_eq!(
            shared_now(),
            shared,
            "shared namespace, while the workload runs"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(&go, "").expect("go");
    let out = child.wait_with_output().expect("wait");
    ok(&out);
    assert_eq!(host_mounts(), before, "host, after the run");
    assert_eq!(
        std::fs::read_to_string(&shared_after).expect("shared-after"),
        shared,
        "shared namespace, after the run"
    );
    for m in [&m_tmp, &m_ro, &m_sealed, &m_eph, &m_per] {
        assert_eq!(
            std::fs::read_dir(m).expect("dir").count(),
            0,
            "{m} is an empty directory on the host"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 4. Time namespace offsets.

/// `time_offsets` of one day for both clocks: the workload's /proc/uptime (boottime) is a
/// day ahead of the host's, and so is its CLOCK_MONOTONIC, while the host's are not moved.
#[test]
fn time_namespace_offsets_move_uptime_and_the_monotonic_clock() {
    let t = Scratch::new("time");
    let toml = "[namespaces]\nunshare = [\"time\", \"pid\", \"mount\"]\n\
                [namespaces.time_offsets]\nmonotonic = { secs = 86400 }\nboottime = { secs = 86400 }\n\
                [[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n";
    let uptime = |s: &str| -> f64 {
        s.split_whitespace()
            .next()
            .expect("uptime")
            .parse()
            .expect("seconds")
    };
    let monotonic = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime with a valid timespec.
        assert_eq!(
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) },
            0
        );
        ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
    };
    let host_before = uptime(&std::fs::read_to_string("/proc/uptime").expect("uptime"));
    let mono_before = monotonic();
    let out = results(&t.attack(
        toml,
        "",
        "cat /proc/uptime\nclock monotonic\ncat /proc/self/timens_offsets",
    ));
    let host_after = uptime(&std::fs::read_to_string("/proc/uptime").expect("uptime"));
    let mono_after = monotonic();
    let inside = uptime(out[0].strip_prefix("cat /proc/uptime: ").expect("uptime"));
    // /proc/uptime has centiseconds: the epsilon only absorbs the decimal-to-binary rounding.
    assert!(
        inside + 1e-6 >= host_before + 86400.0,
        "inside {inside} s, host {host_before} s before"
    );
    assert!(
        inside <= host_after + 86400.0 + 1.0,
        "inside {inside} s, host {host_after} s after"
    );
    let mono: f64 = out[1]
        .strip_prefix("clock monotonic: ")
        .expect("clock")
        .parse()
        .expect("seconds");
    assert!(
        mono + 1e-6 >= mono_before + 86400.0 && mono <= mono_after + 86400.0 + 1.0,
        "inside {mono} s, host {mono_before}..{mono_after} s"
    );
    assert_eq!(
        out[2],
        "cat /proc/self/timens_offsets: monotonic 86400 0 | boottime 86400 0"
    );
    // The host's clocks did not move.
    assert!(host_after - host_before < 60.0 && mono_after - mono_before < 60.0);
}

// ---------------------------------------------------------------------------------------
// 5. Errors.

/// A lower layer that does not exist (the second of two), a bind source that does not exist,
/// and a tmpfs upper with a bad size: each is one line naming the step, the path and the
/// errno, and exit status 125, with no workload started and nothing left behind: the host's
/// mount table as before, no keel process alive.
#[test]
fn mount_errors_are_one_line_with_step_path_and_errno() {
    let t = Scratch::new("errors");
    let before = host_mounts();
    let lower = t.dir("lower");
    let view = t.path("view");
    let missing = t.path("no-such-layer");
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\"]\n[[mount]]\ndestination = \"{}\"\ntype = \"overlay\"\nlower = [\"{}\", \"{}\"]\n",
        view.display(),
        lower.display(),
        missing.display()
    );
    assert_eq!(
        setup_error(&t.run(&toml, "echo RAN")),
        format!(
            "keel: mounts: overlay for {}: {}: ENOENT (No such file or directory)\n",
            view.display(),
            missing.display()
        )
    );

    let source = t.path("no-such-source");
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n[[mount]]\ndestination = \"{}\"\ntype = \"bind\"\nsource = \"{}\"\noptions = [\"ro\"]\n",
        view.display(),
        source.display()
    );
    assert_eq!(
        setup_error(&t.run(&toml, "echo RAN")),
        format!(
            "keel: mounts: open_tree {}: ENOENT (No such file or directory)\n",
            source.display()
        )
    );

    let toml = format!(
        "[namespaces]\nunshare = [\"mount\"]\n[[mount]]\ndestination = \"{}\"\ntype = \"overlay\"\nlower = [\"{}\"]\nupper = \"tmpfs\"\nsize = \"lots\"\n",
        view.display(),
        lower.display()
    );
    let err = setup_error(&t.run(&toml, "echo RAN"));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("keel: mounts: tmpfs option size=lots: EINVAL (Invalid argument)"),
        "{err}"
    );
    assert_eq!(host_mounts(), before, "the host's mount table changed");
    // Every run's argv holds the config's path, so any keel it left would mention it.
    assert_eq!(
        processes_mentioning(&t.path("keel.cfg")),
        Vec::<String>::new()
    );
}

/// A full tmpfs upper: the workload's writes get ENOSPC, the lower layer is untouched, and
/// keel neither fails nor complains: it exits with the workload's own status.
#[test]
fn a_full_tmpfs_upper_gives_enospc_inside_and_keel_carries_on() {
    let t = Scratch::new("enospc");
    let lower = t.dir("lower");
    std::fs::write(lower.join("f"), "layer").expect("write");
    let view = t.dir("view");
    let toml = format!(
        "[namespaces]\nunshare = [\"mount\", \"pid\"]\n\
         [[mount]]\ndestination = \"{}\"\ntype = \"overlay\"\nlower = [\"{}\"]\nupper = \"tmpfs\"\nsize = \"64k\"\n",
        view.display(),
        lower.display()
    );
    let script = format!(
        "dd if=/dev/zero of={v}/big bs=4k count=1024 2>&1 | grep -c 'No space left'; \
         {{ echo more >> {v}/f; }} 2>&1 | grep -c 'No space left'; cat {v}/f; echo; \
         rm {v}/big && echo small > {v}/g && cat {v}/g; exit 9",
        v = view.display()
    );
    let out = t.run(&toml, &script);
    assert_eq!(
        out.status.code(),
        Some(9),
        "keel passes the workload's status: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "", "keel says nothing");
    // The copy-up of f needs room too: with the tmpfs full, appending to it fails as well.
    assert_eq!(text(&out.stdout), "1\n1\nlayer\nsmall\n");
    assert_eq!(
        std::fs::read_to_string(lower.join("f")).expect("read"),
        "layer"
    );
    assert_eq!(std::fs::read_dir(&view).expect("dir").count(), 0);
}
