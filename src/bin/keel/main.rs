//! keel: a tiny static PID 1. No libc, no allocator: its own `_start`, raw syscalls where
//! rustix has none (all in `sys`), and messages formatted with ufmt into stack buffers.
//!
//! The boot path, in the order it runs: [`cli`] and [`config`] (everything is decoded and
//! checked before the first side effect) → [`machine`] mounts when keel is the machine's
//! init → [`process`] hygiene → [`exec`] the workload directly, or [`supervise`] it.
#![no_std]
#![no_main]

mod cli;
mod config;
mod drain;
mod exec;
mod log;
mod machine;
mod process;
mod signal;
mod supervise;
mod sys;

use cli::{Mode, exit};
use log::error;

/// Called by `sys::entry` with the initial stack's argv and envp; returns keel's exit status.
fn main(args: sys::StrArray, env: sys::StrArray) -> i32 {
    let own = rustix::process::getpid();
    let kernel_init = machine::is_kernel_init(own);
    let status = run(args, env, own, kernel_init);
    if machine::active() {
        machine::power_off(status);
    }
    status
}

fn run(
    args: sys::StrArray,
    env: sys::StrArray,
    own: rustix::process::Pid,
    kernel_init: bool,
) -> i32 {
    let mut s = match cli::parse(args, env) {
        Ok(s) => s,
        Err(status) => return status,
    };
    if config::load(&mut s).is_err() {
        return exit::USAGE;
    }
    cli::apply_verbosity(&s);
    let mode = s.mode.unwrap_or(if kernel_init {
        Mode::Machine
    } else {
        Mode::Supervise
    });
    if mode == Mode::Machine {
        machine::activate();
    }
    if s.program.len() == 0 {
        return cli::missing_program();
    }
    if mode == Mode::Machine {
        machine::mount_api_filesystems();
    }
    match mode {
        Mode::Exec => process::exec_workload(&s, env, own),
        Mode::Supervise | Mode::Machine => supervise::run(&s, env, own),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => error!("internal error at {}:{}", at.file(), at.line()),
        None => error!("internal error"),
    }
    if machine::active() {
        machine::power_off(exit::INTERNAL);
    }
    sys::exit_group(exit::INTERNAL)
}
