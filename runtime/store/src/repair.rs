//! What opening a store repairs, beyond the leftovers every open clears (unfinished ingests,
//! unpacks and spool files, then unreferenced layers and blobs). A record that cannot stand
//! (unreadable, named after another image, its config blob missing or invalid, a layer of it
//! missing) would otherwise stop the store, and so the daemon, from starting: it is moved to
//! `images/quarantine/` with a log line, and the image is gone until pulled again. References
//! to images that are not there are dropped the same way. Each repair is also kept as a
//! [`Repair`] the caller can read. This module decides what is broken; it never deletes data
//! other than those references (the garbage collection that follows does).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::blob::BlobStore;
use crate::config::ImageConfig;
use crate::error::ImageError;
use crate::image::{Image, ImageId, ImageRecord, ImageRecords};
use crate::layer::LayerStore;
use crate::references::References;

/// One repair an open made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// An image record that could not stand, moved to `images/quarantine/`.
    QuarantinedImage {
        /// The record's file name without `.json` (the image's hex ID when well named).
        record: String,
        reason: String,
        moved_to: PathBuf,
    },
    /// A tag or digest reference to an image that is not in the store, removed.
    DroppedReference { reference: String, image: ImageId },
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::QuarantinedImage {
                record,
                reason,
                moved_to,
            } => write!(
                f,
                "image record {record} quarantined to {}: {reason}",
                moved_to.display()
            ),
            Repair::DroppedReference { reference, image } => {
                write!(f, "reference {reference} to missing image {image} dropped")
            }
        }
    }
}

/// The image records that stand, parsed; the others quarantined into `repairs`.
pub(crate) fn load_images(
    blobs: &BlobStore,
    layers: &LayerStore,
    records: &ImageRecords,
    repairs: &mut Vec<Repair>,
) -> Result<BTreeMap<ImageId, Image>, ImageError> {
    let mut images = BTreeMap::new();
    for (path, read) in records.load_each()? {
        match read
            .map_err(|e| e.to_string())
            .and_then(|record| check(&path, record, blobs, layers))
        {
            Ok(image) => {
                images.insert(image.record.id.clone(), image);
            }
            Err(reason) => {
                let moved_to = records.quarantine(&path)?;
                let record = path.file_stem().unwrap_or_default().to_string_lossy();
                let repair = Repair::QuarantinedImage {
                    record: record.into_owned(),
                    reason,
                    moved_to,
                };
                tracing::warn!("store repair: {repair}");
                repairs.push(repair);
            }
        }
    }
    Ok(images)
}

/// Whether a record can stand: named after its ID, its config present and valid, every
/// layer unpacked. Answers why not.
pub(crate) fn check(
    path: &std::path::Path,
    record: ImageRecord,
    blobs: &BlobStore,
    layers: &LayerStore,
) -> Result<Image, String> {
    let hex = record.id.digest().hex();
    if path.file_stem().is_none_or(|stem| stem != hex) {
        return Err(format!("the record is for image {}", record.id));
    }
    let bytes = blobs
        .read(record.id.digest())
        .map_err(|e| format!("config: {e}"))?;
    let config = ImageConfig::parse(&bytes).map_err(|e| format!("config is not valid: {e}"))?;
    if let Some(missing) = record.diff_ids.iter().find(|d| !layers.contains(d)) {
        return Err(format!("layer {missing} is missing"));
    }
    Ok(Image {
        record,
        config: Arc::new(config),
    })
}

/// Drops every reference to an image not in `images`, into `repairs`.
pub(crate) fn drop_dangling_references(
    refs: &mut References,
    images: &BTreeMap<ImageId, Image>,
    repairs: &mut Vec<Repair>,
) -> Result<(), ImageError> {
    for (reference, image) in refs.retain(|id| images.contains_key(id))? {
        let repair = Repair::DroppedReference {
            reference: reference.familiar(),
            image,
        };
        tracing::warn!("store repair: {repair}");
        repairs.push(repair);
    }
    Ok(())
}
