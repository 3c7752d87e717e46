//! What the lifecycle needs from the image store, as a small trait: resolve a reference or ID to
//! the image's ID, its unpacked layer directories and its config. The real store implements it;
//! tests use a fake over a directory they build. Nothing here reads the store's own formats.

use std::collections::BTreeMap;
use std::path::PathBuf;

use berth_core::Kind;

/// The image store, as seen by the container lifecycle.
pub trait Images: Send + Sync + 'static {
    type Error: std::error::Error + Kind + Send + Sync + 'static;

    /// The image a reference (`busybox`, `busybox:latest`) or an image ID (or prefix) names.
    fn resolve(&self, reference_or_id: &str) -> Result<ImageInfo, Self::Error>;
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
