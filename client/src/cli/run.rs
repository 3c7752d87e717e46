//! `run` and `start -a`, in the docker CLI 28 order: create (pulling the image once when the
//! daemon does not have it), attach, register the wait, start, copy the output (demultiplexed
//! unless there is a TTY) and exit with the container's exit code. Errors print as
//! `berth: Error response from daemon: ...` with the hint line and exit 125, 126 or 127.

use std::io::Read;

use berth_format::exit_code::run_exit_code;
use berth_format::reference::Reference;
use clap::Args;
use serde_json::Value;

use crate::cli::create_body::{self, CreateFlags};
use crate::cli::progress::{terminal_width, Display};
use crate::cli::pull::{parse_image, pull_image};
use crate::cli::session::encode;
use crate::cli::{CliError, Io, Session};
use crate::http::{Client, Response};
use crate::mux::copy_demultiplexed;
use crate::transport::Connection;

/// The program name where docker prints `docker`.
const PROGRAM: &str = "berth";

/// `run [OPTIONS] IMAGE [COMMAND] [ARG...]`: `create`'s options and `-d`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Run container in background and print container ID.
    #[arg(short, long)]
    pub detach: bool,
    #[command(flatten)]
    pub options: CreateArgs,
}

/// `create [OPTIONS] IMAGE [COMMAND] [ARG...]`.
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Automatically remove the container and its associated anonymous volumes when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// Set environment variables.
    #[arg(short, long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables.
    #[arg(long = "env-file")]
    pub env_file: Vec<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Username or UID (format: "<name|uid>[:<group|gid>]").
    #[arg(short, long)]
    pub user: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Keep STDIN open even if not attached.
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// Memory limit.
    #[arg(short, long)]
    pub memory: Option<String>,
    /// Tune container pids limit (set -1 for unlimited).
    #[arg(long)]
    pub pids_limit: Option<i64>,
    /// CPU shares (relative weight).
    #[arg(short, long)]
    pub cpu_shares: Option<i64>,
    /// Suppress the pull output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Set meta data on a container (`KEY=VALUE`, or `KEY` for an empty value).
    #[arg(short, long = "label")]
    pub label: Vec<String>,
    /// Container host name.
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Connect a container to a network (`default`, `none`, `host`, `container:<name|id>`).
    #[arg(long, visible_alias = "net")]
    pub network: Option<String>,
    /// Bind mount a host path (`SRC:DST[:ro]`; berth has no volumes).
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Attach a filesystem mount to the container (`type=bind,source=...,target=...`).
    #[arg(long, value_parser = crate::cli::mounts::parse_mount)]
    pub mount: Vec<crate::cli::mounts::MountFlag>,
    /// Security Options (`seccomp=unconfined|PROFILE.json`, `no-new-privileges[=true|false]`).
    #[arg(long = "security-opt")]
    pub security_opt: Vec<String>,
    /// Print usage (`-h` is the hostname, as in docker).
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// The image, then the command and its arguments (flags after the image belong to the
    /// command).
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "IMAGE [COMMAND] [ARG...]"
    )]
    pub image_and_command: Vec<String>,
}

/// A `run` failure: the message and the exit code it maps to.
fn fail(io: &mut Io<'_>, e: &CliError) -> i32 {
    let code = match e {
        CliError::Daemon { message, .. } => run_exit_code(message),
        _ => 125,
    };
    let _ = writeln!(
        io.err,
        "{PROGRAM}: {e}\n\nRun '{PROGRAM} run --help' for more information"
    );
    code
}

pub fn run(session: &Session, args: &RunArgs, io: &mut Io<'_>) -> i32 {
    match run_inner(session, args, io) {
        Ok(code) => code,
        Err(e) => fail(io, &e),
    }
}

