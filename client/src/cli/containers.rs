//! The container verbs that act on names one by one: `rm`, `start`, `stop`, `restart`,
//! `kill`, `wait` and `rename`. Each prints the name as given on success and the daemon's
//! error otherwise, and exits 1 when any failed, as the docker CLI does.

use clap::Args;
use serde_json::Value;

use crate::cli::session::encode;
use crate::cli::{CliError, Io, Session};

/// `rm [-f] [-v] CONTAINER...`.
#[derive(Debug, Clone, Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL).
    #[arg(short, long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container.
    #[arg(short, long)]
    pub volumes: bool,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// Runs `call` on each name, printing names and errors; answers whether one failed.
fn each(
    io: &mut Io<'_>,
    names: &[String],
    mut call: impl FnMut(&str) -> Result<(), CliError>,
    ignore_missing: bool,
) -> Result<Vec<String>, CliError> {
    let mut failed = Vec::new();
    for name in names {
        match call(name) {
            Ok(()) => writeln!(io.out, "{name}")?,
            Err(e @ CliError::Daemon { status, .. }) => {
                e.report(io, "", 1);
                if !(ignore_missing && status == 404) {
                    failed.push(name.clone());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(failed)
}

pub fn rm(session: &Session, args: &RmArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let failed = each(
        io,
        &args.containers,
        |name| {
            let path = format!(
                "/containers/{}?force={}&v={}",
                encode(name),
                u8::from(args.force),
                u8::from(args.volumes)
            );
            session.expect("DELETE", &path, None).map(drop)
        },
        args.force,
    )?;
    Ok(i32::from(!failed.is_empty()))
}

/// `start [-a] [-i] CONTAINER...`.
#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    /// Attach STDOUT/STDERR and forward signals.
    #[arg(short, long)]
    pub attach: bool,
    /// Attach container's STDIN.
    #[arg(short, long)]
    pub interactive: bool,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn start(session: &Session, args: &StartArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    if args.attach || args.interactive {
        if args.containers.len() > 1 {
            return Err(CliError::Message(
                "you cannot start and attach multiple containers at once".to_string(),
            ));
        }
        return crate::cli::run::start_attached(session, &args.containers[0], args.interactive, io);
    }
    let failed = each(
        io,
        &args.containers,
        |name| {
            let path = format!("/containers/{}/start", encode(name));
            session.expect("POST", &path, None).map(drop)
        },
        false,
    )?;
    if failed.is_empty() {
        return Ok(0);
    }
    Err(CliError::Message(format!(
        "Error: failed to start containers: {}",
        failed.join(", ")
    )))
}

/// `stop`/`restart [-t SECONDS] [-s SIGNAL] CONTAINER...`.
#[derive(Debug, Clone, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container.
    #[arg(short, long = "timeout", alias = "time")]
    pub time: Option<i64>,
    /// Signal to send to the container.
    #[arg(short, long)]
    pub signal: Option<String>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn stop(
    session: &Session,
    args: &StopArgs,
    io: &mut Io<'_>,
    verb: &str,
) -> Result<i32, CliError> {
    let mut query = Vec::new();
    if let Some(time) = args.time {
        query.push(format!("t={time}"));
    }
    if let Some(signal) = &args.signal {
        query.push(format!("signal={}", encode(signal)));
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    let failed = each(
        io,
        &args.containers,
        |name| {
            let path = format!("/containers/{}/{verb}{query}", encode(name));
            session.expect("POST", &path, None).map(drop)
        },
        false,
    )?;
    Ok(i32::from(!failed.is_empty()))
}

/// `kill [-s SIGNAL] CONTAINER...`.
#[derive(Debug, Clone, Args)]
pub struct KillArgs {
    /// Signal to send to the container.
    #[arg(short, long)]
    pub signal: Option<String>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn kill(session: &Session, args: &KillArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let query = args
        .signal
        .as_ref()
        .map(|s| format!("?signal={}", encode(s)))
        .unwrap_or_default();
    let failed = each(
        io,
        &args.containers,
        |name| {
            let path = format!("/containers/{}/kill{query}", encode(name));
            session.expect("POST", &path, None).map(drop)
        },
        false,
    )?;
    Ok(i32::from(!failed.is_empty()))
}

/// `wait CONTAINER...`.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn wait(session: &Session, args: &WaitArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let mut failed = false;
    for name in &args.containers {
        let path = format!("/containers/{}/wait", encode(name));
        match session.expect("POST", &path, None) {
            Ok(response) => {
                let code = response
                    .json()
                    .and_then(|v| v["StatusCode"].as_i64())
                    .unwrap_or(-1);
                writeln!(io.out, "{code}")?;
            }
            Err(e @ CliError::Daemon { .. }) => {
                failed = true;
                e.report(io, "", 1);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(i32::from(failed))
}

/// `rename CONTAINER NEW_NAME`.
#[derive(Debug, Clone, Args)]
pub struct RenameArgs {
    pub container: String,
    pub new_name: String,
}

pub fn rename(session: &Session, args: &RenameArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let old = args.container.trim();
    let new = args.new_name.trim();
    if old.is_empty() || new.is_empty() {
        return Err(CliError::Message(
            "Error: Neither old nor new names may be empty".to_string(),
        ));
    }
    let path = format!("/containers/{}/rename?name={}", encode(old), encode(new));
    match session.expect("POST", &path, None) {
        Ok(_) => Ok(0),
        Err(e @ CliError::Daemon { .. }) => {
            e.report(io, "", 1);
            Err(CliError::Message(format!(
                "Error: failed to rename container named {old}"
            )))
        }
        Err(e) => Err(e),
    }
}

/// `diff CONTAINER`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    pub container: String,
}

/// One `KIND PATH` line per change (`C`, `A`, `D`), as the daemon lists them.
pub fn diff(session: &Session, args: &DiffArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let path = format!("/containers/{}/changes", encode(&args.container));
    let changes = session.get_json(&path)?;
    for change in changes.as_array().map(Vec::as_slice).unwrap_or_default() {
        let letter = match change["Kind"].as_u64() {
            Some(0) => 'C',
            Some(1) => 'A',
            _ => 'D',
        };
        writeln!(
            io.out,
            "{letter} {}",
            change["Path"].as_str().unwrap_or_default()
        )?;
    }
    Ok(0)
}

/// `top CONTAINER [ps OPTIONS]`.
#[derive(Debug, Clone, Args)]
pub struct TopArgs {
    pub container: String,
    /// Options for the daemon's `ps` (default `-ef`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_args: Vec<String>,
}

/// The daemon's `ps` table, aligned as docker does (Go's tabwriter, cells at least 20 wide).
pub fn top(session: &Session, args: &TopArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let mut path = format!("/containers/{}/top", encode(&args.container));
    if !args.ps_args.is_empty() {
        path.push_str(&format!("?ps_args={}", encode(&args.ps_args.join(" "))));
    }
    let top = session.get_json(&path)?;
    let cells = |row: &Value| -> Vec<String> {
        row.as_array()
            .map(|cells| {
                cells
                    .iter()
                    .map(|c| c.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut rows = vec![cells(&top["Titles"])];
    rows.extend(
        top["Processes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(cells),
    );
    io.out
        .write_all(berth_format::tabwriter::tabwrite_min(&rows, 20).as_bytes())?;
    Ok(0)
}

/// `pause CONTAINER...` and `unpause CONTAINER...`.
#[derive(Debug, Clone, Args)]
pub struct PauseArgs {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// Pauses (or unpauses) each container, printing its name, or the daemon's error.
pub fn pause(
    session: &Session,
    args: &PauseArgs,
    io: &mut Io<'_>,
    verb: &str,
) -> Result<i32, CliError> {
    let failed = each(
        io,
        &args.containers,
        |name| {
            let path = format!("/containers/{}/{verb}", encode(name));
            session.expect("POST", &path, None).map(drop)
        },
        false,
    )?;
    Ok(i32::from(!failed.is_empty()))
}
