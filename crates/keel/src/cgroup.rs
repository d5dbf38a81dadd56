//! cgroup v2 delegation: what BenchExec's container `init.sh` does with mkdir, echo and cat,
//! in a few dozen syscalls and with an explanation for every errno.
//!
//! 1. Find the cgroup2 filesystem (mount it in machine mode or when configured); refuse v1
//!    and hybrid layouts, which BenchExec and systemd-in-a-container cannot use.
//! 2. Move keel and every other process of its cgroup into a leaf (`init`): a cgroup with
//!    processes cannot enable controllers for its children (the no-internal-process rule).
//! 3. Enable controllers in `cgroup.subtree_control`, all at once; when that fails, one by one
//!    to name the controller and the reason.
//! 4. Create the delegated cgroups, enable their controllers, and chown them (the directory and
//!    the files in /sys/kernel/cgroup/delegate) to the user who will manage them.
//! 5. Write the limits while keel is still privileged.
//! 6. Hand back the `cgroup.procs` of the workload's cgroup: the child writes `0` to it just
//!    before exec, so the workload and all it forks start there.
//!
//! Paths in the config are relative to keel's own cgroup, so the same config works in a
//! container with a cgroup namespace (keel's cgroup is `/`) and without one.
//!
//! A step that fails after the first mkdir leaves nothing behind: the cgroups keel created
//! are removed, the controllers it enabled disabled again, and the processes it moved go back
//! (best effort, silently: the failure itself was reported).

use crate::log::{self, Bytes, ErrnoText, Line, Show, error, say};
use core::ffi::CStr;
use keel_wire as wire;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags, openat};
use rustix::io::Errno;
use ufmt::uwrite;

/// The files a delegatee needs to own when the kernel does not list them
/// (/sys/kernel/cgroup/delegate is 5.x+).
const DELEGATE_FALLBACK: &[u8] = b"cgroup.procs\ncgroup.threads\ncgroup.subtree_control\n";
/// Passes over cgroup.procs when moving processes out: the file shrinks as they move, so a
/// read can skip entries; a pass that moves nothing ends it.
const MOVE_PASSES: usize = 8;

/// A path under the cgroup root, for messages and for openat on the base directory.
struct Place<'a> {
    /// keel's own cgroup directory, absolute (root + own cgroup).
    base: &'a [u8],
    rel: &'a [u8],
    file: &'a [u8],
}

impl Show for Place<'_> {
    fn show(&self, line: &mut Line) {
        line.push(self.base);
        for part in [self.rel, self.file] {
            if !part.is_empty() {
                line.push(b"/");
                line.push(part);
            }
        }
    }
}

/// What a cgroup errno means here, and what to do about it.
fn hint(e: Errno, file: &[u8]) -> &'static str {
    match e {
        Errno::BUSY if file == b"cgroup.subtree_control" => {
            ": the cgroup has processes in it, and a cgroup with processes cannot enable controllers for its children (the no-internal-process rule); move them to a leaf first"
        }
        Errno::BUSY => {
            ": the target cgroup has controllers enabled in its cgroup.subtree_control, so it may not hold processes (the no-internal-process rule)"
        }
        Errno::NOENT if file == b"cgroup.subtree_control" => {
            ": the controller is not enabled in the parent's cgroup.subtree_control"
        }
        Errno::OPNOTSUPP => {
            ": the cgroup is threaded or an invalid domain; controllers need a domain cgroup"
        }
        Errno::ROFS => {
            ": the cgroup filesystem is read-only: podman needs --security-opt unmask=/sys/fs/cgroup --cgroups=split, docker --privileged --cap-drop=all or a private writable cgroup namespace"
        }
        Errno::ACCESS | Errno::PERM => {
            ": this is past a delegation boundary (nsdelegate, or a subtree owned by another user): delegate the cgroup to keel's user"
        }
        Errno::AGAIN => ": cgroup.max.descendants or cgroup.max.depth is reached",
        Errno::INVAL if file == b"cgroup.subtree_control" => {
            ": unknown controller (or cpu with realtime tasks outside the root cgroup)"
        }
        _ => "",
    }
}

/// The set-up cgroups, as the rest of keel needs them.
pub struct Delegated {
    /// `cgroup.procs` of the workload's cgroup, open for writing.
    pub workload_procs: OwnedFd,
}

