//! The shipped basics scenario against berth's runtime, embedded, and the model. The runtime is
//! young: disagreements are printed (they are findings), not failures. What must hold: every
//! step ran, and the first two (`pull hello-world`, `run --name hello hello-world`) agree.
//!
//! Needs root and the fixtures (`scripts/fixtures`); without them it prints one line and
//! passes, unless `BERTH_REQUIRE_ALL=1`. `BERTH_REGISTRY=127.0.0.1:PORT` (`scripts/registry
//! start`) pulls from a registry instead of loading the fixture layouts.

use std::path::{Path, PathBuf};

use berth_conformance::embedded::EmbeddedEngine;
use berth_conformance::model_engine::ModelEngine;
use berth_conformance::{known, report, scenario, session};
use berth_model::{Catalog, Profile};

fn fixtures() -> PathBuf {
    match std::env::var_os("BERTH_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"),
    }
}

fn ready(test: &str) -> bool {
    let missing = if !berth_testkit::is_root() {
        Some("needs root".to_string())
    } else {
        ["toolbox", "hello-world"]
            .iter()
            .find(|n| !fixtures().join(n).join("index.json").exists())
            .map(|n| format!("fixture {n} missing (run scripts/fixtures)"))
    };
    !berth_testkit::skip(test, missing)
}

#[test]
fn basics_scenario_runs_on_the_embedded_runtime() {
    if !ready("basics_scenario_runs_on_the_embedded_runtime") {
        return;
    }
    let registry = std::env::var("BERTH_REGISTRY")
        .ok()
        .filter(|r| !r.is_empty());
    let mut engine = EmbeddedEngine::new(&fixtures(), registry).expect("embedded engine opens");
    let mut model = ModelEngine::new(Profile::Docker2010, Catalog::fixtures(), 0);
    let templates: Vec<String> = scenario::basics().iter().map(|c| c.to_shell()).collect();
    let known = known::shipped();
    let summary = session::run_script(&mut model, &mut engine, &templates, &known)
        .expect("every step ran on the embedded engine");
    println!("{}", report::table(std::slice::from_ref(&summary)));
    // The case goes on after a disagreement (the model adopts the runtime's state), so every
    // step ran unless the states parted in a way the model cannot adopt.
    let first = &summary.case_results[0];
    assert_eq!(
        first.steps,
        templates.len(),
        "the scenario was cut short: {:?}",
        first.cut_short
    );
    for f in summary.findings.iter().filter(|f| f.first_case == 0) {
        let opening = ["pull", "run"];
        let first_two = templates[..2].iter().any(|t| {
            f.origin.ends_with(" step 1") || f.origin.ends_with(" step 2") && t.contains(&f.verb)
        });
        assert!(
            !(first_two && opening.contains(&f.verb.as_str())),
            "the first two steps must agree: {}",
            f.signature
        );
    }
    let agree: usize = summary.per_verb.values().map(|c| c.agree).sum();
    let known_count: usize = summary.per_verb.values().map(|c| c.known).sum();
    println!(
        "{agree} of {} steps agree ({known_count} known differences, {} finding(s))",
        templates.len(),
        summary.findings.len()
    );
}

/// Exploratory: generated cases against the embedded runtime, each disagreement shrunk and
/// printed (`BERTH_EMBEDDED_CASES`, default 30; `BERTH_REGISTRY` as above). Findings, not
/// failures: run with `--ignored --nocapture`.
#[test]
#[ignore = "exploratory; prints findings"]
fn generated_cases_on_the_embedded_runtime() {
    if !ready("generated_cases_on_the_embedded_runtime") {
        return;
    }
    let registry = std::env::var("BERTH_REGISTRY")
        .ok()
        .filter(|r| !r.is_empty());
    let cases = std::env::var("BERTH_EMBEDDED_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(30);
    let mut engine = EmbeddedEngine::new(&fixtures(), registry).expect("embedded engine opens");
    let mut model = ModelEngine::new(Profile::Docker2010, Catalog::fixtures(), 0);
    let settings = session::Settings {
        cases,
        length: 20,
        seed: 2026,
        shrink: berth_conformance::shrink::Budget {
            runs: 200,
            time: std::time::Duration::from_secs(60),
        },
        stop_at_first: false,
        reproduce: 2,
        shard: Default::default(),
    };
    let summary = session::run_generated(
        &mut model,
        &mut engine,
        &settings,
        &known::shipped(),
        &mut |_, _| {},
    )
    .expect("every step ran on the embedded engine");
    println!("{}", report::table(std::slice::from_ref(&summary)));
}
