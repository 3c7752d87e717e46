//! The canary: the harness must catch every deliberate defect in the model (run as a fake
//! engine) and shrink each to a short counterexample. A harness that passes a wrong model
//! proves nothing about real engines.

use berth_conformance::known;
use berth_conformance::model_engine::ModelEngine;
use berth_conformance::session::{run_generated, Settings};
use berth_conformance::shrink::Budget;
use berth_model::mutation::Mutation;
use berth_model::{Catalog, Profile};
use std::time::Duration;

fn hunt(mutation: Option<Mutation>) -> berth_conformance::session::Summary {
    let mut reference = ModelEngine::rendering(Profile::Docker2010, Catalog::fixtures(), 7, None);
    let mut mutant = ModelEngine::rendering(Profile::Docker2010, Catalog::fixtures(), 7, mutation);
    let settings = Settings {
        cases: 400,
        length: 25,
        seed: 2026,
        shrink: Budget {
            // Bounded by runs alone, so a slow machine shrinks exactly as far as a fast one.
            runs: 2_000,
            time: Duration::MAX,
        },
        stop_at_first: true,
        reproduce: 1,
        shard: Default::default(),
    };
    run_generated(
        &mut reference,
        &mut mutant,
        &settings,
        &known::shipped(),
        &mut |_, _| {},
    )
    .expect("models never fail to answer")
}

#[test]
fn every_mutant_is_caught_and_shrunk_to_at_most_five_commands() {
    let mut report = Vec::new();
    for mutation in Mutation::ALL {
        let summary = hunt(Some(mutation));
        let Some(cx) = summary.counterexamples().next() else {
            panic!(
                "the harness missed the {mutation:?} mutant in {} cases",
                summary.cases
            );
        };
        report.push(format!(
            "{mutation:?}: case {} of {}, {} -> {} commands",
            cx.case.unwrap_or(0),
            summary.cases,
            cx.original_length,
            cx.templates.len()
        ));
        assert!(
            cx.templates.len() <= 5,
            "{mutation:?} shrank only to {} commands:\n{}",
            cx.templates.len(),
            cx.templates.join("\n")
        );
    }
    println!("{}", report.join("\n"));
}

#[test]
fn the_model_agrees_with_itself() {
    let summary = hunt(None);
    assert_eq!(
        summary.disagreements(),
        0,
        "{:?}",
        summary.counterexamples().next().map(|c| &c.templates)
    );
    assert!(
        summary.steps > 1_000,
        "the self-check must exercise the model: {} steps",
        summary.steps
    );
}
