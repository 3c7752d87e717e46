//! The `berth` command: argument parsing, wiring and printing only. Every behaviour lives in
//! the workspace crates (`berth-model`, `berth-runtime`, `berth-conformance`).

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "berth", version, about = "A Docker-compatible engine, a reference model of Docker, and a conformance harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the conformance suite (not implemented yet: see issue 6).
    Conform,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Conform => anyhow::bail!("berth conform is not implemented yet (issue 6)"),
    }
}
