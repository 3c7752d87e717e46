//! `exec [OPTIONS] CONTAINER COMMAND [ARG...]`, in the docker CLI 28 order: inspect the
//! container (so a missing one is named before anything is created), create the exec, then
//! either start it detached or start it on an upgraded connection, copy its output
//! (demultiplexed unless there is a TTY) and exit with the command's exit code from
//! `exec/{id}/json`. A command the runtime cannot start is reported by the daemon on the stream
//! itself and exits 126 through that same exit code; daemon errors print as they come, exit 1.

use std::io::IsTerminal;

use berth_api::create::Strings;
use berth_api::exec::{ExecCreateBody, ExecStartBody, IdResponse};
use clap::Args;
use serde_json::Value;

use crate::cli::run::{copy_output, forward_stdin, resize, RawMode};
use crate::cli::session::{encode, version_less};
use crate::cli::{CliError, Io, Session};
use crate::http::Payload;

/// The first API version whose exec bodies carry `ConsoleSize`; the Go client drops the field
/// for older daemons.
const CONSOLE_SIZE_API: &str = "1.42";

/// `exec [OPTIONS] CONTAINER COMMAND [ARG...]`.
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Detached mode: run command in the background.
    #[arg(short, long)]
    pub detach: bool,
    /// Override the key sequence for detaching a container.
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Set environment variables (`KEY=VALUE`, or `KEY` for this process's value).
    #[arg(short, long = "env", value_parser = env_var)]
    pub env: Vec<String>,
    /// Read in a file of environment variables.
    #[arg(long = "env-file")]
    pub env_file: Vec<String>,
    /// Keep STDIN open even if not attached.
    #[arg(short, long)]
    pub interactive: bool,
    /// Give extended privileges to the command.
    #[arg(long)]
    pub privileged: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// Username or UID (format: "<name|uid>[:<group|gid>]").
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// The container, then the command and its arguments (flags after the container belong to
    /// the command, as docker stops parsing flags at the first argument).
    #[arg(
        required = true,
        num_args = 2..,
        trailing_var_arg = true,
        value_name = "CONTAINER COMMAND [ARG...]"
    )]
    pub container_and_command: Vec<String>,
}

/// The docker CLI's `ValidateEnv`: `KEY=VALUE` as given, a bare `KEY` takes this process's value
/// when it has one and is sent bare otherwise; an empty key is refused while parsing flags.
fn env_var(value: &str) -> Result<String, String> {
    if value.is_empty() || value.starts_with('=') {
        return Err(format!("invalid environment variable: {value}"));
    }
    if value.contains('=') {
        return Ok(value.to_string());
    }
    Ok(crate::cli::env_file::pass_through(value))
}

/// Runs the exec and answers the command's exit code (0 with `-d`, which prints nothing).
pub fn exec(session: &Session, args: &ExecArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let file_env = crate::cli::env_file::read(&args.env_file).map_err(CliError::Message)?;
    let (container, command) = args
        .container_and_command
        .split_first()
        .filter(|(_, command)| !command.is_empty())
        .ok_or_else(|| CliError::Message("\"exec\" requires at least 2 arguments.".to_string()))?;
    session.get_json(&format!("/containers/{}/json", encode(container)))?;
    if !args.detach && args.interactive && args.tty && !std::io::stdin().is_terminal() {
        return Err(CliError::Message(
            "the input device is not a TTY".to_string(),
        ));
    }
    let console_size = console_size(session, args.tty)?;
    let created = session.expect(
        "POST",
        &format!("/containers/{}/exec", encode(container)),
        Some(&json_of(&create_body(
            args,
            file_env,
            command,
            console_size,
        ))?),
    )?;
    let id = serde_json::from_slice::<IdResponse>(&created.body)
        .ok()
        .map(|answer| answer.id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| CliError::Message("exec ID empty".to_string()))?;
    let start = json_of(&start_body(args.detach, args.tty, console_size))?;
    if args.detach {
        session.expect("POST", &format!("/exec/{id}/start"), Some(&start))?;
        return Ok(0);
    }
    attach(session, &id, args, &start, io)?;
    let inspected = session.get_json(&format!("/exec/{id}/json"))?;
    Ok(inspected["ExitCode"].as_i64().unwrap_or(0) as i32)
}

/// The terminal's size for a `-t` exec (`[0, 0]` off a terminal, as the CLI sends it), or
/// `None` when there is no TTY or the daemon's API predates the field.
fn console_size(session: &Session, tty: bool) -> Result<Option<[u16; 2]>, CliError> {
    if !tty || version_less(session.client()?.version(), CONSOLE_SIZE_API) {
        return Ok(None);
    }
    let size = rustix::termios::tcgetwinsize(std::io::stdout())
        .map_or([0, 0], |size| [size.ws_row, size.ws_col]);
    Ok(Some(size))
}

