//! The format's limits, and the values of absent fields that keel must know.

use core::ffi::CStr;

/// Most strings in `args`.
pub const MAX_ARGS: usize = 256;
/// Most entries in `env_set`, and most keys in `env_unset`.
pub const MAX_ENV: usize = 1024;
/// Linux's limit on a path, terminating NUL included: `cwd` must be shorter.
pub const PATH_MAX: usize = 4096;
/// Most instructions in a seccomp filter (the kernel's `BPF_MAXINSNS`).
pub const MAX_SECCOMP_INSTRUCTIONS: usize = 4096;
/// Most services.
pub const MAX_SERVICES: usize = 32;
/// Longest service name.
pub const SERVICE_NAME_MAX: usize = 32;
/// Most Landlock path rules, and most port rules.
pub const MAX_LANDLOCK_RULES: usize = 256;
/// Highest Linux signal number.
pub const MAX_SIGNAL: u8 = 64;
/// Linux's limit on a file name: a cgroup path's components and a limit's file.
pub const NAME_MAX: usize = 255;
/// Most names in the cgroup section's `controllers`, and in its `optional`.
pub const MAX_CONTROLLERS: usize = 32;
/// Longest controller name.
pub const CONTROLLER_NAME_MAX: usize = 64;
/// Most cgroup delegates.
pub const MAX_DELEGATES: usize = 64;
/// Most cgroup limits.
pub const MAX_LIMITS: usize = 256;
/// Where the cgroup2 filesystem is when the cgroup section gives no `root`.
pub const DEFAULT_CGROUP_ROOT: &CStr = c"/sys/fs/cgroup";
/// keel's cgroup when the cgroup section gives no `leaf`: BenchExec's `init.sh` uses `init`.
pub const DEFAULT_LEAF: &CStr = c"init";
/// Most lines in a uid or gid map (the kernel's limit).
pub const MAX_ID_MAPS: usize = 340;
/// Longest host or domain name (the kernel's `__NEW_UTS_LEN`).
pub const HOST_NAME_MAX: usize = 64;
/// Most mounts.
pub const MAX_MOUNTS: usize = 256;
/// Most masked paths, and most read-only paths.
pub const MAX_MOUNT_PATHS: usize = 64;
/// Most lower layers of an overlay.
pub const MAX_LOWER_LAYERS: usize = 15;
/// Longest mount option: fsconfig refuses longer strings.
pub const MOUNT_OPTION_MAX: usize = 255;
/// Most additional gids of a [`User`](crate::User).
pub const MAX_GIDS: usize = 64;
/// Highest capability number (Linux 6.x's `CAP_LAST_CAP`, `CAP_CHECKPOINT_RESTORE`).
pub const CAP_LAST_CAP: u8 = 40;
/// Number of `RLIMIT_*` resources (`RLIMIT_NLIMITS`), so the most rlimits, each once.
pub const MAX_RLIMITS: usize = 16;
/// Lowest `oom_score_adj`: the process is never killed for lack of memory.
pub const OOM_SCORE_ADJ_MIN: i32 = -1000;
/// Highest `oom_score_adj`: the process is killed first.
pub const OOM_SCORE_ADJ_MAX: i32 = 1000;
