//! One archive member turned into one inode: regular file, directory, symlink, hard link,
//! device node or fifo. It owns the per-type rules (Docker's `createTarFile`), including the
//! two link checks Docker makes before the kernel would even be asked: a relative symlink
//! target must not climb out of the layer, and a hard link target must be a member path
//! inside it. It never resolves a path except through `secure`.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use tar::EntryType;

use super::extract::{fs_error, Extract};
use super::meta::Meta;
use super::secure::{self, RelPath};
use super::{stream, whiteout, UnpackError};

/// Applies one member. Members naming the root (`./`) are skipped, as Docker does.
pub fn apply<R: Read>(
    x: &mut Extract<'_>,
    entry: &mut tar::Entry<'_, R>,
) -> Result<(), UnpackError> {
    let raw = entry.path_bytes().into_owned();
    let member = RelPath::clean(&raw).map_err(|p| escape(&raw, p.describe()))?;
    if member.is_root() {
        return Ok(());
    }
    let path = x.base.then(&member);
    let Some((parent, name)) = path.split_last() else {
        return Ok(());
    };
    let name = name.to_owned();
    if let Some(kind) = whiteout::classify(&name).filter(|_| x.rules.whiteouts) {
        return whiteout::apply(x, &raw, &parent, kind, entry.header());
    }
    let mut meta = Meta::of(entry).map_err(stream)?;
    if let Some((uid, gid)) = x.rules.owner {
        (meta.uid, meta.gid) = (uid, gid);
    }
    let dir = x.parent(&parent, &raw)?;
    let on_disk = fs_error(&raw);
    match entry.header().entry_type() {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
            regular(x, &dir, &name, &path, &meta, entry, &raw)
        }
        EntryType::Directory => directory(x, &dir, &name, path.clone(), meta).map_err(on_disk),
        EntryType::Symlink => symlink(x, &dir, &name, &path, &meta, entry, &raw),
        EntryType::Link => hard_link(x, &dir, &name, &path, entry, &raw),
        EntryType::Char | EntryType::Block | EntryType::Fifo => {
            device(x, &dir, &name, &path, &meta, entry).map_err(on_disk)
        }
        EntryType::XGlobalHeader => Ok(()),
        other => Err(UnpackError::Invalid {
            path: lossy(&raw),
            reason: format!("unsupported tar entry type {:?}", other.as_byte() as char),
        }),
    }
}

fn regular<R: Read>(
    x: &mut Extract<'_>,
    dir: &OwnedFd,
    name: &OsStr,
    path: &RelPath,
    meta: &Meta,
    entry: &mut tar::Entry<'_, R>,
    raw: &[u8],
) -> Result<(), UnpackError> {
    let on_disk = fs_error(raw);
    // A file the archive says is bigger than what may still be written is refused before
    // any of it is (sparse files count with their full size: their holes are written out).
    x.space.expect(entry.size())?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL;
    let fd = x
        .create(dir, name, path, || {
            secure::open_in(dir.as_fd(), name, flags, 0o600)
        })
        .map_err(&on_disk)?;
    let mut file = File::from(fd);
    let mut written = 0u64;
    loop {
        let n = match entry.read(&mut x.buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(stream(e)),
        };
        x.space.charge(n as u64)?;
        file.write_all(&x.buf[..n]).map_err(&on_disk)?;
        written += n as u64;
    }
    meta.apply_file(file.as_fd(), x.as_root).map_err(&on_disk)?;
    x.record_size(path, written);
    Ok(())
}

fn directory(
    x: &mut Extract<'_>,
    dir: &OwnedFd,
    name: &OsStr,
    path: RelPath,
    meta: Meta,
) -> io::Result<()> {
    // Owner-only until the end of the layer, when the real mode is set.
    match secure::mkdir(dir, name, 0o700) {
        Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
            if !x.clear(dir, name, &path, true)? {
                secure::mkdir(dir, name, 0o700)?;
            }
        }
        other => other?,
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    let fd = secure::open_in(dir.as_fd(), name, flags, 0)?;
    meta.apply_dir_now(fd.as_fd(), x.as_root)?;
    x.defer_dir(path, meta);
    Ok(())
}

