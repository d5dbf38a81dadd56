//! `[mounts]` and `[[mount]]` (documented by `examples/mounts.toml`): the workload's
//! filesystem view, with OCI's names (`root.path`, `mounts[]` with `destination`, `type`,
//! `source` and `options`, `linux.maskedPaths`, `linux.readonlyPaths`), and the host's checks
//! on what each kind of mount takes.

use std::ffi::CString;

use keel_wire::{
    self as wire, MAX_LOWER_LAYERS, MAX_MOUNT_PATHS, MAX_MOUNTS, Mount, MountKind, Mounts, Record,
    Upper,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::field::{
    List, absolute_path, c_string, list, names_schema, nul_joined, records, text, unique, unspanned,
};
use crate::source::Source;
use crate::suggest::did_you_mean;

/// The kinds by `type`, in wire order.
const KINDS: [(&str, MountKind); 9] = [
    ("bind", MountKind::Bind),
    ("tmpfs", MountKind::Tmpfs),
    ("proc", MountKind::Proc),
    ("sysfs", MountKind::Sysfs),
    ("devpts", MountKind::Devpts),
    ("mqueue", MountKind::Mqueue),
    ("cgroup2", MountKind::Cgroup2),
    ("overlay", MountKind::Overlay),
    ("devtmpfs", MountKind::Devtmpfs),
];

names_schema!(
    /// A mount's `type` in the JSON schema, from [`KINDS`].
    MountType,
    KINDS.iter().map(|(name, _)| (*name).to_owned())
);

/// The attribute words of `options`, in the order `inspect` writes them. `relatime` is the
/// kernel's default atime mode, 0.
pub const ATTRS: [(&str, u64); 9] = [
    ("ro", Mount::RDONLY),
    ("nosuid", Mount::NOSUID),
    ("nodev", Mount::NODEV),
    ("noexec", Mount::NOEXEC),
    ("relatime", 0),
    ("noatime", Mount::NOATIME),
    ("strictatime", Mount::STRICTATIME),
    ("nodiratime", Mount::NODIRATIME),
    ("nosymfollow", Mount::NOSYMFOLLOW),
];
const ATIME_WORDS: [&str; 3] = ["relatime", "noatime", "strictatime"];
const ATTR_WORDS: &str =
    "ro, nosuid, nodev, noexec, relatime, noatime, strictatime, nodiratime, nosymfollow";

/// `[mounts]`: settings for the whole view.
#[derive(Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountsTable {
    /// Absolute directory to pivot_root into (OCI root.path); the host's tree is detached afterwards [none].
    #[schemars(with = "Option<String>")]
    pub root: Option<Spanned<String>>,
    /// Paths hidden from the program (OCI linux.maskedPaths): absolute, at most 64 [none].
    #[schemars(example = serde_json::json!(["/proc/kcore"]))]
    #[schemars(with = "Option<Vec<String>>")]
    pub masked: Option<List>,
    /// Paths made read-only, recursively (OCI linux.readonlyPaths): absolute, at most 64 [none].
    #[schemars(with = "Option<Vec<String>>")]
    pub readonly: Option<List>,
    /// Make the new root's own mount read-only just before the pivot (OCI root.readonly) [false].
    #[schemars(with = "Option<bool>")]
    pub root_readonly: Option<Spanned<bool>>,
    /// Lock the mounts against the program: once built, keel enters a new user and mount namespace, so the program cannot unmount them or change their locked flags [false].
    #[schemars(with = "Option<bool>")]
    pub lock: Option<Spanned<bool>>,
}

