//! One trait for every engine the harness drives: the model, berth's runtime, any Docker
//! Engine API endpoint. An engine answers commands with observations and shows its state.

use berth_model::Command;

use crate::observe::{Observation, Probe};

/// Why an engine could not be driven at all (as opposed to answering with an error).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{engine}: {what}")]
    Unreachable { engine: String, what: String },
    #[error("{engine}: unexpected answer to {command}: {what}")]
    Protocol {
        engine: String,
        command: String,
        what: String,
    },
}

/// An engine under test.
pub trait Engine {
    /// A short name for reports (`model`, `dockerd`, `unix:///run/berth/berth.sock`).
    fn name(&self) -> String;
    /// Runs one command as the docker CLI would and reports what it answered.
    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError>;
    /// Everything visible now.
    fn probe(&mut self) -> Result<Probe, EngineError>;
    /// Removes every container and image, so the next case starts clean.
    fn reset(&mut self) -> Result<(), EngineError>;
    /// What the engine answers to `GET /version` (its name and version, which select the
    /// dialect it speaks), if it has an Engine API.
    fn version(&mut self) -> Option<serde_json::Value> {
        None
    }
    /// Whether answers are a CLI's printed text (`Observation::Printed`) rather than API
    /// structures; the model then answers with its renderers.
    fn prints_cli_text(&self) -> bool {
        false
    }
    /// Whether the state after a command is final at once (the model and its mutants, which
    /// run nothing in the background), so the harness need not wait for containers to settle.
    fn settles_at_once(&self) -> bool {
        false
    }
}
