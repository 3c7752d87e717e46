//! A container's root filesystem as the container sees it, read on the host without mounting
//! it: the container's upper dir, then the init layer, then the image's layers from the top,
//! combined by overlayfs's rules. A name is looked up in each directory of the stack until a
//! layer holds a non-directory or a whiteout (a 0/0 character device) under that name, or an
//! opaque directory (`trusted.overlay.opaque=y`) ends the merge. Symlinks are resolved by this
//! module, inside the view (an absolute target starts again at its root, `..` stops there),
//! never by the kernel on the host.
//!
//! It answers small files only (the passwd and group files), every one through [`beneath`]
//! with a size cap. It never takes a lock: callers read before taking the registry, or after
//! releasing it. Bind mounts and the kernel filesystems the sandbox mounts are not part of the
//! view.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use crate::beneath::{self, Pinned, Refused};

/// Linux's limit on symlinks followed in one lookup (`ELOOP` beyond it).
const MAX_SYMLINKS: usize = 40;

/// The layers of one root filesystem, topmost first, as open directories.
#[derive(Debug)]
pub(crate) struct Rootfs {
    root: Merged,
}

/// One directory of the view: the directories of the layers that make it up, topmost first.
#[derive(Debug)]
struct Merged(Vec<OwnedFd>);

/// Why a file of the view could not be read; `path` is the path inside the container.
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("read {path}: is a directory")]
    IsDirectory { path: String },
    #[error("open {path}: not a regular file")]
    NotRegular { path: String },
    #[error("read {path}: file too large (over the limit of {})", size_text(*.cap))]
    TooLarge { path: String, cap: u64 },
    #[error("open {path}: too many levels of symbolic links")]
    Loop { path: String },
    #[error("open {path}: not a directory")]
    NotDirectory { path: String },
    #[error("read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// What a name is in a directory of the view.
enum Found {
    Dir(Merged),
    /// A non-directory, from the topmost layer that has one.
    Other(Pinned),
}

impl Rootfs {
    /// The view of `upper` (absent before a container exists) over `lower`, both topmost
    /// first. A layer directory that does not exist is an error: the store keeps them while a
    /// container uses them.
    pub fn open(upper: Option<&Path>, lower: &[PathBuf]) -> io::Result<Rootfs> {
        let mut dirs = Vec::with_capacity(lower.len() + 1);
        if let Some(upper) = upper {
            match beneath::open_root(upper) {
                Ok(fd) => dirs.push(fd),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        for layer in lower {
            dirs.push(beneath::open_root(layer)?);
        }
        Ok(Rootfs { root: Merged(dirs) })
    }

    /// The bytes of the regular file at absolute `path`, at most `cap` of them; `None` when
    /// there is no such file (a missing component, a dangling link, a whiteout).
    pub fn read(&self, path: &str, cap: u64) -> Result<Option<Vec<u8>>, RootfsError> {
        let Some(pinned) = self.resolve(path)? else {
            return Ok(None);
        };
        let file = pinned.open_file().map_err(|e| refused(path, e, cap))?;
        beneath::read_capped(file, cap)
            .map(Some)
            .map_err(|e| refused(path, e, cap))
    }

    /// The entry `path` names, its symlinks followed inside the view.
    fn resolve(&self, path: &str) -> Result<Option<Pinned>, RootfsError> {
        let io = |source| RootfsError::Io {
            path: path.to_string(),
            source,
        };
        // The directories walked so far, for `..`; the root is never popped.
        let mut stack: Vec<Merged> = vec![self.root.try_clone().map_err(io)?];
        let mut pending: Vec<OsString> = components(OsStr::new(path));
        let mut links = 0;
        while let Some(name) = pending.pop() {
            if name == ".." {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            let last = pending.is_empty();
            let here = stack.last().expect("the root stays");
            match here.lookup(&name).map_err(io)? {
                None => return Ok(None),
                Some(Found::Dir(_)) if last => {
                    return Err(RootfsError::IsDirectory { path: path.into() })
                }
                Some(Found::Dir(merged)) => stack.push(merged),
                Some(Found::Other(pinned)) if pinned.file_type() == FileType::Symlink => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(RootfsError::Loop { path: path.into() });
                    }
                    let target = pinned.read_link().map_err(io)?;
                    if target.as_bytes().starts_with(b"/") {
                        stack.truncate(1);
                    }
                    pending.extend(components(&target));
                }
                Some(Found::Other(pinned)) if last => return Ok(Some(pinned)),
                Some(Found::Other(_)) => {
                    return Err(RootfsError::NotDirectory { path: path.into() })
                }
            }
        }
        Err(RootfsError::IsDirectory { path: path.into() })
    }
}

impl Merged {
    fn try_clone(&self) -> io::Result<Merged> {
        let fds: io::Result<Vec<OwnedFd>> = self.0.iter().map(|fd| fd.try_clone()).collect();
        Ok(Merged(fds?))
    }

