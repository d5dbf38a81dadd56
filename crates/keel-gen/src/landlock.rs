//! `[landlock]` (documented by `examples/landlock.toml`): a Landlock ruleset for the program,
//! with the kernel's right names, and the host's checks that name the rule to fix.
//!
//! The TOML names the rights a ruleset restricts (`handled_fs`, `handled_net`, `scoped`) and
//! the rules that grant some of them back beneath paths or on TCP ports. Left out,
//! `handled_fs` is every filesystem right when there are path rules, and `handled_net` both
//! network rights when there are port rules: a ruleset with only `[[landlock.path]]` rules
//! confines the program's files and nothing else.

use std::ffi::CString;

use keel_wire::{Landlock, LandlockPath, LandlockPort, MAX_LANDLOCK_RULES, Record};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::field::{List, absolute_path, records, text, unique, unspanned};
use crate::security::lookup;
use crate::source::Source;
use crate::suggest::did_you_mean;

/// The filesystem rights by bit, without `LANDLOCK_ACCESS_FS_` (linux/landlock.h, ABI 1 to 5).
const FS_RIGHTS: [&str; 16] = [
    "EXECUTE",
    "WRITE_FILE",
    "READ_FILE",
    "READ_DIR",
    "REMOVE_DIR",
    "REMOVE_FILE",
    "MAKE_CHAR",
    "MAKE_DIR",
    "MAKE_REG",
    "MAKE_SOCK",
    "MAKE_FIFO",
    "MAKE_BLOCK",
    "MAKE_SYM",
    "REFER",
    "TRUNCATE",
    "IOCTL_DEV",
];

/// The network rights by bit, without `LANDLOCK_ACCESS_NET_` (ABI 4).
const NET_RIGHTS: [&str; 2] = ["BIND_TCP", "CONNECT_TCP"];

/// The scopes by bit, without `LANDLOCK_SCOPE_` (ABI 6).
const SCOPES: [&str; 2] = ["ABSTRACT_UNIX_SOCKET", "SIGNAL"];

/// Names for several filesystem rights at once.
const FS_GROUPS: [(&str, u64); 3] = [
    // Reading files and listing directories.
    ("READ", 0b1100),
    // Everything that changes the tree or a file's contents.
    ("WRITE", 0x7ff2),
    ("ALL", Landlock::FS_ALL),
];

/// `[landlock]`.
#[derive(Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LandlockTable {
    /// Refuse to start when the kernel cannot enforce every right listed, rather than warn [false].
    required: Option<bool>,
    /// Filesystem rights the ruleset restricts (linux/landlock.h names in lower case, or "read", "write", "all") [all, with path rules].
    #[schemars(example = serde_json::json!(["all"]))]
    #[schemars(with = "Option<Vec<String>>")]
    handled_fs: Option<List>,
    /// Network rights the ruleset restricts: bind_tcp, connect_tcp [both, with port rules].
    #[schemars(with = "Option<Vec<String>>")]
    handled_net: Option<List>,
    /// IPC scopes: abstract_unix_socket, signal [none].
    #[schemars(with = "Option<Vec<String>>")]
    scoped: Option<List>,
    /// Rights granted beneath a directory, or on a file.
    #[schemars(with = "Option<Vec<PathRule>>")]
    path: Option<Vec<Spanned<PathRule>>>,
    /// Network rights granted on a TCP port.
    #[schemars(with = "Option<Vec<PortRule>>")]
    port: Option<Vec<Spanned<PortRule>>>,
}

/// `[[landlock.path]]`: rights granted beneath a directory, or on a file.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PathRule {
    /// An absolute path, each once, that exists when keel applies the ruleset.
    #[schemars(with = "String")]
    path: Spanned<String>,
    /// The filesystem rights granted beneath it.
    #[schemars(example = serde_json::json!(["read", "execute"]))]
    #[schemars(with = "Vec<String>")]
    access: List,
}

/// `[[landlock.port]]`: network rights granted on a TCP port.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PortRule {
    /// A TCP port, 0..=65535, each once.
    #[schemars(with = "i64")]
    port: Spanned<i64>,
    /// The network rights granted on it.
    #[schemars(with = "Vec<String>")]
    access: List,
}

