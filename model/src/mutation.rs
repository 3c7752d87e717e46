//! Deliberate defects, for the conformance harness's canary only: a harness that cannot catch
//! a wrong model cannot be trusted to catch a wrong engine. A model built with
//! [`Model::with_mutation`] runs one of these; nothing else ever sets one.

use crate::model::Model;

/// One deliberate defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutation {
    /// `rmi` forgets the "image has dependent child images" conflict.
    NoChildConflict,
    /// `--rm` containers stay after they exit.
    RmKeepsContainer,
    /// An ambiguous container prefix resolves to the first match instead of failing.
    FirstPrefixWins,
    /// `stop` ignores a SIGTERM handler's exit code and reports 137.
    StopIgnoresHandler,
    /// `logs` loses stderr.
    LogsDropStderr,
    /// A name conflict is not detected.
    NoNameConflict,
    /// `kill` of a stopped container succeeds.
    KillStoppedSucceeds,
    /// Rendered durations are one second off (`Up 2 seconds` for 1 second).
    DurationOffByOne,
}

impl Mutation {
    pub const ALL: [Mutation; 8] = [
        Mutation::NoChildConflict,
        Mutation::RmKeepsContainer,
        Mutation::FirstPrefixWins,
        Mutation::StopIgnoresHandler,
        Mutation::LogsDropStderr,
        Mutation::NoNameConflict,
        Mutation::KillStoppedSucceeds,
        Mutation::DurationOffByOne,
    ];
}

impl Model {
    /// The same model with one deliberate defect.
    pub fn with_mutation(mut self, mutation: Mutation) -> Model {
        self.mutation = Some(mutation);
        self
    }

    /// The deliberate defect this model runs, if any.
    pub fn mutation(&self) -> Option<Mutation> {
        self.mutation
    }

    pub(crate) fn mutated(&self, mutation: Mutation) -> bool {
        self.mutation == Some(mutation)
    }
}
