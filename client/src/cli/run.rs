//! `run` and `start -a`, in the docker CLI 28 order: create (pulling the image once when the
//! daemon does not have it), attach, register the wait, start, copy the output (demultiplexed
//! unless there is a TTY) and exit with the container's exit code. Errors print as
//! `berth: Error response from daemon: ...` with the hint line and exit 125, 126 or 127.

use std::io::Read;

use berth_api::create::{ContainerCreateBody, Strings};
use berth_api::query::WaitCondition;
use berth_format::exit_code::run_exit_code;
use berth_format::reference::Reference;
use clap::Args;

use crate::cli::progress::{terminal_width, Display};
use crate::cli::pull::{parse_image, pull_image};
use crate::cli::session::encode;
use crate::cli::{CliError, Io, Session};
use crate::mux::copy_demultiplexed;
use crate::sequence::{self, Running};
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
    /// Add additional groups to join.
    #[arg(long = "group-add")]
    pub group_add: Vec<String>,
    /// Timeout (in seconds) to stop a container.
    #[arg(long = "stop-timeout")]
    pub stop_timeout: Option<i64>,
    /// Logging driver for the container (berth writes json-file logs only).
    #[arg(long = "log-driver")]
    pub log_driver: Option<String>,
    /// Log driver options (`KEY=VALUE`).
    #[arg(long = "log-opt")]
    pub log_opt: Vec<String>,
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
    let created =
        parse_image(&body.image).and_then(|image| create(session, args, image.as_ref(), &body, io));
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
    let image = parse_image(&body.image)?;
    let id = create(session, args, image.as_ref(), &body, io)?;
    if run.detach {
        start(session, &id)?;
        writeln!(io.out, "{id}")?;
        return Ok(0);
    }
    let condition = match args.rm {
        true => WaitCondition::Removed,
        false => WaitCondition::NextExit,
    };
    attach_and_start(session, &id, args.interactive, args.tty, condition, io)
}

/// The create body for the flags (`create`'s is `run`'s without `-d`).
/// `checked.file_env` holds the `--env-file` entries, which come before the `-e` ones.
fn create_body(
    args: &CreateArgs,
    detach: bool,
    checked: Checked,
) -> Result<ContainerCreateBody, CliError> {
    let Checked {
        file_env,
        security_opt,
    } = checked;
    let (image, command) = args
        .image_and_command
        .split_first()
        .ok_or_else(|| CliError::Message("\"run\" requires at least 1 argument.".to_string()))?;
    let given = !file_env.is_empty() || !args.env.is_empty();
    // The docker CLI's `ValidateEnv`: `KEY=VALUE` as written, a bare `KEY` with this
    // process's value, or bare when it has none (the daemon keeps it so).
    let mut env = file_env;
    for e in &args.env {
        env.push(match e.split_once('=') {
            Some(("", _)) => {
                return Err(CliError::Message(format!(
                    "invalid argument \"{e}\" for \"-e, --env\" flag: invalid environment variable: {e}"
                )))
            }
            Some(_) => e.clone(),
            None => crate::cli::env_file::pass_through(e),
        });
    }
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
    let mut body = ContainerCreateBody::docker_cli(image);
    body.cmd = cmd.map(Strings::Many);
    body.entrypoint = entrypoint.map(Strings::Many);
    body.env = given.then_some(env);
    body.working_dir = Some(args.workdir.clone().unwrap_or_default());
    body.user = Some(args.user.clone().unwrap_or_default());
    body.attach_stdin = args.interactive && !detach;
    body.attach_stdout = !detach;
    body.attach_stderr = !detach;
    body.tty = args.tty;
    body.open_stdin = args.interactive;
    body.stdin_once = args.interactive && !detach;
    body.hostname = Some(args.hostname.clone().unwrap_or_default());
    body.labels = Some(
        args.label
            .iter()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
    );
    if let Some(network) = &args.network {
        body.set_network(network);
    }
    let host = body.host_config.get_or_insert_with(Default::default);
    host.auto_remove = args.rm;
    host.memory = memory;
    host.pids_limit = Some(args.pids_limit.unwrap_or(0));
    host.cpu_shares = args.cpu_shares.unwrap_or(0);
    host.binds = (!args.volume.is_empty()).then(|| args.volume.clone());
    host.mounts = Some(args.mount.iter().map(|m| m.to_mount()).collect());
    host.security_opt = security_opt;
    host.group_add = (!args.group_add.is_empty()).then(|| args.group_add.clone());
    host.log_config.kind = args.log_driver.clone().unwrap_or_default();
    host.log_config.config = Some(
        args.log_opt
            .iter()
            .map(|o| {
                let (k, v) = o.split_once('=').unwrap_or((o, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
    );
    body.stop_timeout = args.stop_timeout;
    Ok(body)
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
    body: &ContainerCreateBody,
    io: &mut Io<'_>,
) -> Result<String, CliError> {
    let client = session.client()?;
    let pull = |_: &crate::http::Response| -> Result<bool, CliError> {
        let Some(reference) = image else {
            return Ok(false);
        };
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
        Ok(true)
    };
    let created = sequence::create(client, args.name.as_deref(), body, pull)?
        .map_err(|response| CliError::daemon(&response))?;
    for warning in &created.warnings {
        writeln!(io.err, "WARNING: {warning}")?;
    }
    match created.id.is_empty() {
        true => Err(CliError::Message(
            "the daemon answered create without an Id".to_string(),
        )),
        false => Ok(created.id),
    }
}

fn start(session: &Session, id: &str) -> Result<(), CliError> {
    sequence::start(session.client()?, id)?.map_err(|response| CliError::daemon(&response))
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
    attach_and_start(session, &id, interactive, tty, WaitCondition::NextExit, io)
}

/// Attach, wait, start, copy, and the exit code, as the CLI orders them.
fn attach_and_start(
    session: &Session,
    id: &str,
    stdin: bool,
    tty: bool,
    condition: WaitCondition,
    io: &mut Io<'_>,
) -> Result<i32, CliError> {
    let Running { stream, wait } =
        sequence::attach_and_start(session.client()?, id, stdin, condition)?
            .map_err(|response| CliError::daemon(&response))?;
    if tty {
        resize(session, &format!("/containers/{id}"));
    }
    let _raw = (stdin && tty).then(RawMode::enter).flatten();
    if stdin {
        forward_stdin(stream.connection())?;
    }
    copy_output(stream, tty, io)?;
    let waited = wait
        .finish()?
        .answer
        .map_err(|response| CliError::daemon(&response))?;
    if let Some(error) = waited.error.filter(|e| !e.message.is_empty()) {
        writeln!(io.err, "{}", error.message)?;
    }
    Ok(waited.status_code as i32)
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
        let body = serde_json::to_value(body).unwrap();
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
