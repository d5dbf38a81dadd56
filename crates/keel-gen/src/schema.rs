//! The TOML schema `build` reads and `inspect` prints (documented by `examples/*.toml`), and
//! its translation to and from `keel_wire::Config`. Names follow the OCI runtime spec's
//! `process` where it has one (`args`, `env`, `cwd`).
//!
//! The checks here are the host's: besides what keel itself would refuse, they catch
//! duplicates and contradictions, and point at the line and column to fix. `[cgroup]`, with
//! its preset and its kernel rules, is in `cgroup.rs`; `[namespaces]` in `namespaces.rs`;
//! `[mounts]` and `[[mount]]` in `mounts.rs`; the process's privileges in `security.rs`.

use std::collections::HashMap;
use std::ffi::CString;

use keel_wire::{
    Capabilities, Config, ExitCodes, MAX_ARGS, MAX_ENV, Mode, NamespaceSet, Process, SeccompFilter,
    SignalRewrites, Supervision, syntax,
};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::cgroup::{CgroupTable, CompiledCgroup};
use crate::field::{List, absolute_path, list, nul_joined, records, text, unique, unspanned};
use crate::landlock::{CompiledLandlock, LandlockTable};
use crate::mounts::{self, CompiledMounts, MountTable, MountsTable};
use crate::namespaces::{CompiledNamespaces, NamespacesTable};
use crate::seccomp::{CompiledSeccomp, SeccompTable};
use crate::security::{self, CapabilitiesTable, CompiledUser, RlimitTable, UserTable};
use crate::source::Source;

/// A keel.toml file.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    process: Option<ProcessTable>,
    supervision: Option<SupervisionTable>,
    cgroup: Option<CgroupTable>,
    namespaces: Option<Spanned<NamespacesTable>>,
    mounts: Option<MountsTable>,
    mount: Option<Vec<Spanned<MountTable>>>,
    landlock: Option<Spanned<LandlockTable>>,
}

/// `[process]`: what keel runs.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ProcessTable {
    args: Option<List>,
    env: Option<List>,
    env_clear: Option<Spanned<bool>>,
    env_unset: Option<List>,
    cwd: Option<Spanned<String>>,
    no_new_privileges: Option<bool>,
    oom_score_adj: Option<Spanned<i64>>,
    user: Option<Spanned<UserTable>>,
    capabilities: Option<CapabilitiesTable>,
    rlimits: Option<Vec<Spanned<RlimitTable>>>,
    seccomp: Option<SeccompTable>,
}

/// `[supervision]`: how keel runs it. Spanned fields are the ones an error may point at.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SupervisionTable {
    mode: Option<Spanned<String>>,
    subreaper: Option<bool>,
    kill_process_group: Option<Spanned<bool>>,
    remap_exit: Option<Spanned<Vec<Spanned<i64>>>>,
    grace: Option<Spanned<String>>,
    rewrite: Option<List>,
    verbosity: Option<u8>,
    warn_on_reap: Option<Spanned<bool>>,
    parent_death_signal: Option<Spanned<String>>,
    seal_exe: Option<bool>,
}

/// The bytes a `wire::Config` borrows, compiled from a document.
#[derive(Default)]
pub struct Compiled {
    args: Vec<u8>,
    env_clear: bool,
    env_set: Vec<u8>,
    env_unset: Vec<u8>,
    cwd: Option<CString>,
    user: CompiledUser,
    no_new_privileges: bool,
    capabilities: Option<Capabilities>,
    rlimits: Vec<u8>,
    oom_score_adj: Option<i32>,
    rewrite: Vec<[u8; 2]>,
    /// Every supervision field but `rewrite`, which borrows `self.rewrite`.
    supervision: Supervision<'static>,
    cgroup: Option<CompiledCgroup>,
    namespaces: Option<CompiledNamespaces>,
    mounts: Option<CompiledMounts>,
    landlock: Option<CompiledLandlock>,
    seccomp: Option<CompiledSeccomp>,
}

