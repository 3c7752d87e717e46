//! JSON records on disk (image records, layer records, `repositories.json`): read whole,
//! written atomically through `atomic::write_file`. It owns the error type for that; it never
//! knows what a record means.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::atomic;

/// A record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("record {path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl Kind for RecordError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::System
    }
}

/// Reads a record; `Ok(None)` when the file does not exist.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, RecordError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RecordError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| RecordError::Json {
            path: path.to_owned(),
            source,
        })
}

/// Writes a record atomically (temp, fsync, rename, fsync of the directory).
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), RecordError> {
    let bytes = serde_json::to_vec(value).map_err(|source| RecordError::Json {
        path: path.to_owned(),
        source,
    })?;
    atomic::write_file(path, &bytes).map_err(|source| RecordError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Maps an I/O error on `path` to a record error.
pub fn io_at(path: &Path) -> impl FnOnce(io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_owned(),
        source,
    }
}
