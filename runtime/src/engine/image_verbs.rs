//! The image verbs: thin wrappers over `berth-store`, except that `rmi` asks this engine's
//! containers which of them use an image, so its conflicts follow Docker's (used by a running
//! container: cannot be forced; by a stopped one: must be forced).

use std::path::Path;

use berth_registry::progress::ProgressMessage;
use berth_registry::{Client, Platform};
use berth_store::{
    DeleteRecord, HistoryItem, ImageId, ImageInspect, ImageSummary, ListOptions, LoadOptions,
    LoadReport, Reference,
};

use super::{Engine, EngineError};
use crate::pull::{PullError, PullOutcome};

impl Engine {
    /// `docker load -i`: a `docker save` archive or an OCI layout (directory or tar).
    pub fn load(&self, path: &Path) -> Result<LoadReport, EngineError> {
        Ok(self.store.load(path, &LoadOptions::default())?)
    }

    /// `docker load` of an upload: spooled (within the store's space limits) and loaded.
    pub fn load_stream(&self, reader: impl std::io::Read) -> Result<LoadReport, EngineError> {
        Ok(self.store.load_stream(reader, &LoadOptions::default())?)
    }

    /// `docker pull`: from `registry` into this engine's store, dockerd's progress messages
    /// to `progress` as they happen.
    pub async fn pull(
        &self,
        registry: &Client,
        reference: &str,
        platform: &Platform,
        progress: &mut (dyn FnMut(ProgressMessage) + Send),
    ) -> Result<PullOutcome, PullError> {
        crate::pull::pull(registry, &self.store, reference, platform, progress).await
    }

    /// `docker images [-a]`.
    pub fn images(&self, all: bool) -> Vec<ImageSummary> {
        self.list_images(ListOptions {
            all,
            dangling: None,
        })
    }

    /// `GET /images/json` with its `dangling` filter.
    pub fn list_images(&self, options: ListOptions) -> Vec<ImageSummary> {
        self.store.list(options)
    }

    /// The ID of the image a reference or ID (prefix) names now.
    pub fn resolve_image(&self, name: &str) -> Result<ImageId, EngineError> {
        Ok(self.store.resolve(name)?)
    }

    /// `docker history`.
    pub fn history(&self, name: &str) -> Result<Vec<HistoryItem>, EngineError> {
        Ok(self.store.history(name)?)
    }

    pub fn inspect_image(&self, name: &str) -> Result<ImageInspect, EngineError> {
        Ok(self.store.inspect(name)?)
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag(&self, source: &str, target: &str) -> Result<ImageId, EngineError> {
        let target: Reference = target.parse()?;
        Ok(self.store.tag(source, &target)?)
    }

    /// `docker rmi [-f]` (pruning untagged parents, as the CLI always asks): the
    /// `Untagged:`/`Deleted:` records in Docker's order.
    pub fn rmi(&self, name: &str, force: bool) -> Result<Vec<DeleteRecord>, EngineError> {
        // Containers auto-removed since the last sweep should not keep layers alive.
        self.release_orphaned_leases(false)?;
        Ok(self.store.delete(name, force, true, self)?)
    }
}
