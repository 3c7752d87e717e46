//! The sandbox's one error type. Every variant says which step failed and on what, and answers
//! [`Kind::kind`]; the exact texts Docker prints for exec failures are built in
//! [`crate::exec_error`], not here.

use std::io;
use std::path::PathBuf;

use berth_core::{ErrorKind, Kind};

/// Why a sandbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The spec cannot describe a container (a NUL byte in a string, a relative path, ...).
    #[error("invalid spec: {field}: {reason}")]
    InvalidSpec { field: &'static str, reason: String },

    /// The command could not be started: not found (127) or not executable (126). `message` is
    /// runc's text, e.g. `exec: "nope": executable file not found in $PATH`.
    #[error("{message}")]
    Exec { message: String, exit_code: i32 },

    /// A setup step inside the child failed before the command was executed. Worded like
    /// runc (Go's errno texts), so dockerd's substring rules apply to it too
    /// ([`crate::exec_error::docker_exit_code`]).
    #[error("{step}: {}", crate::exec_error::go_errno_text(source.raw_os_error().unwrap_or(0)))]
    ChildSetup {
        step: String,
        #[source]
        source: io::Error,
    },

    /// A cgroup file or directory could not be created, written or removed.
    #[error("cgroup {path}: {source}")]
    Cgroup {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A limit was asked for but no hierarchy on this host has the controller that enforces it.
    #[error("cgroup controller {controller} is not available on this host")]
    ControllerMissing { controller: &'static str },

    /// Docker's device rules could not be applied to the container (it does not start).
    #[error("cannot apply the container's device rules: {reason}")]
    DeviceRules { reason: String },

    /// The process has already exited (and may have been reaped).
    #[error("process {pid} is not running")]
    NotRunning { pid: i32 },

    /// A host-side system call failed.
    #[error("{op}: {source}")]
    Sys {
        op: &'static str,
        #[source]
        source: io::Error,
    },

    /// The container's seccomp profile could not become a filter (dockerd's texts).
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::SeccompError),

    /// A host path could not be opened or read.
    #[error("{op} {path}: {source}")]
    Path {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl SandboxError {
    pub(crate) fn sys(op: &'static str, source: impl Into<io::Error>) -> Self {
        SandboxError::Sys {
            op,
            source: source.into(),
        }
    }

    pub(crate) fn path(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        SandboxError::Path {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn spec(field: &'static str, reason: impl Into<String>) -> Self {
        SandboxError::InvalidSpec {
            field,
            reason: reason.into(),
        }
    }

    /// The exit code Docker records for a container whose start failed with this error: 127
    /// for a missing command, 126 for one that cannot be executed, otherwise `None` (dockerd
    /// then records 128).
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            SandboxError::Exec { exit_code, .. } => Some(*exit_code),
            _ => None,
        }
    }
}

impl Kind for SandboxError {
    fn kind(&self) -> ErrorKind {
        match self {
            SandboxError::InvalidSpec { .. } | SandboxError::Exec { .. } => {
                ErrorKind::InvalidParameter
            }
            SandboxError::NotRunning { .. } => ErrorKind::Conflict,
            SandboxError::ControllerMissing { .. } => ErrorKind::NotImplemented,
            SandboxError::ChildSetup { .. }
            | SandboxError::Cgroup { .. }
            | SandboxError::Sys { .. }
            | SandboxError::Seccomp(_)
            | SandboxError::DeviceRules { .. }
            | SandboxError::Path { .. } => ErrorKind::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_failures_are_invalid_parameters_with_their_exit_code() {
        let e = SandboxError::Exec {
            message: "exec: \"nope\": executable file not found in $PATH".into(),
            exit_code: 127,
        };
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert_eq!(e.exit_code(), Some(127));
        assert_eq!(
            e.to_string(),
            "exec: \"nope\": executable file not found in $PATH"
        );
    }

    #[test]
    fn setup_failures_are_system_errors() {
        let e = SandboxError::ChildSetup {
            step: "mount overlay on /r".into(),
            source: io::Error::from_raw_os_error(libc::EINVAL),
        };
        assert_eq!(e.kind(), ErrorKind::System);
        assert_eq!(e.exit_code(), None);
        assert_eq!(e.to_string(), "mount overlay on /r: invalid argument");
    }
}
