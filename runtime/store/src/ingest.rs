//! One blob being written: bytes go to a private file in `ingest/` and through a sha256 as they
//! arrive; `commit` publishes the file under `blobs/sha256/` by an atomic rename only when the
//! digest (and the announced size) match. It owns that one write; it never publishes anything
//! unverified, and a writer dropped without `commit` removes its file.
//!
//! Two writers of the same blob never share a file: each has its own ingest name, and both
//! renames install identical bytes, so the second is harmless to readers of the first.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::blob::{io_at, BlobError};
use crate::digest::{Digest, Hasher};

/// A blob being written; see the module docs.
#[derive(Debug)]
pub struct BlobWriter {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    expected: Digest,
    size: Option<u64>,
    hasher: Hasher,
}

impl BlobWriter {
    pub(crate) fn create(
        ingest: &Path,
        target: PathBuf,
        expected: Digest,
        size: Option<u64>,
    ) -> Result<BlobWriter, BlobError> {
        let temp = ingest.join(atomic::unique_name(expected.hex()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(crate::layout::FILE_MODE)
            .open(&temp)
            .map_err(io_at(&temp))?;
        Ok(BlobWriter {
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            temp,
            target,
            expected,
            size,
            hasher: Hasher::default(),
        })
    }

    /// The digest this writer must produce.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.hasher.len()
    }

    /// Verifies digest and size, then publishes the blob (fsync, rename, fsync of the
    /// directory). On a mismatch nothing is published and the ingest file is removed.
    pub fn commit(mut self) -> Result<Digest, BlobError> {
        let file = self.file.take().expect("a writer commits once");
        let hasher = std::mem::take(&mut self.hasher);
        let written = hasher.len();
        let actual = hasher.finish();
        if actual != self.expected {
            return Err(BlobError::Mismatch {
                expected: self.expected.clone(),
                actual,
            });
        }
        if let Some(expected) = self.size.filter(|&s| s != written) {
            return Err(BlobError::Size {
                digest: self.expected.clone(),
                expected,
                actual: written,
            });
        }
        let file = file
            .into_inner()
            .map_err(|e| io_at(&self.temp)(e.into_error()))?;
        file.sync_all().map_err(io_at(&self.temp))?;
        fs::rename(&self.temp, &self.target).map_err(io_at(&self.target))?;
        let dir = self.target.parent().unwrap_or(Path::new("."));
        atomic::sync_dir(dir).map_err(io_at(dir))?;
        Ok(self.expected.clone())
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(limit) = self.size {
            if self.hasher.len() + buf.len() as u64 > limit {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "blob {} is longer than its announced {limit} bytes",
                        self.expected
                    ),
                ));
            }
        }
        let file = self.file.as_mut().expect("not committed");
        let n = file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // Committed writers renamed their file away; anything else is an abandoned write whose
        // bytes must not linger where a later open would have to clean them up.
        let _ = fs::remove_file(&self.temp);
    }
}
