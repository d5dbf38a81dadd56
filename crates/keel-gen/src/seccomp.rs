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

use crate::schema::{List, unique, unspanned};
use crate::security::lookup;
use crate::source::Source;

/// `seccomp_data`: `nr` at 0, `arch` at 4, `instruction_pointer` at 8, `args` from 16.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARGS: u32 = 16;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// The kernel's limit on a classic BPF program (`BPF_MAXINSNS`).
const BPF_MAXINSNS: usize = 4096;
/// A conditional jump's offsets are one byte.
const MAX_SHORT_JUMP: usize = 255;
/// A system call has 6 arguments.
const MAX_ARGS: usize = 6;
/// The kernel clamps larger `SECCOMP_RET_ERRNO` data to this (`MAX_ERRNO`).
const MAX_ERRNO: u32 = 4095;
const EPERM: u32 = 1;

/// `SECCOMP_RET_*` (linux/seccomp.h): the action in the high 16 bits, data in the low ones.
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_KILL_THREAD: u32 = 0;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_DATA: u32 = 0xffff;

/// The classic BPF opcodes keel-gen writes (linux/bpf_common.h), all of which seccomp allows.
const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const AND_K: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const JA: u16 = 0x05; // BPF_JMP | BPF_JA
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGT_K: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K
const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

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
    default_action: Spanned<String>,
    /// An errno number or name, for an ERRNO or TRACE default action.
    default_errno_ret: Option<Spanned<Value>>,
    architectures: Option<List>,
    flags: Option<List>,
    syscalls: Option<Spanned<Vec<Spanned<SyscallTable>>>>,
}

/// An entry of `[[process.seccomp.syscalls]]` (OCI `linux.seccomp.syscalls`).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SyscallTable {
    names: List,
    action: Spanned<String>,
    errno_ret: Option<Spanned<Value>>,
    args: Option<Spanned<Vec<Spanned<ArgTable>>>>,
}

/// A condition in `args` (OCI `linux.seccomp.syscalls.args`).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ArgTable {
    index: Spanned<i64>,
    /// An integer, or a string for values above `i64::MAX`: `"0xffffffffffffffff"`.
    value: Spanned<Value>,
    value_two: Option<Spanned<Value>>,
    op: Spanned<String>,
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

/// A `struct sock_filter`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Insn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

impl Insn {
    fn load(offset: u32) -> Insn {
        Insn {
            code: LD_W_ABS,
            jt: 0,
            jf: 0,
            k: offset,
        }
    }

    fn ret(k: u32) -> Insn {
        Insn {
            code: RET_K,
            jt: 0,
            jf: 0,
            k,
        }
    }

    fn to_bytes(self) -> [u8; 8] {
        let mut bytes = [0; 8];
        bytes[..2].copy_from_slice(&self.code.to_le_bytes());
        bytes[2] = self.jt;
        bytes[3] = self.jf;
        bytes[4..].copy_from_slice(&self.k.to_le_bytes());
        bytes
    }

    fn decode(program: &[u8]) -> Option<Vec<Insn>> {
        let records = program.chunks_exact(8);
        if !records.remainder().is_empty() {
            return None;
        }
        let insns = records.map(|record| Insn {
            code: u16::from_le_bytes([record[0], record[1]]),
            jt: record[2],
            jf: record[3],
            k: u32::from_le_bytes(record[4..].try_into().expect("8-byte records")),
        });
        Some(insns.collect())
    }
}

/// A conditional jump at `at` (the next instruction is `at + 1`) to `jt` or `jf`.
fn jump(code: u16, k: u32, at: usize, jt: usize, jf: usize) -> Insn {
    let offset = |to: usize| {
        to.checked_sub(at + 1)
            .filter(|&offset| offset <= MAX_SHORT_JUMP)
            .and_then(|offset| u8::try_from(offset).ok())
            .expect("conditional jumps are forward and short")
    };
    Insn {
        code,
        jt: offset(jt),
        jf: offset(jf),
        k,
    }
}

/// Check the ABI, then load the call number, at [`HEADER_LEN`].
fn header() -> [Insn; HEADER_LEN] {
    let kill = 5;
    [
        Insn::load(ARCH),
        jump(JEQ_K, AUDIT_ARCH_X86_64, 1, 2, kill),
        Insn::load(NR),
        jump(JGE_K, X32_SYSCALL_BIT, 3, 4, HEADER_LEN),
        jump(JEQ_K, u32::MAX, 4, HEADER_LEN, kill),
        Insn::ret(RET_KILL_PROCESS),
    ]
}

