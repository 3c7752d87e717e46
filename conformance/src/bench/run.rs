//! Runs a benchmark: probe every engine, warm each up, then hand run indexes to K client
//! threads. With two engines each index is a pair run back to back (A then B), so whatever the
//! machine is doing at that moment weighs on both sides of the pair's ratio alike. The first
//! failing run stops every thread and is the benchmark's error.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::bench::error::BenchError;
use crate::bench::phases::Sample;
use crate::bench::report::Report;
use crate::bench::settings::Settings;
use crate::bench::target::Target;

/// The samples of every engine, indexed by run (pair) number, and the measured wall time.
#[derive(Debug)]
pub struct Measured {
    pub targets: Vec<Target>,
    pub samples: Vec<Vec<Sample>>,
    pub wall_seconds: f64,
}

/// Runs the whole benchmark and summarises it.
pub fn run(settings: &Settings) -> Result<Report, BenchError> {
    let targets = settings
        .engines
        .iter()
        .map(|spec| Target::open(spec, settings))
        .collect::<Result<Vec<_>, _>>()?;
    warm_up(&targets, settings)?;
    let measured = measure(targets, settings)?;
    Ok(Report::new(settings, &measured))
}

fn warm_up(targets: &[Target], settings: &Settings) -> Result<(), BenchError> {
    for _ in 0..settings.warmup {
        for target in targets {
            target.run_once(&settings.image, settings.mode)?;
        }
    }
    Ok(())
}

/// One run index and the sample of every engine for it, in engine order.
type Row = (usize, Vec<Sample>);

/// Shared between the client threads: the next run index, a stop flag and the results.
struct Work<'a> {
    targets: &'a [Target],
    settings: &'a Settings,
    next: AtomicUsize,
    failed: AtomicBool,
    results: Mutex<Vec<Result<Row, BenchError>>>,
}

impl Work<'_> {
    /// One client thread: takes run indexes until there are none left or a run failed.
    fn client(&self) {
        while !self.failed.load(Ordering::SeqCst) {
            let index = self.next.fetch_add(1, Ordering::SeqCst);
            if index >= self.settings.runs {
                return;
            }
            let outcome = self.one_index(index);
            self.failed.fetch_or(outcome.is_err(), Ordering::SeqCst);
            self.results
                .lock()
                .expect("a client thread panicked")
                .push(outcome);
        }
    }

    /// One run of every engine, in order.
    fn one_index(&self, index: usize) -> Result<Row, BenchError> {
        let samples = self
            .targets
            .iter()
            .map(|target| target.run_once(&self.settings.image, self.settings.mode))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((index, samples))
    }
}

fn measure(targets: Vec<Target>, settings: &Settings) -> Result<Measured, BenchError> {
    let work = Work {
        targets: &targets,
        settings,
        next: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        results: Mutex::new(Vec::new()),
    };
    let began = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..settings.concurrency {
            scope.spawn(|| work.client());
        }
    });
    let wall_seconds = began.elapsed().as_secs_f64();
    let mut done = work
        .results
        .into_inner()
        .expect("a client thread panicked")
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    done.sort_by_key(|(index, _)| *index);
    let samples = transpose(targets.len(), done.into_iter().map(|(_, s)| s));
    Ok(Measured {
        targets,
        samples,
        wall_seconds,
    })
}

/// Turns per-index rows (one sample per engine) into one column of samples per engine.
fn transpose(engines: usize, rows: impl Iterator<Item = Vec<Sample>>) -> Vec<Vec<Sample>> {
    let mut columns = vec![Vec::new(); engines];
    for row in rows {
        for (column, sample) in columns.iter_mut().zip(row) {
            column.push(sample);
        }
    }
    columns
}
