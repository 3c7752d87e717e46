//! Registering an image whose parts arrive from elsewhere: the registry client during `pull`
//! and `load` both go through here. `begin_import` checks manifest and config against each
//! other, stores them as blobs and says which layers are already unpacked; `unpack_layer`
//! streams one layer from any reader into its directory in one pass (teeing the compressed
//! bytes into the blob store), and may run for several layers at once on several threads;
//! `finish` writes the image record and the references, once every layer is present.
//!
//! It owns that protocol and the checks between its parts; it never fetches anything. An
//! import dropped before `finish` (a failed pull or load) takes back the layers and blobs it
//! stored that nothing else uses, as dockerd releases a failed pull's layers; what a crash
//! interrupts, the next `open` collects.

use std::io::Read;
use std::sync::Arc;

use berth_core::{ErrorKind, Kind};
use oci_spec::image::ImageManifest;

use crate::blob::BlobError;
use crate::config::ImageConfig;
use crate::digest::{Digest, TeeReader};
use crate::error::ImageError;
use crate::image::{ImageId, ImageRecord};
use crate::layer::{LayerError, LayerRecord};
use crate::store::{used_blobs, used_diff_ids, State, Store};
use crate::unpack::UnpackOptions;
use berth_core::reference::Reference;

/// What went wrong importing an image.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("manifest is not valid: {reason}")]
    Manifest { reason: String },
    #[error("image config {digest} is not valid: {reason}")]
    Config { digest: Digest, reason: String },
    #[error("layer {index} is not part of this image")]
    NoSuchLayer { index: usize },
    #[error("layer {diff_id} was never unpacked")]
    MissingLayer { diff_id: Digest },
    /// dockerd's words for any layer a pull could not register.
    #[error("failed to register layer: {source}")]
    Layer {
        index: usize,
        #[source]
        source: LayerError,
    },
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Image(#[from] ImageError),
}

impl Kind for ImportError {
    fn kind(&self) -> ErrorKind {
        match self {
            ImportError::Manifest { .. }
            | ImportError::Config { .. }
            | ImportError::NoSuchLayer { .. } => ErrorKind::InvalidParameter,
            ImportError::MissingLayer { .. } => ErrorKind::System,
            ImportError::Layer { source, .. } => source.kind(),
            ImportError::Blob(e) => e.kind(),
            ImportError::Image(e) => e.kind(),
        }
    }
}

/// One layer of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLayer {
    /// The compressed blob's digest, when a manifest names it.
    pub blob: Option<Digest>,
    /// The blob's size from the manifest (0 when unknown).
    pub blob_size: u64,
    /// The DiffID from the config.
    pub diff_id: Digest,
    /// Already unpacked in the store: nothing to fetch (`Already exists`).
    pub present: bool,
}

/// An image being imported; `Send + Sync`, so layers can unpack on several threads at once.
#[derive(Debug)]
pub struct ImportPlan {
    store: Store,
    id: ImageId,
    config: Arc<ImageConfig>,
    /// The config and manifest as received: small, and kept to store them again should they
    /// have gone missing before the image is registered.
    config_bytes: Vec<u8>,
    manifest: Option<(Digest, Vec<u8>)>,
    pinned_blobs: Vec<Digest>,
    layers: Vec<PlannedLayer>,
    /// Set once the image is registered: only an import that was not takes its parts back.
    registered: bool,
}

impl Store {
    /// Starts importing from a manifest (Docker schema 2 or OCI) and the config it names.
    pub fn begin_import(&self, manifest: &[u8], config: &[u8]) -> Result<ImportPlan, ImportError> {
        let parsed = ImageManifest::from_reader(manifest).map_err(|e| ImportError::Manifest {
            reason: e.to_string(),
        })?;
        let named: Digest =
            parsed
                .config()
                .digest()
                .to_string()
                .parse()
                .map_err(|e| ImportError::Manifest {
                    reason: format!("config digest: {e}"),
                })?;
        let actual = Digest::of(config);
        if named != actual {
            return Err(BlobError::Mismatch {
                expected: named,
                actual,
            }
            .into());
        }
        let mut blobs = Vec::new();
        for layer in parsed.layers() {
            let digest = layer
                .digest()
                .to_string()
                .parse()
                .map_err(|e| ImportError::Manifest {
                    reason: format!("layer digest: {e}"),
                })?;
            blobs.push((Some(digest), layer.size()));
        }
        self.plan(config, blobs, Some(manifest))
    }

