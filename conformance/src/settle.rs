//! Waiting for an engine to catch up before its state is read: containers that exit on their
//! own (a `run` of a short command, an auto-removal) must have done so, and a sleeper that
//! prints before sleeping must have printed, or the probe would catch the engine mid-way.
//! Shared by the runner (after each step) and the re-synchronisation (after its repairs).

use std::time::{Duration, Instant};

use crate::engine::{Engine, EngineError};
use crate::model_engine::ModelEngine;
use crate::observe::Probe;

/// How long the harness waits for an engine to catch up with short-lived containers.
const SETTLE_LIMIT: Duration = Duration::from_secs(15);

/// How long a state with nothing running must stay the same to count as final.
const QUIET: Duration = Duration::from_millis(200);

/// Waits (bounded) until the engine runs as many containers as the model says, so that
/// short-lived containers have exited before the probe, then probes. With `unforeseen` (the
/// engine holds a container the model does not know of) the model's shape cannot be reached,
/// and a state that stays the same for a while counts as final even while something runs: the
/// re-synchronisation that follows adopts that container and waits for it against the model.
pub fn settle(
    engine: &mut dyn Engine,
    expected: &berth_model::Model,
    unforeseen: bool,
) -> Result<Probe, EngineError> {
    let want = running_shape(ModelEngine::probe_of(expected));
    let start = Instant::now();
    let mut unchanged_since: Option<(Probe, Instant)> = None;
    loop {
        let probe = engine.probe()?;
        let shape = running_shape(probe.clone());
        if engine.settles_at_once() || shape == want || start.elapsed() > SETTLE_LIMIT {
            return Ok(probe);
        }
        // Nothing runs, and the state has not moved for a while: the only background change
        // left would be an auto-removal, which follows an exit within milliseconds. A shape
        // that still differs is a real difference, not one to wait out.
        if !shape.1.is_empty() && !unforeseen {
            unchanged_since = None;
        } else {
            match &unchanged_since {
                Some((last, since)) if *last == probe => {
                    if since.elapsed() >= QUIET {
                        return Ok(probe);
                    }
                }
                _ => unchanged_since = Some((probe, Instant::now())),
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// What must have settled before a probe: how many containers exist, and for each running one
/// how much it has written to each stream (lengths, since output may hold IDs that differ
/// between engines). A sleeper that prints before sleeping is thereby waited for too.
fn running_shape(probe: Probe) -> (usize, Vec<(usize, usize)>) {
    let mut running: Vec<(usize, usize)> = probe
        .containers
        .iter()
        .filter(|c| c.state == "running")
        .map(|c| (c.stdout.len(), c.stderr.len()))
        .collect();
    running.sort_unstable();
    (probe.containers.len(), running)
}
