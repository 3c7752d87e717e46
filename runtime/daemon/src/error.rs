//! Errors: [`ApiError`] is what an HTTP answer says (a kind and Docker's message), built from
//! any runtime error without rewording it; [`status`] is the one function that maps an error
//! kind to an HTTP status; [`DaemonError`] is what can stop the daemon itself (bad flags,
//! sockets, certificates). Handlers never pick a status code for an error themselves.

use std::path::PathBuf;

use berth_core::{ErrorKind, Kind};
use hyper::StatusCode;

/// An error answer: `{"message": ...}` with the status of its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::InvalidParameter, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::NotFound, message)
    }

    pub fn system(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::System, message)
    }

    /// Any runtime error, its text unchanged.
    pub fn from_kind<E: Kind + std::fmt::Display>(e: &E) -> ApiError {
        ApiError::new(e.kind(), e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        status(self.kind)
    }
}

impl<E: Kind + std::fmt::Display> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError::from_kind(&e)
    }
}

/// The HTTP status of an error kind: the only place the daemon decides one.
pub fn status(kind: ErrorKind) -> StatusCode {
    StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Why the daemon could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("invalid host {host:?}: {reason}")]
    Host { host: String, reason: String },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the daemon socket {path} is in use by a running daemon")]
    SocketInUse { path: PathBuf },
    #[error("tls: {reason}")]
    Tls { reason: String },
    #[error("opening the engine under {root}: {reason}")]
    Engine { root: PathBuf, reason: String },
    #[error("invalid log level {level:?}: use debug, info, warn, error or fatal")]
    LogLevel { level: String },
    #[error("registry client: {reason}")]
    Registry { reason: String },
}

impl DaemonError {
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> DaemonError {
        DaemonError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

impl Kind for DaemonError {
    fn kind(&self) -> ErrorKind {
        match self {
            DaemonError::Host { .. } | DaemonError::Tls { .. } | DaemonError::LogLevel { .. } => {
                ErrorKind::InvalidParameter
            }
            DaemonError::SocketInUse { .. } => ErrorKind::Conflict,
            _ => ErrorKind::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_dockers_statuses() {
        assert_eq!(status(ErrorKind::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(ErrorKind::NotModified), StatusCode::NOT_MODIFIED);
        assert_eq!(ApiError::bad_request("x").status(), StatusCode::BAD_REQUEST);
    }
}