    /// Starts importing from a config alone, with the layers' blob digests if known (a
    /// `docker save` archive has no manifest digests for its layer tars).
    pub fn begin_import_config(
        &self,
        config: &[u8],
        layer_blobs: Vec<(Option<Digest>, u64)>,
    ) -> Result<ImportPlan, ImportError> {
        self.plan(config, layer_blobs, None)
    }

    /// Pins the layers and blobs the import relies on, then stores config and manifest: a
    /// `rmi` of the same image running meanwhile can delete neither before the image is
    /// registered again.
    fn plan(
        &self,
        config_bytes: &[u8],
        blobs: Vec<(Option<Digest>, u64)>,
        manifest: Option<&[u8]>,
    ) -> Result<ImportPlan, ImportError> {
        let digest = Digest::of(config_bytes);
        let config = ImageConfig::parse(config_bytes).map_err(|e| ImportError::Config {
            digest: digest.clone(),
            reason: e.to_string(),
        })?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != blobs.len() {
            return Err(ImportError::Config {
                digest,
                reason: format!(
                    "{} layers in the manifest but {} DiffIDs in the config",
                    blobs.len(),
                    diff_ids.len()
                ),
            });
        }
        let mut state = self.lock();
        let layers: Vec<PlannedLayer> = blobs
            .into_iter()
            .zip(diff_ids)
            .map(|((blob, blob_size), diff_id)| PlannedLayer {
                blob,
                blob_size,
                diff_id: diff_id.clone(),
                present: self.layers().contains(diff_id),
            })
            .collect();
        for layer in &layers {
            *state.pins.entry(layer.diff_id.clone()).or_default() += 1;
        }
        let manifest = manifest.map(|bytes| (Digest::of(bytes), bytes.to_vec()));
        let pinned_blobs: Vec<Digest> = [Some(digest.clone()), manifest.clone().map(|m| m.0)]
            .into_iter()
            .flatten()
            .collect();
        for blob in &pinned_blobs {
            *state.blob_pins.entry(blob.clone()).or_default() += 1;
        }
        drop(state);
        // From here on, dropping the plan releases the pins.
        let plan = ImportPlan {
            store: self.clone(),
            id: ImageId::new(digest),
            config: Arc::new(config),
            config_bytes: config_bytes.to_vec(),
            manifest,
            pinned_blobs,
            layers,
            registered: false,
        };
        plan.store_blobs()?;
        Ok(plan)
    }
}

impl ImportPlan {
    /// The ID the image will have.
    pub fn image_id(&self) -> &ImageId {
        &self.id
    }

    /// The digest of the manifest the import started from (`Digest: sha256:...` of a pull),
    /// when it started from one.
    pub fn manifest_digest(&self) -> Option<&Digest> {
        self.manifest.as_ref().map(|m| &m.0)
    }

    /// Stores config and manifest as blobs (each a no-op when already there).
    fn store_blobs(&self) -> Result<(), BlobError> {
        self.store.blobs().put(&self.config_bytes)?;
        if let Some((_, bytes)) = &self.manifest {
            self.store.blobs().put(bytes)?;
        }
        Ok(())
    }

    /// Whether the image itself is already in the store (`Image is up to date`).
    pub fn image_exists(&self) -> bool {
        self.store.lock().images.contains_key(&self.id)
    }

    pub fn layers(&self) -> &[PlannedLayer] {
        &self.layers
    }

    /// Unpacks layer `index` from `reader` (the compressed blob as it arrives), verifying its
    /// blob digest and DiffID. Safe to call for different layers from different threads.
    pub fn unpack_layer<R: Read>(
        &self,
        index: usize,
        reader: R,
    ) -> Result<LayerRecord, ImportError> {
        let layer = self
            .layers
            .get(index)
            .ok_or(ImportError::NoSuchLayer { index })?;
        let options = UnpackOptions {
            diff_id: Some(layer.diff_id.clone()),
            blob: layer.blob.clone(),
            sync: false,
            limits: self.store.inner.options.limits,
        };
        let fail = |source| ImportError::Layer { index, source };
        let keep = self.store.inner.options.keep_layer_blobs;
        match (keep, &layer.blob) {
            (true, Some(blob)) => {
                let size = Some(layer.blob_size).filter(|&s| s > 0);
                let writer = self.store.blobs().writer(blob, size)?;
                let mut tee = TeeReader::new(reader, writer);
                let (record, _) = self
                    .store
                    .layers()
                    .unpack(&mut tee, &options)
                    .map_err(fail)?;
                tee.into_parts().1.commit()?;
                Ok(record)
            }
            _ => Ok(self
                .store
                .layers()
                .unpack(reader, &options)
                .map_err(fail)?
                .0),
        }
    }

