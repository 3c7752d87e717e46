//! Images: an immutable config plus an ordered list of layers, identified by the digest of the
//! config. Layers are shared between images by their chain IDs, as in Docker's layer store.

use std::collections::{BTreeMap, BTreeSet};

use crate::fs::Changes;
use crate::ids::{ContainerId, Digest, ImageId};
use berth_format::Timestamp;

/// The runnable part of an image config (`.Config` in `docker inspect`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageConfig {
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub labels: BTreeMap<String, String>,
    pub exposed_ports: BTreeSet<String>,
}

/// One layer: its uncompressed-content digest, its size, and what it changes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layer {
    pub diff_id: Digest,
    pub size: u64,
    pub changes: std::rc::Rc<Changes>,
}

/// Who made an image and from what, for images created by `commit`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    pub container: ContainerId,
    pub container_config: ImageConfig,
    pub comment: String,
}

/// An image as the engine stores it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Image {
    pub id: ImageId,
    pub parent: Option<ImageId>,
    pub created: Timestamp,
    pub config: ImageConfig,
    pub layers: Vec<Layer>,
    pub provenance: Option<Provenance>,
    /// The layers' chain IDs, bottom to top (derived from `layers`, kept because every pull
    /// and delete asks for them).
    pub chain: Vec<Digest>,
}

impl Image {
    /// Builds an image whose ID is the digest of a canonical serialisation of everything that
    /// defines it, as a real config digest would be.
    pub fn new(
        parent: Option<ImageId>,
        created: Timestamp,
        config: ImageConfig,
        layers: Vec<Layer>,
        provenance: Option<Provenance>,
    ) -> Image {
        let id = config_digest(&parent, created, &config, &layers, &provenance);
        let chain = chain_ids(layers.iter().map(|l| &l.diff_id));
        Image {
            id,
            parent,
            created,
            config,
            layers,
            provenance,
            chain,
        }
    }

    /// Total size of the image's layers, which Docker reports as both Size and VirtualSize.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }

    pub fn diff_ids(&self) -> Vec<Digest> {
        self.layers.iter().map(|l| l.diff_id.clone()).collect()
    }
}

/// OCI chain IDs: the first is the first diff ID; each next is `sha256(prev + " " + diff)`.
pub fn chain_ids<'a>(diff_ids: impl IntoIterator<Item = &'a Digest>) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::new();
    for diff in diff_ids {
        let next = match out.last() {
            None => diff.clone(),
            Some(prev) => Digest::of(format!("{prev} {diff}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// The image ID: the digest of everything that defines the image, serialised in a fixed
/// field order straight into the hash.
fn config_digest(
    parent: &Option<ImageId>,
    created: Timestamp,
    config: &ImageConfig,
    layers: &[Layer],
    provenance: &Option<Provenance>,
) -> ImageId {
    #[derive(serde::Serialize)]
    struct Canonical<'a> {
        parent: &'a Option<ImageId>,
        created: Timestamp,
        config: &'a ImageConfig,
        rootfs: Vec<&'a Digest>,
        provenance: &'a Option<Provenance>,
    }
    let rootfs = layers.iter().map(|l| &l.diff_id).collect();
    Digest::of_json(&Canonical {
        parent,
        created,
        config,
        rootfs,
        provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_oci_rule() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let chain = chain_ids([&a, &b]);
        assert_eq!(chain[0], a);
        assert_eq!(chain[1], Digest::of(format!("{a} {b}").as_bytes()));
    }

    #[test]
    fn same_definition_same_id() {
        let make = || {
            Image::new(
                None,
                Timestamp::from_unix_seconds(0),
                ImageConfig::default(),
                vec![],
                None,
            )
        };
        assert_eq!(make().id, make().id);
    }
}
