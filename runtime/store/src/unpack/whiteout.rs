//! OCI whiteouts turned into the form overlayfs reads, as Docker's overlay2 driver does:
//! `dir/.wh.name` becomes a 0/0 character device `dir/name` owned like the member, and
//! `dir/.wh..wh..opq` becomes the `trusted.overlay.opaque=y` xattr on `dir`. Both need root
//! (mknod of a device, the `trusted.` namespace); without it the layer is refused rather than
//! unpacked with deleted files silently coming back. Other `.wh..wh.` names are AUFS
//! bookkeeping and are skipped, as Docker skips them. It never touches anything but the named
//! entry and its directory.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use rustix::fd::AsFd;
use rustix::fs::{self as rfs, FileType, Gid, Mode, Uid, XattrFlags};

use super::entry::{escape, invalid};
use super::extract::{fs_error, Extract};
use super::meta::owner;
use super::secure::RelPath;
use super::UnpackError;

const PREFIX: &[u8] = b".wh.";
const META_PREFIX: &[u8] = b".wh..wh.";
const OPAQUE: &[u8] = b".wh..wh..opq";

/// What a `.wh.` member means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whiteout<'a> {
    /// Hide the whole lower content of the directory.
    Opaque,
    /// Hide one name of the lower layers.
    Remove(&'a OsStr),
    /// AUFS metadata with no meaning for overlayfs.
    AufsMeta,
}

/// Recognises a whiteout by its member's last path component.
pub fn classify(name: &OsStr) -> Option<Whiteout<'_>> {
    let bytes = name.as_bytes();
    if bytes == OPAQUE {
        Some(Whiteout::Opaque)
    } else if bytes.starts_with(META_PREFIX) {
        Some(Whiteout::AufsMeta)
    } else {
        bytes
            .strip_prefix(PREFIX)
            .map(|rest| Whiteout::Remove(OsStr::from_bytes(rest)))
    }
}

/// Applies a whiteout member found in directory `parent`.
pub fn apply(
    x: &mut Extract<'_>,
    raw: &[u8],
    parent: &RelPath,
    kind: Whiteout<'_>,
    header: &tar::Header,
) -> Result<(), UnpackError> {
    match kind {
        Whiteout::AufsMeta => Ok(()),
        Whiteout::Opaque => opaque(x, raw, parent),
        Whiteout::Remove(name) => remove(x, raw, parent, name, header),
    }
}

fn opaque(x: &mut Extract<'_>, raw: &[u8], parent: &RelPath) -> Result<(), UnpackError> {
    require_root(x, raw, "an opaque directory (trusted.overlay.opaque)")?;
    let dir = x.parent(parent, raw)?;
    rfs::fsetxattr(
        dir.as_fd(),
        "trusted.overlay.opaque",
        b"y",
        XattrFlags::empty(),
    )
    .map_err(|e| fs_error(raw)(e.into()))
}

fn remove(
    x: &mut Extract<'_>,
    raw: &[u8],
    parent: &RelPath,
    name: &OsStr,
    header: &tar::Header,
) -> Result<(), UnpackError> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(escape(raw, "whiteout names no entry of its directory"));
    }
    require_root(x, raw, "a whiteout (0/0 character device)")?;
    let (uid, gid) = owner(header).map_err(|e| invalid(raw, &e.to_string()))?;
    let dir = x.parent(parent, raw)?;
    let on_disk = fs_error(raw);
    let path = parent.join(name.as_bytes()).expect("a plain name");
    let dev = rfs::makedev(0, 0);
    let whiteout = || {
        Ok(rfs::mknodat(
            &*dir,
            name,
            FileType::CharacterDevice,
            Mode::empty(),
            dev,
        )?)
    };
    x.create(&dir, name, &path, whiteout).map_err(&on_disk)?;
    rfs::chownat(
        dir.as_fd(),
        name,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        rfs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(|e| on_disk(e.into()))?;
    x.record_size(&path, 0);
    Ok(())
}

fn require_root(x: &Extract<'_>, raw: &[u8], what: &'static str) -> Result<(), UnpackError> {
    if x.as_root {
        return Ok(());
    }
    Err(UnpackError::NeedsRoot {
        path: String::from_utf8_lossy(raw).into_owned(),
        what,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_tells_opaque_remove_and_aufs_apart() {
        assert_eq!(classify(OsStr::new(".wh..wh..opq")), Some(Whiteout::Opaque));
        assert_eq!(
            classify(OsStr::new(".wh..wh.plnk")),
            Some(Whiteout::AufsMeta)
        );
        assert_eq!(
            classify(OsStr::new(".wh.passwd")),
            Some(Whiteout::Remove(OsStr::new("passwd")))
        );
        assert_eq!(classify(OsStr::new("passwd")), None);
        assert_eq!(classify(OsStr::new(".whx")), None);
    }
}
