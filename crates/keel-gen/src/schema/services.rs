//! `[[service]]`: processes keel runs beside the program, in an order their `after` gives,
//! with readiness, restarts and an ordered stop. Each is compiled into a `keel_wire::Service`
//! record, its process settings through `[process]`'s own compiler, and shown back by
//! `inspect`.
//!
//! keel starts services in the order of the records and an `after` may only name an earlier
//! one, so keel-gen sorts them: each after those it names, otherwise in the order written.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::CString;

use keel_wire::{
    List as WireList, MAX_SERVICES, Ready, Record, Restart, SERVICE_NAME_MAX, Service, Services,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::process::{CompiledProcess, ProcessTable};
use super::supervision::{SignalName, duration_ms, duration_text, parse_signal, signal_text};
use crate::field::{List, c_string, names_schema, unspanned};
use crate::security::{CapabilitiesTable, RlimitTable, UserTable};
use crate::source::Source;
use crate::suggest::did_you_mean;

/// SIGTERM, the stop signal when none is given.
const SIGTERM: u8 = 15;
/// The back-off when none is given: the first delay, its ceiling, and the run that resets it.
const RESTART_DELAY_MS: u32 = 500;
const RESTART_MAX_MS: u32 = 30_000;
const RESTART_RESET_MS: u32 = 10_000;

/// A `[[service]]`: a process keel starts, restarts and stops beside the program.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTable {
    /// 1 to 32 of A-Z a-z 0-9 . _ -, unique: what the log and `after` call it.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The program and its arguments, as [process] args (at most 256 strings).
    #[schemars(with = "Vec<String>")]
    pub args: Option<List>,
    /// Variables to set, "KEY=VALUE", as [process] env.
    #[schemars(with = "Option<Vec<String>>")]
    pub env: Option<List>,
    /// Start from an empty environment, as [process] env_clear [false].
    #[schemars(with = "Option<bool>")]
    pub env_clear: Option<Spanned<bool>>,
    /// Variables to remove from keel's environment, as [process] env_unset.
    #[schemars(with = "Option<Vec<String>>")]
    pub env_unset: Option<List>,
    /// Absolute working directory [keel's own].
    #[schemars(with = "Option<String>")]
    pub cwd: Option<Spanned<String>>,
    /// Set PR_SET_NO_NEW_PRIVS for it [false].
    pub no_new_privileges: Option<bool>,
    /// Who it runs as, as [process.user] [keel's user].
    #[schemars(with = "Option<UserTable>")]
    pub user: Option<Spanned<UserTable>>,
    /// Its capability sets, as [process.capabilities].
    pub capabilities: Option<CapabilitiesTable>,
    /// Its resource limits, as [[process.rlimits]].
    #[schemars(with = "Option<Vec<RlimitTable>>")]
    pub rlimits: Option<Vec<Spanned<RlimitTable>>>,
    /// Services it starts after, once they are ready; it is stopped before them [none].
    #[schemars(with = "Option<Vec<String>>")]
    pub after: Option<List>,
    /// "started": ready once started; "notify": once it sends READY=1 to $NOTIFY_SOCKET (sd_notify); "fd:N": once it writes a newline to fd N, 3 or above (s6) [started].
    #[schemars(with = "Option<ReadyName>")]
    pub ready: Option<Spanned<String>>,
    /// How long it has to become ready, else it counts as a failed start: "250ms", "5s" [no limit].
    #[schemars(with = "Option<String>")]
    pub ready_timeout: Option<Spanned<String>>,
    /// "no": never started again; "on-failure": when it exits with a status other than 0, of a signal, or is not ready in time; "always": whenever it exits [no].
    #[schemars(with = "Option<RestartName>")]
    pub restart: Option<Spanned<String>>,
    /// The first delay before a restart; it doubles after each one [500ms].
    #[schemars(with = "Option<String>")]
    pub restart_delay: Option<Spanned<String>>,
    /// The longest delay before a restart [30s].
    #[schemars(with = "Option<String>")]
    pub restart_max: Option<Spanned<String>>,
    /// A run at least this long resets the delay to restart_delay [10s].
    #[schemars(with = "Option<String>")]
    pub restart_reset: Option<Spanned<String>>,
    /// The signal that stops it [TERM].
    #[schemars(with = "Option<SignalName>")]
    pub stop_signal: Option<Spanned<String>>,
    /// How long it has between its stop signal and SIGKILL [the [supervision] grace].
    #[schemars(with = "Option<String>")]
    pub stop_grace: Option<Spanned<String>>,
    /// When it stops for good (exits and is not restarted), keel stops everything and exits with its status [false].
    pub critical: Option<bool>,
}

