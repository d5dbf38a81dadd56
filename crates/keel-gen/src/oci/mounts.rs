//! `[mounts]` and `[[mount]]` from OCI's `root`, `mounts`, `linux.maskedPaths` and
//! `linux.readonlyPaths`: runc's option words sorted into keel's attributes, filesystem
//! parameters and overlay layers, or warnings.

use std::path::Path;

use oci_spec::runtime::{Mount, Spec};

use super::converter::Converter;
use super::values::{is_attr, strings, text};
use crate::field::unspanned;
use crate::mounts::{MountTable, MountsTable};

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

impl Converter<'_> {
    /// `[mounts]`: root.path made absolute, root.readonly, maskedPaths and readonlyPaths.
    pub(super) fn mounts_table(&mut self, spec: &Spec) -> Result<Option<MountsTable>, String> {
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
    pub(super) fn mount(&mut self, index: usize, m: &Mount) -> Result<Option<MountTable>, String> {
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
    pub(super) fn overlay_option(&mut self, at: &str, word: &str, overlay: &mut MountTable) {
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
}
