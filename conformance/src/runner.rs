//! Running one case (a command sequence) against the model and one engine, step by step:
//! apply, let short-lived containers finish, probe, normalise both sides, choose the model
//! branch the engine took where the model allows several, and give a verdict. After a
//! disagreement the case goes on from the engine's state where the model can adopt it
//! (`resync`), so one early difference does not hide the rest of a case.

use std::time::Instant;

use berth_model::command::parse_line;
use berth_model::Command;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cli_text;
use crate::compare::{diff, differences, normalise_state};
use crate::dialect::Rules;
use crate::engine::{Engine, EngineError};
use crate::generate::{fill, resolve, Case};
use crate::known::{FieldDiff, KnownDifference};
use crate::model_engine::ModelEngine;
use crate::normalise::{inspect_projection, Symbols};
use crate::observe::{Observation, Probe};
use crate::resync::{dialect_probe, resync};
use crate::settle::settle;

/// How one step compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    /// The command with `{cN}` handles (what a replay or a script reproduces).
    pub template: String,
    /// The command as the engine received it.
    pub command: String,
    /// How long the engine took to answer and settle, in milliseconds.
    pub millis: u64,
    pub verdict: Verdict,
    pub model: Value,
    pub engine: Value,
    /// The dialect's normalisers that rewrote the engine's side of this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalised_by: Vec<String>,
}

/// The result of a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseRecord {
    pub steps: Vec<StepRecord>,
    /// How often the model adopted the engine's state after a difference.
    #[serde(default)]
    pub resyncs: usize,
    /// Why the case ended before its last command, if it did.
    #[serde(default)]
    pub cut_short: Option<String>,
}

impl CaseRecord {
    /// The first step that disagreed, if any.
    pub fn failure(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| matches!(s.verdict, Verdict::Disagree { .. }))
    }

    /// Every step that disagreed.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &StepRecord)> {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.verdict, Verdict::Disagree { .. }))
    }
}

/// What a case runs: fixed commands (a scenario, a replay) or a generated case.
#[derive(Debug, Clone, Copy)]
pub enum Script<'a> {
    Templates(&'a [String]),
    Generated(&'a Case),
}

impl Script<'_> {
    fn len(&self) -> usize {
        match self {
            Script::Templates(t) => t.len(),
            Script::Generated(c) => c.intents.len(),
        }
    }

    fn template(&self, i: usize, model: &berth_model::Model, created: usize) -> String {
        match self {
            Script::Templates(t) => t[i].clone(),
            Script::Generated(case) => resolve(&case.intents[i], case.swarm, model, created),
        }
    }
}

/// Each side's record of the containers created so far, in order, for `{cN}` handles.
#[derive(Debug, Default)]
struct Handles {
    model: Vec<String>,
    engine: Vec<String>,
}

impl Handles {
    /// After a resync (the two states hold the same containers under the same names), makes
    /// `{cN}` name the same container on both sides again: the engine's N-th creation, and on
    /// the model's side the container of that name (or an ID no engine has, if it is gone).
    fn align(&mut self, model: &Probe, engine: &Probe) {
        let n = self.model.len().max(self.engine.len());
        for list in [&mut self.model, &mut self.engine] {
            while list.len() < n {
                list.push(format!("{:064x}", list.len() + 1));
            }
        }
        for i in 0..n {
            let on_engine = engine.containers.iter().find(|c| c.id == self.engine[i]);
            let on_model = model.containers.iter().find(|c| c.id == self.model[i]);
            match (on_engine, on_model) {
                (Some(e), _) => {
                    if let Some(twin) = model.containers.iter().find(|m| m.name == e.name) {
                        self.model[i] = twin.id.clone();
                    }
                }
                // The engine created it without saying so (its answer was an error).
                (None, Some(m)) => {
                    if let Some(twin) = engine.containers.iter().find(|e| e.name == m.name) {
                        self.engine[i] = twin.id.clone();
                    }
                }
                (None, None) => {}
            }
        }
    }
}

