//! Campaign-level behaviour on the model engine (no root, no daemon): a flaky engine yields
//! flaky findings rather than failures, and the shards of a campaign merge into the run they
//! were split from.

use berth_conformance::engine::{Engine, EngineError};
use berth_conformance::finding::Status;
use berth_conformance::model_engine::ModelEngine;
use berth_conformance::observe::{Observation, Probe};
use berth_conformance::session::{run_generated, Settings, Shard, Summary};
use berth_conformance::{junit, known, merge};
use berth_model::command::Command;
use berth_model::mutation::Mutation;
use berth_model::{Catalog, ErrorKind, Profile};

/// The model as an engine that, now and then (seeded), answers one step with an error it did
/// not have: a canary for the harness's flake detection.
#[derive(Debug)]
struct FlakyEngine {
    inner: ModelEngine,
    state: u64,
    /// One step in `every` fails, on average.
    every: u64,
}

impl FlakyEngine {
    fn roll(&mut self) -> bool {
        // SplitMix64: a deterministic sequence from the seed.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)).is_multiple_of(self.every)
    }
}

impl Engine for FlakyEngine {
    fn name(&self) -> String {
        "flaky model".into()
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        let observation = self.inner.apply(command)?;
        if !self.roll() {
            return Ok(observation);
        }
        Ok(Observation::Error {
            kind: ErrorKind::System,
            message: "injected fault".into(),
        })
    }

    fn probe(&mut self) -> Result<Probe, EngineError> {
        Ok(self.inner.probe())
    }

    fn reset(&mut self) -> Result<(), EngineError> {
        Engine::reset(&mut self.inner)
    }

    fn settles_at_once(&self) -> bool {
        true
    }
}

fn model(mutation: Option<Mutation>) -> ModelEngine {
    ModelEngine::rendering(Profile::Docker2010, Catalog::fixtures(), 7, mutation)
}

#[test]
fn a_flaky_engine_yields_flaky_findings_with_their_original_diff() {
    let mut reference = model(None);
    let mut engine = FlakyEngine {
        inner: model(None),
        state: 42,
        every: 40,
    };
    let mut settings = Settings::new(30, 15, 2026);
    settings.reproduce = 3;
    let summary = run_generated(
        &mut reference,
        &mut engine,
        &settings,
        &known::shipped(),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(summary.disagreements() > 0, "no fault was injected");
    assert!(summary
        .findings
        .iter()
        .any(|f| f.diff.contains("injected fault")));
    for f in &summary.findings {
        assert_eq!(f.status, Status::Flaky, "{} reproduced", f.signature);
        assert!(!f.diff.is_empty(), "{} kept no diff", f.signature);
    }
    assert_eq!(summary.failing(false), 0);
    assert_eq!(summary.failing(true), summary.findings.len());
    let xml = junit::junit(std::slice::from_ref(&summary), false);
    assert!(!xml.contains("<failure"), "{xml}");
}

fn campaign(shard: Shard) -> Summary {
    let mut reference = model(None);
    let mut engine = model(Some(Mutation::RmKeepsContainer));
    let mut settings = Settings::new(24, 15, 11);
    settings.shard = shard;
    run_generated(
        &mut reference,
        &mut engine,
        &settings,
        &known::shipped(),
        &mut |_, _| {},
    )
    .unwrap()
}

/// What must be equal between a merged and an unsharded run (not times).
fn essence(s: &Summary) -> serde_json::Value {
    let findings: Vec<_> = s
        .findings
        .iter()
        .map(|f| {
            (
                &f.signature,
                f.count,
                f.first_case,
                f.status,
                &f.counterexample.templates,
            )
        })
        .collect();
    serde_json::json!({
        "cases": s.cases,
        "steps": s.steps,
        "per_verb": s.per_verb,
        "absorbed": s.absorbed,
        "resyncs": s.resyncs,
        "case_results": s.case_results,
        "findings": findings,
    })
}

#[test]
fn three_shards_merged_equal_the_unsharded_run() {
    let whole = campaign(Shard::default());
    assert!(!whole.findings.is_empty(), "the mutant must be found");
    let shards = (1..=3)
        .map(|index| vec![campaign(Shard { index, count: 3 })])
        .collect();
    let merged = merge::merge(shards);
    assert_eq!(merged.len(), 1);
    assert_eq!(essence(&merged[0]), essence(&whole));
}

#[test]
fn the_junit_file_fails_one_testcase_per_finding() {
    let whole = campaign(Shard::default());
    let xml = junit::junit(std::slice::from_ref(&whole), false);
    assert_eq!(xml.matches("<failure ").count(), whole.findings.len());
    assert!(xml.matches("<testcase ").count() >= whole.case_results.len());
}
