//! `[process.seccomp]`: a seccomp policy with the names of OCI's `linux.seccomp`, compiled
//! on the host into the classic BPF program keel installs with
//! `seccomp(SECCOMP_SET_MODE_FILTER, flags, &sock_fprog)`, and decompiled back for `inspect`.
//!
//! # What a policy means
//!
//! For each system call the workload makes:
//! - Only x86_64 calls are filtered. A call through another ABI, i386 (`int 0x80`, another
//!   `seccomp_data.arch`) or x32 (numbers from `__X32_SYSCALL_BIT` up, which no x86_64
//!   call has), kills the process: its numbers name other calls, so letting it through
//!   would bypass the policy. Listing `SCMP_ARCH_X86` or another architecture does not
//!   change that; `compile` warns about it. Number -1 is the exception: a tracer sets it to
//!   skip a call and the filter then runs again, so it gets the default action, as in
//!   libseccomp's filters.
//! - The `[[syscalls]]` rules naming the call are tried in the order written; the first
//!   whose `args` conditions all hold gives the action. When none does, `default_action`.
//! - A rule whose `args` test the same argument twice means "any of them" instead: each
//!   condition becomes a rule of its own, as runc does.
//! - Compares are unsigned and 64-bit, as libseccomp's; `SCMP_CMP_MASKED_EQ` holds when
//!   `(arg & value) == value_two`.
//! - A rule after one without `args` for the same call is never reached: an error.
//! - `errno_ret` is the errno for `SCMP_ACT_ERRNO` and the message for the tracer with
//!   `SCMP_ACT_TRACE`; both default to EPERM (1), as in runc.
//!
//! # The program
//!
//! 1. A header: `arch` must be `AUDIT_ARCH_X86_64` and `nr` below `__X32_SYSCALL_BIT` (or
//!    -1), or `ret KILL_PROCESS`.
//! 2. The dispatch: the numbers that have rules, cut into runs of consecutive numbers whose
//!    rules are the same, and one `jgt last_of_run` per run (and per gap between runs), in
//!    increasing order: the first test that fails jumps to the run's body. A jump farther
//!    than a conditional jump's 255 instructions goes through a `ja` after the test.
//!    Docker's default profile is 33 runs, so about 70 instructions instead of one per call.
//! 3. `ret default`, for the numbers no run holds.
//! 4. One body per set of calls with the same rules: each rule's conditions (each a fixed
//!    sequence of loads and jumps comparing the two 32-bit halves of the argument), which
//!    jump to the next rule when one fails, then `ret action`; after a conditional last
//!    rule, `ret default`.
//!
//! Bodies are ordered by their lowest call number, so the program depends only on what the
//! policy means: `SeccompTable::from_wire` can rebuild a policy from a program and checks
//! that compiling it gives the same bytes, or refuses the program.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde::{Deserialize, Serialize};
use syscalls::{Errno, Sysno};
use toml::{Spanned, Value};

use crate::field::{List, unique, unspanned};
use crate::security::lookup;
use crate::source::Source;

mod bpf;
#[cfg(test)]
mod tests;

use bpf::*;

/// The actions by name, without `SCMP_ACT_`; the first name of each is what `inspect` writes.
const ACTIONS: [(&str, Action); 9] = [
    ("KILL_THREAD", Action::Ret(RET_KILL_THREAD)),
    ("KILL", Action::Ret(RET_KILL_THREAD)),
    ("KILL_PROCESS", Action::Ret(RET_KILL_PROCESS)),
    ("TRAP", Action::Ret(RET_TRAP)),
    ("ERRNO", Action::WithData(RET_ERRNO, MAX_ERRNO)),
    ("TRACE", Action::WithData(RET_TRACE, RET_DATA)),
    ("LOG", Action::Ret(RET_LOG)),
    ("ALLOW", Action::Ret(RET_ALLOW)),
    ("NOTIFY", Action::Notify),
];

#[derive(Clone, Copy)]
enum Action {
    Ret(u32),
    /// The action and the largest `errno_ret` it takes.
    WithData(u32, u32),
    Notify,
}

