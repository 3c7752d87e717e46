//! The store's directories and how private they are. A layer keeps its set-id bits, device
//! nodes and world-writable directories as the image has them (containers need them), so the
//! store must not be traversable by other users of the host: the root is `0710` (as dockerd's
//! data root is), and everything beneath no wider than its user needs. A root or directory that
//! already exists wider is tightened when the store opens. This module owns those modes; it
//! never decides what goes into the directories.

use std::fs::{self, DirBuilder, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// The store root: the owner (root) only, plus search for its group, as dockerd's root.
pub const ROOT_MODE: u32 = 0o710;
/// Directories only the daemon reads: blobs, ingest, images, leases, spool files.
pub const PRIVATE_MODE: u32 = 0o700;
/// `layers/` and each layer's directory, as dockerd's `overlay2/` and `overlay2/<id>`.
pub const LAYERS_MODE: u32 = 0o710;
/// Record and blob files.
pub const FILE_MODE: u32 = 0o600;

/// The directories directly under the root and their modes.
pub const DIRS: &[(&str, u32)] = &[
    ("blobs", PRIVATE_MODE),
    ("blobs/sha256", PRIVATE_MODE),
    ("ingest", PRIVATE_MODE),
    ("layers", LAYERS_MODE),
    ("images", PRIVATE_MODE),
    ("leases", PRIVATE_MODE),
    (crate::spool::DIR, PRIVATE_MODE),
];

/// Creates the root (and any missing parents, with the usual modes) or tightens it.
pub fn create_root(root: &Path) -> io::Result<()> {
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    dir(root, ROOT_MODE)
}

/// Creates every directory of [`DIRS`] under `root`, or tightens it.
pub fn create_dirs(root: &Path) -> io::Result<()> {
    DIRS.iter()
        .try_for_each(|(name, mode)| dir(&root.join(name), *mode))
}

/// Creates the directory `path` with `mode`, or takes from an existing one every permission
/// `mode` does not grant (a tighter mode is kept).
pub fn dir(path: &Path, mode: u32) -> io::Result<()> {
    match DirBuilder::new().mode(mode).create(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        other => other?,
    }
    // Also after creating: the umask may have taken bits, never added any, but an existing
    // directory may be wider.
    tighten(path, mode)
}

/// Removes from `path` the permissions `mode` does not grant; never adds any.
pub fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a directory", path.display()),
        ));
    }
    let current = meta.permissions().mode() & 0o7777;
    let wanted = current & mode;
    if wanted != current {
        fs::set_permissions(path, Permissions::from_mode(wanted))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn a_new_root_is_0710_and_an_existing_one_is_tightened_never_widened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/b/root");
        create_root(&root).unwrap();
        assert_eq!(mode(&root), 0o710);
        fs::set_permissions(&root, Permissions::from_mode(0o777)).unwrap();
        create_root(&root).unwrap();
        assert_eq!(mode(&root), 0o710);
        fs::set_permissions(&root, Permissions::from_mode(0o700)).unwrap();
        create_root(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
    }

    #[test]
    fn a_symlink_is_not_taken_for_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        fs::create_dir(&target).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("l")).unwrap();
        assert!(tighten(&dir.path().join("l"), 0o700).is_err());
    }
}
