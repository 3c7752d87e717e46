//! The errors of the store's image operations (lookup, tag, delete, list, inspect, import,
//! load), with Docker's texts where a Docker client shows them. Lower layers keep their own
//! error types (`BlobError`, `UnpackError`, `RecordError`, ...); these wrap them.

use berth_core::{ErrorKind, Kind};

use crate::blob::BlobError;
use crate::digest::Digest;
use crate::image::ImageId;
use crate::layer::LayerError;
use crate::record::RecordError;
use berth_core::reference::ReferenceError;

/// Why an image can't be deleted (moby's `imageDeleteConflict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    Children,
    RunningContainer { container: String },
    MultipleRepositories,
    StoppedContainer { container: String },
}

impl ConflictReason {
    /// Hard conflicts cannot be forced.
    pub fn is_hard(&self) -> bool {
        matches!(
            self,
            ConflictReason::Children | ConflictReason::RunningContainer { .. }
        )
    }

    /// Whether a container uses the image (moby's `used`), which makes a quiet delete skip
    /// the image even when it is dangling.
    pub fn is_use(&self) -> bool {
        matches!(
            self,
            ConflictReason::RunningContainer { .. } | ConflictReason::StoppedContainer { .. }
        )
    }

    fn describe(&self) -> String {
        match self {
            ConflictReason::Children => "image has dependent child images".into(),
            ConflictReason::RunningContainer { container } => {
                format!(
                    "image is being used by running container {}",
                    short(container)
                )
            }
            ConflictReason::MultipleRepositories => {
                "image is referenced in multiple repositories".into()
            }
            ConflictReason::StoppedContainer { container } => {
                format!(
                    "image is being used by stopped container {}",
                    short(container)
                )
            }
        }
    }
}

/// moby's `stringid.TruncateID`: drop up to the first `:`, keep 12 characters.
pub fn short(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, rest)| rest);
    &id[..id.len().min(12)]
}

/// What went wrong with an image operation.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Docker's `ErrImageDoesNotExist`: `name` is the reference with `:latest` added when it
    /// had no tag (`No such image: e:latest`), or a digest as typed.
    #[error("No such image: {name}")]
    NotFound { name: String },
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(
        "conflict: unable to delete {} ({}) - {}",
        image.short(),
        if reason.is_hard() { "cannot be forced" } else { "must be forced" },
        reason.describe()
    )]
    Conflict {
        image: ImageId,
        reason: ConflictReason,
    },
    #[error(
        "conflict: unable to remove repository reference {reference:?} (must force) - container {} is using its referenced image {}",
        short(container),
        image.short()
    )]
    ReferenceInUse {
        reference: String,
        container: String,
        image: ImageId,
    },
    #[error("Cannot overwrite digest {digest}")]
    DigestTaken { digest: Digest },
    #[error("invalid layer lease owner {owner:?}")]
    InvalidOwner { owner: String },
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error("store {} is in use: another process holds its lock {}/.lock", root.display(), root.display())]
    Locked { root: std::path::PathBuf },
    #[error("store {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("image config {digest} is not valid: {source}")]
    Config {
        digest: Digest,
        #[source]
        source: serde_json::Error,
    },
}

impl Kind for ImageError {
    fn kind(&self) -> ErrorKind {
        match self {
            ImageError::NotFound { .. } => ErrorKind::NotFound,
            ImageError::Reference(e) => e.kind(),
            ImageError::Conflict { .. }
            | ImageError::ReferenceInUse { .. }
            | ImageError::DigestTaken { .. }
            | ImageError::Locked { .. } => ErrorKind::Conflict,
            ImageError::Io { .. } => ErrorKind::System,
            ImageError::Record(e) => e.kind(),
            ImageError::Blob(e) => e.kind(),
            ImageError::Layer(e) => e.kind(),
            ImageError::Config { .. } | ImageError::InvalidOwner { .. } => {
                ErrorKind::InvalidParameter
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ImageId {
        "sha256:ce338231fba99ae51a0ee5570e48d7c541801900cfc473b8d5b5aec6b9b08718"
            .parse()
            .unwrap()
    }

    #[test]
    fn conflict_texts_are_dockers() {
        let ctr = "a130b5e039ff0c95b7c98b6ac54a2bab392b2c05c8014753b4e2e6b60b8ce9e3".to_string();
        let e = ImageError::Conflict {
            image: id(),
            reason: ConflictReason::RunningContainer {
                container: ctr.clone(),
            },
        };
        assert_eq!(e.to_string(), "conflict: unable to delete ce338231fba9 (cannot be forced) - image is being used by running container a130b5e039ff");
        let e = ImageError::ReferenceInUse {
            reference: "r6".into(),
            container: ctr,
            image: id(),
        };
        assert_eq!(e.to_string(), "conflict: unable to remove repository reference \"r6\" (must force) - container a130b5e039ff is using its referenced image ce338231fba9");
        let e = ImageError::Conflict {
            image: id(),
            reason: ConflictReason::MultipleRepositories,
        };
        assert_eq!(e.to_string(), "conflict: unable to delete ce338231fba9 (must be forced) - image is referenced in multiple repositories");
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
}