/// The compare operators by name, without `SCMP_CMP_`.
const OPS: [(&str, Op); 7] = [
    ("NE", Op::Ne),
    ("LT", Op::Lt),
    ("LE", Op::Le),
    ("EQ", Op::Eq),
    ("GE", Op::Ge),
    ("GT", Op::Gt),
    ("MASKED_EQ", Op::MaskedEq),
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    MaskedEq,
}

/// The filter flags by name, without `SECCOMP_FILTER_FLAG_` (linux/seccomp.h). The others
/// serve a seccomp agent (NEW_LISTENER, WAIT_KILLABLE_RECV), which keel does not have.
const FLAGS: [(&str, u32); 3] = [("TSYNC", 1), ("LOG", 2), ("SPEC_ALLOW", 4)];

/// libseccomp's architectures, without `SCMP_ARCH_`.
const ARCHITECTURES: [&str; 23] = [
    "X86",
    "X86_64",
    "X32",
    "ARM",
    "AARCH64",
    "MIPS",
    "MIPS64",
    "MIPS64N32",
    "MIPSEL",
    "MIPSEL64",
    "MIPSEL64N32",
    "PPC",
    "PPC64",
    "PPC64LE",
    "S390",
    "S390X",
    "PARISC",
    "PARISC64",
    "RISCV64",
    "LOONGARCH64",
    "M68K",
    "SH",
    "SHEB",
];

/// `[process.seccomp]` (OCI `linux.seccomp`).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeccompTable {
    pub default_action: Spanned<String>,
    /// An errno number or name, for an ERRNO or TRACE default action.
    pub default_errno_ret: Option<Spanned<Value>>,
    pub architectures: Option<List>,
    pub flags: Option<List>,
    pub syscalls: Option<Spanned<Vec<Spanned<SyscallTable>>>>,
}

/// An entry of `[[process.seccomp.syscalls]]` (OCI `linux.seccomp.syscalls`).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SyscallTable {
    pub names: List,
    pub action: Spanned<String>,
    pub errno_ret: Option<Spanned<Value>>,
    pub args: Option<Spanned<Vec<Spanned<ArgTable>>>>,
}

/// A condition in `args` (OCI `linux.seccomp.syscalls.args`).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArgTable {
    pub index: Spanned<i64>,
    /// An integer, or a string for values above `i64::MAX`: `"0xffffffffffffffff"`.
    pub value: Spanned<Value>,
    pub value_two: Option<Spanned<Value>>,
    pub op: Spanned<String>,
}

/// The filter keel installs, and what `compile` has to say about the policy.
pub struct CompiledSeccomp {
    /// `SECCOMP_FILTER_FLAG_*` for seccomp(2).
    pub flags: u32,
    /// `struct sock_filter` records, 8 bytes each: code (u16), jt, jf (u8), k (u32), all
    /// little-endian, as x86_64 lays them out.
    pub program: Vec<u8>,
    /// One line each, for the user: the parts of the policy keel does not compile.
    pub warnings: Vec<String>,
}

/// One test on one argument.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Condition {
    index: u8,
    op: Op,
    value: u64,
    /// The datum for MASKED_EQ, 0 for the others.
    value_two: u64,
}

/// A rule for one call: when all its conditions hold, `ret`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Rule {
    conditions: Vec<Condition>,
    ret: u32,
}

impl SeccompTable {
    pub fn compile(&self, source: &Source) -> Result<CompiledSeccomp, String> {
        let default = action(
            source,
            &self.default_action,
            self.default_errno_ret.as_ref(),
            "default_errno_ret",
        )?;
        let warnings = self.architectures(source)?;
        let flags = self.flags(source)?;
        let calls = self.rules(source, default)?;
        let program = assemble(&calls, default);
        if program.len() > BPF_MAXINSNS {
            let span = match &self.syscalls {
                Some(syscalls) => syscalls.span(),
                None => self.default_action.span(),
            };
            let message = format!(
                "the seccomp filter needs {} BPF instructions, more than the kernel's limit of {BPF_MAXINSNS}: merge rules or drop conditions",
                program.len()
            );
            return Err(source.error(span, message));
        }
        Ok(CompiledSeccomp {
            flags,
            program: program.into_iter().flat_map(Insn::to_bytes).collect(),
            warnings,
        })
    }

