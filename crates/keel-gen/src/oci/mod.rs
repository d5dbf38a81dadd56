//! `from-oci`: an OCI runtime bundle's `config.json` (parsed by the oci-spec crate) as keel's
//! TOML, field by field. What keel can express becomes its field; what it cannot is a
//! warning named by the field's JSON path, so nothing is dropped silently. `ociVersion` and
//! `annotations` are left out without a warning: they describe the config and carry tools'
//! notes, and change nothing in how a runtime sets the container up.

use std::fmt::Display;
use std::path::Path;

use keel_wire::DEFAULT_LEAF;
use oci_spec::runtime::{
    Capabilities, LinuxCapabilities, LinuxNamespaceType, LinuxResources, LinuxSeccomp,
    LinuxSeccompAction, Mount, Process, Spec,
};
use serde_json::Value as Json;
use toml::{Table, Value};

#[cfg(test)]
mod tests;
mod values;

use crate::seccomp::value_text;

use values::{
    cpu_weight, id_maps, io_weight, is_attr, json_name, max_or_number, names, rlimit_value,
    strings, swap_max, text, u64_value,
};

/// keel's TOML for a config.json, and what it could not express.
pub struct Conversion {
    pub toml: Table,
    pub warnings: Vec<String>,
}

/// Options that ask for what keel does anyway: the kernel's defaults, and private
/// propagation, which keel gives every mount (it makes the whole namespace rprivate first).
const DEFAULTS: [&str; 18] = [
    "defaults",
    "rw",
    "suid",
    "dev",
    "exec",
    "async",
    "atime",
    "diratime",
    "symfollow",
    "rrw",
    "rsuid",
    "rdev",
    "rexec",
    "ratime",
    "rdiratime",
    "rsymfollow",
    "private",
    "rprivate",
];

/// runc's mount flags, propagation and extension words that keel has no equivalent for: a
/// new filesystem would get them as fsconfig parameters, which the kernel refuses.
const UNSUPPORTED: [&str; 26] = [
    "sync",
    "dirsync",
    "mand",
    "nomand",
    "remount",
    "silent",
    "loud",
    "acl",
    "noacl",
    "lazytime",
    "nolazytime",
    "iversion",
    "noiversion",
    "norelatime",
    "nostrictatime",
    "rnorelatime",
    "rnostrictatime",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "unbindable",
    "runbindable",
    "tmpcopyup",
    "idmap",
    "ridmap",
];

/// The filesystems keel mounts by `type`; `cgroup` is cgroup v2, as runc and crun mount it
/// on a unified host, the only layout keel supports.
const FILESYSTEMS: [(&str, &str); 8] = [
    ("tmpfs", "tmpfs"),
    ("proc", "proc"),
    ("sysfs", "sysfs"),
    ("devpts", "devpts"),
    ("mqueue", "mqueue"),
    ("cgroup", "cgroup2"),
    ("cgroup2", "cgroup2"),
    ("devtmpfs", "devtmpfs"),
];

/// Parses `json` and converts it; relative paths in it are relative to `bundle`.
pub fn convert(json: &[u8], bundle: &Path) -> Result<Conversion, String> {
    let spec: Spec =
        serde_json::from_slice(json).map_err(|e| format!("not an OCI runtime config: {e}"))?;
    let given: Json = serde_json::from_slice(json).expect("parsed as a Spec above");
    let mut out = Converter {
        bundle,
        warnings: Vec::new(),
    };
    let toml = out.spec(&spec)?;
    // oci-spec skips the fields it does not know: whatever does not come back when the
    // parsed config is written out again was never seen by the conversion.
    let parsed = serde_json::to_value(&spec).expect("a parsed config serializes");
    out.unknown_fields(&given, &parsed, "");
    Ok(Conversion {
        toml,
        warnings: out.warnings,
    })
}

struct Converter<'a> {
    bundle: &'a Path,
    warnings: Vec<String>,
}

