//! Program start-up without a C library: `_start` (in `arch`) calls `entry`; the
//! `.keelcfg` record of where an embedded config is, and the `.note.keel` record of the
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

// Where `keel-gen embed` put a config: its address and length (u64 each), zeros until then.
// keel-gen appends the config to the file in a read-only PT_LOAD segment of its own (turning
// the PT_NOTE of `.note.keel` into it), so a keel carries only the bytes its config needs.
// "aR": allocated and retained (SHF_GNU_RETAIN), so --gc-sections keeps it; linker/keel.ld
// places it and defines the symbol.
core::arch::global_asm!(
    ".pushsection .keelcfg,\"aR\",@progbits",
    ".balign 8",
    ".zero 16",
    ".popsection",
);

// The optional parts this keel was built with, as an ELF note (name "keel", type 1, the
// description `Features::record`), which keel-gen reads (`inspect --keel`, `embed`). Its
// PT_NOTE program header is the slot `embed` turns into the config's segment.
core::arch::global_asm!(
    ".pushsection .note.keel,\"aR\",@note",
    ".balign 4",
    ".4byte 5, {len}, 1",
    ".asciz \"keel\"",
    ".balign 4",
    ".ascii \"KEELFEAT\"",
    ".2byte {bits}",
    ".balign 4",
    ".popsection",
    len = const keel_wire::Features::RECORD_LEN,
    bits = const crate::features::BUILT.bits(),
);

unsafe extern "C" {
    static __keelcfg: [u64; 2];
}

/// The config `keel-gen embed` put in keel's image, if any.
pub fn embedded_config() -> Option<&'static [u8]> {
    // SAFETY: linker/keel.ld defines __keelcfg at the 16-byte record above. The volatile read
    // keeps the compiler from folding the zeros it was assembled with: keel-gen patches the
    // file after linking.
    let [addr, len] = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(__keelcfg)) };
    if len == 0 {
        return None;
    }
    // SAFETY: keel-gen wrote the address and length of the read-only PT_LOAD segment it added
    // for the config, which the kernel mapped with the rest of keel's image; it is never
    // written at run time. (Whoever could forge the record could as well change keel's code.)
    Some(unsafe { core::slice::from_raw_parts(addr as usize as *const u8, len as usize) })
}
