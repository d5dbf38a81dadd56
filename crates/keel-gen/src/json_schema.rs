//! The JSON Schema of keel's TOML (`keel-gen schema`), for editors (taplo, Even Better TOML)
//! and for keel.toml(5). It is derived from the serde types of `schema` and its sections, with
//! their doc comments as descriptions, so it cannot drift from what `build` reads; the names
//! that `build` looks up (signals, capabilities, rlimits, system calls, seccomp actions and
//! compares, mount types, namespaces, modes) come from the same tables as the lookups,
//! through the schema-only types declared next to each table (`field::names_schema!`).
//!
//! The schema is a guide, not the judge: `build` checks much more (duplicates, ranges,
//! contradictions), and accepts names in any case where the schema lists the upper-case ones.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::schema::Document;

/// The schema of a keel.toml file, as JSON.
pub fn schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Document>();
    schema.insert("title".to_owned(), "keel.toml".into());
    let mut value = schema.to_value();
    drop_null(&mut value);
    value
}

/// The schema as `keel-gen schema` prints it: pretty JSON and a newline.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a Value always serializes");
    text.push('\n');
    text
}

/// TOML has no null: schemars's `Option` schemas allow one, which editors would then offer.
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(variants)) = map.get_mut("anyOf") {
                variants.retain(|v| v.get("type").is_none_or(|t| t != "null"));
                if let [only] = variants.as_slice() {
                    let only = only.clone();
                    map.remove("anyOf");
                    if let Value::Object(only) = only {
                        map.extend(only);
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}
