//! The engines a benchmark can drive, behind one face: an Engine API endpoint, measured through
//! the API as the docker CLI drives it, or berth's runtime in process, measured through the
//! library calls the daemon makes. Both yield the same phases, so their samples compare.

use crate::bench::embedded::EmbeddedTarget;
use crate::bench::error::BenchError;
use crate::bench::phases::Sample;
use crate::bench::probe;
use crate::bench::settings::{EngineSpec, Mode, Settings};
use crate::bench::startup::{self, ApiTarget};

/// One engine under benchmark, ready to run.
#[derive(Debug)]
pub enum Target {
    Api(ApiTarget),
    Embedded(EmbeddedTarget),
}

impl Target {
    /// Opens the engine `spec` names and checks that it can run `settings.image`'s runs:
    /// that an endpoint answers, or that the embedded runtime opens and has the image.
    pub fn open(spec: &EngineSpec, settings: &Settings) -> Result<Target, BenchError> {
        match spec {
            EngineSpec::Unix(path) => Ok(Target::Api(probe::connect(path)?)),
            EngineSpec::Embedded => Ok(Target::Embedded(EmbeddedTarget::open(settings)?)),
        }
    }

    /// The engine's name in reports.
    pub fn name(&self) -> &str {
        match self {
            Target::Api(t) => &t.name,
            Target::Embedded(_) => "embedded",
        }
    }

    /// Runs `image` once and measures every phase.
    pub fn run_once(&self, image: &str, mode: Mode) -> Result<Sample, BenchError> {
        match self {
            Target::Api(t) => startup::run_once(t, image, mode),
            Target::Embedded(t) => t.run_once(image, mode),
        }
    }
}
