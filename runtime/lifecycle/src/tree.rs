//! Walking a container's upper directory (for `commit`, `diff` and its size) by descriptors,
//! never by path: each entry is pinned with [`beneath::pin`] below its parent's descriptor, a
//! directory is descended into through the descriptor of the directory that was pinned, and a
//! symlink is reported as a symlink. A running container can rename, replace or swap anything
//! while the walk goes on; the walk then sees either the old entry or the new one, each as
//! what it is, and can never be led outside the upper dir.
//!
//! Directories come before their contents and names are sorted bytewise, so the same tree
//! gives the same order. The walk is iterative (a deep tree cannot exhaust the stack) and stops
//! with `ENAMETOOLONG` where a path walk would, past `PATH_MAX`. It owns only the traversal;
//! what an entry means (tar member, change) is the caller's.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Stat};

use crate::beneath::{self, Pinned, Refused};

/// Linux's `PATH_MAX`: no walk by path could go deeper than this many bytes.
const PATH_MAX: usize = 4096;

/// What an entry is, as far as the layer format cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File,
    Symlink,
    /// overlayfs's mark of a deleted name: a 0/0 character device.
    Whiteout,
    /// Devices, FIFOs and sockets: never opened.
    Special,
}

/// One entry of the tree, pinned.
#[derive(Debug)]
pub(crate) struct Entry {
    pinned: Pinned,
    /// The directory, opened for listing, when the entry is one.
    dir: Option<OwnedFd>,
}

impl Entry {
    pub fn stat(&self) -> &Stat {
        &self.pinned.stat
    }

    pub fn kind(&self) -> Kind {
        match self.pinned.file_type() {
            _ if self.pinned.is_whiteout() => Kind::Whiteout,
            FileType::Directory => Kind::Dir,
            FileType::RegularFile => Kind::File,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Special,
        }
    }

    /// Whether the directory hides the layers' content below it.
    pub fn is_opaque(&self) -> bool {
        self.dir.as_ref().is_some_and(beneath::is_opaque)
    }

    /// The regular file's content (the very inode that was pinned).
    pub fn open_file(&self) -> io::Result<File> {
        self.pinned.open_file().map_err(|e| match e {
            Refused::Io(e) => e,
            Refused::IsDirectory => rustix::io::Errno::ISDIR.into(),
            Refused::NotRegular | Refused::TooLarge => io::Error::other("not a regular file"),
        })
    }

    pub fn read_link(&self) -> io::Result<OsString> {
        self.pinned.read_link()
    }
}

/// A directory being listed: its descriptor, its path and the names still to visit (the next
/// one last).
struct Level {
    dir: OwnedFd,
    rel: PathBuf,
    names: Vec<OsString>,
}

impl Level {
    fn open(dir: OwnedFd, rel: PathBuf) -> io::Result<Level> {
        let mut names = beneath::list(&dir)?;
        names.reverse();
        Ok(Level { dir, rel, names })
    }
}

/// Calls `visit` with every entry under `root` (not `root` itself), relative path first.
pub(crate) fn walk(
    root: &Path,
    visit: &mut dyn FnMut(&Path, &Entry) -> io::Result<()>,
) -> io::Result<()> {
    walk_dir(beneath::open_root(root)?, PathBuf::new(), None, visit)
}

/// Calls `visit` with `pinned` itself under the name `name`, then, when it is a directory
/// (on `device`, when given), with everything below it as [`walk_dir`] does.
pub(crate) fn walk_from(
    pinned: Pinned,
    name: PathBuf,
    device: Option<u64>,
    visit: &mut dyn FnMut(&Path, &Entry) -> io::Result<()>,
) -> io::Result<()> {
    let foreign = device.is_some_and(|dev| pinned.stat.st_dev != dev);
    let dir = match pinned.file_type() {
        FileType::Directory if !foreign => Some(pinned.open_dir()?),
        _ => None,
    };
    let entry = Entry { pinned, dir };
    visit(&name, &entry)?;
    match entry.dir {
        Some(dir) => walk_dir(dir, name, device, visit),
        None => Ok(()),
    }
}