/// What steps 2-5 changed, for [`Cgroups::roll_back`].
#[derive(Default)]
struct Changes<'a> {
    /// Directories keel created, in order (parents first).
    created: heapless::Vec<&'a [u8], 256>,
    /// The leaf holds the processes keel moved.
    moved: bool,
    /// The base's `cgroup.subtree_control` before keel enabled controllers there.
    enabled_before: Option<heapless::Vec<u8, 512>>,
}

/// Runs steps 1-6. Errors are printed; keel then exits with the setup status.
pub fn delegate(c: &wire::Cgroup<'_>, machine: bool) -> Result<Delegated, ()> {
    let root = c.root.unwrap_or(wire::DEFAULT_CGROUP_ROOT);
    find_or_mount(root, c.mount || machine)?;
    let mut base_buf = [0u8; 4096];
    let base = base_path(root, &mut base_buf)?;
    let base_place = |rel: &'static [u8], file: &'static [u8]| Place { base, rel, file };
    let base_dir = open_dir(CWD, base, &base_place(b"", b""))?;

    let leaf = c.leaf.unwrap_or(wire::DEFAULT_LEAF).to_bytes();
    let cg = Cgroups {
        base,
        dir: base_dir,
    };
    if !cg.holds_keel()? {
        error!(
            "cgroup: {}: keel is not in this cgroup: the cgroup2 mount shows another cgroup namespace's tree; mount a fresh cgroup2 in keel's mount namespace (mount = true, with a private mount namespace)",
            cg.place(b"", b"")
        );
        return Err(());
    }
    let mut changes = Changes::default();
    let delegated = cg.set_up(c, leaf, &mut changes);
    if delegated.is_err() {
        cg.roll_back(leaf, &changes);
    }
    delegated
}

/// In the forked child, just before exec: join the workload's cgroup.
pub fn join(d: &Delegated) -> Result<(), Errno> {
    rustix::io::write(&d.workload_procs, b"0").map(drop)
}

/// Step 1: cgroup2 at `root`, or mounted there when `mount` allows.
fn find_or_mount(root: &CStr, mount: bool) -> Result<(), ()> {
    let place = Place {
        base: root.to_bytes(),
        rel: b"",
        file: b"",
    };
    let fs = rustix::fs::statfs(root);
    let magic = fs.as_ref().map(|st| st.f_type as u32);
    match magic {
        Ok(linux_raw_sys::general::CGROUP2_SUPER_MAGIC) => {
            let read_only = fs.is_ok_and(|st| {
                st.f_flags as u64 & rustix::fs::StatVfsMountFlags::RDONLY.bits() != 0
            });
            if read_only {
                error!(
                    "cgroup: {}: mounted read-only{}",
                    place,
                    hint(Errno::ROFS, b"")
                );
                return Err(());
            }
            return Ok(());
        }
        Ok(linux_raw_sys::general::TMPFS_MAGIC) if !mount => {
            error!(
                "cgroup: {}: a tmpfs, not cgroup2: a cgroup v1 or hybrid layout (or nothing mounted); keel needs the unified cgroup v2 hierarchy (boot with systemd.unified_cgroup_hierarchy=1)",
                place
            );
            return Err(());
        }
        Err(e) if !mount => {
            error!("cgroup: statfs {}: {}", place, ErrnoText(*e));
            return Err(());
        }
        _ if !mount => {
            error!(
                "cgroup: {}: no cgroup2 filesystem mounted here (mount it, or set mount = true)",
                place
            );
            return Err(());
        }
        _ => {}
    }
    let _ = rustix::fs::mkdir(root, Mode::from_raw_mode(0o755));
    let flags = rustix::mount::MountFlags::NOSUID
        | rustix::mount::MountFlags::NODEV
        | rustix::mount::MountFlags::NOEXEC;
    rustix::mount::mount(c"cgroup2", root, c"cgroup2", flags, c"").map_err(|e| {
        error!("cgroup: mount cgroup2 on {}: {}", place, ErrnoText(e));
    })
}

