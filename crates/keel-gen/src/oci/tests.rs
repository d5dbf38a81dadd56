use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;
use toml::Table;

use super::converter::Converter;
use super::values::{cpu_weight, io_weight, swap_max};

/// The `[process.seccomp]` table converted from `json`, as TOML, and the warnings.
fn seccomp_of(json: &str) -> (Option<Table>, Vec<String>) {
    let seccomp: LinuxSeccomp = serde_json::from_str(json).unwrap();
    let mut out = Converter {
        bundle: Path::new("/"),
        warnings: Vec::new(),
    };
    let table = out.seccomp(&seccomp);
    let table = table.map(|table| Table::try_from(table).expect("a table serializes"));
    (table, out.warnings)
}

#[test]
fn seccomp_becomes_process_seccomp() {
    let (table, warnings) = seccomp_of(
        r#"{
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "errnoRet": 38,
                 "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
                {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_MASKED_EQ"}]}
            ]
        }"#,
    );
    let expected: Table = toml::from_str(
        r#"
        default_action = "SCMP_ACT_ERRNO"
        default_errno_ret = 1
        architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
        flags = ["SECCOMP_FILTER_FLAG_LOG"]
        [[syscalls]]
        names = ["read", "write"]
        action = "SCMP_ACT_ALLOW"
        errno_ret = 38
        args = [{ index = 0, value = 1, value_two = 0, op = "SCMP_CMP_EQ" }]
        [[syscalls]]
        names = ["ioctl"]
        action = "SCMP_ACT_ALLOW"
        args = [{ index = 1, value = "0xffffffffffffffff", op = "SCMP_CMP_MASKED_EQ" }]
        "#,
    )
    .unwrap();
    assert_eq!(table, Some(expected));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn seccomp_agents_are_warned_about() {
    let (table, warnings) = seccomp_of(
        r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": "/run/agent.sock",
            "syscalls": [
                {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"},
                {"names": ["reboot"], "action": "SCMP_ACT_KILL_PROCESS"}
            ]
        }"#,
    );
    let expected: Table = toml::from_str(
        r#"
        default_action = "SCMP_ACT_ALLOW"
        [[syscalls]]
        names = ["reboot"]
        action = "SCMP_ACT_KILL_PROCESS"
        "#,
    )
    .unwrap();
    assert_eq!(table, Some(expected));
    assert_eq!(
        warnings,
        [
            "linux.seccomp.listenerPath: not supported (keel has no seccomp agent); dropped",
            "linux.seccomp.syscalls[0]: not supported (SCMP_ACT_NOTIFY needs a seccomp agent, which keel has no listener for); dropped",
        ]
    );
    let (table, warnings) = seccomp_of(r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#);
    assert_eq!(table, None);
    assert_eq!(warnings.len(), 1);
}

#[test]
fn swap_converts_like_runc() {
    assert_eq!(swap_max(0, -1), Ok(-1));
    assert_eq!(swap_max(-1, 100), Ok(-1));
    assert_eq!(swap_max(300, -1), Ok(300));
    assert_eq!(swap_max(300, 100), Ok(200));
    assert!(swap_max(300, 0).is_err());
    assert!(swap_max(50, 100).is_err());
}

#[test]
fn weights_keep_the_ends_and_the_defaults() {
    assert_eq!([2, 1024, 262_144].map(cpu_weight), [1, 100, 10_000]);
    assert_eq!([10, 500, 1000].map(io_weight), [1, 4950, 10_000]);
}