    /// Checks the names; the warnings for those that are not x86_64.
    fn architectures(&self, source: &Source) -> Result<Vec<String>, String> {
        let mut arches = Vec::new();
        for name in self.architectures.iter().flat_map(|list| list.get_ref()) {
            let arch = lookup(&ARCHITECTURES, "SCMP_ARCH_", name.get_ref()).ok_or_else(|| {
                let message = format!(
                    "unknown architecture {:?}: use SCMP_ARCH_ and one of {}",
                    name.get_ref(),
                    ARCHITECTURES.join(", ")
                );
                source.error(name.span(), message)
            })?;
            arches.push((arch, name.span()));
        }
        unique(source, arches.iter().cloned(), |&arch| {
            format!(
                "architectures lists SCMP_ARCH_{} twice",
                ARCHITECTURES[arch]
            )
        })?;
        let others = arches
            .into_iter()
            .filter(|&(arch, _)| ARCHITECTURES[arch] != "X86_64");
        let warnings = others.map(|(arch, span)| {
            let message = format!(
                "architectures: SCMP_ARCH_{} is not compiled: its syscalls are killed (keel filters x86_64 only)",
                ARCHITECTURES[arch]
            );
            source.error(span, message)
        });
        Ok(warnings.collect())
    }

    fn flags(&self, source: &Source) -> Result<u32, String> {
        let mut flags = Vec::new();
        for name in self.flags.iter().flat_map(|list| list.get_ref()) {
            let flag = lookup(&FLAGS.map(|(name, _)| name), "SECCOMP_FILTER_FLAG_", name.get_ref())
                .ok_or_else(|| {
                    let message = format!(
                        "unknown seccomp flag {:?}: use SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG or SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                        name.get_ref()
                    );
                    source.error(name.span(), message)
                })?;
            flags.push((flag, name.span()));
        }
        let flags = unique(source, flags, |&flag| {
            format!("flags lists SECCOMP_FILTER_FLAG_{} twice", FLAGS[flag].0)
        })?;
        Ok(flags.into_keys().fold(0, |bits, flag| bits | FLAGS[flag].1))
    }

    /// The rules of each call number that has any, in the order they are tried. Rules at
    /// the end that give the default action anyway are dropped, and with them the calls
    /// left with none, so that the program only depends on what the policy does.
    fn rules(&self, source: &Source, default: u32) -> Result<BTreeMap<u32, Vec<Rule>>, String> {
        // For each call, its rules and where it was named without conditions, if it was.
        let mut calls: BTreeMap<u32, (Vec<Rule>, Option<Range<usize>>)> = BTreeMap::new();
        let entries = self.syscalls.as_ref().map(Spanned::get_ref);
        for entry in entries.into_iter().flatten() {
            let SyscallTable {
                names,
                action: action_name,
                errno_ret,
                args,
            } = entry.get_ref();
            if names.get_ref().is_empty() {
                let message =
                    "names is empty: list the calls the rule is for, as in names = [\"read\"]";
                return Err(source.error(names.span(), message));
            }
            let ret = action(source, action_name, errno_ret.as_ref(), "errno_ret")?;
            let alternatives = match args {
                Some(args) => alternatives(conditions(source, args)?),
                None => vec![Vec::new()],
            };
            let mut numbers = Vec::new();
            for name in names.get_ref() {
                numbers.push((syscall_number(source, name)?, name.span()));
            }
            unique(source, numbers.iter().cloned(), |&nr| {
                format!("names lists {} twice", syscall_name(nr).unwrap_or_default())
            })?;
            for (nr, span) in numbers {
                let (rules, decided_at) = calls.entry(nr).or_default();
                if let Some(first) = decided_at {
                    let (line, _) = source.line_column(first.start);
                    let name = syscall_name(nr).unwrap_or_default();
                    let message = format!(
                        "this rule for {name} is never used: the rule at line {line} has no args, so it decides every {name} call: remove this one, or move it above that one"
                    );
                    return Err(source.error(span, message));
                }
                if alternatives.iter().any(Vec::is_empty) {
                    *decided_at = Some(span);
                }
                rules.extend(alternatives.iter().map(|conditions| Rule {
                    conditions: conditions.clone(),
                    ret,
                }));
            }
        }
        let mut out = BTreeMap::new();
        for (nr, (mut rules, _)) in calls {
            while rules.last().is_some_and(|rule| rule.ret == default) {
                rules.pop();
            }
            if !rules.is_empty() {
                out.insert(nr, rules);
            }
        }
        Ok(out)
    }