/// keel's own cgroup directory: the root plus the `0::` line of /proc/self/cgroup.
fn base_path<'b>(root: &CStr, buf: &'b mut [u8; 4096]) -> Result<&'b [u8], ()> {
    let mut own = [0u8; 1024];
    let mut len = 0;
    match rustix::fs::open(
        c"/proc/self/cgroup",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => {
            while let Ok(n @ 1..) = rustix::io::read(&fd, &mut own[len..]) {
                len += n;
            }
        }
        Err(e) => say!(
            log::WARN,
            "cgroup: /proc/self/cgroup: {}; assuming keel is in the root cgroup",
            ErrnoText(e)
        ),
    }
    let path = own[..len]
        .split(|&c| c == b'\n')
        .find_map(|line| line.strip_prefix(b"0::"))
        .unwrap_or(b"/");
    let root = root.to_bytes();
    // "/" adds nothing; a path like /docker/abc is appended as it is.
    let path = if path == b"/" { &b""[..] } else { path };
    let total = root.len() + path.len();
    if total >= buf.len() {
        error!("cgroup: {}{}: path too long", Bytes(root), Bytes(path));
        return Err(());
    }
    buf[..root.len()].copy_from_slice(root);
    buf[root.len()..total].copy_from_slice(path);
    Ok(&buf[..total])
}

fn open_dir(at: impl AsFd, path: &[u8], place: &Place<'_>) -> Result<OwnedFd, ()> {
    openat(
        at,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        error!("cgroup: open {}: {}", place, ErrnoText(e));
    })
}

/// keel's cgroup directory, and operations on cgroups below it.
struct Cgroups<'a> {
    base: &'a [u8],
    dir: OwnedFd,
}

