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
//!   `(arg & value) == (value_two & value)`: libseccomp, and so runc and crun, mask the datum
//!   too, so a `value_two` with bits outside the mask means what it means there.
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

// The layers, so that no file imports one that imports it: `bpf` and `rule` are leaves;
// `names` reads their return values and operators; `assembler` and `disassembler` turn
// rules into a program and back; `policy` turns the tables into rules and back, using all of
// them. Nothing here imports this file: what the crate uses is re-exported below.
mod assembler;
mod bpf;
mod disassembler;
mod names;
mod policy;
mod rule;
#[cfg(test)]
mod tests;

pub use policy::{ArgTable, CompiledSeccomp, SeccompTable, SyscallTable, value_text};
