//! Image identity and image records. An image's ID is the digest of its config (Docker's
//! classic store); its record `images/<hex>.json` ties the ID to what the store keeps for it:
//! the parent (set only by commit), the layer DiffIDs, the blobs it pins (manifest, layer
//! blobs) and the size. A record is written last when an image is added and removed first when
//! it is deleted, so an image with a record always has its config and layers. This module owns
//! the record format and the `images/` directory; it never decides when an image goes away.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::ImageConfig;
use crate::digest::{chain_ids, Digest, DigestError};
use crate::record::{self, io_at, RecordError};
use berth_core::Timestamp;

/// An image ID: `sha256:` and the digest of the image's config.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(Digest);

impl ImageId {
    pub fn new(config_digest: Digest) -> ImageId {
        ImageId(config_digest)
    }

    /// The config blob's digest.
    pub fn digest(&self) -> &Digest {
        &self.0
    }

    /// Docker's short ID: 12 hex characters (`stringid.TruncateID`).
    pub fn short(&self) -> &str {
        self.0.short()
    }
}

impl FromStr for ImageId {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<ImageId, DigestError> {
        s.parse().map(ImageId)
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageId({})", self.short())
    }
}

impl Serialize for ImageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ImageId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ImageId, D::Error> {
        Digest::deserialize(d).map(ImageId)
    }
}

/// `images/<hex>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    pub id: ImageId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ImageId>,
    pub diff_ids: Vec<Digest>,
    /// Compressed layer blobs kept in the blob store for this image (may be empty).
    #[serde(default)]
    pub layer_blobs: Vec<Digest>,
    /// The manifest the image was pulled or loaded with, kept in the blob store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Digest>,
    /// Docker's image size: the sum of the layer sizes.
    pub size: u64,
    /// When a tag last pointed here (inspect's `Metadata.LastTagTime`), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
}

/// An image as the store holds it in memory: its record and its parsed config.
#[derive(Debug, Clone)]
pub struct Image {
    pub record: ImageRecord,
    pub config: Arc<ImageConfig>,
}

impl Image {
    pub fn id(&self) -> &ImageId {
        &self.record.id
    }

    /// The config's `created`, or Go's zero time when absent or unreadable, as Docker reports.
    pub fn created(&self) -> Timestamp {
        self.config
            .created
            .as_deref()
            .and_then(Timestamp::parse)
            .unwrap_or(Timestamp::ZERO)
    }

    /// The ChainIDs of the image's layers, bottom first.
    pub fn chain_ids(&self) -> Vec<Digest> {
        chain_ids(&self.record.diff_ids)
    }
}

/// Where broken records are moved, under `images/`.
pub const QUARANTINE: &str = "quarantine";

/// A record file and what reading it gave.
pub type RecordRead = (PathBuf, Result<ImageRecord, RecordError>);

/// Every `*.json` record directly in `dir` (an `images/` directory), each read on its own.
pub fn load_each(dir: &Path) -> Result<Vec<RecordRead>, RecordError> {
    let mut records = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_at(dir))? {
        let path = entry.map_err(io_at(dir))?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            let read = record::read::<ImageRecord>(&path)
                .and_then(|r| r.ok_or_else(|| io_at(&path)(std::io::ErrorKind::NotFound.into())));
            records.push((path, read));
        }
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(records)
}

/// The `images/` directory.
#[derive(Debug, Clone)]
pub struct ImageRecords {
    dir: PathBuf,
}

impl ImageRecords {
    pub fn open(root: &Path) -> Result<ImageRecords, RecordError> {
        let dir = root.join("images");
        crate::layout::dir(&dir, crate::layout::PRIVATE_MODE).map_err(io_at(&dir))?;
        crate::atomic::remove_temps(&dir).map_err(io_at(&dir))?;
        Ok(ImageRecords { dir })
    }

    fn path(&self, id: &ImageId) -> PathBuf {
        self.dir.join(format!("{}.json", id.digest().hex()))
    }

    /// Every record file on disk, each read on its own: one unreadable record does not hide
    /// the others.
    pub fn load_each(&self) -> Result<Vec<RecordRead>, RecordError> {
        load_each(&self.dir)
    }

    /// Moves a broken record out of the way, into `images/quarantine/`, where nothing reads it
    /// but a person can; answers where it went.
    pub fn quarantine(&self, path: &Path) -> Result<PathBuf, RecordError> {
        let dir = self.dir.join(QUARANTINE);
        crate::layout::dir(&dir, crate::layout::PRIVATE_MODE).map_err(io_at(&dir))?;
        let name = path.file_name().unwrap_or_default();
        let target = dir.join(name);
        fs::rename(path, &target).map_err(io_at(path))?;
        crate::atomic::sync_dir(&self.dir).map_err(io_at(&self.dir))?;
        Ok(target)
    }

    pub fn write(&self, record: &ImageRecord) -> Result<(), RecordError> {
        record::write(&self.path(&record.id), record)
    }

    pub fn remove(&self, id: &ImageId) -> Result<(), RecordError> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_at(&path)(e)),
            _ => crate::atomic::sync_dir(&self.dir).map_err(io_at(&self.dir)),
        }
    }
}
