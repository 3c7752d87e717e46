//! Paths inside a container's root, resolved as moby resolves them for `docker cp`
//! (`FollowSymlinkInScope`): every symlink followed with the root as `/`, `..` never above
//! it, and a missing tail kept as written. Each component is looked at below the root's
//! descriptor without following anything ([`crate::beneath::pin`]), so the walk itself can
//! never leave the tree; the path it answers is opened later with `RESOLVE_IN_ROOT`, which
//! confines whatever changed meanwhile.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{FileType, OFlags, ResolveFlags};

use crate::beneath;

/// Go's `maxSymlinkLimit`.
const MAX_LINKS: usize = 255;

/// The absolute path `path` stands for inside `root`, every symlink resolved.
pub(crate) fn follow_in_scope(root: BorrowedFd<'_>, path: &str) -> io::Result<String> {
    let mut resolved: Vec<String> = Vec::new();
    let mut rest = path.to_string();
    let mut links = 0;
    while !rest.is_empty() {
        let (part, tail) = match rest.split_once('/') {
            Some((part, tail)) => (part.to_string(), tail.to_string()),
            None => (rest.clone(), String::new()),
        };
        rest = tail;
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let parent = open_dir(root, &resolved.join("/"))?;
        let Some(parent) = parent else {
            // A missing directory: the rest is kept as written, as Go does.
            resolved.push(part);
            continue;
        };
        match beneath::pin(parent.as_fd(), OsStr::new(&part))? {
            Some(pinned) if pinned.file_type() == FileType::Symlink => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::other(format!("too many links in {path}")));
                }
                let target = pinned.read_link()?;
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                if target.starts_with('/') {
                    resolved.clear();
                }
                rest = format!("{target}/{rest}");
            }
            _ => resolved.push(part),
        }
    }
    Ok(format!("/{}", resolved.join("/")))
}

/// Opens directory `rel` (already resolved, relative to the root) for looking up names in it;
/// `None` when it is missing or not a directory.
pub(crate) fn open_dir(root: BorrowedFd<'_>, rel: &str) -> io::Result<Option<OwnedFd>> {
    let rel = rel.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    match beneath::openat2_retrying(root, rel, flags, resolve) {
        Ok(fd) => Ok(Some(fd)),
        Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a resolved path names, for a caller that wants a directory there.
pub(crate) enum Dir {
    Open(OwnedFd),
    /// Nothing is there (or a component on the way is missing).
    Missing,
    /// Something is there, but not a directory (`file/`, an extraction point that is a file).
    NotDirectory,
}

/// The directory `rel` (resolved, relative to the root), or why there is none.
pub(crate) fn dir(root: BorrowedFd<'_>, rel: &str) -> io::Result<Dir> {
    if let Some(fd) = open_dir(root, rel)? {
        return Ok(Dir::Open(fd));
    }
    let rel = rel.trim_start_matches('/');
    Ok(match beneath::stat_in_root(root, rel.as_ref())? {
        Some(_) => Dir::NotDirectory,
        None => Dir::Missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_resolve_inside_the_root_and_missing_tails_stay() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("a/b")).unwrap();
        symlink("/a", r.join("abs")).unwrap();
        symlink("../../../..", r.join("a/up")).unwrap();
        symlink("b", r.join("a/rel")).unwrap();
        symlink("loop", r.join("loop")).unwrap();
        let root = beneath::open_root(r).unwrap();
        let follow = |p: &str| follow_in_scope(root.as_fd(), p).unwrap();
        assert_eq!(follow("/abs/b"), "/a/b");
        assert_eq!(follow("/a/rel/x/y"), "/a/b/x/y");
        assert_eq!(follow("/a/up/etc/passwd"), "/etc/passwd");
        assert_eq!(follow("/../../a/./b/"), "/a/b");
        assert_eq!(follow("/"), "/");
        assert!(follow_in_scope(root.as_fd(), "/loop").is_err());
    }
}
