//! The lifecycle's view of the image store: [`StoreImages`] resolves a reference through the
//! store and, in the same step, takes a layer lease, so the lower directories a container is
//! created with can never be deleted under it (`rmi -f` of a stopped container's image deletes
//! the image but keeps the leased layers, as Docker's RW layer reference does).
//!
//! The lifecycle resolves before it picks the container ID, so the lease is first taken under
//! a *pending* owner; `Engine::create` moves it to the container ID once create answers and
//! drops the pending one. The pending owner travels from `resolve` to `create` through a
//! thread-local because `resolve` runs synchronously on the caller's thread inside
//! `Containers::create` and the `Images` trait has no room for it. This module never decides
//! when a lease ends; the engine does.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use berth_lifecycle::{ImageConfig as RunImageConfig, ImageInfo, Images};
use berth_store::{ImageConfig, ImageError, LeaseKind, Store};

/// Lease owners that do not (yet) belong to a container start with this.
pub(crate) const PENDING_PREFIX: &str = "pending-";

static NEXT_PENDING: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The pending lease the last `resolve` on this thread took, until `take_pending`.
    static PENDING: RefCell<Option<String>> = const { RefCell::new(None) };
}

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

impl Images for StoreImages {
    type Error = ImageError;

    fn resolve(&self, reference_or_id: &str) -> Result<ImageInfo, ImageError> {
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
        if let Some(stale) = PENDING.with(|p| p.borrow_mut().replace(owner)) {
            // A resolve whose create never collected its lease (not expected): drop it.
            let _ = self.store.release_layers(&stale);
        }
        Ok(ImageInfo {
            id: image.id().to_string(),
            layer_dirs,
            config: run_config(&image.config),
        })
    }
}

/// The pending lease the last `resolve` on this thread took, if any; the caller now owns it.
pub(crate) fn take_pending() -> Option<String> {
    PENDING.with(|p| p.borrow_mut().take())
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

    #[test]
    fn pending_leases_are_taken_once() {
        PENDING.with(|p| *p.borrow_mut() = Some("pending-x".into()));
        assert_eq!(take_pending().as_deref(), Some("pending-x"));
        assert_eq!(take_pending(), None);
    }
}
