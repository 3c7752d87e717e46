//! Findings: disagreements grouped by signature (the verb and the shape of the diff: which
//! fields differ, and which kinds of values each side has there), so that ten cases failing for
//! one reason are one finding with a count, not ten walls of diff.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compare::differences;
use crate::runner::{StepRecord, Verdict};
use crate::session::Counterexample;

/// Whether a finding's shrunk script showed it again every time it was re-run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Reproduced on every re-run: a real difference.
    Confirmed,
    /// Not reproduced on some re-run: reported with its original diff, and fails a run only
    /// with `--strict`.
    Flaky,
}

/// One group of disagreements.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub engine: String,
    pub verb: String,
    pub signature: String,
    /// Disagreeing steps with this signature, over the whole run.
    pub count: usize,
    pub status: Status,
    /// Re-runs of the shrunk script that showed the signature, of `attempts`.
    pub reproduced: usize,
    pub attempts: usize,
    /// Where it was first seen (`seed 1 case 3 step 4`, `scenario 1 step 2`).
    pub origin: String,
    /// The index of the case it was first seen in (generated cases; scenarios count from 0).
    pub first_case: usize,
    /// The first disagreement's full diff, as it happened.
    pub diff: String,
    /// The smallest script found that shows it.
    pub counterexample: Counterexample,
    /// What the docker CLI printed when the script was replayed through it (`--cli`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli_replay: Option<String>,
}

fn shape(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "text".into(),
        Value::Array(_) => "list".into(),
        Value::Object(_) => "object".into(),
    }
}

/// A pointer with list positions folded (`/answer/results/#/#/message`).
pub fn general(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|p| match p.parse::<usize>() {
            Ok(_) => "#",
            Err(_) => p,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a field holds an enumeration (`answer`, `kind`, `state`), whose values are part of
/// the signature rather than only their type.
fn enumerated(pointer: &str) -> bool {
    ["/answer", "/kind", "/state"]
        .iter()
        .any(|end| pointer.ends_with(end))
}

/// The verb a step ran (`run`, `rmi`, `remote-retag`).
pub fn verb(template: &str) -> String {
    template
        .split_whitespace()
        .nth(usize::from(template.starts_with("docker ")))
        .unwrap_or("?")
        .to_string()
}

/// The signature of a disagreeing step, or `None` for any other step.
pub fn signature(step: &StepRecord) -> Option<String> {
    if !matches!(step.verdict, Verdict::Disagree { .. }) {
        return None;
    }
    let mut parts: Vec<String> = differences(&step.model, &step.engine)
        .iter()
        .map(|(at, m, e)| {
            let (m, e) = match enumerated(at) {
                true => (m.to_string(), e.to_string()),
                false => (shape(m), shape(e)),
            };
            format!("{} {m}->{e}", general(at))
        })
        .collect();
    parts.sort();
    parts.dedup();
    Some(format!("{}: {}", verb(&step.template), parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(model: Value, engine: Value) -> StepRecord {
        StepRecord {
            template: "docker rm n1".into(),
            command: "docker rm n1".into(),
            millis: 0,
            verdict: Verdict::Disagree {
                diff: String::new(),
            },
            model,
            engine,
            normalised_by: vec![],
        }
    }

    #[test]
    fn the_same_shape_of_diff_on_other_targets_is_one_signature() {
        let a = step(
            json!({"answer": {"results": [["n1", {"message": "No such container: n1"}]]}}),
            json!({"answer": {"results": [["n1", {"message": "no container n1"}]]}}),
        );
        let b = step(
            json!({"answer": {"results": [["web", {"message": "No such container: web"}]]}}),
            json!({"answer": {"results": [["web", {"message": "no container web"}]]}}),
        );
        assert_eq!(signature(&a), signature(&b));
        assert_eq!(
            signature(&a).unwrap(),
            "rm: /answer/results/#/#/message text->text"
        );
    }

    #[test]
    fn different_answer_kinds_are_different_signatures() {
        let a = step(
            json!({"answer": {"answer": "ran"}}),
            json!({"answer": {"answer": "error"}}),
        );
        let b = step(
            json!({"answer": {"answer": "ran"}}),
            json!({"answer": {"answer": "done"}}),
        );
        assert_ne!(signature(&a), signature(&b));
    }
}
