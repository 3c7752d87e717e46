//! Dialects: what one engine (matched on its `/version` answer: a component's name and a
//! version range) is known to say differently from Docker, declared in a file that ships with
//! berth (`conformance/dialects/*.json`) so that nothing engine-specific lives in the harness.
//!
//! A dialect holds two kinds of rule. A *normaliser* rewrites the engine's side of a step before
//! the comparison, for differences of spelling that carry the same information (podman's
//! `docker.io/library/hello-world` is Docker's `hello-world`). An *expectation* accepts a
//! different answer that is a real difference of behaviour, with its reason and, where one
//! exists, the engine's issue. Every rule counts what it absorbed, and the report prints it.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::known::{FieldDiff, KnownDifference};

/// The dialect files that ship with berth.
const SHIPPED: &[(&str, &str)] = &[("podman.json", include_str!("../dialects/podman.json"))];

/// A dialect file that does not parse, or a rule whose pattern is not a regular expression.
#[derive(Debug, thiserror::Error)]
pub enum DialectError {
    #[error("dialect {file}: {source}")]
    Parse {
        file: String,
        source: serde_json::Error,
    },
    #[error("dialect {file}: rule {rule}: {source}")]
    Pattern {
        file: String,
        rule: String,
        source: regex::Error,
    },
    #[error("dialect {file}: version range {range:?}: {what}")]
    Range {
        file: String,
        range: String,
        what: String,
    },
}

/// Which engines a dialect applies to: the `/version` component with this name, at a version
/// in `versions` (comma-separated `>=`, `>`, `<=`, `<`, `=` bounds on dotted numbers).
#[derive(Debug, Clone, Deserialize)]
pub struct EngineMatch {
    pub component: String,
    #[serde(default)]
    pub versions: String,
}

/// Where a normaliser looks: the answer, the state after the step (or only its containers,
/// or only its images), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    Answer,
    State,
    Containers,
    Images,
    Both,
}

/// A normaliser as written in a dialect file.
#[derive(Debug, Clone, Deserialize)]
struct NormaliserSpec {
    id: String,
    reason: String,
    #[serde(default)]
    link: Option<String>,
    scope: Scope,
    /// A regular expression, replaced in every string of the engine's side in scope.
    pattern: String,
    /// The replacement (`$1` for groups).
    replace: String,
    /// Rewrite the model's side too: for a spelling that carries less information on the
    /// engine (`hello-world:latest` where Docker kept what was typed), both sides lose it.
    #[serde(default)]
    both_sides: bool,
    /// If given, only the strings at these pointers (list positions as `#`, `*` globs,
    /// `/containers/#/image`) are rewritten; otherwise every string in scope.
    #[serde(default)]
    fields: Vec<String>,
}

/// A dialect file.
#[derive(Debug, Clone, Deserialize)]
struct DialectSpec {
    name: String,
    engine: EngineMatch,
    #[serde(default)]
    normalisers: Vec<NormaliserSpec>,
    #[serde(default)]
    expectations: Vec<KnownDifference>,
}

/// A compiled normaliser.
#[derive(Debug, Clone)]
pub struct Normaliser {
    pub id: String,
    pub reason: String,
    pub link: Option<String>,
    scope: Scope,
    pattern: Regex,
    replace: String,
    both_sides: bool,
    fields: Vec<String>,
}

/// One engine's dialect.
#[derive(Debug, Clone)]
pub struct Dialect {
    pub name: String,
    pub engine: EngineMatch,
    pub normalisers: Vec<Normaliser>,
    pub expectations: Vec<KnownDifference>,
}

/// Parses one dialect file.
pub fn parse(file: &str, text: &str) -> Result<Dialect, DialectError> {
    let spec: DialectSpec = serde_json::from_str(text).map_err(|source| DialectError::Parse {
        file: file.to_string(),
        source,
    })?;
    bounds(&spec.engine.versions).map_err(|what| DialectError::Range {
        file: file.to_string(),
        range: spec.engine.versions.clone(),
        what,
    })?;
    let mut normalisers = Vec::new();
    for n in spec.normalisers {
        let pattern = Regex::new(&n.pattern).map_err(|source| DialectError::Pattern {
            file: file.to_string(),
            rule: n.id.clone(),
            source,
        })?;
        normalisers.push(Normaliser {
            id: n.id,
            reason: n.reason,
            link: n.link,
            scope: n.scope,
            pattern,
            replace: n.replace,
            both_sides: n.both_sides,
            fields: n.fields,
        });
    }
    Ok(Dialect {
        name: spec.name,
        engine: spec.engine,
        normalisers,
        expectations: spec.expectations,
    })
}

/// Every dialect that ships with berth.
pub fn shipped() -> Vec<Dialect> {
    SHIPPED
        .iter()
        .map(|(file, text)| parse(file, text).expect("shipped dialects parse"))
        .collect()
}

