//! A second, independent oracle for the compiler: libseccomp (Debian's 2.5, the library runc
//! and crun build their filters with) compiles the same random policies, a classic BPF
//! interpreter written here from the kernel's definition (not the `run` of the parent module,
//! which knows keel-gen's opcodes) runs both programs on the same `seccomp_data`, and every
//! data point must get the same action from both, and the one `Policy::evaluate` says.
//!
//! Where keel deliberately differs from libseccomp, the policies are built so that the
//! difference cannot arise (`comparable`), never tolerated in the comparison:
//! - several rules for one call: keel applies the first that matches (the module's
//!   documentation); libseccomp merges them into a tree of its own, whose meaning its
//!   maintainers leave unspecified (libseccomp issues #118 and #225), and 2.5.4 gets even an
//!   OR wrong: two rules for `close`, `arg0 < 0` and `arg0 < 2^32`, give the default for
//!   arg0 = 0xffffffff (measured here; each rule alone agrees with keel). So a call is named
//!   in one rule only, and a rule tests each argument once (a second test of the same
//!   argument means an OR, which runc makes of several libseccomp rules);
//! - a rule with the default action: libseccomp refuses it (runc skips it), keel compiles it
//!   to the same meaning: no rule has the default action;
//! - errno 4095: the kernel's MAX_ERRNO, which keel accepts; libseccomp 2.5 refuses it
//!   (EINVAL: its limit is one below): the policies use 4094 instead.
//!
//! The order of several rules, and the OR, are held to `Policy::evaluate` by the parent
//! module's properties; here the rest: each compare on 64-bit edges, the actions, the
//! default, the dispatch on the call number and the architecture check.
//!
//! keel's fixed part is set on libseccomp's side: a foreign architecture kills the process.

use super::*;
use ::libseccomp::{ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext};
use ::libseccomp::{ScmpFilterAttr, ScmpSyscall};
use std::io::{Read, Seek};

/// The policy made comparable (see the module's documentation).
fn comparable(mut policy: Policy) -> Policy {
    let below_max_errno = |action: &mut TestAction| {
        if let TestAction::Errno(4095) = action {
            *action = TestAction::Errno(4094);
        }
    };
    below_max_errno(&mut policy.default);
    let default = policy.default.ret();
    let mut named: Vec<u32> = Vec::new();
    policy.rules.retain_mut(|rule| {
        below_max_errno(&mut rule.action);
        rule.calls.retain(|&(_, nr)| !named.contains(&nr));
        named.extend(rule.calls.iter().map(|&(_, nr)| nr));
        let mut tested = Vec::new();
        rule.args.retain(|arg| {
            let first = !tested.contains(&arg.index);
            tested.push(arg.index);
            first
        });
        rule.action.ret() != default && !rule.calls.is_empty()
    });
    policy
}

fn scmp_action(action: TestAction) -> ScmpAction {
    match action {
        TestAction::KillThread => ScmpAction::KillThread,
        TestAction::KillProcess => ScmpAction::KillProcess,
        TestAction::Trap => ScmpAction::Trap,
        TestAction::Errno(errno) => ScmpAction::Errno(errno as i32),
        TestAction::Trace(data) => ScmpAction::Trace(data as u16),
        TestAction::Log => ScmpAction::Log,
        TestAction::Allow => ScmpAction::Allow,
    }
}

fn scmp_compare(arg: &TestArg) -> ScmpArgCompare {
    let op = match OP_NAMES[arg.op] {
        "NE" => ScmpCompareOp::NotEqual,
        "LT" => ScmpCompareOp::Less,
        "LE" => ScmpCompareOp::LessOrEqual,
        "EQ" => ScmpCompareOp::Equal,
        "GE" => ScmpCompareOp::GreaterEqual,
        "GT" => ScmpCompareOp::Greater,
        // OCI's MASKED_EQ: `value` is the mask, `value_two` what the masked argument equals.
        _ => {
            return ScmpArgCompare::new(
                arg.index as u32,
                ScmpCompareOp::MaskedEqual(arg.value),
                arg.value_two,
            );
        }
    };
    ScmpArgCompare::new(arg.index as u32, op, arg.value)
}