impl Cgroups<'_> {
    fn place<'p>(&'p self, rel: &'p [u8], file: &'p [u8]) -> Place<'p> {
        Place {
            base: self.base,
            rel,
            file,
        }
    }

    /// `rel/file` relative to the base, in `buf`.
    fn join<'b>(rel: &[u8], file: &[u8], buf: &'b mut [u8; 4096]) -> Option<&'b [u8]> {
        let mut len = 0;
        for part in [rel, file] {
            if part.is_empty() {
                continue;
            }
            let sep = usize::from(len > 0);
            let end = len + sep + part.len();
            if end >= buf.len() {
                return None;
            }
            buf[len] = b'/';
            buf[len + sep..end].copy_from_slice(part);
            len = end;
        }
        if len == 0 {
            buf[0] = b'.';
            len = 1;
        }
        Some(&buf[..len])
    }

    fn open(&self, rel: &[u8], file: &[u8], flags: OFlags) -> Result<OwnedFd, ()> {
        self.open_quiet(rel, file, flags).map_err(|e| {
            let place = self.place(rel, file);
            match e {
                Errno::NAMETOOLONG => error!("cgroup: {}: path too long", place),
                _ => error!("cgroup: open {}: {}{}", place, ErrnoText(e), hint(e, file)),
            }
        })
    }

    /// [`Cgroups::open`] without the message.
    fn open_quiet(&self, rel: &[u8], file: &[u8], flags: OFlags) -> Result<OwnedFd, Errno> {
        let mut buf = [0u8; 4096];
        let path = Self::join(rel, file, &mut buf).ok_or(Errno::NAMETOOLONG)?;
        openat(&self.dir, path, flags | OFlags::CLOEXEC, Mode::empty())
    }

    /// Writes `value` to `rel/file` in one write(2), as the kernel expects.
    fn write(&self, rel: &[u8], file: &[u8], value: &[u8]) -> Result<(), ()> {
        let fd = self.open(rel, file, OFlags::WRONLY)?;
        rustix::io::write(&fd, value).map(drop).map_err(|e| {
            error!(
                "cgroup: write \"{}\" to {}: {}{}",
                Bytes(value),
                self.place(rel, file),
                ErrnoText(e),
                hint(e, file)
            );
        })
    }

    /// Steps 2-6, noting in `changes` what they change.
    fn set_up<'a>(
        &self,
        c: &wire::Cgroup<'a>,
        leaf: &'a [u8],
        changes: &mut Changes<'a>,
    ) -> Result<Delegated, ()> {
        self.mkdir(leaf, changes)?;
        changes.moved = true;
        self.move_processes(leaf)?;
        changes.enabled_before = Some(self.read_line(b"", b"cgroup.subtree_control"));
        self.enable_controllers(b"", c)?;
        for d in c.delegates.iter() {
            self.mkdir(d.path.to_bytes(), changes)?;
            // A delegate that will hold the workload must not enable controllers for its
            // children (no internal processes): its user does that after moving itself down.
            if d.enable_controllers {
                self.enable_controllers(d.path.to_bytes(), c)?;
            }
            if let Some((uid, gid)) = d.owner {
                self.chown(d.path.to_bytes(), uid, gid)?;
            }
        }
        for limit in c.limits.iter() {
            self.write(
                limit.cgroup.to_bytes(),
                limit.file.to_bytes(),
                limit.value.to_bytes(),
            )?;
        }
        let workload = c.workload.map_or(leaf, CStr::to_bytes);
        let workload_procs = self.open(workload, b"cgroup.procs", OFlags::WRONLY)?;
        Ok(Delegated { workload_procs })
    }

    /// Undoes `changes` in reverse: delegates first (a cgroup with children cannot go, and
    /// controllers in use below cannot be disabled), then the base's controllers (processes
    /// may not return to a cgroup that has them), then the processes, then the leaf.
    fn roll_back(&self, leaf: &[u8], changes: &Changes<'_>) {
        let rmdir = |rel: &[u8]| {
            let _ = rustix::fs::unlinkat(&self.dir, rel, rustix::fs::AtFlags::REMOVEDIR);
        };
        for &rel in changes.created.iter().rev().filter(|&&rel| rel != leaf) {
            rmdir(rel);
        }
        if let Some(before) = &changes.enabled_before {
            let now = self.read_line(b"", b"cgroup.subtree_control");
            let mut line: heapless::Vec<u8, 512> = heapless::Vec::new();
            for name in now.split(|&c| c == b' ').filter(|n| !n.is_empty()) {
                if !before.split(|&c| c == b' ').any(|b| b == name) {
                    let _ = line.push(b'-');
                    let _ = line.extend_from_slice(name);
                    let _ = line.push(b' ');
                }
            }
            if !line.is_empty()
                && let Ok(fd) = self.open_quiet(b"", b"cgroup.subtree_control", OFlags::WRONLY)
            {
                let _ = rustix::io::write(&fd, &line);
            }
        }
        if changes.moved
            && let Ok(back) = self.open_quiet(b"", b"cgroup.procs", OFlags::WRONLY)
            && let Ok(moved) = self.open_quiet(leaf, b"cgroup.procs", OFlags::RDONLY)
        {
            let _ = Self::scan_pids(&moved, &mut |pid| {
                let _ = rustix::io::write(&back, pid);
                Ok(false)
            });
        }
        if changes.created.contains(&leaf) {
            rmdir(leaf);
        }
    }

    /// A cgroup file's first line, without its newline (empty if unreadable).
    fn read_line(&self, rel: &[u8], file: &[u8]) -> heapless::Vec<u8, 512> {
        let mut line = heapless::Vec::new();
        let mut buf = [0u8; 512];
        if let Ok(fd) = self.open_quiet(rel, file, OFlags::RDONLY) {
            let n = rustix::io::read(&fd, &mut buf).unwrap_or(0);
            let text = buf[..n].split(|&c| c == b'\n').next().unwrap_or_default();
            let _ = line.extend_from_slice(text);
        }
        line
    }

    /// Creates `rel` and every missing parent below the base, noting those it created.
    fn mkdir<'a>(&self, rel: &'a [u8], changes: &mut Changes<'a>) -> Result<(), ()> {
        for (end, _) in rel
            .iter()
            .enumerate()
            .filter(|&(i, &c)| c == b'/' || i + 1 == rel.len())
        {
            let upto = if rel[end] == b'/' { &rel[..end] } else { rel };
            match rustix::fs::mkdirat(&self.dir, upto, Mode::from_raw_mode(0o755)) {
                // Past 256 directories the rest are left behind on a failure.
                Ok(()) => _ = changes.created.push(upto),
                Err(Errno::EXIST) => {}
                Err(e) => {
                    error!(
                        "cgroup: mkdir {}: {}{}",
                        self.place(upto, b""),
                        ErrnoText(e),
                        hint(e, b"")
                    );
                    return Err(());
                }
            }
        }
        Ok(())
    }

    /// Step 2: every process of the base cgroup, keel first, into `leaf`. Kernel threads
    /// (in the real root cgroup) cannot move and are left; processes that exit meanwhile too.
    fn move_processes(&self, leaf: &[u8]) -> Result<(), ()> {
        let procs = self.open(leaf, b"cgroup.procs", OFlags::WRONLY)?;
        let mv = |pid: &[u8]| match rustix::io::write(&procs, pid) {
            Ok(_) => Ok(true),
            Err(Errno::INVAL | Errno::SRCH) => Ok(false),
            Err(e) => {
                error!(
                    "cgroup: move pid {} to {}: {}{}",
                    Bytes(pid),
                    self.place(leaf, b"cgroup.procs"),
                    ErrnoText(e),
                    hint(e, b"cgroup.procs")
                );
                Err(())
            }
        };
        mv(b"0")?;
        // The real root cgroup is exempt from the no-internal-process rule (it is the only
        // one without cgroup.type): there keel moves only itself, and leaves kernel threads.
        if !self.exists(b"", b"cgroup.type") {
            return Ok(());
        }
        for _ in 0..MOVE_PASSES {
            let mut moved = false;
            let procs = self.open(b"", b"cgroup.procs", OFlags::RDONLY)?;
            Self::scan_pids(&procs, &mut |pid| {
                moved |= mv(pid)?;
                Ok(false)
            })?;
            if !moved {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Step 3 (and 4 for a delegate): enable the configured controllers, or all available,
    /// in `rel/cgroup.subtree_control`.
    fn enable_controllers(&self, rel: &[u8], c: &wire::Cgroup<'_>) -> Result<(), ()> {
        let mut available = [0u8; 512];
        let fd = self.open(rel, b"cgroup.controllers", OFlags::RDONLY)?;
        let n = rustix::io::read(&fd, &mut available).unwrap_or(0);
        let available = available[..n]
            .strip_suffix(b"\n")
            .unwrap_or(&available[..n]);
        let is_available = |name: &[u8]| available.split(|&c| c == b' ').any(|a| a == name);
        let optional = |name: &[u8]| c.optional.iter().any(|o| o.to_bytes() == name);

        let mut line: heapless::Vec<u8, 512> = heapless::Vec::new();
        let mut add = |name: &[u8]| {
            let _ = line
                .push(b'+')
                .and_then(|()| line.extend_from_slice(name).map_err(|_| 0))
                .and_then(|()| line.push(b' '));
        };
        if c.controllers.is_empty() {
            available
                .split(|&c| c == b' ')
                .filter(|a| !a.is_empty())
                .for_each(&mut add);
        } else {
            for name in c.controllers.iter().map(CStr::to_bytes) {
                if is_available(name) {
                    add(name);
                } else if optional(name) {
                    say!(
                        log::WARN,
                        "cgroup: controller {} is not available in {}; skipped",
                        Bytes(name),
                        self.place(rel, b"cgroup.controllers")
                    );
                } else {
                    error!(
                        "cgroup: controller {} is not available in {} (it has: {})",
                        Bytes(name),
                        self.place(rel, b"cgroup.controllers"),
                        Bytes(available)
                    );
                    return Err(());
                }
            }
        }
        let line = line.strip_suffix(b" ").unwrap_or(&line);
        if line.is_empty() {
            return Ok(());
        }
        let control = self.open(rel, b"cgroup.subtree_control", OFlags::WRONLY)?;
        match rustix::io::write(&control, line) {
            Ok(_) => return Ok(()),
            // Processes in the cgroup: every controller would fail the same way, except the
            // threaded ones (cpu, cpuset…), whose success would turn the cgroup into a thread
            // root and hide the real cause. Say it once.
            Err(e @ Errno::BUSY) => {
                error!(
                    "cgroup: write \"{}\" to {}: {}{}",
                    Bytes(line),
                    self.place(rel, b"cgroup.subtree_control"),
                    ErrnoText(e),
                    hint(e, b"cgroup.subtree_control")
                );
                return Err(());
            }
            Err(_) => {}
        }
        // Find out which controller failed, and why: one write each.
        for word in line.split(|&c| c == b' ') {
            if let Err(e) = rustix::io::write(&control, word) {
                let name = &word[1..];
                if optional(name) {
                    say!(
                        log::WARN,
                        "cgroup: enable {} in {}: {}{}",
                        Bytes(name),
                        self.place(rel, b"cgroup.subtree_control"),
                        ErrnoText(e),
                        hint(e, b"cgroup.subtree_control")
                    );
                } else {
                    error!(
                        "cgroup: enable {} in {}: {}{}",
                        Bytes(name),
                        self.place(rel, b"cgroup.subtree_control"),
                        ErrnoText(e),
                        hint(e, b"cgroup.subtree_control")
                    );
                    return Err(());
                }
            }
        }
        Ok(())
    }

    /// Step 4: give a delegated cgroup to its user: the directory, and the files the kernel
    /// says a delegatee must own.
    fn chown(&self, rel: &[u8], uid: u32, gid: u32) -> Result<(), ()> {
        let (uid, gid) = (
            rustix::process::Uid::from_raw(uid),
            rustix::process::Gid::from_raw(gid),
        );
        let dir = self.open(rel, b"", OFlags::RDONLY | OFlags::DIRECTORY)?;
        let chown = |file: &[u8]| {
            let path: &[u8] = if file.is_empty() { b"." } else { file };
            rustix::fs::chownat(
                &dir,
                path,
                Some(uid),
                Some(gid),
                rustix::fs::AtFlags::empty(),
            )
            .map_err(|e| {
                error!(
                    "cgroup: chown {}: {}{}",
                    self.place(rel, file),
                    ErrnoText(e),
                    hint(e, file)
                );
            })
        };
        chown(b"")?;
        let mut list = [0u8; 1024];
        let n = match rustix::fs::open(
            c"/sys/kernel/cgroup/delegate",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => rustix::io::read(&fd, &mut list).unwrap_or(0),
            Err(_) => 0,
        };
        let list = if n == 0 {
            DELEGATE_FALLBACK
        } else {
            &list[..n]
        };
        // A listed file may belong to a controller not enabled here (memory.* without memory).
        for file in list
            .split(|&c| c == b'\n')
            .filter(|f| !f.is_empty() && self.exists(rel, f))
        {
            chown(file)?;
        }
        Ok(())
    }

    /// Whether keel's own pid is listed in the base cgroup: false when /proc/self/cgroup is
    /// relative to a cgroup namespace that the mounted cgroup2 does not belong to.
    fn holds_keel(&self) -> Result<bool, ()> {
        let mut own: heapless::String<12> = heapless::String::new();
        let _ = uwrite!(own, "{}", rustix::process::getpid().as_raw_nonzero().get());
        let procs = self.open(b"", b"cgroup.procs", OFlags::RDONLY)?;
        Self::scan_pids(&procs, &mut |pid| Ok(pid == own.as_bytes()))
    }

    /// Calls `each` with every pid in a cgroup.procs opened for reading, read in whole lines
    /// (a pid cut by the buffer's end waits for the next read), until `each` returns true.
    /// Returns whether it did. `each` is `dyn` and the function out of line: generic, its
    /// loop was copied into each of its three callers.
    #[inline(never)]
    fn scan_pids(
        procs: &OwnedFd,
        each: &mut dyn FnMut(&[u8]) -> Result<bool, ()>,
    ) -> Result<bool, ()> {
        let mut buf = [0u8; 4096];
        let mut carry = 0;
        loop {
            let n = rustix::io::read(procs, &mut buf[carry..]).unwrap_or(0);
            if n == 0 {
                return Ok(false);
            }
            let filled = carry + n;
            let complete = buf[..filled]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            for pid in buf[..complete]
                .split(|&c| c == b'\n')
                .filter(|p| !p.is_empty())
            {
                if each(pid)? {
                    return Ok(true);
                }
            }
            buf.copy_within(complete..filled, 0);
            carry = filled - complete;
        }
    }

    fn exists(&self, rel: &[u8], file: &[u8]) -> bool {
        let mut buf = [0u8; 4096];
        Self::join(rel, file, &mut buf).is_some_and(|path| {
            rustix::fs::accessat(
                &self.dir,
                path,
                rustix::fs::Access::EXISTS,
                rustix::fs::AtFlags::empty(),
            )
            .is_ok()
        })
    }
}
