//! `berth bench`: parse the flags, run the benchmark, print the table or JSON and write the
//! plot. Every measurement lives in `berth_conformance::bench`.

use std::path::PathBuf;

use anyhow::Context;
use berth_conformance::bench::{self, report, RawSettings, Settings};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BenchCommand {
    /// Measure container start-up latency through the Engine API, phase by phase.
    Startup(StartupArgs),
}

#[derive(Debug, clap::Args)]
struct StartupArgs {
    /// The engine: `unix:///path/to/docker.sock` (berth's daemon, dockerd, podman) or
    /// `embedded` (berth's runtime in process, as root).
    #[arg(long)]
    engine: Option<String>,
    /// Alternate runs of two engines (A B A B ...) and report the ratio A/B pair by pair.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    compare: Vec<String>,
    /// The image to run.
    #[arg(long, default_value = "hello-world")]
    image: String,
    /// Measured runs (per engine).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
    runs: i64,
    /// Unmeasured runs first (per engine).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    warmup: i64,
    /// Client threads running at once.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    concurrency: i64,
    /// `warm` (image present) or `cold` (remove the image and pull it before every run).
    #[arg(long, default_value = "warm")]
    mode: String,
    /// Print the report as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Write the latency distribution per engine and phase as SVG to this file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// The registry (host:port) the embedded engine pulls from, as a Docker Hub mirror;
    /// needed for cold runs. Endpoints pull with their own configuration.
    #[arg(long)]
    registry: Option<String>,
    /// The fixture OCI layouts the embedded engine loads images from without a registry.
    #[arg(long, default_value = "target/fixtures")]
    fixtures: PathBuf,
}

pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    match args.what {
        BenchCommand::Startup(args) => startup(args),
    }
}

fn startup(args: StartupArgs) -> anyhow::Result<i32> {
    let settings = Settings::resolve(&RawSettings {
        engine: args.engine,
        compare: args.compare,
        image: args.image,
        runs: args.runs,
        warmup: args.warmup,
        concurrency: args.concurrency,
        mode: args.mode,
        registry: args.registry,
        fixtures: args.fixtures,
    })?;
    let report = bench::run(&settings).context("bench startup")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::render(&report));
    }
    if let Some(path) = &args.plot {
        bench::plot::write_svg(&report, path)?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(0)
}
