//! A conformance session against one engine: generated cases with a seed (each failure shrunk
//! and kept as a counterexample), or fixed scripts (scenarios, replays); tallied per verb.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;

use crate::engine::{Engine, EngineError};
use crate::generate::{cases, Case};
use crate::known::KnownDifference;
use crate::model_engine::ModelEngine;
use crate::runner::{run_case, CaseRecord, Script, StepRecord, Verdict};
use crate::shrink::{shrink, Budget};

/// How a session runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cases: usize,
    pub length: usize,
    pub seed: u64,
    pub shrink: Budget,
    /// Stop at the first counterexample (the canary wants one per mutant, fast).
    pub stop_at_first: bool,
}

/// Verdict counts for one verb.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub agree: usize,
    pub known: usize,
    pub inconclusive: usize,
    pub disagree: usize,
}

/// A minimal failing script, ready to replay.
#[derive(Debug, Clone, Serialize)]
pub struct Counterexample {
    pub engine: String,
    pub seed: Option<u64>,
    pub case: Option<usize>,
    /// The commands, with `{cN}` handles for the N-th container the script created.
    pub templates: Vec<String>,
    pub steps: Vec<StepRecord>,
    pub original_length: usize,
    pub shrink_runs: usize,
    pub shrink_seconds: f64,
}

/// What a session found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub engine: String,
    pub cases: usize,
    pub steps: usize,
    pub per_verb: BTreeMap<String, Counts>,
    pub counterexamples: Vec<Counterexample>,
    pub seconds: f64,
    /// The five slowest steps (command, milliseconds), to see where a run's time goes.
    pub slowest: Vec<(String, u64)>,
}

impl Summary {
    pub fn disagreements(&self) -> usize {
        self.per_verb.values().map(|c| c.disagree).sum()
    }

    pub fn commands_per_second(&self) -> f64 {
        self.steps as f64 / self.seconds.max(1e-9)
    }

    fn tally(&mut self, record: &CaseRecord) {
        self.cases += 1;
        self.steps += record.steps.len();
        for step in &record.steps {
            self.slowest.push((step.command.clone(), step.millis));
            self.slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
            self.slowest.truncate(5);
            let verb = step
                .template
                .split_whitespace()
                .nth(usize::from(step.template.starts_with("docker ")))
                .unwrap_or("?");
            let counts = self.per_verb.entry(verb.to_string()).or_default();
            match step.verdict {
                Verdict::Agree => counts.agree += 1,
                Verdict::Known { .. } => counts.known += 1,
                Verdict::Inconclusive { .. } => counts.inconclusive += 1,
                Verdict::Disagree { .. } => counts.disagree += 1,
            }
        }
    }
}

/// The case a seed generates.
pub fn generate(seed: u64, index: usize, length: usize) -> Case {
    let case_seed = seed.wrapping_add(index as u64).to_le_bytes().repeat(4);
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &case_seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    cases(length)
        .new_tree(&mut runner)
        .expect("case generation never rejects")
        .current()
}

/// Generated cases against `engine`, each failure shrunk.
pub fn run_generated(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    settings: &Settings,
    known: &[KnownDifference],
    progress: &mut dyn FnMut(usize, &Summary),
) -> Result<Summary, EngineError> {
    let start = Instant::now();
    let mut summary = Summary {
        engine: engine.name(),
        ..Summary::default()
    };
    for index in 0..settings.cases {
        progress(index, &summary);
        let case = generate(settings.seed, index, settings.length);
        let record = run_case(model, engine, Script::Generated(&case), known)?;
        summary.tally(&record);
        if let Some(failed_at) = record.failure() {
            let mut fails = |candidate: &Case| {
                Ok(
                    run_case(model, engine, Script::Generated(candidate), known)?
                        .failure()
                        .is_some(),
                )
            };
            let shrunk = shrink(&case, failed_at, settings.shrink, &mut fails)?;
            let minimal = run_case(model, engine, Script::Generated(&shrunk.case), known)?;
            summary.counterexamples.push(Counterexample {
                engine: engine.name(),
                seed: Some(settings.seed),
                case: Some(index),
                templates: minimal.steps.iter().map(|s| s.template.clone()).collect(),
                steps: minimal.steps,
                original_length: failed_at + 1,
                shrink_runs: shrunk.runs,
                shrink_seconds: shrunk.elapsed.as_secs_f64(),
            });
            if settings.stop_at_first {
                break;
            }
        }
    }
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// A fixed script (a scenario file or a replayed counterexample) against `engine`.
pub fn run_script(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    templates: &[String],
    known: &[KnownDifference],
) -> Result<Summary, EngineError> {
    let start = Instant::now();
    let mut summary = Summary {
        engine: engine.name(),
        ..Summary::default()
    };
    let record = run_case(model, engine, Script::Templates(templates), known)?;
    summary.tally(&record);
    if record.failure().is_some() {
        summary.counterexamples.push(Counterexample {
            engine: engine.name(),
            seed: None,
            case: None,
            templates: record.steps.iter().map(|s| s.template.clone()).collect(),
            original_length: templates.len(),
            steps: record.steps,
            shrink_runs: 0,
            shrink_seconds: 0.0,
        });
    }
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// The default shrinking budget: enough for real engines, bounded for CI.
pub const DEFAULT_SHRINK: Budget = Budget {
    runs: 200,
    time: Duration::from_secs(120),
};