const RESTARTS: [Restart; 3] = [Restart::No, Restart::OnFailure, Restart::Always];

names_schema!(
    /// A `restart` in the JSON schema.
    RestartName,
    RESTARTS.map(|restart| restart_name(restart).to_owned())
);

/// A `ready` in the JSON schema: "started", "notify" or "fd:N".
pub enum ReadyName {}

impl JsonSchema for ReadyName {
    fn schema_name() -> Cow<'static, str> {
        "ReadyName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(started|notify|fd:[0-9]+)$",
            "examples": ["notify", "fd:3"],
        })
    }
}

fn restart_name(restart: Restart) -> &'static str {
    match restart {
        Restart::No => "no",
        Restart::OnFailure => "on-failure",
        Restart::Always => "always",
    }
}

/// The records of the services, in start order.
pub fn compile(source: &Source, tables: &[Spanned<ServiceTable>]) -> Result<Vec<u8>, String> {
    if let Some(extra) = tables.get(MAX_SERVICES) {
        let message =
            format!("more than {MAX_SERVICES} [[service]]: keel runs at most {MAX_SERVICES}");
        return Err(source.error(extra.span(), message));
    }
    let mut index = HashMap::new();
    for (i, table) in tables.iter().enumerate() {
        let name = &table.get_ref().name;
        check_name(source, name)?;
        if index.insert(name.get_ref().as_str(), i).is_some() {
            let message = format!(
                "a service is already named {:?}: names are unique",
                name.get_ref()
            );
            return Err(source.error(name.span(), message));
        }
    }
    let after = tables
        .iter()
        .map(|table| resolve_after(source, table.get_ref(), &index))
        .collect::<Result<Vec<_>, _>>()?;
    let order = start_order(source, tables, &after)?;
    let position: HashMap<usize, u8> = order
        .iter()
        .enumerate()
        .map(|(at, &i)| (i, at as u8))
        .collect();
    let mut records = Vec::new();
    for &i in &order {
        let table = tables[i].get_ref();
        let mut earlier: Vec<u8> = after[i].iter().map(|(dep, _)| position[dep]).collect();
        earlier.sort_unstable();
        earlier.dedup();
        let process = table.process_table().compile(source)?;
        let name = c_string(source, &table.name)?;
        let service = table.compile(source, &name, &process, &earlier, tables[i].span())?;
        service.write(|part| records.extend_from_slice(part));
    }
    Ok(records)
}

fn check_name(source: &Source, name: &Spanned<String>) -> Result<(), String> {
    let text = name.get_ref();
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if (1..=SERVICE_NAME_MAX).contains(&text.len()) && text.chars().all(valid) {
        return Ok(());
    }
    let message = format!(
        "service name {text:?}: 1 to {SERVICE_NAME_MAX} of A-Z a-z 0-9 . _ -, as in name = \"db\""
    );
    Err(source.error(name.span(), message))
}

/// The indexes (in the file) of the services `table` starts after, with where each is named.
fn resolve_after(
    source: &Source,
    table: &ServiceTable,
    index: &HashMap<&str, usize>,
) -> Result<Vec<(usize, std::ops::Range<usize>)>, String> {
    let names = table
        .after
        .as_ref()
        .map(|after| after.get_ref().as_slice())
        .unwrap_or_default();
    names
        .iter()
        .map(|name| match index.get(name.get_ref().as_str()) {
            Some(_) if name.get_ref() == table.name.get_ref() => {
                Err(source.error(name.span(), "a service cannot start after itself"))
            }
            Some(&i) => Ok((i, name.span())),
            None => {
                let message = format!(
                    "after names {:?}, which is no [[service]]{}",
                    name.get_ref(),
                    did_you_mean(name.get_ref(), "", index.keys())
                );
                Err(source.error(name.span(), message))
            }
        })
        .collect()
}

