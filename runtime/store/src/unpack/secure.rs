//! Confinement of every filesystem operation of an unpack to one directory tree. It owns the
//! layer root's directory descriptor and resolves every path with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS)`, so the kernel, not string checks, refuses any path that would leave
//! the tree: `..` above the root, an absolute symlink, a symlink chain ending outside, a
//! `/proc` magic link. It also owns the lexical clean-up of archive member names. It never
//! opens or changes anything by an absolute host path once the root is open.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// How every path below the root is resolved: symlinks are followed only while they stay
/// inside the tree, and absolute symlinks or `..` past the root fail with `EXDEV`.
/// How often a scoped lookup raced by renames or mounts elsewhere is tried again.
const RACE_RETRIES: usize = 64;
const RESOLVE: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// Why an archive member name was refused before touching the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Absolute,
    DotDot,
}

impl NameProblem {
    pub fn describe(self) -> &'static str {
        match self {
            NameProblem::Absolute => "absolute path",
            NameProblem::DotDot => "'..' leads outside the layer",
        }
    }
}

/// A member name after lexical clean-up: the components of a path relative to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelPath {
    parts: Vec<OsString>,
}

impl RelPath {
    /// Cleans a member name the way Docker does (`filepath.Clean`), refusing absolute names
    /// and names whose `..` climb above the root. `./a//b/` becomes `a/b`; `.` becomes empty.
    pub fn clean(raw: &[u8]) -> Result<RelPath, NameProblem> {
        if raw.starts_with(b"/") {
            return Err(NameProblem::Absolute);
        }
        RelPath::default().join(raw)
    }

    /// Resolves `raw` (a relative symlink target or name) against this path lexically.
    pub fn join(&self, raw: &[u8]) -> Result<RelPath, NameProblem> {
        let mut parts = self.parts.clone();
        for part in raw.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    parts.pop().ok_or(NameProblem::DotDot)?;
                }
                name => parts.push(OsStr::from_bytes(name).to_owned()),
            }
        }
        Ok(RelPath { parts })
    }

    /// `rest` below `self`: a member's path under the directory an archive is extracted into.
    pub fn then(&self, rest: &RelPath) -> RelPath {
        let mut parts = self.parts.clone();
        parts.extend(rest.parts.iter().cloned());
        RelPath { parts }
    }

    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The directory holding this entry and the entry's own name; `None` for the root.
    pub fn split_last(&self) -> Option<(RelPath, &OsStr)> {
        let (last, rest) = self.parts.split_last()?;
        Some((
            RelPath {
                parts: rest.to_vec(),
            },
            last,
        ))
    }

    /// `a/b/c`, or `.` for the root: the form handed to `openat2`.
    pub fn to_os_string(&self) -> OsString {
        if self.parts.is_empty() {
            return OsString::from(".");
        }
        let joined = self
            .parts
            .iter()
            .map(|p| p.as_bytes())
            .collect::<Vec<_>>()
            .join(&b'/');
        OsString::from_vec(joined)
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &RelPath) -> bool {
        self.parts.starts_with(&other.parts)
    }

    fn prefix(&self, len: usize) -> RelPath {
        RelPath {
            parts: self.parts[..len].to_vec(),
        }
    }
}

/// The root of one unpack, as a directory descriptor.
#[derive(Debug)]
pub struct Beneath {
    root: OwnedFd,
    resolve: ResolveFlags,
}

impl Beneath {
    /// Opens the (host) directory every later operation stays inside.
    pub fn open(dir: &Path) -> io::Result<Beneath> {
        let root = rfs::open(dir, DIR_FLAGS, Mode::empty())?;
        Ok(Beneath {
            root,
            resolve: RESOLVE,
        })
    }