impl Converter<'_> {
    /// A field keel has no equivalent for, and why.
    fn unsupported(&mut self, path: impl Display, why: impl Display) {
        self.warnings
            .push(format!("{path}: not supported ({why}); dropped"));
    }

    fn spec(&mut self, spec: &Spec) -> Result<Table, String> {
        let mut toml = Table::new();
        if let Some(process) = spec.process() {
            let mut table = self.process(process)?;
            if let Some(seccomp) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref())
                && let Some(seccomp) = self.seccomp(seccomp)
            {
                table.insert("seccomp".into(), seccomp.into());
            }
            toml.insert("process".into(), table.into());
        }
        if let Some(linux) = spec.linux() {
            let cgroup =
                self.cgroup(linux.resources().as_ref(), linux.cgroups_path().as_deref())?;
            if !cgroup.is_empty() {
                toml.insert("cgroup".into(), cgroup.into());
            }
        }
        let namespaces = self.namespaces(spec);
        if !namespaces.is_empty() {
            toml.insert("namespaces".into(), namespaces.into());
        }
        let mounts = self.mounts_table(spec)?;
        if !mounts.is_empty() {
            toml.insert("mounts".into(), mounts.into());
        }
        let mut entries = Vec::new();
        for (index, mount) in spec.mounts().iter().flatten().enumerate() {
            if let Some(entry) = self.mount(index, mount)? {
                entries.push(Value::from(entry));
            }
        }
        if !entries.is_empty() {
            toml.insert("mount".into(), entries.into());
        }
        if let Some(linux) = spec.linux() {
            self.linux_unsupported(linux);
        }
        if spec.hooks().is_some() {
            self.unsupported("hooks", "keel runs no hooks");
        }
        for (field, present) in [
            ("solaris", spec.solaris().is_some()),
            ("windows", spec.windows().is_some()),
            ("vm", spec.vm().is_some()),
            ("zos", spec.zos().is_some()),
        ] {
            if present {
                self.unsupported(field, "keel runs Linux processes only");
            }
        }
        Ok(toml)
    }

    /// `[process]`. OCI's env is the whole environment, hence `env_clear`.
    fn process(&mut self, p: &Process) -> Result<Table, String> {
        let mut t = Table::new();
        if let Some(args) = p.args() {
            t.insert("args".into(), strings(args));
        }
        t.insert("env_clear".into(), true.into());
        if let Some(env) = p.env().as_ref().filter(|env| !env.is_empty()) {
            t.insert("env".into(), strings(env));
        }
        t.insert("cwd".into(), text(p.cwd(), "process.cwd")?.into());
        if p.no_new_privileges() == Some(true) {
            t.insert("no_new_privileges".into(), true.into());
        }
        if let Some(adj) = p.oom_score_adj() {
            t.insert("oom_score_adj".into(), i64::from(adj).into());
        }
        let user = p.user();
        let mut u = Table::new();
        u.insert("uid".into(), i64::from(user.uid()).into());
        u.insert("gid".into(), i64::from(user.gid()).into());
        if let Some(gids) = user.additional_gids().as_ref().filter(|g| !g.is_empty()) {
            let gids = gids.iter().map(|&gid| Value::from(i64::from(gid)));
            u.insert("additional_gids".into(), Value::Array(gids.collect()));
        }
        if let Some(umask) = user.umask() {
            u.insert("umask".into(), format!("{umask:04o}").into());
        }
        if user.username().is_some() {
            self.unsupported("process.user.username", "a Windows field");
        }
        t.insert("user".into(), u.into());
        if let Some(caps) = p.capabilities() {
            t.insert("capabilities".into(), self.capabilities(caps).into());
        }
        let mut rlimits = Vec::new();
        for (i, rlimit) in p.rlimits().iter().flatten().enumerate() {
            let (Some(soft), Some(hard)) =
                (rlimit_value(rlimit.soft()), rlimit_value(rlimit.hard()))
            else {
                self.warnings.push(format!(
                    "process.rlimits[{i}]: a value above 2^63 other than unlimited (2^64-1) is not supported; dropped"
                ));
                continue;
            };
            let mut r = Table::new();
            r.insert("type".into(), json_name(&rlimit.typ()).into());
            r.insert("soft".into(), soft);
            r.insert("hard".into(), hard);
            rlimits.push(Value::from(r));
        }
        if !rlimits.is_empty() {
            t.insert("rlimits".into(), rlimits.into());
        }
        if p.terminal() == Some(true) {
            self.unsupported("process.terminal", "keel has no terminal allocation");
        }
        for (field, present, why) in [
            (
                "consoleSize",
                p.console_size().is_some(),
                "keel has no terminal allocation",
            ),
            ("commandLine", p.command_line().is_some(), "a Windows field"),
            (
                "apparmorProfile",
                p.apparmor_profile().is_some(),
                "keel applies no AppArmor profile",
            ),
            (
                "selinuxLabel",
                p.selinux_label().is_some(),
                "keel sets no SELinux label",
            ),
            (
                "ioPriority",
                p.io_priority().is_some(),
                "keel sets no I/O priority",
            ),
            (
                "scheduler",
                p.scheduler().is_some(),
                "keel sets no scheduling policy",
            ),
            (
                "execCPUAffinity",
                p.exec_cpu_affinity().is_some(),
                "keel sets no CPU affinity",
            ),
        ] {
            if present {
                self.unsupported(format!("process.{field}"), why);
            }
        }
        Ok(t)
    }

    /// `[process.seccomp]`, in the names of OCI's `linux.seccomp` (actions, architectures,
    /// flags and operators as libseccomp spells them). None when it needs a seccomp agent.
    fn seccomp(&mut self, s: &LinuxSeccomp) -> Option<Table> {
        if s.default_action() == LinuxSeccompAction::ScmpActNotify {
            self.unsupported(
                "linux.seccomp",
                "its defaultAction SCMP_ACT_NOTIFY needs a seccomp agent, which keel has no listener for",
            );
            return None;
        }
        let mut t = Table::new();
        t.insert(
            "default_action".into(),
            json_name(&s.default_action()).into(),
        );
        if let Some(errno) = s.default_errno_ret() {
            t.insert("default_errno_ret".into(), i64::from(errno).into());
        }
        if let Some(arches) = s.architectures().as_ref().filter(|a| !a.is_empty()) {
            t.insert("architectures".into(), names(arches));
        }
        if let Some(flags) = s.flags().as_ref().filter(|f| !f.is_empty()) {
            t.insert("flags".into(), names(flags));
        }
        for (field, present) in [
            ("listenerPath", s.listener_path().is_some()),
            ("listenerMetadata", s.listener_metadata().is_some()),
        ] {
            if present {
                self.unsupported(
                    format!("linux.seccomp.{field}"),
                    "keel has no seccomp agent",
                );
            }
        }
        let mut syscalls = Vec::new();
        for (i, rule) in s.syscalls().iter().flatten().enumerate() {
            if rule.action() == LinuxSeccompAction::ScmpActNotify {
                self.unsupported(
                    format!("linux.seccomp.syscalls[{i}]"),
                    "SCMP_ACT_NOTIFY needs a seccomp agent, which keel has no listener for",
                );
                continue;
            }
            let mut r = Table::new();
            r.insert("names".into(), strings(rule.names()));
            r.insert("action".into(), json_name(&rule.action()).into());
            if let Some(errno) = rule.errno_ret() {
                r.insert("errno_ret".into(), i64::from(errno).into());
            }
            if let Some(args) = rule.args().as_ref().filter(|a| !a.is_empty()) {
                let args = args.iter().map(|arg| {
                    let mut a = Table::new();
                    let index = i64::try_from(arg.index()).expect("an argument index is small");
                    a.insert("index".into(), index.into());
                    a.insert("value".into(), value_text(arg.value()));
                    if let Some(two) = arg.value_two() {
                        a.insert("value_two".into(), value_text(two));
                    }
                    a.insert("op".into(), json_name(&arg.op()).into());
                    Value::from(a)
                });
                r.insert("args".into(), Value::Array(args.collect()));
            }
            syscalls.push(Value::from(r));
        }
        if !syscalls.is_empty() {
            t.insert("syscalls".into(), syscalls.into());
        }
        Some(t)
    }

    /// The capability sets by name, sorted: oci-spec keeps them unordered.
    fn capabilities(&mut self, caps: &LinuxCapabilities) -> Table {
        let sorted = |set: &Option<Capabilities>| {
            let mut names: Vec<String> = set.iter().flatten().map(json_name).collect();
            names.sort();
            names
        };
        let (permitted, inheritable) = (sorted(caps.permitted()), sorted(caps.inheritable()));
        let mut t = Table::new();
        for (set, names) in [
            ("bounding", caps.bounding()),
            ("effective", caps.effective()),
            ("permitted", caps.permitted()),
            ("inheritable", caps.inheritable()),
            ("ambient", caps.ambient()),
        ] {
            if names.is_none() {
                continue;
            }
            let mut names = sorted(names);
            if set == "ambient" {
                // The kernel raises an ambient capability only if it is permitted and
                // inheritable; runc and crun skip the others with a warning (their own
                // default configs list ambient capabilities with no inheritable ones).
                names.retain(|name| {
                    let raisable = permitted.contains(name) && inheritable.contains(name);
                    if !raisable {
                        self.warnings.push(format!(
                            "process.capabilities.ambient {name:?}: not permitted and inheritable, so the kernel cannot raise it (runc and crun skip it too); dropped"
                        ));
                    }
                    raisable
                });
            }
            t.insert(
                set.into(),
                Value::Array(names.into_iter().map(Value::from).collect()),
            );
        }
        t
    }

    /// `[namespaces]`: linux.namespaces, the id maps, the names and the time offsets.
    fn namespaces(&mut self, spec: &Spec) -> Table {
        let mut t = Table::new();
        let Some(linux) = spec.linux() else {
            return t;
        };
        let mut unshare = Vec::new();
        for (i, ns) in linux.namespaces().iter().flatten().enumerate() {
            let name = match ns.typ() {
                LinuxNamespaceType::Network => "net".to_owned(),
                typ => json_name(&typ),
            };
            if let Some(path) = ns.path() {
                self.unsupported(
                    format!("linux.namespaces[{i}] ({name} at {})", path.display()),
                    format!("keel cannot join an existing namespace: the workload stays in keel's {name} namespace"),
                );
                continue;
            }
            unshare.push(Value::from(name));
        }
        if !unshare.is_empty() {
            t.insert("unshare".into(), unshare.into());
        }
        for (field, maps) in [
            ("uid_mappings", linux.uid_mappings()),
            ("gid_mappings", linux.gid_mappings()),
        ] {
            if let Some(maps) = maps.as_ref().filter(|m| !m.is_empty()) {
                t.insert(field.into(), id_maps(maps));
            }
        }
        for (field, name) in [
            ("hostname", spec.hostname()),
            ("domainname", spec.domainname()),
        ] {
            if let Some(name) = name {
                t.insert(field.into(), name.clone().into());
            }
        }
        let mut offsets = Table::new();
        let mut clocks: Vec<_> = linux.time_offsets().iter().flatten().collect();
        clocks.sort_by(|a, b| a.0.cmp(b.0));
        for (clock, offset) in clocks {
            if clock != "monotonic" && clock != "boottime" {
                self.unsupported(
                    format!("linux.timeOffsets[{clock:?}]"),
                    "time namespaces offset only monotonic and boottime",
                );
                continue;
            }
            let mut o = Table::new();
            o.insert("secs".into(), offset.secs().unwrap_or_default().into());
            if let Some(nanos) = offset.nanosecs().filter(|&n| n != 0) {
                o.insert("nanosecs".into(), i64::from(nanos).into());
            }
            offsets.insert(clock.clone(), o.into());
        }
        if !offsets.is_empty() {
            t.insert("time_offsets".into(), offsets.into());
        }
        t
    }

    /// `[mounts]`: root.path made absolute, root.readonly, maskedPaths and readonlyPaths.
    fn mounts_table(&mut self, spec: &Spec) -> Result<Table, String> {
        let mut t = Table::new();
        if let Some(root) = spec.root() {
            let path = self.bundle.join(root.path());
            let path = std::path::absolute(&path)
                .map_err(|e| format!("root.path: {}: {e}", path.display()))?;
            t.insert("root".into(), text(&path, "root.path")?.into());
            if root.readonly() == Some(true) {
                t.insert("root_readonly".into(), true.into());
            }
        }
        let Some(linux) = spec.linux() else {
            return Ok(t);
        };
        for (field, paths) in [
            ("masked", linux.masked_paths()),
            ("readonly", linux.readonly_paths()),
        ] {
            if let Some(paths) = paths.as_ref().filter(|p| !p.is_empty()) {
                t.insert(field.into(), strings(paths));
            }
        }
        if let Some(propagation) = linux.rootfs_propagation()
            && !matches!(propagation.as_str(), "private" | "rprivate")
        {
            self.unsupported(
                format!("linux.rootfsPropagation ({propagation:?})"),
                "keel makes every mount of the workload's namespace private (rprivate)",
            );
        }
        Ok(t)
    }

    /// A `[[mount]]`, or None (with a warning) for a kind keel does not mount.
    fn mount(&mut self, index: usize, m: &Mount) -> Result<Option<Table>, String> {
        let at = format!("mounts[{index}]");
        let options = m.options().as_deref().unwrap_or_default();
        let kind = m.typ().as_deref().unwrap_or_default();
        let bind = kind == "bind" || options.iter().any(|o| o == "bind" || o == "rbind");
        let keel_type = if bind {
            "bind"
        } else if kind == "overlay" {
            "overlay"
        } else if let Some(&(_, keel)) = FILESYSTEMS.iter().find(|(oci, _)| *oci == kind) {
            keel
        } else {
            self.unsupported(
                format!("{at} ({kind:?} on {})", m.destination().display()),
                "keel mounts bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup, cgroup2, overlay and devtmpfs",
            );
            return Ok(None);
        };
        let mut t = Table::new();
        t.insert(
            "destination".into(),
            text(m.destination(), &format!("{at}.destination"))?.into(),
        );
        t.insert("type".into(), keel_type.into());
        if bind {
            let source = m.source().as_deref().unwrap_or(Path::new(""));
            // runc resolves a relative source from the bundle, where it runs.
            let source = std::path::absolute(self.bundle.join(source))
                .map_err(|e| format!("{at}.source: {e}"))?;
            t.insert(
                "source".into(),
                text(&source, &format!("{at}.source"))?.into(),
            );
        }
        let mut words: Vec<String> = Vec::new();
        let mut overlay = Table::new();
        for option in options {
            let word = option.as_str();
            let recursive_attr = word.strip_prefix('r').filter(|attr| is_attr(attr));
            let keep = if is_attr(word) || (bind && (word == "bind" || word == "rbind")) {
                Some(word)
            } else if let Some(attr) = recursive_attr {
                // One mount, or with rbind a tree keel applies the attributes to whole.
                Some(attr)
            } else if DEFAULTS.contains(&word) {
                None
            } else if UNSUPPORTED.contains(&word) {
                self.unsupported(
                    format!("{at}.options {word:?}"),
                    "keel has no such mount setting",
                );
                None
            } else if keel_type == "overlay" {
                self.overlay_option(&at, word, &mut overlay);
                None
            } else if bind {
                self.unsupported(
                    format!("{at}.options {word:?}"),
                    "a bind mount takes only attribute words",
                );
                None
            } else {
                // Everything else is the filesystem's own parameter, which keel passes to
                // fsconfig as it is.
                Some(word)
            };
            if let Some(word) = keep.filter(|w| !words.iter().any(|k| k == w)) {
                words.push(word.to_owned());
            }
        }
        if !words.is_empty() {
            t.insert(
                "options".into(),
                Value::Array(words.into_iter().map(Value::from).collect()),
            );
        }
        t.extend(overlay);
        if m.uid_mappings().is_some() || m.gid_mappings().is_some() {
            self.unsupported(
                format!("{at} id mappings"),
                "keel makes no id-mapped mounts",
            );
        }
        Ok(Some(t))
    }

    /// An overlay's `lowerdir=`, `upperdir=` and `workdir=` as keel's lower, upper and work.
    fn overlay_option(&mut self, at: &str, word: &str, overlay: &mut Table) {
        match word.split_once('=') {
            Some(("lowerdir", layers)) => {
                let layers = layers.split(':').map(Value::from);
                overlay.insert("lower".into(), Value::Array(layers.collect()));
            }
            Some(("upperdir", dir)) => {
                overlay.insert("upper".into(), dir.into());
            }
            Some(("workdir", dir)) => {
                overlay.insert("work".into(), dir.into());
            }
            _ => self.unsupported(
                format!("{at}.options {word:?}"),
                "keel's overlays take only lowerdir, upperdir, workdir and attribute words",
            ),
        }
    }

    /// `[cgroup]`: the container's cgroup is keel's leaf, which holds keel and the workload,
    /// as the container's cgroup holds its whole tree; linux.resources are its limits.
    fn cgroup(
        &mut self,
        resources: Option<&LinuxResources>,
        path: Option<&Path>,
    ) -> Result<Table, String> {
        let mut t = Table::new();
        let leaf = match path {
            Some(path) => self.leaf(text(path, "linux.cgroupsPath")?),
            None => None,
        };
        let limits = resources.map(|r| self.limits(r)).unwrap_or_default();
        if leaf.is_none() && limits.is_empty() {
            return Ok(t);
        }
        let leaf_name = match &leaf {
            Some(leaf) => leaf.clone(),
            None => DEFAULT_LEAF.to_str().expect("ASCII").to_owned(),
        };
        if let Some(leaf) = &leaf {
            t.insert("leaf".into(), leaf.clone().into());
            // A controller's files exist in a cgroup only when its parent enables the
            // controller, so each ancestor of a nested leaf is a delegate that does.
            let ancestors: Vec<Value> = leaf
                .match_indices('/')
                .map(|(end, _)| {
                    let mut d = Table::new();
                    d.insert("path".into(), leaf[..end].into());
                    Value::from(d)
                })
                .collect();
            if !ancestors.is_empty() {
                t.insert("delegate".into(), ancestors.into());
            }
        }
        if !limits.is_empty() {
            let mut files = Table::new();
            files.extend(limits);
            let mut by_cgroup = Table::new();
            by_cgroup.insert(leaf_name, files.into());
            t.insert("limits".into(), by_cgroup.into());
        }
        Ok(t)
    }

    /// keel's leaf for `cgroupsPath`, relative to keel's own cgroup as keel's paths are.
    fn leaf(&mut self, path: String) -> Option<String> {
        if path.contains(':') {
            self.unsupported(
                format!("linux.cgroupsPath ({path:?})"),
                "the systemd slice:prefix:name form; keel creates cgroupfs paths",
            );
            return None;
        }
        let relative = path.trim_matches('/');
        if relative.is_empty() {
            self.unsupported(
                "linux.cgroupsPath",
                "the cgroup root is not a cgroup keel creates",
            );
            return None;
        }
        if path.starts_with('/') {
            self.warnings.push(format!(
                "linux.cgroupsPath: {path:?} is from the cgroup root, keel's paths from keel's own cgroup (the same in a container with its own cgroup namespace); using {relative:?}"
            ));
        }
        Some(relative.to_owned())
    }

    /// The cgroup v2 files and values for linux.resources, converted as runc and crun do.
    fn limits(&mut self, r: &LinuxResources) -> Vec<(String, Value)> {
        let mut limits: Vec<(String, Value)> = Vec::new();
        let mut set = |file: &str, value: Value| limits.push((file.to_owned(), value));
        if let Some(memory) = r.memory() {
            let at = "linux.resources.memory";
            if let Some(limit) = memory.limit().and_then(max_or_number) {
                set("memory.max", limit);
            }
            if let Some(low) = memory.reservation().and_then(max_or_number) {
                set("memory.low", low);
            }
            if let Some(swap) = memory.swap() {
                match swap_max(swap, memory.limit().unwrap_or(0)) {
                    Ok(value) => {
                        if let Some(value) = max_or_number(value) {
                            set("memory.swap.max", value);
                        }
                    }
                    Err(why) => self
                        .warnings
                        .push(format!("{at}.swap: {why}, which runc refuses; dropped")),
                }
            }
            for (field, present, why) in [
                (
                    "kernel",
                    memory.kernel().is_some(),
                    "cgroup v2 has no kernel memory limit",
                ),
                (
                    "kernelTCP",
                    memory.kernel_tcp().is_some(),
                    "cgroup v2 has no kernel TCP limit",
                ),
                (
                    "swappiness",
                    memory.swappiness().is_some(),
                    "cgroup v2 has no swappiness",
                ),
                (
                    "disableOOMKiller",
                    memory.disable_oom_killer() == Some(true),
                    "cgroup v2 cannot turn the OOM killer off",
                ),
                (
                    "useHierarchy",
                    memory.use_hierarchy() == Some(false),
                    "cgroup v2 is always hierarchical",
                ),
            ] {
                if present {
                    self.unsupported(format!("{at}.{field}"), why);
                }
            }
        }
        if let Some(cpu) = r.cpu() {
            let at = "linux.resources.cpu";
            if let Some(shares) = cpu.shares().filter(|&s| s != 0) {
                set("cpu.weight", cpu_weight(shares).into());
            }
            let (quota, period) = (cpu.quota().unwrap_or(0), cpu.period().unwrap_or(0));
            if quota != 0 || period != 0 {
                let quota = if quota > 0 {
                    quota.to_string()
                } else {
                    "max".to_owned()
                };
                let max = if period != 0 {
                    format!("{quota} {period}")
                } else {
                    quota
                };
                set("cpu.max", max.into());
            }
            if let Some(burst) = cpu.burst() {
                set("cpu.max.burst", u64_value(burst));
            }
            if let Some(idle) = cpu.idle() {
                set("cpu.idle", idle.into());
            }
            if let Some(cpus) = cpu.cpus().as_ref().filter(|c| !c.is_empty()) {
                set("cpuset.cpus", cpus.clone().into());
            }
            if let Some(mems) = cpu.mems().as_ref().filter(|m| !m.is_empty()) {
                set("cpuset.mems", mems.clone().into());
            }
            if cpu.realtime_runtime().is_some() || cpu.realtime_period().is_some() {
                self.unsupported(
                    format!("{at}.realtimeRuntime/realtimePeriod"),
                    "cgroup v2 has no realtime CPU budget",
                );
            }
        }
        if let Some(max) = r
            .pids()
            .as_ref()
            .and_then(|pids| max_or_number(pids.limit()))
        {
            set("pids.max", max);
        }
        if let Some(io) = r.block_io() {
            let at = "linux.resources.blockIO";
            if let Some(weight) = io.weight().filter(|&w| w != 0) {
                set("io.weight", io_weight(weight).into());
            }
            for (field, present) in [
                ("leafWeight", io.leaf_weight().is_some()),
                ("weightDevice", io.weight_device().is_some()),
                (
                    "throttleReadBpsDevice",
                    io.throttle_read_bps_device().is_some(),
                ),
                (
                    "throttleWriteBpsDevice",
                    io.throttle_write_bps_device().is_some(),
                ),
                (
                    "throttleReadIOPSDevice",
                    io.throttle_read_iops_device().is_some(),
                ),
                (
                    "throttleWriteIOPSDevice",
                    io.throttle_write_iops_device().is_some(),
                ),
            ] {
                if present {
                    self.unsupported(
                        format!("{at}.{field}"),
                        "keel writes one value per cgroup file, not one per device",
                    );
                }
            }
        }
        for page in r.hugepage_limits().iter().flatten() {
            let file = format!("hugetlb.{}.max", page.page_size());
            set(
                &file,
                max_or_number(page.limit()).unwrap_or_else(|| 0.into()),
            );
        }
        // Last, as runc does: a unified value overrides the one converted above.
        let mut unified: Vec<_> = r.unified().iter().flatten().collect();
        unified.sort();
        for (file, value) in unified {
            limits.retain(|(f, _)| f != file);
            limits.push((file.clone(), value.clone().into()));
        }
        if r.devices().as_ref().is_some_and(|d| !d.is_empty()) {
            self.unsupported(
                "linux.resources.devices",
                "keel has no device cgroup, which cgroup v2 implements as an eBPF program",
            );
        }
        if r.network().is_some() {
            self.unsupported(
                "linux.resources.network",
                "cgroup v2 has no net_cls or net_prio",
            );
        }
        if r.rdma().is_some() {
            self.unsupported(
                "linux.resources.rdma",
                "keel writes one value per cgroup file, not one per device",
            );
        }
        limits
    }

    /// The rest of `linux`, none of which keel can express.
    fn linux_unsupported(&mut self, linux: &oci_spec::runtime::Linux) {
        let mut sysctls: Vec<_> = linux.sysctl().iter().flatten().map(|(k, _)| k).collect();
        sysctls.sort();
        for key in sysctls {
            self.unsupported(format!("linux.sysctl[{key:?}]"), "keel sets no sysctls");
        }
        for (field, present, why) in [
            (
                "devices",
                linux.devices().is_some(),
                "keel creates no device nodes",
            ),
            (
                "mountLabel",
                linux.mount_label().is_some(),
                "keel sets no SELinux mount label",
            ),
            (
                "intelRdt",
                linux.intel_rdt().is_some(),
                "keel has no resctrl support",
            ),
            (
                "memoryPolicy",
                linux.memory_policy().is_some(),
                "keel sets no NUMA memory policy",
            ),
            (
                "personality",
                linux.personality().is_some(),
                "keel sets no execution domain",
            ),
            (
                "netDevices",
                linux.net_devices().is_some(),
                "keel moves no network devices",
            ),
        ] {
            if present {
                self.unsupported(format!("linux.{field}"), why);
            }
        }
    }

    /// A warning for each field of `given` that is not in `parsed`.
    fn unknown_fields(&mut self, given: &Json, parsed: &Json, path: &str) {
        match (given, parsed) {
            (Json::Object(given), Json::Object(parsed)) => {
                for (key, value) in given {
                    let at = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    match parsed.get(key) {
                        Some(known) => self.unknown_fields(value, known, &at),
                        // null is how JSON writes an absent field.
                        None if value.is_null() => {}
                        None => self.unsupported(
                            at,
                            "unknown to oci-spec, the OCI runtime spec model keel-gen reads",
                        ),
                    }
                }
            }
            (Json::Array(given), Json::Array(parsed)) => {
                for (i, (value, known)) in given.iter().zip(parsed).enumerate() {
                    self.unknown_fields(value, known, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }
}
