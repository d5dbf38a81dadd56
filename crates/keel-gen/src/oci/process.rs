//! `[process]` from OCI's `process` and `linux.seccomp`: args, environment, user,
//! capabilities, rlimits and the seccomp policy, named as the OCI JSON names them.

use oci_spec::runtime::{
    Capabilities, LinuxCapabilities, LinuxSeccomp, LinuxSeccompAction, Process,
};

use super::converter::Converter;
use super::values::{json_name, names, rlimit_value, strings, text};
use crate::field::unspanned;
use crate::schema::ProcessTable;
use crate::seccomp::{ArgTable, SeccompTable, SyscallTable, value_text};
use crate::security::{CapabilitiesTable, RlimitTable, UserTable};

impl Converter<'_> {
    /// `[process]`. OCI's env is the whole environment, hence `env_clear`.
    pub(super) fn process(&mut self, p: &Process) -> Result<ProcessTable, String> {
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
    pub(super) fn seccomp(&mut self, s: &LinuxSeccomp) -> Option<SeccompTable> {
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
    pub(super) fn capabilities(&mut self, caps: &LinuxCapabilities) -> CapabilitiesTable {
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
}
