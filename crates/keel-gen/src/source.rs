//! A TOML file being compiled, so that errors can say `file:line:column: what to fix`.

use std::fmt::Display;
use std::ops::Range;

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

    /// A parse error from the toml crate, kept to one line.
    pub fn toml_error(&self, error: &toml::de::Error) -> String {
        let message = error.message().trim_end().replace('\n', "; ");
        match error.span() {
            Some(span) => self.error(span, message),
            None => format!("{}: {message}", self.name),
        }
    }
}