    /// The policy that compiles to `program` with `flags`: what `inspect` prints. Only a
    /// program in the shape `compile` writes has one, and compiling it must give the same
    /// bytes back, which this checks.
    pub fn from_wire(flags: u32, program: &[u8]) -> Result<SeccompTable, String> {
        let not_ours = || {
            format!(
                "seccomp: the filter was not written by keel-gen ({} instructions); inspect cannot show it as a policy",
                program.len() / 8
            )
        };
        let flag_names: Vec<_> = FLAGS
            .iter()
            .filter(|&&(_, bit)| flags & bit != 0)
            .map(|(name, _)| unspanned(format!("SECCOMP_FILTER_FLAG_{name}")))
            .collect();
        let known = FLAGS.iter().fold(0, |bits, (_, bit)| bits | bit);
        if flags & !known != 0 {
            return Err(format!(
                "seccomp: flags {flags:#x} have bits keel-gen does not know (it knows {known:#x})"
            ));
        }
        let insns = Insn::decode(program).ok_or_else(not_ours)?;
        let (default, groups) = read_program(&insns).ok_or_else(not_ours)?;
        let (default_action, default_errno_ret) = action_text(default).ok_or_else(not_ours)?;
        let mut entries = Vec::new();
        for (numbers, rules) in groups {
            let names: Option<Vec<_>> = numbers
                .iter()
                .map(|&nr| syscall_name(nr).map(|name| unspanned(name.to_owned())))
                .collect();
            let names = unspanned(names.ok_or_else(not_ours)?);
            for rule in rules {
                let (action, errno_ret) = action_text(rule.ret).ok_or_else(not_ours)?;
                let args = (!rule.conditions.is_empty())
                    .then(|| unspanned(rule.conditions.iter().map(arg_table).collect()));
                entries.push(unspanned(SyscallTable {
                    names: names.clone(),
                    action,
                    errno_ret,
                    args,
                }));
            }
        }
        let table = SeccompTable {
            default_action,
            default_errno_ret,
            architectures: None,
            flags: (!flag_names.is_empty()).then(|| unspanned(flag_names)),
            syscalls: (!entries.is_empty()).then(|| unspanned(entries)),
        };
        let source = Source {
            name: "<inspect>".to_owned(),
            text: String::new(),
        };
        match table.compile(&source) {
            Ok(compiled) if compiled.program == program && compiled.flags == flags => Ok(table),
            _ => Err(not_ours()),
        }
    }
}

