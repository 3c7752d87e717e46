//! A docker CLI binary as the driver (`berth conform --cli PATH`): every command runs as the
//! real CLI process against the engine's socket, and what it printed (stdout, stderr, exit
//! code) is the observation. The model answers through its renderers, so the comparison
//! covers the CLI's texts and tables, not only the API's structures. State probes, resets and
//! `remote-retag` (which is no docker command) still go through the Engine API.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use berth_model::command::{Command, Verb};

use crate::api::ApiEngine;
use crate::engine::{Engine, EngineError};
use crate::observe::{Observation, Probe};

/// An API engine whose commands are sent through a docker CLI binary.
#[derive(Debug)]
pub struct CliEngine {
    api: ApiEngine,
    cli: PathBuf,
    host: String,
    /// The CLI's config directory, and where it writes `--cidfile`.
    scratch: tempfile::TempDir,
}

impl CliEngine {
    /// Drives the engine at `socket` with the CLI at `cli`; `api` probes and resets it.
    pub fn new(api: ApiEngine, cli: &Path, socket: &Path) -> Result<CliEngine, EngineError> {
        let scratch = tempfile::tempdir().map_err(|e| EngineError::Unreachable {
            engine: api.name(),
            what: format!("a scratch directory for the CLI: {e}"),
        })?;
        Ok(CliEngine {
            scratch,
            api,
            cli: cli.to_path_buf(),
            host: format!("unix://{}", socket.display()),
        })
    }

    fn cidfile(&self) -> PathBuf {
        self.scratch.path().join("cid")
    }

    fn unreachable(&self, what: String) -> EngineError {
        EngineError::Unreachable {
            engine: self.name(),
            what,
        }
    }
}

impl Engine for CliEngine {
    fn name(&self) -> String {
        format!("{} via {}", self.api.name(), self.cli.display())
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, EngineError> {
        if command.verb() == Verb::RemoteRetag {
            return self.api.apply(command);
        }
        let mut argv = command.to_argv();
        // The CLI prints a new container's ID only with `-d` or `create`; `--cidfile` tells
        // it even for `run --rm`, whose container is gone by the time the CLI exits.
        let creates = matches!(command.verb(), Verb::Create | Verb::Run);
        if creates {
            let _ = std::fs::remove_file(self.cidfile());
            argv.splice(
                1..1,
                ["--cidfile".into(), self.cidfile().display().to_string()],
            );
        }
        let output = Process::new(&self.cli)
            .args(&argv)
            .env("DOCKER_HOST", &self.host)
            // The CLI must not pick up a user's context, config or colours.
            .env("DOCKER_CONFIG", self.scratch.path())
            .env_remove("DOCKER_CONTEXT")
            .env("NO_COLOR", "1")
            .output()
            .map_err(|e| self.unreachable(format!("running {}: {e}", self.cli.display())))?;
        let created = match creates {
            true => std::fs::read_to_string(self.cidfile())
                .ok()
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty()),
            false => None,
        };
        Ok(Observation::Printed {
            created,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            exit: output.status.code().unwrap_or(-1),
        })
    }

    fn probe(&mut self) -> Result<Probe, EngineError> {
        self.api.probe()
    }

    fn reset(&mut self) -> Result<(), EngineError> {
        self.api.reset()
    }

    fn version(&mut self) -> Option<serde_json::Value> {
        self.api.version()
    }

    fn prints_cli_text(&self) -> bool {
        true
    }
}
