//! The state carried from one archive member to the next while a layer is extracted: the open
//! parent directory (members come grouped by directory, so re-resolving it each time would
//! double the syscalls), directories whose mode and times wait for the end, and the running
//! size of what is on disk. It owns replacing an existing entry, the one operation that can
//! make the cached parent stale, so the cache is dropped right there.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::rc::Rc;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::FileType;
use rustix::io::Errno;

use super::meta::Meta;
use super::secure::{self, Beneath, RelPath};
use super::{running_as_root, UnpackError};
use crate::space::SpaceGuard;

/// How members meet what is already there: a layer's rules (whiteouts mean deletions, owners
/// as the archive says) or `docker cp`'s (`.wh.` names are plain files; dockerd's
/// `NoOverwriteDirNonDir` and `copyUIDGID`).
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub whiteouts: bool,
    pub no_overwrite_dir_non_dir: bool,
    pub owner: Option<(u32, u32)>,
}

impl Rules {
    pub const LAYER: Rules = Rules {
        whiteouts: true,
        no_overwrite_dir_non_dir: false,
        owner: None,
    };
}

/// See the module docs.
#[derive(Debug)]
pub struct Extract<'a> {
    pub root: &'a Beneath,
    /// Where members go below the root (empty for a layer).
    pub base: RelPath,
    pub rules: Rules,
    pub as_root: bool,
    /// A copy buffer reused by every regular file.
    pub buf: Vec<u8>,
    parent: Option<(RelPath, Rc<OwnedFd>)>,
    dirs: Vec<(RelPath, Meta)>,
    sizes: HashMap<OsString, u64>,
    /// The account of the bytes written into regular files.
    pub space: SpaceGuard,
}

impl<'a> Extract<'a> {
    pub fn new(root: &'a Beneath, space: SpaceGuard, rules: Rules) -> Extract<'a> {
        Extract {
            root,
            base: RelPath::default(),
            rules,
            as_root: running_as_root(),
            buf: vec![0; 256 * 1024],
            parent: None,
            dirs: Vec::new(),
            sizes: HashMap::new(),
            space,
        }
    }

    /// The directory `rel`, created if missing, resolved beneath the root.
    pub fn parent(&mut self, rel: &RelPath, member: &[u8]) -> Result<Rc<OwnedFd>, UnpackError> {
        if let Some((cached, fd)) = &self.parent {
            if cached == rel {
                return Ok(Rc::clone(fd));
            }
        }
        let fd = Rc::new(self.root.create_dirs(rel).map_err(fs_error(member))?);
        self.parent = Some((rel.clone(), Rc::clone(&fd)));
        Ok(fd)
    }

    /// Creates a member with `create`; when something is already at `name`, makes room for it
    /// (`clear`) and creates again. Trying first saves a `stat` per member in the usual case
    /// where the name is free.
    pub fn create<T>(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        path: &RelPath,
        mut create: impl FnMut() -> io::Result<T>,
    ) -> io::Result<T> {
        match create() {
            Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
                self.clear(dir, name, path, false)?;
                create()
            }
            other => other,
        }
    }

    /// Makes room for a new member at `path` (`name` in `dir`). An existing directory is kept
    /// when the member is a directory too (Docker merges them); anything else is removed.
    /// Returns whether a directory was kept.
    pub fn clear(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        path: &RelPath,
        keep_dir: bool,
    ) -> io::Result<bool> {
        let existing = secure::kind_of(dir.as_fd(), name)?;
        if self.rules.no_overwrite_dir_non_dir {
            let member = path.to_os_string();
            let member = member.to_string_lossy();
            match existing {
                Some(FileType::Directory) if !keep_dir => {
                    return Err(io::Error::other(format!(
                        "cannot overwrite directory {member:?} with non-directory {member:?}"
                    )))
                }
                Some(kind) if keep_dir && kind != FileType::Directory => {
                    return Err(io::Error::other(format!(
                        "cannot overwrite non-directory {member:?} with directory {member:?}"
                    )))
                }
                _ => {}
            }
        }
        match existing {
            None => Ok(false),
            Some(FileType::Directory) if keep_dir => Ok(true),
            Some(kind) => {
                secure::remove_tree(dir.as_fd(), name)?;
                self.forget(path, kind == FileType::Directory);
                Ok(false)
            }
        }
    }

    /// Drops everything remembered at or below `path`, which was just removed from disk.
    fn forget(&mut self, path: &RelPath, was_dir: bool) {
        // The cached parent may have been `path` itself, a directory below it, or reached
        // through a symlink that `path` was; re-resolving next time is always correct.
        self.parent = None;
        let prefix = path.to_os_string();
        if !was_dir {
            self.sizes.remove(&prefix);
            return;
        }
        self.dirs.retain(|(dir, _)| !dir.starts_with(path));
        let mut below = prefix.clone();
        below.push("/");
        let below = below.as_encoded_bytes().to_vec();
        self.sizes
            .retain(|p, _| p != &prefix && !p.as_encoded_bytes().starts_with(&below));
    }

    /// Records the on-disk size of a regular file or symlink at `path`.
    pub fn record_size(&mut self, path: &RelPath, size: u64) {
        self.sizes.insert(path.to_os_string(), size);
    }

    /// Records a directory whose mode and times are set by `finish`.
    pub fn defer_dir(&mut self, path: RelPath, meta: Meta) {
        self.dirs.push((path, meta));
    }

    /// Applies the deferred directory metadata and returns the layer's size. Walking the list
    /// backwards sets children before their parents (so a parent turning read-only cannot
    /// lock us out) and meets a directory listed twice first at its last header, which wins.
    pub fn finish(self) -> Result<u64, UnpackError> {
        let mut done = std::collections::HashSet::new();
        for (path, meta) in self.dirs.iter().rev() {
            let member = path.to_os_string();
            if !done.insert(member.clone()) {
                continue;
            }
            let fd = self
                .root
                .open_dir(path)
                .map_err(fs_error(member.as_encoded_bytes()))?;
            meta.apply_dir_later(fd.as_fd())
                .map_err(fs_error(member.as_encoded_bytes()))?;
        }
        Ok(self.sizes.values().sum())
    }
}

/// Maps an I/O error on `member` to an escape (the kernel refused to leave the tree) or to a
/// plain filesystem error.
pub fn fs_error(member: &[u8]) -> impl Fn(io::Error) -> UnpackError + '_ {
    move |source| {
        let path = String::from_utf8_lossy(member).into_owned();
        if secure::is_escape(&source) {
            UnpackError::Escape {
                path,
                reason: "path resolves outside the layer (through a symlink or '..')".into(),
            }
        } else {
            UnpackError::Entry { path, source }
        }
    }
}