/// A `SECCOMP_RET_*` value from an action name and its `errno_ret`, the field `data_field`.
fn action(
    source: &Source,
    name: &Spanned<String>,
    errno_ret: Option<&Spanned<Value>>,
    data_field: &str,
) -> Result<u32, String> {
    let index = lookup(&ACTIONS.map(|(name, _)| name), "SCMP_ACT_", name.get_ref())
        .ok_or_else(|| {
            let message = format!(
                "unknown seccomp action {:?}: use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD (or SCMP_ACT_KILL), SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG",
                name.get_ref()
            );
            source.error(name.span(), message)
        })?;
    match (ACTIONS[index].1, errno_ret) {
        (Action::Notify, _) => Err(source.error(
            name.span(),
            "SCMP_ACT_NOTIFY needs a seccomp agent listening on the filter's descriptor, and keel has none: use SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        )),
        (Action::Ret(ret), None) => Ok(ret),
        (Action::Ret(_), Some(data)) => Err(source.error(
            data.span(),
            format!(
                "{data_field} goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE; SCMP_ACT_{} takes none: remove it",
                ACTIONS[index].0
            ),
        )),
        (Action::WithData(ret, _), None) => Ok(ret | EPERM),
        (Action::WithData(ret, max), Some(data)) => Ok(ret | errno_value(source, data, max)?),
    }
}

/// An `errno_ret`: a number up to `max`, or an errno name such as `"EPERM"`.
fn errno_value(source: &Source, value: &Spanned<Value>, max: u32) -> Result<u32, String> {
    let number = match value.get_ref() {
        Value::Integer(number) => u32::try_from(*number).ok().filter(|&n| n <= max),
        Value::String(name) => (1..=MAX_ERRNO)
            .find(|&n| errno_name(n).is_some_and(|known| known.eq_ignore_ascii_case(name))),
        _ => None,
    };
    number.ok_or_else(|| {
        let message = format!(
            "errno_ret is an errno name such as \"EPERM\", or a number 0..={max} (0 fakes success)"
        );
        source.error(value.span(), message)
    })
}

fn errno_name(number: u32) -> Option<&'static str> {
    Errno::new(i32::try_from(number).ok()?).name()
}

/// The conditions of `args`, checked.
fn conditions(
    source: &Source,
    args: &Spanned<Vec<Spanned<ArgTable>>>,
) -> Result<Vec<Condition>, String> {
    if args.get_ref().len() > MAX_ARGS {
        let message = format!(
            "args has {} conditions; a rule takes at most {MAX_ARGS}: split it into several rules",
            args.get_ref().len()
        );
        return Err(source.error(args.span(), message));
    }
    let mut out = Vec::new();
    for arg in args.get_ref() {
        let ArgTable {
            index,
            value,
            value_two,
            op,
        } = arg.get_ref();
        let index = u8::try_from(*index.get_ref())
            .ok()
            .filter(|&i| usize::from(i) < MAX_ARGS)
            .ok_or_else(|| {
                source.error(
                    index.span(),
                    "index is the argument's position, 0..=5 (a system call has 6 arguments)",
                )
            })?;
        let op_name = op;
        let op = lookup(&OPS.map(|(name, _)| name), "SCMP_CMP_", op.get_ref())
            .map(|i| OPS[i].1)
            .ok_or_else(|| {
                let message = format!(
                    "unknown compare {:?}: use SCMP_CMP_ and one of {}",
                    op.get_ref(),
                    OPS.map(|(name, _)| name).join(", ")
                );
                source.error(op.span(), message)
            })?;
        let value_two = match (value_two, op) {
            (None, _) => 0,
            (Some(two), Op::MaskedEq) => arg_value(source, two)?,
            (Some(two), _) => {
                let message = format!(
                    "value_two is the datum of SCMP_CMP_MASKED_EQ; {} compares with value alone: remove value_two",
                    op_name.get_ref()
                );
                return Err(source.error(two.span(), message));
            }
        };
        out.push(Condition {
            index,
            op,
            value: arg_value(source, value)?,
            value_two,
        });
    }
    Ok(out)
}

/// The rules one `[[syscalls]]` entry's conditions make: one that needs them all or, when
/// two test the same argument, one per condition. That is runc's reading of OCI's `args`
/// (libcontainer/seccomp/seccomp_linux.go, `matchCall`: "If two or more arguments have the
/// same condition, Revert to old behavior, adding each condition as a separate rule"),
/// which libseccomp then tries as alternatives.
fn alternatives(conditions: Vec<Condition>) -> Vec<Vec<Condition>> {
    let mut seen = [false; MAX_ARGS];
    let repeated = conditions
        .iter()
        .any(|c| std::mem::replace(&mut seen[usize::from(c.index)], true));
    if repeated {
        conditions.into_iter().map(|c| vec![c]).collect()
    } else {
        vec![conditions]
    }
}

/// An argument value: a TOML integer from 0, or a string (hexadecimal with `0x`, or
/// decimal) for the values TOML's signed integers cannot hold.
fn arg_value(source: &Source, value: &Spanned<Value>) -> Result<u64, String> {
    let number = match value.get_ref() {
        Value::Integer(number) => u64::try_from(*number).ok(),
        Value::String(text) => match text.strip_prefix("0x").or(text.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        },
        _ => None,
    };
    number.ok_or_else(|| {
        source.error(
            value.span(),
            "argument values are integers from 0 to 2^64-1; write those above 2^63-1 as strings, as in \"0xffffffffffffffff\"",
        )
    })
}

/// How `inspect` (and `from-oci`) write an argument value: a TOML integer when it can be
/// one, else hexadecimal text (TOML integers are signed).
pub fn value_text(value: u64) -> Value {
    match i64::try_from(value) {
        Ok(number) => Value::Integer(number),
        Err(_) => Value::String(format!("{value:#x}")),
    }
}

fn arg_table(condition: &Condition) -> Spanned<ArgTable> {
    let op = OPS
        .iter()
        .find(|(_, op)| *op == condition.op)
        .expect("all ops");
    unspanned(ArgTable {
        index: unspanned(i64::from(condition.index)),
        value: unspanned(value_text(condition.value)),
        value_two: (condition.op == Op::MaskedEq)
            .then(|| unspanned(value_text(condition.value_two))),
        op: unspanned(format!("SCMP_CMP_{}", op.0)),
    })
}

/// The action name and `errno_ret` that compile to `ret`, if keel-gen writes `ret`.
fn action_text(ret: u32) -> Option<(Spanned<String>, Option<Spanned<Value>>)> {
    let (base, data) = (ret & !RET_DATA, ret & RET_DATA);
    let (name, action) = ACTIONS.iter().find(|(_, action)| match action {
        Action::Ret(known) => *known == ret,
        Action::WithData(known, max) => *known == base && data <= *max,
        Action::Notify => false,
    })?;
    let errno_ret = match action {
        Action::WithData(..) if data != EPERM => Some(unspanned(match errno_name(data) {
            Some(errno) if base == RET_ERRNO => Value::String(errno.to_owned()),
            _ => Value::Integer(data.into()),
        })),
        _ => None,
    };
    Some((unspanned(format!("SCMP_ACT_{name}")), errno_ret))
}

/// The x86_64 number of a call, or an error that says what to write instead.
fn syscall_number(source: &Source, name: &Spanned<String>) -> Result<u32, String> {
    let text = name.get_ref();
    if let Ok(sysno) = text.parse::<Sysno>() {
        return Ok(u32::try_from(sysno.id()).expect("x86_64 numbers are positive"));
    }
    let message = if text.parse::<syscalls::x86::Sysno>().is_ok() {
        // i386's 64-bit and 32-bit-id variants are the plain calls on x86_64.
        let plain = ["_time64", "64", "32"]
            .iter()
            .filter_map(|suffix| text.strip_suffix(suffix))
            .find(|plain| plain.parse::<Sysno>().is_ok());
        match plain {
            Some(plain) => format!(
                "{text:?} is an i386 call, and keel filters x86_64 calls only: write {plain:?}, its x86_64 equivalent"
            ),
            None => format!(
                "{text:?} is an i386 call that x86_64 does not have, and keel filters x86_64 calls only: remove it"
            ),
        }
    } else {
        format!("unknown system call {text:?}: use an x86_64 name from syscalls(2), as in \"read\"")
    };
    Err(source.error(name.span(), message))
}

fn syscall_name(nr: u32) -> Option<&'static str> {
    Sysno::new(usize::try_from(nr).ok()?).map(|sysno| sysno.name())
}

