//! The hostile-input tier: named attacks on an engine's API, built from real archives and real
//! requests, run against a fresh berth daemon and against the reference dockerd 20.10, so that
//! each expectation is shown to be Docker's (where the two differ, the case says so and why).
//! After every case both engines must still answer `_ping` within a second and `ps` within two;
//! a berth daemon's peak memory over the whole suite must stay under 256 MiB.
//!
//! `cargo test --test hostile -- --ignored --nocapture` prints a line per case and engine
//! (scripts/test runs it as a stage of its own, so the workspace run leaves it out). Needs root,
//! the fixture registry (`BERTH_REGISTRY`) and the reference dockerd (`BERTH_REF_SOCKET`,
//! default /tmp/berth-ref/docker.sock); without them it skips with one line, or fails under
//! `BERTH_REQUIRE_ALL=1`.

mod archives;
mod cases;
mod engine;

use std::path::PathBuf;
use std::time::Instant;

use engine::{Engine, Kind};

/// The most a berth daemon may hold through the whole suite.
const PEAK_RSS_LIMIT_KIB: u64 = 256 * 1024;

/// One attack: what it does, and on which engines it runs.
#[derive(Debug)]
pub struct Case {
    pub name: &'static str,
    pub run: fn(&Engine) -> Result<String, String>,
    /// `Some(why)`: not run against dockerd, which does not survive it (the README's Security
    /// table gives dockerd's result, found by hand).
    pub berth_only: Option<&'static str>,
}

#[test]
#[ignore = "a tier of its own: scripts/test runs it as `cargo test --test hostile -- --ignored`"]
fn hostile_inputs_are_refused_and_the_engine_keeps_answering() {
    let Some((registry, reference)) = prerequisites() else {
        return;
    };
    let berth = Engine::berth(&registry);
    let dockerd = Engine::dockerd(&reference);
    let mut failures = Vec::new();
    for case in cases::all() {
        for engine in [&berth, &dockerd] {
            if engine.kind == Kind::Dockerd {
                if let Some(why) = case.berth_only {
                    println!("{:<44} {:<14} not run: {why}", case.name, engine.name());
                    continue;
                }
            }
            let started = Instant::now();
            let outcome = (case.run)(engine).and_then(|seen| {
                engine
                    .still_answers()
                    .map(|()| seen)
                    .map_err(|e| format!("does not answer after the attack: {e}"))
            });
            let seconds = started.elapsed().as_secs_f64();
            match outcome {
                Ok(seen) => println!(
                    "{:<44} {:<14} ok    {seconds:5.1}s  {seen}",
                    case.name,
                    engine.name()
                ),
                Err(e) => {
                    println!("{:<44} {:<14} FAIL  {e}", case.name, engine.name());
                    failures.push(format!("{} on {}: {e}", case.name, engine.name()));
                }
            }
        }
    }
    let peak = berth.peak_rss_kib().expect("the berth daemon's VmHWM");
    println!(
        "berth daemon peak RSS through the suite: {} MiB (limit {} MiB)",
        peak / 1024,
        PEAK_RSS_LIMIT_KIB / 1024
    );
    if peak > PEAK_RSS_LIMIT_KIB {
        failures.push(format!("berth daemon peak RSS {} MiB", peak / 1024));
    }
    assert!(
        failures.is_empty(),
        "{failures:#?}\nberth daemon log:\n{}",
        berth.log()
    );
}

fn prerequisites() -> Option<(String, PathBuf)> {
    let registry = std::env::var("BERTH_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into());
    let reference = std::env::var_os("BERTH_REF_SOCKET")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/berth-ref/docker.sock"));
    let missing = if !berth_testkit::is_root() {
        Some("needs root".to_string())
    } else if std::net::TcpStream::connect(&registry).is_err() {
        Some(format!("no registry at {registry}"))
    } else if Engine::dockerd(&reference)
        .ping(std::time::Duration::from_secs(5))
        .is_err()
    {
        Some(format!("no reference dockerd at {}", reference.display()))
    } else {
        None
    };
    (!berth_testkit::skip("hostile inputs", missing)).then_some((registry, reference))
}
