//! The manual pages `keel-gen man DIR` writes, each from the text it documents so that
//! none can drift: keel-gen(1) and keel-gen-SUBCOMMAND(1) from keel-gen's clap command,
//! keel(1) from the `--help` text keel prints (`crates/keel/src/usage*.txt`, which keel
//! includes), and keel.toml(5) from the JSON schema of the TOML (see `json_schema`).

use std::fs;
use std::path::Path;

use clap_mangen::roff::{Roff, bold, italic, roman};
use serde_json::Value;

/// keel's `--help` text, the same bytes a full keel prints.
const KEEL_USAGE: &str = concat!(
    include_str!("../../keel/src/usage.txt"),
    include_str!("../../keel/src/usage-seal.txt"),
    include_str!("../../keel/src/usage-launcher.txt"),
    include_str!("../../keel/src/usage-end.txt"),
    include_str!("../../keel/src/usage-launcher-end.txt")
);

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Writes every page into `dir` (created if missing).
pub fn write_pages(keel_gen: clap::Command, dir: &Path) -> Result<(), String> {
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut commands = vec![keel_gen.disable_help_subcommand(true)];
    commands[0].build();
    while let Some(command) = commands.pop() {
        commands.extend(command.get_subcommands().cloned());
        let man = clap_mangen::Man::new(command)
            .source(format!("keel {VERSION}"))
            .manual("keel");
        man.generate_to(dir).map_err(|e| io(dir, e))?;
    }
    for (name, page) in [
        ("keel.1", keel_page(KEEL_USAGE)),
        ("keel.toml.5", config_page(&crate::json_schema::schema())),
    ] {
        let path = dir.join(name);
        fs::write(&path, page).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

/// keel(1) from keel's `--help` text: its usage line, its description, its option lines
/// (`  -x, --long ARG   what it does`) and its closing paragraphs (`Environment: ...`,
/// `Exit status: ...`), each of which becomes a section.
fn keel_page(usage: &str) -> String {
    let mut page = Roff::new();
    page.control("TH", ["KEEL", "1", "", &format!("keel {VERSION}"), "keel"]);
    page.control("SH", ["NAME"]);
    page.text([roman("keel - a tiny static PID 1 for containers and VMs")]);
    let mut blocks = usage.split("\n\n");
    let mut head = blocks.next().unwrap_or_default().lines();
    page.control("SH", ["SYNOPSIS"]);
    let synopsis = head.next().unwrap_or_default();
    page.text([bold(synopsis.trim_start_matches("Usage: "))]);
    page.control("SH", ["DESCRIPTION"]);
    page.text([roman(head.collect::<Vec<_>>().join(" "))]);
    page.control("SH", ["OPTIONS"]);
    for line in blocks.next().unwrap_or_default().lines() {
        // The option and its help are separated by a run of at least two spaces.
        let line = line.trim_start();
        let (option, help) = line.split_once("  ").unwrap_or((line, ""));
        page.control("TP", []);
        page.text([bold(option)]);
        page.text([roman(help.trim())]);
    }
    for paragraph in blocks.flat_map(|block| block.split('\n').collect::<Vec<_>>()) {
        match paragraph.split_once(": ") {
            // "Environment: ...", "Exit status: ...": a short capitalised title starts a section.
            Some((title, text))
                if title.split(' ').count() <= 2 && title.starts_with(char::is_uppercase) =>
            {
                page.control("SH", [title.to_uppercase().as_str()]);
                page.text([roman(text)]);
            }
            _ => {
                page.text([roman(paragraph)]);
            }
        }
    }
    page.control("SH", ["SEE ALSO"]);
    page.text([
        bold("keel-gen"),
        roman("(1), "),
        bold("keel.toml"),
        roman("(5)"),
    ]);
    page.render()
}

/// keel.toml(5) from the JSON schema: every table, by its TOML header, and every field with
/// its type and description.
fn config_page(schema: &Value) -> String {
    let mut page = Roff::new();
    page.control(
        "TH",
        ["KEEL.TOML", "5", "", &format!("keel {VERSION}"), "keel"],
    );
    page.control("SH", ["NAME"]);
    page.text([roman(
        "keel.toml - the configuration keel-gen compiles for keel",
    )]);
    page.control("SH", ["DESCRIPTION"]);
    page.text([roman(
        "A TOML file that keel-gen build compiles into the binary config keel reads \
         (-c FILE, KEEL_CONFIG, /etc/keel.cfg, or embedded with keel-gen embed). Every \
         table and field is optional unless marked required; a value in brackets is the \
         default. keel-gen schema prints the JSON Schema this page is made from.",
    )]);
    let defs = &schema["$defs"];
    let mut tables = vec![(String::new(), schema, false, None)];
    while let Some((header, table, array, about)) = tables.pop() {
        let table = resolve(defs, table);
        if !header.is_empty() {
            let header = if array {
                format!("[[{header}]]")
            } else {
                format!("[{header}]")
            };
            page.control("SH", [header.as_str()]);
            // What the field holding the table says, else the table's own doc comment
            // without the header it starts with.
            let text = about
                .or_else(|| table["description"].as_str())
                .unwrap_or_default();
            let text = plain(text);
            let text = text.strip_prefix(&header).unwrap_or(&text);
            let text = text.trim_start_matches([':', '.', ' ']);
            if !text.is_empty() {
                page.text([roman(text)]);
            }
        }
        let required: Vec<&str> = table["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut nested = Vec::new();
        for (name, field) in table["properties"].as_object().into_iter().flatten() {
            let path = if header.is_empty() {
                name.clone()
            } else {
                format!("{header}.{name}")
            };
            let target = resolve(defs, field);
            let items = resolve(defs, &target["items"]);
            let about = field["description"].as_str();
            if target["properties"].is_object() {
                nested.push((path, target, false, about));
                continue;
            }
            if items["properties"].is_object() {
                nested.push((path, items, true, about));
                continue;
            }
            page.control("TP", []);
            let mut kind = type_text(defs, field);
            if required.contains(&name.as_str()) {
                kind.push_str(", required");
            }
            page.text([bold(name.as_str()), roman(" ("), italic(kind), roman(")")]);
            let description = field["description"].as_str().unwrap_or_default();
            page.text([roman(plain(description))]);
            if let Some(example) = field["examples"].get(0) {
                page.text([roman("Example: "), bold(toml_text(example))]);
            }
        }
        // Sub-tables follow their table, in the order they are written.
        tables.extend(nested.into_iter().rev());
    }
    page.control("SH", ["SEE ALSO"]);
    page.text([bold("keel"), roman("(1), "), bold("keel-gen"), roman("(1)")]);
    page.render()
}

/// The definition a `$ref` names, or the schema itself.
fn resolve<'a>(defs: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => &defs[reference.trim_start_matches("#/$defs/")],
        None => schema,
    }
}

/// A value's type as the page shows it: "string", "array of strings", "one of: a, b", "a
/// capability name such as CAP_CHOWN"...
fn type_text(defs: &Value, schema: &Value) -> String {
    // A named set of names is called by its definition's name: CapabilityName, "capability name".
    let name = schema["$ref"].as_str().map(|reference| {
        let name = reference.trim_start_matches("#/$defs/");
        let mut words = String::new();
        for c in name.chars() {
            if c.is_uppercase() && !words.is_empty() {
                words.push(' ');
            }
            words.push(c.to_ascii_lowercase());
        }
        words
    });
    let schema = resolve(defs, schema);
    if let Some(names) = schema["enum"].as_array() {
        let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
        return match name {
            Some(name) if names.len() > 12 => format!("{} such as {}", a(&name), names[0]),
            _ => format!("one of: {}", names.join(", ")),
        };
    }
    if schema["anyOf"].is_array() || schema["pattern"].is_string() {
        let example = schema["examples"].get(0).map(toml_text);
        let kind = name.unwrap_or_else(|| "string".to_owned());
        return example.map_or(a(&kind), |e| format!("{} such as {e}", a(&kind)));
    }
    match &schema["type"] {
        Value::String(kind) if kind == "array" => {
            format!("array, each {}", type_text(defs, &schema["items"]))
        }
        Value::String(kind) if kind == "object" => "table".to_owned(),
        Value::String(kind) => a(kind),
        Value::Array(kinds) => {
            let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
            a(&kinds.join(" or "))
        }
        _ => a("value"),
    }
}

/// `noun` with its indefinite article.
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// An example as TOML writes it: JSON's strings, numbers and arrays are TOML's too.
fn toml_text(example: &Value) -> String {
    example.to_string().replace(',', ", ")
}

/// A doc comment's text without its Markdown backticks.
fn plain(text: &str) -> String {
    text.replace('`', "").replace('\n', " ")
}
