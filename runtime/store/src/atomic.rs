//! Crash-safe publication of files: a record is written to a temporary name in the same
//! directory, flushed, renamed over the final name and the directory flushed, so a reader (or a
//! restart after a crash) sees either the old content or the new, never a mix. This module owns
//! that sequence and the unique temporary names; it never decides what goes into a file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The prefix of every temporary name, so that a restart can recognise and remove leftovers.
pub const TEMP_PREFIX: &str = ".tmp-";

/// A name no other writer of this process or of another process uses at the same time.
pub fn unique_name(stem: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{TEMP_PREFIX}{stem}-{}-{n}", std::process::id())
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync of the directory).
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path);
    let stem = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(unique_name(stem));
    let result = write_and_sync(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        // The temp file is ours alone; removing it keeps a failed write from leaving litter.
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(dir)
}

/// Flushes a directory so that renames and unlinks in it survive a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes every leftover temporary entry (file or directory) directly under `dir`.
pub fn remove_temps(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        remove_any(&entry.path())?;
    }
    Ok(())
}

/// Removes everything directly under `dir` (a directory of temporary files only).
pub fn clear_dir(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        remove_any(&entry?.path())?;
    }
    Ok(())
}

/// Removes a file or a whole directory tree; std's `remove_dir_all` never follows symlinks.
pub fn remove_any(path: &Path) -> io::Result<()> {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn write_and_sync(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(crate::layout::FILE_MODE)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `dir/name` for a temporary entry next to its final place.
pub fn temp_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(unique_name(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_file_replaces_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("record.json");
        write_file(&path, b"old").unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn remove_temps_removes_only_temporary_entries() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keep"), b"").unwrap();
        fs::create_dir(dir.path().join(unique_name("x"))).unwrap();
        fs::write(dir.path().join(unique_name("y")), b"").unwrap();
        remove_temps(dir.path()).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("keep")]);
    }

    #[test]
    fn unique_names_differ() {
        assert_ne!(unique_name("a"), unique_name("a"));
    }
}
