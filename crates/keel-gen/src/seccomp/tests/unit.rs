use super::*;

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
