//! The TOML side of `[process.seccomp]`: the tables a policy is written in, `compile`
//! (tables to rules, through the names, then to a program by the assembler) and
//! `from_wire` (a program back to rules by the disassembler, then to tables).

use std::collections::BTreeMap;
use std::ops::Range;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::{Spanned, Value};

use super::assembler::assemble;
use super::bpf::{BPF_MAXINSNS, Insn, MAX_ARGS};
use super::disassembler::read_program;
use super::names::{ARCHITECTURES, FLAGS, OPS, action, action_text, syscall_name, syscall_number};
use super::names::{ActionName, OpName, SyscallName};
use super::rule::{Condition, Op, Rule};
use crate::field::{IntegerOrString, List, unique, unspanned};
use crate::security::lookup;
use crate::source::Source;
use crate::suggest::did_you_mean;

/// `[process.seccomp]` (OCI `linux.seccomp`).
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeccompTable {
    /// What a call no rule matches gets: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG.
    #[schemars(with = "ActionName")]
    pub default_action: Spanned<String>,
    /// An errno number or name, for an ERRNO or TRACE default action.
    #[schemars(with = "Option<IntegerOrString>")]
    pub default_errno_ret: Option<Spanned<Value>>,
    /// libseccomp architectures; only x86_64 calls are filtered, others are reported [SCMP_ARCH_X86_64].
    #[schemars(with = "Option<Vec<String>>")]
    pub architectures: Option<List>,
    /// SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_TSYNC [none].
    #[schemars(with = "Option<Vec<String>>")]
    pub flags: Option<List>,
    /// The rules: for a call, those naming it are tried in order and the first whose args all hold gives its action.
    #[schemars(with = "Option<Vec<SyscallTable>>")]
    pub syscalls: Option<Spanned<Vec<Spanned<SyscallTable>>>>,
}

/// An entry of `[[process.seccomp.syscalls]]` (OCI `linux.seccomp.syscalls`).
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyscallTable {
    /// The x86_64 system calls the rule applies to.
    #[schemars(with = "Vec<SyscallName>")]
    pub names: List,
    /// The action, as default_action names them.
    #[schemars(with = "ActionName")]
    pub action: Spanned<String>,
    /// The errno of SCMP_ACT_ERRNO or the message of SCMP_ACT_TRACE, a number or a name [EPERM].
    #[schemars(with = "Option<IntegerOrString>")]
    pub errno_ret: Option<Spanned<Value>>,
    /// Conditions on the arguments, all of which must hold; one argument tested twice means any of them.
    #[schemars(with = "Option<Vec<ArgTable>>")]
    pub args: Option<Spanned<Vec<Spanned<ArgTable>>>>,
}

/// A condition in `args` (OCI `linux.seccomp.syscalls.args`).
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgTable {
    /// The argument, 0..=5.
    #[schemars(with = "i64")]
    pub index: Spanned<i64>,
    /// An integer, or a string for values above `i64::MAX`: `"0xffffffffffffffff"`.
    #[schemars(with = "IntegerOrString")]
    pub value: Spanned<Value>,
    /// The second value of SCMP_CMP_MASKED_EQ: (arg & value) == (value_two & value).
    #[schemars(with = "Option<IntegerOrString>")]
    pub value_two: Option<Spanned<Value>>,
    /// SCMP_CMP_EQ, NE, LT, LE, GT, GE (unsigned 64-bit) or MASKED_EQ.
    #[schemars(with = "OpName")]
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
                    "unknown architecture {:?}: use SCMP_ARCH_ and one of {}{}",
                    name.get_ref(),
                    ARCHITECTURES.join(", "),
                    did_you_mean(
                        name.get_ref(),
                        "SCMP_ARCH_",
                        ARCHITECTURES.map(|arch| format!("SCMP_ARCH_{arch}"))
                    )
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
                        "unknown seccomp flag {:?}: use SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG or SECCOMP_FILTER_FLAG_SPEC_ALLOW{}",
                        name.get_ref(),
                        did_you_mean(name.get_ref(), "SECCOMP_FILTER_FLAG_", FLAGS.map(|(name, _)| format!("SECCOMP_FILTER_FLAG_{name}")))
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
                    "unknown compare {:?}: use SCMP_CMP_ and one of {}{}",
                    op.get_ref(),
                    OPS.map(|(name, _)| name).join(", "),
                    did_you_mean(
                        op.get_ref(),
                        "SCMP_CMP_",
                        OPS.map(|(name, _)| format!("SCMP_CMP_{name}"))
                    )
                );
                source.error(op.span(), message)
            })?;
        let value = arg_value(source, value)?;
        let value_two = match (value_two, op) {
            (None, _) => 0,
            // As libseccomp (runc, crun) does: the datum masked too.
            (Some(two), Op::MaskedEq) => arg_value(source, two)? & value,
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
            value,
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
