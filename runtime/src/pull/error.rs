//! The errors of a pull. A pull fails where one of its parts fails, so each variant wraps
//! that part's error unchanged: the registry's texts and kinds (`manifest for X not found:
//! manifest unknown: manifest unknown` is NotFound) reach the caller as the registry crate
//! wrote them, and the store's digest checks name the expected and the actual digest.

use berth_core::{ErrorKind, Kind};
use berth_registry::RegistryError;
use berth_store::{ImportError, ReferenceError};

/// Everything a pull can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The reference the caller gave is not a valid Docker reference.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// Resolving the reference or downloading a blob failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The store refused the image: a digest mismatch, a hostile layer, a disk error.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A worker task of the pull panicked or was cancelled.
    #[error("pull task failed: {reason}")]
    Task { reason: String },
}

impl Kind for PullError {
    fn kind(&self) -> ErrorKind {
        match self {
            PullError::Reference(e) => e.kind(),
            PullError::Registry(e) => e.kind(),
            PullError::Import(e) => e.kind(),
            PullError::Task { .. } => ErrorKind::System,
        }
    }
}

impl PullError {
    /// The error's kind, without importing [`Kind`].
    pub fn kind(&self) -> ErrorKind {
        Kind::kind(self)
    }

    pub(crate) fn task(err: tokio::task::JoinError) -> PullError {
        PullError::Task {
            reason: err.to_string(),
        }
    }
}
