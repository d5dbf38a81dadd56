//! Section and field ids, as tabled in the module docs.

pub const PROCESS: u8 = 0x01;
pub const SUPERVISION: u8 = 0x02;
pub const CGROUP: u8 = 0x03;
pub const NAMESPACES: u8 = 0x04;
pub const MOUNTS: u8 = 0x05;
pub const LANDLOCK: u8 = 0x06;
pub const SERVICES: u8 = 0x07;

pub mod process {
    pub const ARGS: u8 = 1;
    pub const ENV_CLEAR: u8 = 2;
    pub const ENV_SET: u8 = 3;
    pub const ENV_UNSET: u8 = 4;
    pub const CWD: u8 = 5;
    pub const USER: u8 = 6;
    pub const NO_NEW_PRIVILEGES: u8 = 7;
    pub const CAPABILITIES: u8 = 8;
    pub const RLIMITS: u8 = 9;
    pub const UMASK: u8 = 10;
    pub const OOM_SCORE_ADJ: u8 = 11;
    pub const SECCOMP: u8 = 12;
}

pub mod supervision {
    pub const MODE: u8 = 1;
    pub const SUBREAPER: u8 = 2;
    pub const KILL_PROCESS_GROUP: u8 = 3;
    pub const REMAP_EXIT: u8 = 4;
    pub const GRACE_MS: u8 = 5;
    pub const REWRITE: u8 = 6;
    pub const VERBOSITY: u8 = 7;
    pub const WARN_ON_REAP: u8 = 8;
    pub const PARENT_DEATH_SIGNAL: u8 = 9;
    pub const SEAL_EXE: u8 = 10;
}

pub mod cgroup {
    pub const ROOT: u8 = 1;
    pub const MOUNT: u8 = 2;
    pub const LEAF: u8 = 3;
    pub const CONTROLLERS: u8 = 4;
    pub const OPTIONAL: u8 = 5;
    pub const DELEGATES: u8 = 6;
    pub const LIMITS: u8 = 7;
    pub const WORKLOAD: u8 = 8;
}

pub mod namespaces {
    pub const UNSHARE: u8 = 1;
    pub const UID_MAP: u8 = 2;
    pub const GID_MAP: u8 = 3;
    pub const SETGROUPS_DENY: u8 = 4;
    pub const HOSTNAME: u8 = 5;
    pub const DOMAINNAME: u8 = 6;
    pub const MONOTONIC_OFFSET: u8 = 7;
    pub const BOOTTIME_OFFSET: u8 = 8;
}

pub mod mounts {
    pub const ROOT: u8 = 1;
    pub const ENTRIES: u8 = 2;
    pub const MASKED: u8 = 3;
    pub const READONLY: u8 = 4;
    pub const ROOT_READONLY: u8 = 5;
    pub const LOCK: u8 = 6;
}

pub mod landlock {
    pub const REQUIRED: u8 = 1;
    pub const HANDLED_FS: u8 = 2;
    pub const HANDLED_NET: u8 = 3;
    pub const SCOPED: u8 = 4;
    pub const PATHS: u8 = 5;
    pub const PORTS: u8 = 6;
}

pub mod services {
    pub const ENTRIES: u8 = 1;
}
