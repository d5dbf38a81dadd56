//! `from-oci`: an OCI runtime bundle's `config.json` (parsed by the oci-spec crate) as keel's
//! TOML, field by field. What keel can express becomes its field; what it cannot is a
//! warning named by the field's JSON path, so nothing is dropped silently. `ociVersion` and
//! `annotations` are left out without a warning: they describe the config and carry tools'
//! notes, and change nothing in how a runtime sets the container up.
//!
//! The conversion builds the schema's own types (`schema::Document` and the section tables),
//! so each field's name is written once, in its serde type, and the TOML printed is what
//! `build` reads and `inspect` prints, in the same order.

use std::fmt::Display;
use std::path::Path;

use keel_wire::DEFAULT_LEAF;
use oci_spec::runtime::{
    Capabilities, LinuxCapabilities, LinuxNamespaceType, LinuxResources, LinuxSeccomp,
    LinuxSeccompAction, Mount, Process, Spec,
};
use serde_json::Value as Json;
use toml::Value;

#[cfg(test)]
mod tests;
mod values;

use crate::cgroup::{CgroupTable, DelegateTable, Pairs};
use crate::field::unspanned;
use crate::mounts::{MountTable, MountsTable};
use crate::namespaces::{NamespacesTable, Offset, TimeOffsetsTable};
use crate::schema::{Document, ProcessTable};
use crate::seccomp::{ArgTable, SeccompTable, SyscallTable, value_text};
use crate::security::{CapabilitiesTable, RlimitTable, UserTable};

use values::{
    cpu_weight, id_maps, io_weight, is_attr, json_name, max_or_number, names, rlimit_value,
    strings, swap_max, text, u64_value,
};

