//! Opening what an image or a container holds, on the host, without trusting it. Every name is
//! resolved one component at a time below a directory descriptor with `openat2`
//! (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, `O_NOFOLLOW`): a symlink is
//! returned as a symlink, never followed, so nothing outside the tree can be reached however the
//! tree changes meanwhile. An entry is first pinned with an `O_PATH` descriptor (which opens
//! nothing: a FIFO cannot block it, a device node is not opened); it is read only after `fstat`
//! of that descriptor said what it is, through a re-open of the same inode, non-blocking and
//! with a size cap.
//!
//! This module owns those primitives and nothing else: it never decides what a file means
//! (passwd parsing, overlay rules and tar writing live with their callers), and it never opens
//! a path of a container or an image by its host path below the root it was given.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{self as rfs, FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;

/// One component, below the directory, never through a link of any kind.
const ONE_NAME: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

/// Opens the directory a tree is read below. The path is the host's (a layer or a container's
/// upper dir that berth made), so it is trusted; everything under it is not.
pub(crate) fn open_root(dir: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// An entry of a directory, held by an `O_PATH` descriptor: whatever replaces the name later,
/// this is the inode that was there, and `stat` is its own.
#[derive(Debug)]
pub(crate) struct Pinned {
    fd: OwnedFd,
    pub stat: Stat,
}

/// Pins `name` (one component, no `/`) in `dir`; `None` when nothing has that name.
pub(crate) fn pin(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<Pinned>> {
    if name.as_bytes().contains(&b'/') || name == "." || name == ".." || name.is_empty() {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rfs::openat2(dir, name, flags, Mode::empty(), ONE_NAME) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let stat = rfs::fstat(&fd)?;
    Ok(Some(Pinned { fd, stat }))
}

/// Pins what an `O_PATH` descriptor already holds (a directory opened by a resolved path).
pub(crate) fn pin_fd(fd: OwnedFd) -> io::Result<Pinned> {
    let stat = rfs::fstat(&fd)?;
    Ok(Pinned { fd, stat })
}

impl Pinned {
    pub fn file_type(&self) -> FileType {
        FileType::from_raw_mode(self.stat.st_mode)
    }

    /// overlayfs's whiteout: a character device numbered 0/0.
    pub fn is_whiteout(&self) -> bool {
        self.file_type() == FileType::CharacterDevice && self.stat.st_rdev == 0
    }

    /// The pinned directory, opened for listing and attributes.
    pub fn open_dir(&self) -> io::Result<OwnedFd> {
        if self.file_type() != FileType::Directory {
            return Err(Errno::NOTDIR.into());
        }
        reopen(&self.fd, OFlags::RDONLY | OFlags::DIRECTORY)
    }

    /// The pinned regular file, opened for reading without blocking. Anything else (a FIFO,
    /// a device, a socket, a directory) is refused before it is opened.
    pub fn open_file(&self) -> Result<File, Refused> {
        match self.file_type() {
            FileType::RegularFile => {}
            FileType::Directory => return Err(Refused::IsDirectory),
            _ => return Err(Refused::NotRegular),
        }
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY;
        Ok(File::from(reopen(&self.fd, flags).map_err(Refused::Io)?))
    }

    /// The target of the pinned symlink, as stored (it is never resolved here).
    pub fn read_link(&self) -> io::Result<OsString> {
        let target = rfs::readlinkat(&self.fd, c"", Vec::new())?;
        Ok(OsString::from(std::ffi::OsStr::from_bytes(
            target.as_bytes(),
        )))
    }
}

/// Opens the inode behind an `O_PATH` descriptor with real access flags. Going through the
/// descriptor's `/proc/self/fd` entry reaches exactly that inode, whatever its name points to
/// by now; the descriptor was checked before, so no FIFO or device is ever opened here.
fn reopen(fd: &OwnedFd, flags: OFlags) -> io::Result<OwnedFd> {
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let reopened = rfs::open(path.as_str(), flags | OFlags::CLOEXEC, Mode::empty())?;
    let (was, is) = (rfs::fstat(fd)?, rfs::fstat(&reopened)?);
    if (was.st_dev, was.st_ino) != (is.st_dev, is.st_ino) {
        return Err(io::Error::other("file replaced while opening it"));
    }
    Ok(reopened)
}

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum Refused {
    IsDirectory,
    /// A FIFO, a device or a socket.
    NotRegular,
    /// More than the cap.
    TooLarge,
    Io(io::Error),
}

/// All of `file`, refused when it is over `cap` bytes (by its size, or by what a read finds if
/// it grows meanwhile).
pub(crate) fn read_capped(file: File, cap: u64) -> Result<Vec<u8>, Refused> {
    let size = u64::try_from(
        rfs::fstat(&file)
            .map_err(|e| Refused::Io(e.into()))?
            .st_size,
    )
    .unwrap_or(0);
    if size > cap {
        return Err(Refused::TooLarge);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > cap {
        return Err(Refused::TooLarge);
    }
    Ok(bytes)
}

/// The names in directory `dir`, without `.` and `..`, sorted bytewise.
pub(crate) fn list(dir: &OwnedFd) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in rfs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// `trusted.overlay.opaque=y`: overlayfs's mark of a directory that hides everything below it
/// (`x` on newer kernels means "has whiteouts", not opaque).
pub(crate) fn is_opaque(dir: &OwnedFd) -> bool {
    let mut buf = [0u8; 4];
    matches!(
        rfs::fgetxattr(dir, "trusted.overlay.opaque", &mut buf[..]),
        Ok(1) if buf[0] == b'y'
    )
}

/// What `rel` is in the tree under `root`, following symlinks as the tree's own root would
/// (`RESOLVE_IN_ROOT`: an absolute target or `..` never leaves it), without opening it: Go's
/// `os.Stat` of a path inside an image layer, minus the escape. `None` when nothing is there.
pub(crate) fn stat_in_root(root: BorrowedFd<'_>, rel: &Path) -> io::Result<Option<Stat>> {
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let flags = OFlags::PATH | OFlags::CLOEXEC;
    match rfs::openat2(root, rel, flags, Mode::empty(), resolve) {
        Ok(fd) => Ok(Some(rfs::fstat(fd.as_fd())?)),
        Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn root(dir: &Path) -> OwnedFd {
        open_root(dir).unwrap()
    }

    #[test]
    fn a_fifo_is_pinned_but_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let root = root(dir.path());
        let pinned = pin(root.as_fd(), OsStr::new("fifo")).unwrap().unwrap();
        assert_eq!(pinned.file_type(), FileType::Fifo);
        assert!(matches!(pinned.open_file(), Err(Refused::NotRegular)));
    }

    #[test]
    fn symlinks_are_pinned_as_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/etc/shadow", dir.path().join("passwd")).unwrap();
        let root = root(dir.path());
        let pinned = pin(root.as_fd(), OsStr::new("passwd")).unwrap().unwrap();
        assert_eq!(pinned.file_type(), FileType::Symlink);
        assert_eq!(pinned.read_link().unwrap(), "/etc/shadow");
        assert!(matches!(pinned.open_file(), Err(Refused::NotRegular)));
        assert!(pin(root.as_fd(), OsStr::new("none")).unwrap().is_none());
        assert!(pin(root.as_fd(), OsStr::new("a/b")).is_err());
        assert!(pin(root.as_fd(), OsStr::new("..")).is_err());
    }

    #[test]
    fn reads_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"12345").unwrap();
        let root = root(dir.path());
        let pinned = pin(root.as_fd(), OsStr::new("f")).unwrap().unwrap();
        assert_eq!(
            read_capped(pinned.open_file().unwrap(), 5).unwrap(),
            b"12345"
        );
        assert!(matches!(
            read_capped(pinned.open_file().unwrap(), 4),
            Err(Refused::TooLarge)
        ));
    }

    #[test]
    fn stat_in_root_keeps_absolute_links_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        symlink("/etc", dir.path().join("link")).unwrap();
        symlink("../../../../../etc/shadow", dir.path().join("up")).unwrap();
        let root = root(dir.path());
        let inside = stat_in_root(root.as_fd(), Path::new("link"))
            .unwrap()
            .unwrap();
        let etc = std::fs::metadata(dir.path().join("etc")).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(inside.st_ino, etc.ino());
        assert!(stat_in_root(root.as_fd(), Path::new("up"))
            .unwrap()
            .is_none());
        assert!(stat_in_root(root.as_fd(), Path::new("link/passwd"))
            .unwrap()
            .is_none());
    }
}