/// libseccomp's program for `policy`, for x86_64 alone.
fn filter(policy: &Policy) -> Vec<u8> {
    let mut ctx = ScmpFilterContext::new(scmp_action(policy.default)).expect("seccomp_init");
    ctx.set_act_badarch(ScmpAction::KillProcess)
        .expect("badarch");
    // No optimisation of the tree's shape: the plain one, and libseccomp's default.
    ctx.set_filter_attr(ScmpFilterAttr::CtlOptimize, 1)
        .expect("optimize");
    assert!(ctx.is_arch_present(ScmpArch::X8664).expect("arch"));
    for rule in &policy.rules {
        let compares: Vec<ScmpArgCompare> = rule.args.iter().map(scmp_compare).collect();
        for &(_, nr) in &rule.calls {
            ctx.add_rule_conditional(
                scmp_action(rule.action),
                ScmpSyscall::from(nr as i32),
                &compares,
            )
            .expect("seccomp_rule_add");
        }
    }
    let mut file = tempfile();
    ctx.export_bpf(&file).expect("seccomp_export_bpf");
    let mut program = Vec::new();
    file.rewind().expect("rewind");
    file.read_to_end(&mut program).expect("read");
    program
}

fn tempfile() -> std::fs::File {
    let name = std::ffi::CString::new("libseccomp-oracle").unwrap();
    // SAFETY: a NUL-terminated name; the descriptor is owned by the File from here.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create");
    // SAFETY: `fd` is a fresh descriptor nothing else owns.
    unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) }
}

