//! `docker diff`: what the container changed in its root filesystem, read from the overlay's
//! upper directory as dockerd 20.10's overlay driver reads it (moby's `archive.changes` with
//! the overlay whiteout rule). In walk order (names sorted):
//!
//! - a whiteout (0/0 character device) or an opaque directory is `D`;
//! - anything else is `A`, unless the path exists in a layer below: then `C`, except for a
//!   directory whose mode, size and mtime equal the layer's (only a parent of a change);
//! - the parent of an `A` or `D` is reported `C` once, before it, if nothing reported it yet.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::commit::{is_opaque, walk};
use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;

/// How a path changed (the API's `Kind` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Modified = 0,
    Added = 1,
    Deleted = 2,
}

impl ChangeKind {
    /// `docker diff`'s letter.
    pub fn letter(self) -> char {
        match self {
            ChangeKind::Modified => 'C',
            ChangeKind::Added => 'A',
            ChangeKind::Deleted => 'D',
        }
    }
}

/// One changed path, absolute inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

impl<I: Images> Containers<I> {
    /// The container's filesystem changes, as `GET /containers/{id}/changes` lists them.
    pub fn changes(&self, reference: &str) -> Result<Vec<Change>, LifecycleError> {
        let (upper, layers) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            let mut layers = entry.config.layer_dirs.clone();
            layers.reverse();
            (entry.dir.upper(), layers)
        };
        changes(&upper, &layers).map_err(|e| LifecycleError::io("diff", upper, e))
    }
}

/// The changes of `upper` over `layers` (top layer first).
pub fn changes(upper: &Path, layers: &[PathBuf]) -> std::io::Result<Vec<Change>> {
    let mut paths = Vec::new();
    walk(upper, Path::new(""), &mut paths)?;
    let mut out = Vec::new();
    let mut changed_dirs = BTreeSet::new();
    for rel in paths {
        let full = upper.join(&rel);
        let meta = fs::symlink_metadata(&full)?;
        let path = format!("/{}", rel.display());
        let deleted = (meta.file_type().is_char_device() && meta.rdev() == 0)
            || (meta.is_dir() && is_opaque(&full));
        let kind = match deleted {
            true => ChangeKind::Deleted,
            false => match below(layers, &rel) {
                None => ChangeKind::Added,
                Some(lower) if meta.is_dir() && lower.is_dir() && same_dir(&meta, &lower) => {
                    continue;
                }
                Some(_) => ChangeKind::Modified,
            },
        };
        if meta.is_dir() {
            changed_dirs.insert(path.clone());
        }
        if kind != ChangeKind::Modified {
            if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
                let parent = format!("/{}", parent.display());
                if changed_dirs.insert(parent.clone()) {
                    out.push(Change {
                        path: parent,
                        kind: ChangeKind::Modified,
                    });
                }
            }
        }
        out.push(Change { path, kind });
    }
    Ok(out)
}

/// The path's metadata in the topmost layer that has it (following symlinks, as Go's
/// `os.Stat` does).
fn below(layers: &[PathBuf], rel: &Path) -> Option<fs::Metadata> {
    layers
        .iter()
        .find_map(|layer| fs::metadata(layer.join(rel)).ok())
}

/// moby's test for a directory that is only the parent of changes.
fn same_dir(upper: &fs::Metadata, lower: &fs::Metadata) -> bool {
    upper.size() == lower.size()
        && upper.mode() == lower.mode()
        && upper.mtime() == lower.mtime()
        && upper.mtime_nsec() == lower.mtime_nsec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| format!("{} {}", c.kind.letter(), c.path))
            .collect()
    }

    #[test]
    fn adds_modifications_and_parents_follow_moby() {
        let dir = tempfile::tempdir().unwrap();
        let (lower, upper) = (dir.path().join("lower"), dir.path().join("upper"));
        fs::create_dir_all(lower.join("data")).unwrap();
        fs::write(lower.join("data/seed.txt"), "seed").unwrap();
        fs::create_dir_all(lower.join("etc")).unwrap();
        fs::write(lower.join("etc/conf"), "a").unwrap();
        fs::create_dir_all(upper.join("data")).unwrap();
        fs::write(upper.join("data/new"), "new").unwrap();
        fs::create_dir_all(upper.join("etc")).unwrap();
        fs::write(upper.join("etc/conf"), "b").unwrap();
        fs::create_dir_all(upper.join("fresh/deep")).unwrap();
        // The same directory metadata as below: only a parent, not itself a change.
        let etc = fs::metadata(lower.join("etc")).unwrap();
        let mtime = filetime_of(&etc);
        set_mtime(&upper.join("etc"), mtime);
        fs::set_permissions(upper.join("etc"), etc.permissions()).unwrap();
        let got = changes(&upper, &[lower]).unwrap();
        assert_eq!(
            listed(&got),
            [
                "C /data",
                "A /data/new",
                "C /etc/conf",
                "A /fresh",
                "A /fresh/deep"
            ]
        );
    }

    fn filetime_of(meta: &fs::Metadata) -> (i64, i64) {
        (meta.mtime(), meta.mtime_nsec())
    }

    fn set_mtime(path: &Path, (secs, nanos): (i64, i64)) {
        let time = std::time::UNIX_EPOCH + std::time::Duration::new(secs as u64, nanos as u32);
        fs::File::open(path).unwrap().set_modified(time).unwrap();
    }
}