/// The program for the rules of each call (see the module's documentation).
fn assemble(calls: &BTreeMap<u32, Vec<Rule>>, default: u32) -> Vec<Insn> {
    // The calls with the same rules share a body; bodies in order of their lowest number.
    let mut group_of: HashMap<&[Rule], usize> = HashMap::new();
    let mut bodies: Vec<Vec<Insn>> = Vec::new();
    // The runs of consecutive numbers with the same body: (last number, body).
    let mut runs: Vec<(u32, u32, usize)> = Vec::new();
    for (&nr, rules) in calls {
        let group = *group_of.entry(rules).or_insert_with(|| {
            bodies.push(body(rules, default));
            bodies.len() - 1
        });
        match runs.last_mut() {
            Some((_, last, g)) if *g == group && *last + 1 == nr => *last = nr,
            _ => runs.push((nr, nr, group)),
        }
    }
    // The dispatch's tests: (last number, target body or None for the default), in order.
    let mut tests: Vec<(u32, Option<usize>)> = Vec::new();
    let mut next = 0;
    for (first, last, group) in runs {
        if first > next {
            tests.push((first - 1, None));
        }
        tests.push((last, Some(group)));
        next = last + 1;
    }
    // Which tests jump too far for their 8-bit offset and need a `ja`. Making a test long
    // only moves the targets farther, so this only ever adds `ja`s and ends.
    let mut long = vec![false; tests.len()];
    let (ret_default, starts) = loop {
        let ret_default = HEADER_LEN + tests.len() + long.iter().filter(|&&l| l).count();
        let starts: Vec<usize> = bodies
            .iter()
            .scan(ret_default + 1, |start, body| {
                let this = *start;
                *start += body.len();
                Some(this)
            })
            .collect();
        let mut at = HEADER_LEN;
        let mut changed = false;
        for (i, &(_, target)) in tests.iter().enumerate() {
            let to = target.map_or(ret_default, |group| starts[group]);
            if !long[i] && to - (at + 1) > MAX_SHORT_JUMP {
                long[i] = true;
                changed = true;
            }
            at += 1 + usize::from(long[i]);
        }
        if !changed {
            break (ret_default, starts);
        }
    };
    let mut program = header().to_vec();
    for (&(last, target), long) in tests.iter().zip(long) {
        let at = program.len();
        let to = target.map_or(ret_default, |group| starts[group]);
        if long {
            // Past `last`: skip the `ja` to the next test.
            program.push(jump(JGT_K, last, at, at + 2, at + 1));
            let offset = to - (at + 2);
            program.push(Insn {
                code: JA,
                jt: 0,
                jf: 0,
                k: u32::try_from(offset).expect("programs are short"),
            });
        } else {
            program.push(jump(JGT_K, last, at, at + 1, to));
        }
    }
    program.push(Insn::ret(default));
    for body in bodies {
        program.extend(body);
    }
    program
}