/// `POST /containers/{id}/exec`'s body, as the CLI's `parseExec` fills it: without `-d` the
/// exec attaches to stdout and stderr (and stdin with `-i`); `Env` is null without `-e` or
/// `--env-file` (whose entries come first).
fn create_body(
    args: &ExecArgs,
    file_env: Vec<String>,
    command: &[String],
    console_size: Option<[u16; 2]>,
) -> ExecCreateBody {
    let env: Vec<String> = file_env
        .into_iter()
        .chain(args.env.iter().cloned())
        .collect();
    ExecCreateBody {
        user: args.user.clone().unwrap_or_default(),
        privileged: args.privileged,
        tty: args.tty,
        console_size: console_size.map(|[h, w]| [h.into(), w.into()]),
        attach_stdin: !args.detach && args.interactive,
        attach_stderr: !args.detach,
        attach_stdout: !args.detach,
        detach: args.detach,
        detach_keys: args.detach_keys.clone().unwrap_or_default(),
        env: (!env.is_empty()).then_some(env),
        working_dir: args.workdir.clone().unwrap_or_default(),
        cmd: Some(Strings::Many(command.to_vec())),
    }
}

/// `POST /exec/{id}/start`'s body.
fn start_body(detach: bool, tty: bool, console_size: Option<[u16; 2]>) -> ExecStartBody {
    ExecStartBody {
        detach,
        tty,
        console_size: console_size.map(|[h, w]| [h.into(), w.into()]),
    }
}

/// A typed body as the JSON the client sends.
fn json_of(body: &impl serde::Serialize) -> Result<Value, CliError> {
    serde_json::to_value(body).map_err(|e| CliError::Message(format!("encoding a body: {e}")))
}

/// Starts the exec on an upgraded connection and copies its streams until it ends.
fn attach(
    session: &Session,
    id: &str,
    args: &ExecArgs,
    start: &Value,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let upgraded = session
        .client()?
        .upgrade_with(&format!("/exec/{id}/start"), Payload::Json(start))?;
    let stream = upgraded.map_err(|response| CliError::daemon(&response))?;
    if args.tty {
        resize(session, &format!("/exec/{id}"));
    }
    let _raw = (args.interactive && args.tty)
        .then(RawMode::enter)
        .flatten();
    if args.interactive {
        forward_stdin(stream.connection())?;
    }
    copy_output(stream, args.tty, io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use serde_json::json;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(flatten)]
        exec: ExecArgs,
    }

    fn parse(args: &[&str]) -> ExecArgs {
        Top::try_parse_from(std::iter::once("exec").chain(args.iter().copied()))
            .unwrap()
            .exec
    }

    #[test]
    fn flags_after_the_container_belong_to_the_command() {
        let args = parse(&["-e", "A=1", "-u", "1:2", "c", "sh", "-d", "-c", "echo -e"]);
        assert!(!args.detach);
        assert_eq!(args.env, vec!["A=1"]);
        assert_eq!(
            args.container_and_command,
            vec!["c", "sh", "-d", "-c", "echo -e"]
        );
    }

    #[test]
    fn the_create_body_is_what_the_cli_sends() {
        let args = parse(&[
            "-e",
            "A=1",
            "-w",
            "/tmp",
            "-u",
            "1",
            "--privileged",
            "c",
            "echo",
            "hi",
        ]);
        let body = json_of(&create_body(
            &args,
            Vec::new(),
            &args.container_and_command[1..],
            None,
        ))
        .unwrap();
        let docker: Value = serde_json::from_str(
            r#"{"User":"1","Privileged":true,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":["A=1"],"WorkingDir":"/tmp","Cmd":["echo","hi"]}"#,
        )
        .unwrap();
        assert_eq!(body, docker);
        let detached = parse(&["-d", "-i", "c", "true"]);
        let body = json_of(&create_body(
            &detached,
            Vec::new(),
            &["true".to_string()],
            Some([0, 0]),
        ))
        .unwrap();
        assert_eq!(body["AttachStdin"], false);
        assert_eq!(body["AttachStdout"], false);
        assert_eq!(body["Env"], Value::Null);
        assert_eq!(body["ConsoleSize"], json!([0, 0]));
        assert_eq!(
            json_of(&start_body(true, false, None)).unwrap(),
            json!({"Detach": true, "Tty": false})
        );
    }

    #[test]
    fn env_values_are_validated_as_the_cli_does() {
        assert_eq!(env_var("A=1").unwrap(), "A=1");
        assert_eq!(env_var("A=").unwrap(), "A=");
        assert_eq!(
            env_var("BERTH_SURELY_UNSET_X").unwrap(),
            "BERTH_SURELY_UNSET_X"
        );
        assert_eq!(
            env_var("=x").unwrap_err(),
            "invalid environment variable: =x"
        );
        assert!(Top::try_parse_from(["exec", "c"]).is_err());
    }
}
