//! What the lifecycle needs from the image store, as a small trait: resolve a reference or ID to
//! the image's ID, its unpacked layer directories and its config, together with whatever keeps
//! those directories alive (the implementation's *lease*), which `create` holds until its
//! records are written and then hands back to its caller ([`Created`]). The real store
//! implements it; tests use a fake over a directory they build, with `()` as the lease.
//! Nothing here reads the store's own formats.

use std::collections::BTreeMap;
use std::path::PathBuf;

use berth_core::Kind;

/// The image store, as seen by the container lifecycle.
pub trait Images: Send + Sync + 'static {
    type Error: std::error::Error + Kind + Send + Sync + 'static;
    /// What keeps a resolved image's layer directories from being deleted until the caller of
    /// `create` has made its own arrangement; dropping it ends that hold.
    type Lease: Send + 'static;

    /// The image a reference (`busybox`, `busybox:latest`) or an image ID (or prefix) names,
    /// and a lease on its layers.
    fn resolve(&self, reference_or_id: &str) -> Result<Resolved<Self::Lease>, Self::Error>;
}

/// What [`Images::resolve`] answers: the image, and the lease on its layers.
#[derive(Debug)]
pub struct Resolved<L> {
    pub image: ImageInfo,
    pub lease: L,
}

/// A created container and the lease its image was resolved with, now the caller's.
#[derive(Debug)]
pub struct Created<L> {
    pub id: crate::id::ContainerId,
    pub lease: L,
}

/// One resolved image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// `sha256:<64 hex>`.
    pub id: String,
    /// Unpacked layer directories, bottom to top (the order of the image's `rootfs.diff_ids`).
    pub layer_dirs: Vec<PathBuf>,
    pub config: ImageConfig,
}

/// The part of an image's config that decides how its containers run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    /// The image's labels, which its containers start with.
    pub labels: BTreeMap<String, String>,
}
