//! The `berth` command: argument parsing, wiring and printing only. Every behaviour lives in
//! the workspace crates (`berth-model`, `berth-runtime`, `berth-conformance`, `berth-client`).

mod bench_cmd;
mod client_cmd;
mod conform_cmd;
mod daemon_cmd;
mod model_cmd;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "A Docker-compatible engine, a reference model of Docker, and a conformance harness"
)]
struct Cli {
    /// Where the daemon is, for the client verbs (`-H`, TLS flags).
    #[command(flatten)]
    client: berth_client::cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

// The command line is parsed once per process: a large variant costs nothing worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// The docker-compatible client verbs (`ps`, `run`, `pull`, ...), talking to a daemon.
    #[command(flatten)]
    Client(berth_client::cli::Verb),
    /// Answer a scenario of docker commands as the reference model does (profile docker-20.10),
    /// printing what the docker CLI would print.
    Model {
        /// A file of docker commands, one per line (`-` for standard input).
        scenario: PathBuf,
        /// The engine profile to answer as.
        #[arg(long, default_value = "docker-20.10")]
        profile: String,
        /// Seed for container IDs and generated names.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Run docker command sequences against the model and an engine and compare them.
    Conform(conform_cmd::ConformArgs),
    /// Benchmark an engine through the Engine API (`bench startup`).
    Bench(bench_cmd::BenchArgs),
    /// Run the Docker-compatible engine daemon (the Engine API on a unix socket or TLS).
    Daemon(daemon_cmd::DaemonArgs),
}

fn main() -> anyhow::Result<()> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // The client verbs word usage errors as docker does (and exit 125 or 1); the rest is
        // clap's.
        Err(e) => match berth_client::cli::usage_error(&e, &args, &Cli::command()) {
            Some(usage) => {
                eprint!("{}", usage.text);
                std::process::exit(usage.code);
            }
            None => e.exit(),
        },
    };
    match cli.command {
        Command::Model {
            scenario,
            profile,
            seed,
        } => {
            let code = model_cmd::run(&scenario, &profile, seed)?;
            std::process::exit(code);
        }
        Command::Client(verb) => std::process::exit(client_cmd::run(&cli.client, verb)),
        Command::Conform(args) => std::process::exit(conform_cmd::run(args)?),
        Command::Bench(args) => std::process::exit(bench_cmd::run(args)?),
        Command::Daemon(args) => daemon_cmd::run(args),
    }
}
