//! `docker cp` out of a container and `docker export`: a path's stat (`HEAD
//! /containers/{id}/archive`), the path as a tar (`GET .../archive`), and the whole root
//! filesystem as a tar (`GET .../export`), as dockerd 20.10 answers them
//! (`daemon/archive.go`). The path is resolved the way moby resolves it: the directory part
//! with every symlink followed inside the container's root, the last name not followed unless
//! the path ends in `/` or `/.`. Members are named from the path's last element (`etc/...`,
//! `./...` for `dir/.`, `/...` for `/`), as the docker CLI expects to rebase them.
//!
//! The tar is written by a thread into a pipe whose read end the caller gets, so a slow client
//! holds a pipe, not a copy. That thread holds the container's root view
//! ([`crate::steps::view`]): a container that does not run cannot start until the archive is
//! read to its end or dropped.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;

use rustix::fs::{FileType, Stat};

use crate::beneath;
use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::scoped::{self, Dir};
use crate::steps::view::{self, View};
use crate::tar_members;
use crate::time::Timestamp;
use crate::tree;

/// What `X-Docker-Container-Path-Stat` says of a path (moby's `ContainerPathStat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// The path's last element as Go's `filepath.Base` gives it (`/` for the root).
    pub name: String,
    pub size: i64,
    /// Go's `os.FileMode` bits: the permission bits, set-id and sticky bits, and the type.
    pub mode: u32,
    pub mtime: Timestamp,
    /// For a symlink: where it leads inside the container, every link followed.
    pub link_target: String,
}

/// A path of the container, resolved: its stat and what to tar.
struct Target {
    stat: PathStat,
    pinned: beneath::Pinned,
    /// The name its members are rebased on.
    member: String,
}

impl<I: Images> Containers<I> {
    /// The stat of `path` in the container, for `HEAD .../archive`.
    pub fn archive_stat(&self, reference: &str, path: &str) -> Result<PathStat, LifecycleError> {
        let view = view::open(&self.shared, reference)?;
        Ok(target(&view, reference, path)?.stat)
    }

    /// The stat of `path` and the path as a tar, for `GET .../archive`.
    pub fn archive(&self, reference: &str, path: &str) -> Result<(PathStat, File), LifecycleError> {
        let view = view::open(&self.shared, reference)?;
        let target = target(&view, reference, path)?;
        let stat = target.stat.clone();
        let device = view.running.then_some(view_device(&view)?);
        let out = spawn_tar(view, move |out| {
            tar_tree(out, target.pinned, PathBuf::from(target.member), device)
        })?;
        Ok((stat, out))
    }

    /// The container's whole root filesystem as a tar, for `GET .../export` (members named
    /// from the root, without a leading `/`, as dockerd's export writes them).
    pub fn export(&self, reference: &str) -> Result<File, LifecycleError> {
        let view = view::open(&self.shared, reference)?;
        let device = view.running.then_some(view_device(&view)?);
        let root = view.open_root()?;
        spawn_tar(view, move |out| {
            let mut builder = tar::Builder::new(out);
            let mut links = tar_members::Links::new();
            tree::walk_dir(root, PathBuf::new(), device, &mut |rel, entry| {
                tar_members::append(&mut builder, rel, entry, &mut links)
            })?;
            builder.into_inner()?.flush()
        })
    }
}

/// Resolves `path` as moby's `ResolvePath` and `StatPath` do.
fn target(view: &View, reference: &str, path: &str) -> Result<Target, LifecycleError> {
    let root = view.root();
    let abs = absolute(path);
    let (dir, base) = split(&abs);
    let at = |e: io::Error| LifecycleError::io("lstat", abs.clone(), e);
    let dir = scoped::follow_in_scope(root, dir).map_err(at)?;
    let not_found = || LifecycleError::PathNotFound {
        path: path.to_string(),
        container: reference.to_string(),
    };
    let pinned = match (scoped::dir(root, &dir).map_err(at)?, base) {
        (Dir::Open(parent), "" | ".") => beneath::pin_fd(parent).map_err(at)?,
        (Dir::Open(parent), name) => beneath::pin(parent.as_fd(), name.as_ref())
            .map_err(at)?
            .ok_or_else(not_found)?,
        // `file/` or a missing directory: dockerd's lstat says which.
        (Dir::NotDirectory, _) => return Err(at(rustix::io::Errno::NOTDIR.into())),
        (Dir::Missing, _) => return Err(not_found()),
    };
    let link_target = match pinned.file_type() {
        FileType::Symlink => scoped::follow_in_scope(root, &abs).map_err(at)?,
        _ => String::new(),
    };
    let name = go_base(&abs);
    let stat = PathStat {
        name: name.clone(),
        size: pinned.stat.st_size,
        mode: go_mode(&pinned.stat),
        mtime: mtime(&pinned.stat),
        link_target,
    };
    Ok(Target {
        stat,
        pinned,
        member: name,
    })
}