/// The services in start order: each after those it names, otherwise in the file's order;
/// a cycle is an error at an `after` entry on it.
fn start_order(
    source: &Source,
    tables: &[Spanned<ServiceTable>],
    after: &[Vec<(usize, std::ops::Range<usize>)>],
) -> Result<Vec<usize>, String> {
    let mut started = vec![false; tables.len()];
    let mut order = Vec::with_capacity(tables.len());
    while order.len() < tables.len() {
        let next = (0..tables.len())
            .find(|&i| !started[i] && after[i].iter().all(|(dep, _)| started[*dep]));
        let Some(next) = next else {
            // Every service left waits for another one left: follow the waits to a cycle.
            let mut at = (0..tables.len()).find(|&i| !started[i]).unwrap_or_default();
            let mut path = vec![at];
            loop {
                let (dep, span) = after[at]
                    .iter()
                    .find(|(dep, _)| !started[*dep])
                    .cloned()
                    .unwrap_or_default();
                if let Some(from) = path.iter().position(|&i| i == dep) {
                    let names: Vec<&str> = path[from..]
                        .iter()
                        .chain([&dep])
                        .map(|&i| tables[i].get_ref().name.get_ref().as_str())
                        .collect();
                    let message = format!("after makes a cycle: {}", names.join(" → "));
                    return Err(source.error(span, message));
                }
                path.push(dep);
                at = dep;
            }
        };
        started[next] = true;
        order.push(next);
    }
    Ok(order)
}

impl ServiceTable {
    /// Its process settings as a `[process]` table, for that table's compiler.
    fn process_table(&self) -> ProcessTable {
        ProcessTable {
            args: self.args.clone(),
            env: self.env.clone(),
            env_clear: self.env_clear.clone(),
            env_unset: self.env_unset.clone(),
            cwd: self.cwd.clone(),
            no_new_privileges: self.no_new_privileges,
            user: self.user.clone(),
            capabilities: self.capabilities.clone(),
            rlimits: self.rlimits.clone(),
            ..ProcessTable::default()
        }
    }

