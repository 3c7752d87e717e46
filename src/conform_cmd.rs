//! `berth conform`: parse the flags, build the engines, run sessions, print and write reports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use berth_client::tls::{TlsFiles, TlsSettings};
use berth_client::transport::{Endpoint, Host};
use berth_conformance::api::ApiEngine;
use berth_conformance::cli_engine::CliEngine;
use berth_conformance::embedded::EmbeddedEngine;
use berth_conformance::engine::Engine;
use berth_conformance::known::{self, KnownDifference};
use berth_conformance::model_engine::ModelEngine;
use berth_conformance::scenario;
use berth_conformance::session::{
    run_generated, run_scenario, run_script, Settings, Shard, Summary,
};
use berth_conformance::{junit, merge, report};
use berth_model::mutation::Mutation;
use berth_model::{Catalog, Profile};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConformArgs {
    #[command(subcommand)]
    replay: Option<ReplayCommand>,
    /// Engines to check against the model: `unix:///path/to/docker.sock`, `tcp://host:port`
    /// (mutual TLS, see --tlscacert), `model` (a self-check), `mutant:NAME` (a deliberately
    /// broken model), or `embedded` (berth's runtime in process).
    #[arg(long = "engine")]
    engines: Vec<String>,
    /// Generated cases per engine (0 runs only the scenarios).
    #[arg(long, default_value_t = 20)]
    cases: usize,
    /// Commands per generated case, at most.
    #[arg(long, default_value_t = 15)]
    length: usize,
    /// The seed; the same seed and commit reproduce a run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Scenario files of docker commands, run against every engine (default: basics).
    #[arg(long = "scenario")]
    scenarios: Vec<PathBuf>,
    /// Write report.md, report.json and counterexamples here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The registry (host:port) the engines pull from, for remote-retag.
    #[arg(long)]
    registry: Option<String>,
    /// The fixture OCI layouts (to restore tags remote-retag moved).
    #[arg(long, default_value = "target/fixtures")]
    fixtures: PathBuf,
    /// The engine profile the model answers as.
    #[arg(long, default_value = "docker-20.10")]
    profile: String,
    /// Drive unix:// engines through this docker CLI binary and compare what it prints (texts,
    /// tables, exit codes) with the model's renderers, instead of comparing API answers.
    #[arg(long, value_name = "PATH")]
    cli: Option<PathBuf>,
    /// Replay every finding against a unix:// API engine through this docker CLI binary too,
    /// to tell the harness's client from the engine.
    #[arg(long, value_name = "PATH")]
    replay_cli: Option<PathBuf>,
    /// Run only the cases whose index is I-1 modulo N (scenarios run in shard 1); merge the
    /// shards' reports with `berth conform merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Run the cases in K jobs side by side, each its own engine (the shards of `--shard`, on
    /// threads, merged as `conform merge` merges them); only for engines of which a job can
    /// have its own: model, mutant:NAME and embedded.
    #[arg(long, default_value_t = 1, value_name = "K")]
    jobs: usize,
    /// Re-runs of each finding's shrunk script; a finding that does not show every time is
    /// reported as flaky.
    #[arg(long, default_value_t = 2)]
    reproduce: usize,
    /// Fail the run on flaky findings too.
    #[arg(long)]
    strict: bool,
    /// Write JUnit XML here (one testsuite per engine, one testcase per case and scenario).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Mutual TLS for `tcp://` engines, as dockerd and the docker CLI take it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Trust certs signed only by this CA (needed for tcp:// engines).
    #[arg(long, value_name = "PEM")]
    tlscacert: Option<PathBuf>,
    /// The client certificate tcp:// engines check.
    #[arg(long, value_name = "PEM")]
    tlscert: Option<PathBuf>,
    /// The client certificate's key.
    #[arg(long, value_name = "PEM")]
    tlskey: Option<PathBuf>,
}

/// A `tcp://host:port` engine: always over TLS, verified against `--tlscacert`.
fn tcp_endpoint(spec: &str, tls: &TlsArgs) -> anyhow::Result<Endpoint> {
    let host: Host = spec
        .parse()
        .with_context(|| format!("engine {spec}: not a tcp://host:port address"))?;
    let Some(ca) = tls.tlscacert.clone() else {
        bail!(
            "engine {spec}: tcp:// engines are reached over TLS only; give --tlscacert (and \
             --tlscert/--tlskey for a daemon that checks client certificates)"
        );
    };
    let files = TlsFiles {
        ca: Some(ca),
        cert: tls.tlscert.clone(),
        key: tls.tlskey.clone(),
    };
    let settings =
        TlsSettings::load(&files).with_context(|| format!("engine {spec}: TLS files"))?;
    Ok(Endpoint {
        host,
        tls: Some(Arc::new(settings)),
    })
}

