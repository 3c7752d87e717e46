//! `docker diff`: what the container changed in its root filesystem, read from the overlay's
//! upper directory as dockerd 20.10's overlay driver reads it (moby's `archive.changes` with
//! the overlay whiteout rule). In walk order (names sorted):
//!
//! - a whiteout (0/0 character device) or an opaque directory is `D`;
//! - anything else is `A`, unless the path exists in a layer below: then `C`, except for a
//!   directory whose mode, size and mtime equal the layer's (only a parent of a change);
//! - the parent of an `A` or `D` is reported `C` once, before it, if nothing reported it yet.
//!
//! This module only reads, by descriptors ([`crate::tree`], [`crate::beneath`]); it never
//! follows a link out of a layer and never looks a container up (the `changes` verb does).

use std::collections::BTreeSet;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Stat};

use crate::beneath;
use crate::tree::{self, Kind};

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

/// The changes of `upper` over `layers` (top layer first).
pub fn changes(upper: &Path, layers: &[PathBuf]) -> std::io::Result<Vec<Change>> {
    let roots = layers
        .iter()
        .map(|l| beneath::open_root(l))
        .collect::<std::io::Result<Vec<OwnedFd>>>()?;
    let mut out = Vec::new();
    let mut changed_dirs = BTreeSet::new();
    tree::walk(upper, &mut |rel, entry| {
        let stat = entry.stat();
        let is_dir = entry.kind() == Kind::Dir;
        let path = format!("/{}", rel.display());
        let deleted = entry.kind() == Kind::Whiteout || (is_dir && entry.is_opaque());
        let kind = match deleted {
            true => ChangeKind::Deleted,
            false => match below(&roots, rel)? {
                None => ChangeKind::Added,
                Some(lower) if is_dir && is_dir_stat(&lower) && same_dir(stat, &lower) => {
                    return Ok(());
                }
                Some(_) => ChangeKind::Modified,
            },
        };
        if is_dir {
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
        Ok(())
    })?;
    Ok(out)
}

/// The path's metadata in the topmost layer that has it, following symlinks as Go's `os.Stat`
/// does, but only inside the layer ([`beneath::stat_in_root`]).
fn below(roots: &[OwnedFd], rel: &Path) -> std::io::Result<Option<Stat>> {
    for root in roots {
        if let Some(stat) = beneath::stat_in_root(root.as_fd(), rel)? {
            return Ok(Some(stat));
        }
    }
    Ok(None)
}

fn is_dir_stat(stat: &Stat) -> bool {
    FileType::from_raw_mode(stat.st_mode) == FileType::Directory
}

/// moby's test for a directory that is only the parent of changes.
fn same_dir(upper: &Stat, lower: &Stat) -> bool {
    upper.st_size == lower.st_size
        && upper.st_mode == lower.st_mode
        && upper.st_mtime == lower.st_mtime
        && upper.st_mtime_nsec == lower.st_mtime_nsec
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

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
