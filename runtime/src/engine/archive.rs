//! `docker cp` both ways and `docker export`: the lifecycle resolves paths in the container's
//! own view of its root and holds it; archives going in are extracted by the image store's
//! confined extractor (the same rules and caps as a layer, with `docker cp`'s own), so an
//! archive cannot write outside the destination however it is made.

use std::fs::File;
use std::io::Read;

use berth_core::Kind;
use berth_lifecycle::{LifecycleError, PathStat};
use berth_store::ArchiveOptions;

use super::{Engine, EngineError};

impl Engine {
    /// `HEAD /containers/{id}/archive`.
    pub fn archive_stat(&self, container: &str, path: &str) -> Result<PathStat, EngineError> {
        Ok(self.containers.archive_stat(container, path)?)
    }

    /// `GET /containers/{id}/archive`: the stat, and the tar to stream.
    pub fn archive(&self, container: &str, path: &str) -> Result<(PathStat, File), EngineError> {
        Ok(self.containers.archive(container, path)?)
    }

    /// `GET /containers/{id}/export`.
    pub fn export(&self, container: &str) -> Result<File, EngineError> {
        Ok(self.containers.export(container)?)
    }

    /// `PUT /containers/{id}/archive`: `archive` (plain or compressed tar) extracted into the
    /// directory `path`.
    pub fn archive_put(
        &self,
        container: &str,
        path: &str,
        archive: impl Read,
        no_overwrite_dir_non_dir: bool,
        copy_uid_gid: bool,
    ) -> Result<(), EngineError> {
        let limits = self.store.limits();
        self.containers
            .archive_put(container, path, copy_uid_gid, |dest| {
                let options = ArchiveOptions {
                    no_overwrite_dir_non_dir,
                    owner: dest.owner,
                    limits,
                };
                berth_store::extract_archive(
                    archive,
                    dest.root,
                    &dest.dir,
                    &dest.space_dir,
                    &options,
                )
                .map(drop)
                .map_err(|e| LifecycleError::Extract {
                    kind: e.kind(),
                    message: e.to_string(),
                })
            })
            .map_err(EngineError::from)
    }
}