    /// Registers the image once every layer is present, then points `references` at it
    /// (tags replace what they pointed to; digest references are added). Pull and load use
    /// this: like Docker, they leave the image's `LastTagTime` unset.
    pub fn finish(self, references: &[Reference]) -> Result<ImageId, ImportError> {
        self.register(references, false)
    }

    /// [`finish`](Self::finish) for an image tagged as Docker's `TagImage` does (`commit` with
    /// a repository): a tag among `references` also records the tag time.
    pub fn finish_tagged(self, references: &[Reference]) -> Result<ImageId, ImportError> {
        self.register(references, true)
    }

    fn register(mut self, references: &[Reference], touch: bool) -> Result<ImageId, ImportError> {
        let mut size = 0;
        for layer in &self.layers {
            match self.store.layers().record(&layer.diff_id) {
                Ok(record) => size += record.size,
                Err(_) => {
                    return Err(ImportError::MissingLayer {
                        diff_id: layer.diff_id.clone(),
                    })
                }
            }
        }
        let store = self.store.clone();
        let mut state = store.lock();
        // A record is written only over a config (and manifest) that is there: its pins kept
        // them from this store's own deletes, and this puts back what anything else removed.
        self.store_blobs()?;
        if !state.images.contains_key(&self.id) {
            let keep = self.store.inner.options.keep_layer_blobs;
            let kept = self.layers.iter().filter_map(|l| l.blob.clone());
            let record = ImageRecord {
                id: self.id.clone(),
                parent: None,
                diff_ids: self.layers.iter().map(|l| l.diff_id.clone()).collect(),
                layer_blobs: kept
                    .filter(|b| keep && self.store.blobs().contains(b))
                    .collect(),
                manifest: self.manifest_digest().cloned(),
                size,
                last_tag_time: None,
            };
            self.store
                .insert_image(&mut state, record, Arc::clone(&self.config))?;
        }
        self.registered = true;
        for reference in references {
            self.store.add_reference(&mut state, reference, &self.id)?;
            if touch && !reference.is_digest() {
                self.store.touch_tag_time(&mut state, &self.id)?;
            }
        }
        Ok(self.id.clone())
    }
}

impl Drop for ImportPlan {
    fn drop(&mut self) {
        let store = self.store.clone();
        let mut state = store.lock();
        for layer in &self.layers {
            unpin(&mut state.pins, &layer.diff_id);
        }
        for blob in &self.pinned_blobs {
            unpin(&mut state.blob_pins, blob);
        }
        if !self.registered {
            self.discard(&state);
        }
    }
}

impl ImportPlan {
    /// Removes what this import stored (layers it unpacked, their blobs, config and manifest)
    /// unless an image or another import in progress uses it. Failures only leave garbage
    /// for the next open to collect.
    fn discard(&self, state: &State) {
        let mine = self.layers.iter().filter(|l| !l.present);
        let used = used_diff_ids(state);
        for layer in mine.clone().filter(|l| !used.contains(&l.diff_id)) {
            let _ = self.store.layers().remove(&layer.diff_id);
        }
        let used = used_blobs(state);
        let blobs = self.pinned_blobs.iter();
        let blobs = blobs.chain(mine.filter_map(|l| l.blob.as_ref()));
        for blob in blobs.filter(|b| !used.contains(*b)) {
            let _ = self.store.blobs().delete(blob);
        }
    }
}

fn unpin(pins: &mut std::collections::HashMap<Digest, usize>, digest: &Digest) {
    if let Some(count) = pins.get_mut(digest) {
        *count -= 1;
        if *count == 0 {
            pins.remove(digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry client moves plans and stores into blocking tasks and shares a plan between
    /// the tasks of one pull.
    #[test]
    fn plans_and_stores_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<ImportPlan>();
        send_sync::<Store>();
    }
}
