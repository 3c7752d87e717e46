//! Unpacked layers under `layers/<diffid hex>/`: `diff/` is the directory an overlay mount uses
//! as a lower layer, `layer.json` says what it is. A layer's content depends only on its
//! DiffID, so one directory serves every image (and every position in a chain) that uses it.
//!
//! It owns publishing a layer atomically: unpack into `layers/.tmp-*/` next to the target,
//! write the record, rename the whole directory into place. A crash or an error leaves at most
//! a temporary directory, removed on the next open; a reader never sees half a layer. It never
//! decides when a layer is unused: `Store` does, from the image and mount records.

use std::fs::{self, DirBuilder};
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};
use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::digest::Digest;
use crate::record::{self, io_at, RecordError};
use crate::unpack::{self, UnpackError, UnpackOptions, UnpackedLayer};

const RECORD: &str = "layer.json";
const DIFF: &str = "diff";

/// What went wrong storing a layer.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("layer {diff_id} not found")]
    NotFound { diff_id: Digest },
}

impl Kind for LayerError {
    fn kind(&self) -> ErrorKind {
        match self {
            LayerError::Unpack(e) => e.kind(),
            LayerError::Record(e) => e.kind(),
            LayerError::NotFound { .. } => ErrorKind::NotFound,
        }
    }
}

/// `layer.json`: what an unpacked layer is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    pub diff_id: Digest,
    /// Docker's layer size (see `UnpackedLayer::size`).
    pub size: u64,
    /// Size of the uncompressed tar stream.
    pub tar_size: u64,
}

/// The `layers/` directory.
#[derive(Debug, Clone)]
pub struct LayerStore {
    dir: PathBuf,
    sync: bool,
}

impl LayerStore {
    /// Opens (creating if needed) `root/layers`, removing unpacks a crash interrupted. With
    /// `sync`, each layer is flushed to disk before it is published.
    pub fn open(root: &Path, sync: bool) -> Result<LayerStore, RecordError> {
        let dir = root.join("layers");
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        atomic::remove_temps(&dir).map_err(io_at(&dir))?;
        Ok(LayerStore { dir, sync })
    }

    /// `layers/<hex>/diff`: the directory to use as an overlay lower layer.
    pub fn diff_dir(&self, diff_id: &Digest) -> PathBuf {
        self.dir.join(diff_id.hex()).join(DIFF)
    }

    /// Whether the layer is present (published layers always have their record).
    pub fn contains(&self, diff_id: &Digest) -> bool {
        self.dir.join(diff_id.hex()).join(RECORD).is_file()
    }

    pub fn record(&self, diff_id: &Digest) -> Result<LayerRecord, LayerError> {
        let path = self.dir.join(diff_id.hex()).join(RECORD);
        record::read(&path)?.ok_or_else(|| LayerError::NotFound {
            diff_id: diff_id.clone(),
        })
    }

    /// Unpacks a layer stream and publishes it under its DiffID. When another unpack of the same
    /// layer won the race, that one is kept and this one discarded: the content is the same.
    pub fn unpack<R: Read>(
        &self,
        reader: R,
        options: &UnpackOptions,
    ) -> Result<(LayerRecord, UnpackedLayer), LayerError> {
        let stem = options.diff_id.as_ref().map_or("layer", |d| d.hex());
        let temp = atomic::temp_path(&self.dir, stem);
        let result = self.unpack_in(&temp, reader, options);
        if result.is_err() {
            // Whatever part of the layer got extracted goes with the temporary directory.
            let _ = atomic::remove_any(&temp);
        }
        result
    }

    fn unpack_in<R: Read>(
        &self,
        temp: &Path,
        reader: R,
        options: &UnpackOptions,
    ) -> Result<(LayerRecord, UnpackedLayer), LayerError> {
        let diff = temp.join(DIFF);
        // The layer's own directory is as private as dockerd's `overlay2/<id>`; `diff/` is the
        // lower layer's root, whose mode the image decides.
        DirBuilder::new()
            .mode(crate::layout::LAYERS_MODE)
            .create(temp)
            .map_err(io_at(temp))?;
        fs::create_dir(&diff).map_err(io_at(&diff))?;
        let options = UnpackOptions {
            sync: self.sync,
            ..options.clone()
        };
        let unpacked = unpack::unpack_into(reader, &diff, &options)?;
        let record = LayerRecord {
            diff_id: unpacked.diff_id.clone(),
            size: unpacked.size,
            tar_size: unpacked.tar_size,
        };
        record::write(&temp.join(RECORD), &record)?;
        self.publish(temp, &record.diff_id)?;
        Ok((record, unpacked))
    }

    fn publish(&self, temp: &Path, diff_id: &Digest) -> Result<(), RecordError> {
        let target = self.dir.join(diff_id.hex());
        match fs::rename(temp, &target) {
            Ok(()) => {}
            Err(e) if already_there(&e) => {
                atomic::remove_any(temp).map_err(io_at(temp))?;
                return Ok(());
            }
            Err(e) => return Err(io_at(&target)(e)),
        }
        atomic::sync_dir(&self.dir).map_err(io_at(&self.dir))
    }

    /// Removes a layer: first renamed aside (so it vanishes at once and a crash midway leaves
    /// only a temporary directory), then deleted.
    pub fn remove(&self, diff_id: &Digest) -> Result<(), RecordError> {
        let path = self.dir.join(diff_id.hex());
        let aside = atomic::temp_path(&self.dir, &format!("rm-{}", diff_id.hex()));
        match fs::rename(&path, &aside) {
            Ok(()) => atomic::remove_any(&aside).map_err(io_at(&aside)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    /// Every published layer.
    pub fn list(&self) -> Result<Vec<Digest>, RecordError> {
        let mut layers = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_at(&self.dir))? {
            let entry = entry.map_err(io_at(&self.dir))?;
            if let Ok(d) = Digest::from_hex(&entry.file_name().to_string_lossy()) {
                layers.push(d);
            }
        }
        Ok(layers)
    }
}

/// `rename` onto an existing non-empty directory fails with one of these.
fn already_there(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == rustix::io::Errno::NOTEMPTY.raw_os_error()
            || code == rustix::io::Errno::EXIST.raw_os_error()
    )
}
