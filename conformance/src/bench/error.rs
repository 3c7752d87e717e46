//! The errors of a benchmark run: bad settings, an engine that cannot be reached or answers
//! unexpectedly, and output that cannot be written. Each names what it was about.

use std::path::PathBuf;

use crate::api::http::HttpError;

/// What went wrong, by kind, so callers can tell a user mistake from an engine failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchErrorKind {
    /// The flags or the engine spec are wrong.
    InvalidArgument,
    /// The engine could not be reached.
    Unreachable,
    /// The image does not exist and could not be pulled.
    NotFound,
    /// The engine answered something a Docker engine does not.
    Engine,
    /// Writing the report or plot failed.
    Output,
}

/// Why a benchmark could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("invalid {flag}: {why}")]
    InvalidArgument { flag: &'static str, why: String },
    #[error("engine {spec:?}: {why}")]
    UnknownEngine { spec: String, why: String },
    /// The embedded runtime could not be opened (it needs root) or driven.
    #[error("engine embedded: {why}")]
    Embedded { why: String },
    #[error("engine socket {}: {why}", path.display())]
    SocketUnusable { path: PathBuf, why: String },
    #[error("engine {engine}: {source}")]
    Unreachable { engine: String, source: HttpError },
    #[error("engine {engine}: image {image:?} not found: create answered 404 and the pull failed: {why}")]
    ImageMissing {
        engine: String,
        image: String,
        why: String,
    },
    #[error("engine {engine}: {step} answered {status}: {message}")]
    Engine {
        engine: String,
        step: &'static str,
        status: u16,
        message: String,
    },
    #[error("engine {engine}: {step}: {why}")]
    Protocol {
        engine: String,
        step: &'static str,
        why: String,
    },
    #[error("cannot write {}: {why}", path.display())]
    Output { path: PathBuf, why: String },
}

impl BenchError {
    pub fn kind(&self) -> BenchErrorKind {
        match self {
            BenchError::InvalidArgument { .. } | BenchError::UnknownEngine { .. } => {
                BenchErrorKind::InvalidArgument
            }
            BenchError::SocketUnusable { .. } | BenchError::Unreachable { .. } => {
                BenchErrorKind::Unreachable
            }
            BenchError::ImageMissing { .. } => BenchErrorKind::NotFound,
            BenchError::Engine { .. }
            | BenchError::Protocol { .. }
            | BenchError::Embedded { .. } => BenchErrorKind::Engine,
            BenchError::Output { .. } => BenchErrorKind::Output,
        }
    }
}
