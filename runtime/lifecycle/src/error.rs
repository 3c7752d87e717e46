//! The lifecycle layer's one error type. Display texts are dockerd 20.10's, byte for byte, so the
//! API layer can answer `{"message": err.to_string()}` with the status of [`Kind::kind`]. This
//! module only words and classifies failures; it never decides when they happen.

use std::io;
use std::path::PathBuf;

use berth_core::{ErrorKind, Kind};
use berth_sandbox::SandboxError;

/// Why a lifecycle operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("No such container: {reference}")]
    NoSuchContainer { reference: String },

    /// dockerd wraps truncindex's error in `errdefs.System`, hence a 500.
    #[error("Multiple IDs found with provided prefix: {prefix}")]
    AmbiguousPrefix { prefix: String },

    #[error("invalid name or ID supplied: \"\"")]
    EmptyReference,

    /// `name` is shown as given (create) or with the `/` rename adds.
    #[error("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName { name: String },

    #[error(
        "Conflict. The container name \"{name}\" is already in use by container \"{id}\". \
         You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameConflict { name: String, id: String },

    #[error("Renaming a container with the same name as its current name")]
    RenameToSameName,

    #[error("No command specified")]
    NoCommand,

    #[error("Neither old nor new names may be empty")]
    RenameEmpty,

    #[error("Error when allocating new name: {source}")]
    RenameAllocate {
        #[source]
        source: Box<LifecycleError>,
    },

    /// The command could not be executed; `message` is dockerd's full text
    /// (`failed to create shim task: ...: unknown`).
    #[error("{message}")]
    StartFailed { message: String, exit_code: i32 },

    #[error("Container {id} is not running")]
    NotRunning { id: String },

    /// The container's user could not be resolved in its own files (dockerd answers 500 and
    /// records the start as failed with exit code 128).
    #[error(transparent)]
    User(#[from] crate::user::UserError),

    /// A bind or mount dockerd refuses, or one berth cannot make (berth has no volumes).
    #[error("{0}")]
    InvalidMount(String),

    /// A `-v` spec of the wrong shape (dockerd answers it with a 500).
    #[error("invalid volume specification: '{spec}'")]
    VolumeSpec { spec: String },

    /// A `--security-opt` dockerd does not take (it answers 500).
    #[error("{message}")]
    InvalidSecurityOpt { message: String },

    #[error("Invalid network mode: invalid container format container:<name|id>")]
    InvalidNetworkMode,

    /// A hostname with `container:` networking, which takes the other container's.
    #[error("conflicting options: hostname and the network mode")]
    HostnameWithNetworkMode,

    /// A user-defined network: berth has none.
    #[error("network {name} not found")]
    NetworkNotFound { name: String },

    #[error("cannot join network of a non running container: {id}")]
    JoinNotRunning { id: String },

    #[error("cannot join own network")]
    JoinOwnNetwork,

    /// `stop` of a container that is not running, `start` of one that is: a 304.
    #[error("container {id} is already {what}")]
    NotModified { id: String, what: &'static str },

    #[error("Cannot kill container: {reference}: {source}")]
    Kill {
        reference: String,
        #[source]
        source: Box<LifecycleError>,
    },

    #[error("Invalid signal: {text}")]
    InvalidSignal { text: String },

    /// dockerd prints the number unsigned: `-1` reads `18446744073709551615`.
    #[error("The linux daemon does not support signal {number}")]
    UnsupportedSignal { number: u64 },

    #[error(
        "You cannot remove a running container {id}. Stop the container before attempting \
         removal or force remove"
    )]
    RemoveRunning { id: String },

    #[error(
        "You cannot remove a paused container {id}. Unpause and then stop the container before \
         attempting removal or force remove"
    )]
    RemovePaused { id: String },

    #[error("Container {id} is already paused")]
    AlreadyPaused { id: String },

    #[error("Container {id} is not paused")]
    NotPaused { id: String },

    #[error("cannot start a paused container, try unpause instead")]
    StartPaused,

    #[error("Container {id} is paused, unpause the container before exec")]
    ExecPaused { id: String },

    #[error("No exec command specified")]
    NoExecCommand,

    #[error("No such exec instance: {id}")]
    NoSuchExec { id: String },

    #[error("Error: Exec command {id} is already running")]
    ExecRunning { id: String },

    #[error("Error: Exec command {id} has already run")]
    ExecRan { id: String },

    /// The exec's command could not be started (dockerd's whole text; exit code 126).
    #[error("{message}")]
    ExecFailed { message: String },

    /// The transition is not allowed from the container's current state.
    #[error("container {id} is {state}: cannot {verb}")]
    BadState {
        id: String,
        state: crate::state::State,
        verb: &'static str,
    },

    #[error("{source}")]
    Image {
        kind: ErrorKind,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error(transparent)]
    Sandbox(#[from] SandboxError),

    /// `docker cp` of a path the container does not have (the name as the client gave it).
    #[error("Could not find the file {path} in container {container}")]
    PathNotFound { path: String, container: String },

    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("corrupt record {path}: {source}")]
    CorruptRecord {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl LifecycleError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        LifecycleError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

impl Kind for LifecycleError {
    fn kind(&self) -> ErrorKind {
        use LifecycleError as E;
        match self {
            E::NoSuchContainer { .. }
            | E::NoSuchExec { .. }
            | E::NetworkNotFound { .. }
            | E::PathNotFound { .. } => ErrorKind::NotFound,
            E::NoExecCommand => ErrorKind::InvalidParameter,
            E::ExecFailed { .. } => ErrorKind::System,
            E::EmptyReference
            | E::InvalidName { .. }
            | E::RenameToSameName
            | E::RenameEmpty
            | E::NoCommand
            | E::InvalidNetworkMode
            | E::InvalidMount(_)
            | E::HostnameWithNetworkMode
            | E::StartFailed { .. }
            | E::InvalidSignal { .. } => ErrorKind::InvalidParameter,
            E::NameConflict { .. }
            | E::NotRunning { .. }
            | E::RemoveRunning { .. }
            | E::RemovePaused { .. }
            | E::AlreadyPaused { .. }
            | E::NotPaused { .. }
            | E::StartPaused
            | E::ExecPaused { .. }
            | E::ExecRunning { .. }
            | E::ExecRan { .. }
            | E::JoinNotRunning { .. }
            | E::BadState { .. } => ErrorKind::Conflict,
            E::NotModified { .. } => ErrorKind::NotModified,
            E::RenameAllocate { source } | E::Kill { source, .. } => source.kind(),
            E::Image { kind, .. } => *kind,
            E::Sandbox(e) => e.kind(),
            E::AmbiguousPrefix { .. }
            | E::JoinOwnNetwork
            | E::VolumeSpec { .. }
            | E::InvalidSecurityOpt { .. }
            | E::UnsupportedSignal { .. }
            | E::User(_)
            | E::Io { .. }
            | E::CorruptRecord { .. } => ErrorKind::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_errors_keep_the_inner_kind_and_dockerds_prefix() {
        let e = LifecycleError::Kill {
            reference: "e4ex".into(),
            source: Box::new(LifecycleError::NotRunning { id: "c843".into() }),
        };
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.to_string(),
            "Cannot kill container: e4ex: Container c843 is not running"
        );
        let e = LifecycleError::RenameAllocate {
            source: Box::new(LifecycleError::InvalidName { name: "/a".into() }),
        };
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            e.to_string(),
            "Error when allocating new name: Invalid container name (/a), only \
             [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        );
        let e = LifecycleError::AmbiguousPrefix { prefix: "f".into() };
        assert_eq!(e.kind().http_status(), 500);
    }
}
