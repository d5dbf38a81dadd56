//! `[process]`: what keel runs (args, environment, cwd) and with which privileges (user,
//! capabilities, rlimits, oom_score_adj and seccomp, whose tables live in `security.rs` and
//! `seccomp/`), compiled into `keel_wire::Process` and shown back by `inspect`.

use std::collections::HashMap;
use std::ffi::CString;

use keel_wire::{Capabilities, MAX_ARGS, MAX_ENV, Process, SeccompFilter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::field::{
    List, absolute_path, list, nul_joined, records, text, unique, unspanned, value,
};
use crate::seccomp::{CompiledSeccomp, SeccompTable};
use crate::security::{self, CapabilitiesTable, CompiledUser, RlimitTable, UserTable};
use crate::source::Source;

/// `[process]`: what keel runs.
#[derive(Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessTable {
    /// The program and its arguments (OCI process.args; at most 256 strings); the program is searched in PATH.
    #[schemars(example = serde_json::json!(["/usr/local/bin/server", "--port", "8080"]))]
    #[schemars(with = "Option<Vec<String>>")]
    pub args: Option<List>,
    /// Variables to set, "KEY=VALUE" (OCI process.env; at most 1024), each KEY at most once.
    #[schemars(example = serde_json::json!(["PATH=/usr/bin:/bin", "LANG=C.UTF-8"]))]
    #[schemars(with = "Option<Vec<String>>")]
    pub env: Option<List>,
    /// Start from an empty environment, so that only env applies (not with env_unset) [false].
    #[schemars(with = "Option<bool>")]
    pub env_clear: Option<Spanned<bool>>,
    /// Variables to remove from keel's environment (at most 1024); a KEY cannot be both set and removed.
    #[schemars(with = "Option<Vec<String>>")]
    pub env_unset: Option<List>,
    /// Absolute working directory (OCI process.cwd) [keel's own].
    #[schemars(example = serde_json::json!("/srv"))]
    #[schemars(with = "Option<String>")]
    pub cwd: Option<Spanned<String>>,
    /// Set PR_SET_NO_NEW_PRIVS: exec cannot grant privileges any more (setuid bits, file capabilities) [false].
    pub no_new_privileges: Option<bool>,
    /// The program's oom_score_adj, -1000 (never killed for lack of memory) to 1000 (killed first) [keel's].
    #[schemars(with = "Option<i64>")]
    pub oom_score_adj: Option<Spanned<i64>>,
    /// Who the program runs as (OCI process.user) [keel's user, groups and umask].
    #[schemars(with = "Option<UserTable>")]
    pub user: Option<Spanned<UserTable>>,
    /// The capability sets after the user switch (OCI process.capabilities); a set left out is empty.
    pub capabilities: Option<CapabilitiesTable>,
    /// Resource limits, set in order, at most one per resource (OCI process.rlimits).
    #[schemars(with = "Option<Vec<RlimitTable>>")]
    pub rlimits: Option<Vec<Spanned<RlimitTable>>>,
    /// A seccomp policy (OCI linux.seccomp, in snake_case), compiled by keel-gen into a BPF program.
    pub seccomp: Option<SeccompTable>,
}

/// The bytes a `keel_wire::Process` borrows.
#[derive(Default)]
pub struct CompiledProcess {
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
    seccomp: Option<CompiledSeccomp>,
}

impl CompiledProcess {
    /// What the policy asks for that keel will not do, one line each, for the user.
    pub fn warnings(&self) -> &[String] {
        self.seccomp
            .as_ref()
            .map_or(&[], |seccomp| &seccomp.warnings)
    }

    pub fn config(&self) -> Process<'_> {
        let (user, umask) = self.user.config();
        Process {
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
        }
    }
}

impl ProcessTable {
    pub fn compile(&self, source: &Source) -> Result<CompiledProcess, String> {
        let mut out = CompiledProcess::default();
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
        Ok(out)
    }

    pub fn from_wire(process: &Process<'_>) -> Result<ProcessTable, String> {
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

fn env_key(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(key, _)| key)
}