/// `[[mount]]`, an OCI `mounts[]` entry.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountTable {
    /// Where the mount goes: an absolute path without "..", each once, created when missing;
    /// "/" (the first mount, with a root) becomes the new root.
    #[schemars(example = serde_json::json!("/proc"))]
    #[schemars(with = "String")]
    pub destination: Spanned<String>,
    /// bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup2, overlay or devtmpfs.
    #[serde(rename = "type")]
    #[schemars(with = "MountType")]
    pub kind: Spanned<String>,
    /// For bind: the absolute host path to bind.
    #[schemars(with = "Option<String>")]
    pub source: Option<Spanned<String>>,
    /// Attribute words (ro, nosuid, nodev, noexec, nosymfollow, nodiratime, relatime, noatime, strictatime), "bind" or "rbind" for bind, and fsconfig parameters ("key=value") for new filesystems.
    #[schemars(example = serde_json::json!(["nosuid", "nodev", "size=64m"]))]
    #[schemars(with = "Option<Vec<String>>")]
    pub options: Option<List>,
    /// For overlay: the lower layers, top first, absolute, 1 to 15.
    #[schemars(with = "Option<Vec<String>>")]
    pub lower: Option<List>,
    /// For overlay: "tmpfs" (writes vanish with the mount) or an absolute directory where they persist [sealed: read-only].
    #[schemars(with = "Option<String>")]
    pub upper: Option<Spanned<String>>,
    /// For overlay with an upper directory: an empty directory on the same filesystem.
    #[schemars(with = "Option<String>")]
    pub work: Option<Spanned<String>>,
    /// For overlay with upper = "tmpfs": the tmpfs's size= value.
    #[schemars(with = "Option<String>")]
    pub size: Option<Spanned<String>>,
}

/// The bytes a `wire::Mounts` borrows.
#[derive(Default)]
pub struct CompiledMounts {
    root: Option<CString>,
    entries: Vec<u8>,
    masked: Vec<u8>,
    readonly: Vec<u8>,
    root_readonly: bool,
    lock: bool,
}

impl CompiledMounts {
    pub fn config(&self) -> Mounts<'_> {
        Mounts {
            root: self.root.as_deref(),
            entries: records(&self.entries),
            masked: records(&self.masked),
            readonly: records(&self.readonly),
            root_readonly: self.root_readonly,
            lock: self.lock,
        }
    }
}

/// Compiles `[mounts]` and the `[[mount]]`s.
pub fn compile(
    source: &Source,
    table: Option<&MountsTable>,
    mounts: &[Spanned<MountTable>],
) -> Result<CompiledMounts, String> {
    let mut out = CompiledMounts::default();
    if let Some(extra) = mounts.get(MAX_MOUNTS) {
        let message = format!("{} mounts; keel allows at most {MAX_MOUNTS}", mounts.len());
        return Err(source.error(extra.span(), message));
    }
    let destinations = mounts.iter().map(|m| {
        (
            m.get_ref().destination.get_ref(),
            m.get_ref().destination.span(),
        )
    });
    unique(source, destinations, |path| {
        format!("two mounts have destination {path:?}")
    })?;
    // A mount on / replaces the new root (keel reopens the root after it): it must come
    // before the mounts that go onto it, and there must be a root to pivot into.
    let on_root = mounts.iter().position(|m| {
        let d = m.get_ref().destination.get_ref();
        !d.is_empty() && d.bytes().all(|c| c == b'/')
    });
    if let Some(at) = on_root
        && (at != 0 || table.is_none_or(|t| t.root.is_none()))
    {
        return Err(source.error(
            mounts[at].get_ref().destination.span(),
            "a mount on / becomes the new root: set [mounts] root, and make it the first [[mount]]",
        ));
    }
    for mount in mounts {
        mount.get_ref().compile(source, &mut out.entries)?;
    }
    let Some(table) = table else {
        return Ok(out);
    };
    if let Some(root) = &table.root {
        out.root = Some(absolute_path(source, root, "root", "/srv/rootfs")?);
    }
    out.masked = paths(source, &table.masked, "masked", "/proc/kcore")?;
    out.readonly = paths(source, &table.readonly, "readonly", "/proc/sys")?;
    if let Some(readonly) = &table.root_readonly {
        if table.root.is_none() && *readonly.get_ref() {
            return Err(source.error(
                readonly.span(),
                "root_readonly needs a root to pivot into: set root, or use readonly = [...] for paths of the current root",
            ));
        }
        out.root_readonly = *readonly.get_ref();
    }
    out.lock = table.lock.as_ref().is_some_and(|lock| *lock.get_ref());
    Ok(out)
}

