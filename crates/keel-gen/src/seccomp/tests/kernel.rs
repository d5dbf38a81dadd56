use super::*;

/// Runs `test` in a child process under `program`, and returns its wait status. The
/// child only makes system calls after fork: the test's other threads may hold locks.
fn in_filtered_child(compiled: &CompiledSeccomp, test: fn() -> i32) -> i32 {
    let filter = libc::sock_fprog {
        len: u16::try_from(compiled.program.len() / 8).unwrap(),
        filter: compiled.program.as_ptr().cast_mut().cast(),
    };
    // SAFETY: the child makes only system calls (async-signal-safe) and ends with _exit.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork");
        if pid == 0 {
            // No core file when the filter kills the child.
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                libc::_exit(100);
            }
            let installed = libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                compiled.flags,
                &filter,
            );
            if installed != 0 {
                libc::_exit(101);
            }
            libc::_exit(test());
        }
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        status
    }
}

/// Runs `checks` under `compiled` in a child, which must pass them all and then be killed by
/// the filter (SIGSYS) in its last call; otherwise its exit status names the failed check.
pub(super) fn passes_then_dies_of_sigsys(compiled: &CompiledSeccomp, checks: fn() -> i32) {
    let status = in_filtered_child(compiled, checks);
    assert!(
        libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS,
        "status {status:#x}: exit status {} is the failed check",
        libc::WEXITSTATUS(status)
    );
}

/// The result of a system call: its return value, or -errno.
pub(super) fn syscall(nr: libc::c_long, a: u64, b: u64) -> i64 {
    // SAFETY: the calls made here take integers only.
    let ret = unsafe { libc::syscall(nr, a, b) };
    if ret == -1 {
        // SAFETY: errno is this thread's.
        -i64::from(unsafe { *libc::__errno_location() })
    } else {
        ret
    }
}

#[test]
fn the_kernel_runs_the_filter() {
    let compiled = compile(
        r#"
default_action = "SCMP_ACT_ALLOW"
flags = ["SECCOMP_FILTER_FLAG_LOG"]
[[syscalls]]
names = ["getpriority"]
action = "SCMP_ACT_ERRNO"
errno_ret = 38
args = [{ index = 0, value = 0x1234, op = "SCMP_CMP_EQ" }]
[[syscalls]]
names = ["getpriority"]
action = "SCMP_ACT_ERRNO"
errno_ret = "E2BIG"
args = [{ index = 1, value = "0xffffffff", op = "SCMP_CMP_GT" }]
[[syscalls]]
names = ["personality"]
action = "ERRNO"
errno_ret = 77
args = [{ index = 0, value = 0xff00, value_two = 0x0100, op = "MASKED_EQ" }]
[[syscalls]]
names = ["getppid"]
action = "KILL_PROCESS"
args = [{ index = 0, value = 7, op = "EQ" }]
"#,
    )
    .unwrap();
    // Each check's number is the exit status when it fails; the last one kills.
    fn checks() -> i32 {
        let results = [
            // Not 7: allowed.
            syscall(libc::SYS_getppid, 0, 0) > 0,
            syscall(libc::SYS_getpriority, 0x1234, 0) == -38,
            // The high word differs, so the rule does not apply; the kernel then sees
            // an int 0x1234, not a valid `which`.
            syscall(libc::SYS_getpriority, 0x1_0000_1234, 0) == -22,
            syscall(libc::SYS_getpriority, 0, 0x1_0000_0000) == -7,
            // Not above 0xffffffff: the kernel sees who = -1, no such process.
            syscall(libc::SYS_getpriority, 0, 0xffff_ffff) == -3,
            syscall(libc::SYS_getpriority, 0, 0) >= 0,
            syscall(libc::SYS_personality, 0x0100, 0) == -77,
            // 0xffffffff only reads the personality.
            syscall(libc::SYS_personality, 0xffff_ffff, 0) >= 0,
        ];
        if let Some(failed) = results.iter().position(|ok| !ok) {
            return failed as i32 + 1;
        }
        syscall(libc::SYS_getppid, 7, 0);
        99
    }
    passes_then_dies_of_sigsys(&compiled, checks);
}

#[test]
fn the_kernel_runs_docker_s_profile() {
    let names: Vec<_> = DOCKER_ALLOWED.iter().map(|n| format!("\"{n}\"")).collect();
    let text = format!(
        "default_action = \"ERRNO\"\n[[syscalls]]\nnames = [{}]\naction = \"ALLOW\"\n",
        names.join(", ")
    );
    let compiled = compile(&text).unwrap();
    fn checks() -> i32 {
        let results = [
            syscall(libc::SYS_getppid, 0, 0) > 0,
            // SYSLOG_ACTION_SIZE_BUFFER only reads; Docker does not allow syslog.
            syscall(libc::SYS_syslog, 10, 0) == -libc::EPERM as i64,
            // -1 gets the default action, not a kill.
            syscall(-1, 0, 0) == -libc::EPERM as i64,
        ];
        if let Some(failed) = results.iter().position(|ok| !ok) {
            return failed as i32 + 1;
        }
        // An x32 call (getpid) is killed.
        syscall(0x4000_0000 | libc::SYS_getpid, 0, 0);
        99
    }
    passes_then_dies_of_sigsys(&compiled, checks);
}
