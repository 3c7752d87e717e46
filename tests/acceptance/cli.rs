//! Runs one command of a walk with a given CLI against a given engine socket, without a
//! terminal, and keeps what it printed and its exit code. A command that hangs is killed after
//! a bound and reported as such, so a stuck engine fails the walk instead of the whole run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one command may take before it counts as hung.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Which client drives the walk.
#[derive(Debug, Clone)]
pub enum Client {
    /// The docker CLI, given the engine through `DOCKER_HOST`; `api` pins `DOCKER_API_VERSION`.
    Docker { bin: PathBuf, api: Option<String> },
    /// The berth CLI, given the engine with `-H`.
    Berth { bin: PathBuf },
}

impl Client {
    /// The berth binary cargo built for this package's tests.
    pub fn berth() -> Client {
        Client::Berth {
            bin: PathBuf::from(env!("CARGO_BIN_EXE_berth")),
        }
    }
}

/// What one command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// The exit code; -1 when killed (hung, or by a signal).
    pub code: i32,
}

/// Runs `args` with `client` against the engine on `socket`; `scratch` holds the output files
/// and the docker CLI's config directory (so that no user configuration leaks in).
pub fn run(client: &Client, socket: &Path, args: &[String], scratch: &Path) -> Output {
    let mut command = match client {
        Client::Docker { bin, api } => {
            let mut c = Command::new(bin);
            c.env("DOCKER_HOST", format!("unix://{}", socket.display()))
                .env("DOCKER_CONFIG", scratch.join("docker-config"))
                .env_remove("DOCKER_API_VERSION");
            if let Some(api) = api {
                c.env("DOCKER_API_VERSION", api);
            }
            c
        }
        Client::Berth { bin } => {
            let mut c = Command::new(bin);
            c.arg("-H")
                .arg(format!("unix://{}", socket.display()))
                .env_remove("BERTH_HOST");
            c
        }
    };
    command.args(args).env_remove("DOCKER_CONTEXT");
    capture(command, scratch)
}

fn capture(mut command: Command, scratch: &Path) -> Output {
    let (out_path, err_path) = (scratch.join("stdout"), scratch.join("stderr"));
    let files =
        std::fs::File::create(&out_path).and_then(|o| Ok((o, std::fs::File::create(&err_path)?)));
    let (out, err) = match files {
        Ok(files) => files,
        Err(e) => return failure(format!("cannot create output files in {scratch:?}: {e}")),
    };
    command.stdin(Stdio::null()).stdout(out).stderr(err);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return failure(format!("cannot start {command:?}: {e}")),
    };
    let start = Instant::now();
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code().unwrap_or(-1),
            Ok(None) if start.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return failure(format!("{command:?} hung for {COMMAND_TIMEOUT:?}; killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return failure(format!("waiting for {command:?}: {e}")),
        }
    };
    Output {
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        code,
    }
}

fn failure(why: String) -> Output {
    Output {
        stdout: String::new(),
        stderr: format!("[walk harness] {why}\n"),
        code: -1,
    }
}