/// Absolute paths, each once.
fn paths(
    source: &Source,
    list: &Option<List>,
    field: &str,
    example: &str,
) -> Result<Vec<u8>, String> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    entries_absolute(source, list, field, example)?;
    let each = list.get_ref().iter().map(|p| (p.get_ref(), p.span()));
    unique(source, each, |path| format!("{field} lists {path:?} twice"))?;
    nul_joined(source, list, field, MAX_MOUNT_PATHS, |_| None)
}

/// Checks that each entry of `list` is an absolute path, for the field `name` (an `example`
/// of which the error shows).
fn entries_absolute(
    source: &Source,
    list: &List,
    field: &str,
    example: &str,
) -> Result<(), String> {
    for path in list.get_ref() {
        if !path.get_ref().starts_with('/') {
            let message =
                format!("{field} entries must be absolute paths, as in {field} = [\"{example}\"]");
            return Err(source.error(path.span(), message));
        }
        absolute_path(source, path, field, example)?;
    }
    Ok(())
}

/// What a mount's `options` compile to.
#[derive(Default)]
struct Options {
    attrs: u64,
    recursive: bool,
    /// fsconfig parameters, each with its NUL.
    parameters: Vec<u8>,
}

impl MountTable {
    fn compile(&self, source: &Source, out: &mut Vec<u8>) -> Result<(), String> {
        let kind = KINDS
            .iter()
            .find(|(name, _)| name == self.kind.get_ref())
            .map(|&(_, kind)| kind)
            .ok_or_else(|| {
                let message = format!(
                    "unknown mount type {:?}: use bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup2, overlay or devtmpfs{}",
                    self.kind.get_ref(),
                    did_you_mean(self.kind.get_ref(), "", KINDS.map(|(name, _)| name))
                );
                source.error(self.kind.span(), message)
            })?;
        let type_name = self.kind.get_ref();
        let destination = absolute_path(source, &self.destination, "destination", "/data")?;
        wire::check_mount_target(destination.as_bytes()).map_err(|what| {
            let message = format!("destination: {what}: write the path without it");
            source.error(self.destination.span(), message)
        })?;
        let bind_source = match (&self.source, kind) {
            (Some(path), MountKind::Bind) => {
                Some(absolute_path(source, path, "source", "/srv/data")?)
            }
            (None, MountKind::Bind) => {
                return Err(source.error(
                    self.kind.span(),
                    "a bind mount needs source, the host path, as in source = \"/srv/data\"",
                ));
            }
            (Some(path), _) => {
                let message = format!(
                    "source is for type = \"bind\": a {type_name} mount makes a new filesystem"
                );
                return Err(source.error(path.span(), message));
            }
            (None, _) => None,
        };
        let options = self.options(source, kind)?;
        let (lower, upper) = self.layers(source, kind)?;
        let upper = match &upper {
            Layers::Sealed => Upper::Sealed,
            Layers::Tmpfs(size) => Upper::Tmpfs {
                size: size.as_deref(),
            },
            Layers::Dir(upper, work) => Upper::Dir { upper, work },
        };
        let mount = Mount {
            kind,
            source: bind_source.as_deref(),
            target: &destination,
            attrs: options.attrs,
            recursive: options.recursive,
            options: records(&options.parameters),
            lower: records(&lower),
            upper,
        };
        mount.write(|piece| out.extend_from_slice(piece));
        Ok(())
    }

