//! `run`, for tests and the embedded engine: create, start, wait for the exit, collect the
//! output from the json-file log, and remove when asked (`--rm`). The container is created
//! without the lifecycle's auto-remove and removed here once the output is read, because the
//! lifecycle's auto-removal deletes the log at exit, before a caller without a live attach
//! could read it; for the caller the effect is Docker's: the container is gone when `run`
//! answers. It is created *disposable*, so its root filesystem is mounted volatile and its
//! exit syncs nothing, as for a lifecycle auto-remove container.

use berth_lifecycle::{ContainerId, CreateOptions, Stream, WaitCondition};

use super::{Engine, EngineError};

/// What a finished `run` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    pub id: ContainerId,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Engine {
    /// Runs a container to completion. A failed start (missing executable: 127) is the
    /// error; the container then stays `Created`, unless `auto_remove` removes it.
    pub fn run(&self, options: CreateOptions) -> Result<RunOutput, EngineError> {
        let remove = options.auto_remove;
        let options = CreateOptions {
            auto_remove: false,
            ..options
        };
        // Removed right after the exit: nothing of its root filesystem needs syncing.
        let id = match remove {
            true => self.create_disposable(options)?,
            false => self.create(options)?,
        };
        let result = self.run_created(&id);
        if remove {
            self.rm(id.as_str(), true)?;
        }
        result
    }

    fn run_created(&self, id: &ContainerId) -> Result<RunOutput, EngineError> {
        self.start(id.as_str())?;
        let exit = self
            .containers
            .wait(id.as_str(), WaitCondition::NotRunning, None)?;
        let exit_code = exit.map_or(-1, |e| e.status_code);
        let (mut stdout, mut stderr) = (String::new(), String::new());
        for entry in self.logs(id.as_str())? {
            match entry.stream {
                Stream::Stdout => stdout.push_str(&entry.bytes),
                Stream::Stderr => stderr.push_str(&entry.bytes),
            }
        }
        Ok(RunOutput {
            id: id.clone(),
            exit_code,
            stdout,
            stderr,
        })
    }
}