/// The path made absolute, keeping a trailing `/` or `/.` (moby's
/// `PreserveTrailingDotOrSeparator`).
fn absolute(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let clean = format!("/{}", parts.join("/"));
    let suffix = if path.ends_with("/.") || path == "." {
        "/."
    } else if path.ends_with('/') {
        "/"
    } else {
        ""
    };
    match clean.as_str() {
        "/" if suffix == "/." => "/.".to_string(),
        "/" => clean,
        _ => clean + suffix,
    }
}

/// Go's `filepath.Split`: everything up to the last `/`, and the rest.
fn split(abs: &str) -> (&str, &str) {
    let at = abs.rfind('/').map_or(0, |i| i + 1);
    (&abs[..at], &abs[at..])
}

/// Go's `filepath.Base`: the last element, trailing slashes ignored; `/` for the root.
fn go_base(abs: &str) -> String {
    let trimmed = abs.trim_end_matches('/');
    match trimmed.rfind('/') {
        _ if trimmed.is_empty() => "/".to_string(),
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// Go's `os.FileMode` of a stat: permission bits, then the type and special bits Go keeps
/// above them.
fn go_mode(stat: &Stat) -> u32 {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    const DEVICE: u32 = 1 << 26;
    const NAMED_PIPE: u32 = 1 << 25;
    const SOCKET: u32 = 1 << 24;
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const CHAR_DEVICE: u32 = 1 << 21;
    const STICKY: u32 = 1 << 20;
    let raw = stat.st_mode;
    let mut mode = raw & 0o777;
    mode |= match FileType::from_raw_mode(raw) {
        FileType::Directory => DIR,
        FileType::Symlink => SYMLINK,
        FileType::BlockDevice => DEVICE,
        FileType::CharacterDevice => DEVICE | CHAR_DEVICE,
        FileType::Fifo => NAMED_PIPE,
        FileType::Socket => SOCKET,
        _ => 0,
    };
    for (bit, go) in [(0o4000, SETUID), (0o2000, SETGID), (0o1000, STICKY)] {
        if raw & bit != 0 {
            mode |= go;
        }
    }
    mode
}

fn mtime(stat: &Stat) -> Timestamp {
    let nanos = i128::from(stat.st_mtime) * 1_000_000_000 + i128::from(stat.st_mtime_nsec);
    Timestamp::from_unix_nanos(nanos)
}

/// The device of a running container's root: its `/proc` and `/sys` are other filesystems,
/// visited but not descended into, as dockerd's archive of the root filesystem has them.
fn view_device(view: &View) -> Result<u64, LifecycleError> {
    rustix::fs::fstat(view.root())
        .map(|s| s.st_dev)
        .map_err(|e| LifecycleError::io("stat", "/", e.into()))
}

/// Tars `pinned` (and everything below it) under `name` into `out`.
fn tar_tree(
    out: BufWriter<File>,
    pinned: beneath::Pinned,
    name: PathBuf,
    device: Option<u64>,
) -> io::Result<()> {
    let mut builder = tar::Builder::new(out);
    let mut links = tar_members::Links::new();
    tree::walk_from(pinned, name, device, &mut |rel, entry| {
        tar_members::append(&mut builder, rel, entry, &mut links)
    })?;
    builder.into_inner()?.flush()
}

/// Runs `write` on a thread that owns `view`, into a pipe; answers the pipe's read end. A
/// reader that goes away ends the writer with a broken pipe; any failure ends the tar early,
/// and the reader sees a truncated archive, as with dockerd once its headers are sent.
fn spawn_tar(
    view: View,
    write: impl FnOnce(BufWriter<File>) -> io::Result<()> + Send + 'static,
) -> Result<File, LifecycleError> {
    let (read, written) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| LifecycleError::io("pipe", "", e.into()))?;
    std::thread::spawn(move || {
        let _view = view;
        let out = BufWriter::with_capacity(64 * 1024, File::from(written));
        let _ = write(out);
    });
    Ok(File::from(read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_a_trailing_slash_or_dot_as_moby_does() {
        assert_eq!(absolute("etc"), "/etc");
        assert_eq!(absolute("/etc/"), "/etc/");
        assert_eq!(absolute("/etc/."), "/etc/.");
        assert_eq!(absolute("../../etc"), "/etc");
        assert_eq!(absolute("/"), "/");
        assert_eq!(absolute("/."), "/.");
        assert_eq!(split("/etc/hosts"), ("/etc/", "hosts"));
        assert_eq!(split("/etc/"), ("/etc/", ""));
        assert_eq!(go_base("/etc/"), "etc");
        assert_eq!(go_base("/"), "/");
        assert_eq!(go_base("/etc/."), ".");
    }
}