/// The bytes a `wire::Landlock` borrows.
pub struct CompiledLandlock {
    landlock: Landlock<'static>,
    paths: Vec<u8>,
    ports: Vec<u8>,
}

impl CompiledLandlock {
    pub fn config(&self) -> Landlock<'_> {
        Landlock {
            paths: records(&self.paths),
            ports: records(&self.ports),
            ..self.landlock
        }
    }
}

/// One kind of right: its names by bit, their prefix, the groups naming several, and the
/// `[landlock]` field that restricts them.
struct Rights {
    field: &'static str,
    handled: &'static str,
    names: &'static [&'static str],
    prefix: &'static str,
    groups: &'static [(&'static str, u64)],
}

const FS: Rights = Rights {
    field: "filesystem right",
    handled: "handled_fs",
    names: &FS_RIGHTS,
    prefix: "LANDLOCK_ACCESS_FS_",
    groups: &FS_GROUPS,
};
const NET: Rights = Rights {
    field: "network right",
    handled: "handled_net",
    names: &NET_RIGHTS,
    prefix: "LANDLOCK_ACCESS_NET_",
    groups: &[],
};
const SCOPE: Rights = Rights {
    field: "scope",
    handled: "scoped",
    names: &SCOPES,
    prefix: "LANDLOCK_SCOPE_",
    groups: &[],
};

impl Rights {
    /// The bits the names in `list` stand for, each name known and listed once.
    fn bits(&self, source: &Source, list: &List) -> Result<u64, String> {
        let mut named = Vec::new();
        let mut bits = 0;
        for name in list.get_ref() {
            let upper = name.get_ref().to_ascii_uppercase();
            let group = self.groups.iter().find(|(group, _)| *group == upper);
            let bit = match group {
                Some((_, group)) => *group,
                None => {
                    let bit = lookup(self.names, self.prefix, name.get_ref()).ok_or_else(|| {
                        let known = self.names.join(", ").to_ascii_lowercase();
                        let names = self
                            .names
                            .iter()
                            .chain(self.groups.iter().map(|(group, _)| group));
                        let names = names.map(|name| name.to_ascii_lowercase());
                        let message = format!(
                            "unknown {} {:?}: use one of {known}{}",
                            self.field,
                            name.get_ref(),
                            did_you_mean(name.get_ref(), self.prefix, names)
                        );
                        source.error(name.span(), message)
                    })?;
                    1 << bit
                }
            };
            named.push((bit, name.span()));
            bits |= bit;
        }
        unique(source, named, |_| {
            format!("a {} is listed twice", self.field)
        })?;
        if bits == 0 {
            return Err(source.error(list.span(), format!("name at least one {}", self.field)));
        }
        Ok(bits)
    }

    /// The rights a rule's `access` grants: known names, and only rights the ruleset
    /// restricts (`handled`), since granting another is refused by the kernel (and would mean
    /// nothing).
    fn granted(&self, source: &Source, access: &List, handled: u64) -> Result<u64, String> {
        let bits = self.bits(source, access)?;
        let extra = bits & !handled;
        if extra == 0 {
            return Ok(bits);
        }
        let field = self.handled;
        Err(source.error(
            access.span(),
            format!(
                "grants {}, which {field} does not restrict: add it to {field} or drop it here",
                self.names(extra).join(", ")
            ),
        ))
    }

    /// The names of `bits`, one per right.
    fn names(&self, bits: u64) -> Vec<String> {
        let names = self.names.iter().enumerate();
        names
            .filter(|&(bit, _)| bits & 1 << bit != 0)
            .map(|(_, name)| name.to_ascii_lowercase())
            .collect()
    }

    /// The list of the names of `bits`, `None` for none: what `inspect` prints.
    fn list(&self, bits: u64) -> Option<List> {
        let names = self.names(bits);
        (!names.is_empty()).then(|| unspanned(names.into_iter().map(unspanned).collect()))
    }
}

