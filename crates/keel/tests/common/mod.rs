//! Helpers shared by the integration tests that drive the real keel: a scratch directory
//! per test, configs compiled by keel-gen's library, and output checks. Each test file uses
//! a subset of them.
#![allow(
    dead_code,
    reason = "every test crate compiles this module and uses a different part of it"
)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub mod unprivileged;
pub mod user;

/// How long one run of keel may take before it counts as a hang.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A running keel whose stdout lines are read as they come; its stderr is piped for the
/// caller to take.
pub struct Running {
    pub child: Child,
    lines: Receiver<String>,
    /// The stdout lines read so far.
    pub seen: Vec<String>,
}

impl Running {
    pub fn start(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (tx, lines) = channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line for which `want` holds, and returns it; none within
    /// [`TIMEOUT`] fails the test.
    pub fn expect(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no line {what}; saw {:?}", self.seen);
    }

    /// Waits for keel to exit ([`wait_exit`]) and returns its exit code and every stdout line.
    pub fn finish(mut self) -> (i32, Vec<String>) {
        let code = wait_exit(&mut self.child, || format!("saw {:?}", self.seen));
        self.seen.extend(self.lines.try_iter());
        (code, self.seen)
    }
}

/// The first pid in `/proc/PID/task/PID/children`, waited for: keel, under `unshare --fork`.
pub fn only_child(pid: i32) -> i32 {
    let path = format!("/proc/{pid}/task/{pid}/children");
    let start = Instant::now();
    loop {
        let children = std::fs::read_to_string(&path).expect("children");
        if let Some(first) = children.split_whitespace().next() {
            return first.parse().expect("pid");
        }
        assert!(start.elapsed() < TIMEOUT, "{pid} has no child");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for `child` (keel) to exit and returns its exit code. A death by a signal fails the
/// test, and so does no exit within [`TIMEOUT`], after killing it and printing `context()`.
pub fn wait_exit(child: &mut Child, context: impl Fn() -> String) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return st
                .code()
                .unwrap_or_else(|| panic!("keel killed by a signal: {st:?}"));
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("keel did not exit; {}", context());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub const KEEL: &str = env!("CARGO_BIN_EXE_keel");

/// A scratch directory for one test, removed at the end.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("keel-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        Scratch(dir)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    pub fn file(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
        p
    }

    /// Compiles `toml` with keel-gen's library into the file `name` (mode 0644, as keel
    /// requires).
    pub fn config(&self, name: &str, toml: &str) -> PathBuf {
        let source = keel_gen::Source {
            name: format!("{name}.toml"),
            text: toml.to_owned(),
        };
        let built = keel_gen::compile(&source).unwrap_or_else(|e| panic!("keel-gen: {e}\n{toml}"));
        let out = self.path(name);
        std::fs::write(&out, built.bytes).expect("write config");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        out
    }

    /// A minimal root filesystem in `rootfs`: the directories `dirs`, busybox (static) and
    /// links to it for `applets`.
    pub fn busybox_root(&self, dirs: &[&str], applets: &[&str]) -> PathBuf {
        let root = self.dir("rootfs");
        for d in ["bin"].iter().chain(dirs) {
            std::fs::create_dir_all(root.join(d)).expect("mkdir");
        }
        std::fs::copy("/bin/busybox", root.join("bin/busybox"))
            .expect("busybox-static (scripts/setup.sh installs it)");
        for applet in applets {
            std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).expect("symlink");
        }
        root
    }

    /// A copy of keel with `config` (a file from [`config`](Self::config)) embedded, as
    /// `keel-gen embed` writes it.
    pub fn embedded_keel(&self, name: &str, config: &std::path::Path) -> PathBuf {
        let bytes = std::fs::read(config).expect("config");
        let keel = std::fs::read(KEEL).expect("keel");
        let binary = keel_gen::embed(&bytes, "config", &keel, KEEL).expect("embed");
        let out = self.path(name);
        std::fs::write(&out, binary).expect("write keel");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        out
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Mounts die with their namespaces; what is left is plain files.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a shell workload under Landlock needs: system directories to read and run, /proc to
/// read, /dev/null to write.
const SYSTEM_READ: &str = "[[landlock.path]]\npath = \"/usr\"\naccess = [\"read\", \"execute\"]\n\
     [[landlock.path]]\npath = \"/etc\"\naccess = [\"read\"]\n\
     [[landlock.path]]\npath = \"/proc\"\naccess = [\"read\"]\n\
     [[landlock.path]]\npath = \"/dev/null\"\naccess = [\"write_file\"]\n";

/// The /bin, /lib and /lib64 links of a merged-/usr system resolve into /usr, but a
/// non-merged one has them as directories: grant those that exist.
pub fn landlock_system() -> String {
    let mut rules = SYSTEM_READ.to_owned();
    for dir in ["/bin", "/lib", "/lib64", "/sbin"] {
        let is_real_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
        if is_real_dir {
            rules +=
                &format!("[[landlock.path]]\npath = \"{dir}\"\naccess = [\"read\", \"execute\"]\n");
        }
    }
    rules
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The stderr of a run that must have failed in set-up (status 125) before the workload.
pub fn setup_error(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(125),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "the workload never ran: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

/// The stdout of a run that must have exited 0.
pub fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

pub fn host_mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo")
}

/// The live processes whose command line mentions `marker`, as `PID: cmdline`. A test's
/// scratch directory is in keel's argv (its config path), so in every keel it forks or clones
/// too: after a failed keel has exited this must be empty.
pub fn processes_mentioning(marker: &std::path::Path) -> Vec<String> {
    let marker = marker.display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // A process that exits meanwhile has no cmdline to read: it is not left over.
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        if cmdline.contains(&marker) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

/// `cmd.output()`, for a program this test binary has just written: while another test
/// thread forks, its child holds (until its exec) every descriptor open at that moment, the
/// written file's among them, and exec of a file open for writing fails with ETXTBSY. Such
/// a child execs within milliseconds, so a short retry is the whole fix.
pub fn output_of_written(cmd: &mut Command) -> Output {
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result.expect("run"),
        }
    }
    panic!("{cmd:?}: still ETXTBSY after 1 s");
}
