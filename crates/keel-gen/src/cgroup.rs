//! `[cgroup]` (documented by `examples/cgroup.toml` and `examples/benchexec.toml`): the
//! cgroup v2 set-up keel does before starting the program, its preset, and the host's checks
//! that the cgroups fit together, which keel would otherwise only find out at run time.
//!
//! The kernel rules behind them (Documentation/admin-guide/cgroup-v2.rst):
//! - no internal processes: a cgroup that enables controllers for its children cannot hold
//!   processes, and a cgroup holding processes cannot enable them (EBUSY);
//! - top-down: a cgroup can only enable the controllers its parent enabled for it (ENOENT),
//!   and a controller's files only exist where the parent enabled it.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::fmt;
use std::marker::PhantomData;

use keel_wire::{
    self as wire, Cgroup, DEFAULT_LEAF, Delegate, Limit, MAX_CONTROLLERS, MAX_DELEGATES,
    MAX_LIMITS, Record, syntax,
};
use schemars::JsonSchema;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::{Spanned, Value};

use crate::field::{
    IntegerOrString, List, absolute_path, c_string, list, nul_joined, records, text, unique,
    unspanned,
};
use crate::source::Source;

/// The only preset: what BenchExec's `init.sh` does.
const BENCHEXEC: &str = "benchexec";

/// `[cgroup.limits]`: for each cgroup, its files and their values.
pub type LimitsTable = Pairs<Spanned<String>, FileValues>;
pub type FileValues = Pairs<Spanned<String>, Spanned<Value>>;

/// `[cgroup]`: the cgroup v2 set-up keel does before it starts the program.
// Spanned fields are the ones an error may point at.
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CgroupTable {
    /// The only preset, "benchexec", is what BenchExec's init.sh does; fields written here override or add to it.
    #[schemars(example = serde_json::json!("benchexec"))]
    #[schemars(with = "Option<String>")]
    pub preset: Option<Spanned<String>>,
    /// With the preset: the owner of its delegate, which makes it the non-root form.
    #[schemars(with = "Option<String>")]
    pub owner: Option<Spanned<String>>,
    /// Where the cgroup2 filesystem is ["/sys/fs/cgroup"].
    #[schemars(with = "Option<String>")]
    pub root: Option<Spanned<String>>,
    /// Mount cgroup2 at root when nothing is mounted there [false; true in machine mode].
    pub mount: Option<bool>,
    /// The cgroup keel moves itself and the processes it finds into, so that its own can enable controllers ["init"].
    #[schemars(with = "Option<String>")]
    pub leaf: Option<Spanned<String>>,
    /// Controllers to enable, at most 32 [every controller available in keel's cgroup].
    #[schemars(example = serde_json::json!(["cpu", "memory", "pids"]))]
    #[schemars(with = "Option<Vec<String>>")]
    pub controllers: Option<List>,
    /// Controllers whose failure is only a warning [none].
    #[schemars(with = "Option<Vec<String>>")]
    pub optional: Option<List>,
    /// The cgroup the program starts in [the leaf].
    #[schemars(with = "Option<String>")]
    pub workload: Option<Spanned<String>>,
    /// Cgroups keel creates, with their parents, in the order listed (at most 64).
    pub delegate: Option<Vec<DelegateTable>>,
    /// `cgroup = { file = value, … }`, in the order written: keel applies them in order.
    #[schemars(with = "Option<BTreeMap<String, BTreeMap<String, IntegerOrString>>>")]
    pub limits: Option<LimitsTable>,
}

/// `[[cgroup.delegate]]`.
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegateTable {
    /// The cgroup, relative to keel's own.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Who gets the cgroup, "UID:GID": keel chowns it and its delegatable files [keel's owner].
    #[schemars(example = serde_json::json!("1000:1000"))]
    #[schemars(with = "Option<String>")]
    pub owner: Option<Spanned<String>>,
    /// Enable the controllers in its cgroup.subtree_control, for its children [true].
    #[schemars(with = "Option<bool>")]
    pub enable_controllers: Option<Spanned<bool>>,
}