/// `create`: the container is created (its image pulled first when missing) and its full ID
/// printed. Daemon errors print as they come, exit 1.
pub fn create_verb(session: &Session, args: &CreateArgs, io: &mut Io<'_>) -> i32 {
    let checked = match client_checks(args, io, "create") {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let body = match create_body(args, false, checked) {
        Ok(body) => body,
        Err(e) => return flag_value_error(io, &e, "create"),
    };
    let created = parse_image(body["Image"].as_str().unwrap_or_default())
        .and_then(|image| create(session, args, image.as_ref(), &body, io));
    match created {
        Ok(id) => match writeln!(io.out, "{id}") {
            Ok(()) => 0,
            Err(e) => CliError::from(e).report(io, "", 1),
        },
        Err(e) => e.report(io, "", 1),
    }
}

/// A bad flag value is a usage error: no program prefix, and the verb's usage line.
fn flag_value_error(io: &mut Io<'_>, e: &CliError, verb: &str) -> i32 {
    let _ = writeln!(
        io.err,
        "{e}\n\nUsage:  {PROGRAM} {verb} [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun '{PROGRAM} {verb} --help' for more information"
    );
    125
}

/// What the client reads from its own machine for the body: the `--env-file` entries and the
/// `--security-opt`s as sent (profile files read and compacted).
struct Checked {
    file_env: Vec<String>,
    security_opt: Option<Vec<String>>,
}

/// What the docker CLI checks and reads before anything else, failing as `docker: ...` with
/// exit 125, in its order: the `-v` specs, the `--env-file`s, the `--security-opt`s.
fn client_checks(args: &CreateArgs, io: &mut Io<'_>, verb: &str) -> Result<Checked, i32> {
    let checked = args
        .volume
        .iter()
        .try_for_each(|v| crate::cli::mounts::check_volume(v))
        .and_then(|()| crate::cli::env_file::read(&args.env_file))
        .and_then(|file_env| {
            let security_opt = match args.security_opt.is_empty() {
                true => None,
                false => Some(crate::cli::security_opt::parse(&args.security_opt)?),
            };
            Ok(Checked {
                file_env,
                security_opt,
            })
        });
    checked.map_err(|problem| {
        let _ = writeln!(
            io.err,
            "{PROGRAM}: {problem}\n\nRun '{PROGRAM} {verb} --help' for more information"
        );
        125
    })
}

fn run_inner(session: &Session, run: &RunArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let args = &run.options;
    let checked = match client_checks(args, io, "run") {
        Ok(checked) => checked,
        Err(code) => return Ok(code),
    };
    let body = match create_body(args, run.detach, checked) {
        Ok(body) => body,
        Err(e) => return Ok(flag_value_error(io, &e, "run")),
    };
    let image = parse_image(body["Image"].as_str().unwrap_or_default())?;
    let id = create(session, args, image.as_ref(), &body, io)?;
    if run.detach {
        start(session, &id)?;
        writeln!(io.out, "{id}")?;
        return Ok(0);
    }
    let condition = if args.rm { "removed" } else { "next-exit" };
    attach_and_start(session, &id, args.interactive, args.tty, condition, io)
}

/// The create body for the flags (`create`'s is `run`'s without `-d`).
/// `checked.file_env` holds the `--env-file` entries, which come before the `-e` ones.
fn create_body(args: &CreateArgs, detach: bool, checked: Checked) -> Result<Value, CliError> {
    let Checked {
        file_env,
        security_opt,
    } = checked;
    let (image, command) = args
        .image_and_command
        .split_first()
        .ok_or_else(|| CliError::Message("\"run\" requires at least 1 argument.".to_string()))?;
    let given = !file_env.is_empty() || !args.env.is_empty();
    let env: Vec<String> = file_env
        .iter()
        .chain(&args.env)
        .filter_map(|e| match e.split_once('=') {
            Some(_) => Some(e.clone()),
            None => std::env::var(e).ok().map(|v| format!("{e}={v}")),
        })
        .collect();
    let memory = args
        .memory
        .as_deref()
        .map(ram_in_bytes)
        .transpose()?
        .unwrap_or(0);
    let mut cmd = (!command.is_empty()).then(|| command.to_vec());
    let entrypoint = args.entrypoint.as_ref().map(|e| vec![e.clone()]);
    // `--entrypoint x` without a command also drops the image's CMD, as the CLI does.
    if args.entrypoint.as_deref().is_some_and(|e| !e.is_empty()) && command.is_empty() {
        cmd = None;
    }
    Ok(create_body::create_body(&CreateFlags {
        image: image.clone(),
        cmd,
        entrypoint,
        env: given.then_some(env),
        working_dir: args.workdir.clone().unwrap_or_default(),
        user: args.user.clone().unwrap_or_default(),
        attach_stdin: args.interactive && !detach,
        attach_stdout: !detach,
        attach_stderr: !detach,
        tty: args.tty,
        open_stdin: args.interactive,
        stdin_once: args.interactive && !detach,
        auto_remove: args.rm,
        memory,
        pids_limit: args.pids_limit.unwrap_or(0),
        cpu_shares: args.cpu_shares.unwrap_or(0),
        labels: args
            .label
            .iter()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        console_size: [0, 0],
        hostname: args.hostname.clone().unwrap_or_default(),
        network: args.network.clone(),
        binds: (!args.volume.is_empty()).then(|| args.volume.clone()),
        mounts: args.mount.iter().map(|m| m.to_json()).collect(),
        security_opt,
    }))
}

/// go-units `RAMInBytes`: `512m`, `1g`, `1.5GB`, `100` (binary multiples).
pub fn ram_in_bytes(value: &str) -> Result<i64, CliError> {
    let invalid = || {
        CliError::Message(format!(
            "invalid argument {value:?} for \"-m, --memory\" flag: invalid size: '{value}'"
        ))
    };
    let lower = value.to_ascii_lowercase();
    let trimmed = lower.trim_end_matches('b').trim_end_matches('i');
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let shift = match unit.trim() {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(invalid()),
    };
    Ok((number * (1u64 << shift) as f64) as i64)
}

/// Creates the container, pulling the image first when the daemon does not have it.
fn create(
    session: &Session,
    args: &CreateArgs,
    image: Option<&Reference>,
    body: &Value,
    io: &mut Io<'_>,
) -> Result<String, CliError> {
    let path = match &args.name {
        Some(name) => format!("/containers/create?name={}", encode(name)),
        None => "/containers/create".to_string(),
    };
    let response = session.call("POST", &path, Some(body))?;
    let missing = image.filter(|_| response.status == 404);
    let response = if let Some(reference) = missing {
        let reference = reference.with_default_tag();
        writeln!(
            io.err,
            "Unable to find image '{}' locally",
            reference.familiar()
        )?;
        let display = if io.err_terminal {
            Display::Terminal {
                width: terminal_width(true),
            }
        } else {
            Display::Plain
        };
        if args.quiet {
            pull_image(session, &reference, &mut std::io::sink(), display)?;
        } else {
            pull_image(session, &reference, io.err, display)?;
        }
        session.call("POST", &path, Some(body))?
    } else {
        response
    };
    if response.status >= 400 {
        return Err(CliError::daemon(&response));
    }
    let answer = response.json().unwrap_or_default();
    for warning in answer["Warnings"].as_array().into_iter().flatten() {
        if let Some(warning) = warning.as_str() {
            writeln!(io.err, "WARNING: {warning}")?;
        }
    }
    answer["Id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| CliError::Message("the daemon answered create without an Id".to_string()))
}

fn start(session: &Session, id: &str) -> Result<(), CliError> {
    session
        .expect("POST", &format!("/containers/{id}/start"), None)
        .map(drop)
}

/// `start -a`: attach to an existing container, start it and exit with its exit code.
pub fn start_attached(
    session: &Session,
    name: &str,
    interactive: bool,
    io: &mut Io<'_>,
) -> Result<i32, CliError> {
    let inspect = session.get_json(&format!("/containers/{}/json", encode(name)))?;
    let tty = inspect["Config"]["Tty"].as_bool().unwrap_or(false);
    let id = inspect["Id"].as_str().unwrap_or(name).to_string();
    attach_and_start(session, &id, interactive, tty, "next-exit", io)
}

/// Attach, wait, start, copy, and the exit code, as the CLI orders them.
fn attach_and_start(
    session: &Session,
    id: &str,
    stdin: bool,
    tty: bool,
    condition: &str,
    io: &mut Io<'_>,
) -> Result<i32, CliError> {
    let client = session.client()?;
    let mut query = "stream=1&stdout=1&stderr=1".to_string();
    if stdin {
        query.push_str("&stdin=1");
    }
    let stream = match client.upgrade(&format!("/containers/{id}/attach?{query}"))? {
        Ok(stream) => stream,
        Err(response) => return Err(CliError::daemon(&response)),
    };
    let wait = Waiter::register(
        client,
        &format!("/containers/{id}/wait?condition={condition}"),
    )?;
    if let Err(e) = start(session, id) {
        if condition == "removed" {
            // As the CLI does with --rm, let the daemon remove the container before exiting,
            // but not forever if it never does.
            wait.settle(std::time::Duration::from_secs(10));
        } else {
            wait.cancel();
        }
        return Err(e);
    }
    if tty {
        resize(session, &format!("/containers/{id}"));
    }
    let _raw = (stdin && tty).then(RawMode::enter).flatten();
    if stdin {
        forward_stdin(stream.connection())?;
    }
    copy_output(stream, tty, io)?;
    let waited = wait.finish()?;
    if let Some(message) = waited["Error"]["Message"]
        .as_str()
        .filter(|m| !m.is_empty())
    {
        writeln!(io.err, "{message}")?;
    }
    Ok(waited["StatusCode"].as_i64().unwrap_or(125) as i32)
}

pub(crate) fn copy_output(
    mut stream: crate::http::Upgraded,
    tty: bool,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    if tty {
        let mut buffer = [0u8; 8192];
        loop {
            let read = match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            io.out.write_all(&buffer[..read])?;
            io.out.flush()?;
        }
    } else {
        copy_demultiplexed(stream, io.out, io.err)?;
    }
    io.out.flush()?;
    io.err.flush()?;
    Ok(())
}

/// Copies this process's stdin to the container on a thread; its end closes the write half.
pub(crate) fn forward_stdin(stream: &Connection) -> Result<(), CliError> {
    let mut writer = stream.try_clone_plain().ok_or_else(|| {
        CliError::Message("attaching stdin is not supported over TLS yet".to_string())
    })?;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut writer);
        let _ = writer.shutdown(std::net::Shutdown::Write);
    });
    Ok(())
}

