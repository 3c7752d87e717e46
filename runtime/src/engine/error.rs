//! The engine's one error type. It wraps the errors of the two halves it joins (the image
//! store and the container lifecycle) without rewording them, so Docker's texts pass through
//! byte for byte, and adds the few failures that only the joining code can have (commit's
//! `changes`, the commit layer's temporary file).

use std::io;
use std::path::PathBuf;

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::LifecycleError;
use berth_store::{DigestError, FsckError, ImageError, ImportError, LoadError, ReferenceError};

/// Why an engine verb failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Digest(#[from] DigestError),
    #[error(transparent)]
    Container(#[from] LifecycleError),
    #[error(transparent)]
    Fsck(#[from] FsckError),
    /// moby's `BuildFromConfig` text for an instruction `commit --change` does not take.
    #[error("{instruction} is not a valid change command")]
    InvalidChange { instruction: String },
    /// A change instruction with unusable arguments (`ENV` without a value, `CMD` alone).
    #[error("{reason}")]
    BadChange { reason: String },
    /// A container record names an image ID the store cannot parse.
    #[error("container {container} has an invalid image ID {image_id:?}")]
    CorruptImageId { container: String, image_id: String },
    /// `top`'s `ps` failed or printed no PID column (dockerd's texts).
    #[error("{reason}")]
    Top { reason: String },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl EngineError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        EngineError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

impl Kind for EngineError {
    fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Image(e) => e.kind(),
            EngineError::Load(e) => e.kind(),
            EngineError::Import(e) => e.kind(),
            EngineError::Reference(e) => e.kind(),
            EngineError::Digest(e) => e.kind(),
            EngineError::Container(e) => e.kind(),
            EngineError::Fsck(e) => e.kind(),
            EngineError::InvalidChange { .. } | EngineError::BadChange { .. } => {
                ErrorKind::InvalidParameter
            }
            EngineError::CorruptImageId { .. }
            | EngineError::Top { .. }
            | EngineError::Io { .. } => ErrorKind::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_errors_are_bad_requests_in_mobys_words() {
        let e = EngineError::InvalidChange {
            instruction: "run".into(),
        };
        assert_eq!(e.to_string(), "run is not a valid change command");
        assert_eq!(e.kind().http_status(), 400);
    }
}