impl DelegateTable {
    fn enables_controllers(&self) -> bool {
        self.enable_controllers
            .as_ref()
            .is_none_or(|enable| *enable.get_ref())
    }
}

/// The bytes a `wire::Cgroup` borrows.
#[derive(Default)]
pub struct CompiledCgroup {
    root: Option<CString>,
    mount: bool,
    leaf: Option<CString>,
    controllers: Vec<u8>,
    optional: Vec<u8>,
    delegates: Vec<u8>,
    limits: Vec<u8>,
    workload: Option<CString>,
}

impl CompiledCgroup {
    pub fn config(&self) -> Cgroup<'_> {
        Cgroup {
            root: self.root.as_deref(),
            mount: self.mount,
            leaf: self.leaf.as_deref(),
            controllers: records(&self.controllers),
            optional: records(&self.optional),
            delegates: records(&self.delegates),
            limits: records(&self.limits),
            workload: self.workload.as_deref(),
        }
    }
}

impl CgroupTable {
    pub fn compile(&self, source: &Source) -> Result<CompiledCgroup, String> {
        let table = self.expand(source)?;
        let mut out = CompiledCgroup {
            mount: table.mount.unwrap_or_default(),
            ..CompiledCgroup::default()
        };
        if let Some(root) = &table.root {
            out.root = Some(absolute_path(source, root, "root", "/sys/fs/cgroup")?);
        }
        if let Some(leaf) = &table.leaf {
            out.leaf = Some(cgroup_path(source, leaf, "leaf")?);
        }
        if let Some(workload) = &table.workload {
            out.workload = Some(cgroup_path(source, workload, "workload")?);
        }
        out.controllers = table.controllers(source)?;
        out.optional = table.optional(source)?;
        out.delegates = table.delegates(source)?;
        out.limits = table.limits(source)?;
        Ok(out)
    }

    /// The table with the preset replaced by the fields it stands for, under the explicit
    /// ones: what `inspect` shows. Fields from the preset point at it in errors.
    fn expand(&self, source: &Source) -> Result<CgroupTable, String> {
        let mut table = self.clone();
        let owner = table.owner.take();
        let Some(preset) = table.preset.take() else {
            return match owner {
                Some(owner) => Err(source.error(
                    owner.span(),
                    "owner at [cgroup] level goes with preset = \"benchexec\"; without it, give each [[cgroup.delegate]] its owner",
                )),
                None => Ok(table),
            };
        };
        if preset.get_ref() != BENCHEXEC {
            let message = format!(
                "unknown preset {:?}: the only one is \"benchexec\"",
                preset.get_ref()
            );
            return Err(source.error(preset.span(), message));
        }
        // As init.sh: keel and the processes it finds in `init`, controllers enabled in
        // `benchexec` for BenchExec's own cgroups, BenchExec started in `init`. With an
        // owner (a non-root BenchExec): BenchExec could not move itself from `init` into
        // `benchexec`, across cgroups it does not own, so it starts in `benchexec`, which
        // therefore cannot enable controllers (no internal processes); BenchExec enables
        // them in the children it creates there.
        let from_preset = |value: &str| Spanned::new(preset.span(), value.to_owned());
        table
            .leaf
            .get_or_insert_with(|| from_preset(leaf_default()));
        if owner.is_some() {
            table.workload.get_or_insert_with(|| from_preset(BENCHEXEC));
        }
        let delegates = table.delegate.get_or_insert_default();
        if !delegates.iter().any(|d| d.path.get_ref() == BENCHEXEC) {
            let enable = Spanned::new(preset.span(), owner.is_none());
            delegates.insert(
                0,
                DelegateTable {
                    path: from_preset(BENCHEXEC),
                    owner,
                    enable_controllers: Some(enable),
                },
            );
        }
        Ok(table)
    }

    fn controllers(&self, source: &Source) -> Result<Vec<u8>, String> {
        let Some(controllers) = &self.controllers else {
            return Ok(Vec::new());
        };
        if controllers.get_ref().is_empty() {
            return Err(source.error(
                controllers.span(),
                "controllers = [] would mean every available controller: leave controllers out for that",
            ));
        }
        controller_names(source, controllers, "controllers")
    }

