//! `[supervision]`: how keel runs the program (mode, reaping, signal forwarding and
//! rewriting, the drain's grace, exit-code remapping), checked and compiled into
//! `keel_wire::Supervision`, and shown back by `inspect`.

use std::borrow::Cow;

use keel_wire::{ExitCodes, Mode, SignalRewrites, Supervision, syntax};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::field::{List, names_schema, one_of, unique, unspanned, value};
use crate::source::Source;
use crate::suggest::did_you_mean;

/// `[supervision]`: how keel runs the program.
// Spanned fields are the ones an error may point at.
#[derive(Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisionTable {
    /// "supervise": fork the program and supervise it; "exec": replace keel with it after setup; "machine": supervise it as the machine's init, then power off [supervise].
    #[schemars(with = "Option<ModeName>")]
    pub mode: Option<Spanned<String>>,
    /// Become a child subreaper, to reap orphans when keel is not PID 1 (tini -s) [automatic when not PID 1].
    pub subreaper: Option<bool>,
    /// Forward signals to the program's whole process group (tini -g) [false].
    #[schemars(with = "Option<bool>")]
    pub kill_process_group: Option<Spanned<bool>>,
    /// Exit codes reported as 0, e.g. 143 from a JVM stopped by SIGTERM (tini -e) [none].
    #[schemars(example = serde_json::json!([143]))]
    #[schemars(with = "Option<Vec<i64>>")]
    pub remap_exit: Option<Spanned<Vec<Spanned<i64>>>>,
    /// How long the drain waits after SIGTERM before SIGKILL: "250ms", "5s", "1m" (at most 49 days) [5s].
    #[schemars(example = serde_json::json!("10s"))]
    #[schemars(with = "Option<String>")]
    pub grace: Option<Spanned<String>>,
    /// Signals forwarded as another, "FROM:TO" (dumb-init --rewrite); TO = 0 drops FROM [none].
    #[schemars(with = "Option<Vec<SignalRewrite>>")]
    pub rewrite: Option<List>,
    /// How much keel logs: 0 errors only, 1 warnings, 2 info, 3 debug (tini -v) [1].
    pub verbosity: Option<u8>,
    /// Warn about every zombie reaped that was not the program (tini -w) [false].
    #[schemars(with = "Option<bool>")]
    pub warn_on_reap: Option<Spanned<bool>>,
    /// The signal keel gets when its parent dies (tini -p) [none].
    #[schemars(with = "Option<SignalName>")]
    pub parent_death_signal: Option<Spanned<String>>,
    /// Re-execute keel from a sealed copy of itself first (CVE-2019-5736) [when keel is PID 1].
    pub seal_exe: Option<bool>,
}

/// The supervision settings, and the rewrite pairs their `SignalRewrites` borrows.
#[derive(Default)]
pub struct CompiledSupervision {
    rewrite: Vec<[u8; 2]>,
    /// Every field but `rewrite`, which borrows `self.rewrite`.
    supervision: Supervision<'static>,
}

impl CompiledSupervision {
    pub fn config(&self) -> Supervision<'_> {
        Supervision {
            rewrite: SignalRewrites::new(&self.rewrite),
            ..self.supervision
        }
    }
}

impl SupervisionTable {
    pub fn compile(&self, source: &Source) -> Result<CompiledSupervision, String> {
        let mode = self
            .mode
            .as_ref()
            .map(|mode| parse_mode(source, mode))
            .transpose()?;
        if mode == Some(Mode::Exec) {
            self.reject_supervision_only(source)?;
        }
        let rewrite = self
            .rewrite
            .as_ref()
            .map(|list| rewrites(source, list))
            .transpose()?
            .unwrap_or_default();
        let supervision = Supervision {
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
        Ok(CompiledSupervision {
            rewrite,
            supervision,
        })
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

    pub fn from_wire(supervision: &Supervision<'_>) -> SupervisionTable {
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

/// The signals with names (1..=31, keel_wire's table), each without and with `SIG`.
fn signal_names() -> impl Iterator<Item = String> {
    let names = (1..syntax::RTMIN).filter_map(syntax::signal_name);
    names.flat_map(|name| [name.to_owned(), format!("SIG{name}")])
}

/// The signals written without a name: numbers and the real-time ones.
const NUMBERED_SIGNAL: &str = "[0-9]+|(SIG)?RTMIN([+][0-9]+)?|(SIG)?RTMAX(-[0-9]+)?";

/// A signal in the JSON schema, as [`parse_signal`] reads it: a type that only names a schema.
/// keel-gen also takes the names in lower case.
pub enum SignalName {}

impl JsonSchema for SignalName {
    fn schema_name() -> Cow<'static, str> {
        "SignalName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let numbered = format!("^({NUMBERED_SIGNAL})$");
        json_schema!({
            "anyOf": [one_of(signal_names()), { "type": "string", "pattern": numbered }],
            "examples": ["KILL", "SIGTERM", "RTMIN+3", "9"],
        })
    }
}

/// A `rewrite` entry in the JSON schema, `FROM:TO`, as [`rewrites`] reads it: a type that
/// only names a schema.
pub enum SignalRewrite {}

impl JsonSchema for SignalRewrite {
    fn schema_name() -> Cow<'static, str> {
        "SignalRewrite".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<String> = signal_names().collect();
        let signal = format!("{}|{NUMBERED_SIGNAL}", names.join("|"));
        json_schema!({
            "type": "string",
            "pattern": format!("^({signal}):({signal})$"),
            "examples": ["TERM:QUIT", "SIGWINCH:0"],
        })
    }
}

const SIGKILL: u8 = 9;
const SIGSTOP: u8 = 19;
const MODES: [Mode; 3] = [Mode::Supervise, Mode::Exec, Mode::Machine];

names_schema!(
    /// A `mode` in the JSON schema, from [`MODES`].
    ModeName,
    MODES.map(|mode| mode_name(mode).to_owned())
);

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
                "unknown mode {:?}: use \"supervise\", \"exec\" or \"machine\"{}",
                mode.get_ref(),
                did_you_mean(mode.get_ref(), "", MODES.map(mode_name))
            );
            source.error(mode.span(), message)
        })
}

pub(super) fn parse_signal(source: &Source, signal: &Spanned<String>) -> Result<u8, String> {
    syntax::parse_signal(signal.get_ref().as_bytes()).ok_or_else(|| {
        let message = format!(
            "unknown signal {:?}: use a name such as \"KILL\" or \"SIGKILL\", 1..=64, or RTMIN+n{}",
            signal.get_ref(),
            did_you_mean(signal.get_ref(), "", signal_names())
        );
        source.error(signal.span(), message)
    })
}

pub(super) fn duration_ms(source: &Source, duration: &Spanned<String>) -> Result<u32, String> {
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

/// How `inspect` writes a signal: `TERM`, `RTMIN+3`, or the number (0 means "drop").
pub(super) fn signal_text(signal: u8) -> String {
    match syntax::signal_name(signal) {
        Some(name) => name.to_owned(),
        None if signal == syntax::RTMIN => "RTMIN".to_owned(),
        None if signal > syntax::RTMIN => format!("RTMIN+{}", signal - syntax::RTMIN),
        None => signal.to_string(),
    }
}

/// How `inspect` writes a duration: in the largest unit that keeps it exact.
pub(super) fn duration_text(ms: u32) -> String {
    match ms {
        0 => "0s".to_owned(),
        _ if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}