/// What the kernel's classic BPF gives for `data`: every instruction a seccomp filter may
/// hold (linux/filter.h, net/core/filter.c's seccomp checks); anything else panics.
fn interpret(program: &[u8], data: &Data) -> u32 {
    let insns: Vec<(u16, u8, u8, u32)> = program
        .chunks_exact(8)
        .map(|i| {
            let code = u16::from_le_bytes([i[0], i[1]]);
            (
                code,
                i[2],
                i[3],
                u32::from_le_bytes([i[4], i[5], i[6], i[7]]),
            )
        })
        .collect();
    assert_eq!(insns.len() * 8, program.len(), "whole instructions");
    let bytes = data.bytes();
    let (mut a, mut x, mut mem, mut pc) = (0u32, 0u32, [0u32; 16], 0usize);
    loop {
        let (code, jt, jf, k) = insns[pc];
        pc += 1;
        let src = if code & 0x08 != 0 { x } else { k };
        match code & 0x07 {
            // LD: a word of seccomp_data, an immediate, or scratch memory.
            0x00 => {
                a = match code {
                    0x20 => {
                        assert!(k % 4 == 0 && k < 64, "load at {k}");
                        u32::from_le_bytes(bytes[k as usize..k as usize + 4].try_into().unwrap())
                    }
                    0x00 => k,
                    0x60 => mem[k as usize],
                    0x80 => 64,
                    _ => panic!("LD {code:#x}"),
                }
            }
            0x01 => {
                x = match code {
                    0x01 => k,
                    0x61 => mem[k as usize],
                    0x81 => 64,
                    _ => panic!("LDX {code:#x}"),
                }
            }
            0x02 => mem[k as usize] = a,
            0x03 => mem[k as usize] = x,
            0x04 => {
                a = match code & 0xf0 {
                    0x00 => a.wrapping_add(src),
                    0x10 => a.wrapping_sub(src),
                    0x20 => a.wrapping_mul(src),
                    0x30 => a.checked_div(src).expect("division by zero"),
                    0x40 => a | src,
                    0x50 => a & src,
                    0x60 => a.checked_shl(src).unwrap_or(0),
                    0x70 => a.checked_shr(src).unwrap_or(0),
                    0x80 => a.wrapping_neg(),
                    0x90 => a.checked_rem(src).expect("division by zero"),
                    0xa0 => a ^ src,
                    _ => panic!("ALU {code:#x}"),
                }
            }
            0x05 => {
                let taken = match code & 0xf0 {
                    0x00 => {
                        pc += k as usize;
                        continue;
                    }
                    0x10 => a == src,
                    0x20 => a > src,
                    0x30 => a >= src,
                    0x40 => a & src != 0,
                    _ => panic!("JMP {code:#x}"),
                };
                pc += usize::from(if taken { jt } else { jf });
            }
            0x06 => return if code & 0x18 == 0x10 { a } else { k },
            _ => {
                match code {
                    0x07 => x = a,
                    0x87 => a = x,
                    _ => panic!("MISC {code:#x}"),
                };
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn libseccomp_gives_the_same_action_for_every_data_point(
        policy in policy().prop_map(comparable),
        seeds in prop::collection::vec(data_seed(), 64),
    ) {
        let text = policy.toml();
        let ours = compile(&text).expect("a comparable policy compiles").program;
        let theirs = filter(&policy);
        for seed in &seeds {
            let data = seed.data(&policy);
            let (got, want) = (interpret(&ours, &data), interpret(&theirs, &data));
            prop_assert_eq!(got, want, "keel-gen vs libseccomp, {:x?}\n{}", data, text);
            prop_assert_eq!(got, policy.evaluate(&data), "{:x?}\n{}", data, text);
        }
    }
}

/// Spot checks in the kernel: both programs loaded in forked children, the same calls, the
/// same outcome (returns, errnos, and the kill at the end).
#[test]
fn libseccomp_s_program_does_the_same_in_the_kernel() {
    let policy = comparable(Policy {
        default: TestAction::Allow,
        rules: vec![
            TestRule {
                calls: vec![("getpriority", 140)],
                action: TestAction::Errno(7),
                args: vec![TestArg {
                    index: 1,
                    op: 5,
                    value: 0xffff_ffff,
                    value_two: 0,
                }],
            },
            TestRule {
                calls: vec![("personality", 135)],
                action: TestAction::Errno(77),
                args: vec![TestArg {
                    index: 0,
                    op: 6,
                    value: 0xff00,
                    value_two: 0x0100,
                }],
            },
            TestRule {
                calls: vec![("getppid", 110)],
                action: TestAction::KillProcess,
                args: vec![TestArg {
                    index: 0,
                    op: 3,
                    value: 7,
                    value_two: 0,
                }],
            },
        ],
        flags: vec![],
        style: 0,
    });
    assert_eq!(policy.rules.len(), 3, "comparable as written");
    fn checks() -> i32 {
        use super::kernel::syscall;
        let results = [
            syscall(libc::SYS_getppid, 0, 0) > 0,
            syscall(libc::SYS_getpriority, 0, 0x1_0000_0000) == -7,
            // Not above 0xffffffff: the kernel sees who = -1, no such process.
            syscall(libc::SYS_getpriority, 0, 0xffff_ffff) == -3,
            syscall(libc::SYS_personality, 0x0100, 0) == -77,
            syscall(libc::SYS_personality, 0xffff_ffff, 0) >= 0,
        ];
        if let Some(failed) = results.iter().position(|ok| !ok) {
            return failed as i32 + 1;
        }
        syscall(libc::SYS_getppid, 7, 0);
        99
    }
    let ours = compile(&policy.toml()).unwrap();
    let theirs = CompiledSeccomp {
        flags: 0,
        program: filter(&policy),
        warnings: Vec::new(),
    };
    for compiled in [&ours, &theirs] {
        super::kernel::passes_then_dies_of_sigsys(compiled, checks);
    }
}