    fn optional(&self, source: &Source) -> Result<Vec<u8>, String> {
        let Some(optional) = &self.optional else {
            return Ok(Vec::new());
        };
        let names = controller_names(source, optional, "optional")?;
        if let Some(controllers) = &self.controllers {
            for name in optional.get_ref() {
                if !controllers.get_ref().contains(name) {
                    let message = format!(
                        "optional names {name:?}, which controllers does not list: add it there, or remove it here",
                        name = name.get_ref()
                    );
                    return Err(source.error(name.span(), message));
                }
            }
        }
        Ok(names)
    }

    /// The delegates, after checking that keel can set each up in order.
    fn delegates(&self, source: &Source) -> Result<Vec<u8>, String> {
        let delegates = self.delegate.as_deref().unwrap_or_default();
        if let Some(extra) = delegates.get(MAX_DELEGATES) {
            let message = format!(
                "{} delegates; keel allows at most {MAX_DELEGATES}",
                delegates.len()
            );
            return Err(source.error(extra.path.span(), message));
        }
        let paths = delegates
            .iter()
            .map(|d| (d.path.get_ref().as_str(), d.path.span()));
        unique(source, paths, |path| {
            format!("delegate {path:?} is listed twice")
        })?;
        let leaf = self.leaf.as_ref().map_or(leaf_default(), |l| l.get_ref());
        // Where a cgroup keel creates gets controllers enabled, by its place in the list.
        let enabling = |path: &str| {
            delegates
                .iter()
                .position(|d| d.path.get_ref() == path && d.enables_controllers())
        };
        let mut bytes = Vec::new();
        for (index, d) in delegates.iter().enumerate() {
            let path = d.path.get_ref();
            let owner = d.owner.as_ref().map(|o| owner(source, o)).transpose()?;
            let delegate = Delegate {
                path: &cgroup_path(source, &d.path, "delegate path")?,
                owner,
                enable_controllers: d.enables_controllers(),
            };
            if delegate.enable_controllers && path == leaf {
                let message = format!(
                    "{path:?} is the leaf, which holds keel and the processes it found, and a cgroup with processes cannot enable controllers for its children (no-internal-process rule; EBUSY at run time): set enable_controllers = false, or delegate another cgroup"
                );
                return Err(source.error(d.path.span(), message));
            }
            if let Some((parent, _)) = path.rsplit_once('/')
                && delegate.enable_controllers
                && enabling(parent).is_none_or(|at| at > index)
            {
                let message = format!(
                    "enabling controllers in {path:?} needs them enabled in {parent:?} first: list a [[cgroup.delegate]] with path = {parent:?} before this one, or set enable_controllers = false here"
                );
                return Err(source.error(d.path.span(), message));
            }
            delegate.write(|piece| bytes.extend_from_slice(piece));
        }
        if let Some(workload) = &self.workload
            && enabling(workload.get_ref()).is_some()
        {
            let message = format!(
                "the workload cannot start in {w:?}, which enables controllers for its children: the kernel refuses processes in such a cgroup (no-internal-process rule; EBUSY at run time). Set enable_controllers = false on that delegate, or start the workload in a child cgroup such as \"{w}/workload\"",
                w = workload.get_ref()
            );
            return Err(source.error(workload.span(), message));
        }
        Ok(bytes)
    }