fn symlink<R: Read>(
    x: &mut Extract<'_>,
    dir: &OwnedFd,
    name: &OsStr,
    path: &RelPath,
    meta: &Meta,
    entry: &tar::Entry<'_, R>,
    raw: &[u8],
) -> Result<(), UnpackError> {
    let target = link_name(entry, raw)?;
    // Any target is kept as it is, as dockerd keeps it: a link is only ever resolved inside a
    // container's root, where `..` stops at `/`, or by this unpack, which resolves beneath the
    // layer and refuses an entry whose path leaves it. (moby's `breakoutError` check for links
    // runs inside a chroot of the layer, where a target that climbs out is cleaned back to its
    // root, so dockerd loads `etc/passwd -> ../../../../etc/shadow`.)
    //
    // An archive extracted into a directory (`docker cp`) is held to that directory, as
    // moby's `createTarFile` holds it: a relative target must not climb above it.
    if !x.base.is_root() && !target.starts_with(b"/") {
        let inside = path
            .split_last()
            .and_then(|(parent, _)| parent.join(&target).ok())
            .is_some_and(|resolved| resolved.starts_with(&x.base));
        if !inside {
            return Err(UnpackError::Breakout {
                message: format!(
                    "invalid symlink {:?} -> {:?}",
                    format!("/{}", path.to_os_string().to_string_lossy()),
                    String::from_utf8_lossy(&target)
                ),
            });
        }
    }
    let on_disk = fs_error(raw);
    let target = OsStr::from_bytes(&target);
    x.create(dir, name, path, || Ok(rfs::symlinkat(target, dir, name)?))
        .map_err(&on_disk)?;
    meta.apply_at(dir.as_fd(), name, x.as_root, false)
        .map_err(&on_disk)?;
    x.record_size(path, target.len() as u64);
    Ok(())
}

fn hard_link<R: Read>(
    x: &mut Extract<'_>,
    dir: &OwnedFd,
    name: &OsStr,
    path: &RelPath,
    entry: &tar::Entry<'_, R>,
    raw: &[u8],
) -> Result<(), UnpackError> {
    let target_raw = link_name(entry, raw)?;
    let target = RelPath::clean(&target_raw)
        .map_err(|p| escape(raw, &format!("hard link target: {}", p.describe())))?;
    let target = x.base.then(&target);
    let Some((target_dir, target_name)) = target.split_last() else {
        return Err(invalid(raw, "hard link to the layer root"));
    };
    if &target == path {
        return Err(invalid(raw, "hard link to itself"));
    }
    let on_disk = fs_error(raw);
    let target_fd = x.root.open_dir(&target_dir).map_err(&on_disk)?;
    match secure::kind_of(target_fd.as_fd(), target_name).map_err(&on_disk)? {
        None => return Err(invalid(raw, "hard link target does not exist")),
        Some(FileType::Directory) => return Err(invalid(raw, "hard link to a directory")),
        Some(_) => {}
    }
    x.clear(dir, name, path, false).map_err(&on_disk)?;
    // Flags 0: a target that is a symlink is linked itself, never followed.
    rfs::linkat(&target_fd, target_name, dir, name, AtFlags::empty()).map_err(|e| on_disk(e.into()))
}

fn device<R: Read>(
    x: &mut Extract<'_>,
    dir: &OwnedFd,
    name: &OsStr,
    path: &RelPath,
    meta: &Meta,
    entry: &tar::Entry<'_, R>,
) -> io::Result<()> {
    let header = entry.header();
    let kind = match header.entry_type() {
        EntryType::Char => FileType::CharacterDevice,
        EntryType::Block => FileType::BlockDevice,
        _ => FileType::Fifo,
    };
    if kind != FileType::Fifo && !x.as_root {
        // Only root may create device nodes; Docker skips them when it cannot (userns).
        return Ok(());
    }
    // Go's tar reads an all-NUL number field as 0 and some writers leave the device fields of
    // fifos blank that way; the tar crate calls that an error, so it counts as 0 here too.
    let major = header.device_major().ok().flatten().unwrap_or(0);
    let minor = header.device_minor().ok().flatten().unwrap_or(0);
    let dev = rfs::makedev(major, minor);
    let mode = Mode::from_raw_mode(meta.mode);
    x.create(dir, name, path, || {
        Ok(rfs::mknodat(dir, name, kind, mode, dev)?)
    })?;
    meta.apply_at(dir.as_fd(), name, x.as_root, true)?;
    x.record_size(path, 0);
    Ok(())
}

fn link_name<R: Read>(entry: &tar::Entry<'_, R>, raw: &[u8]) -> Result<Vec<u8>, UnpackError> {
    match entry.link_name_bytes() {
        Some(target) if !target.is_empty() => Ok(target.into_owned()),
        _ => Err(invalid(raw, "link without a target")),
    }
}

pub fn escape(raw: &[u8], reason: &str) -> UnpackError {
    UnpackError::Escape {
        path: lossy(raw),
        reason: reason.to_owned(),
    }
}

pub fn invalid(raw: &[u8], reason: &str) -> UnpackError {
    UnpackError::Invalid {
        path: lossy(raw),
        reason: reason.to_owned(),
    }
}

fn lossy(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}
