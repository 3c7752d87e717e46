//! `container prune` and `image prune` (reached through [`crate::cli::manage`]), printed as docker CLI 28 prints them: a confirmation
//! prompt unless `-f`, then what was deleted and `Total reclaimed space: SIZE`.

use std::io::BufRead;

use berth_format::units::human_size;
use clap::Args;
use serde_json::Value;

use crate::cli::ps::{filter_pair, filters_query};
use crate::cli::table::text;
use crate::cli::{CliError, Io, Session};

/// `container prune [-f] [--filter KEY=VALUE...]`.
#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. "until=<timestamp>").
    #[arg(long, value_parser = filter_pair)]
    pub filter: Vec<(String, String)>,
}

/// `image prune [-a] [-f] [--filter KEY=VALUE...]`.
#[derive(Debug, Clone, Args)]
pub struct ImagePruneArgs {
    /// Remove all unused images, not just dangling ones.
    #[arg(short, long)]
    pub all: bool,
    #[command(flatten)]
    pub prune: PruneArgs,
}

pub fn containers(session: &Session, args: &PruneArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    if !confirmed(
        args,
        "WARNING! This will remove all stopped containers.",
        io,
    )? {
        return Ok(0);
    }
    let path = with_filters("/containers/prune", &args.filter);
    let answer = session.expect("POST", &path, None)?;
    let report: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| CliError::Message(format!("invalid JSON from the daemon: {e}")))?;
    let deleted: Vec<&str> = report["ContainersDeleted"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !deleted.is_empty() {
        writeln!(io.out, "Deleted Containers:")?;
        for id in deleted {
            writeln!(io.out, "{id}")?;
        }
        writeln!(io.out)?;
    }
    total(&report, io)
}

pub fn images(session: &Session, args: &ImagePruneArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let warning = match args.all {
        true => "WARNING! This will remove all images without at least one container associated to them.",
        false => "WARNING! This will remove all dangling images.",
    };
    if !confirmed(&args.prune, warning, io)? {
        return Ok(0);
    }
    let mut filters = args.prune.filter.clone();
    // The CLI turns `-a` into the daemon's filter.
    filters.push(("dangling".into(), (!args.all).to_string()));
    let path = with_filters("/images/prune", &filters);
    let answer = session.expect("POST", &path, None)?;
    let report: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| CliError::Message(format!("invalid JSON from the daemon: {e}")))?;
    let deleted = report["ImagesDeleted"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !deleted.is_empty() {
        writeln!(io.out, "Deleted Images:")?;
        for record in &deleted {
            match (text(record, "Untagged"), text(record, "Deleted")) {
                (untagged, _) if !untagged.is_empty() => writeln!(io.out, "untagged: {untagged}")?,
                (_, deleted) => writeln!(io.out, "deleted: {deleted}")?,
            }
        }
        writeln!(io.out)?;
    }
    total(&report, io)
}

/// docker's prompt, unless `-f`: anything but `y`/`Y` on standard input cancels.
fn confirmed(args: &PruneArgs, warning: &str, io: &mut Io<'_>) -> Result<bool, CliError> {
    if args.force {
        return Ok(true);
    }
    write!(
        io.out,
        "{warning}\nAre you sure you want to continue? [y/N] "
    )?;
    io.out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y"))
}

fn total(report: &Value, io: &mut Io<'_>) -> Result<i32, CliError> {
    let bytes = report["SpaceReclaimed"].as_u64().unwrap_or(0);
    writeln!(
        io.out,
        "Total reclaimed space: {}",
        human_size(bytes as f64)
    )?;
    Ok(0)
}

fn with_filters(path: &str, pairs: &[(String, String)]) -> String {
    match filters_query(pairs) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    }
}
