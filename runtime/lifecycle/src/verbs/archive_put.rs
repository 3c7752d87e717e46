//! `docker cp` into a container (`PUT /containers/{id}/archive`), as dockerd 20.10's
//! `containerExtractToDir` checks it: the destination resolved with every symlink followed
//! inside the container's root, missing (dockerd's `Could not find the file`), or not a
//! directory (`extraction point is not a directory`); with `copyUIDGID` the members are owned
//! by the container's user, as its own passwd and group files name it. The archive itself is
//! extracted by the caller (the engine hands it to the image store's confined extractor):
//! this verb answers where, and holds the container's root view until the caller is done.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::layers::{lower_layers, Reading};
use crate::scoped::{self, Dir};
use crate::steps::view;

/// Where an archive goes: the container's root, the destination directory in it (every
/// symlink resolved), and what the caller needs to extract into it.
#[derive(Debug)]
pub struct Destination {
    pub root: OwnedFd,
    /// Relative to `root`.
    pub dir: PathBuf,
    /// A host directory on the filesystem the writes land on, for free-space checks.
    pub space_dir: PathBuf,
    /// With `copyUIDGID`: the owner every member gets.
    pub owner: Option<(u32, u32)>,
}

impl<I: Images> Containers<I> {
    /// Resolves `path` in the container and runs `extract` on it with the container's root
    /// held (a container that does not run cannot start meanwhile).
    pub fn archive_put(
        &self,
        reference: &str,
        path: &str,
        copy_uid_gid: bool,
        extract: impl FnOnce(Destination) -> Result<(), LifecycleError>,
    ) -> Result<(), LifecycleError> {
        let (reading, space_dir) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            let reading = Reading {
                user: entry.config.config.user.clone(),
                group_add: Vec::new(),
                upper: entry.dir.upper(),
                lower: lower_layers(&self.shared.init_layer, &entry.config.layer_dirs),
            };
            (reading, entry.dir.upper())
        };
        let owner = match copy_uid_gid {
            true => {
                let user = reading.identity()?.user;
                Some((user.uid, user.gid))
            }
            false => None,
        };
        let view = view::open(&self.shared, reference)?;
        let root = view.root();
        let at = |e: std::io::Error| LifecycleError::io("lstat", path.to_string(), e);
        let resolved = scoped::follow_in_scope(root, &format!("/{path}")).map_err(at)?;
        match scoped::dir(root, &resolved).map_err(at)? {
            Dir::Open(_) => {}
            Dir::NotDirectory => return Err(LifecycleError::ExtractPointNotDirectory),
            Dir::Missing => {
                return Err(LifecycleError::PathNotFound {
                    path: path.to_string(),
                    container: reference.to_string(),
                })
            }
        }
        let root = view.open_root()?;
        extract(Destination {
            root,
            dir: PathBuf::from(resolved.trim_start_matches('/')),
            space_dir,
            owner,
        })
    }
}