    /// A container's root (for `docker cp`), opened by the caller: paths resolve with it as
    /// `/` (`RESOLVE_IN_ROOT`), so an absolute symlink in the tree is followed inside it,
    /// never out.
    pub fn in_root(root: OwnedFd) -> Beneath {
        Beneath {
            root,
            resolve: ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS),
        }
    }

    pub fn root(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// Opens directory `rel` below the root, following symlinks only inside the tree. The
    /// kernel answers `EAGAIN` when a rename or mount anywhere raced a scoped `..`; the lookup
    /// is then simply tried again.
    pub fn open_dir(&self, rel: &RelPath) -> io::Result<OwnedFd> {
        let rel = rel.to_os_string();
        let mut tries = 0;
        loop {
            match rfs::openat2(&self.root, &rel, DIR_FLAGS, Mode::empty(), self.resolve) {
                Err(Errno::AGAIN) if tries < RACE_RETRIES => tries += 1,
                done => return Ok(done?),
            }
        }
    }

    /// Opens directory `rel`, creating missing components (mode 0755, as Docker does for
    /// parents an archive did not list). Existing components are resolved beneath the root.
    pub fn create_dirs(&self, rel: &RelPath) -> io::Result<OwnedFd> {
        match self.open_dir(rel) {
            Err(e) if e.raw_os_error() == Some(Errno::NOENT.raw_os_error()) => {}
            other => return other,
        }
        let mut parent = self.open_dir(&RelPath::default())?;
        for len in 1..=rel.parts.len() {
            let prefix = rel.prefix(len);
            match self.open_dir(&prefix) {
                Ok(fd) => parent = fd,
                Err(e) if e.raw_os_error() == Some(Errno::NOENT.raw_os_error()) => {
                    mkdir(&parent, &rel.parts[len - 1], 0o755)?;
                    parent = self.open_dir(&prefix)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(parent)
    }
}

/// Opens `name` inside `dir` with `flags`, never following a symlink in `name` itself and
/// never leaving `dir`.
pub fn open_in(dir: BorrowedFd<'_>, name: &OsStr, flags: OFlags, mode: u32) -> io::Result<OwnedFd> {
    Ok(rfs::openat2(
        dir,
        name,
        flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
        RESOLVE,
    )?)
}

/// Creates a directory with `mode`; the caller sets the final mode later.
pub fn mkdir(dir: &OwnedFd, name: &OsStr, mode: u32) -> io::Result<()> {
    Ok(rfs::mkdirat(dir, name, Mode::from_raw_mode(mode))?)
}

/// What is at `name` in `dir`, without following a symlink; `None` when nothing is.
pub fn kind_of(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<FileType>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(FileType::from_raw_mode(stat.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Removes whatever is at `name` in `dir`: a file, a symlink (not its target) or a whole
/// directory tree, walking it by descriptors so nothing outside can be reached.
pub fn remove_tree(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    match kind_of(dir, name)? {
        None => Ok(()),
        Some(FileType::Directory) => {
            let sub = open_in(dir, name, DIR_FLAGS, 0)?;
            for child in list_dir(&sub)? {
                remove_tree(sub.as_fd(), &child)?;
            }
            Ok(rfs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
        }
        Some(_) => Ok(rfs::unlinkat(dir, name, AtFlags::empty())?),
    }
}

fn list_dir(dir: &OwnedFd) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in rfs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_owned());
        }
    }
    Ok(names)
}

/// Whether an I/O error is the kernel refusing to leave the tree.
pub fn is_escape(e: &io::Error) -> bool {
    let code = e.raw_os_error();
    code == Some(Errno::XDEV.raw_os_error()) || code == Some(Errno::LOOP.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn rel(s: &str) -> RelPath {
        RelPath::clean(s.as_bytes()).unwrap()
    }

    #[test]
    fn clean_follows_docker_filepath_clean() {
        assert_eq!(rel("./a//b/").to_os_string(), "a/b");
        assert_eq!(rel("a/../b").to_os_string(), "b");
        assert!(rel("./").split_last().is_none());
        assert_eq!(RelPath::clean(b"/etc/passwd"), Err(NameProblem::Absolute));
        assert_eq!(RelPath::clean(b"../x"), Err(NameProblem::DotDot));
        assert_eq!(RelPath::clean(b"a/../../x"), Err(NameProblem::DotDot));
    }

    #[test]
    fn open_dir_refuses_absolute_and_escaping_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../..", root.join("up")).unwrap();
        fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink("real", root.join("inside")).unwrap();
        let b = Beneath::open(&root).unwrap();
        assert!(is_escape(&b.open_dir(&rel("abs")).unwrap_err()));
        assert!(is_escape(&b.open_dir(&rel("up")).unwrap_err()));
        b.open_dir(&rel("inside")).unwrap();
    }

    #[test]
    fn create_dirs_makes_missing_parents_only_inside() {
        let dir = tempfile::tempdir().unwrap();
        let b = Beneath::open(dir.path()).unwrap();
        b.create_dirs(&rel("a/b/c")).unwrap();
        assert!(dir.path().join("a/b/c").is_dir());
        std::os::unix::fs::symlink("/tmp", dir.path().join("l")).unwrap();
        assert!(is_escape(&b.create_dirs(&rel("l/x")).unwrap_err()));
    }

    #[test]
    fn remove_tree_removes_a_symlink_not_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("keep"), b"x").unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("d/e")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("d/link")).unwrap();
        let b = Beneath::open(root).unwrap();
        remove_tree(b.root(), OsStr::new("d")).unwrap();
        assert!(!root.join("d").exists());
        assert!(outside.path().join("keep").exists());
    }
}
