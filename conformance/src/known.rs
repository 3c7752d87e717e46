//! Known, accepted differences between an engine and the model, each with its reason. They
//! live in one file (`conformance/known-differences.json`) so nothing is ignored silently: a
//! difference is either fixed, modelled, or listed there and counted in every report.

use serde::Deserialize;
use serde_json::Value;

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
    /// (JSON pointers with list positions as `#`, `*` globs: `/containers/#/exit_code`),
    /// each optionally only with the values it names.
    #[serde(default)]
    pub fields: Vec<FieldRule>,
    /// If given, a glob the command line (as the case wrote it, `docker run --rm ...`) must
    /// match: for a difference only some flags of a verb show.
    #[serde(default)]
    pub command: Option<String>,
    pub reason: String,
    /// The engine's issue or documentation for this difference, if there is one.
    #[serde(default)]
    pub link: Option<String>,
}

fn any() -> String {
    "*".into()
}

/// A field an expectation lets differ: a pointer glob alone (`"/containers/#/state"`: any
/// values), or with the values each side must show (`{"field": ..., "model": "exited",
/// "engine": "stopped"}`: globs on the value, a string as itself and anything else as JSON),
/// or with `"superset": true` for a list in which the engine holds every item of the
/// model's and more.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldRule {
    Any(String),
    Values {
        field: String,
        #[serde(default = "any")]
        model: String,
        #[serde(default = "any")]
        engine: String,
        #[serde(default)]
        superset: bool,
    },
}

/// One differing field of a step: its pointer (list positions as `#`) and both values.
pub type FieldDiff = (String, Value, Value);

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl FieldRule {
    pub fn field(&self) -> &str {
        match self {
            FieldRule::Any(field) | FieldRule::Values { field, .. } => field,
        }
    }

    /// Whether this rule lets `diff` differ.
    pub fn allows(&self, (field, model, engine): &FieldDiff) -> bool {
        match self {
            FieldRule::Any(pattern) => matches(pattern, field),
            FieldRule::Values {
                field: pattern,
                model: m,
                engine: e,
                superset,
            } => {
                matches(pattern, field)
                    && matches(m, &text(model))
                    && matches(e, &text(engine))
                    && (!superset || holds_all(engine, model))
            }
        }
    }
}

/// Whether the list `big` holds every item of the list `small` (and more).
fn holds_all(big: &Value, small: &Value) -> bool {
    match (big.as_array(), small.as_array()) {
        (Some(big), Some(small)) => {
            big.len() > small.len() && small.iter().all(|i| big.contains(i))
        }
        _ => false,
    }
}

/// The differences shipped with berth.
pub fn shipped() -> Vec<KnownDifference> {
    serde_json::from_str(include_str!("../known-differences.json"))
        .expect("known-differences.json is valid")
}

/// Glob match: `*` matches any text, `?` any one character. Linear in the text times the
/// pattern (the classic two-pointer match with one backtrack point), so no pattern is slow.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || (p[i] != '*' && p[i] == t[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            // Let the last star swallow one more character and retry from there.
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

impl KnownDifference {
    /// Whether this difference explains, alone, a step running `command` (a command line of
    /// `verb`) whose answers are `model` and `observed` and whose differing fields are
    /// `fields`.
    pub fn explains(
        &self,
        engine: &str,
        (verb, command): (&str, &str),
        (model, observed): (&str, &str),
        fields: &[FieldDiff],
    ) -> bool {
        self.applies(engine, (verb, command), model, observed)
            && (self.fields.is_empty() || fields.iter().all(|f| self.allows(f)))
    }

    /// Whether one of this difference's fields lets `diff` differ.
    pub fn allows(&self, diff: &FieldDiff) -> bool {
        self.fields.iter().any(|rule| rule.allows(diff))
    }

    pub fn applies(
        &self,
        engine: &str,
        (verb, command): (&str, &str),
        model: &str,
        observed: &str,
    ) -> bool {
        // An engine driven through a CLI (`dockerd via /usr/bin/docker`) has the API
        // engine's known differences.
        let engine = engine.split(" via ").next().unwrap_or(engine);
        (self.engines.is_empty() || self.engines.iter().any(|e| e == engine))
            && matches(&self.verb, verb)
            && self.command.as_deref().is_none_or(|c| matches(c, command))
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
        assert!(matches("(?)", "(a)"));
        assert!(!matches("(?)", "(ab)"));
        assert!(matches("*ab", "aab"));
        assert!(matches("", ""));
        assert!(!matches("", "x"));
    }

    #[test]
    fn a_field_rule_checks_the_values_it_names() {
        let state: FieldRule = serde_json::from_str(
            r#"{"field": "/containers/#/state", "model": "exited", "engine": "stopped"}"#,
        )
        .unwrap();
        let diff = |m: Value, e: Value| ("/containers/#/state".to_string(), m, e);
        assert!(state.allows(&diff("exited".into(), "stopped".into())));
        assert!(!state.allows(&diff("running".into(), "stopped".into())));
        let repos: FieldRule =
            serde_json::from_str(r#"{"field": "/images/#/digest_repos", "superset": true}"#)
                .unwrap();
        let list = |v: &[&str]| Value::from(v.to_vec());
        assert!(repos.allows(&(
            "/images/#/digest_repos".into(),
            list(&["toolbox"]),
            list(&["mine", "toolbox"])
        )));
        assert!(!repos.allows(&(
            "/images/#/digest_repos".into(),
            list(&["toolbox"]),
            list(&["mine"])
        )));
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
