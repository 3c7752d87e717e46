//! The blob store: an OCI layout's `blobs/sha256/<hex>` files, each named by the sha256 of its
//! bytes, and the `ingest/` directory where blobs being written live until they are verified.
//! It owns where blobs are and that only verified, complete blobs ever appear under `blobs/`.
//! It never interprets a blob's content and never decides when one is garbage.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};

use crate::atomic;
use crate::digest::Digest;
use crate::ingest::BlobWriter;

/// What went wrong with a blob.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {digest} not found")]
    NotFound { digest: Digest },
    #[error("digest mismatch: expected {expected}, got {actual}")]
    Mismatch { expected: Digest, actual: Digest },
    #[error("size mismatch for blob {digest}: expected {expected} bytes, got {actual}")]
    Size {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("blob store i/o on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Kind for BlobError {
    fn kind(&self) -> ErrorKind {
        match self {
            BlobError::NotFound { .. } => ErrorKind::NotFound,
            BlobError::Mismatch { .. } | BlobError::Size { .. } => ErrorKind::InvalidParameter,
            BlobError::Io { .. } => ErrorKind::System,
        }
    }
}

pub(crate) fn io_at(path: &Path) -> impl FnOnce(io::Error) -> BlobError + '_ {
    move |source| BlobError::Io {
        path: path.to_owned(),
        source,
    }
}

/// `blobs/sha256/` and `ingest/` under a root directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    blobs: PathBuf,
    ingest: PathBuf,
}

impl BlobStore {
    /// Opens (creating if needed) the blob store under `root`. Anything left in `ingest/` is a
    /// write that never finished: it is removed, since nothing resumes it.
    pub fn open(root: &Path) -> Result<BlobStore, BlobError> {
        let blobs = root.join("blobs").join("sha256");
        let ingest = root.join("ingest");
        for dir in [&blobs, &ingest] {
            fs::create_dir_all(dir).map_err(io_at(dir))?;
        }
        clear_dir(&ingest)?;
        Ok(BlobStore { blobs, ingest })
    }

    /// Where the blob lives (whether or not it is present).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.blobs.join(digest.hex())
    }

    pub fn contains(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }

    /// The size in bytes of a present blob.
    pub fn size(&self, digest: &Digest) -> Result<u64, BlobError> {
        let path = self.path(digest);
        match fs::metadata(&path) {
            Ok(meta) => Ok(meta.len()),
            Err(e) => Err(self.not_found_or_io(digest, &path, e)),
        }
    }

    /// Opens a blob for reading. Only complete, verified blobs are ever found here.
    pub fn open_read(&self, digest: &Digest) -> Result<File, BlobError> {
        let path = self.path(digest);
        File::open(&path).map_err(|e| self.not_found_or_io(digest, &path, e))
    }

    /// Reads a whole blob; meant for manifests and configs, which are small.
    pub fn read(&self, digest: &Digest) -> Result<Vec<u8>, BlobError> {
        let mut bytes = Vec::new();
        let path = self.path(digest);
        self.open_read(digest)?
            .read_to_end(&mut bytes)
            .map_err(io_at(&path))?;
        Ok(bytes)
    }

    /// Starts writing a blob that must hash to `expected` (and be `size` bytes long, if given).
    pub fn writer(&self, expected: &Digest, size: Option<u64>) -> Result<BlobWriter, BlobError> {
        BlobWriter::create(&self.ingest, self.path(expected), expected.clone(), size)
    }

    /// Stores small bytes whose digest is computed here; returns that digest.
    pub fn put(&self, bytes: &[u8]) -> Result<Digest, BlobError> {
        let digest = Digest::of(bytes);
        if self.contains(&digest) {
            return Ok(digest);
        }
        let mut writer = self.writer(&digest, Some(bytes.len() as u64))?;
        io::Write::write_all(&mut writer, bytes).map_err(io_at(&self.ingest))?;
        writer.commit()
    }

    /// Removes a blob; a missing blob is not an error (removal is idempotent).
    pub fn delete(&self, digest: &Digest) -> Result<(), BlobError> {
        let path = self.path(digest);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_at(&path)(e)),
            _ => Ok(()),
        }
    }

    /// Every blob present, in no particular order.
    pub fn list(&self) -> Result<Vec<Digest>, BlobError> {
        let entries = fs::read_dir(&self.blobs).map_err(io_at(&self.blobs))?;
        let mut digests = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_at(&self.blobs))?;
            if let Ok(digest) = Digest::from_hex(&entry.file_name().to_string_lossy()) {
                digests.push(digest);
            }
        }
        Ok(digests)
    }

    fn not_found_or_io(&self, digest: &Digest, path: &Path, e: io::Error) -> BlobError {
        if e.kind() == io::ErrorKind::NotFound {
            BlobError::NotFound {
                digest: digest.clone(),
            }
        } else {
            io_at(path)(e)
        }
    }
}

