//! The metadata an archive member carries (mode, owner, mtime, extended attributes) and how it
//! is put on a freshly created inode. It owns the order of those calls, which matters: `chown`
//! clears set-id bits and file capabilities, so ownership comes first, then the mode, then
//! xattrs (a `security.capability` survives), then times. It never creates or removes entries.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::OsStringExt;

use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self as rfs, AtFlags, Gid, Mode, Timespec, Timestamps, Uid, XattrFlags};
use rustix::io::Errno;

/// PAX records naming extended attributes, as GNU tar, Go and Docker write them.
const XATTR_PREFIX: &str = "SCHILY.xattr.";
/// Overlayfs keeps its own bookkeeping (whiteouts, opaque dirs, redirects) in these. A layer may
/// only express whiteouts through `.wh.` names; accepting these from an archive would let it
/// forge overlay metadata (a `redirect` can point a directory at another path).
const OVERLAY_XATTRS: &str = "trusted.overlay.";

/// What an archive member says about its inode.
#[derive(Debug, Clone)]
pub struct Meta {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: Timespec,
    pub xattrs: Vec<(OsString, Vec<u8>)>,
}

impl Meta {
    /// Reads mode, owner, mtime (with the PAX fraction when present) and xattrs of a member.
    pub fn of<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Meta> {
        let header = entry.header();
        let raw = header.as_old();
        let mode = number(&raw.mode, header.mode().map(u64::from))? as u32 & 0o7777;
        let (uid, gid) = owner(header)?;
        let mut mtime = Timespec {
            tv_sec: i64::try_from(number(&raw.mtime, header.mtime())?).unwrap_or(i64::MAX),
            tv_nsec: 0,
        };
        let mut xattrs = Vec::new();
        if let Some(pax) = entry.pax_extensions()? {
            for ext in pax {
                let ext = ext?;
                let Ok(key) = ext.key() else { continue };
                if key == "mtime" {
                    mtime = parse_pax_time(ext.value_bytes()).unwrap_or(mtime);
                } else if let Some(name) = key.strip_prefix(XATTR_PREFIX) {
                    if !name.starts_with(OVERLAY_XATTRS) {
                        let name = OsString::from_vec(name.as_bytes().to_vec());
                        xattrs.push((name, ext.value_bytes().to_vec()));
                    }
                }
            }
        }
        Ok(Meta {
            mode,
            uid,
            gid,
            mtime,
            xattrs,
        })
    }

    fn times(&self) -> Timestamps {
        Timestamps {
            last_access: self.mtime,
            last_modification: self.mtime,
        }
    }

    /// Owner (only as root), mode, xattrs and times on an open regular file.
    pub fn apply_file(&self, fd: BorrowedFd<'_>, as_root: bool) -> io::Result<()> {
        self.apply_owner_and_xattrs(fd, as_root, true)?;
        Ok(rfs::futimens(fd, &self.times())?)
    }

    /// Owner and xattrs on an open directory; mode and times wait until the end of the layer,
    /// so that creating its children neither fails (read-only dir) nor moves its mtime.
    pub fn apply_dir_now(&self, fd: BorrowedFd<'_>, as_root: bool) -> io::Result<()> {
        self.apply_owner_and_xattrs(fd, as_root, false)
    }

    /// The deferred half of a directory's metadata.
    pub fn apply_dir_later(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        rfs::fchmod(fd, Mode::from_raw_mode(self.mode))?;
        Ok(rfs::futimens(fd, &self.times())?)
    }

    /// Owner, mode (unless a symlink) and times of `name` in `dir`, not following symlinks.
    pub fn apply_at(
        &self,
        dir: BorrowedFd<'_>,
        name: &std::ffi::OsStr,
        as_root: bool,
        chmod: bool,
    ) -> io::Result<()> {
        if as_root {
            rfs::chownat(
                dir,
                name,
                Some(self.uid()),
                Some(self.gid()),
                AtFlags::SYMLINK_NOFOLLOW,
            )?;
        }
        if chmod {
            // fchmodat cannot refuse to follow symlinks on Linux; callers pass `chmod` only
            // for inodes they just created that are not symlinks.
            rfs::chmodat(dir, name, Mode::from_raw_mode(self.mode), AtFlags::empty())?;
        }
        Ok(rfs::utimensat(
            dir,
            name,
            &self.times(),
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    fn apply_owner_and_xattrs(
        &self,
        fd: BorrowedFd<'_>,
        as_root: bool,
        chmod: bool,
    ) -> io::Result<()> {
        if as_root {
            rfs::fchown(fd, Some(self.uid()), Some(self.gid()))?;
        }
        if chmod {
            rfs::fchmod(fd, Mode::from_raw_mode(self.mode))?;
        }
        for (name, value) in &self.xattrs {
            set_xattr(fd.as_fd(), name, value)?;
        }
        Ok(())
    }

    fn uid(&self) -> Uid {
        Uid::from_raw(self.uid)
    }

    fn gid(&self) -> Gid {
        Gid::from_raw(self.gid)
    }
}

/// Sets one xattr. Like Docker, a filesystem without xattr support or a namespace the process
/// may not write (`trusted.*` when not root) is skipped rather than failing the pull.
fn set_xattr(fd: BorrowedFd<'_>, name: &OsString, value: &[u8]) -> io::Result<()> {
    match rfs::fsetxattr(fd, name.as_os_str(), value, XattrFlags::empty()) {
        Err(Errno::OPNOTSUPP) | Err(Errno::PERM) => Ok(()),
        other => Ok(other?),
    }
}

/// A member's owner. (The tar crate has already applied PAX `uid`/`gid` records.)
pub fn owner(header: &tar::Header) -> io::Result<(u32, u32)> {
    let raw = header.as_old();
    let uid = narrow(number(&raw.uid, header.uid())?, "uid")?;
    let gid = narrow(number(&raw.gid, header.gid())?, "gid")?;
    Ok((uid, gid))
}

/// Go's tar reads a numeric field of only NULs and spaces as 0, and some writers leave fields
/// blank that way; the tar crate calls that an error, so blank counts as 0 here too.
fn number(raw: &[u8], parsed: io::Result<u64>) -> io::Result<u64> {
    if raw.iter().all(|&b| b == 0 || b == b' ') {
        return Ok(0);
    }
    parsed
}

fn narrow(id: u64, what: &str) -> io::Result<u32> {
    u32::try_from(id).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} {id} is out of range"),
        )
    })
}

/// A PAX time: decimal seconds with an optional fraction (`1700000000.123456789`).
fn parse_pax_time(bytes: &[u8]) -> Option<Timespec> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let tv_sec: i64 = secs.parse().ok()?;
    let digits: String = frac.chars().take(9).collect();
    let tv_nsec = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    Some(Timespec { tv_sec, tv_nsec })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_times_keep_their_fraction() {
        let t = parse_pax_time(b"1700000000.5").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (1_700_000_000, 500_000_000));
        let t = parse_pax_time(b"12").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (12, 0));
        assert!(parse_pax_time(b"x").is_none());
    }
}
