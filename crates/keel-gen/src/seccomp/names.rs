//! The names a policy is written with, as libseccomp and OCI spell them, and the numbers
//! they stand for: actions (and their `errno_ret`), compare operators, filter flags,
//! architectures, errno names and x86_64 system calls. Each lookup that can fail says what
//! to write instead.

use syscalls::{Errno, Sysno, SysnoSet};
use toml::{Spanned, Value};

use super::bpf::*;
use super::rule::Op;
use crate::field::names_schema;
use crate::field::unspanned;
use crate::security::lookup;
use crate::source::Source;
use crate::suggest::did_you_mean;

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
pub(super) const OPS: [(&str, Op); 7] = [
    ("NE", Op::Ne),
    ("LT", Op::Lt),
    ("LE", Op::Le),
    ("EQ", Op::Eq),
    ("GE", Op::Ge),
    ("GT", Op::Gt),
    ("MASKED_EQ", Op::MaskedEq),
];

/// The filter flags by name, without `SECCOMP_FILTER_FLAG_` (linux/seccomp.h). The others
/// serve a seccomp agent (NEW_LISTENER, WAIT_KILLABLE_RECV), which keel does not have.
pub(super) const FLAGS: [(&str, u32); 3] = [("TSYNC", 1), ("LOG", 2), ("SPEC_ALLOW", 4)];

/// libseccomp's architectures, without `SCMP_ARCH_`.
pub(super) const ARCHITECTURES: [&str; 23] = [
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

/// A `SECCOMP_RET_*` value from an action name and its `errno_ret`, the field `data_field`.
pub(super) fn action(
    source: &Source,
    name: &Spanned<String>,
    errno_ret: Option<&Spanned<Value>>,
    data_field: &str,
) -> Result<u32, String> {
    let index = lookup(&ACTIONS.map(|(name, _)| name), "SCMP_ACT_", name.get_ref())
        .ok_or_else(|| {
            let message = format!(
                "unknown seccomp action {:?}: use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD (or SCMP_ACT_KILL), SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG{}",
                name.get_ref(),
                did_you_mean(name.get_ref(), "SCMP_ACT_", ACTIONS.map(|(name, _)| format!("SCMP_ACT_{name}")))
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

/// The action name and `errno_ret` that compile to `ret`, if keel-gen writes `ret`.
pub(super) fn action_text(ret: u32) -> Option<(Spanned<String>, Option<Spanned<Value>>)> {
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
pub(super) fn syscall_number(source: &Source, name: &Spanned<String>) -> Result<u32, String> {
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
        let all = SysnoSet::all();
        let hint = did_you_mean(text, "", all.iter().map(|sysno| sysno.name()));
        format!(
            "unknown system call {text:?}: use an x86_64 name from syscalls(2), as in \"read\"{hint}"
        )
    };
    Err(source.error(name.span(), message))
}

names_schema!(
    /// An x86_64 system call's name in the JSON schema, from the table [`syscall_number`] reads.
    SyscallName,
    SysnoSet::all().iter().map(|sysno| sysno.name().to_owned())
);

names_schema!(
    /// A seccomp action in the JSON schema, from [`ACTIONS`] (without NOTIFY, which keel-gen
    /// refuses), with and without `SCMP_ACT_` (keel-gen also takes them in lower case).
    ActionName,
    ACTIONS
        .iter()
        .filter(|(_, action)| !matches!(action, Action::Notify))
        .flat_map(|(name, _)| [format!("SCMP_ACT_{name}"), (*name).to_owned()])
);

names_schema!(
    /// A compare operator in the JSON schema, from [`OPS`], with and without `SCMP_CMP_`.
    OpName,
    OPS.iter().flat_map(|(name, _)| [format!("SCMP_CMP_{name}"), (*name).to_owned()])
);

pub(super) fn syscall_name(nr: u32) -> Option<&'static str> {
    Sysno::new(usize::try_from(nr).ok()?).map(|sysno| sysno.name())
}
