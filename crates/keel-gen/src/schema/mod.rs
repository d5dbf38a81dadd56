//! The TOML schema `build` reads and `inspect` prints (documented by `examples/*.toml`), and
//! its translation to and from `keel_wire::Config`. Names follow the OCI runtime spec's
//! `process` where it has one (`args`, `env`, `cwd`).
//!
//! The checks here are the host's: besides what keel itself would refuse, they catch
//! duplicates and contradictions, and point at the line and column to fix. `[cgroup]`, with
//! its preset and its kernel rules, is in `cgroup.rs`; `[namespaces]` in `namespaces.rs`;
//! `[mounts]` and `[[mount]]` in `mounts.rs`; `[process]` in `process.rs` (its privileges in
//! `security.rs` and `seccomp/`); `[supervision]` in `supervision.rs`; `[[service]]` in `services.rs`.

mod process;
mod services;
mod supervision;

use keel_wire::{Config, NamespaceSet, Process, Supervision};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::cgroup::{CgroupTable, CompiledCgroup};
use crate::field::{records, unspanned};
use crate::landlock::{CompiledLandlock, LandlockTable};
use crate::mounts::{self, CompiledMounts, MountTable, MountsTable};
use crate::namespaces::{CompiledNamespaces, NamespacesTable};
use crate::source::Source;

use process::CompiledProcess;
use supervision::CompiledSupervision;

pub use process::ProcessTable;
pub use services::ServiceTable;
pub use supervision::SupervisionTable;

/// A keel.toml file.
#[derive(Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// What keel runs: the program, its environment and its privileges.
    pub process: Option<ProcessTable>,
    /// How keel runs the program: mode, reaping, signals, the drain, exit codes.
    pub supervision: Option<SupervisionTable>,
    /// The cgroup v2 set-up keel does before it starts the program; without it keel touches no cgroup.
    pub cgroup: Option<CgroupTable>,
    /// The namespaces keel creates for the program; without it, none.
    #[schemars(with = "Option<NamespacesTable>")]
    pub namespaces: Option<Spanned<NamespacesTable>>,
    /// Settings for the program's whole filesystem view: its root, masked and read-only paths.
    pub mounts: Option<MountsTable>,
    /// The mounts keel builds, in order (at most 256), each onto its destination (OCI mounts[]).
    #[schemars(with = "Option<Vec<MountTable>>")]
    pub mount: Option<Vec<Spanned<MountTable>>>,
    /// A Landlock ruleset for the program: what it may do with files, TCP ports and IPC.
    #[schemars(with = "Option<LandlockTable>")]
    pub landlock: Option<Spanned<LandlockTable>>,
    /// Processes keel runs beside the program (at most 32), started in the order their after gives, restarted, stopped in reverse.
    #[schemars(with = "Option<Vec<ServiceTable>>")]
    pub service: Option<Vec<Spanned<ServiceTable>>>,
}

/// The bytes a `wire::Config` borrows, compiled from a document.
#[derive(Default)]
pub struct Compiled {
    process: CompiledProcess,
    supervision: CompiledSupervision,
    cgroup: Option<CompiledCgroup>,
    namespaces: Option<CompiledNamespaces>,
    mounts: Option<CompiledMounts>,
    landlock: Option<CompiledLandlock>,
    /// The service records, in start order.
    services: Vec<u8>,
}

impl Compiled {
    /// What the document asks for that keel will not do, one line each, for the user.
    pub fn warnings(&self) -> &[String] {
        self.process.warnings()
    }

    pub fn config(&self) -> Config<'_> {
        Config {
            process: self.process.config(),
            supervision: self.supervision.config(),
            cgroup: self.cgroup.as_ref().map(CompiledCgroup::config),
            namespaces: self.namespaces.as_ref().map(CompiledNamespaces::config),
            mounts: self.mounts.as_ref().map(CompiledMounts::config),
            landlock: self.landlock.as_ref().map(CompiledLandlock::config),
            services: records(&self.services),
        }
    }
}

impl Document {
    /// Checks the document and compiles it for `wire::encode`.
    pub fn compile(&self, source: &Source) -> Result<Compiled, String> {
        let mut compiled = Compiled::default();
        if let Some(process) = &self.process {
            compiled.process = process.compile(source)?;
        }
        if let Some(supervision) = &self.supervision {
            compiled.supervision = supervision.compile(source)?;
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
        if let Some(services) = &self.service {
            if let Some(first) = services.first()
                && compiled.supervision.config().mode == Some(keel_wire::Mode::Exec)
            {
                return Err(source.error(
                    first.span(),
                    "[[service]] needs keel to supervise, but mode = \"exec\" replaces keel with the program: remove the services or the mode",
                ));
            }
            // The launcher's lines describe one workload (keel refuses the pair too).
            let supervision = compiled.supervision.config();
            if let Some(first) = services.first()
                && (supervision.status_fd.is_some() || supervision.block_fd.is_some())
            {
                return Err(source.error(
                    first.span(),
                    "[[service]] and status_fd/block_fd: the launcher's descriptors are for one workload: run the services without them",
                ));
            }
            compiled.services = services::compile(source, services)?;
        }
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
            service: services::from_wire(config.services)?,
        })
    }
}