/// Runs a script from a clean state on both sides. After a step whose sides differ the model
/// adopts the engine's state where it can, and the case ends only where it cannot.
pub fn run_case(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    script: Script<'_>,
    rules: &Rules,
) -> Result<CaseRecord, EngineError> {
    model.reset();
    model.print_cli_text(engine.prints_cli_text());
    engine.reset()?;
    let mut symbols = (Symbols::default(), Symbols::default());
    let mut handles = Handles::default();
    let mut record = CaseRecord {
        steps: Vec::new(),
        resyncs: 0,
        cut_short: None,
    };
    for i in 0..script.len() {
        let template = script.template(i, model.model(), handles.model.len());
        let step = run_step(model, engine, &template, rules, &mut symbols, &mut handles)?;
        // After a disagreement, or an inconclusive step whose two sides did differ, the states
        // may have diverged: the model takes the engine's state before the case goes on. So
        // does a known difference that left other state (podman's failed commit made no
        // image; its one-character name made a container Docker refuses).
        let diverged = match step.verdict {
            Verdict::Disagree { .. } => true,
            Verdict::Inconclusive { .. } => step.model != step.engine,
            Verdict::Known { .. } => ["containers", "images"]
                .iter()
                .any(|part| step.model.get(*part) != step.engine.get(*part)),
            Verdict::Agree => false,
        };
        record.steps.push(step);
        if !diverged || i + 1 == script.len() {
            continue;
        }
        match resync(model, engine, rules, &mut symbols)? {
            Ok(()) => {
                record.resyncs += 1;
                // Names as the dialect spells them: the model holds podman's `a` as
                // `a.one-char`.
                handles.align(
                    &dialect_probe(rules, &ModelEngine::probe(model), true),
                    &dialect_probe(rules, &engine.probe()?, false),
                );
                // IDs of containers gone before the resync still appear in later answers
                // (`No such container: 1a2b...`); each handle gets the same symbol on both sides.
                for (m, e) in handles.model.iter().zip(&handles.engine) {
                    symbols.0.container(m);
                    symbols.1.container(e);
                }
            }
            Err(unresolved) => {
                record.cut_short = Some(unresolved.0);
                break;
            }
        }
    }
    Ok(record)
}

fn parse(template: &str, created: &[String], engine: &str) -> Result<Command, EngineError> {
    let line = fill(template, created);
    match parse_line(&line) {
        Ok(Some(command)) => Ok(command),
        _ => Err(EngineError::Protocol {
            engine: engine.to_string(),
            command: line,
            what: "not a command".into(),
        }),
    }
}

fn run_step(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    template: &str,
    rules: &Rules,
    (model_symbols, engine_symbols): &mut (Symbols, Symbols),
    handles: &mut Handles,
) -> Result<StepRecord, EngineError> {
    let model_command = parse(template, &handles.model, "model")?;
    let command = parse(template, &handles.engine, &engine.name())?;
    let started = Instant::now();
    let record = |verdict, model, engine, normalised_by| StepRecord {
        template: template.to_string(),
        command: command.to_shell(),
        millis: started.elapsed().as_millis() as u64,
        verdict,
        model,
        engine,
        normalised_by,
    };
    let branches = model.expect(&model_command);
    if branches.iter().all(|(o, _)| blocks(o)) {
        model.settle(branches[0].1.clone());
        let reason = "the command would block until something else happens".to_string();
        return Ok(record(
            Verdict::Inconclusive { reason },
            Value::Null,
            Value::Null,
            Vec::new(),
        ));
    }
    let observed = engine.apply(&command)?;
    handles.engine.extend(observed.created_id());
    handles.model.extend(branches[0].0.created_id());
    // A container the engine created where the model refused to (podman's `--name a`) is
    // one the model cannot foresee: waiting for the model's shape would only time out.
    let unforeseen =
        observed.created_id().is_some() && branches.iter().all(|(o, _)| o.created_id().is_none());
    let mut engine_step = normalise_step(
        engine_symbols,
        &observed,
        &settle(engine, &branches[0].1, unforeseen)?,
    );
    let normalised_by = rules.normalise(&mut engine_step);
    let mut chosen = None;
    for (observation, state) in &branches {
        let mut symbols = model_symbols.clone();
        let mut step = normalise_step(&mut symbols, observation, &ModelEngine::probe_of(state));
        rules.normalise_model(&mut step);
        let matched = step == engine_step;
        if matched || chosen.is_none() {
            chosen = Some((step, state.clone(), symbols));
        }
        if matched {
            break;
        }
    }
    let (mut model_step, state, symbols) = chosen.expect("the model always answers");
    let mut normalised_by = normalised_by;
    normalised_by.extend(rules.mask_state(&mut model_step, &mut engine_step));
    *model_symbols = symbols;
    model.settle(state);
    let mut verdict = verdict(engine, &command, &model_step, &engine_step, rules);
    let deterministic_ids = engine.name() == "model" || engine.name().starts_with("mutant:");
    if matches!(verdict, Verdict::Disagree { .. }) && template.contains(":1}") && !deterministic_ids
    {
        // Whether a one-character prefix is unique depends on the random IDs each engine drew.
        let reason = "a one-character ID prefix is unique on one engine and ambiguous on the other"
            .to_string();
        verdict = Verdict::Inconclusive { reason };
    }
    Ok(record(verdict, model_step, engine_step, normalised_by))
}

