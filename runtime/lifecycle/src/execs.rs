//! The exec instances of the containers, as dockerd 20.10 keeps them: what each was asked to
//! run ([`ExecOptions`]), the container it belongs to, and its state (created, running with a
//! PID, exited with a code). The table lives in the registry beside the containers and goes
//! with them; this module owns its shape and lookups and never starts, signals or waits for a
//! process (the exec verbs do).

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use crate::error::LifecycleError;
use crate::id::ContainerId;

/// What `POST /containers/{id}/exec` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    pub cmd: Vec<String>,
    /// Added to the container's environment, replacing entries with the same key.
    pub env: Vec<String>,
    /// Empty: the container's user.
    pub user: String,
    /// Empty: the container's working directory.
    pub working_dir: String,
    pub tty: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub privileged: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecState {
    Created,
    Running { pid: i32 },
    Exited { pid: i32, code: i32 },
}

#[derive(Debug)]
pub(crate) struct ExecEntry {
    pub container: ContainerId,
    pub options: ExecOptions,
    pub state: ExecState,
    /// The pty master of a TTY exec, for resizes.
    pub pty: Option<Arc<OwnedFd>>,
}

/// The exec instances of every container, by exec ID.
pub(crate) type Execs = HashMap<String, ExecEntry>;

/// The exec `exec_id` names, or dockerd's `No such exec instance`.
pub(crate) fn entry<'a>(
    execs: &'a mut Execs,
    exec_id: &str,
) -> Result<&'a mut ExecEntry, LifecycleError> {
    execs.get_mut(exec_id).ok_or_else(|| no_such_exec(exec_id))
}

pub(crate) fn no_such_exec(exec_id: &str) -> LifecycleError {
    LifecycleError::NoSuchExec {
        id: exec_id.to_string(),
    }
}

/// Forgets the exec instances of a removed container.
pub(crate) fn forget_container(execs: &mut Execs, container: &ContainerId) {
    execs.retain(|_, e| &e.container != container);
}
