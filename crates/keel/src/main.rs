//! keel: a tiny static PID 1. No libc, no allocator: its own `_start`, raw syscalls where
//! rustix has none (all in `sys`), and messages formatted with ufmt into stack buffers.
//!
//! The boot path, in the order it runs (see `run`): [`cli`] and [`config`] (everything is
//! decoded and checked before the first side effect) → [`machine`] mounts when keel is the
//! machine's init → [`seal`] keel's own binary → [`cgroup`] delegation → [`namespaces`] →
//! [`mounts`] the filesystem view → [`process`] the workload's process → [`exec`] it directly,
//! or [`supervise`] it.
#![no_std]
#![no_main]
// Every `unsafe` and raw syscall lives in `sys`, the one module allowed them.
#![deny(unsafe_code)]

// The optional parts (cargo features, see Cargo.toml) are whole modules, and the steps that
// call them; `features::BUILT` makes the decoder refuse a config that needs a missing one.
#[cfg(feature = "cgroup")]
mod cgroup;
mod cli;
mod config;
mod drain;
mod exec;
mod features;
#[cfg(feature = "landlock")]
mod landlock;
mod log;
mod machine;
#[cfg(any(feature = "mounts", feature = "seal"))]
mod mounts;
#[cfg(feature = "namespaces")]
mod namespaces;
mod process;
#[cfg(feature = "seal")]
mod seal;
mod security;
#[cfg(feature = "services")]
mod services;
mod signal;
mod supervise;
#[allow(unsafe_code)]
mod sys;

use cli::{Mode, exit};
use log::{ErrnoText, error};
use rustix::process::Pid;

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

/// The boot path, in order. Nothing before `config::load` returns has changed anything.
fn run(args: sys::StrArray, env: sys::StrArray, own: Pid, kernel_init: bool) -> i32 {
    // The kernel's init must never exit (the kernel panics): from the first error on, even a
    // bad command line or config, keel reports it and powers the machine off.
    if kernel_init {
        machine::set_active(true);
    }
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
        machine::set_active(true);
    }
    #[cfg(feature = "services")]
    if !s.services.is_empty() && mode == Mode::Exec {
        error!("services need keel to supervise: mode exec replaces keel with the program");
        return exit::USAGE;
    }
    #[cfg(feature = "services")]
    let services_only = !s.services.is_empty();
    #[cfg(not(feature = "services"))]
    let services_only = false;
    if s.program.len() == 0 && !services_only {
        return cli::missing_program();
    }
    #[cfg(feature = "landlock")]
    let landlock = match s.landlock.map(landlock::plan).transpose() {
        Ok(plan) => plan.flatten(),
        Err(()) => return exit::SETUP,
    };
    #[cfg(not(feature = "landlock"))]
    let landlock: Option<security::LandlockPlan> = None;
    if mode == Mode::Machine {
        machine::mount_api_filesystems();
    }
    // /proc/1/exe is what a payload would attack: keel is PID 1 there, itself or as the inner
    // keel of a new pid namespace. Anywhere else keel is a supervisor inside something else,
    // and pays nothing.
    #[cfg(feature = "seal")]
    if s.seal_exe.unwrap_or(
        own.is_init()
            || s.namespaces
                .is_some_and(|n| n.unshare.contains(keel_wire::NamespaceSet::PID)),
    ) {
        seal::ensure(args, env);
    }
    if let Some(sig) = s.parent_death_signal
        && let Err(e) =
            rustix::process::set_parent_process_death_signal(Some(sys::signal(i32::from(sig))))
    {
        error!(
            "parent death signal {}: {}",
            signal::Name(i32::from(sig)),
            ErrnoText(e)
        );
        return exit::SETUP;
    }
    let caller = process::Caller::capture();
    #[cfg(feature = "security")]
    if let Some(adj) = s.process.oom_score_adj
        && security::set_oom_score_adj(adj).is_err()
    {
        return exit::SETUP;
    }
    #[cfg(feature = "cgroup")]
    let cgroup = match &s.cgroup {
        Some(c) => match cgroup::delegate(c, mode == Mode::Machine) {
            Ok(d) => Some(d),
            Err(()) => return exit::SETUP,
        },
        None => None,
    };
    #[cfg(feature = "namespaces")]
    if let Some(n) = &s.namespaces {
        match namespaces::enter(n, &s, own) {
            Ok(namespaces::Entered::Inside) => {}
            Ok(namespaces::Entered::Relayed(status)) => return status,
            Err(status) => return status,
        }
    }
    #[cfg(feature = "mounts")]
    if let Some(m) = &s.mounts {
        // Mounts never go into the namespace keel was started in: without a configured mount
        // namespace keel makes a private one.
        let has_mount_ns = s
            .namespaces
            .is_some_and(|n| n.unshare.contains(keel_wire::NamespaceSet::MOUNT));
        if !has_mount_ns && let Err(e) = sys::unshare(keel_wire::NamespaceSet::MOUNT) {
            error!("mounts: unshare a mount namespace: {}", ErrnoText(e));
            return exit::SETUP;
        }
        let in_user_namespace = s
            .namespaces
            .is_some_and(|n| n.unshare.contains(keel_wire::NamespaceSet::USER));
        if mounts::build(m, in_user_namespace).is_err() {
            return exit::SETUP;
        }
        // The decoder takes `lock` only from a config for a keel with namespaces too.
        #[cfg(feature = "namespaces")]
        if m.lock
            && let Err(status) = namespaces::lock_mounts()
        {
            return status;
        }
    }
    let launch = process::Launch {
        s: &s,
        env,
        keel: own,
        caller: &caller,
        #[cfg(feature = "cgroup")]
        cgroup: cgroup.as_ref(),
        landlock: landlock.as_ref(),
    };
    match mode {
        Mode::Exec => process::exec_workload(&launch),
        Mode::Supervise | Mode::Machine => {
            // In a new pid namespace this is the inner keel, with a pid of its own (1).
            let supervisor = if s.namespaces.is_some() {
                rustix::process::getpid()
            } else {
                own
            };
            supervise::run(&launch, supervisor)
        }
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