/// Tells the daemon the terminal's size, as the CLI does after start. `resource` is what is
/// resized: `/containers/{id}` or `/exec/{id}`.
pub(crate) fn resize(session: &Session, resource: &str) {
    if let Ok(size) = rustix::termios::tcgetwinsize(std::io::stdout()) {
        if size.ws_row > 0 {
            let path = format!("{resource}/resize?h={}&w={}", size.ws_row, size.ws_col);
            let _ = session.call("POST", &path, None);
        }
    }
}

/// The terminal in raw mode while a `-it` container runs; restored on drop.
pub(crate) struct RawMode {
    saved: rustix::termios::Termios,
}

impl std::fmt::Debug for RawMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawMode")
    }
}

impl RawMode {
    pub(crate) fn enter() -> Option<RawMode> {
        let stdin = std::io::stdin();
        let saved = rustix::termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}

/// A `wait` registered before start, answered on a thread.
struct Waiter {
    cancel: crate::transport::Canceller,
    thread: std::thread::JoinHandle<Result<Response, crate::http::HttpError>>,
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waiter")
    }
}

impl Waiter {
    /// Sends the wait and returns once its head arrived, so the daemon has registered it
    /// before the container starts (a `--rm` container may be gone by the time a wait that
    /// was merely sent gets looked at).
    fn register(client: &Client, path: &str) -> Result<Waiter, CliError> {
        let pending = client.begin_head("POST", path)?;
        let cancel = pending.connection().canceller()?;
        let thread = std::thread::spawn(move || pending.finish());
        Ok(Waiter { cancel, thread })
    }

