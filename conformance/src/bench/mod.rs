//! Startup benchmarking of any Docker Engine API endpoint, or of berth's runtime in process,
//! measured the same way for every engine: each phase of `docker run` (create, start, first output byte, exit, remove) is timed
//! through the API as a client sees it, summarised as percentiles, compared pair by pair between
//! two engines, and rendered as a table, JSON or an SVG plot. This module owns no engine and
//! never asserts how fast anything must be; it only measures and reports.

pub mod embedded;
pub mod error;
pub mod phases;
pub mod plot;
pub mod probe;
pub mod report;
pub mod run;
pub mod settings;
pub mod startup;
pub mod stats;
pub mod target;

#[cfg(test)]
mod reference_tests;

pub use error::BenchError;
pub use report::Report;
pub use run::run;
pub use settings::{EngineSpec, Mode, RawSettings, Settings};
