//! The two ways the container half answers to the image half: [`ImageUsers`] for `rmi`'s
//! conflict rules (any container, running or not, uses the image it was created from), and the
//! release of layer leases whose container is gone.
//!
//! Leases of removed containers are released eagerly by `rm` and `run`, and lazily for what the
//! lifecycle removes on its own (`--rm` at exit, a crashed create): every sweep lists the lease
//! records first and the containers second, so a lease taken by a create that finishes in
//! between is always matched by its container. A lingering lease only delays the deletion of
//! layers; it never changes what `rmi` answers.

use std::collections::HashSet;

use berth_store::{ImageId, ImageUser, ImageUsers};

use super::images::PENDING_PREFIX;
use super::{Engine, EngineError};

impl ImageUsers for Engine {
    /// Called by the store with its lock held; only the lifecycle's registry is read here, and
    /// the lifecycle never calls the store while holding that.
    fn containers_using(&self, image: &ImageId) -> Vec<ImageUser> {
        let image = image.to_string();
        self.containers
            .list()
            .into_iter()
            .filter(|c| c.config.image_id == image)
            .map(|c| ImageUser {
                container: c.config.id.to_string(),
                running: c.state.status.is_running(),
            })
            .collect()
    }
}

impl Engine {
    /// Releases the leases of containers that no longer exist; with `at_open`, also pending
    /// leases, which at open can only be left over from a create that crashed.
    pub(crate) fn release_orphaned_leases(&self, at_open: bool) -> Result<(), EngineError> {
        let owners = self.lease_owners()?;
        let live: HashSet<String> = self
            .containers
            .list()
            .into_iter()
            .map(|c| c.config.id.to_string())
            .collect();
        for owner in owners {
            let orphan = if owner.starts_with(PENDING_PREFIX) {
                at_open
            } else {
                is_container_id(&owner) && !live.contains(&owner)
            };
            if orphan {
                self.store.release_layers(&owner)?;
            }
        }
        Ok(())
    }

    /// Takes the lease a container should hold and does not: a create that died after
    /// recording the container and before recording its lease. Without one, `rmi -f` of its
    /// image would take the layers from under it. A container whose image is gone too keeps
    /// running without (its layers are then only as safe as `fsck` reports).
    pub(crate) fn lease_unleased_containers(&self) -> Result<(), EngineError> {
        let owners: HashSet<String> = self.lease_owners()?.into_iter().collect();
        for c in self.containers.list() {
            let id = c.config.id.to_string();
            let Ok(image) = c.config.image_id.parse::<ImageId>() else {
                continue;
            };
            if !owners.contains(&id) && self.store.lease_layers(&id, &image).is_ok() {
                tracing::warn!(container = %id, %image, "container had no layer lease: taken again");
            }
        }
        Ok(())
    }

    /// The owners of the store's lease records (`leases/<owner>.json`, the store's documented
    /// layout; the store has no listing call for them).
    fn lease_owners(&self) -> Result<Vec<String>, EngineError> {
        let dir = self.store.root().join("leases");
        let read = std::fs::read_dir(&dir).map_err(|e| EngineError::io("read", &dir, e))?;
        let mut owners = Vec::new();
        for entry in read {
            let path = entry.map_err(|e| EngineError::io("read", &dir, e))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    owners.push(stem.to_owned());
                }
            }
        }
        Ok(owners)
    }
}

/// Container IDs are 64 lowercase hex characters; other owners belong to someone else.
fn is_container_id(owner: &str) -> bool {
    owner.len() == 64
        && owner
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_container_ids_are_swept() {
        assert!(is_container_id(&"ab".repeat(32)));
        assert!(!is_container_id("pending-1-2"));
        assert!(!is_container_id(&"AB".repeat(32)));
    }
}
