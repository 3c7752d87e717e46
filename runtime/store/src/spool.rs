//! Spool files: an upload or an inflated archive kept on disk while `load` reads it by offset.
//! They live in the store's `tmp/` (owner-only), are written through a [`SpaceGuard`] so an
//! endless upload or a decompression bomb stops at the store's limits, and are removed when
//! dropped; what a crash leaves there, the next open removes once it holds the store's lock.
//! This module owns those files; it never reads them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::space::{GuardedWriter, SpaceGuard, SpaceLimits};

/// The store's directory for spool files.
pub const DIR: &str = "tmp";

/// One spool file; removed on drop.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// Copies `reader` into a new spool file under `root/tmp`, within `limits`.
    pub fn fill<R: Read>(
        root: &Path,
        what: &'static str,
        limits: SpaceLimits,
        reader: &mut R,
    ) -> io::Result<Spool> {
        let dir = root.join(DIR);
        let spool = Spool {
            path: atomic::temp_path(&dir, "spool"),
        };
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&spool.path)?;
        let mut out = GuardedWriter::new(file, SpaceGuard::new(&dir, what, limits));
        io::copy(reader, &mut out)?;
        out.flush()?;
        Ok(spool)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The spooled bytes, from the start.
    pub fn open(&self) -> io::Result<File> {
        File::open(&self.path)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
