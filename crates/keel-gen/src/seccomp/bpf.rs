//! The kernel side of a seccomp filter: the `seccomp_data` layout, the return values, and
//! classic BPF instructions (`struct sock_filter`) with the fixed header every keel filter
//! starts with. A leaf: it knows nothing of policies.

/// `seccomp_data`: `nr` at 0, `arch` at 4, `instruction_pointer` at 8, `args` from 16.
pub(super) const NR: u32 = 0;
pub(super) const ARCH: u32 = 4;
pub(super) const ARGS: u32 = 16;
pub(super) const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
pub(super) const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// The kernel's limit on a classic BPF program (`BPF_MAXINSNS`).
pub(super) const BPF_MAXINSNS: usize = 4096;
/// A conditional jump's offsets are one byte.
pub(super) const MAX_SHORT_JUMP: usize = 255;
/// A system call has 6 arguments.
pub(super) const MAX_ARGS: usize = 6;
/// The kernel clamps larger `SECCOMP_RET_ERRNO` data to this (`MAX_ERRNO`).
pub(super) const MAX_ERRNO: u32 = 4095;
pub(super) const EPERM: u32 = 1;

/// `SECCOMP_RET_*` (linux/seccomp.h): the action in the high 16 bits, data in the low ones.
pub(super) const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub(super) const RET_KILL_THREAD: u32 = 0;
pub(super) const RET_TRAP: u32 = 0x0003_0000;
pub(super) const RET_ERRNO: u32 = 0x0005_0000;
pub(super) const RET_TRACE: u32 = 0x7ff0_0000;
pub(super) const RET_LOG: u32 = 0x7ffc_0000;
pub(super) const RET_ALLOW: u32 = 0x7fff_0000;
pub(super) const RET_DATA: u32 = 0xffff;

/// The classic BPF opcodes keel-gen writes (linux/bpf_common.h), all of which seccomp allows.
pub(super) const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
pub(super) const AND_K: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
pub(super) const JA: u16 = 0x05; // BPF_JMP | BPF_JA
pub(super) const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
pub(super) const JGT_K: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K
pub(super) const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
pub(super) const RET_K: u16 = 0x06; // BPF_RET | BPF_K

/// A `struct sock_filter`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Insn {
    pub(super) code: u16,
    pub(super) jt: u8,
    pub(super) jf: u8,
    pub(super) k: u32,
}

impl Insn {
    pub(super) fn load(offset: u32) -> Insn {
        Insn {
            code: LD_W_ABS,
            jt: 0,
            jf: 0,
            k: offset,
        }
    }

    pub(super) fn ret(k: u32) -> Insn {
        Insn {
            code: RET_K,
            jt: 0,
            jf: 0,
            k,
        }
    }

    pub(super) fn to_bytes(self) -> [u8; 8] {
        let mut bytes = [0; 8];
        bytes[..2].copy_from_slice(&self.code.to_le_bytes());
        bytes[2] = self.jt;
        bytes[3] = self.jf;
        bytes[4..].copy_from_slice(&self.k.to_le_bytes());
        bytes
    }

    pub(super) fn decode(program: &[u8]) -> Option<Vec<Insn>> {
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
pub(super) fn jump(code: u16, k: u32, at: usize, jt: usize, jf: usize) -> Insn {
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
pub(super) fn header() -> [Insn; HEADER_LEN] {
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

pub(super) const HEADER_LEN: usize = 6;