impl LandlockTable {
    pub fn compile(
        &self,
        source: &Source,
        span: std::ops::Range<usize>,
    ) -> Result<CompiledLandlock, String> {
        let paths = self.path.as_deref().unwrap_or_default();
        let ports = self.port.as_deref().unwrap_or_default();
        let handled = |list: &Option<List>, rights: &Rights, default: u64| match list {
            Some(list) => rights.bits(source, list),
            None => Ok(default),
        };
        let all_fs = if paths.is_empty() {
            0
        } else {
            Landlock::FS_ALL
        };
        let all_net = if ports.is_empty() {
            0
        } else {
            Landlock::NET_ALL
        };
        let landlock = Landlock {
            required: self.required.unwrap_or_default(),
            handled_fs: handled(&self.handled_fs, &FS, all_fs)?,
            handled_net: handled(&self.handled_net, &NET, all_net)?,
            scoped: handled(&self.scoped, &SCOPE, 0)?,
            ..Landlock::default()
        };
        if landlock.handled_fs | landlock.handled_net | landlock.scoped == 0 {
            return Err(source.error(
                span,
                "[landlock] restricts nothing: add [[landlock.path]] or [[landlock.port]] rules, or name handled_fs, handled_net or scoped",
            ));
        }
        for (count, what) in [
            (paths.len(), "[[landlock.path]]"),
            (ports.len(), "[[landlock.port]]"),
        ] {
            if count > MAX_LANDLOCK_RULES {
                return Err(source.error(
                    span.clone(),
                    format!("more than {MAX_LANDLOCK_RULES} {what} rules"),
                ));
            }
        }
        let mut compiled = CompiledLandlock {
            landlock,
            paths: Vec::new(),
            ports: Vec::new(),
        };
        let mut paths_seen = Vec::new();
        for rule in paths {
            let rule = rule.get_ref();
            let path: CString = absolute_path(source, &rule.path, "path", "/usr")?;
            let access = FS.granted(source, &rule.access, landlock.handled_fs)?;
            LandlockPath {
                access,
                path: &path,
            }
            .write(|bytes| compiled.paths.extend(bytes));
            paths_seen.push((path, rule.path.span()));
        }
        unique(source, paths_seen, |_| {
            "this path has a rule already: merge the two".to_owned()
        })?;
        let mut ports_seen = Vec::new();
        for rule in ports {
            let rule = rule.get_ref();
            let port = u16::try_from(*rule.port.get_ref())
                .map_err(|_| source.error(rule.port.span(), "a port is 0..=65535"))?;
            let access = NET.granted(source, &rule.access, landlock.handled_net)?;
            LandlockPort { access, port }.write(|bytes| compiled.ports.extend(bytes));
            ports_seen.push((port, rule.port.span()));
        }
        unique(source, ports_seen, |_| {
            "this port has a rule already: merge the two".to_owned()
        })?;
        Ok(compiled)
    }

    /// The table that compiles to `landlock`, every list explicit: what `inspect` prints.
    pub fn from_wire(landlock: &Landlock<'_>) -> Result<LandlockTable, String> {
        let paths: Result<Vec<_>, String> = landlock
            .paths
            .iter()
            .map(|rule| {
                Ok(unspanned(PathRule {
                    path: unspanned(text(rule.path, "a landlock path")?),
                    access: FS
                        .list(rule.access)
                        .expect("keel's decoder refuses a rule granting nothing"),
                }))
            })
            .collect();
        let ports = landlock.ports.iter().map(|rule| {
            unspanned(PortRule {
                port: unspanned(rule.port.into()),
                access: NET
                    .list(rule.access)
                    .expect("keel's decoder refuses a rule granting nothing"),
            })
        });
        let paths = paths?;
        let ports: Vec<_> = ports.collect();
        Ok(LandlockTable {
            required: landlock.required.then_some(true),
            handled_fs: FS.list(landlock.handled_fs),
            handled_net: NET.list(landlock.handled_net),
            scoped: SCOPE.list(landlock.scoped),
            path: (!paths.is_empty()).then_some(paths),
            port: (!ports.is_empty()).then_some(ports),
        })
    }
}
