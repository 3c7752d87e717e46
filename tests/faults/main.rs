//! The fault-injection tier: a `berth daemon` driven by a generated workload (pull, run,
//! create, commit, tag, rm, rmi through the berth CLI) is killed with SIGKILL at random points.
//! After every kill, before anything reopens the root, the engine's `fsck` must find nothing a
//! crash may not leave (leftovers are allowed: the next open removes them). The daemon is then
//! restarted on the same root, and every operation the CLI saw succeed before the kill must
//! still be there: a pulled, committed or tagged image, a created container; a removed one
//! must still be gone. An operation cut short by the kill may have happened or not.
//!
//! Run it with `cargo test --test faults -- --ignored --nocapture`: scripts/test has it as a
//! stage of its own, so the workspace run leaves it out. `BERTH_FAULT_KILLS` (default 12)
//! bounds the run and `BERTH_FAULT_SEED` (default 1) picks the workload and the moments of the
//! kills; the figures (kills per operation, what fsck found) are printed at the end. Needs root
//! and the fixture registry (`BERTH_REGISTRY`, else `scripts/registry addr`); without them it
//! skips with one line, or fails under
//! `BERTH_REQUIRE_ALL=1`.

mod daemon;
mod workload;

use std::collections::BTreeMap;
use std::time::Duration;

use daemon::Daemon;
use workload::{Expect, Op, Rng, World};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "a tier of its own: scripts/test runs it as `cargo test --test faults -- --ignored`"]
fn kill_nine_at_random_points_leaves_a_store_that_fsck_passes_and_keeps_every_acknowledged_operation(
) {
    let Some(registry) = daemon::prerequisites("fault injection") else {
        return;
    };
    let kills = env_number("BERTH_FAULT_KILLS", 12);
    let seed = env_number("BERTH_FAULT_SEED", 1);
    let dir = tempfile::Builder::new()
        .prefix("berth-faults-")
        .tempdir()
        .unwrap();
    let mut rng = Rng::new(seed);
    let mut world = World::default();
    let mut figures = Figures::default();
    let mut daemon = Daemon::start(dir.path(), &registry);

    for round in 0..kills {
        // A few operations that complete, so that the kill finds state worth losing.
        for _ in 0..rng.below(4) {
            let op = world.next_op(&mut rng);
            let ok = daemon.cli(&op.args()).success();
            world.record(&op, if ok { Expect::Done } else { Expect::Failed });
        }
        // One operation with the kill somewhere inside it (or just after it).
        let op = world.next_op(&mut rng);
        let delay = Duration::from_micros(rng.below(30_000));
        let outcome = daemon.cli_killed_after(&op.args(), delay);
        world.record(&op, outcome.expect());
        figures.kill(&op, &outcome);

        let report = berth_runtime::engine::fsck(&daemon.root()).unwrap_or_else(|e| {
            panic!("round {round}: fsck after the kill during {op:?} failed: {e}")
        });
        assert!(
            report.damage().is_empty(),
            "round {round} (seed {seed}): the kill during `{}` left damage: {:#?}",
            op.args().join(" "),
            report.damage()
        );
        figures.fsck(&report);

        daemon = daemon.restart();
        if let Err(e) = world.check(&daemon) {
            panic!(
                "round {round} (seed {seed}): after the kill during `{}` and a restart: {e}\n\
                 daemon log:\n{}",
                op.args().join(" "),
                daemon.log()
            );
        }
        figures.checked += world.acknowledged();
    }

    // A clean stop must leave nothing at all behind but what fsck calls leftovers.
    let root = daemon.root();
    daemon.stop();
    let report = berth_runtime::engine::fsck(&root).expect("fsck after a clean stop");
    assert!(
        report.damage().is_empty(),
        "damage after a clean stop: {:#?}",
        report.damage()
    );
    figures.print(kills, seed);
}

/// What the run measured, printed at its end.
#[derive(Debug, Default)]
struct Figures {
    /// Kills per operation verb, and how many of them cut the operation short.
    kills: BTreeMap<&'static str, (u32, u32)>,
    /// Leftovers fsck found after kills, by kind.
    leftovers: BTreeMap<String, u32>,
    /// Acknowledged operations checked after the restarts, summed over rounds.
    checked: usize,
}

impl Figures {
    fn kill(&mut self, op: &Op, outcome: &daemon::Outcome) {
        let entry = self.kills.entry(op.verb()).or_default();
        entry.0 += 1;
        if !matches!(outcome, daemon::Outcome::Succeeded) {
            entry.1 += 1;
        }
    }

    fn fsck(&mut self, report: &berth_runtime::engine::EngineFsck) {
        for problem in &report.store.problems {
            *self.leftovers.entry(kind(problem)).or_default() += 1;
        }
        for problem in &report.containers {
            *self.leftovers.entry(kind(problem)).or_default() += 1;
        }
    }

    fn print(&self, kills: u64, seed: u64) {
        let per_verb: Vec<String> = self
            .kills
            .iter()
            .map(|(verb, (n, cut))| format!("{verb} {n} ({cut} cut short)"))
            .collect();
        let leftovers: Vec<String> = self
            .leftovers
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        println!(
            "fault injection (seed {seed}): {kills} kills during: {}; fsck after each: no damage; \
             leftovers the next open removed: {}; {} acknowledged operations checked after restarts",
            per_verb.join(", "),
            if leftovers.is_empty() {
                "none".to_string()
            } else {
                leftovers.join(", ")
            },
            self.checked
        );
    }
}

/// The variant name of a problem (`TempFile { .. }` gives `TempFile`).
fn kind(problem: &impl std::fmt::Debug) -> String {
    let text = format!("{problem:?}");
    text.split([' ', '{', '(']).next().unwrap_or("").to_string()
}
