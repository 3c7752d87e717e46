//! One measured run on berth's runtime in process: the library calls the daemon makes for
//! `docker run`, timed the way `startup.rs` times the Engine API: create (pulling first on a
//! missing image in cold runs), attach before start, start, first output byte, exit, remove.
//! What this leaves out compared with an endpoint is exactly the HTTP and the client, so the
//! two side by side show what the API layer costs.

use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{AttachOptions, CreateOptions, WaitCondition};

use crate::bench::error::BenchError;
use crate::bench::phases::Sample;
use crate::bench::settings::{Mode, Settings};
use crate::embedded::EmbeddedEngine;

/// How long one run may take before the benchmark calls the engine stuck.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// berth's runtime over a temporary root, with the benchmark's image available.
#[derive(Debug)]
pub struct EmbeddedTarget {
    engine: EmbeddedEngine,
}

fn failed(why: impl std::fmt::Display) -> BenchError {
    BenchError::Embedded {
        why: why.to_string(),
    }
}

/// Milliseconds from `since` to now.
fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl EmbeddedTarget {
    /// Opens the runtime (root needed) and, for warm runs, provides the image once.
    pub fn open(settings: &Settings) -> Result<EmbeddedTarget, BenchError> {
        let engine = EmbeddedEngine::new(&settings.fixtures, settings.registry.clone())
            .map_err(|e| failed(format!("{e} (the runtime needs root)")))?;
        let target = EmbeddedTarget { engine };
        if settings.mode == Mode::Warm {
            target.provide(&settings.image)?;
        }
        Ok(target)
    }

    fn provide(&self, image: &str) -> Result<(), BenchError> {
        self.engine
            .provide_image(image)
            .map_err(|why| BenchError::ImageMissing {
                engine: "embedded".into(),
                image: image.to_string(),
                why,
            })
    }

    /// Runs `image` once; see the module doc for what each phase covers.
    pub fn run_once(&self, image: &str, mode: Mode) -> Result<Sample, BenchError> {
        let runtime = self.engine.runtime();
        if mode == Mode::Cold {
            match runtime.rmi(image, true) {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(failed(e)),
                _ => {}
            }
        }
        let options = || CreateOptions {
            image: image.to_string(),
            attach_stdout: true,
            attach_stderr: true,
            ..CreateOptions::default()
        };
        let began = Instant::now();
        let mut pull = None;
        let id = match runtime.create(options()) {
            Ok(id) => id,
            Err(e) if e.kind() == ErrorKind::NotFound && mode == Mode::Cold => {
                let pulling = Instant::now();
                self.provide(image)?;
                pull = Some(ms(pulling));
                runtime.create(options()).map_err(failed)?
            }
            Err(e) => return Err(failed(e)),
        };
        let create = ms(began);
        let attach = AttachOptions {
            stdout: true,
            stderr: true,
            stream: true,
            ..AttachOptions::default()
        };
        let mut attached = runtime.attach(id.as_str(), attach).map_err(failed)?;
        if let Err(e) = runtime.start(id.as_str()) {
            let _ = runtime.rm(id.as_str(), true);
            return Err(failed(e));
        }
        let start = ms(began);
        let mut first_byte = None;
        while let Some(output) = attached.output.blocking_recv() {
            if first_byte.is_none() && !output.bytes.is_empty() {
                first_byte = Some(ms(began));
            }
        }
        let outcome = runtime
            .wait(
                id.as_str(),
                WaitCondition::NotRunning,
                Some(Instant::now() + RUN_DEADLINE),
            )
            .map_err(failed)?
            .ok_or_else(|| failed(format!("{id} still runs after {RUN_DEADLINE:?}")))?;
        let exit = ms(began);
        let removing = Instant::now();
        runtime.rm(id.as_str(), false).map_err(failed)?;
        Ok(Sample {
            pull,
            create,
            start,
            first_byte,
            exit,
            remove: ms(removing),
            total: ms(began),
            exit_code: i64::from(outcome.status_code),
        })
    }
}