    fn compile<'a>(
        &self,
        source: &Source,
        name: &'a CString,
        process: &'a CompiledProcess,
        after: &'a [u8],
        span: std::ops::Range<usize>,
    ) -> Result<Service<'a>, String> {
        if self.args.is_none() {
            let message = format!(
                "service {:?} has no args: name its program, as in args = [\"/usr/bin/redis-server\"]",
                self.name.get_ref()
            );
            return Err(source.error(span, message));
        }
        let ready = self
            .ready
            .as_ref()
            .map(|ready| parse_ready(source, ready))
            .transpose()?
            .unwrap_or_default();
        if let Some(timeout) = &self.ready_timeout
            && ready == Ready::Started
        {
            let message = "ready_timeout needs ready = \"notify\" or \"fd:N\": a started service is ready at once";
            return Err(source.error(timeout.span(), message));
        }
        let restart = match &self.restart {
            Some(restart) => RESTARTS
                .into_iter()
                .find(|&r| restart_name(r) == restart.get_ref())
                .ok_or_else(|| {
                    let message = format!(
                        "restart = {:?}: \"no\", \"on-failure\" or \"always\"{}",
                        restart.get_ref(),
                        did_you_mean(restart.get_ref(), "", RESTARTS.map(restart_name))
                    );
                    source.error(restart.span(), message)
                })?,
            None => Restart::No,
        };
        let ms = |field: &Option<Spanned<String>>, default: u32| {
            field
                .as_ref()
                .map_or(Ok(default), |text| duration_ms(source, text))
        };
        let (delay, max) = (
            ms(&self.restart_delay, RESTART_DELAY_MS)?,
            ms(&self.restart_max, RESTART_MAX_MS)?,
        );
        if delay > max {
            let span = self
                .restart_max
                .as_ref()
                .or(self.restart_delay.as_ref())
                .map_or(span, Spanned::span);
            return Err(source.error(
                span,
                "restart_max is shorter than restart_delay: the delay doubles up to restart_max",
            ));
        }
        Ok(Service {
            name,
            process: process.config(),
            after: WireList::from_bytes_with_nul(after).unwrap_or_default(),
            ready,
            restart,
            critical: self.critical.unwrap_or_default(),
            stop_signal: self
                .stop_signal
                .as_ref()
                .map_or(Ok(SIGTERM), |signal| parse_signal(source, signal))?,
            stop_grace_ms: ms(&self.stop_grace, 0)?,
            ready_timeout_ms: ms(&self.ready_timeout, 0)?,
            restart_delay_ms: delay,
            restart_max_ms: max,
            restart_reset_ms: ms(&self.restart_reset, RESTART_RESET_MS)?,
        })
    }

    pub fn from_wire(service: &Service<'_>, names: &[String]) -> Result<ServiceTable, String> {
        let name = service
            .name
            .to_str()
            .map_err(|_| "a service name is not UTF-8".to_owned())?;
        let process = ProcessTable::from_wire(&service.process)?;
        let ms =
            |value: u32, default: u32| (value != default).then(|| unspanned(duration_text(value)));
        let after: Vec<Spanned<String>> = service
            .after
            .iter()
            .map(|i| unspanned(names.get(usize::from(i)).cloned().unwrap_or_default()))
            .collect();
        Ok(ServiceTable {
            name: unspanned(name.to_owned()),
            args: process.args,
            env: process.env,
            env_clear: process.env_clear,
            env_unset: process.env_unset,
            cwd: process.cwd,
            no_new_privileges: process.no_new_privileges,
            user: process.user,
            capabilities: process.capabilities,
            rlimits: process.rlimits,
            after: (!after.is_empty()).then(|| unspanned(after)),
            ready: match service.ready {
                Ready::Started => None,
                Ready::Notify => Some(unspanned("notify".to_owned())),
                Ready::Fd(fd) => Some(unspanned(format!("fd:{fd}"))),
            },
            ready_timeout: ms(service.ready_timeout_ms, 0),
            restart: (service.restart != Restart::No)
                .then(|| unspanned(restart_name(service.restart).to_owned())),
            restart_delay: ms(service.restart_delay_ms, RESTART_DELAY_MS),
            restart_max: ms(service.restart_max_ms, RESTART_MAX_MS),
            restart_reset: ms(service.restart_reset_ms, RESTART_RESET_MS),
            stop_signal: (service.stop_signal != SIGTERM)
                .then(|| unspanned(signal_text(service.stop_signal))),
            stop_grace: ms(service.stop_grace_ms, 0),
            critical: service.critical.then_some(true),
        })
    }
}

/// `services` as `[[service]]` tables, in their start order.
pub fn from_wire(services: Services<'_>) -> Result<Option<Vec<Spanned<ServiceTable>>>, String> {
    if services.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = services
        .iter()
        .map(|s| s.name.to_string_lossy().into_owned())
        .collect();
    services
        .iter()
        .map(|service| ServiceTable::from_wire(&service, &names).map(unspanned))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// "started", "notify" or "fd:N" with N from 3 (0, 1 and 2 are the service's stdio, and
/// keel passes it nothing else) to 255.
fn parse_ready(source: &Source, ready: &Spanned<String>) -> Result<Ready, String> {
    let text = ready.get_ref();
    let problem = match text.as_str() {
        "started" => return Ok(Ready::Started),
        "notify" => return Ok(Ready::Notify),
        _ => match text.strip_prefix("fd:").map(str::parse::<u8>) {
            Some(Ok(fd @ 3..)) => return Ok(Ready::Fd(fd)),
            Some(Ok(fd)) => format!(
                "ready = \"fd:{fd}\": fd {fd} is the service's {}; use fd:3 or above",
                ["stdin", "stdout", "stderr"][usize::from(fd)]
            ),
            Some(Err(_)) => {
                format!("ready = {text:?}: the fd is a number from 3 to 255, as in \"fd:3\"")
            }
            None => format!(
                "ready = {text:?}: \"started\", \"notify\" or \"fd:N\"{}",
                did_you_mean(text, "", ["started", "notify"])
            ),
        },
    };
    Err(source.error(ready.span(), problem))
}