/// The instructions for one call's rules, which end in a `ret`.
fn body(rules: &[Rule], default: u32) -> Vec<Insn> {
    let mut out = Vec::new();
    for rule in rules {
        let size: usize = rule.conditions.iter().map(Condition::len).sum();
        let next_rule = out.len() + size + 1;
        for condition in &rule.conditions {
            condition.emit(&mut out, next_rule);
        }
        out.push(Insn::ret(rule.ret));
    }
    // The last rule has conditions: the calls that fail them get the default.
    if rules.last().is_some_and(|rule| !rule.conditions.is_empty()) {
        out.push(Insn::ret(default));
    }
    out
}

impl Condition {
    fn len(&self) -> usize {
        match self.op {
            Op::Eq | Op::Ne => 4,
            Op::Gt | Op::Ge | Op::Lt | Op::Le => 5,
            Op::MaskedEq => 6,
        }
    }

    /// Appends the test, which falls through when it holds and jumps to `fail` when not.
    /// A 64-bit compare is two 32-bit ones: the high words decide unless they are equal.
    fn emit(&self, out: &mut Vec<Insn>, fail: usize) {
        // x86_64 is little-endian: the low word of args[i] first.
        let low = ARGS + 8 * u32::from(self.index);
        let high = low + 4;
        let split = |value: u64| ((value >> 32) as u32, value as u32);
        let (value_high, value_low) = split(self.value);
        let p = out.len();
        let pass = p + self.len();
        out.push(Insn::load(high));
        match self.op {
            Op::Eq => out.extend([
                jump(JEQ_K, value_high, p + 1, p + 2, fail),
                Insn::load(low),
                jump(JEQ_K, value_low, p + 3, pass, fail),
            ]),
            Op::Ne => out.extend([
                jump(JEQ_K, value_high, p + 1, p + 2, pass),
                Insn::load(low),
                jump(JEQ_K, value_low, p + 3, fail, pass),
            ]),
            Op::Gt | Op::Ge => out.extend([
                jump(JGT_K, value_high, p + 1, pass, p + 2),
                jump(JEQ_K, value_high, p + 2, p + 3, fail),
                Insn::load(low),
                match self.op {
                    Op::Gt => jump(JGT_K, value_low, p + 4, pass, fail),
                    _ => jump(JGE_K, value_low, p + 4, pass, fail),
                },
            ]),
            // The negations of GE and GT.
            Op::Lt | Op::Le => out.extend([
                jump(JGT_K, value_high, p + 1, fail, p + 2),
                jump(JEQ_K, value_high, p + 2, p + 3, pass),
                Insn::load(low),
                match self.op {
                    Op::Lt => jump(JGE_K, value_low, p + 4, fail, pass),
                    _ => jump(JGT_K, value_low, p + 4, fail, pass),
                },
            ]),
            Op::MaskedEq => {
                let (mask_high, mask_low) = (value_high, value_low);
                let (datum_high, datum_low) = split(self.value_two);
                let and = |k| Insn {
                    code: AND_K,
                    jt: 0,
                    jf: 0,
                    k,
                };
                out.extend([
                    and(mask_high),
                    jump(JEQ_K, datum_high, p + 2, p + 3, fail),
                    Insn::load(low),
                    and(mask_low),
                    jump(JEQ_K, datum_low, p + 5, pass, fail),
                ]);
            }
        }
        debug_assert_eq!(out.len(), pass);
    }

