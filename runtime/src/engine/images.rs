//! The lifecycle's view of the image store: [`StoreImages`] resolves a reference through the
//! store and, in the same step, takes a layer lease, so the lower directories a container is
//! created with can never be deleted under it (`rmi -f` of a stopped container's image deletes
//! the image but keeps the leased layers, as Docker's RW layer reference does).
//!
//! The lifecycle resolves before it picks the container ID, so the lease is first taken under
//! a *pending* owner and handed back as a [`PendingLease`] value: the lifecycle holds it while
//! it writes the container's records and returns it from `create_leased`; the engine then
//! leases the layers under the container's ID and releases the pending one. A create that
//! fails drops its `PendingLease`, which releases it. This module never decides when a
//! container's lease ends; the engine does.

use std::sync::atomic::{AtomicU64, Ordering};

use berth_lifecycle::{ImageConfig as RunImageConfig, ImageInfo, Images, Resolved};
use berth_store::{ImageConfig, ImageError, LeaseKind, Store};

/// Lease owners that do not (yet) belong to a container start with this.
pub(crate) const PENDING_PREFIX: &str = "pending-";

static NEXT_PENDING: AtomicU64 = AtomicU64::new(0);

/// The store, as the lifecycle's `Images`.
#[derive(Debug, Clone)]
pub struct StoreImages {
    store: Store,
}

impl StoreImages {
    pub fn new(store: Store) -> StoreImages {
        StoreImages { store }
    }
}

/// A transient layer lease taken by a resolve, before its container has an ID. It is released
/// by [`PendingLease::release`] once the container holds its own, or when dropped (a create
/// that failed after the resolve).
#[derive(Debug)]
pub struct PendingLease {
    store: Store,
    owner: Option<String>,
}

impl PendingLease {
    /// Ends the lease, saying whether the store could.
    pub(crate) fn release(mut self) -> Result<(), ImageError> {
        match self.owner.take() {
            Some(owner) => self.store.release_layers(&owner).map(drop),
            None => Ok(()),
        }
    }
}

impl Drop for PendingLease {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.take() {
            // Only a failed create gets here; a lease the store cannot drop now is a pending
            // one, which the next open releases.
            let _ = self.store.release_layers(&owner);
        }
    }
}

impl Images for StoreImages {
    type Error = ImageError;
    type Lease = PendingLease;

    fn resolve(&self, reference_or_id: &str) -> Result<Resolved<PendingLease>, ImageError> {
        let image = self.store.image(reference_or_id)?;
        let owner = format!(
            "{PENDING_PREFIX}{}-{}",
            std::process::id(),
            NEXT_PENDING.fetch_add(1, Ordering::Relaxed)
        );
        // The store answers overlayfs order (top first); `ImageInfo` wants the image's
        // `rootfs.diff_ids` order (bottom first), and the lifecycle reverses it again.
        // Transient: a pending lease lives only until create moves it to the container (or
        // until this process ends), so it needs no record and no fsync on the create path.
        let mut layer_dirs =
            self.store
                .lease_layers_as(&owner, image.id(), LeaseKind::Transient)?;
        layer_dirs.reverse();
        let lease = PendingLease {
            store: self.store.clone(),
            owner: Some(owner),
        };
        let image = ImageInfo {
            id: image.id().to_string(),
            layer_dirs,
            config: run_config(&image.config),
        };
        Ok(Resolved { image, lease })
    }
}

/// The part of an image config that decides how its containers run.
fn run_config(config: &ImageConfig) -> RunImageConfig {
    let Some(c) = &config.config else {
        return RunImageConfig::default();
    };
    RunImageConfig {
        cmd: c.cmd.clone().unwrap_or_default(),
        entrypoint: c.entrypoint.clone().unwrap_or_default(),
        env: c.env.clone().unwrap_or_default(),
        working_dir: c.working_dir.clone(),
        user: c.user.clone(),
        labels: c.labels.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_without_a_run_config_runs_with_defaults() {
        let c = ImageConfig::default();
        assert_eq!(run_config(&c), RunImageConfig::default());
    }
}
