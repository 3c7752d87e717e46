//! What a benchmark reports: per engine and phase the summary of its samples, the throughput,
//! and for a comparison the pair-by-pair ratios. It serialises to JSON as is and renders the
//! terminal table; it never measures anything itself.

use std::fmt::Write;

use crate::bench::phases::{Phase, Sample};
use crate::bench::run::Measured;
use crate::bench::settings::{Mode, Settings};
use crate::bench::stats::{geometric_mean, pair_ratios, summarise, Summary};

/// The whole benchmark's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub image: String,
    pub mode: Mode,
    pub runs: usize,
    pub warmup: usize,
    pub concurrency: usize,
    /// Wall time of the measured runs (all engines), in seconds.
    pub wall_seconds: f64,
    /// Measured runs (of all engines) completed per second of wall time.
    pub throughput_runs_per_second: f64,
    pub engines: Vec<EngineReport>,
    pub comparison: Option<Comparison>,
}

/// One engine's summaries, in milliseconds, and its raw samples in run order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EngineReport {
    pub engine: String,
    pub phases: Vec<PhaseSummary>,
    pub samples: Vec<Sample>,
}

/// One phase's summary, in milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseSummary {
    pub phase: Phase,
    pub summary: Summary,
}

/// The ratio A / B of each phase, taken pair by pair, summarised.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub phases: Vec<RatioSummary>,
}

/// One phase's ratios A / B over all pairs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RatioSummary {
    pub phase: Phase,
    pub ratios: Summary,
    pub geometric_mean: f64,
}

impl Report {
    pub fn new(settings: &Settings, measured: &Measured) -> Report {
        let engines: Vec<EngineReport> = measured
            .targets
            .iter()
            .zip(&measured.samples)
            .map(|(target, samples)| engine_report(target.name(), samples))
            .collect();
        let total_runs: usize = measured.samples.iter().map(Vec::len).sum();
        let comparison = match measured.samples.as_slice() {
            [a, b] => Some(compare(&engines[0].engine, a, &engines[1].engine, b)),
            _ => None,
        };
        Report {
            image: settings.image.clone(),
            mode: settings.mode,
            runs: settings.runs,
            warmup: settings.warmup,
            concurrency: settings.concurrency,
            wall_seconds: measured.wall_seconds,
            throughput_runs_per_second: total_runs as f64 / measured.wall_seconds.max(1e-9),
            engines,
            comparison,
        }
    }
}

/// The values of one phase over samples, skipping runs that had no such phase.
fn values(samples: &[Sample], phase: Phase) -> Vec<f64> {
    samples.iter().filter_map(|s| phase.of(s)).collect()
}

fn engine_report(engine: &str, samples: &[Sample]) -> EngineReport {
    let phases = Phase::ALL
        .iter()
        .filter_map(|&phase| {
            summarise(&values(samples, phase)).map(|summary| PhaseSummary { phase, summary })
        })
        .collect();
    EngineReport {
        engine: engine.to_string(),
        phases,
        samples: samples.to_vec(),
    }
}

fn compare(a_name: &str, a: &[Sample], b_name: &str, b: &[Sample]) -> Comparison {
    let phases = Phase::ALL
        .iter()
        .filter_map(|&phase| {
            // Pairs stay aligned only when both runs had the phase, so pair before filtering.
            let pairs: (Vec<f64>, Vec<f64>) = a
                .iter()
                .zip(b)
                .filter_map(|(x, y)| Some((phase.of(x)?, phase.of(y)?)))
                .unzip();
            let ratios = pair_ratios(&pairs.0, &pairs.1);
            Some(RatioSummary {
                phase,
                ratios: summarise(&ratios)?,
                geometric_mean: geometric_mean(&ratios)?,
            })
        })
        .collect();
    Comparison {
        a: a_name.to_string(),
        b: b_name.to_string(),
        phases,
    }
}

/// The terminal table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "image {}, {} mode, {} runs after {} warmup, concurrency {}",
        report.image,
        match report.mode {
            Mode::Warm => "warm",
            Mode::Cold => "cold",
        },
        report.runs,
        report.warmup,
        report.concurrency
    );
    out.push_str(
        "create..exit: ms from the run's first request; pull, remove: that call alone; total: \
         the whole run\n",
    );
    // In a comparison both sides may be the same endpoint, so the header says which side.
    let sides = match report.engines.len() {
        2 => ["A: ", "B: "],
        _ => ["", ""],
    };
    for (engine, side) in report.engines.iter().zip(sides) {
        let _ = writeln!(out, "\n{side}{}", engine.engine);
        let _ = writeln!(
            out,
            "  {:<11} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "phase (ms)", "n", "min", "p50", "p90", "p99", "max"
        );
        for phase in &engine.phases {
            let s = phase.summary;
            let _ = writeln!(
                out,
                "  {:<11} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                phase.phase.name(),
                s.count,
                s.min,
                s.p50,
                s.p90,
                s.p99,
                s.max
            );
        }
    }
    if let Some(comparison) = &report.comparison {
        render_comparison(&mut out, comparison);
    }
    let _ = writeln!(
        out,
        "\nthroughput: {:.2} runs/s ({} runs in {:.2} s with {} client threads)",
        report.throughput_runs_per_second,
        report
            .engines
            .iter()
            .map(|e| e.samples.len())
            .sum::<usize>(),
        report.wall_seconds,
        report.concurrency
    );
    out
}

fn render_comparison(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(
        out,
        "\nratio A/B pair by pair (A = {}, B = {})",
        comparison.a, comparison.b
    );
    let _ = writeln!(
        out,
        "  {:<11} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "phase", "pairs", "min", "p50", "p90", "max", "geomean"
    );
    for phase in &comparison.phases {
        let r = phase.ratios;
        let _ = writeln!(
            out,
            "  {:<11} {:>5} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3}",
            phase.phase.name(),
            r.count,
            r.min,
            r.p50,
            r.p90,
            r.max,
            phase.geometric_mean
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(scale: f64) -> Sample {
        Sample {
            pull: None,
            create: scale,
            start: 2.0 * scale,
            first_byte: Some(3.0 * scale),
            exit: 4.0 * scale,
            remove: scale,
            total: 5.0 * scale,
            exit_code: 0,
        }
    }

    #[test]
    fn comparisons_divide_pair_by_pair() {
        // The second pair ran on a machine twice as slow; each pair still says A is 2x B.
        let a = [sample(2.0), sample(4.0)];
        let b = [sample(1.0), sample(2.0)];
        let comparison = compare("a", &a, "b", &b);
        let total = comparison
            .phases
            .iter()
            .find(|p| p.phase == Phase::Total)
            .unwrap();
        assert_eq!((total.ratios.min, total.ratios.max), (2.0, 2.0));
        assert!((total.geometric_mean - 2.0).abs() < 1e-12);
        assert!(comparison.phases.iter().all(|p| p.phase != Phase::Pull));
    }

    #[test]
    fn the_table_lists_every_measured_phase() {
        let report = engine_report("unix:///x.sock", &[sample(1.0), sample(3.0)]);
        let names: Vec<_> = report.phases.iter().map(|p| p.phase.name()).collect();
        assert_eq!(
            names,
            ["create", "start", "first byte", "exit", "remove", "total"]
        );
        assert_eq!(report.phases[0].summary.p50, 1.0);
    }
}
