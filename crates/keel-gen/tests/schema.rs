//! `keel-gen schema`: the JSON Schema of the TOML takes every example and refuses broken
//! configs, validated by an independent implementation (the jsonschema crate).

mod common;

use common::*;
use std::fs;

use serde_json::Value;

/// The schema as `keel-gen schema` prints it.
fn schema() -> Value {
    serde_json::from_slice(&ok(&["schema"], b"")).expect("keel-gen schema prints JSON")
}

/// A TOML document as the JSON a validator (or an editor) checks.
fn json(toml: &str) -> Value {
    let value: toml::Value = toml::from_str(toml).expect("valid TOML");
    serde_json::to_value(value).unwrap()
}

/// What the validator says is wrong with `toml`, one line per error.
fn errors(validator: &jsonschema::Validator, toml: &str) -> Vec<String> {
    let instance = json(toml);
    let errors = validator.iter_errors(&instance);
    errors
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_example_is_valid() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema is a valid schema");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut checked = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let errors = errors(&validator, &fs::read_to_string(&path).unwrap());
        assert!(errors.is_empty(), "{path:?}: {errors:#?}");
        checked += 1;
    }
    assert!(checked >= 11, "validated {checked} examples");
}

#[test]
fn broken_configs_are_invalid() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let cases = [
        ("a misspelled section", "[namespace]\nunshare = [\"pid\"]\n"),
        ("a misspelled field", "[process]\nargz = [\"/bin/true\"]\n"),
        ("a wrong type", "[process]\nargs = \"/bin/true\"\n"),
        (
            "a wrong item type",
            "[supervision]\nremap_exit = [\"143\"]\n",
        ),
        (
            "an unknown signal",
            "[supervision]\nparent_death_signal = \"KIL\"\n",
        ),
        (
            "an unknown rewrite",
            "[supervision]\nrewrite = [\"TERM:BOGUS\"]\n",
        ),
        (
            "an unknown capability",
            "[process.capabilities]\nbounding = [\"CAP_FLY\"]\n",
        ),
        (
            "an unknown rlimit",
            "[[process.rlimits]]\ntype = \"RLIMIT_FILES\"\nsoft = 1\nhard = 1\n",
        ),
        (
            "an unknown system call",
            "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n[[process.seccomp.syscalls]]\nnames = [\"opne\"]\naction = \"SCMP_ACT_ERRNO\"\n",
        ),
        ("a missing required field", "[[mount]]\ntype = \"proc\"\n"),
        (
            "an unknown mount type",
            "[[mount]]\ndestination = \"/proc\"\ntype = \"procfs\"\n",
        ),
        (
            "an unknown namespace",
            "[namespaces]\nunshare = [\"netx\"]\n",
        ),
        (
            "an unknown seccomp action",
            "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALOW\"\n",
        ),
    ];
    for (what, toml) in cases {
        assert!(
            !errors(&validator, toml).is_empty(),
            "{what} passed: {toml}"
        );
    }
    // and their fixed versions pass, so each case fails for its one mistake
    for toml in [
        "[namespaces]\nunshare = [\"pid\", \"network\"]\n",
        "[[mount]]\ndestination = \"/proc\"\ntype = \"proc\"\n",
        "[supervision]\nparent_death_signal = \"SIGKILL\"\nrewrite = [\"TERM:QUIT\", \"RTMIN+1:0\"]\n",
        "[process.capabilities]\nbounding = [\"CAP_KILL\", \"NET_ADMIN\"]\n",
        "[[process.rlimits]]\ntype = \"RLIMIT_NOFILE\"\nsoft = 1\nhard = \"unlimited\"\n",
        "[process.seccomp]\ndefault_action = \"SCMP_ACT_ALLOW\"\n[[process.seccomp.syscalls]]\nnames = [\"openat\"]\naction = \"SCMP_ACT_ERRNO\"\n",
        "[process.seccomp]\ndefault_action = \"ERRNO\"\n[[process.seccomp.syscalls]]\nnames = [\"kill\"]\naction = \"SCMP_ACT_ALLOW\"\nargs = [{ index = 1, value = 9, op = \"SCMP_CMP_EQ\" }]\n",
    ] {
        assert_eq!(errors(&validator, toml), Vec::<String>::new(), "{toml}");
    }
}

#[test]
fn fields_have_descriptions_and_names_come_from_the_tables() {
    let schema = schema();
    let text = schema.to_string();
    for name in [
        "\"SIGTERM\"",
        "\"CAP_CHECKPOINT_RESTORE\"",
        "\"RLIMIT_RTTIME\"",
        "\"openat2\"",
    ] {
        assert!(text.contains(name), "the schema lacks {name}");
    }
    // Every property of every table says what it is.
    let mut properties = 0;
    let mut tables = vec![&schema];
    tables.extend(schema["$defs"].as_object().unwrap().values());
    for table in tables {
        for (name, property) in table["properties"].as_object().into_iter().flatten() {
            assert!(
                property["description"].is_string(),
                "{name} has no description: {property}"
            );
            properties += 1;
        }
    }
    assert!(properties > 90, "{properties} properties");
}
