//! Engine profiles: every text and store rule that differs between engine versions lives here,
//! so the rest of the model states behaviour once. `docker-20.10` (dockerd 20.10.24, API 1.41)
//! is the reference CI runs. Adding `docker-28` or `podman-4` means adding a variant: the
//! compiler then points at every text and rule it must define.

use std::fmt;
use std::str::FromStr;

use crate::error::{ErrorKind, ModelError};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Profile {
    /// dockerd 20.10.24 with the classic (graphdriver) image store, runc 1.1 and containerd 1.6.
    #[default]
    #[serde(rename = "docker-20.10")]
    Docker2010,
}

/// How an engine answers an image ID prefix that matches several images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmbiguousImagePrefix {
    /// 20.10's classic store: reported as `No such image`.
    NotFound,
}

impl Profile {
    pub const ALL: [Profile; 1] = [Profile::Docker2010];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Docker2010 => "docker-20.10",
        }
    }

    pub fn ambiguous_image_prefix(self) -> AmbiguousImagePrefix {
        match self {
            Profile::Docker2010 => AmbiguousImagePrefix::NotFound,
        }
    }

    pub fn no_such_container(self, arg: &str) -> ModelError {
        ModelError::not_found(format!("No such container: {arg}"))
    }

    /// 20.10 wraps the truncindex error as a system error: HTTP 500.
    pub fn ambiguous_container(self, arg: &str) -> ModelError {
        ModelError::system(format!("Multiple IDs found with provided prefix: {arg}"))
    }

    /// An empty container argument never reaches the daemon: the CLI refuses it.
    pub fn empty_container_arg(self) -> ModelError {
        ModelError::invalid("invalid container name or ID: value is empty")
    }

    /// `rm ""`: the CLI's own wording for the same refusal.
    pub fn empty_rm_arg(self) -> ModelError {
        ModelError::invalid("container name cannot be empty")
    }

    /// `kill` wraps every failure, lookups included, in the same prefix.
    pub fn kill_failed(self, arg: &str, cause: ModelError) -> ModelError {
        ModelError::new(
            cause.kind,
            format!("Cannot kill container: {arg}: {}", cause.message),
        )
    }

    /// The CLI checks `tag` targets itself, with the newer reference library's wording.
    pub fn tag_target_invalid(self, target: &str, cause: &str) -> ModelError {
        ModelError::invalid(format!(
            "Error parsing reference: {target:?} is not a valid repository/tag: {cause}"
        ))
    }

    pub fn no_such_image(self, familiar: &str) -> ModelError {
        ModelError::not_found(format!("No such image: {familiar}"))
    }

    /// `docker inspect` without `--type` when nothing matched (the CLI's own text).
    pub fn no_such_object(self, arg: &str) -> ModelError {
        ModelError::not_found(format!("No such object: {arg}"))
    }

    pub fn invalid_name(self, name: &str) -> ModelError {
        ModelError::invalid(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        ))
    }

    pub fn name_conflict(self, name: &str, holder: &str) -> ModelError {
        ModelError::conflict(format!(
            "Conflict. The container name \"{name}\" is already in use by container \"{holder}\". \
             You have to remove (or rename) that container to be able to reuse that name."
        ))
    }

    pub fn rm_running(self, id: &str) -> ModelError {
        ModelError::conflict(format!(
            "You cannot remove a running container {id}. Stop the container before attempting removal or force remove"
        ))
    }

    pub fn kill_not_running(self, arg: &str, id: &str) -> ModelError {
        self.kill_failed(
            arg,
            ModelError::conflict(format!("Container {id} is not running")),
        )
    }

    pub fn invalid_signal(self, sig: &str) -> ModelError {
        ModelError::invalid(format!("Invalid signal: {sig}"))
    }

    pub fn start_paused(self) -> ModelError {
        ModelError::conflict("cannot start a paused container, try unpause instead")
    }

    pub fn restart_failed(self, arg: &str, cause: &ModelError) -> ModelError {
        ModelError::system(format!("Cannot restart container {arg}: {}", cause.message))
    }

    pub fn no_command(self) -> ModelError {
        ModelError::invalid("No command specified")
    }

    pub fn rename_empty(self) -> ModelError {
        ModelError::invalid("Neither old nor new names may be empty")
    }

    pub fn rename_same(self) -> ModelError {
        ModelError::invalid("Renaming a container with the same name as its current name")
    }

    /// Rename wraps name reservation failures.
    pub fn rename_failed(self, cause: ModelError) -> ModelError {
        ModelError::new(
            cause.kind,
            format!("Error when allocating new name: {}", cause.message),
        )
    }

    pub fn tag_with_digest(self) -> ModelError {
        ModelError::invalid("refusing to create a tag with a digest reference")
    }

    pub fn manifest_unknown(self, familiar: &str) -> ModelError {
        ModelError::not_found(format!(
            "manifest for {familiar} not found: manifest unknown: manifest unknown"
        ))
    }

    /// The start failure for an executable that does not exist or cannot be run.
    pub fn exec_failed(self, failure: ExecFailure, path: &str) -> ModelError {
        let cause = match failure {
            ExecFailure::NotFound => {
                format!("exec: \"{path}\": stat {path}: no such file or directory")
            }
            ExecFailure::NotInPath => {
                format!("exec: \"{path}\": executable file not found in $PATH")
            }
            ExecFailure::PermissionDenied => format!("exec: \"{path}\": permission denied"),
        };
        ModelError::invalid(format!(
            "failed to create shim task: OCI runtime create failed: runc create failed: \
             unable to start container process: {cause}: unknown"
        ))
    }

    /// `rmi` conflicts: `conflict: unable to delete <img12> (must be forced|cannot be forced) - <why>`.
    pub fn delete_conflict(self, image12: &str, hard: bool, why: &str) -> ModelError {
        let force = if hard {
            "cannot be forced"
        } else {
            "must be forced"
        };
        ModelError::conflict(format!(
            "conflict: unable to delete {image12} ({force}) - {why}"
        ))
    }

    pub fn untag_conflict(self, reference: &str, container12: &str, image12: &str) -> ModelError {
        ModelError::conflict(format!(
            "conflict: unable to remove repository reference \"{reference}\" (must force) - \
             container {container12} is using its referenced image {image12}"
        ))
    }

    /// `commit` of a container whose image `rmi -f` removed: moby cannot read the parent's
    /// config from its image store (the path is under the daemon's data root).
    pub fn commit_parent_missing(self, parent: &str) -> ModelError {
        let hex = parent.trim_start_matches("sha256:");
        ModelError::system(format!(
            "failed to get digest {parent}: open /var/lib/docker/image/overlay2/imagedb/content/sha256/{hex}: no such file or directory"
        ))
    }

    pub fn invalid_change(self, instruction: &str) -> ModelError {
        ModelError::invalid(format!("{instruction} is not a valid change command"))
    }

    pub fn reference_error(self, text: &str) -> ModelError {
        ModelError::new(ErrorKind::InvalidParameter, text)
    }
}

/// Why a container's executable could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecFailure {
    /// An absolute or relative path that does not exist.
    NotFound,
    /// A bare name that no PATH entry holds.
    NotInPath,
    /// Not executable (or a directory).
    PermissionDenied,
}

impl ExecFailure {
    /// The exit code Docker records: 127 for not found, 126 for cannot execute.
    pub fn exit_code(self) -> i32 {
        match self {
            ExecFailure::NotFound | ExecFailure::NotInPath => 127,
            ExecFailure::PermissionDenied => 126,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown profile name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown engine profile {0:?}: known profiles are docker-20.10")]
pub struct ProfileError(pub String);

impl FromStr for Profile {
    type Err = ProfileError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ProfileError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
        }
        assert!("docker-99".parse::<Profile>().is_err());
    }

    #[test]
    fn conflict_texts_are_dockers() {
        let p = Profile::Docker2010;
        assert_eq!(
            p.delete_conflict("0123456789ab", true, "image has dependent child images").message,
            "conflict: unable to delete 0123456789ab (cannot be forced) - image has dependent child images"
        );
        assert_eq!(p.rm_running("x").kind, ErrorKind::Conflict);
        assert_eq!(p.ambiguous_container("a").kind.http_status(), 500);
    }
}