fn blocks(observation: &Observation) -> bool {
    match observation {
        Observation::Blocked => true,
        Observation::PerTarget { results } => results.iter().any(|(_, o)| blocks(o)),
        _ => false,
    }
}

/// The normalised record of a step: its answer, then the state.
fn normalise_step(symbols: &mut Symbols, observation: &Observation, probe: &Probe) -> Value {
    let answer = symbols.value(&project(
        serde_json::to_value(observation).expect("observations serialise"),
    ));
    let answer = tidy_printed(symbols, answer);
    let mut step = normalise_state(symbols, probe);
    step["answer"] = answer;
    step
}

/// Cuts inspect documents down to what engines define alike.
fn project(mut answer: Value) -> Value {
    if let Some(document) = answer.get("document") {
        answer["document"] = inspect_projection(document);
    }
    if let Some(documents) = answer["stdout"]
        .as_str()
        .and_then(cli_text::inspect_documents)
    {
        answer["stdout"] = documents;
    }
    answer
}

/// Tidies the printed streams of a CLI answer (IDs are symbols already).
fn tidy_printed(symbols: &mut Symbols, mut answer: Value) -> Value {
    if answer["answer"] != "printed" {
        return answer;
    }
    for stream in ["stdout", "stderr"] {
        if let Some(text) = answer[stream].as_str() {
            answer[stream] = Value::String(cli_text::tidy(symbols, text));
        }
    }
    answer
}

fn verdict(
    engine: &dyn Engine,
    command: &Command,
    model: &Value,
    observed: &Value,
    rules: &Rules,
) -> Verdict {
    if model == observed {
        return Verdict::Agree;
    }
    let (m, e) = (model["answer"].to_string(), observed["answer"].to_string());
    let at = (command.verb().word(), command.to_shell());
    let at = (at.0, at.1.as_str());
    let fields: Vec<FieldDiff> = differences(model, observed)
        .into_iter()
        .map(|(at, a, b)| (crate::finding::general(&at), a, b))
        .collect();
    let name = engine.name();
    if let Some(k) = rules
        .expectations
        .iter()
        .find(|k| k.explains(&name, at, (&m, &e), &fields))
    {
        return Verdict::Known { id: k.id.clone() };
    }
    // Several documented differences at once (an inspect that shows two of podman's): the
    // step is known when each differing field is one that an expectation applying to this
    // step lets differ. Expectations without fields take part only alone, above.
    let applying: Vec<&KnownDifference> = rules
        .expectations
        .iter()
        .filter(|k| !k.fields.is_empty() && k.applies(&name, at, &m, &e))
        .collect();
    let mut used: Vec<&str> = Vec::new();
    for field in &fields {
        match applying.iter().find(|k| k.allows(field)) {
            Some(k) if !used.contains(&k.id.as_str()) => used.push(&k.id),
            Some(_) => {}
            None => {
                return Verdict::Disagree {
                    diff: diff(model, observed),
                }
            }
        }
    }
    if used.is_empty() {
        return Verdict::Disagree {
            diff: diff(model, observed),
        };
    }
    Verdict::Known {
        id: used.join(KNOWN_JOIN),
    }
}

/// How a step explained by several expectations at once names them (`a + b`).
pub const KNOWN_JOIN: &str = " + ";