const HEADER_LEN: usize = 6;

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};

    fn source(text: &str) -> Source {
        Source {
            name: "test.toml".to_owned(),
            text: text.to_owned(),
        }
    }

    /// A `[process.seccomp]` table written at the top of a file.
    fn compile(text: &str) -> Result<CompiledSeccomp, String> {
        let source = source(text);
        let table: SeccompTable = toml::from_str(text).map_err(|e| source.toml_error(&e))?;
        table.compile(&source)
    }

    /// `seccomp_data`.
    #[derive(Clone, Copy, Debug)]
    struct Data {
        nr: u32,
        arch: u32,
        args: [u64; 6],
    }

    impl Data {
        /// As the kernel lays it out on x86_64 (the instruction pointer left 0).
        fn bytes(&self) -> [u8; 64] {
            let mut bytes = [0; 64];
            bytes[..4].copy_from_slice(&self.nr.to_le_bytes());
            bytes[4..8].copy_from_slice(&self.arch.to_le_bytes());
            for (i, arg) in self.args.iter().enumerate() {
                bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&arg.to_le_bytes());
            }
            bytes
        }
    }

    /// What the kernel returns for `data`: the checks it makes when loading a seccomp
    /// filter (every jump inside the program, loads inside `seccomp_data`, a `ret` last),
    /// then a classic BPF interpreter for the opcodes keel-gen writes; any other panics.
    fn run(program: &[u8], data: &Data) -> u32 {
        let insns = Insn::decode(program).expect("whole records");
        assert!(!insns.is_empty() && insns.len() <= BPF_MAXINSNS);
        for (at, insn) in insns.iter().enumerate() {
            let targets = match insn.code {
                JA => vec![at + 1 + insn.k as usize],
                JEQ_K | JGT_K | JGE_K => {
                    vec![at + 1 + usize::from(insn.jt), at + 1 + usize::from(insn.jf)]
                }
                LD_W_ABS => {
                    assert!(insn.k % 4 == 0 && insn.k < 64, "load at {}", insn.k);
                    vec![]
                }
                AND_K | RET_K => vec![],
                code => panic!("opcode {code:#x} at {at}"),
            };
            assert!(
                targets.iter().all(|&to| to < insns.len()),
                "jump out at {at}"
            );
        }
        assert_eq!(insns.last().map(|i| i.code), Some(RET_K));
        let bytes = data.bytes();
        let (mut a, mut pc) = (0u32, 0);
        loop {
            let insn = insns[pc];
            pc += 1;
            let taken = match insn.code {
                LD_W_ABS => {
                    let at = insn.k as usize;
                    a = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
                    continue;
                }
                AND_K => {
                    a &= insn.k;
                    continue;
                }
                JA => {
                    pc += insn.k as usize;
                    continue;
                }
                RET_K => return insn.k,
                JEQ_K => a == insn.k,
                JGT_K => a > insn.k,
                JGE_K => a >= insn.k,
                code => unreachable!("checked {code}"),
            };
            pc += usize::from(if taken { insn.jt } else { insn.jf });
        }
    }

    /// Calls for random policies, with their x86_64 numbers written here rather than taken
    /// from the table: neighbours, so runs form, and numbers far apart.
    const CALLS: [(&str, u32); 10] = [
        ("read", 0),
        ("write", 1),
        ("open", 2),
        ("close", 3),
        ("stat", 4),
        ("getpid", 39),
        ("getuid", 102),
        ("getppid", 110),
        ("futex_waitv", 449),
        ("set_mempolicy_home_node", 450),
    ];
    const X86_64: u32 = 0xc000_003e;
    const I386: u32 = 0x4000_0003;
    const KILL_PROCESS: u32 = 0x8000_0000;
    const EDGES: [u64; 8] = [
        0,
        1,
        0xffff_ffff,
        1 << 32,
        (1 << 32) + 1,
        u64::MAX,
        u64::MAX - 1,
        1 << 63,
    ];
    const OP_NAMES: [&str; 7] = ["NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"];

    /// A policy as the tests write it, and evaluate without keel-gen.
    #[derive(Clone, Debug)]
    struct Policy {
        default: TestAction,
        rules: Vec<TestRule>,
        flags: Vec<&'static str>,
        /// Picks among the spellings keel-gen accepts.
        style: u8,
    }

    #[derive(Clone, Debug)]
    struct TestRule {
        calls: Vec<(&'static str, u32)>,
        action: TestAction,
        args: Vec<TestArg>,
    }

    #[derive(Clone, Copy, Debug)]
    struct TestArg {
        index: usize,
        op: usize,
        value: u64,
        value_two: u64,
    }

    #[derive(Clone, Copy, Debug)]
    enum TestAction {
        KillThread,
        KillProcess,
        Trap,
        Errno(u32),
        Trace(u32),
        Log,
        Allow,
    }

    impl TestAction {
        /// linux/seccomp.h's values, written out.
        fn ret(self) -> u32 {
            match self {
                TestAction::KillThread => 0,
                TestAction::KillProcess => KILL_PROCESS,
                TestAction::Trap => 0x0003_0000,
                TestAction::Errno(errno) => 0x0005_0000 | errno,
                TestAction::Trace(data) => 0x7ff0_0000 | data,
                TestAction::Log => 0x7ffc_0000,
                TestAction::Allow => 0x7fff_0000,
            }
        }

        /// `action = ...` (or `default_action`) and its errno_ret, if any.
        fn toml(self, field: &str, style: u8) -> String {
            let (name, data) = match self {
                TestAction::KillThread if style.is_multiple_of(2) => ("KILL", None),
                TestAction::KillThread => ("KILL_THREAD", None),
                TestAction::KillProcess => ("KILL_PROCESS", None),
                TestAction::Trap => ("TRAP", None),
                TestAction::Errno(errno) => ("ERRNO", Some(errno)),
                TestAction::Trace(data) => ("TRACE", Some(data)),
                TestAction::Log => ("LOG", None),
                TestAction::Allow => ("ALLOW", None),
            };
            let name = match style % 3 {
                0 => format!("SCMP_ACT_{name}"),
                1 => name.to_owned(),
                _ => format!("scmp_act_{}", name.to_ascii_lowercase()),
            };
            let data_field = if field == "action" {
                "errno_ret"
            } else {
                "default_errno_ret"
            };
            match data {
                // EPERM is the default: leave it out, or write it as a name or a number.
                Some(1) if style.is_multiple_of(5) => format!("{field} = \"{name}\"\n"),
                Some(1) if style % 5 == 1 => {
                    format!("{field} = \"{name}\"\n{data_field} = \"EPERM\"\n")
                }
                Some(38)
                    if name.to_ascii_uppercase().ends_with("ERRNO") && style.is_multiple_of(2) =>
                {
                    format!("{field} = \"{name}\"\n{data_field} = \"enosys\"\n")
                }
                Some(data) => format!("{field} = \"{name}\"\n{data_field} = {data}\n"),
                None => format!("{field} = \"{name}\"\n"),
            }
        }
    }

    fn value_toml(value: u64, style: u8) -> String {
        match i64::try_from(value) {
            Ok(_) if style.is_multiple_of(4) => format!("\"{value}\""),
            Ok(_) => value.to_string(),
            Err(_) if style.is_multiple_of(2) => format!("\"{value}\""),
            Err(_) => format!("\"{value:#x}\""),
        }
    }

    impl TestArg {
        fn holds(&self, arg: u64) -> bool {
            let value = self.value;
            match OP_NAMES[self.op] {
                "NE" => arg != value,
                "LT" => arg < value,
                "LE" => arg <= value,
                "EQ" => arg == value,
                "GE" => arg >= value,
                "GT" => arg > value,
                _ => arg & value == self.value_two,
            }
        }

        fn toml(&self, style: u8) -> String {
            let op = match style % 3 {
                0 => format!("SCMP_CMP_{}", OP_NAMES[self.op]),
                1 => OP_NAMES[self.op].to_owned(),
                _ => OP_NAMES[self.op].to_ascii_lowercase(),
            };
            let two = match OP_NAMES[self.op] {
                "MASKED_EQ" if self.value_two == 0 && style.is_multiple_of(2) => String::new(),
                "MASKED_EQ" => format!(", value_two = {}", value_toml(self.value_two, style)),
                _ => String::new(),
            };
            format!(
                "{{ index = {}, value = {}{two}, op = \"{op}\" }}",
                self.index,
                value_toml(self.value, style / 3),
            )
        }
    }

    impl Policy {
        fn toml(&self) -> String {
            let style = self.style;
            let mut text = self.default.toml("default_action", style);
            if !self.flags.is_empty() {
                let flags: Vec<_> = self.flags.iter().map(|f| format!("\"{f}\"")).collect();
                text += &format!("flags = [{}]\n", flags.join(", "));
            }
            for (i, rule) in self.rules.iter().enumerate() {
                let style = style.wrapping_add(i as u8);
                let names: Vec<_> = rule.calls.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                text += &format!("[[syscalls]]\nnames = [{}]\n", names.join(", "));
                text += &rule.action.toml("action", style);
                if !rule.args.is_empty() {
                    let args: Vec<_> = rule.args.iter().map(|a| a.toml(style)).collect();
                    text += &format!("args = [{}]\n", args.join(", "));
                }
            }
            text
        }

        /// The policy's meaning, as the module's documentation states it.
        fn evaluate(&self, data: &Data) -> u32 {
            let x32 = data.nr >= 0x4000_0000 && data.nr != u32::MAX;
            if data.arch != X86_64 || x32 {
                return KILL_PROCESS;
            }
            for rule in &self.rules {
                if !rule.calls.iter().any(|&(_, nr)| nr == data.nr) {
                    continue;
                }
                let holds = |arg: &TestArg| arg.holds(data.args[arg.index]);
                let mut indexes: Vec<_> = rule.args.iter().map(|a| a.index).collect();
                indexes.sort();
                indexes.dedup();
                let matched = if indexes.len() < rule.args.len() {
                    rule.args.iter().any(holds)
                } else {
                    rule.args.iter().all(holds)
                };
                if matched {
                    return rule.action.ret();
                }
            }
            self.default.ret()
        }

        /// Whether a rule names a call that an earlier rule without args decides.
        fn unreachable(&self) -> bool {
            self.rules.iter().enumerate().any(|(i, rule)| {
                self.rules[..i].iter().any(|earlier| {
                    earlier.args.is_empty()
                        && earlier.calls.iter().any(|call| rule.calls.contains(call))
                })
            })
        }

        fn constants(&self) -> Vec<u64> {
            let args = self.rules.iter().flat_map(|rule| &rule.args);
            args.flat_map(|arg| [arg.value, arg.value_two]).collect()
        }
    }

    fn test_action() -> impl Strategy<Value = TestAction> {
        prop_oneof![
            Just(TestAction::KillThread),
            Just(TestAction::KillProcess),
            Just(TestAction::Trap),
            select(vec![0, 1, 38, 4095]).prop_map(TestAction::Errno),
            select(vec![0, 1, 65535]).prop_map(TestAction::Trace),
            Just(TestAction::Log),
            Just(TestAction::Allow),
        ]
    }

    fn arg_constant() -> impl Strategy<Value = u64> {
        prop_oneof![select(EDGES.to_vec()), 0u64..4, any::<u64>()]
    }

    fn test_arg() -> impl Strategy<Value = TestArg> {
        // Few indexes, so that rules test the same argument twice.
        let index = prop_oneof![0usize..2, 0usize..6];
        (index, 0..OP_NAMES.len(), arg_constant(), arg_constant()).prop_map(
            |(index, op, value, value_two)| TestArg {
                index,
                op,
                value,
                value_two,
            },
        )
    }

    fn test_rule() -> impl Strategy<Value = TestRule> {
        let calls = subsequence(CALLS.to_vec(), 1..=3);
        let args = prop::collection::vec(test_arg(), 0..=3);
        (calls, test_action(), args).prop_map(|(calls, action, args)| TestRule {
            calls,
            action,
            args,
        })
    }

    fn policy() -> impl Strategy<Value = Policy> {
        let flags = subsequence(
            vec![
                "SECCOMP_FILTER_FLAG_TSYNC",
                "LOG",
                "seccomp_filter_flag_spec_allow",
            ],
            0..=3,
        );
        let rules = prop::collection::vec(test_rule(), 0..8);
        (test_action(), rules, flags, any::<u8>()).prop_map(|(default, rules, flags, style)| {
            Policy {
                default,
                rules,
                flags,
                style,
            }
        })
    }

    /// How to pick a `seccomp_data` for a policy: calls it names and their neighbours,
    /// other ABIs, and arguments at the edges of 32 and 64 bits and near the policy's
    /// constants, where a compare of two halves goes wrong.
    #[derive(Clone, Debug)]
    struct DataSeed {
        nr: (u8, usize, u32),
        arch: (u8, u32),
        args: [(u8, usize, i64, u64); 6],
    }

    fn data_seed() -> impl Strategy<Value = DataSeed> {
        let arg = (0u8..4, any::<usize>(), -2i64..=2, any::<u64>());
        (
            (0u8..8, any::<usize>(), any::<u32>()),
            (0u8..10, any::<u32>()),
            [
                arg.clone(),
                arg.clone(),
                arg.clone(),
                arg.clone(),
                arg.clone(),
                arg,
            ],
        )
            .prop_map(|(nr, arch, args)| DataSeed { nr, arch, args })
    }

    impl DataSeed {
        fn data(&self, policy: &Policy) -> Data {
            let (kind, pick, raw) = self.nr;
            let call = CALLS[pick % CALLS.len()].1;
            let nr = match kind {
                0..=4 => call,
                5 => call.wrapping_add(1),
                6 => [0x4000_0000 | call, u32::MAX, 0x3fff_ffff][pick % 3],
                _ => raw,
            };
            let arch = match self.arch {
                (0..=7, _) => X86_64,
                (8, _) => I386,
                (_, raw) => raw,
            };
            let constants = policy.constants();
            let args = self.args.map(|(kind, pick, delta, raw)| {
                let near = constants.get(pick % constants.len().max(1)).copied();
                match (kind, near) {
                    (1, Some(near)) => near.wrapping_add_signed(delta),
                    (2, Some(near)) => near.wrapping_add_signed(delta << 32),
                    (3, _) => raw,
                    _ => EDGES[pick % EDGES.len()],
                }
            });
            Data { nr, arch, args }
        }
    }

    /// Compiles `policy`, and checks what the program does on `seeds` against what the
    /// policy means; a policy with a rule never used must be refused instead.
    fn check(policy: &Policy, seeds: &[DataSeed]) -> Result<(), TestCaseError> {
        let text = policy.toml();
        let compiled = match compile(&text) {
            Ok(compiled) => compiled,
            Err(error) => {
                prop_assert!(policy.unreachable(), "{error}\n{text}");
                prop_assert!(error.contains("is never used"), "{error}");
                return Ok(());
            }
        };
        prop_assert!(!policy.unreachable(), "accepted:\n{text}");
        for seed in seeds {
            let data = seed.data(policy);
            let expected = policy.evaluate(&data);
            let got = run(&compiled.program, &data);
            prop_assert_eq!(got, expected, "{:x?}\n{}", data, text);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn the_program_does_what_the_policy_says(
            policy in policy(),
            seeds in prop::collection::vec(data_seed(), 48),
        ) {
            check(&policy, &seeds)?;
        }

        #[test]
        fn inspect_gives_a_policy_that_compiles_to_the_same_bytes(policy in policy()) {
            let Ok(compiled) = compile(&policy.toml()) else {
                return Ok(());
            };
            let table = SeccompTable::from_wire(compiled.flags, &compiled.program).unwrap();
            let again = table.compile(&source("")).unwrap();
            prop_assert_eq!(&again.program, &compiled.program);
            prop_assert_eq!(again.flags, compiled.flags);
            // And the TOML inspect prints reads back to it.
            let printed = toml::to_string(&table).unwrap();
            let reread = compile(&printed).unwrap();
            prop_assert_eq!(&reread.program, &compiled.program, "{}", printed);
        }
    }

    proptest! {
        #[test]
        fn inspect_refuses_changed_programs_without_panicking(
            policy in policy(),
            changes in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            cut in any::<usize>(),
        ) {
            let Ok(compiled) = compile(&policy.toml()) else {
                return Ok(());
            };
            let mut program = compiled.program.clone();
            for (at, byte) in changes {
                let len = program.len();
                program[at % len] = byte;
            }
            // Whatever it returns, a program it accepts is one compile writes.
            if let Ok(table) = SeccompTable::from_wire(compiled.flags, &program) {
                prop_assert_eq!(table.compile(&source("")).unwrap().program, program.clone());
            }
            let _ = SeccompTable::from_wire(0, &program[..cut % (program.len() + 1)]);
        }
    }

    /// Many calls with long bodies: the dispatch reaches most through `ja`.
    fn far_policy(values: &[u64]) -> Policy {
        let rules = (0..70u32)
            .map(|nr| TestRule {
                calls: vec![(Sysno::new(nr as usize).unwrap().name(), nr)],
                action: [TestAction::Allow, TestAction::Errno(nr)][nr as usize % 2],
                args: (0..6)
                    .map(|index| TestArg {
                        index,
                        op: (nr as usize + index) % OP_NAMES.len(),
                        value: values[(nr as usize * 6 + index) % values.len()],
                        value_two: values[(nr as usize + index) % values.len()],
                    })
                    .collect(),
            })
            .collect();
        Policy {
            default: TestAction::KillProcess,
            rules,
            flags: vec![],
            style: 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn far_bodies_are_reached_through_ja(
            values in prop::collection::vec(arg_constant(), 1..8),
            seeds in prop::collection::vec(data_seed(), 64),
        ) {
            let policy = far_policy(&values);
            let program = compile(&policy.toml()).unwrap().program;
            let insns = Insn::decode(&program).unwrap();
            prop_assert!(insns.iter().filter(|i| i.code == JA).count() > 10);
            // The seeds' calls are CALLS: add this policy's own calls.
            let seeds = seeds.into_iter().map(|mut seed| {
                seed.nr.2 %= 72;
                seed
            });
            for seed in seeds {
                let mut data = seed.data(&policy);
                if seed.nr.0 > 4 {
                    data.nr = seed.nr.2;
                }
                prop_assert_eq!(run(&program, &data), policy.evaluate(&data), "{:x?}", data);
            }
            let table = SeccompTable::from_wire(0, &program).unwrap();
            prop_assert_eq!(table.compile(&source("")).unwrap().program, program);
        }
    }

    #[test]
    fn a_small_policy_compiles_to_the_documented_program() {
        let compiled = compile(
            r#"
default_action = "SCMP_ACT_ERRNO"
flags = ["SECCOMP_FILTER_FLAG_LOG"]
[[syscalls]]
names = ["read", "write", "getpid"]
action = "SCMP_ACT_ALLOW"
[[syscalls]]
names = ["close"]
action = "SCMP_ACT_ALLOW"
args = [{ index = 0, value = 2, op = "SCMP_CMP_GT" }]
"#,
        )
        .unwrap();
        assert_eq!(compiled.flags, 2);
        assert!(compiled.warnings.is_empty());
        let insns = Insn::decode(&compiled.program).unwrap();
        let (errno, allow) = (RET_ERRNO | 1, RET_ALLOW);
        let expected = [
            (LD_W_ABS, 0, 0, 4),
            (JEQ_K, 0, 3, AUDIT_ARCH_X86_64),
            (LD_W_ABS, 0, 0, 0),
            (JGE_K, 0, 2, 0x4000_0000),
            (JEQ_K, 1, 0, u32::MAX),
            (RET_K, 0, 0, RET_KILL_PROCESS),
            // 0..=1 allowed, 2 default, 3 close, 4..=38 default, 39 allowed.
            (JGT_K, 0, 5, 1),
            (JGT_K, 0, 3, 2),
            (JGT_K, 0, 4, 3),
            (JGT_K, 0, 1, 38),
            (JGT_K, 0, 1, 39),
            (RET_K, 0, 0, errno),
            (RET_K, 0, 0, allow),
            // close: args[0] > 2, high word at 16 + 4.
            (LD_W_ABS, 0, 0, 20),
            (JGT_K, 3, 0, 0),
            (JEQ_K, 0, 3, 0),
            (LD_W_ABS, 0, 0, 16),
            (JGT_K, 0, 1, 2),
            (RET_K, 0, 0, allow),
            (RET_K, 0, 0, errno),
        ];
        let expected: Vec<Insn> = expected
            .into_iter()
            .map(|(code, jt, jf, k)| Insn { code, jt, jf, k })
            .collect();
        assert_eq!(insns, expected);
    }

    #[test]
    fn other_architectures_are_warnings() {
        let compiled = compile(
            "default_action = \"ALLOW\"\narchitectures = [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"x32\"]\n",
        )
        .unwrap();
        assert_eq!(
            compiled.warnings,
            [
                "test.toml:2:38: architectures: SCMP_ARCH_X86 is not compiled: its syscalls are killed (keel filters x86_64 only)",
                "test.toml:2:55: architectures: SCMP_ARCH_X32 is not compiled: its syscalls are killed (keel filters x86_64 only)",
            ]
        );
    }

    #[test]
    fn bad_policies_are_errors_at_their_place() {
        let cases = [
            (
                "default_action = \"ALLOW\"\n[[syscalls]]\nnames = [\"read\", \"nosuch\"]\naction = \"ERRNO\"\n",
                "test.toml:3:18: unknown system call \"nosuch\": use an x86_64 name from syscalls(2), as in \"read\"",
            ),
            (
                "default_action = \"ALLOW\"\n[[syscalls]]\nnames = [\"fcntl64\"]\naction = \"ERRNO\"\n",
                "test.toml:3:10: \"fcntl64\" is an i386 call, and keel filters x86_64 calls only: write \"fcntl\", its x86_64 equivalent",
            ),
            (
                "default_action = \"ALLOW\"\n[[syscalls]]\nnames = [\"socketcall\"]\naction = \"ERRNO\"\n",
                "test.toml:3:10: \"socketcall\" is an i386 call that x86_64 does not have, and keel filters x86_64 calls only: remove it",
            ),
            (
                "default_action = \"ALLOW\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"ERRNO\"\nargs = [{ index = 0, value = 1, op = \"SCMP_CMP_XX\" }]\n",
                "test.toml:5:38: unknown compare \"SCMP_CMP_XX\": use SCMP_CMP_ and one of NE, LT, LE, EQ, GE, GT, MASKED_EQ",
            ),
            (
                "default_action = \"ALLOW\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"ERRNO\"\nargs = [{ index = 6, value = 1, op = \"EQ\" }]\n",
                "test.toml:5:19: index is the argument's position, 0..=5 (a system call has 6 arguments)",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"SCMP_ACT_ALLOW\"\nerrno_ret = 38\n",
                "test.toml:5:13: errno_ret goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE; SCMP_ACT_ALLOW takes none: remove it",
            ),
            (
                "default_action = \"ALLOW\"\ndefault_errno_ret = 1\n",
                "test.toml:2:21: default_errno_ret goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE; SCMP_ACT_ALLOW takes none: remove it",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"SCMP_ACT_NOTIFY\"\n",
                "test.toml:4:10: SCMP_ACT_NOTIFY needs a seccomp agent listening on the filter's descriptor, and keel has none: use SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"ALLOW\"\n[[syscalls]]\nnames = [\"write\", \"read\"]\naction = \"LOG\"\nargs = [{ index = 0, value = 1, op = \"EQ\" }]\n",
                "test.toml:6:19: this rule for read is never used: the rule at line 3 has no args, so it decides every read call: remove this one, or move it above that one",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"ALLOW\"\nargs = [{ index = 0, value = 1, value_two = 3, op = \"EQ\" }]\n",
                "test.toml:5:45: value_two is the datum of SCMP_CMP_MASKED_EQ; EQ compares with value alone: remove value_two",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"ALLOW\"\nargs = [{ index = 0, value = -1, op = \"EQ\" }]\n",
                "test.toml:5:30: argument values are integers from 0 to 2^64-1; write those above 2^63-1 as strings, as in \"0xffffffffffffffff\"",
            ),
            (
                "default_action = \"ERRNO\"\ndefault_errno_ret = 4096\n",
                "test.toml:2:21: errno_ret is an errno name such as \"EPERM\", or a number 0..=4095 (0 fakes success)",
            ),
            (
                "default_action = \"ERRNO\"\ndefault_errno_ret = \"ENOPE\"\n",
                "test.toml:2:21: errno_ret is an errno name such as \"EPERM\", or a number 0..=4095 (0 fakes success)",
            ),
            (
                "default_action = \"DENY\"\n",
                "test.toml:1:18: unknown seccomp action \"DENY\": use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD (or SCMP_ACT_KILL), SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG",
            ),
            (
                "default_action = \"ERRNO\"\narchitectures = [\"SCMP_ARCH_VAX\"]\n",
                "test.toml:2:18: unknown architecture \"SCMP_ARCH_VAX\": use SCMP_ARCH_ and one of X86, X86_64, X32, ARM, AARCH64, MIPS, MIPS64, MIPS64N32, MIPSEL, MIPSEL64, MIPSEL64N32, PPC, PPC64, PPC64LE, S390, S390X, PARISC, PARISC64, RISCV64, LOONGARCH64, M68K, SH, SHEB",
            ),
            (
                "default_action = \"ERRNO\"\nflags = [\"LOG\", \"SECCOMP_FILTER_FLAG_LOG\"]\n",
                "test.toml:2:17: flags lists SECCOMP_FILTER_FLAG_LOG twice (first at line 2)",
            ),
            (
                "default_action = \"ERRNO\"\nflags = [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]\n",
                "test.toml:2:10: unknown seccomp flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\": use SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG or SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = []\naction = \"ALLOW\"\n",
                "test.toml:3:9: names is empty: list the calls the rule is for, as in names = [\"read\"]",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\", \"read\"]\naction = \"ALLOW\"\n",
                "test.toml:3:18: names lists read twice (first at line 3)",
            ),
            (
                "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [\"read\"]\naction = \"ALLOW\"\nargs = [{ index = 0, value = 1, op = \"EQ\" }, { index = 1, value = 1, op = \"EQ\" }, { index = 2, value = 1, op = \"EQ\" }, { index = 3, value = 1, op = \"EQ\" }, { index = 4, value = 1, op = \"EQ\" }, { index = 5, value = 1, op = \"EQ\" }, { index = 0, value = 2, op = \"EQ\" }]\n",
                "test.toml:5:8: args has 7 conditions; a rule takes at most 6: split it into several rules",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(compile(text).err().as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn too_many_instructions_is_an_error_with_the_count() {
        let mut text = "default_action = \"ERRNO\"\n".to_owned();
        for value in 0..120 {
            text += "[[syscalls]]\nnames = [\"read\"]\naction = \"ALLOW\"\nargs = [";
            let args: Vec<_> = (0..6)
                .map(|index| format!("{{ index = {index}, value = {value}, op = \"MASKED_EQ\" }}"))
                .collect();
            text += &args.join(", ");
            text += "]\n";
        }
        let error = compile(&text).err().unwrap();
        assert_eq!(
            error,
            "test.toml:2:1: the seccomp filter needs 4449 BPF instructions, more than the kernel's limit of 4096: merge rules or drop conditions"
        );
    }

    #[test]
    fn inspect_refuses_other_programs() {
        let allow_all = [Insn::load(ARCH), Insn::ret(RET_ALLOW)];
        let program: Vec<u8> = allow_all.into_iter().flat_map(Insn::to_bytes).collect();
        assert_eq!(
            SeccompTable::from_wire(0, &program).err().unwrap(),
            "seccomp: the filter was not written by keel-gen (2 instructions); inspect cannot show it as a policy"
        );
        let compiled = compile("default_action = \"ERRNO\"\n").unwrap();
        // One bit changed in the default action's errno.
        let mut changed = compiled.program.clone();
        let last = changed.len() - 4;
        changed[last] ^= 4;
        assert!(SeccompTable::from_wire(0, &changed).is_ok());
        changed[last + 1] ^= 0x10;
        assert!(SeccompTable::from_wire(0, &changed).is_err());
        assert!(SeccompTable::from_wire(0, &compiled.program[1..]).is_err());
        assert!(SeccompTable::from_wire(8, &compiled.program).is_err());
    }

    /// Docker's default profile allows these x86_64 calls without conditions
    /// (moby/profiles seccomp/default.json: the unconditional rules for every architecture
    /// and for amd64, without the i386-only names).
    const DOCKER_ALLOWED: [&str; 305] = [
        "accept",
        "accept4",
        "access",
        "adjtimex",
        "alarm",
        "arch_prctl",
        "bind",
        "brk",
        "cachestat",
        "capget",
        "capset",
        "chdir",
        "chmod",
        "chown",
        "clock_adjtime",
        "clock_getres",
        "clock_gettime",
        "clock_nanosleep",
        "close",
        "close_range",
        "connect",
        "copy_file_range",
        "creat",
        "dup",
        "dup2",
        "dup3",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_ctl_old",
        "epoll_pwait",
        "epoll_pwait2",
        "epoll_wait",
        "epoll_wait_old",
        "eventfd",
        "eventfd2",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "faccessat",
        "faccessat2",
        "fadvise64",
        "fallocate",
        "fanotify_mark",
        "fchdir",
        "fchmod",
        "fchmodat",
        "fchmodat2",
        "fchown",
        "fchownat",
        "fcntl",
        "fdatasync",
        "fgetxattr",
        "flistxattr",
        "flock",
        "fork",
        "fremovexattr",
        "fsetxattr",
        "fstat",
        "fstatfs",
        "fsync",
        "ftruncate",
        "futex",
        "futex_requeue",
        "futex_wait",
        "futex_waitv",
        "futex_wake",
        "futimesat",
        "get_robust_list",
        "get_thread_area",
        "getcpu",
        "getcwd",
        "getdents",
        "getdents64",
        "getegid",
        "geteuid",
        "getgid",
        "getgroups",
        "getitimer",
        "getpeername",
        "getpgid",
        "getpgrp",
        "getpid",
        "getppid",
        "getpriority",
        "getrandom",
        "getresgid",
        "getresuid",
        "getrlimit",
        "getrusage",
        "getsid",
        "getsockname",
        "getsockopt",
        "gettid",
        "gettimeofday",
        "getuid",
        "getxattr",
        "getxattrat",
        "inotify_add_watch",
        "inotify_init",
        "inotify_init1",
        "inotify_rm_watch",
        "io_cancel",
        "io_destroy",
        "io_getevents",
        "io_pgetevents",
        "io_setup",
        "io_submit",
        "ioctl",
        "ioprio_get",
        "ioprio_set",
        "kill",
        "landlock_add_rule",
        "landlock_create_ruleset",
        "landlock_restrict_self",
        "lchown",
        "lgetxattr",
        "link",
        "linkat",
        "listen",
        "listmount",
        "listxattr",
        "listxattrat",
        "llistxattr",
        "lremovexattr",
        "lseek",
        "lsetxattr",
        "lstat",
        "madvise",
        "map_shadow_stack",
        "membarrier",
        "memfd_create",
        "memfd_secret",
        "mincore",
        "mkdir",
        "mkdirat",
        "mknod",
        "mknodat",
        "mlock",
        "mlock2",
        "mlockall",
        "mmap",
        "modify_ldt",
        "mprotect",
        "mq_getsetattr",
        "mq_notify",
        "mq_open",
        "mq_timedreceive",
        "mq_timedsend",
        "mq_unlink",
        "mremap",
        "mseal",
        "msgctl",
        "msgget",
        "msgrcv",
        "msgsnd",
        "msync",
        "munlock",
        "munlockall",
        "munmap",
        "name_to_handle_at",
        "nanosleep",
        "newfstatat",
        "open",
        "openat",
        "openat2",
        "pause",
        "pidfd_open",
        "pidfd_send_signal",
        "pipe",
        "pipe2",
        "pkey_alloc",
        "pkey_free",
        "pkey_mprotect",
        "poll",
        "ppoll",
        "prctl",
        "pread64",
        "preadv",
        "preadv2",
        "prlimit64",
        "process_mrelease",
        "process_vm_readv",
        "process_vm_writev",
        "pselect6",
        "ptrace",
        "pwrite64",
        "pwritev",
        "pwritev2",
        "read",
        "readahead",
        "readlink",
        "readlinkat",
        "readv",
        "recvfrom",
        "recvmmsg",
        "recvmsg",
        "remap_file_pages",
        "removexattr",
        "removexattrat",
        "rename",
        "renameat",
        "renameat2",
        "restart_syscall",
        "rmdir",
        "rseq",
        "rt_sigaction",
        "rt_sigpending",
        "rt_sigprocmask",
        "rt_sigqueueinfo",
        "rt_sigreturn",
        "rt_sigsuspend",
        "rt_sigtimedwait",
        "rt_tgsigqueueinfo",
        "sched_get_priority_max",
        "sched_get_priority_min",
        "sched_getaffinity",
        "sched_getattr",
        "sched_getparam",
        "sched_getscheduler",
        "sched_rr_get_interval",
        "sched_setaffinity",
        "sched_setattr",
        "sched_setparam",
        "sched_setscheduler",
        "sched_yield",
        "seccomp",
        "select",
        "semctl",
        "semget",
        "semop",
        "semtimedop",
        "sendfile",
        "sendmmsg",
        "sendmsg",
        "sendto",
        "set_robust_list",
        "set_thread_area",
        "set_tid_address",
        "setfsgid",
        "setfsuid",
        "setgid",
        "setgroups",
        "setitimer",
        "setpgid",
        "setpriority",
        "setregid",
        "setresgid",
        "setresuid",
        "setreuid",
        "setrlimit",
        "setsid",
        "setsockopt",
        "setuid",
        "setxattr",
        "setxattrat",
        "shmat",
        "shmctl",
        "shmdt",
        "shmget",
        "shutdown",
        "sigaltstack",
        "signalfd",
        "signalfd4",
        "socketpair",
        "splice",
        "stat",
        "statfs",
        "statmount",
        "statx",
        "symlink",
        "symlinkat",
        "sync",
        "sync_file_range",
        "syncfs",
        "sysinfo",
        "tee",
        "tgkill",
        "time",
        "timer_create",
        "timer_delete",
        "timer_getoverrun",
        "timer_gettime",
        "timer_settime",
        "timerfd_create",
        "timerfd_gettime",
        "timerfd_settime",
        "times",
        "tkill",
        "truncate",
        "umask",
        "uname",
        "unlink",
        "unlinkat",
        "uretprobe",
        "utime",
        "utimensat",
        "utimes",
        "vfork",
        "vmsplice",
        "wait4",
        "waitid",
        "write",
        "writev",
    ];

    #[test]
    fn docker_default_profile_is_small() {
        let names: Vec<_> = DOCKER_ALLOWED.iter().map(|n| format!("\"{n}\"")).collect();
        let text = format!(
            "default_action = \"SCMP_ACT_ERRNO\"\ndefault_errno_ret = 1\n[[syscalls]]\nnames = [{}]\naction = \"SCMP_ACT_ALLOW\"\n",
            names.join(", ")
        );
        let compiled = compile(&text).unwrap();
        println!(
            "Docker's default profile: {} bytes, {} instructions",
            compiled.program.len(),
            compiled.program.len() / 8
        );
        assert!(compiled.program.len() < 3200);
        for (name, allowed) in [("read", true), ("mount", false), ("syslog", false)] {
            let nr = name.parse::<Sysno>().unwrap().id() as u32;
            let data = Data {
                nr,
                arch: X86_64,
                args: [0; 6],
            };
            let expected = if allowed { RET_ALLOW } else { RET_ERRNO | 1 };
            assert_eq!(run(&compiled.program, &data), expected, "{name}");
        }
    }

    /// Runs `test` in a child process under `program`, and returns its wait status. The
    /// child only makes system calls after fork: the test's other threads may hold locks.
    fn in_filtered_child(compiled: &CompiledSeccomp, test: fn() -> i32) -> i32 {
        let filter = libc::sock_fprog {
            len: u16::try_from(compiled.program.len() / 8).unwrap(),
            filter: compiled.program.as_ptr().cast_mut().cast(),
        };
        // SAFETY: the child makes only system calls (async-signal-safe) and ends with _exit.
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0, "fork");
            if pid == 0 {
                // No core file when the filter kills the child.
                let no_core = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &no_core);
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    libc::_exit(100);
                }
                let installed = libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    compiled.flags,
                    &filter,
                );
                if installed != 0 {
                    libc::_exit(101);
                }
                libc::_exit(test());
            }
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
            status
        }
    }

    /// The result of a system call: its return value, or -errno.
    fn syscall(nr: libc::c_long, a: u64, b: u64) -> i64 {
        // SAFETY: the calls made here take integers only.
        let ret = unsafe { libc::syscall(nr, a, b) };
        if ret == -1 {
            // SAFETY: errno is this thread's.
            -i64::from(unsafe { *libc::__errno_location() })
        } else {
            ret
        }
    }

    #[test]
    fn the_kernel_runs_the_filter() {
        let compiled = compile(
            r#"
default_action = "SCMP_ACT_ALLOW"
flags = ["SECCOMP_FILTER_FLAG_LOG"]
[[syscalls]]
names = ["getpriority"]
action = "SCMP_ACT_ERRNO"
errno_ret = 38
args = [{ index = 0, value = 0x1234, op = "SCMP_CMP_EQ" }]
[[syscalls]]
names = ["getpriority"]
action = "SCMP_ACT_ERRNO"
errno_ret = "E2BIG"
args = [{ index = 1, value = "0xffffffff", op = "SCMP_CMP_GT" }]
[[syscalls]]
names = ["personality"]
action = "ERRNO"
errno_ret = 77
args = [{ index = 0, value = 0xff00, value_two = 0x0100, op = "MASKED_EQ" }]
[[syscalls]]
names = ["getppid"]
action = "KILL_PROCESS"
args = [{ index = 0, value = 7, op = "EQ" }]
"#,
        )
        .unwrap();
        // Each check's number is the exit status when it fails; the last one kills.
        fn checks() -> i32 {
            let results = [
                // Not 7: allowed.
                syscall(libc::SYS_getppid, 0, 0) > 0,
                syscall(libc::SYS_getpriority, 0x1234, 0) == -38,
                // The high word differs, so the rule does not apply; the kernel then sees
                // an int 0x1234, not a valid `which`.
                syscall(libc::SYS_getpriority, 0x1_0000_1234, 0) == -22,
                syscall(libc::SYS_getpriority, 0, 0x1_0000_0000) == -7,
                // Not above 0xffffffff: the kernel sees who = -1, no such process.
                syscall(libc::SYS_getpriority, 0, 0xffff_ffff) == -3,
                syscall(libc::SYS_getpriority, 0, 0) >= 0,
                syscall(libc::SYS_personality, 0x0100, 0) == -77,
                // 0xffffffff only reads the personality.
                syscall(libc::SYS_personality, 0xffff_ffff, 0) >= 0,
            ];
            if let Some(failed) = results.iter().position(|ok| !ok) {
                return failed as i32 + 1;
            }
            syscall(libc::SYS_getppid, 7, 0);
            99
        }
        let status = in_filtered_child(&compiled, checks);
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS,
            "status {status:#x}: exit status {} is the failed check",
            libc::WEXITSTATUS(status)
        );
    }

    #[test]
    fn the_kernel_runs_docker_s_profile() {
        let names: Vec<_> = DOCKER_ALLOWED.iter().map(|n| format!("\"{n}\"")).collect();
        let text = format!(
            "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [{}]\naction = \"ALLOW\"\n",
            names.join(", ")
        );
        let compiled = compile(&text).unwrap();
        fn checks() -> i32 {
            let results = [
                syscall(libc::SYS_getppid, 0, 0) > 0,
                // SYSLOG_ACTION_SIZE_BUFFER only reads; Docker does not allow syslog.
                syscall(libc::SYS_syslog, 10, 0) == -libc::EPERM as i64,
                // -1 gets the default action, not a kill.
                syscall(-1, 0, 0) == -libc::EPERM as i64,
            ];
            if let Some(failed) = results.iter().position(|ok| !ok) {
                return failed as i32 + 1;
            }
            // An x32 call (getpid) is killed.
            syscall(0x4000_0000 | libc::SYS_getpid, 0, 0);
            99
        }
        let status = in_filtered_child(&compiled, checks);
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS,
            "status {status:#x}: exit status {} is the failed check",
            libc::WEXITSTATUS(status)
        );
    }
}