    /// The attribute words, `bind`/`rbind`, and the fsconfig parameters in order.
    fn options(&self, source: &Source, kind: MountKind) -> Result<Options, String> {
        let mut out = Options::default();
        let Some(options) = &self.options else {
            return Ok(out);
        };
        let each = options.get_ref().iter().map(|o| (o.get_ref(), o.span()));
        unique(source, each, |word| format!("options lists {word:?} twice"))?;
        let type_name = self.kind.get_ref();
        let mut atime: Option<&str> = None;
        let mut bind_word: Option<&str> = None;
        let mut parameters = 0;
        for option in options.get_ref() {
            let word = option.get_ref().as_str();
            let error = |message: String| Err(source.error(option.span(), message));
            if let Some(&(_, bit)) = ATTRS.iter().find(|(name, _)| *name == word) {
                if ATIME_WORDS.contains(&word) {
                    if let Some(first) = atime {
                        return error(format!(
                            "options has two atime words, {first:?} and {word:?}: keep one"
                        ));
                    }
                    atime = Some(word);
                }
                out.attrs |= bit;
            } else if word == "bind" || word == "rbind" {
                if kind != MountKind::Bind {
                    return error(format!(
                        "{word:?} is for type = \"bind\", not {type_name:?}"
                    ));
                }
                if let Some(first) = bind_word {
                    return error(format!(
                        "options has both {first:?} and {word:?}: keep \"rbind\" for the whole tree, or \"bind\" for the source alone"
                    ));
                }
                bind_word = Some(word);
                out.recursive = word == "rbind";
            } else if matches!(kind, MountKind::Bind | MountKind::Overlay) {
                let (extra, binds): (_, &[_]) = if kind == MountKind::Bind {
                    (", bind, rbind", &["bind", "rbind"])
                } else {
                    ("", &[])
                };
                let words = ATTRS
                    .iter()
                    .map(|(name, _)| *name)
                    .chain(binds.iter().copied());
                let hint = did_you_mean(word, "", words);
                return error(format!(
                    "unknown option {word:?} for type = {type_name:?}, which takes only {ATTR_WORDS}{extra}{hint}"
                ));
            } else {
                wire::check_mount_option(word.as_bytes()).map_err(|_| {
                    source.error(
                        option.span(),
                        "filesystem parameters are \"key=value\" or \"flag\", 1 to 255 bytes, one per entry (no ,), as in options = [\"size=64m\", \"mode=0755\"]",
                    )
                })?;
                parameters += 1;
                out.parameters
                    .extend_from_slice(c_string(source, option)?.as_bytes_with_nul());
            }
        }
        if parameters > usize::from(u8::MAX) {
            let message = format!("{parameters} filesystem parameters; keel allows at most 255");
            return Err(source.error(options.span(), message));
        }
        Ok(out)
    }

    /// An overlay's lower layers (NUL-joined) and upper; nothing for other kinds, which
    /// must not have them.
    fn layers(&self, source: &Source, kind: MountKind) -> Result<(Vec<u8>, Layers), String> {
        if kind != MountKind::Overlay {
            let fields = [
                ("lower", self.lower.as_ref().map(Spanned::span)),
                ("upper", self.upper.as_ref().map(Spanned::span)),
                ("work", self.work.as_ref().map(Spanned::span)),
                ("size", self.size.as_ref().map(Spanned::span)),
            ];
            if let Some((field, span)) = fields.into_iter().find_map(|(f, s)| Some((f, s?))) {
                let message = format!(
                    "{field} is for type = \"overlay\", not {:?}",
                    self.kind.get_ref()
                );
                return Err(source.error(span, message));
            }
            return Ok((Vec::new(), Layers::Sealed));
        }
        let Some(lower) = self.lower.as_ref().filter(|l| !l.get_ref().is_empty()) else {
            let span = self.lower.as_ref().map_or(self.kind.span(), Spanned::span);
            return Err(source.error(
                span,
                "an overlay needs lower, its layers top first, as in lower = [\"/srv/layers/top\", \"/srv/layers/base\"]",
            ));
        };
        entries_absolute(source, lower, "lower", "/srv/layers/base")?;
        let each = lower.get_ref().iter().map(|l| (l.get_ref(), l.span()));
        unique(source, each, |layer| format!("lower lists {layer:?} twice"))?;
        let lower = nul_joined(source, lower, "lower", MAX_LOWER_LAYERS, |_| None)?;
        let upper = match (&self.upper, &self.work, &self.size) {
            (None, Some(work), _) => {
                return Err(source.error(
                    work.span(),
                    "work goes with upper = \"/path\": add upper, on the same filesystem as work",
                ));
            }
            (None, None, Some(size)) => {
                return Err(source.error(size.span(), "size goes with upper = \"tmpfs\""));
            }
            (None, None, None) => Layers::Sealed,
            (Some(upper), work, size) if upper.get_ref() == "tmpfs" => {
                if let Some(work) = work {
                    return Err(source.error(
                        work.span(),
                        "upper = \"tmpfs\" keeps its work directory on the tmpfs too: remove work",
                    ));
                }
                let size = size
                    .as_ref()
                    .map(|size| {
                        wire::check_overlay_size(size.get_ref().as_bytes()).map_err(|_| {
                            source.error(
                                size.span(),
                                "size is tmpfs's size= value, as in size = \"64m\": 1 to 250 bytes, without ,",
                            )
                        })?;
                        c_string(source, size)
                    })
                    .transpose()?;
                Layers::Tmpfs(size)
            }
            (Some(upper), work, size) => {
                let upper_dir = absolute_path(source, upper, "upper", "/srv/changes/upper")
                    .map_err(|_| {
                        source.error(
                            upper.span(),
                            "upper is \"tmpfs\" (the writes vanish) or an absolute directory, as in upper = \"/srv/changes/upper\"",
                        )
                    })?;
                if let Some(size) = size {
                    return Err(source.error(
                        size.span(),
                        "size is for upper = \"tmpfs\": an upper directory is on its own filesystem",
                    ));
                }
                let Some(work) = work else {
                    return Err(source.error(
                        upper.span(),
                        "an upper directory needs work, an empty directory on the same filesystem, as in work = \"/srv/changes/work\"",
                    ));
                };
                Layers::Dir(
                    upper_dir,
                    absolute_path(source, work, "work", "/srv/changes/work")?,
                )
            }
        };
        Ok((lower, upper))
    }

