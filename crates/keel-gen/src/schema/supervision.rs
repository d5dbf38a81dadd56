//! `[supervision]`: how keel runs the program (mode, reaping, signal forwarding and
//! rewriting, the drain's grace, exit-code remapping), checked and compiled into
//! `keel_wire::Supervision`, and shown back by `inspect`.

use keel_wire::{ExitCodes, Mode, SignalRewrites, Supervision, syntax};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::field::{List, unique, unspanned, value};
use crate::source::Source;

/// `[supervision]`: how keel runs it. Spanned fields are the ones an error may point at.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisionTable {
    pub mode: Option<Spanned<String>>,
    pub subreaper: Option<bool>,
    pub kill_process_group: Option<Spanned<bool>>,
    pub remap_exit: Option<Spanned<Vec<Spanned<i64>>>>,
    pub grace: Option<Spanned<String>>,
    pub rewrite: Option<List>,
    pub verbosity: Option<u8>,
    pub warn_on_reap: Option<Spanned<bool>>,
    pub parent_death_signal: Option<Spanned<String>>,
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
