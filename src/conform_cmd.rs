//! `berth conform`: parse the flags, build the engines, run, print.

use std::path::PathBuf;

use anyhow::{bail, Context};
use berth_conformance::api::ApiEngine;
use berth_conformance::engine::Engine;
use berth_conformance::known;
use berth_conformance::model_engine::ModelEngine;
use berth_conformance::runner::{run_case, Verdict};
use berth_conformance::scenario;
use berth_model::{Catalog, Profile};

#[derive(Debug, clap::Args)]
pub struct ConformArgs {
    /// The engine to check against the model: unix:///path/to/docker.sock.
    #[arg(long)]
    engine: String,
    /// A scenario file of docker commands (default: the shipped basics scenario).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The registry (host:port) the engine pulls from, for remote-retag.
    #[arg(long)]
    registry: Option<String>,
    /// The engine profile the model answers as.
    #[arg(long, default_value = "docker-20.10")]
    profile: String,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: ConformArgs) -> anyhow::Result<i32> {
    let profile: Profile = args.profile.parse()?;
    let Some(socket) = args.engine.strip_prefix("unix://") else {
        bail!(
            "unsupported engine {:?}: use unix:///path/to/socket",
            args.engine
        );
    };
    let commands = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            scenario::parse(&path.display().to_string(), &text)?
        }
        None => scenario::basics(),
    };
    let mut engine = ApiEngine::new(
        "dockerd",
        std::path::Path::new(socket),
        args.registry.clone(),
    );
    let mut model = ModelEngine::new(profile, Catalog::fixtures(), args.seed);
    let started = std::time::Instant::now();
    let record = run_case(&mut model, &mut engine, &commands, &known::shipped())?;
    eprintln!("took {:?}", started.elapsed());
    if std::env::var_os("BERTH_CONFORM_DUMP").is_some() {
        println!("{}", serde_json::to_string_pretty(&record)?);
    }
    let mut failed = 0;
    for step in &record.steps {
        let mark = match &step.verdict {
            Verdict::Agree => "agree".to_string(),
            Verdict::Known { id } => format!("known ({id})"),
            Verdict::Inconclusive { reason } => format!("inconclusive ({reason})"),
            Verdict::Disagree { diff } => {
                failed += 1;
                format!("DISAGREE\n{diff}")
            }
        };
        println!("{:<70} {mark}", step.command);
    }
    println!(
        "{} steps against {}: {} disagreement(s)",
        record.steps.len(),
        engine.name(),
        failed
    );
    Ok(i32::from(failed > 0))
}