#[derive(Debug, clap::Subcommand)]
enum ReplayCommand {
    /// Merge the reports of the shards of a campaign (`--shard I/N`) into one.
    Merge {
        /// Report directories written with --report.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long)]
        report: PathBuf,
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        #[arg(long)]
        strict: bool,
    },
    /// Replay a saved counterexample (counterexample-N.json) against an engine.
    Replay {
        trace: PathBuf,
        #[arg(long = "engine")]
        engine: String,
        #[arg(long)]
        registry: Option<String>,
        #[arg(long, default_value = "docker-20.10")]
        profile: String,
        /// Replay through this docker CLI binary (as `berth conform --cli`).
        #[arg(long, value_name = "PATH")]
        cli: Option<PathBuf>,
        #[command(flatten)]
        tls: TlsArgs,
    },
}

fn mutation(name: &str) -> anyhow::Result<Mutation> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .with_context(|| format!("unknown mutant {name:?}: known are {:?}", Mutation::ALL))
}

/// Builds an engine from its spec, and the model it is compared with.
fn engine(
    spec: &str,
    profile: Profile,
    registry: Option<String>,
    fixtures: &Path,
    cli: Option<&Path>,
    tls: &TlsArgs,
) -> anyhow::Result<(Box<dyn Engine>, ModelEngine)> {
    let catalog = Catalog::fixtures();
    if cli.is_some() && !spec.starts_with("unix://") {
        bail!("engine {spec}: --cli drives only unix:// engines (a CLI needs a daemon to talk to)");
    }
    if let Some(socket) = spec.strip_prefix("unix://") {
        if !Path::new(socket).exists() {
            bail!("engine {spec}: no socket at {socket} (is the engine running?)");
        }
        let name = if socket.contains("berth-ref") {
            "dockerd".to_string()
        } else {
            spec.to_string()
        };
        let api = ApiEngine::new(&name, Path::new(socket), registry).with_fixtures(fixtures);
        let model = ModelEngine::new(profile, catalog, 0);
        if let Some(cli) = cli {
            if !cli.is_file() {
                bail!("--cli {}: no such file", cli.display());
            }
            let driven = CliEngine::new(api, cli, Path::new(socket))?;
            return Ok((Box::new(driven), model));
        }
        return Ok((Box::new(api), model));
    }
    if spec == "model" || spec.starts_with("mutant:") {
        let mutant = spec.strip_prefix("mutant:").map(mutation).transpose()?;
        let reference = ModelEngine::rendering(profile, catalog.clone(), 0, None);
        return Ok((
            Box::new(ModelEngine::rendering(profile, catalog, 0, mutant)),
            reference,
        ));
    }
    if spec == "embedded" {
        let probe = fixtures.join("hello-world/index.json");
        if registry.is_none() && !probe.exists() {
            bail!(
                "engine embedded: no fixture images in {} (build them with scripts/fixtures, \
                 or pull from a registry with --registry HOST:PORT)",
                fixtures.display()
            );
        }
        let embedded = EmbeddedEngine::new(fixtures, registry)
            .context("starting the embedded runtime (it needs root)")?;
        return Ok((Box::new(embedded), ModelEngine::new(profile, catalog, 0)));
    }
    if spec.starts_with("tcp://") {
        let endpoint = tcp_endpoint(spec, tls)?;
        let api = ApiEngine::with_endpoint(spec, endpoint, registry).with_fixtures(fixtures);
        return Ok((Box::new(api), ModelEngine::new(profile, catalog, 0)));
    }
    bail!(
        "unknown engine {spec:?}: use unix:///path/to/docker.sock, tcp://host:port, model, \
         mutant:NAME or embedded"
    )
}

/// Prints and writes the reports; the exit code says whether any finding fails the run.
fn finish(
    summaries: &[Summary],
    dir: Option<&Path>,
    junit_file: Option<&Path>,
    strict: bool,
) -> anyhow::Result<i32> {
    print!("{}", report::table(summaries));
    println!("\n{}", report::matrix(summaries));
    if let Some(dir) = dir {
        report::write(dir, summaries)
            .with_context(|| format!("writing the report to {}", dir.display()))?;
        println!("report written to {}", dir.display());
    }
    if let Some(file) = junit_file {
        std::fs::write(file, junit::junit(summaries, strict))
            .with_context(|| format!("writing {}", file.display()))?;
    }
    let disagreements: usize = summaries.iter().map(Summary::disagreements).sum();
    let failing: usize = summaries.iter().map(|s| s.failing(strict)).sum();
    let flaky: usize = summaries.iter().map(|s| s.findings.len()).sum::<usize>()
        - summaries.iter().map(|s| s.failing(false)).sum::<usize>();
    println!(
        "{disagreements} disagreement(s); {failing} finding(s) fail the run, {flaky} flaky{}",
        if strict { " (--strict)" } else { "" }
    );
    Ok(i32::from(failing > 0))
}