impl Compiled {
    /// What the document asks for that keel will not do, one line each, for the user.
    pub fn warnings(&self) -> &[String] {
        self.seccomp
            .as_ref()
            .map_or(&[], |seccomp| &seccomp.warnings)
    }

    pub fn config(&self) -> Config<'_> {
        let (user, umask) = self.user.config();
        Config {
            process: Process {
                args: records(&self.args),
                env_clear: self.env_clear,
                env_set: records(&self.env_set),
                env_unset: records(&self.env_unset),
                cwd: self.cwd.as_deref(),
                user,
                no_new_privileges: self.no_new_privileges,
                capabilities: self.capabilities,
                rlimits: records(&self.rlimits),
                umask,
                oom_score_adj: self.oom_score_adj,
                seccomp: self.seccomp.as_ref().map(|seccomp| SeccompFilter {
                    flags: seccomp.flags,
                    program: &seccomp.program,
                }),
            },
            supervision: Supervision {
                rewrite: SignalRewrites::new(&self.rewrite),
                ..self.supervision
            },
            cgroup: self.cgroup.as_ref().map(CompiledCgroup::config),
            namespaces: self.namespaces.as_ref().map(CompiledNamespaces::config),
            mounts: self.mounts.as_ref().map(CompiledMounts::config),
            landlock: self.landlock.as_ref().map(CompiledLandlock::config),
        }
    }
}

impl Document {
    /// Checks the document and compiles it for `wire::encode`.
    pub fn compile(&self, source: &Source) -> Result<Compiled, String> {
        let mut compiled = Compiled::default();
        if let Some(process) = &self.process {
            process.compile(source, &mut compiled)?;
        }
        if let Some(supervision) = &self.supervision {
            supervision.compile(source, &mut compiled)?;
        }
        compiled.cgroup = self
            .cgroup
            .as_ref()
            .map(|cgroup| cgroup.compile(source))
            .transpose()?;
        compiled.namespaces = self
            .namespaces
            .as_ref()
            .map(|namespaces| namespaces.get_ref().compile(source))
            .transpose()?;
        if self.mounts.is_some() || self.mount.is_some() {
            self.check_mount_namespace(source, compiled.namespaces.as_ref())?;
            let entries = self.mount.as_deref().unwrap_or_default();
            compiled.mounts = Some(mounts::compile(source, self.mounts.as_ref(), entries)?);
        }
        compiled.landlock = self
            .landlock
            .as_ref()
            .map(|landlock| landlock.get_ref().compile(source, landlock.span()))
            .transpose()?;
        Ok(compiled)
    }

    /// With `[namespaces]`, the mounts need a new mount namespace, or they would land in the
    /// host's mount table. Without it, keel makes a mount namespace for them itself.
    fn check_mount_namespace(
        &self,
        source: &Source,
        namespaces: Option<&CompiledNamespaces>,
    ) -> Result<(), String> {
        let (Some(table), Some(compiled)) = (&self.namespaces, namespaces) else {
            return Ok(());
        };
        if compiled.config().unshare.contains(NamespaceSet::MOUNT) {
            return Ok(());
        }
        let span = table.get_ref().unshare_span().unwrap_or(table.span());
        Err(source.error(
            span,
            "[namespaces] unshare lacks \"mount\", which the mounts need: add \"mount\" so the mounts stay out of the host's mount table",
        ))
    }

    /// The document that compiles to `config`: what `inspect` prints.
    pub fn from_config(config: &Config<'_>) -> Result<Document, String> {
        let (process, supervision) = (&config.process, &config.supervision);
        let (mounts, mount) = match &config.mounts {
            Some(view) => mounts::from_wire(view)?,
            None => (None, None),
        };
        Ok(Document {
            process: (*process != Process::default())
                .then(|| ProcessTable::from_wire(process))
                .transpose()?,
            supervision: (*supervision != Supervision::default())
                .then(|| SupervisionTable::from_wire(supervision)),
            cgroup: config
                .cgroup
                .as_ref()
                .map(CgroupTable::from_wire)
                .transpose()?,
            namespaces: config
                .namespaces
                .as_ref()
                .map(|namespaces| NamespacesTable::from_wire(namespaces).map(unspanned))
                .transpose()?,
            mounts,
            mount,
            landlock: config
                .landlock
                .as_ref()
                .map(|landlock| LandlockTable::from_wire(landlock).map(unspanned))
                .transpose()?,
        })
    }
}