    /// The limits, in the order written, on cgroups keel creates, in files that will exist.
    fn limits(&self, source: &Source) -> Result<Vec<u8>, String> {
        let Some(limits) = &self.limits else {
            return Ok(Vec::new());
        };
        let leaf = self.leaf.as_ref().map_or(leaf_default(), |l| l.get_ref());
        let delegates = self.delegate.as_deref().unwrap_or_default();
        let created = |cgroup: &str| {
            cgroup == leaf
                || self
                    .workload
                    .as_ref()
                    .is_some_and(|w| w.get_ref() == cgroup)
                || delegates.iter().any(|d| d.path.get_ref() == cgroup)
        };
        let mut bytes = Vec::new();
        let mut count = 0;
        for (cgroup, files) in &limits.0 {
            let path = cgroup_path(source, cgroup, "limits")?;
            if !created(cgroup.get_ref()) {
                let message = format!(
                    "keel creates no cgroup {:?}: limits go on the leaf ({leaf:?}), a delegate or the workload",
                    cgroup.get_ref()
                );
                return Err(source.error(cgroup.span(), message));
            }
            for (file, value) in &files.0 {
                count += 1;
                if count > MAX_LIMITS {
                    let message = format!("more than {MAX_LIMITS} limits, keel's maximum");
                    return Err(source.error(file.span(), message));
                }
                wire::check_limit_file(file.get_ref().as_bytes()).map_err(|what| {
                    let hint = "limit files are PREFIX.NAME as in \"memory.max\", and keel writes cgroup.procs, cgroup.threads and cgroup.subtree_control itself";
                    source.error(file.span(), format!("{:?}: {what}; {hint}", file.get_ref()))
                })?;
                self.check_controller_of(source, cgroup.get_ref(), file)?;
                let limit = Limit {
                    cgroup: &path,
                    file: &c_string(source, file)?,
                    value: &limit_value(source, value)?,
                };
                limit.write(|piece| bytes.extend_from_slice(piece));
            }
        }
        Ok(bytes)
    }

    /// A controller's file exists in a cgroup only when its parent enables the controller
    /// for it: keel's cgroup does for the cgroups directly in it, a delegate that enables
    /// controllers does for its children. The `cgroup.*` and pressure (`*.pressure`) files
    /// are the cgroup core's, in every cgroup.
    fn check_controller_of(
        &self,
        source: &Source,
        cgroup: &str,
        file: &Spanned<String>,
    ) -> Result<(), String> {
        let name = file.get_ref();
        let Some((controller, _)) = name.split_once('.') else {
            return Ok(());
        };
        if controller == "cgroup" || name.ends_with(".pressure") {
            return Ok(());
        }
        if let Some((parent, _)) = cgroup.rsplit_once('/') {
            let enabled = self
                .delegate
                .iter()
                .flatten()
                .any(|d| d.path.get_ref() == parent && d.enables_controllers());
            if !enabled {
                let message = format!(
                    "{name} exists in {cgroup:?} only if {parent:?} enables the {controller} controller for its children: make {parent:?} a [[cgroup.delegate]] that enables controllers, or limit another cgroup"
                );
                return Err(source.error(file.span(), message));
            }
        }
        if let Some(controllers) = &self.controllers
            && !controllers
                .get_ref()
                .iter()
                .any(|c| c.get_ref() == controller)
        {
            let message = format!(
                "{name} needs the {controller} controller, which controllers does not list: add {controller:?} to it"
            );
            return Err(source.error(file.span(), message));
        }
        Ok(())
    }

    /// The table that compiles to `cgroup`: what `inspect` prints.
    pub fn from_wire(cgroup: &Cgroup<'_>) -> Result<CgroupTable, String> {
        let path = |path: Option<&CStr>, field| {
            path.map(|path| text(path, field).map(unspanned))
                .transpose()
        };
        let delegates: Result<Vec<_>, String> = cgroup
            .delegates
            .iter()
            .map(|d| {
                Ok(DelegateTable {
                    path: unspanned(text(d.path, "a delegate path")?),
                    owner: d.owner.map(|(uid, gid)| unspanned(format!("{uid}:{gid}"))),
                    enable_controllers: Some(unspanned(d.enable_controllers)),
                })
            })
            .collect();
        Ok(CgroupTable {
            preset: None,
            owner: None,
            root: path(cgroup.root, "root")?,
            mount: cgroup.mount.then_some(true),
            leaf: path(cgroup.leaf, "leaf")?,
            controllers: list(cgroup.controllers, "controllers")?,
            optional: list(cgroup.optional, "optional")?,
            workload: path(cgroup.workload, "workload")?,
            delegate: Some(delegates?).filter(|d| !d.is_empty()),
            limits: limits_table(cgroup.limits)?,
        })
    }
}

fn leaf_default() -> &'static str {
    DEFAULT_LEAF.to_str().expect("the default leaf is ASCII")
}