fn merge_reports(
    dirs: &[PathBuf],
    out: &Path,
    junit_file: Option<&Path>,
    strict: bool,
) -> anyhow::Result<i32> {
    let shards = dirs
        .iter()
        .map(|d| report::read(d).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    finish(&merge::merge(shards), Some(out), junit_file, strict)
}

/// Replays each finding's shrunk script through the docker CLI, against the same socket.
fn replay_through_cli(summary: &mut Summary, socket: &str, cli: &Path, registry: Option<String>) {
    for f in &mut summary.findings {
        let api = ApiEngine::new(&summary.engine, Path::new(socket), registry.clone());
        let outcome = CliEngine::new(api, cli, Path::new(socket)).and_then(|mut engine| {
            let mut model = ModelEngine::new(Profile::Docker2010, Catalog::fixtures(), 0);
            run_script(
                &mut model,
                &mut engine,
                &f.counterexample.templates,
                &known::shipped(),
            )
        });
        f.cli_replay = Some(match outcome {
            Ok(s) if s.disagreements() > 0 => format!(
                "reproduced ({})",
                s.findings
                    .iter()
                    .map(|f| f.signature.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Ok(_) => "not reproduced: the docker CLI agrees with the model".into(),
            Err(e) => format!("could not replay: {e}"),
        });
    }
}

pub fn run(args: ConformArgs) -> anyhow::Result<i32> {
    if let Some(ReplayCommand::Merge {
        dirs,
        report,
        junit,
        strict,
    }) = &args.replay
    {
        return merge_reports(dirs, report, junit.as_deref(), *strict);
    }
    if let Some(ReplayCommand::Replay {
        trace,
        engine,
        registry,
        profile,
        cli,
        tls,
    }) = args.replay
    {
        return replay(&trace, &engine, registry, &profile, cli.as_deref(), &tls);
    }
    let profile: Profile = args.profile.parse()?;
    let engines = if args.engines.is_empty() {
        vec!["embedded".to_string()]
    } else {
        args.engines.clone()
    };
    let mut scripts = Vec::new();
    for path in &args.scenarios {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let commands = scenario::parse(&path.display().to_string(), &text)?;
        scripts.push(commands.iter().map(|c| c.to_shell()).collect::<Vec<_>>());
    }
    if scripts.is_empty() {
        scripts.push(scenario::basics().iter().map(|c| c.to_shell()).collect());
    }
    let known = known::shipped();
    let mut settings = Settings::new(args.cases, args.length, args.seed);
    settings.reproduce = args.reproduce;
    settings.shard = args.shard.unwrap_or_default();
    println!(
        "berth conform: profile {profile}, seed {}, {} cases of up to {} commands, {} scenario(s)",
        args.seed,
        args.cases,
        args.length,
        scripts.len()
    );
    let jobs = args.jobs.max(1);
    if jobs > 1 {
        if args.shard.is_some() {
            bail!("--jobs and --shard both split the campaign: use one of them");
        }
        if let Some(shared) = engines.iter().find(|s| !runs_side_by_side(s)) {
            bail!(
                "--jobs {jobs}: engine {shared} is one engine every job would share; cases run \
                 side by side only on model, mutant:NAME and embedded (each job gets its own)"
            );
        }
    }
    let mut summaries = Vec::new();
    for spec in &engines {
        let first = summaries.len();
        if jobs == 1 {
            summaries.extend(run_engine(
                spec, &args, profile, &settings, &scripts, &known, true,
            )?);
        } else {
            let per_job = std::thread::scope(|scope| {
                let handles: Vec<_> = (1..=jobs)
                    .map(|index| {
                        let mut settings = settings.clone();
                        settings.shard = Shard { index, count: jobs };
                        let (args, scripts, known) = (&args, &scripts, &known);
                        scope.spawn(move || {
                            run_engine(spec, args, profile, &settings, scripts, known, false)
                                .map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| Err("a job panicked".into())))
                    .collect::<Result<Vec<_>, String>>()
            })
            .map_err(anyhow::Error::msg)?;
            summaries.extend(merge::merge(per_job));
        }
        if let (Some(cli), Some(socket)) = (&args.replay_cli, spec.strip_prefix("unix://")) {
            for summary in &mut summaries[first..] {
                replay_through_cli(summary, socket, cli, args.registry.clone());
            }
        }
    }
    finish(
        &summaries,
        args.report.as_deref(),
        args.junit.as_deref(),
        args.strict,
    )
}

/// Engines of which each `--jobs` job can have its own.
fn runs_side_by_side(spec: &str) -> bool {
    spec == "model" || spec == "embedded" || spec.starts_with("mutant:")
}

/// One engine's part of a campaign (`settings.shard`'s cases, and the scenarios in shard 1),
/// on an engine of its own, left as a later run expects to find it.
fn run_engine(
    spec: &str,
    args: &ConformArgs,
    profile: Profile,
    settings: &Settings,
    scripts: &[Vec<String>],
    known: &[KnownDifference],
    show_progress: bool,
) -> anyhow::Result<Vec<Summary>> {
    let (mut engine, mut model) = engine(
        spec,
        profile,
        args.registry.clone(),
        &args.fixtures,
        args.cli.as_deref(),
        &args.tls,
    )?;
    let mut summaries = Vec::new();
    if settings.shard.index == 1 {
        for (i, script) in scripts.iter().enumerate() {
            summaries.push(run_scenario(
                &mut model,
                engine.as_mut(),
                script,
                known,
                settings,
                i,
            )?);
        }
    }
    if settings.cases > 0 {
        let tty = show_progress && std::io::stderr().is_terminal();
        let mut progress = |i: usize, s: &Summary| {
            if tty {
                eprint!(
                    "\r{spec}: case {}/{} ({} steps, {} counterexamples)  ",
                    i + 1,
                    settings.cases,
                    s.steps,
                    s.findings.len()
                );
            }
        };
        summaries.push(run_generated(
            &mut model,
            engine.as_mut(),
            settings,
            known,
            &mut progress,
        )?);
        if tty {
            eprintln!();
        }
    }
    // Leave the engine (and the registry's tags) as a later run expects to find them.
    engine.reset()?;
    Ok(summaries)
}

fn replay(
    trace: &Path,
    spec: &str,
    registry: Option<String>,
    profile: &str,
    cli: Option<&Path>,
    tls: &TlsArgs,
) -> anyhow::Result<i32> {
    let text =
        std::fs::read_to_string(trace).with_context(|| format!("reading {}", trace.display()))?;
    let cx: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", trace.display()))?;
    let templates: Vec<String> =
        serde_json::from_value(cx["templates"].clone()).context("the trace has no templates")?;
    let (mut engine, mut model) = engine(
        spec,
        profile.parse()?,
        registry,
        Path::new("target/fixtures"),
        cli,
        tls,
    )?;
    let summary = run_script(&mut model, engine.as_mut(), &templates, &known::shipped())?;
    print!("{}", report::table(std::slice::from_ref(&summary)));
    let still = summary.findings.first().map(|f| f.origin.clone());
    println!(
        "{}",
        match &still {
            Some(at) => format!("reproduced: disagreement at {at}"),
            None => "not reproduced: every step agrees".to_string(),
        }
    );
    Ok(i32::from(still.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ConformArgs,
    }

    /// The report without what depends on the clock.
    fn report_of(dir: &Path) -> serde_json::Value {
        fn untimed(v: serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Object(map) => map
                    .into_iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "seconds" | "slowest"))
                    .map(|(k, v)| (k, untimed(v)))
                    .collect(),
                serde_json::Value::Array(items) => items.into_iter().map(untimed).collect(),
                other => other,
            }
        }
        let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
        untimed(serde_json::from_str(&text).unwrap())
    }

    fn conform(extra: &[&str], report: &Path) -> i32 {
        let mut argv = vec!["conform", "--engine", "model", "--cases", "9", "--report"];
        argv.push(report.to_str().unwrap());
        argv.extend_from_slice(extra);
        run(Cli::try_parse_from(argv).unwrap().args).unwrap()
    }

    /// Three jobs write the report one job writes; a shared engine is refused before any case.
    #[test]
    fn jobs_split_the_cases_and_merge_into_the_single_run() {
        let dir = tempfile::tempdir().unwrap();
        let (one, three) = (dir.path().join("one"), dir.path().join("three"));
        assert_eq!(conform(&[], &one), 0);
        assert_eq!(conform(&["--jobs", "3"], &three), 0);
        assert_eq!(report_of(&one), report_of(&three));
        let shared =
            Cli::try_parse_from(["conform", "--engine", "unix:///nowhere.sock", "--jobs", "2"])
                .unwrap();
        let e = run(shared.args).unwrap_err().to_string();
        assert!(e.contains("one engine every job would share"), "{e}");
    }
}
