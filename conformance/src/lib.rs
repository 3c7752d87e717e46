//! berth-conformance: generates docker command sequences, runs them against the model and real
//! engines, compares what each observably did, and shrinks every disagreement to a minimal
//! replayable script. Engines other than the model are driven through the Engine API only.

pub mod api;
pub mod bench;
pub mod cli_engine;
pub mod cli_text;
pub mod compare;
pub mod dialect;
pub mod embedded;
pub mod engine;
pub mod finding;
pub mod generate;
pub mod junit;
pub mod known;
pub mod merge;
pub mod model_engine;
pub mod normalise;
pub mod observe;
pub mod registry_tags;
pub mod report;
pub mod resync;
pub mod runner;
pub mod scenario;
pub mod session;
pub mod settle;
pub mod shrink;