/// keel's document for a config.json, and what it could not express.
pub struct Conversion {
    pub document: Document,
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
    let document = out.spec(&spec)?;
    // oci-spec skips the fields it does not know: whatever does not come back when the
    // parsed config is written out again was never seen by the conversion.
    let parsed = serde_json::to_value(&spec).expect("a parsed config serializes");
    out.unknown_fields(&given, &parsed, "");
    Ok(Conversion {
        document,
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

    fn spec(&mut self, spec: &Spec) -> Result<Document, String> {
        let mut document = Document::default();
        if let Some(process) = spec.process() {
            let mut table = self.process(process)?;
            if let Some(seccomp) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
                table.seccomp = self.seccomp(seccomp);
            }
            document.process = Some(table);
        }
        if let Some(linux) = spec.linux() {
            document.cgroup =
                self.cgroup(linux.resources().as_ref(), linux.cgroups_path().as_deref())?;
        }
        document.namespaces = self.namespaces(spec).map(unspanned);
        document.mounts = self.mounts_table(spec)?;
        let mut entries = Vec::new();
        for (index, mount) in spec.mounts().iter().flatten().enumerate() {
            if let Some(entry) = self.mount(index, mount)? {
                entries.push(unspanned(entry));
            }
        }
        document.mount = (!entries.is_empty()).then_some(entries);
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
        Ok(document)
    }

    /// `[process]`. OCI's env is the whole environment, hence `env_clear`.
    fn process(&mut self, p: &Process) -> Result<ProcessTable, String> {
        let user = p.user();
        if user.username().is_some() {
            self.unsupported("process.user.username", "a Windows field");
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
            rlimits.push(unspanned(RlimitTable {
                kind: unspanned(json_name(&rlimit.typ())),
                soft: unspanned(soft),
                hard: unspanned(hard),
            }));
        }
        let table = ProcessTable {
            args: p.args().as_deref().map(strings),
            env: p
                .env()
                .as_deref()
                .filter(|env| !env.is_empty())
                .map(strings),
            env_clear: Some(unspanned(true)),
            cwd: Some(unspanned(text(p.cwd(), "process.cwd")?)),
            no_new_privileges: p.no_new_privileges().filter(|&set| set),
            oom_score_adj: p.oom_score_adj().map(|adj| unspanned(adj.into())),
            user: Some(unspanned(UserTable {
                uid: Some(unspanned(user.uid().into())),
                gid: Some(unspanned(user.gid().into())),
                additional_gids: user
                    .additional_gids()
                    .as_ref()
                    .filter(|gids| !gids.is_empty())
                    .map(|gids| unspanned(gids.iter().map(|&gid| unspanned(gid.into())).collect())),
                umask: user
                    .umask()
                    .map(|umask| unspanned(format!("{umask:04o}").into())),
            })),
            capabilities: p
                .capabilities()
                .as_ref()
                .map(|caps| self.capabilities(caps)),
            rlimits: (!rlimits.is_empty()).then_some(rlimits),
            ..ProcessTable::default()
        };
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
        Ok(table)
    }

    /// `[process.seccomp]`, in the names of OCI's `linux.seccomp` (actions, architectures,
    /// flags and operators as libseccomp spells them). None when it needs a seccomp agent.
    fn seccomp(&mut self, s: &LinuxSeccomp) -> Option<SeccompTable> {
        if s.default_action() == LinuxSeccompAction::ScmpActNotify {
            self.unsupported(
                "linux.seccomp",
                "its defaultAction SCMP_ACT_NOTIFY needs a seccomp agent, which keel has no listener for",
            );
            return None;
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
            let args = rule
                .args()
                .as_ref()
                .filter(|args| !args.is_empty())
                .map(|args| {
                    let args = args.iter().map(|arg| {
                        unspanned(ArgTable {
                            index: unspanned(
                                i64::try_from(arg.index()).expect("an argument index is small"),
                            ),
                            value: unspanned(value_text(arg.value())),
                            value_two: arg.value_two().map(|two| unspanned(value_text(two))),
                            op: unspanned(json_name(&arg.op())),
                        })
                    });
                    unspanned(args.collect())
                });
            syscalls.push(unspanned(SyscallTable {
                names: strings(rule.names()),
                action: unspanned(json_name(&rule.action())),
                errno_ret: rule
                    .errno_ret()
                    .map(|errno| unspanned(i64::from(errno).into())),
                args,
            }));
        }
        Some(SeccompTable {
            default_action: unspanned(json_name(&s.default_action())),
            default_errno_ret: s
                .default_errno_ret()
                .map(|errno| unspanned(i64::from(errno).into())),
            architectures: s
                .architectures()
                .as_deref()
                .filter(|a| !a.is_empty())
                .map(names),
            flags: s.flags().as_deref().filter(|f| !f.is_empty()).map(names),
            syscalls: (!syscalls.is_empty()).then(|| unspanned(syscalls)),
        })
    }

    /// The capability sets by name, sorted: oci-spec keeps them unordered.
    fn capabilities(&mut self, caps: &LinuxCapabilities) -> CapabilitiesTable {
        let sorted = |set: &Option<Capabilities>| {
            let mut names: Vec<String> = set.iter().flatten().map(json_name).collect();
            names.sort();
            names
        };
        let list = |set: &Option<Capabilities>| {
            set.is_some()
                .then(|| unspanned(sorted(set).into_iter().map(unspanned).collect()))
        };
        let (permitted, inheritable) = (sorted(caps.permitted()), sorted(caps.inheritable()));
        let ambient = caps.ambient().is_some().then(|| {
            let mut names = sorted(caps.ambient());
            // The kernel raises an ambient capability only if it is permitted and
            // inheritable; runc and crun skip the others with a warning (their own default
            // configs list ambient capabilities with no inheritable ones).
            names.retain(|name| {
                let raisable = permitted.contains(name) && inheritable.contains(name);
                if !raisable {
                    self.warnings.push(format!(
                        "process.capabilities.ambient {name:?}: not permitted and inheritable, so the kernel cannot raise it (runc and crun skip it too); dropped"
                    ));
                }
                raisable
            });
            unspanned(names.into_iter().map(unspanned).collect())
        });
        CapabilitiesTable {
            bounding: list(caps.bounding()),
            effective: list(caps.effective()),
            permitted: list(caps.permitted()),
            inheritable: list(caps.inheritable()),
            ambient,
        }
    }

    /// `[namespaces]`: linux.namespaces, the id maps, the names and the time offsets.
    fn namespaces(&mut self, spec: &Spec) -> Option<NamespacesTable> {
        let linux = spec.linux().as_ref()?;
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
            unshare.push(unspanned(name));
        }
        let mut offsets = TimeOffsetsTable::default();
        let mut clocks: Vec<_> = linux.time_offsets().iter().flatten().collect();
        clocks.sort_by(|a, b| a.0.cmp(b.0));
        for (clock, offset) in clocks {
            let slot = match clock.as_str() {
                "monotonic" => &mut offsets.monotonic,
                "boottime" => &mut offsets.boottime,
                _ => {
                    self.unsupported(
                        format!("linux.timeOffsets[{clock:?}]"),
                        "time namespaces offset only monotonic and boottime",
                    );
                    continue;
                }
            };
            *slot = Some(unspanned(Offset {
                secs: unspanned(offset.secs().unwrap_or_default()),
                nanosecs: offset
                    .nanosecs()
                    .filter(|&n| n != 0)
                    .map(|n| unspanned(n.into())),
            }));
        }
        let maps = |maps: &Option<Vec<_>>| maps.as_deref().filter(|m| !m.is_empty()).map(id_maps);
        let table = NamespacesTable {
            unshare: (!unshare.is_empty()).then(|| unspanned(unshare)),
            hostname: spec.hostname().clone().map(unspanned),
            domainname: spec.domainname().clone().map(unspanned),
            uid_mappings: maps(linux.uid_mappings()),
            gid_mappings: maps(linux.gid_mappings()),
            time_offsets: (offsets != TimeOffsetsTable::default()).then(|| unspanned(offsets)),
            ..NamespacesTable::default()
        };
        (table != NamespacesTable::default()).then_some(table)
    }

