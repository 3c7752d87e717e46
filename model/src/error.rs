//! Error kinds and the model's error type. The kinds are the vocabulary shared by the model,
//! the runtime and the harness (ARCHITECTURE.md); each maps to exactly one HTTP status.

use std::fmt;

/// What kind of failure an answer is, independent of its wording.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ErrorKind {
    NotFound,
    InvalidParameter,
    Conflict,
    Unauthorized,
    Forbidden,
    Unavailable,
    NotModified,
    NotImplemented,
    System,
}

impl ErrorKind {
    /// The HTTP status the Engine API answers with for this kind.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::InvalidParameter => 400,
            ErrorKind::Conflict => 409,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::Unavailable => 503,
            ErrorKind::NotModified => 304,
            ErrorKind::NotImplemented => 501,
            ErrorKind::System => 500,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An error answer: its kind and the engine profile's exact message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{message}")]
pub struct ModelError {
    pub kind: ErrorKind,
    pub message: String,
    /// The pull `run`/`create` made before failing (the CLI printed its progress first: the
    /// engine looks the image up before it checks the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulled: Option<Box<crate::response::PullReport>>,
}

impl ModelError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ModelError {
            kind,
            message: message.into(),
            pulled: None,
        }
    }

    /// The same error, after `pulled` was printed.
    pub fn after_pull(mut self, pulled: Option<crate::response::PullReport>) -> Self {
        self.pulled = pulled.map(Box::new);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn system(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::System, message)
    }

    /// 304: the engine had nothing to do (start of a running container, stop of a stopped one).
    pub fn not_modified() -> Self {
        Self::new(ErrorKind::NotModified, "")
    }
}
