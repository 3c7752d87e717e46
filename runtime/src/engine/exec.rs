//! `docker exec`: thin wrappers over the lifecycle's exec verbs, plus the one decision the
//! daemon needs made for it: a command that could not start is an *outcome* of `exec_start`
//! (dockerd reports it in the stream with exit code 126), not an error of the call.

use berth_lifecycle::{ExecInspect, ExecOptions, ExecStreams, LifecycleError};

use super::{Engine, EngineError};

/// What `exec_start` produced: the process's streams, or the text of why it could not start.
#[derive(Debug)]
pub enum ExecStart {
    Running(ExecStreams),
    Failed { message: String },
}

impl Engine {
    /// `POST /containers/{id}/exec`: the new exec's ID.
    pub fn exec_create(
        &self,
        reference: &str,
        options: ExecOptions,
    ) -> Result<String, EngineError> {
        Ok(self.containers.exec_create(reference, options)?)
    }

    pub fn exec_inspect(&self, exec_id: &str) -> Result<ExecInspect, EngineError> {
        Ok(self.containers.exec_inspect(exec_id)?)
    }

    /// `POST /exec/{id}/start`: starts the process (detached: with its output discarded).
    pub fn exec_start(&self, exec_id: &str, detach: bool) -> Result<ExecStart, EngineError> {
        match self.containers.exec_start(exec_id, detach) {
            Ok(streams) => Ok(ExecStart::Running(streams)),
            Err(LifecycleError::ExecFailed { message }) => Ok(ExecStart::Failed { message }),
            Err(other) => Err(other.into()),
        }
    }

    /// Resolves once the exec's process has ended and its exit code is recorded.
    pub async fn exec_exited(&self, exec_id: &str) -> Result<Option<i32>, EngineError> {
        Ok(self.containers.exec_exited(exec_id).await?)
    }

    pub fn exec_resize(&self, exec_id: &str, height: u16, width: u16) -> Result<(), EngineError> {
        Ok(self.containers.exec_resize(exec_id, height, width)?)
    }
}
