//! The latency distribution per engine and phase as an SVG box plot, drawn with `plotters`:
//! one row per phase, one coloured box per engine in each row. Rendering only; it reads the
//! report and never measures.

use std::path::Path;

use plotters::prelude::*;

use crate::bench::error::BenchError;
use crate::bench::phases::Phase;
use crate::bench::report::Report;

/// Writes the plot of `report` to `path` as SVG.
pub fn write_svg(report: &Report, path: &Path) -> Result<(), BenchError> {
    draw(report, path).map_err(|why| BenchError::Output {
        path: path.to_path_buf(),
        why,
    })
}

/// The phases some engine measured, in table order, and the largest sample.
fn extent(report: &Report) -> (Vec<Phase>, f64) {
    let mut phases: Vec<Phase> = report
        .engines
        .iter()
        .flat_map(|e| e.phases.iter().map(|p| p.phase))
        .collect();
    phases.sort();
    phases.dedup();
    let max = report
        .engines
        .iter()
        .flat_map(|e| e.phases.iter().map(|p| p.summary.max))
        .fold(1.0, f64::max);
    (phases, max)
}

fn draw(report: &Report, path: &Path) -> Result<(), String> {
    let (phases, max) = extent(report);
    let names: Vec<&str> = phases.iter().map(|p| p.name()).collect();
    let height = 120 + 60 * names.len() as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let caption = format!(
        "{} start-up, {} runs, {:?} mode",
        report.image, report.runs, report.mode
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(0f32..(max * 1.05) as f32, names[..].into_segmented())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("milliseconds")
        .y_desc("phase")
        .y_labels(names.len())
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    let engines = report.engines.len() as i32;
    for (index, engine) in report.engines.iter().enumerate() {
        let style = Palette99::pick(index).mix(0.9);
        // Spread the engines' boxes across the row, centred on it.
        let offset = (index as i32 * 2 - (engines - 1)) * 12;
        let boxes = engine.phases.iter().map(|p| {
            let values: Vec<f64> = engine
                .samples
                .iter()
                .filter_map(|s| p.phase.of(s))
                .collect();
            let quartiles = Quartiles::new(&values);
            let name = names
                .iter()
                .find(|n| **n == p.phase.name())
                .expect("listed");
            Boxplot::new_horizontal(SegmentValue::CenterOf(name), &quartiles)
                .width(18)
                .whisker_width(0.5)
                .style(style)
                .offset(offset)
        });
        chart
            .draw_series(boxes)
            .map_err(|e| e.to_string())?
            .label(engine.engine.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], style.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.filled())
        .border_style(BLACK.mix(0.5))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::phases::Sample;
    use crate::bench::run::Measured;
    use crate::bench::settings::{EngineSpec, Mode, Settings};
    use crate::bench::startup::ApiTarget;
    use crate::bench::target::Target;

    #[test]
    fn the_plot_is_an_svg_with_every_phase_and_engine() {
        let sample = |scale: f64| Sample {
            pull: None,
            create: scale,
            start: 2.0 * scale,
            first_byte: Some(1.5 * scale),
            exit: 3.0 * scale,
            remove: scale,
            total: 4.0 * scale,
            exit_code: 0,
        };
        let settings = Settings {
            engines: vec![EngineSpec::Unix("/a.sock".into())],
            image: "hello-world".into(),
            runs: 3,
            warmup: 0,
            concurrency: 1,
            mode: Mode::Warm,
            registry: None,
            fixtures: "target/fixtures".into(),
        };
        let measured = Measured {
            targets: vec![Target::Api(ApiTarget::new(
                "engine-a",
                Path::new("/a.sock"),
            ))],
            samples: vec![vec![sample(1.0), sample(2.0), sample(3.0)]],
            wall_seconds: 1.0,
        };
        let report = Report::new(&settings, &measured);
        let path =
            std::env::temp_dir().join(format!("berth-bench-plot-{}.svg", std::process::id()));
        write_svg(&report, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for label in ["create", "first byte", "total", "engine-a"] {
            assert!(svg.contains(label), "{label} missing");
        }
    }
}
