//! The seccomp compiler's tests: an interpreter for the programs it writes, proptest
//! strategies for random policies, and the properties; `unit` holds the fixed examples and
//! `kernel` runs filters in forked children.

use super::bpf::*;
use super::policy::{CompiledSeccomp, SeccompTable};
use crate::source::Source;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use syscalls::Sysno;

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
            Some(38) if name.to_ascii_uppercase().ends_with("ERRNO") && style.is_multiple_of(2) => {
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
            _ => arg & value == self.value_two & value,
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
    (test_action(), rules, flags, any::<u8>()).prop_map(|(default, rules, flags, style)| Policy {
        default,
        rules,
        flags,
        style,
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

mod docker;
mod kernel;
mod oracle;
mod unit;

use docker::DOCKER_ALLOWED;