    /// `name` in this directory of the view, by overlayfs's rules.
    fn lookup(&self, name: &OsStr) -> io::Result<Option<Found>> {
        let mut dirs = Vec::new();
        for layer in &self.0 {
            let Some(pinned) = beneath::pin(layer.as_fd(), name)? else {
                continue;
            };
            if pinned.is_whiteout() {
                break;
            }
            if pinned.file_type() != FileType::Directory {
                if dirs.is_empty() {
                    return Ok(Some(Found::Other(pinned)));
                }
                // A non-directory below a directory is hidden, and so is all beneath it.
                break;
            }
            let dir = pinned.open_dir()?;
            let opaque = beneath::is_opaque(&dir);
            dirs.push(dir);
            if opaque {
                break;
            }
        }
        Ok((!dirs.is_empty()).then(|| Found::Dir(Merged(dirs))))
    }
}

/// The components of `path` in reverse order (the next one last), without empty ones and `.`.
fn components(path: &OsStr) -> Vec<OsString> {
    path.as_bytes()
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .rev()
        .map(|c| OsStr::from_bytes(c).to_owned())
        .collect()
}

/// `16 MiB`, or bytes when the cap is not a whole number of MiB.
fn size_text(cap: u64) -> String {
    match cap % (1 << 20) {
        0 => format!("{} MiB", cap >> 20),
        _ => format!("{cap} bytes"),
    }
}

fn refused(path: &str, e: Refused, cap: u64) -> RootfsError {
    let path = path.to_string();
    match e {
        Refused::IsDirectory => RootfsError::IsDirectory { path },
        Refused::NotRegular => RootfsError::NotRegular { path },
        Refused::TooLarge => RootfsError::TooLarge { path, cap },
        Refused::Io(source) => RootfsError::Io { path, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn whiteout(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    /// Two layers and an upper dir: `top` first.
    fn layers() -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let (upper, top, bottom) = (
            dir.path().join("upper"),
            dir.path().join("top"),
            dir.path().join("bottom"),
        );
        for l in [&upper, &top, &bottom] {
            fs::create_dir_all(l.join("etc")).unwrap();
        }
        (dir, upper, vec![top, bottom])
    }

    fn read(fs: &Rootfs, path: &str) -> Option<String> {
        fs.read(path, 1 << 20)
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn the_topmost_layer_wins_and_the_upper_dir_above_all() {
        let (_d, upper, lower) = layers();
        fs::write(lower[1].join("etc/passwd"), "bottom").unwrap();
        fs::write(lower[1].join("etc/group"), "bottom").unwrap();
        fs::write(lower[0].join("etc/passwd"), "top").unwrap();
        let view = Rootfs::open(Some(&upper), &lower).unwrap();
        assert_eq!(read(&view, "/etc/passwd").as_deref(), Some("top"));
        assert_eq!(read(&view, "/etc/group").as_deref(), Some("bottom"));
        fs::write(upper.join("etc/passwd"), "upper").unwrap();
        assert_eq!(read(&view, "/etc/passwd").as_deref(), Some("upper"));
        assert_eq!(read(&view, "/etc/shadow"), None);
    }

    #[test]
    fn whiteouts_and_opaque_directories_hide_what_is_below() {
        let (_d, upper, lower) = layers();
        fs::write(lower[1].join("etc/passwd"), "bottom").unwrap();
        fs::write(lower[1].join("etc/group"), "bottom").unwrap();
        whiteout(&lower[0].join("etc/passwd"));
        let view = Rootfs::open(Some(&upper), &lower).unwrap();
        assert_eq!(read(&view, "/etc/passwd"), None);
        assert_eq!(read(&view, "/etc/group").as_deref(), Some("bottom"));
        rustix::fs::setxattr(
            upper.join("etc"),
            "trusted.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        assert_eq!(read(&view, "/etc/group"), None);
        // A file replacing a directory hides the directory's content below.
        fs::remove_dir(upper.join("etc")).unwrap();
        fs::write(upper.join("etc"), "").unwrap();
        assert!(matches!(
            view.read("/etc/group", 100),
            Err(RootfsError::NotDirectory { .. })
        ));
    }

    #[test]
    fn symlinks_resolve_inside_the_view_never_on_the_host() {
        let (_d, upper, lower) = layers();
        symlink("../../../../etc/shadow", lower[0].join("etc/passwd")).unwrap();
        let view = Rootfs::open(Some(&upper), &lower).unwrap();
        // The host's /etc/shadow exists; the view's does not.
        assert_eq!(read(&view, "/etc/passwd"), None);
        fs::write(lower[1].join("etc/shadow"), "the image's").unwrap();
        assert_eq!(read(&view, "/etc/passwd").as_deref(), Some("the image's"));
        // An absolute link and a link to a directory in another layer.
        fs::remove_file(lower[0].join("etc/passwd")).unwrap();
        symlink("/usr/etc/passwd", lower[0].join("etc/passwd")).unwrap();
        fs::create_dir_all(upper.join("real")).unwrap();
        fs::write(upper.join("real/passwd"), "via a dir link").unwrap();
        symlink("/real", lower[1].join("usr")).unwrap();
        fs::create_dir_all(lower[1].join("real")).unwrap();
        symlink(".", upper.join("real/etc")).unwrap();
        assert_eq!(
            read(&view, "/etc/passwd").as_deref(),
            Some("via a dir link")
        );
        // A loop.
        symlink("loop", upper.join("loop")).unwrap();
        assert!(matches!(
            view.read("/loop", 100),
            Err(RootfsError::Loop { .. })
        ));
    }

    #[test]
    fn fifos_devices_and_directories_are_refused_not_opened() {
        let (_d, upper, lower) = layers();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            lower[0].join("etc/passwd"),
            FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        fs::create_dir(lower[0].join("etc/group")).unwrap();
        symlink("/dev/zero", lower[0].join("etc/zero")).unwrap();
        fs::create_dir(lower[0].join("dev")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            lower[0].join("dev/zero"),
            FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o666),
            rustix::fs::makedev(1, 5),
        )
        .unwrap();
        let view = Rootfs::open(Some(&upper), &lower).unwrap();
        let text = |p: &str| view.read(p, 100).unwrap_err().to_string();
        assert_eq!(text("/etc/passwd"), "open /etc/passwd: not a regular file");
        assert_eq!(text("/etc/group"), "read /etc/group: is a directory");
        assert_eq!(text("/etc/zero"), "open /etc/zero: not a regular file");
        fs::write(upper.join("etc/big"), vec![b'x'; 101]).unwrap();
        assert!(matches!(
            view.read("/etc/big", 100),
            Err(RootfsError::TooLarge { .. })
        ));
    }
}