impl ProcessTable {
    fn compile(&self, source: &Source, out: &mut Compiled) -> Result<(), String> {
        if let Some(args) = &self.args {
            let Some(program) = args.get_ref().first() else {
                return Err(source.error(
                    args.span(),
                    "args is empty: name the program, as in args = [\"/bin/app\"]",
                ));
            };
            if program.get_ref().is_empty() {
                return Err(
                    source.error(program.span(), "the program (the first of args) is empty")
                );
            }
            out.args = nul_joined(source, args, "args", MAX_ARGS, |_| None)?;
        }
        out.env_clear = value(&self.env_clear).unwrap_or_default();
        let env_keys = match &self.env {
            Some(env) => {
                out.env_set = nul_joined(source, env, "env", MAX_ENV, |entry| {
                    match entry.split_once('=') {
                        Some((key, _)) if !key.is_empty() => None,
                        _ => Some("env entries are \"KEY=VALUE\" with a non-empty KEY"),
                    }
                })?;
                let keys = env
                    .get_ref()
                    .iter()
                    .map(|entry| (env_key(entry.get_ref()), entry.span()));
                unique(source, keys, |key| format!("env sets {key} twice"))?
            }
            None => HashMap::new(),
        };
        if let Some(unset) = &self.env_unset {
            if let Some(clear) = self.env_clear.as_ref().filter(|clear| *clear.get_ref()) {
                return Err(source.error(
                    clear.span(),
                    "env_clear = true leaves nothing for env_unset to remove: drop one of them",
                ));
            }
            out.env_unset = nul_joined(source, unset, "env_unset", MAX_ENV, |key| {
                (key.is_empty() || key.contains('='))
                    .then_some("env_unset entries are variable names, without '='")
            })?;
            let keys = unset
                .get_ref()
                .iter()
                .map(|key| (key.get_ref().as_str(), key.span()));
            for (key, span) in unique(source, keys, |key| format!("env_unset removes {key} twice"))?
            {
                if env_keys.contains_key(key) {
                    return Err(source.error(
                        span,
                        format!("{key} is both set by env and removed by env_unset: keep one"),
                    ));
                }
            }
        }
        if let Some(cwd) = &self.cwd {
            out.cwd = Some(absolute_path(source, cwd, "cwd", "/srv")?);
        }
        if let Some(user) = &self.user {
            out.user = user.get_ref().compile(source, user.span())?;
        }
        out.no_new_privileges = self.no_new_privileges.unwrap_or_default();
        out.capabilities = self
            .capabilities
            .as_ref()
            .map(|caps| caps.compile(source))
            .transpose()?;
        let rlimits = self.rlimits.as_deref().unwrap_or_default();
        out.rlimits = security::rlimits(source, rlimits)?;
        out.oom_score_adj = self
            .oom_score_adj
            .as_ref()
            .map(|adj| security::oom_score_adj(source, adj))
            .transpose()?;
        out.seccomp = self
            .seccomp
            .as_ref()
            .map(|seccomp| seccomp.compile(source))
            .transpose()?;
        Ok(())
    }

    fn from_wire(process: &Process<'_>) -> Result<ProcessTable, String> {
        Ok(ProcessTable {
            args: list(process.args, "args")?,
            env: list(process.env_set, "env")?,
            env_clear: process.env_clear.then(|| unspanned(true)),
            env_unset: list(process.env_unset, "env_unset")?,
            cwd: process
                .cwd
                .map(|cwd| text(cwd, "cwd").map(unspanned))
                .transpose()?,
            no_new_privileges: process.no_new_privileges.then_some(true),
            oom_score_adj: process.oom_score_adj.map(|adj| unspanned(adj.into())),
            user: UserTable::from_wire(process.user, process.umask).map(unspanned),
            capabilities: process
                .capabilities
                .as_ref()
                .map(CapabilitiesTable::from_wire),
            rlimits: security::rlimits_from_wire(process.rlimits)?,
            seccomp: process
                .seccomp
                .map(|filter| SeccompTable::from_wire(filter.flags, filter.program))
                .transpose()?,
        })
    }
}

