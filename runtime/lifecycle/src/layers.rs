//! A container's layer stack as host paths (its upper dir over the init layer over the image's
//! layers), and what a start or an exec reads through it: the user's identity in the
//! container's own passwd and group files. The paths are named while the registry is held;
//! the files are read after it was released, so no image can stall the verbs of other
//! containers. This module never takes the registry and never decides what a failed lookup
//! does to the container.

use std::path::{Path, PathBuf};

use crate::error::LifecycleError;
use crate::user::Identity;

/// What a start (or an exec) reads from the container's files, named while the registry was
/// held.
#[derive(Debug)]
pub(crate) struct Reading {
    pub user: String,
    /// `HostConfig.GroupAdd`: supplementary groups on top of the user's.
    pub group_add: Vec<String>,
    pub upper: PathBuf,
    /// Topmost first.
    pub lower: Vec<PathBuf>,
}

impl Reading {
    /// The user's identity in the container's own files. Call with no lock held.
    pub fn identity(&self) -> Result<Identity, LifecycleError> {
        let view = crate::rootfs::Rootfs::open(Some(&self.upper), &self.lower)
            .map_err(|e| LifecycleError::io("open", "the container's layers", e))?;
        let mut identity = crate::user::resolve(&self.user, &view)?;
        for gid in crate::user::additional_groups(&self.group_add, &view)? {
            if !identity.user.additional_gids.contains(&gid) {
                identity.user.additional_gids.push(gid);
            }
        }
        Ok(identity)
    }
}

/// The read-only layers under a container's upper dir, topmost first: the init layer over the
/// image's (which come bottom to top).
pub(crate) fn lower_layers(init_layer: &Path, image_layers: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(init_layer.to_path_buf())
        .chain(image_layers.iter().rev().cloned())
        .collect()
}
