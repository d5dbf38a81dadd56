//! The helpers every section of the schema shares: spanned TOML values checked into C
//! strings, lists and records on the way in, shown back as TOML on the way out, and described
//! in the JSON schema (`json_schema`) where the types alone do not say enough. A leaf:
//! it imports nothing of the sections or of the document, so each section can use it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::hash::Hash;
use std::ops::Range;

use keel_wire::{self as wire, PATH_MAX, Record, Strings};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use toml::Spanned;

use crate::source::Source;

/// A list of strings, each with its position for error messages.
pub type List = Spanned<Vec<Spanned<String>>>;

/// A list of the records in `bytes`, written by `compile`.
pub fn records<'a, T: Record<'a>>(bytes: &'a [u8]) -> wire::List<'a, T> {
    wire::List::from_bytes_with_nul(bytes).expect("compile writes whole records")
}

/// The strings of `list`, each followed by NUL, after checking the count, that none
/// contains NUL, and what `problem` says about each.
pub fn nul_joined(
    source: &Source,
    list: &List,
    name: &str,
    max: usize,
    problem: impl Fn(&str) -> Option<&'static str>,
) -> Result<Vec<u8>, String> {
    let items = list.get_ref();
    if items.len() > max {
        return Err(source.error(
            list.span(),
            format!(
                "{name} has {} entries; keel allows at most {max}",
                items.len()
            ),
        ));
    }
    let mut bytes = Vec::new();
    for item in items {
        if let Some(problem) = problem(item.get_ref()) {
            return Err(source.error(item.span(), problem));
        }
        bytes.extend_from_slice(c_string(source, item)?.as_bytes_with_nul());
    }
    Ok(bytes)
}

/// An absolute path shorter than `PATH_MAX`, for the field `name` (an `example` of which
/// the error shows).
pub fn absolute_path(
    source: &Source,
    path: &Spanned<String>,
    name: &str,
    example: &str,
) -> Result<CString, String> {
    let text = path.get_ref();
    let problem = if !text.starts_with('/') {
        format!("{name} must be an absolute path, as in {name} = \"{example}\"")
    } else if text.len() >= PATH_MAX {
        format!("{name} is longer than Linux's PATH_MAX (4095 bytes)")
    } else {
        return c_string(source, path);
    };
    Err(source.error(path.span(), problem))
}

pub fn c_string(source: &Source, text: &Spanned<String>) -> Result<CString, String> {
    CString::new(text.get_ref().as_str()).map_err(|_| {
        source.error(
            text.span(),
            "strings cannot contain NUL (\\u0000): keel passes them to the kernel as C strings",
        )
    })
}

/// The keys with where each is, or an error at the second place a key appears.
pub fn unique<K: Eq + Hash>(
    source: &Source,
    items: impl IntoIterator<Item = (K, Range<usize>)>,
    duplicate: impl Fn(&K) -> String,
) -> Result<HashMap<K, Range<usize>>, String> {
    let mut seen: HashMap<K, Range<usize>> = HashMap::new();
    for (key, span) in items {
        if let Some(first) = seen.get(&key) {
            let (line, _) = source.line_column(first.start);
            return Err(source.error(span, format!("{} (first at line {line})", duplicate(&key))));
        }
        seen.insert(key, span);
    }
    Ok(seen)
}

pub fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

pub fn text(string: &CStr, field: &str) -> Result<String, String> {
    string
        .to_str()
        .map(str::to_owned)
        .map_err(|_| format!("{field} holds {string:?}, which is not UTF-8: TOML cannot show it"))
}

pub fn list(strings: Strings<'_>, field: &str) -> Result<Option<List>, String> {
    if strings.is_empty() {
        return Ok(None);
    }
    let items: Result<Vec<_>, String> = strings
        .iter()
        .map(|s| text(s, field).map(unspanned))
        .collect();
    Ok(Some(unspanned(items?)))
}

/// The value of an optional spanned field, without its position.
pub fn value<T: Copy>(field: &Option<Spanned<T>>) -> Option<T> {
    field.as_ref().map(|value| *value.get_ref())
}

/// A string that is one of `names`.
pub fn one_of(names: impl IntoIterator<Item = String>) -> Schema {
    let names: Vec<String> = names.into_iter().collect();
    json_schema!({ "type": "string", "enum": names })
}

/// `names_schema!(/// doc, Type, names)`: `Type`, a type that only names a schema for
/// `#[schemars(with = "...")]`, a string that is one of `names` (Strings, from the table the
/// field's lookup reads).
macro_rules! names_schema {
    ($(#[$doc:meta])* $name:ident, $names:expr) => {
        $(#[$doc])*
        pub enum $name {}

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::field::one_of($names)
            }
        }
    };
}
pub(crate) use names_schema;

/// A value written as an integer or a string (an octal umask, "unlimited", an errno name,
/// a number above `i64::MAX`, a cgroup file's value), for `#[schemars(with = ...)]`: a type
/// that only names a schema.
pub enum IntegerOrString {}

impl JsonSchema for IntegerOrString {
    fn schema_name() -> Cow<'static, str> {
        "IntegerOrString".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["integer", "string"] })
    }
}