fn clear_dir(dir: &Path) -> Result<(), BlobError> {
    atomic::clear_dir(dir).map_err(io_at(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn put_then_read_round_trips() {
        let (_dir, store) = store();
        let digest = store.put(b"config").unwrap();
        assert_eq!(digest, Digest::of(b"config"));
        assert_eq!(store.read(&digest).unwrap(), b"config");
        assert_eq!(store.size(&digest).unwrap(), 6);
    }

    #[test]
    fn mismatch_stores_nothing_and_names_both_digests() {
        let (dir, store) = store();
        let expected = Digest::of(b"good");
        let mut writer = store.writer(&expected, None).unwrap();
        writer.write_all(b"evil").unwrap();
        let err = writer.commit().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        let text = err.to_string();
        assert!(text.contains(&expected.to_string()), "{text}");
        assert!(text.contains(&Digest::of(b"evil").to_string()), "{text}");
        assert!(!store.contains(&expected));
        assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 0);
    }

    #[test]
    fn a_longer_stream_than_announced_is_cut_short() {
        let (_dir, store) = store();
        let expected = Digest::of(b"abc");
        let mut writer = store.writer(&expected, Some(3)).unwrap();
        assert!(writer.write_all(b"abcdef").is_err());
    }

    #[test]
    fn a_dropped_writer_leaves_nothing() {
        let (dir, store) = store();
        let expected = Digest::of(b"x");
        let mut writer = store.writer(&expected, None).unwrap();
        writer.write_all(b"x").unwrap();
        drop(writer);
        assert!(!store.contains(&expected));
        assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 0);
    }

    #[test]
    fn reopening_removes_unfinished_ingests() {
        let (dir, store) = store();
        let expected = Digest::of(b"partial");
        let mut writer = store.writer(&expected, None).unwrap();
        writer.write_all(b"par").unwrap();
        // Simulate a crash: the writer is leaked, its ingest file stays on disk.
        std::mem::forget(writer);
        assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 1);
        BlobStore::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 0);
    }

    #[test]
    fn concurrent_writers_of_one_blob_are_safe_and_readers_never_see_part_of_it() {
        let (dir, store) = store();
        let content: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let digest = Digest::of(&content);
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let writers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut writer = store.writer(&digest, Some(content.len() as u64)).unwrap();
                        for chunk in content.chunks(64 * 1024) {
                            writer.write_all(chunk).unwrap();
                            std::thread::yield_now();
                        }
                        writer.commit().unwrap()
                    })
                })
                .collect();
            let reader = s.spawn(|| {
                let mut complete_reads = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok(bytes) = store.read(&digest) {
                        assert_eq!(bytes.len(), content.len(), "a reader saw a partial blob");
                        complete_reads += 1;
                    }
                }
                complete_reads
            });
            for w in writers {
                assert_eq!(w.join().unwrap(), digest);
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            reader.join().unwrap();
        });
        assert_eq!(store.read(&digest).unwrap(), content);
        assert_eq!(fs::read_dir(dir.path().join("ingest")).unwrap().count(), 0);
    }

    #[test]
    fn missing_blob_is_not_found() {
        let (_dir, store) = store();
        let err = store.open_read(&Digest::of(b"nope")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
