//! A conformance session against one engine: generated cases with a seed, or fixed scripts
//! (scenarios, replays); tallied per verb. Every disagreement is grouped by signature; the first
//! of each group is shrunk once and its shrunk script re-run to tell a finding from a flake.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use crate::dialect::Rules;
use crate::engine::{Engine, EngineError};
use crate::finding::{signature, verb, Finding, Status};
use crate::generate::{cases, Case, Intent};
use crate::known::KnownDifference;
use crate::model_engine::ModelEngine;
use crate::runner::{run_case, CaseRecord, Script, StepRecord, Verdict};
use crate::shrink::{shrink, Budget};

/// Which part of a campaign this run is: `index` of `count` (1-based), every case whose index
/// is `index - 1` modulo `count`. Scenarios run in shard 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard { index: 1, count: 1 }
    }
}

impl Shard {
    pub fn takes(&self, case: usize) -> bool {
        case % self.count == self.index - 1
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: a shard is I/N, as 2/5"))?;
        let (index, count) = match (i.parse::<usize>(), n.parse::<usize>()) {
            (Ok(i), Ok(n)) if (1..=n).contains(&i) => (i, n),
            _ => return Err(format!("{text:?}: a shard is I/N with 1 <= I <= N")),
        };
        Ok(Shard { index, count })
    }
}

/// How a session runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cases: usize,
    pub length: usize,
    pub seed: u64,
    pub shrink: Budget,
    /// Stop at the first counterexample (the canary wants one per mutant, fast).
    pub stop_at_first: bool,
    /// How often a finding's shrunk script is re-run; it is confirmed only when every re-run
    /// shows it again, and flaky otherwise.
    pub reproduce: usize,
    pub shard: Shard,
}

impl Settings {
    /// A session of `cases` cases of up to `length` commands, with the default budgets.
    pub fn new(cases: usize, length: usize, seed: u64) -> Settings {
        Settings {
            cases,
            length,
            seed,
            shrink: DEFAULT_SHRINK,
            stop_at_first: false,
            reproduce: 2,
            shard: Shard::default(),
        }
    }
}

/// Verdict counts for one verb.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub agree: usize,
    pub known: usize,
    pub inconclusive: usize,
    pub disagree: usize,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.agree += other.agree;
        self.known += other.known;
        self.inconclusive += other.inconclusive;
        self.disagree += other.disagree;
    }

    pub fn total(&self) -> usize {
        self.agree + self.known + self.inconclusive + self.disagree
    }
}

/// A minimal failing script, ready to replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// How one case (or scenario) ended, for reports that list every case (JUnit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// `case 7` or `scenario 1`.
    pub name: String,
    pub index: usize,
    pub steps: usize,
    /// The signatures of the findings this case showed.
    pub findings: Vec<String>,
    pub cut_short: Option<String>,
}

/// What a session found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub engine: String,
    /// The dialect the engine's `/version` matched.
    #[serde(default)]
    pub dialect: Option<String>,
    /// `generated` (with the seed) or `scenario`.
    #[serde(default)]
    pub source: String,
    pub cases: usize,
    pub steps: usize,
    pub per_verb: BTreeMap<String, Counts>,
    pub findings: Vec<Finding>,
    /// Steps each rule (a dialect's normaliser or expectation, a known difference) absorbed.
    #[serde(default)]
    pub absorbed: BTreeMap<String, usize>,
    /// Each rule's reason and link.
    #[serde(default)]
    pub rules: BTreeMap<String, (String, Option<String>)>,
    /// Times the model adopted the engine's state after a difference.
    #[serde(default)]
    pub resyncs: usize,
    #[serde(default)]
    pub case_results: Vec<CaseResult>,
    pub seconds: f64,
    /// The five slowest steps (command, milliseconds), to see where a run's time goes.
    pub slowest: Vec<(String, u64)>,
}

impl Summary {
    fn new(engine: &dyn Engine, rules: &Rules, source: &str) -> Summary {
        Summary {
            engine: engine.name(),
            dialect: rules.dialect.clone(),
            source: source.to_string(),
            rules: rules.describe(),
            ..Summary::default()
        }
    }

    pub fn disagreements(&self) -> usize {
        self.per_verb.values().map(|c| c.disagree).sum()
    }

