//! Known, accepted differences between an engine and the model, each with its reason. They
//! live in one file (`conformance/known-differences.json`) so nothing is ignored silently: a
//! difference is either fixed, modelled, or listed there and counted in every report.

use serde::Deserialize;

/// One accepted difference: when the model's and the engine's normalised answers to a verb
/// match these patterns (`*` matches any text), the step is reported as known, not failed.
#[derive(Debug, Clone, Deserialize)]
pub struct KnownDifference {
    pub id: String,
    /// Engine names it applies to (`dockerd`, `podman`, `berth`), or empty for all.
    #[serde(default)]
    pub engines: Vec<String>,
    pub verb: String,
    #[serde(default = "any")]
    pub model: String,
    #[serde(default = "any")]
    pub engine: String,
    /// If given, the step is known only when every field that differs is one of these
    /// (JSON pointers with list positions as `#`, `*` globs: `/containers/#/exit_code`).
    #[serde(default)]
    pub fields: Vec<String>,
    pub reason: String,
    /// The engine's issue or documentation for this difference, if there is one.
    #[serde(default)]
    pub link: Option<String>,
}

fn any() -> String {
    "*".into()
}

/// The differences shipped with berth.
pub fn shipped() -> Vec<KnownDifference> {
    serde_json::from_str(include_str!("../known-differences.json"))
        .expect("known-differences.json is valid")
}

/// Glob match with `*` only.
pub fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == text;
    }
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

impl KnownDifference {
    /// Whether this difference explains a step of `verb` whose answers are `model` and
    /// `observed` and whose differing fields are `fields`.
    pub fn explains(
        &self,
        engine: &str,
        verb: &str,
        (model, observed): (&str, &str),
        fields: &[String],
    ) -> bool {
        self.applies(engine, verb, model, observed)
            && (self.fields.is_empty()
                || fields
                    .iter()
                    .all(|f| self.fields.iter().any(|p| matches(p, f))))
    }

    pub fn applies(&self, engine: &str, verb: &str, model: &str, observed: &str) -> bool {
        // An engine driven through a CLI (`dockerd via /usr/bin/docker`) has the API
        // engine's known differences.
        let engine = engine.split(" via ").next().unwrap_or(engine);
        (self.engines.is_empty() || self.engines.iter().any(|e| e == engine))
            && matches(&self.verb, verb)
            && matches(&self.model, model)
            && matches(&self.engine, observed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(matches("a*c", "abc"));
        assert!(matches("*x*", "axb"));
        assert!(!matches("a*c", "ab"));
        assert!(matches("exact", "exact"));
        assert!(!matches("a*b*c", "acb"));
    }

    #[test]
    fn the_shipped_file_parses_and_every_entry_has_a_reason() {
        for known in shipped() {
            assert!(
                !known.reason.trim().is_empty(),
                "{} has no reason",
                known.id
            );
        }
    }
}