type Bound = (String, Vec<u64>);

fn numbers(version: &str) -> Vec<u64> {
    version
        .split(['+', '-', '~'])
        .next()
        .unwrap_or_default()
        .split('.')
        .map_while(|part| part.parse().ok())
        .collect()
}

fn bounds(range: &str) -> Result<Vec<Bound>, String> {
    let mut out = Vec::new();
    for part in range.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let op: String = part.chars().take_while(|c| "<>=".contains(*c)).collect();
        if !["<", "<=", ">", ">=", "="].contains(&op.as_str()) {
            return Err(format!("{part:?} has no comparison (<, <=, >, >=, =)"));
        }
        let version = numbers(part[op.len()..].trim());
        if version.is_empty() {
            return Err(format!("{part:?} has no version number"));
        }
        out.push((op, version));
    }
    Ok(out)
}

/// Whether `version` lies in `range` (an empty range holds every version).
pub fn in_range(version: &str, range: &str) -> bool {
    let have = numbers(version);
    bounds(range).is_ok_and(|bounds| {
        bounds.iter().all(|(op, want)| {
            let order = have.cmp(want);
            match op.as_str() {
                "<" => order.is_lt(),
                "<=" => order.is_le(),
                ">" => order.is_gt(),
                ">=" => order.is_ge(),
                _ => order.is_eq(),
            }
        })
    })
}

impl Dialect {
    /// Whether an engine that answered `/version` with `version` speaks this dialect.
    pub fn applies(&self, version: &Value) -> bool {
        version["Components"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| {
                c["Name"].as_str() == Some(self.engine.component.as_str())
                    && in_range(
                        c["Version"].as_str().unwrap_or_default(),
                        &self.engine.versions,
                    )
            })
    }
}

/// The rules a run applies to one engine: the expectations every engine shares, and the
/// dialect its `/version` matched (if any), with what each rule absorbed so far.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub dialect: Option<String>,
    pub normalisers: Vec<Normaliser>,
    pub expectations: Vec<KnownDifference>,
}

impl Rules {
    /// `known` (for every engine) and the first shipped dialect `version` matches.
    pub fn resolve(known: &[KnownDifference], version: Option<&Value>) -> Rules {
        let mut rules = Rules {
            expectations: known.to_vec(),
            ..Rules::default()
        };
        let Some(version) = version else {
            return rules;
        };
        if let Some(dialect) = shipped().into_iter().find(|d| d.applies(version)) {
            rules.dialect = Some(dialect.name);
            rules.normalisers = dialect.normalisers;
            // The dialect's own expectations are scoped to it already: they name no engine.
            rules
                .expectations
                .extend(dialect.expectations.into_iter().map(|e| KnownDifference {
                    engines: Vec::new(),
                    ..e
                }));
        }
        rules
    }

    /// Rewrites the engine's side of a step (`{answer, containers, images}`); returns the ids
    /// of the normalisers that changed something.
    pub fn normalise(&self, step: &mut Value) -> Vec<String> {
        self.apply(step, false)
    }

    /// Rewrites the model's side of a step with the rules that apply to both sides.
    pub fn normalise_model(&self, step: &mut Value) {
        self.apply(step, true);
    }

    fn apply(&self, step: &mut Value, model_side: bool) -> Vec<String> {
        let mut used = Vec::new();
        for n in self
            .normalisers
            .iter()
            .filter(|n| !model_side || n.both_sides)
        {
            let mut changed = false;
            let parts: &[&str] = match n.scope {
                Scope::Answer => &["answer"],
                Scope::State => &["containers", "images"],
                Scope::Containers => &["containers"],
                Scope::Images => &["images"],
                Scope::Both => &["answer", "containers", "images"],
            };
            for part in parts {
                if let Some(v) = step.get_mut(*part) {
                    let at = format!("/{part}");
                    changed |= rewrite(v, &at, n);
                }
            }
            if changed {
                used.push(n.id.clone());
            }
        }
        used
    }

    /// The dialect expectation that declares this state field (a pointer with list positions
    /// as `#`, with both values) may differ, if one does.
    pub fn state_expectation(&self, diff: &FieldDiff) -> Option<&str> {
        let field = &diff.0;
        if !(field.starts_with("/containers") || field.starts_with("/images")) {
            return None;
        }
        // Only rules on one field of a record carry over to every later state; a rule that
        // lets a whole list differ (`/containers`) speaks for its own step only.
        self.expectations
            .iter()
            .find(|e| {
                e.fields
                    .iter()
                    .any(|r| record_field(r.field()).is_some() && r.allows(diff))
            })
            .map(|e| e.id.as_str())
    }

    /// The keys of container and image records that some expectation lets differ
    /// (`exit_code` of `/containers/#/exit_code`).
    fn maskable_keys(&self) -> Vec<(String, String)> {
        self.expectations
            .iter()
            .flat_map(|e| &e.fields)
            .filter_map(|rule| record_field(rule.field()))
            .collect()
    }