    /// The condition `emit` wrote at the start of `insns`, and its length. Reads only what
    /// tells conditions apart: `from_wire` checks the rest by compiling again.
    fn read(insns: &[Insn]) -> Option<(Condition, usize)> {
        let high = insns.first().filter(|i| i.code == LD_W_ABS)?.k;
        let index = high.checked_sub(ARGS + 4).filter(|o| o % 8 == 0)? / 8;
        let join = |high: &Insn, low: &Insn| u64::from(high.k) << 32 | u64::from(low.k);
        let second = insns.get(1)?;
        let (op, value, value_two) = match second.code {
            AND_K => (
                Op::MaskedEq,
                join(second, insns.get(4)?),
                join(insns.get(2)?, insns.get(5)?),
            ),
            JEQ_K => {
                let last = insns.get(3)?;
                let op = if last.jt == 0 { Op::Eq } else { Op::Ne };
                (op, join(second, last), 0)
            }
            JGT_K => {
                let last = insns.get(4)?;
                let op = match (last.code, last.jt == 0) {
                    (JGT_K, true) => Op::Gt,
                    (JGE_K, true) => Op::Ge,
                    (JGE_K, false) => Op::Lt,
                    (JGT_K, false) => Op::Le,
                    _ => return None,
                };
                (op, join(second, last), 0)
            }
            _ => return None,
        };
        let condition = Condition {
            index: u8::try_from(index)
                .ok()
                .filter(|&i| usize::from(i) < MAX_ARGS)?,
            op,
            value,
            value_two,
        };
        Some((condition, condition.len()))
    }
}

/// The calls that share a body, in increasing order, and their rules.
type Group = (Vec<u32>, Vec<Rule>);

/// The default action, and each body's call numbers and rules, of a program in the shape
/// `assemble` writes.
fn read_program(insns: &[Insn]) -> Option<(u32, Vec<Group>)> {
    if insns.get(..HEADER_LEN)? != header() {
        return None;
    }
    let mut at = HEADER_LEN;
    let mut first = 0u32;
    // (first number, last number, target) per test.
    let mut runs = Vec::new();
    let ret_default = loop {
        let test = insns.get(at)?;
        match test.code {
            RET_K => break at,
            JGT_K if test.jt == 0 => {
                runs.push((first, test.k, at + 1 + usize::from(test.jf)));
                at += 1;
            }
            JGT_K => {
                let ja = insns.get(at + 1).filter(|i| i.code == JA)?;
                runs.push((first, test.k, at + 2 + usize::try_from(ja.k).ok()?));
                at += 2;
            }
            _ => return None,
        }
        first = test.k.checked_add(1)?;
    };
    let default = insns[ret_default].k;
    // Bodies by target, in program order, which is the order of their lowest numbers.
    let mut groups: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (first, last, target) in runs {
        if target == ret_default {
            continue;
        }
        // Only numbers of calls have rules: stop before counting to 2^32.
        syscall_name(last)?;
        groups.entry(target).or_default().extend(first..=last);
    }
    let mut out = Vec::new();
    for (start, numbers) in groups {
        out.push((numbers, read_body(insns, start, default)?));
    }
    Some((default, out))
}

/// The rules of the body at `at`.
fn read_body(insns: &[Insn], mut at: usize, default: u32) -> Option<Vec<Rule>> {
    let mut rules = Vec::new();
    loop {
        let mut conditions = Vec::new();
        let ret = loop {
            let insn = insns.get(at)?;
            if insn.code == RET_K {
                at += 1;
                break insn.k;
            }
            let (condition, len) = Condition::read(&insns[at..])?;
            conditions.push(condition);
            at += len;
        };
        // A `ret` with no conditions is the last rule, or the default after the last rule.
        let last = conditions.is_empty();
        if !(last && ret == default) {
            rules.push(Rule { conditions, ret });
        }
        if last {
            return Some(rules);
        }
    }
}
