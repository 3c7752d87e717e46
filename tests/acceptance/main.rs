//! Issue 5's acceptance walks: the Docker basics (`walk::WALK`) driven by real clients and
//! compared after normalisation (`normalise`).
//!
//! 1. The docker CLI 28 against a fresh `berth daemon` prints what it prints against the
//!    reference dockerd 20.10 (both asked for API 1.41, the newest dockerd 20.10 speaks, so
//!    that the version-gated inspect fields are the same on both sides).
//! 2. The berth CLI prints what the docker CLI prints, against a fresh berth daemon each.
//! 3. The berth CLI prints what the docker CLI prints, against the reference dockerd.
//!
//! Needs root, the docker CLI, the fixture registry and the reference dockerd (see `prereq`);
//! the reference must hold none of the walk's images and containers besides what the walk
//! removes before and after itself. Every difference found is printed before the test fails;
//! `BERTH_WALK_DUMP=DIR` also writes each run's raw transcript there.

mod cli;
mod compare;
mod confine;
mod daemon;
mod normalise;
mod prereq;
mod walk;

use std::sync::Mutex;

use cli::Client;
use daemon::BerthDaemon;
use prereq::Setup;
use walk::Run;

/// The reference dockerd is one shared engine: one walk on it at a time.
static REFERENCE: Mutex<()> = Mutex::new(());

/// The API version both engines are asked for in walk 1.
const REFERENCE_API: &str = "1.41";

fn docker(setup: &Setup, api: Option<&str>) -> Client {
    Client::Docker {
        bin: setup.docker_cli.clone(),
        api: api.map(String::from),
    }
}

/// One walk on the reference dockerd, cleaned before and after.
fn on_reference(setup: &Setup, client: &Client, label: &str) -> Run {
    on_reference_walk(setup, walk::WALK, client, label)
}

fn on_reference_walk(setup: &Setup, steps: &[walk::Step], client: &Client, label: &str) -> Run {
    let _one_at_a_time = REFERENCE.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = tempfile::tempdir().expect("temp dir");
    let cleaner = docker(setup, None);
    walk::clean(&cleaner, &setup.reference, scratch.path());
    walk::clean_other_suites(&cleaner, &setup.reference, scratch.path());
    let other = walk::leftovers(&cleaner, &setup.reference, scratch.path());
    assert!(
        other.is_empty(),
        "the reference dockerd at {} holds containers or images the walk did not create; \
         the walk compares whole `ps -a` and `images` tables, so it needs them gone:\n{other}",
        setup.reference.display()
    );
    let run = walk::run(label, steps, client, &setup.reference, scratch.path());
    walk::clean(&cleaner, &setup.reference, scratch.path());
    run
}

/// One walk on a fresh berth daemon.
fn on_berth(setup: &Setup, client: &Client, label: &str) -> Run {
    on_berth_walk(setup, walk::WALK, client, label)
}

fn on_berth_walk(setup: &Setup, steps: &[walk::Step], client: &Client, label: &str) -> Run {
    let daemon = BerthDaemon::start(&setup.registry).unwrap_or_else(|e| panic!("{e}"));
    let run = walk::run(label, steps, client, &daemon.socket(), daemon.scratch());
    if run.steps.iter().any(|(_, o)| o.code == -1) {
        eprintln!(
            "berth daemon log ({}):\n{}",
            daemon.root().display(),
            daemon.log()
        );
    }
    run
}

fn assert_same(left: &Run, right: &Run) {
    if let Some(dir) = std::env::var_os("BERTH_WALK_DUMP") {
        for run in [left, right] {
            let file = std::path::Path::new(&dir).join(run.label.replace(' ', "-"));
            let _ = std::fs::write(file, walk::transcript(run));
        }
    }
    let found = compare::differences(left, right);
    for difference in &found {
        eprintln!("{difference}\n");
    }
    assert!(
        found.is_empty(),
        "{} of {} steps differ between {} and {} (printed above)",
        found.len(),
        walk::WALK.len(),
        left.label,
        right.label
    );
}

#[test]
fn docker_cli_walk_on_berth_daemon_matches_dockerd() {
    let Some(setup) = prereq::ready("docker_cli_walk_on_berth_daemon_matches_dockerd") else {
        return;
    };
    let client = docker(&setup, Some(REFERENCE_API));
    let reference = on_reference(&setup, &client, "docker CLI on dockerd");
    let berth = on_berth(&setup, &client, "docker CLI on berth daemon");
    assert_same(&reference, &berth);
}

#[test]
fn docker_cp_on_berth_daemon_matches_dockerd() {
    let Some(setup) = prereq::ready("docker_cp_on_berth_daemon_matches_dockerd") else {
        return;
    };
    let client = docker(&setup, Some(REFERENCE_API));
    let reference = on_reference_walk(&setup, walk::CP_WALK, &client, "docker cp on dockerd");
    let berth = on_berth_walk(&setup, walk::CP_WALK, &client, "docker cp on berth daemon");
    assert_same(&reference, &berth);
}

#[test]
fn berth_cli_walk_matches_docker_cli_on_berth_daemon() {
    let Some(setup) = prereq::ready("berth_cli_walk_matches_docker_cli_on_berth_daemon") else {
        return;
    };
    let docker = on_berth(&setup, &docker(&setup, None), "docker CLI on berth daemon");
    let berth = on_berth(&setup, &Client::berth(), "berth CLI on berth daemon");
    assert_same(&docker, &berth);
}

#[test]
fn berth_cli_walk_matches_docker_cli_on_dockerd() {
    let Some(setup) = prereq::ready("berth_cli_walk_matches_docker_cli_on_dockerd") else {
        return;
    };
    let docker = on_reference(&setup, &docker(&setup, None), "docker CLI on dockerd");
    let berth = on_reference(&setup, &Client::berth(), "berth CLI on dockerd");
    assert_same(&docker, &berth);
}

/// The walk on the reference dockerd twice: the normalisation must make two runs of the same
/// engine agree (or every comparison above would fail for reasons of its own).
#[test]
fn walk_is_stable_on_dockerd() {
    let Some(setup) = prereq::ready("walk_is_stable_on_dockerd") else {
        return;
    };
    let client = docker(&setup, None);
    let first = on_reference(&setup, &client, "first run on dockerd");
    let second = on_reference(&setup, &client, "second run on dockerd");
    assert!(
        first.steps.iter().all(|(_, o)| o.code != -1),
        "a step hung or could not start"
    );
    assert_same(&first, &second);
}