/// Limits grouped by cgroup, as `[cgroup.limits]` writes them; only possible if each
/// cgroup's limits are together and name each file once.
fn limits_table(limits: wire::Limits<'_>) -> Result<Option<LimitsTable>, String> {
    let mut groups: Vec<(Spanned<String>, FileValues)> = Vec::new();
    for limit in limits.iter() {
        let cgroup = text(limit.cgroup, "a limit's cgroup")?;
        let file = text(limit.file, "a limit's file")?;
        let value = Value::String(text(limit.value, "a limit's value")?);
        let together = groups
            .last()
            .is_some_and(|(last, _)| *last.get_ref() == cgroup);
        if !together {
            if groups.iter().any(|(c, _)| *c.get_ref() == cgroup) {
                return Err(format!(
                    "the limits on {cgroup} are not together: TOML cannot show their order"
                ));
            }
            groups.push((unspanned(cgroup.clone()), Pairs::default()));
        }
        let Some((_, group)) = groups.last_mut() else {
            unreachable!("a group was just found or pushed")
        };
        if group.0.iter().any(|(f, _)| *f.get_ref() == file) {
            return Err(format!(
                "two limits write {cgroup}/{file}: TOML cannot show it"
            ));
        }
        group.0.push((unspanned(file), unspanned(value)));
    }
    Ok((!groups.is_empty()).then_some(Pairs(groups)))
}

/// A cgroup path as keel needs it, with the format's rule broken if not.
fn cgroup_path(source: &Source, path: &Spanned<String>, field: &str) -> Result<CString, String> {
    wire::check_cgroup_path(path.get_ref().as_bytes()).map_err(|what| {
        let message = format!(
            "{field}: {what}; cgroup paths are relative to keel's cgroup, as in \"benchexec\" or \"a/b\""
        );
        source.error(path.span(), message)
    })?;
    c_string(source, path)
}

/// Controller names, each once, NUL-joined.
fn controller_names(source: &Source, names: &List, field: &str) -> Result<Vec<u8>, String> {
    let bytes = nul_joined(source, names, field, MAX_CONTROLLERS, |name| {
        wire::check_controller(name.as_bytes())
            .err()
            .map(|_| "controller names are 1 to 64 of a-z, 0-9 and _, as in \"memory\"")
    })?;
    let each = names
        .get_ref()
        .iter()
        .map(|name| (name.get_ref().as_str(), name.span()));
    unique(source, each, |name| format!("{field} lists {name:?} twice"))?;
    Ok(bytes)
}

/// `"UID:GID"`, two numbers that chown takes as ids.
fn owner(source: &Source, owner: &Spanned<String>) -> Result<(u32, u32), String> {
    let ids = owner.get_ref().split_once(':').and_then(|(uid, gid)| {
        Some((
            syntax::parse_decimal(uid.as_bytes())?,
            syntax::parse_decimal(gid.as_bytes())?,
        ))
    });
    match ids {
        Some((uid, gid)) if uid != u32::MAX && gid != u32::MAX => Ok((uid, gid)),
        Some(_) => Err(source.error(
            owner.span(),
            "4294967295 is -1, which chown takes as \"leave unchanged\": use a real id",
        )),
        None => Err(source.error(
            owner.span(),
            "owner is \"UID:GID\", two numbers, as in \"1000:1000\"",
        )),
    }
}

/// A limit's value: a string, or an integer written in decimal.
fn limit_value(source: &Source, value: &Spanned<Value>) -> Result<CString, String> {
    let text = match value.get_ref() {
        Value::String(text) => text.clone(),
        Value::Integer(number) => number.to_string(),
        _ => {
            return Err(source.error(
                value.span(),
                "limit values are strings or integers, as in \"1G\", \"max\" or 512",
            ));
        }
    };
    wire::check_limit_value(text.as_bytes())
        .map_err(|what| source.error(value.span(), format!("{what}, as in \"1G\" or \"max\"")))?;
    c_string(source, &Spanned::new(value.span(), text))
}

/// A TOML table as its pairs, in the order written (toml's `preserve_order` keeps it).
#[derive(Clone)]
pub struct Pairs<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Pairs<K, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Pairs<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<K, V> {
            type Value = Pairs<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<K, V>, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }

        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
