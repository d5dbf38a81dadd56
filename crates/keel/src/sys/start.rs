//! Program start-up without a C library: `_start` (in `arch`) calls `entry`; the
//! `.keelcfg` section a config is embedded into, and the `.keelfeatures` record of the
//! optional parts this keel was built with.

use super::arrays::initial_arrays;

/// Called by `_start` with the address of the initial stack: argc, argv[], NULL, envp[], NULL.
/// Returns keel's exit status, with which `_start` calls exit_group, as crt1 does with main's.
///
/// # Safety
/// `sp` is the process's initial stack pointer, as the kernel laid it out.
pub unsafe extern "C" fn entry(sp: *const usize) -> i32 {
    // SAFETY: the kernel's layout: argc, then argc pointers and a NULL, then envp up to a NULL.
    let (argc, argv, envp) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const u8;
        (argc, argv, argv.add(argc + 1))
    };
    // SAFETY: the arrays are NULL-terminated and their strings live as long as the process.
    let (args, env) = unsafe { initial_arrays(argv, argc, envp) };
    crate::main(args, env)
}

// The reserved space for a config embedded by `keel-gen embed`: zeros until then. "aR" makes
// it allocated and retained (SHF_GNU_RETAIN), so --gc-sections keeps it; linker/keel.ld places
// it and defines the two symbols around it.
core::arch::global_asm!(
    ".pushsection .keelcfg,\"aR\",@progbits",
    ".balign 16",
    ".zero 4096",
    ".popsection",
);

/// What keel-gen reads to know which configs this binary takes (`inspect --keel`, `embed`).
/// Nothing in keel reads it; linker/keel.ld keeps it.
#[used]
#[unsafe(link_section = ".keelfeatures")]
static FEATURES: [u8; keel_wire::Features::RECORD_LEN] = crate::features::BUILT.record();

unsafe extern "C" {
    static __keelcfg_start: u8;
    static __keelcfg_end: u8;
}

/// keel's own `.keelcfg` section.
pub fn embedded_config() -> Option<&'static [u8]> {
    // SAFETY: the linker script defines both symbols around the section, start <= end, and
    // nothing writes to it at run time (keel-gen patches the file, not the process).
    unsafe {
        let start = core::ptr::addr_of!(__keelcfg_start);
        let len = (core::ptr::addr_of!(__keelcfg_end) as usize).checked_sub(start as usize)?;
        Some(core::slice::from_raw_parts(start, len))
    }
}