impl SupervisionTable {
    fn compile(&self, source: &Source, out: &mut Compiled) -> Result<(), String> {
        let mode = self
            .mode
            .as_ref()
            .map(|mode| parse_mode(source, mode))
            .transpose()?;
        if mode == Some(Mode::Exec) {
            self.reject_supervision_only(source)?;
        }
        out.rewrite = self
            .rewrite
            .as_ref()
            .map(|list| rewrites(source, list))
            .transpose()?
            .unwrap_or_default();
        out.supervision = Supervision {
            mode,
            subreaper: self.subreaper,
            kill_process_group: value(&self.kill_process_group),
            remap_exit: self
                .remap_exit
                .as_ref()
                .map(|codes| exit_codes(source, codes))
                .transpose()?
                .unwrap_or_default(),
            grace_ms: self
                .grace
                .as_ref()
                .map(|grace| duration_ms(source, grace))
                .transpose()?,
            rewrite: SignalRewrites::default(),
            verbosity: self.verbosity,
            warn_on_reap: value(&self.warn_on_reap),
            parent_death_signal: self
                .parent_death_signal
                .as_ref()
                .map(|signal| parse_signal(source, signal))
                .transpose()?,
            seal_exe: self.seal_exe,
        };
        Ok(())
    }

    /// In exec mode keel replaces itself with the program: nothing is left to forward
    /// signals, reap, drain or report an exit code, so these settings would silently do nothing.
    fn reject_supervision_only(&self, source: &Source) -> Result<(), String> {
        let spans = [
            (
                "kill_process_group",
                self.kill_process_group.as_ref().map(Spanned::span),
            ),
            ("remap_exit", self.remap_exit.as_ref().map(Spanned::span)),
            ("grace", self.grace.as_ref().map(Spanned::span)),
            ("rewrite", self.rewrite.as_ref().map(Spanned::span)),
            (
                "warn_on_reap",
                self.warn_on_reap.as_ref().map(Spanned::span),
            ),
        ];
        match spans.into_iter().find_map(|(name, span)| Some((name, span?))) {
            Some((name, span)) => Err(source.error(
                span,
                format!("{name} needs keel to supervise, but mode = \"exec\" replaces keel with the program: remove {name} or the mode"),
            )),
            None => Ok(()),
        }
    }

    fn from_wire(supervision: &Supervision<'_>) -> SupervisionTable {
        let remap_exit = supervision
            .remap_exit
            .iter()
            .map(|code| unspanned(i64::from(code)));
        let rewrite = supervision.rewrite.iter();
        let rewrite = rewrite
            .map(|(from, to)| unspanned(format!("{}:{}", signal_text(from), signal_text(to))));
        SupervisionTable {
            mode: supervision
                .mode
                .map(|mode| unspanned(mode_name(mode).to_owned())),
            subreaper: supervision.subreaper,
            kill_process_group: supervision.kill_process_group.map(unspanned),
            remap_exit: (!supervision.remap_exit.is_empty())
                .then(|| unspanned(remap_exit.collect())),
            grace: supervision.grace_ms.map(|ms| unspanned(duration_text(ms))),
            rewrite: (!supervision.rewrite.is_empty()).then(|| unspanned(rewrite.collect())),
            verbosity: supervision.verbosity,
            warn_on_reap: supervision.warn_on_reap.map(unspanned),
            parent_death_signal: supervision
                .parent_death_signal
                .map(|signal| unspanned(signal_text(signal))),
            seal_exe: supervision.seal_exe,
        }
    }
}

