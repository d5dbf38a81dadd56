//! A TOML file being compiled, so that errors can say `file:line:column: what to fix`.

use std::fmt::Display;
use std::ops::Range;

use crate::suggest::closest;

pub struct Source {
    /// The path as the user gave it, or `<stdin>`.
    pub name: String,
    pub text: String,
}

impl Source {
    /// An error about the text at `span` (byte offsets, as TOML spans are).
    pub fn error(&self, span: Range<usize>, message: impl Display) -> String {
        let (line, column) = self.line_column(span.start);
        format!("{}:{line}:{column}: {message}", self.name)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        (line, column)
    }

    /// A parse error from the toml crate, kept to one line, with a suggestion for an unknown
    /// field.
    pub fn toml_error(&self, error: &toml::de::Error) -> String {
        let mut message = error.message().trim_end().replace('\n', "; ");
        message.push_str(&unknown_field_hint(&message));
        match error.span() {
            Some(span) => self.error(span, message),
            None => format!("{}: {message}", self.name),
        }
    }
}

/// `; did you mean `NAME`?` when `message` is serde's "unknown field `X`, expected `A` or
/// `B`" (or "one of `A`, `B`, ...") and one of the expected names is close to X.
fn unknown_field_hint(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return String::new();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return String::new();
    };
    // The names are the odd pieces between backticks: `A`, `B` or `C`.
    let names = expected.split('`').skip(1).step_by(2);
    closest(field, "", names).map_or_else(String::new, |name| format!("; did you mean `{name}`?"))
}