    /// `[mounts]`: root.path made absolute, root.readonly, maskedPaths and readonlyPaths.
    fn mounts_table(&mut self, spec: &Spec) -> Result<Option<MountsTable>, String> {
        let mut table = MountsTable::default();
        if let Some(root) = spec.root() {
            let path = self.bundle.join(root.path());
            let path = std::path::absolute(&path)
                .map_err(|e| format!("root.path: {}: {e}", path.display()))?;
            table.root = Some(unspanned(text(&path, "root.path")?));
            table.root_readonly = root.readonly().filter(|&set| set).map(unspanned);
        }
        if let Some(linux) = spec.linux() {
            let paths = |paths: &Option<Vec<String>>| {
                paths.as_deref().filter(|p| !p.is_empty()).map(strings)
            };
            table.masked = paths(linux.masked_paths());
            table.readonly = paths(linux.readonly_paths());
            if let Some(propagation) = linux.rootfs_propagation()
                && !matches!(propagation.as_str(), "private" | "rprivate")
            {
                self.unsupported(
                    format!("linux.rootfsPropagation ({propagation:?})"),
                    "keel makes every mount of the workload's namespace private (rprivate)",
                );
            }
        }
        Ok((table != MountsTable::default()).then_some(table))
    }

    /// A `[[mount]]`, or None (with a warning) for a kind keel does not mount.
    fn mount(&mut self, index: usize, m: &Mount) -> Result<Option<MountTable>, String> {
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
        let mut table = MountTable {
            destination: unspanned(text(m.destination(), &format!("{at}.destination"))?),
            kind: unspanned(keel_type.to_owned()),
            source: None,
            options: None,
            lower: None,
            upper: None,
            work: None,
            size: None,
        };
        if bind {
            let source = m.source().as_deref().unwrap_or(Path::new(""));
            // runc resolves a relative source from the bundle, where it runs.
            let source = std::path::absolute(self.bundle.join(source))
                .map_err(|e| format!("{at}.source: {e}"))?;
            table.source = Some(unspanned(text(&source, &format!("{at}.source"))?));
        }
        let mut words: Vec<String> = Vec::new();
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
                self.overlay_option(&at, word, &mut table);
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
            table.options = Some(strings(&words));
        }
        if m.uid_mappings().is_some() || m.gid_mappings().is_some() {
            self.unsupported(
                format!("{at} id mappings"),
                "keel makes no id-mapped mounts",
            );
        }
        Ok(Some(table))
    }

    /// An overlay's `lowerdir=`, `upperdir=` and `workdir=` as keel's lower, upper and work.
    fn overlay_option(&mut self, at: &str, word: &str, overlay: &mut MountTable) {
        let dir = |dir: &str| Some(unspanned(dir.to_owned()));
        match word.split_once('=') {
            Some(("lowerdir", layers)) => {
                let layers = layers.split(':').map(|layer| unspanned(layer.to_owned()));
                overlay.lower = Some(unspanned(layers.collect()));
            }
            Some(("upperdir", upper)) => overlay.upper = dir(upper),
            Some(("workdir", work)) => overlay.work = dir(work),
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
    ) -> Result<Option<CgroupTable>, String> {
        let leaf = match path {
            Some(path) => self.leaf(text(path, "linux.cgroupsPath")?),
            None => None,
        };
        let limits = resources.map(|r| self.limits(r)).unwrap_or_default();
        if leaf.is_none() && limits.is_empty() {
            return Ok(None);
        }
        let leaf_name = match &leaf {
            Some(leaf) => leaf.clone(),
            None => DEFAULT_LEAF.to_str().expect("ASCII").to_owned(),
        };
        // A controller's files exist in a cgroup only when its parent enables the
        // controller, so each ancestor of a nested leaf is a delegate that does.
        let ancestors: Vec<DelegateTable> = leaf
            .iter()
            .flat_map(|leaf| leaf.match_indices('/').map(|(end, _)| &leaf[..end]))
            .map(|ancestor| DelegateTable {
                path: unspanned(ancestor.to_owned()),
                owner: None,
                enable_controllers: None,
            })
            .collect();
        let limits = (!limits.is_empty()).then(|| {
            let files = limits
                .into_iter()
                .map(|(file, value)| (unspanned(file), unspanned(value)));
            Pairs(vec![(unspanned(leaf_name), Pairs(files.collect()))])
        });
        Ok(Some(CgroupTable {
            leaf: leaf.map(unspanned),
            delegate: (!ancestors.is_empty()).then_some(ancestors),
            limits,
            ..CgroupTable::default()
        }))
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