    fn cancel(self) {
        let _ = self.cancel.shutdown(std::net::Shutdown::Both);
        let _ = self.thread.join();
    }

    /// Waits at most `limit` for the answer, then drops it.
    fn settle(self, limit: std::time::Duration) {
        let _ = self.cancel.set_read_timeout(Some(limit));
        let _ = self.thread.join();
    }

    fn finish(self) -> Result<Value, CliError> {
        let response = self
            .thread
            .join()
            .map_err(|_| CliError::Message("the wait thread panicked".to_string()))??;
        if response.status >= 400 {
            return Err(CliError::daemon(&response));
        }
        Ok(response.json().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn memory_sizes_are_binary_as_go_units_reads_them() {
        assert_eq!(ram_in_bytes("512m").unwrap(), 512 << 20);
        assert_eq!(ram_in_bytes("1g").unwrap(), 1 << 30);
        assert_eq!(ram_in_bytes("1.5GB").unwrap(), 3 << 29);
        assert_eq!(ram_in_bytes("100").unwrap(), 100);
        assert!(ram_in_bytes("lots").is_err());
    }

    #[test]
    fn the_create_body_carries_the_flags() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        #[command(disable_help_flag = true)]
        struct Top {
            #[command(flatten)]
            run: RunArgs,
        }
        let top = Top::try_parse_from([
            "run",
            "--rm",
            "-w",
            "/tmp",
            "-u",
            "1:1",
            "-m",
            "64m",
            "--pids-limit",
            "10",
            "-c",
            "512",
            "--entrypoint",
            "sh",
            "-h",
            "box",
            "--net",
            "host",
            "bb",
            "-c",
            "exit 3",
        ])
        .unwrap();
        let body = create_body(
            &top.run.options,
            top.run.detach,
            Checked {
                file_env: vec!["F=1".into()],
                security_opt: None,
            },
        )
        .unwrap();
        assert_eq!(body["Image"], "bb");
        assert_eq!(body["Env"], json!(["F=1"]));
        assert_eq!(body["Cmd"], json!(["-c", "exit 3"]));
        assert_eq!(body["Entrypoint"], json!(["sh"]));
        assert_eq!(body["WorkingDir"], "/tmp");
        assert_eq!(body["User"], "1:1");
        assert_eq!(body["HostConfig"]["Memory"], 64 << 20);
        assert_eq!(body["HostConfig"]["PidsLimit"], 10);
        assert_eq!(body["HostConfig"]["CpuShares"], 512);
        assert_eq!(body["HostConfig"]["AutoRemove"], true);
        assert_eq!(body["Hostname"], "box");
        assert_eq!(body["HostConfig"]["NetworkMode"], "host");
        // The docker CLI names an endpoint only for the network it picks itself.
        assert_eq!(body["NetworkingConfig"]["EndpointsConfig"], json!({}));
    }
}