    /// Puts both sides' container and image lists in one order that ignores the fields an
    /// expectation lets differ: the lists come sorted by their whole records, so a record
    /// whose only difference is such a field (podman's exit code 0 after a failed start)
    /// would otherwise sort elsewhere on each side and pair with the wrong record.
    fn sort_ignoring_maskable(&self, step: &mut Value) {
        let keys = self.maskable_keys();
        for list in ["containers", "images"] {
            let Some(Value::Array(items)) = step.get_mut(list) else {
                continue;
            };
            items.sort_by_cached_key(|item| {
                let mut key = item.clone();
                if let Value::Object(map) = &mut key {
                    for (_, k) in keys.iter().filter(|(l, _)| l == list) {
                        map.remove(k);
                    }
                }
                key.to_string()
            });
        }
    }

    /// Blanks, on both sides, the state fields the dialect expects to differ (the model
    /// cannot adopt them and need not), so they neither fail a step nor end a case; returns
    /// the expectations used.
    pub fn mask_state(&self, model: &mut Value, engine: &mut Value) -> Vec<String> {
        let mut used = Vec::new();
        if self.maskable_keys().is_empty() {
            return used;
        }
        self.sort_ignoring_maskable(model);
        self.sort_ignoring_maskable(engine);
        for (at, a, b) in crate::compare::differences(model, engine) {
            let diff = (crate::finding::general(&at), a, b);
            let Some(id) = self.state_expectation(&diff) else {
                continue;
            };
            for side in [&mut *model, &mut *engine] {
                if let Some(v) = side.pointer_mut(&at) {
                    *v = Value::Null;
                }
            }
            if !used.iter().any(|u| u == id) {
                used.push(id.to_string());
            }
        }
        used
    }

    /// Every rule's id with its reason and link, for the report.
    pub fn describe(&self) -> BTreeMap<String, (String, Option<String>)> {
        let mut out = BTreeMap::new();
        for n in &self.normalisers {
            out.insert(n.id.clone(), (n.reason.clone(), n.link.clone()));
        }
        for e in &self.expectations {
            out.insert(e.id.clone(), (e.reason.clone(), e.link.clone()));
        }
        out
    }
}

/// The list and key of a pointer to one field of every container or image record
/// (`/containers/#/exit_code`), if it is one.
fn record_field(pointer: &str) -> Option<(String, String)> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(list @ ("containers" | "images")), Some("#"), Some(key), None) => {
            Some((list.to_string(), key.to_string()))
        }
        _ => None,
    }
}

/// Rewrites the strings under `value` (found at pointer `at`) that `n` applies to.
fn rewrite(value: &mut Value, at: &str, n: &Normaliser) -> bool {
    match value {
        Value::String(s) => {
            let general = crate::finding::general(at);
            if !n.fields.is_empty() && !n.fields.iter().any(|f| crate::known::matches(f, &general))
            {
                return false;
            }
            let new = n.pattern.replace_all(s, n.replace.as_str());
            if new != *s {
                *s = new.into_owned();
                return true;
            }
            false
        }
        Value::Array(items) => items
            .iter_mut()
            .enumerate()
            .fold(false, |c, (i, v)| rewrite(v, &format!("{at}/{i}"), n) | c),
        Value::Object(map) => map
            .iter_mut()
            .fold(false, |c, (k, v)| rewrite(v, &format!("{at}/{k}"), n) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(in_range("4.3.1", ">=4.0, <5"));
        assert!(!in_range("5.0.0", ">=4.0, <5"));
        assert!(in_range("20.10.24+dfsg1", "=20.10.24"));
        assert!(in_range("4.10.0", ">4.9"));
        assert!(in_range("1.0", ""));
    }

    #[test]
    fn the_podman_dialect_matches_podman_and_not_dockerd() {
        let podman = json!({"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]});
        let dockerd = json!({"Components": [{"Name": "Engine", "Version": "20.10.24"}]});
        assert_eq!(
            Rules::resolve(&[], Some(&podman)).dialect.as_deref(),
            Some("podman")
        );
        assert_eq!(Rules::resolve(&[], Some(&dockerd)).dialect, None);
    }

    #[test]
    fn normalisers_rewrite_the_engine_side_and_say_which_did() {
        let podman = json!({"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]});
        let rules = Rules::resolve(&[], Some(&podman));
        let mut step = json!({
            "answer": {"answer": "listed"},
            "containers": [],
            "images": [{"repo_tags": ["docker.io/library/hello-world:latest"]}],
        });
        let used = rules.normalise(&mut step);
        assert_eq!(step["images"][0]["repo_tags"][0], "hello-world:latest");
        assert_eq!(used, vec!["qualified-repository-names".to_string()]);
    }
}
