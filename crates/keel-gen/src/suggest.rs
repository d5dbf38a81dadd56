//! "did you mean": the known name closest to a misspelt one, as cargo suggests, for the
//! errors about unknown fields (from serde, through `Source::toml_error`) and unknown values.

/// The name in `known` that `word` most likely misspells: the closest by edit distance
/// (Damerau-Levenshtein, without case and without `prefix`, which names may carry or not),
/// if it is within a third of the word's length (at least one edit).
pub fn closest<S: AsRef<str>>(
    word: &str,
    prefix: &str,
    known: impl IntoIterator<Item = S>,
) -> Option<S> {
    let prefix = prefix.to_ascii_lowercase();
    let bare = |name: &str| {
        let lower = name.to_ascii_lowercase();
        match lower.strip_prefix(&prefix) {
            Some(rest) => rest.to_owned(),
            None => lower,
        }
    };
    let word = bare(word);
    let limit = (word.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|name| {
            (
                strsim::damerau_levenshtein(&word, &bare(name.as_ref())),
                name,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// `; did you mean "NAME"?` for the end of an error about the unknown value `word`, or
/// nothing when no name in `known` is close (see [`closest`]).
pub fn did_you_mean<S: AsRef<str>>(
    word: &str,
    prefix: &str,
    known: impl IntoIterator<Item = S>,
) -> String {
    closest(word, prefix, known).map_or_else(String::new, |name| {
        format!("; did you mean {:?}?", name.as_ref())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let sections = ["process", "supervision", "namespaces", "mounts", "mount"];
        assert_eq!(closest("namespace", "", sections), Some("namespaces"));
        assert_eq!(closest("Proccess", "", sections), Some("process"));
        assert_eq!(closest("mounst", "", sections), Some("mounts"));
        assert_eq!(closest("network", "", sections), None);
        // The prefix is optional on both sides, and the case does not matter.
        let caps = ["CAP_KILL", "CAP_CHOWN"];
        assert_eq!(closest("cap_kil", "CAP_", caps), Some("CAP_KILL"));
        assert_eq!(closest("CHWON", "CAP_", caps), Some("CAP_CHOWN"));
        assert_eq!(closest("FLY", "CAP_", caps), None);
        assert_eq!(
            did_you_mean("KIL", "", ["KILL"]),
            "; did you mean \"KILL\"?"
        );
        assert_eq!(did_you_mean("QUUX", "", ["KILL"]), "");
    }
}