    /// Findings that fail a run: the confirmed ones, and the flaky ones too when `strict`.
    pub fn failing(&self, strict: bool) -> usize {
        self.findings
            .iter()
            .filter(|f| strict || f.status == Status::Confirmed)
            .count()
    }

    pub fn commands_per_second(&self) -> f64 {
        self.steps as f64 / self.seconds.max(1e-9)
    }

    /// The shrunk scripts, one per finding.
    pub fn counterexamples(&self) -> impl Iterator<Item = &Counterexample> {
        self.findings.iter().map(|f| &f.counterexample)
    }

    fn tally(&mut self, name: String, index: usize, record: &CaseRecord) {
        self.cases += 1;
        self.steps += record.steps.len();
        self.resyncs += record.resyncs;
        let mut findings = Vec::new();
        for step in &record.steps {
            self.slowest.push((step.command.clone(), step.millis));
            self.slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
            self.slowest.truncate(5);
            for rule in &step.normalised_by {
                *self.absorbed.entry(rule.clone()).or_default() += 1;
            }
            let counts = self.per_verb.entry(verb(&step.template)).or_default();
            match &step.verdict {
                Verdict::Agree => counts.agree += 1,
                Verdict::Known { id } => {
                    counts.known += 1;
                    for id in id.split(crate::runner::KNOWN_JOIN) {
                        *self.absorbed.entry(id.to_string()).or_default() += 1;
                    }
                }
                Verdict::Inconclusive { .. } => counts.inconclusive += 1,
                Verdict::Disagree { .. } => counts.disagree += 1,
            }
            findings.extend(signature(step));
        }
        findings.dedup();
        self.case_results.push(CaseResult {
            name,
            index,
            steps: record.steps.len(),
            findings,
            cut_short: record.cut_short.clone(),
        });
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

/// The rules for `engine`: the known differences and the dialect its `/version` matches.
fn rules_for(engine: &mut dyn Engine, known: &[KnownDifference]) -> Rules {
    Rules::resolve(known, engine.version().as_ref())
}

/// Re-runs a candidate script (intents or command lines) from a clean state.
type Rerun<'a, T> =
    dyn FnMut(&mut ModelEngine, &mut dyn Engine, &[T]) -> Result<CaseRecord, EngineError> + 'a;

/// Whether a run of a script shows a disagreement with this signature.
fn shows(record: &CaseRecord, wanted: &str) -> Option<usize> {
    record
        .steps
        .iter()
        .position(|s| signature(s).as_deref() == Some(wanted))
}

/// What a new signature needs: where it came from, and how to re-run a candidate script.
struct Discovery<'a, T> {
    signature: String,
    step: &'a StepRecord,
    at: usize,
    items: &'a [T],
    seed: Option<u64>,
    case: usize,
    origin: String,
}

/// Shrinks a new signature's script once and re-runs the shrunk script to confirm it.
fn investigate<T: Clone>(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    settings: &Settings,
    found: Discovery<'_, T>,
    run: &mut Rerun<'_, T>,
) -> Result<Finding, EngineError> {
    let wanted = found.signature.clone();
    let mut fails = |candidate: &[T]| Ok(shows(&run(model, engine, candidate)?, &wanted).is_some());
    let shrunk = shrink(found.items, found.at, settings.shrink, &mut fails)?;
    let mut minimal = run(model, engine, &shrunk.items)?;
    let mut reproduced = usize::from(shows(&minimal, &wanted).is_some());
    for _ in 1..settings.reproduce.max(1) {
        let again = run(model, engine, &shrunk.items)?;
        if shows(&again, &wanted).is_some() {
            reproduced += 1;
            minimal = again;
        }
    }
    let attempts = settings.reproduce.max(1);
    let cut = shows(&minimal, &wanted).map_or(minimal.steps.len(), |at| at + 1);
    minimal.steps.truncate(cut);
    let diff = match &found.step.verdict {
        Verdict::Disagree { diff } => diff.clone(),
        _ => String::new(),
    };
    Ok(Finding {
        engine: engine.name(),
        verb: verb(&found.step.template),
        signature: wanted,
        count: 0,
        status: match reproduced == attempts {
            true => Status::Confirmed,
            false => Status::Flaky,
        },
        reproduced,
        attempts,
        origin: found.origin,
        first_case: found.case,
        diff,
        counterexample: Counterexample {
            engine: engine.name(),
            seed: found.seed,
            case: found.seed.map(|_| found.case),
            templates: minimal.steps.iter().map(|s| s.template.clone()).collect(),
            steps: minimal.steps,
            original_length: found.at + 1,
            shrink_runs: shrunk.runs,
            shrink_seconds: shrunk.elapsed.as_secs_f64(),
        },
        cli_replay: None,
    })
}

/// Counts a case's disagreements into the findings, investigating each new signature.
#[allow(clippy::too_many_arguments)]
fn absorb<T: Clone>(
    summary: &mut Summary,
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    settings: &Settings,
    record: &CaseRecord,
    items: &[T],
    (seed, case, label): (Option<u64>, usize, &str),
    run: &mut Rerun<'_, T>,
) -> Result<(), EngineError> {
    for (at, step) in record.failures() {
        let sig = signature(step).expect("a disagreement has a signature");
        if let Some(finding) = summary.findings.iter_mut().find(|f| f.signature == sig) {
            finding.count += 1;
            continue;
        }
        let found = Discovery {
            signature: sig,
            step,
            at,
            items,
            seed,
            case,
            origin: format!("{label} step {}", at + 1),
        };
        let mut finding = investigate(model, engine, settings, found, run)?;
        finding.count = 1;
        summary.findings.push(finding);
    }
    Ok(())
}

/// Generated cases against `engine` (this shard's), each new finding shrunk and re-run.
pub fn run_generated(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    settings: &Settings,
    known: &[KnownDifference],
    progress: &mut dyn FnMut(usize, &Summary),
) -> Result<Summary, EngineError> {
    let start = Instant::now();
    let rules = rules_for(engine, known);
    let mut summary = Summary::new(
        engine,
        &rules,
        &format!("generated, seed {}", settings.seed),
    );
    for index in (0..settings.cases).filter(|i| settings.shard.takes(*i)) {
        progress(index, &summary);
        let case = generate(settings.seed, index, settings.length);
        let record = run_case(model, engine, Script::Generated(&case), &rules)?;
        summary.tally(format!("case {index}"), index, &record);
        let before = summary.findings.len();
        let swarm = case.swarm;
        let mut run = |m: &mut ModelEngine, e: &mut dyn Engine, intents: &[Intent]| {
            let candidate = Case {
                swarm,
                intents: intents.to_vec(),
            };
            run_case(m, e, Script::Generated(&candidate), &rules)
        };
        let label = format!("seed {} case {index}", settings.seed);
        let at = (Some(settings.seed), index, label.as_str());
        absorb(
            &mut summary,
            model,
            engine,
            settings,
            &record,
            &case.intents,
            at,
            &mut run,
        )?;
        if settings.stop_at_first && summary.findings.len() > before {
            break;
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
    run_scenario(model, engine, templates, known, &Settings::new(0, 0, 0), 0)
}

/// A scenario (the `index`-th of a run) against `engine`, its findings shrunk and re-run.
pub fn run_scenario(
    model: &mut ModelEngine,
    engine: &mut dyn Engine,
    templates: &[String],
    known: &[KnownDifference],
    settings: &Settings,
    index: usize,
) -> Result<Summary, EngineError> {
    let start = Instant::now();
    let rules = rules_for(engine, known);
    let mut summary = Summary::new(engine, &rules, "scenario");
    let record = run_case(model, engine, Script::Templates(templates), &rules)?;
    let label = format!("scenario {}", index + 1);
    summary.tally(label.clone(), index, &record);
    let mut run = |m: &mut ModelEngine, e: &mut dyn Engine, lines: &[String]| {
        run_case(m, e, Script::Templates(lines), &rules)
    };
    let at = (None, index, label.as_str());
    absorb(
        &mut summary,
        model,
        engine,
        settings,
        &record,
        templates,
        at,
        &mut run,
    )?;
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// The default shrinking budget: enough for real engines, bounded for CI.
pub const DEFAULT_SHRINK: Budget = Budget {
    runs: 200,
    time: Duration::from_secs(120),
};