    fn from_wire(mount: &Mount<'_>) -> Result<MountTable, String> {
        let path = |path: &std::ffi::CStr, field| text(path, field).map(unspanned);
        let (_, type_name) = KINDS
            .iter()
            .map(|&(name, kind)| (kind, name))
            .find(|&(kind, _)| kind == mount.kind)
            .expect("every kind has a name");
        let mut options = Vec::new();
        if mount.recursive {
            options.push("rbind".to_owned());
        }
        for (word, bit) in ATTRS {
            if bit != 0 && mount.attrs & bit != 0 {
                options.push(word.to_owned());
            }
        }
        for parameter in mount.options.iter() {
            options.push(text(parameter, "a mount option")?);
        }
        let (upper, work, size) = match mount.upper {
            Upper::Sealed => (None, None, None),
            Upper::Tmpfs { size } => (
                Some(unspanned("tmpfs".to_owned())),
                None,
                size.map(|size| path(size, "size")).transpose()?,
            ),
            Upper::Dir { upper, work } => {
                (Some(path(upper, "upper")?), Some(path(work, "work")?), None)
            }
        };
        Ok(MountTable {
            destination: path(mount.target, "destination")?,
            kind: unspanned(type_name.to_owned()),
            source: mount.source.map(|s| path(s, "source")).transpose()?,
            options: (!options.is_empty())
                .then(|| unspanned(options.into_iter().map(unspanned).collect())),
            lower: list(mount.lower, "lower")?,
            upper,
            work,
            size,
        })
    }
}

/// An overlay's upper layer, owning its strings.
enum Layers {
    Sealed,
    Tmpfs(Option<CString>),
    Dir(CString, CString),
}

/// `[mounts]` and the `[[mount]]`s, as a document holds them.
pub type Tables = (Option<MountsTable>, Option<Vec<Spanned<MountTable>>>);

/// The `[mounts]` table and the `[[mount]]`s that compile to `mounts`: what `inspect`
/// prints. The table is left out when it would be empty, unless there are no mounts either.
pub fn from_wire(mounts: &Mounts<'_>) -> Result<Tables, String> {
    let entries: Result<Vec<_>, String> = mounts
        .entries
        .iter()
        .map(|m| MountTable::from_wire(&m).map(unspanned))
        .collect();
    let entries = entries?;
    let table = MountsTable {
        root: mounts
            .root
            .map(|root| text(root, "root").map(unspanned))
            .transpose()?,
        masked: list(mounts.masked, "masked")?,
        readonly: list(mounts.readonly, "readonly")?,
        root_readonly: mounts.root_readonly.then(|| unspanned(true)),
        lock: mounts.lock.then(|| unspanned(true)),
    };
    let empty = table.root.is_none()
        && table.masked.is_none()
        && table.readonly.is_none()
        && table.lock.is_none();
    Ok((
        (!empty || entries.is_empty()).then_some(table),
        (!entries.is_empty()).then_some(entries),
    ))
}
