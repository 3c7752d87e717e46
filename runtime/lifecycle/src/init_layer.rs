//! The init layer: Docker's `<id>-init` layer, shared. The sandbox mounts `/proc`, `/dev` and
//! `/sys` over directories it creates when the image lacks them; created in the container's
//! upper dir, they would count as changes of the container (`commit` of an unchanged container
//! would add a layer, `diff` would list them), which dockerd avoids by keeping them in a
//! read-only layer between the image and the container's own. The directories are the same for
//! every container, so one directory under the store root serves all, as the topmost lower
//! layer. This module only builds that directory; it never mounts anything.

use std::fs::{self, DirBuilder, Permissions};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::LifecycleError;

/// The init layer's directory under the containers root (not a container ID, so `open`
/// leaves it alone).
const DIR: &str = ".init-layer";

/// The mount points the sandbox needs, with the modes Docker's init layer gives them.
const MOUNT_POINTS: [(&str, u32); 6] = [
    ("proc", 0o755),
    ("dev", 0o755),
    ("dev/pts", 0o755),
    ("dev/shm", 0o755),
    ("sys", 0o755),
    ("etc", 0o755),
];

/// The files the container's own `/etc` files are bound over ([`crate::etc_files`]), empty
/// as in Docker's init layer, so the binds never create them in the container's upper dir;
/// `/.dockerenv`, the marker Docker's init layer gives every container, and `/dev/console`,
/// which it also holds (both mode 0755; `docker export` shows them).
const FILES: [(&str, u32); 5] = [
    ("etc/resolv.conf", 0o644),
    ("etc/hostname", 0o644),
    ("etc/hosts", 0o644),
    (".dockerenv", 0o755),
    ("dev/console", 0o755),
];

/// Docker's init layer links `/etc/mtab` to the kernel's mount table.
const MTAB: (&str, &str) = ("etc/mtab", "/proc/mounts");

/// Makes sure the init layer exists under `root` (idempotent) and answers its path.
pub(crate) fn ensure(root: &Path) -> Result<PathBuf, LifecycleError> {
    let layer = root.join(DIR);
    for (name, mode) in MOUNT_POINTS {
        let dir = layer.join(name);
        match DirBuilder::new().recursive(true).mode(mode).create(&dir) {
            Ok(()) => {}
            Err(e) => return Err(LifecycleError::io("create", dir, e)),
        }
        // The umask may have narrowed the mode, and overlayfs shows the topmost layer's mode.
        fs::set_permissions(&dir, Permissions::from_mode(mode))
            .map_err(|e| LifecycleError::io("chmod", &dir, e))?;
    }
    for (name, mode) in FILES {
        let file = layer.join(name);
        let created = fs::OpenOptions::new().create(true).append(true).open(&file);
        created.map_err(|e| LifecycleError::io("create", &file, e))?;
        fs::set_permissions(&file, Permissions::from_mode(mode))
            .map_err(|e| LifecycleError::io("chmod", &file, e))?;
    }
    let (link, target) = MTAB;
    let link = layer.join(link);
    if fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(target, &link)
            .map_err(|e| LifecycleError::io("symlink", &link, e))?;
    }
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn holds_the_mount_points_and_is_idempotent() {
        let root = tempfile::tempdir().unwrap();
        let layer = ensure(root.path()).unwrap();
        assert_eq!(ensure(root.path()).unwrap(), layer);
        let mut names: Vec<_> = fs::read_dir(&layer)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [".dockerenv", "dev", "etc", "proc", "sys"]);
        let etc = fs::read_dir(layer.join("etc")).unwrap().count();
        assert_eq!(etc, 4);
        assert_eq!(
            fs::read_link(layer.join("etc/mtab")).unwrap(),
            Path::new("/proc/mounts")
        );
        assert_eq!(fs::metadata(layer.join("etc/hosts")).unwrap().len(), 0);
        assert_eq!(
            fs::metadata(layer.join("proc")).unwrap().mode() & 0o7777,
            0o755
        );
    }
}