const SIGKILL: u8 = 9;
const SIGSTOP: u8 = 19;
const MODES: [Mode; 3] = [Mode::Supervise, Mode::Exec, Mode::Machine];

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Supervise => "supervise",
        Mode::Exec => "exec",
        Mode::Machine => "machine",
    }
}

fn parse_mode(source: &Source, mode: &Spanned<String>) -> Result<Mode, String> {
    MODES
        .into_iter()
        .find(|&m| mode_name(m) == mode.get_ref())
        .ok_or_else(|| {
            let message = format!(
                "unknown mode {:?}: use \"supervise\", \"exec\" or \"machine\"",
                mode.get_ref()
            );
            source.error(mode.span(), message)
        })
}

fn parse_signal(source: &Source, signal: &Spanned<String>) -> Result<u8, String> {
    syntax::parse_signal(signal.get_ref().as_bytes()).ok_or_else(|| {
        let message = format!(
            "unknown signal {:?}: use a name such as \"KILL\" or \"SIGKILL\", 1..=64, or RTMIN+n",
            signal.get_ref()
        );
        source.error(signal.span(), message)
    })
}

fn duration_ms(source: &Source, duration: &Spanned<String>) -> Result<u32, String> {
    syntax::parse_duration_ms(duration.get_ref().as_bytes()).ok_or_else(|| {
        let message = "durations are written \"250ms\", \"5s\" or \"1m\" (at most 49 days)";
        source.error(duration.span(), message)
    })
}

fn exit_codes(source: &Source, codes: &Spanned<Vec<Spanned<i64>>>) -> Result<ExitCodes, String> {
    let mut parsed = Vec::new();
    for code in codes.get_ref() {
        let byte = u8::try_from(*code.get_ref())
            .map_err(|_| source.error(code.span(), "exit codes are 0..=255"))?;
        parsed.push((byte, code.span()));
    }
    let mut set = ExitCodes::default();
    for code in unique(source, parsed, |code| {
        format!("remap_exit lists {code} twice")
    })?
    .into_keys()
    {
        set.insert(code);
    }
    Ok(set)
}

/// `[from, to]` pairs sorted by `from`, as the format requires.
fn rewrites(source: &Source, list: &List) -> Result<Vec<[u8; 2]>, String> {
    let mut pairs = Vec::new();
    for entry in list.get_ref() {
        let (from, to) = syntax::parse_rewrite(entry.get_ref().as_bytes()).ok_or_else(|| {
            let message =
                "rewrite entries are \"FROM:TO\" signals, as in \"TERM:QUIT\"; TO = 0 drops FROM";
            source.error(entry.span(), message)
        })?;
        if [SIGKILL, SIGSTOP].contains(&from) {
            let message =
                "SIGKILL and SIGSTOP cannot be caught, so keel never gets them to rewrite";
            return Err(source.error(entry.span(), message));
        }
        pairs.push(([from, to], entry.span()));
    }
    let froms = pairs
        .iter()
        .map(|&([from, _], ref span)| (from, span.clone()));
    unique(source, froms, |&from| {
        format!("rewrite has two rules for {}", signal_text(from))
    })?;
    let mut pairs: Vec<[u8; 2]> = pairs.into_iter().map(|(pair, _)| pair).collect();
    pairs.sort_unstable();
    Ok(pairs)
}

fn value<T: Copy>(field: &Option<Spanned<T>>) -> Option<T> {
    field.as_ref().map(|value| *value.get_ref())
}

/// How `inspect` writes a signal: `TERM`, `RTMIN+3`, or the number (0 means "drop").
fn signal_text(signal: u8) -> String {
    match syntax::signal_name(signal) {
        Some(name) => name.to_owned(),
        None if signal == syntax::RTMIN => "RTMIN".to_owned(),
        None if signal > syntax::RTMIN => format!("RTMIN+{}", signal - syntax::RTMIN),
        None => signal.to_string(),
    }
}

/// How `inspect` writes a duration: in the largest unit that keeps it exact.
fn duration_text(ms: u32) -> String {
    match ms {
        0 => "0s".to_owned(),
        _ if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

fn env_key(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(key, _)| key)
}