/// [`walk`] below an open directory, naming entries under `prefix`. With `device`, a
/// directory on another filesystem (a running container's `/proc` or `/sys`) is visited but
/// not descended into.
pub(crate) fn walk_dir(
    root: OwnedFd,
    prefix: PathBuf,
    device: Option<u64>,
    visit: &mut dyn FnMut(&Path, &Entry) -> io::Result<()>,
) -> io::Result<()> {
    let mut stack = vec![Level::open(root, prefix)?];
    while let Some(level) = stack.last_mut() {
        let Some(name) = level.names.pop() else {
            stack.pop();
            continue;
        };
        // Gone since the listing: nothing to record.
        let Some(pinned) = beneath::pin(level.dir.as_fd(), &name)? else {
            continue;
        };
        let rel = level.rel.join(&name);
        if rel.as_os_str().as_bytes().len() >= PATH_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidFilename,
                format!("{}: file name too long", rel.display()),
            ));
        }
        let foreign = device.is_some_and(|dev| pinned.stat.st_dev != dev);
        let dir = match pinned.file_type() {
            FileType::Directory if !pinned.is_whiteout() && !foreign => Some(pinned.open_dir()?),
            _ => None,
        };
        let entry = Entry { pinned, dir };
        visit(&rel, &entry)?;
        if let Some(dir) = entry.dir {
            stack.push(Level::open(dir, rel)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn listed(root: &Path) -> Vec<(String, Kind)> {
        let mut out = Vec::new();
        walk(root, &mut |rel, e| {
            out.push((rel.display().to_string(), e.kind()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn directories_come_first_names_sorted_links_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/c")).unwrap();
        fs::write(root.join("b/c/f"), "x").unwrap();
        fs::write(root.join("a"), "x").unwrap();
        symlink("/", root.join("b/root")).unwrap();
        symlink("/etc", root.join("z")).unwrap();
        assert_eq!(
            listed(root),
            [
                ("a".to_string(), Kind::File),
                ("b".to_string(), Kind::Dir),
                ("b/c".to_string(), Kind::Dir),
                ("b/c/f".to_string(), Kind::File),
                ("b/root".to_string(), Kind::Symlink),
                ("z".to_string(), Kind::Symlink),
            ]
        );
    }

    #[test]
    fn a_directory_swapped_for_a_link_after_it_was_pinned_is_still_walked_as_itself() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("upper");
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join("d/inside"), "mine").unwrap();
        let aside = dir.path().join("aside");
        let mut seen = Vec::new();
        walk(&root, &mut |rel, e| {
            if rel == Path::new("d") {
                // The swap a container could do between the listing and the descent.
                fs::rename(root.join("d"), &aside).unwrap();
                symlink("/etc", root.join("d")).unwrap();
            }
            seen.push((rel.display().to_string(), e.kind()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                ("d".to_string(), Kind::Dir),
                ("d/inside".to_string(), Kind::File)
            ]
        );
    }

    #[test]
    fn paths_past_path_max_stop_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("upper");
        fs::create_dir(&root).unwrap();
        let mut fd = beneath::open_root(&root).unwrap();
        let name = "d".repeat(200);
        for _ in 0..25 {
            rustix::fs::mkdirat(&fd, name.as_str(), rustix::fs::Mode::from_raw_mode(0o755))
                .unwrap();
            fd = rustix::fs::openat(
                &fd,
                name.as_str(),
                rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY,
                rustix::fs::Mode::empty(),
            )
            .unwrap();
        }
        let e = walk(&root, &mut |_, _| Ok(())).unwrap_err();
        assert!(e.to_string().ends_with("file name too long"), "{e}");
    }
}
