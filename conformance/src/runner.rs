//! Running one case (a command sequence) against the model and one engine, step by step:
//! apply, let short-lived containers finish, probe, normalise both sides, choose the model
//! branch the engine took where the model allows several, and give a verdict.

use std::time::{Duration, Instant};

use berth_model::Command;
use serde::Serialize;
use serde_json::Value;

use crate::engine::{Engine, EngineError};
use crate::known::KnownDifference;
use crate::model_engine::ModelEngine;
use crate::normalise::{inspect_projection, Symbols};
use crate::observe::{Observation, Probe};

/// How one step compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Agree,
    /// A listed, accepted difference.
    Known {
        id: String,
    },
    Disagree {
        diff: String,
    },
    Inconclusive {
        reason: String,
    },
}

/// One step's record: what was sent and what each side answered, normalised.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub command: String,
    pub verdict: Verdict,
    pub model: Value,
    pub engine: Value,
}

/// The result of a case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRecord {
    pub steps: Vec<StepRecord>,
}

impl CaseRecord {
    /// The first step that disagreed, if any.
    pub fn failure(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| matches!(s.verdict, Verdict::Disagree { .. }))
    }
}

/// How long the harness waits for an engine to catch up with short-lived containers.
const SETTLE_LIMIT: Duration = Duration::from_secs(15);

/// Runs `commands` from a clean state on both sides; stops at the first disagreement.
pub fn run_case(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    commands: &[Command],
    known: &[KnownDifference],
) -> Result<CaseRecord, EngineError> {
    model.reset();
    engine.reset()?;
    let mut model_symbols = Symbols::default();
    let mut engine_symbols = Symbols::default();
    let mut steps = Vec::new();
    for command in commands {
        let step = run_step(
            model,
            engine,
            command,
            known,
            &mut model_symbols,
            &mut engine_symbols,
        )?;
        let stop = matches!(step.verdict, Verdict::Disagree { .. });
        steps.push(step);
        if stop {
            break;
        }
    }
    Ok(CaseRecord { steps })
}

fn run_step(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    command: &Command,
    known: &[KnownDifference],
    model_symbols: &mut Symbols,
    engine_symbols: &mut Symbols,
) -> Result<StepRecord, EngineError> {
    let shell = command.to_shell();
    let branches = model.expect(command);
    if branches.iter().all(|(o, _)| blocks(o)) {
        model.settle(branches[0].1.clone());
        let reason = "the command would block until something else happens".to_string();
        return Ok(StepRecord {
            command: shell,
            verdict: Verdict::Inconclusive { reason },
            model: Value::Null,
            engine: Value::Null,
        });
    }
    let observed = engine.apply(command)?;
    let engine_step = normalise_step(engine_symbols, &observed, &settle(engine, &branches[0].1)?);
    let mut chosen = None;
    for (observation, state) in &branches {
        let mut symbols = model_symbols.clone();
        let step = normalise_step(&mut symbols, observation, &ModelEngine::probe_of(state));
        if step == engine_step || chosen.is_none() {
            chosen = Some((step.clone(), state.clone(), symbols));
        }
        if step == engine_step {
            break;
        }
    }
    let (model_step, state, symbols) = chosen.expect("the model always answers");
    *model_symbols = symbols;
    model.settle(state);
    let verdict = verdict(engine, command, &model_step, &engine_step, known);
    Ok(StepRecord {
        command: shell,
        verdict,
        model: model_step,
        engine: engine_step,
    })
}

fn blocks(observation: &Observation) -> bool {
    match observation {
        Observation::Blocked => true,
        Observation::PerTarget { results } => results.iter().any(|(_, o)| blocks(o)),
        _ => false,
    }
}

/// Waits (bounded) until the engine runs as many containers as the model says, so that
/// short-lived containers have exited before the probe, then probes.
fn settle(engine: &mut dyn Engine, expected: &berth_model::Model) -> Result<Probe, EngineError> {
    let want_total = expected.containers().count();
    let want_running = expected
        .containers()
        .filter(|c| c.state.is_running())
        .count();
    let start = Instant::now();
    loop {
        let probe = engine.probe()?;
        let running = probe
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .count();
        if (probe.containers.len() == want_total && running == want_running)
            || start.elapsed() > SETTLE_LIMIT
        {
            return Ok(probe);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The normalised record of a step: its answer, then the state.
fn normalise_step(symbols: &mut Symbols, observation: &Observation, probe: &Probe) -> Value {
    let answer = symbols.value(&project(
        serde_json::to_value(observation).expect("observations serialise"),
    ));
    let mut containers: Vec<Value> = probe
        .containers
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).expect("views serialise");
            v["name"] = Value::String(symbols.container_name(&c.name));
            symbols.value(&v)
        })
        .collect();
    let mut images: Vec<Value> = probe
        .images
        .iter()
        .map(|i| symbols.value(&serde_json::to_value(i).expect("views serialise")))
        .collect();
    containers.sort_by_key(|v| v.to_string());
    images.sort_by_key(|v| v.to_string());
    serde_json::json!({ "answer": answer, "containers": containers, "images": images })
}

/// Cuts inspect documents down to what engines define alike.
fn project(mut answer: Value) -> Value {
    if let Some(document) = answer.get("document") {
        answer["document"] = inspect_projection(document);
    }
    answer
}

fn verdict(
    engine: &dyn Engine,
    command: &Command,
    model: &Value,
    observed: &Value,
    known: &[KnownDifference],
) -> Verdict {
    if model == observed {
        return Verdict::Agree;
    }
    let (m, e) = (model["answer"].to_string(), observed["answer"].to_string());
    let verb = command.verb().word();
    if let Some(k) = known
        .iter()
        .find(|k| k.applies(&engine.name(), verb, &m, &e))
    {
        return Verdict::Known { id: k.id.clone() };
    }
    Verdict::Disagree {
        diff: diff(model, observed),
    }
}

/// A readable diff: every JSON pointer whose value differs, with both sides.
pub fn diff(model: &Value, engine: &Value) -> String {
    let mut lines = Vec::new();
    walk("", model, engine, &mut lines);
    lines.join("\n")
}

fn walk(at: &str, a: &Value, b: &Value, lines: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                walk(
                    &format!("{at}/{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    lines,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(&format!("{at}/{i}"), p, q, lines);
            }
        }
        _ if a != b => lines.push(format!("  {at}\n    model:  {a}\n    engine: {b}")),
        _ => {}
    }
}
