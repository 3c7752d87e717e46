//! A pinned tree entry ([`crate::tree`]) as one tar member, the way moby's archiver writes it:
//! directories with a trailing `/`, regular files with exactly the size they were pinned with,
//! a second name of a hard-linked file as a link to the first, devices and FIFOs by their
//! numbers, sockets skipped. Shared by `commit`'s layer tar (which adds the whiteout members
//! of the layer format itself) and the container archives of `docker cp` and `export`.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::Stat;

use crate::tree::{Entry, Kind};

/// The first name written of each hard-linked inode, by `(device, inode)`.
pub(crate) type Links = HashMap<(u64, u64), PathBuf>;

/// Appends `entry` under the name `rel`. A 0/0 character device is written as the device it
/// is: only a layer's walk gives it the whiteout meaning.
pub(crate) fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    rel: &Path,
    entry: &Entry,
    links: &mut Links,
) -> io::Result<()> {
    let stat = entry.stat();
    let name = rel.as_os_str().as_bytes();
    match entry.kind() {
        Kind::Dir => {
            let mut header = header(stat, tar::EntryType::Directory);
            member(builder, &mut header, &dir_name(name), io::empty())
        }
        Kind::Symlink => {
            let target = entry.read_link()?;
            link(
                builder,
                header(stat, tar::EntryType::Symlink),
                name,
                &target,
            )
        }
        Kind::File => {
            let key = (stat.st_dev, stat.st_ino);
            if stat.st_nlink > 1 {
                if let Some(first) = links.get(&key) {
                    let header = header(stat, tar::EntryType::Link);
                    return link(builder, header, name, first.as_os_str());
                }
                links.insert(key, rel.to_path_buf());
            }
            let size = u64::try_from(stat.st_size).unwrap_or(0);
            let mut header = header(stat, tar::EntryType::Regular);
            header.set_size(size);
            let content = Exact::new(entry.open_file()?, size);
            member(builder, &mut header, name, content)
        }
        Kind::Special | Kind::Whiteout => special(builder, name, stat),
    }
}

/// Appends a member named exactly `name` (`./x` and `/x` as moby writes them for `docker cp`
/// of `dir/.` and `/`; the tar crate's own naming would drop the `./` and refuse the `/`).
/// A name too long for the header goes through the crate's GNU long-name extension.
fn member<W: Write, R: Read>(
    builder: &mut tar::Builder<W>,
    header: &mut tar::Header,
    name: &[u8],
    data: R,
) -> io::Result<()> {
    let field = &mut header.as_old_mut().name;
    if name.len() <= field.len() {
        field.fill(0);
        field[..name.len()].copy_from_slice(name);
        header.set_cksum();
        return builder.append(header, data);
    }
    builder.append_data(header, relative(name), data)
}

/// A symlink or hard link member named `name`, pointing at `target`.
fn link<W: Write>(
    builder: &mut tar::Builder<W>,
    mut header: tar::Header,
    name: &[u8],
    target: &OsStr,
) -> io::Result<()> {
    let short = name.len() <= header.as_old().name.len()
        && target.as_bytes().len() <= header.as_old().linkname.len();
    if short {
        header.set_link_name(target)?;
        return member(builder, &mut header, name, io::empty());
    }
    builder.append_link(&mut header, relative(name), target)
}

/// The name without its leading `/`, for the tar crate's path-checked appends.
fn relative(name: &[u8]) -> &Path {
    let start = name.iter().take_while(|b| **b == b'/').count();
    Path::new(OsStr::from_bytes(&name[start..]))
}

/// Devices and FIFOs: the header says all there is. Sockets cannot be archived and are
/// skipped, as moby's archiver skips them.
fn special<W: Write>(builder: &mut tar::Builder<W>, name: &[u8], stat: &Stat) -> io::Result<()> {
    use rustix::fs::FileType;
    let kind = match FileType::from_raw_mode(stat.st_mode) {
        FileType::CharacterDevice => tar::EntryType::Char,
        FileType::BlockDevice => tar::EntryType::Block,
        FileType::Fifo => tar::EntryType::Fifo,
        _ => return Ok(()),
    };
    let mut header = header(stat, kind);
    let rdev = stat.st_rdev;
    header.set_device_major(rustix::fs::major(rdev))?;
    header.set_device_minor(rustix::fs::minor(rdev))?;
    member(builder, &mut header, name, io::empty())
}

/// A header with the entry's owner, permission bits (with set-id and sticky bits, as Go's
/// archive/tar writes them) and mtime; size 0 until the caller says otherwise.
pub(crate) fn header(stat: &Stat, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(stat.st_mode & 0o7777);
    h.set_uid(stat.st_uid.into());
    h.set_gid(stat.st_gid.into());
    h.set_mtime(u64::try_from(stat.st_mtime).unwrap_or(0));
    h.set_size(0);
    h
}

/// `name/`: how a directory member is named (`/` stays `/`).
fn dir_name(name: &[u8]) -> Vec<u8> {
    let mut named = name.to_vec();
    if !named.ends_with(b"/") {
        named.push(b'/');
    }
    named
}

/// Exactly `size` bytes of a file that a running container may still be writing: cut when it
/// grew since its size was taken, padded with zeros when it shrank, so the tar stays whole.
struct Exact<R> {
    inner: io::Take<R>,
    left: u64,
}

impl<R: Read> Exact<R> {
    fn new(inner: R, size: u64) -> Exact<R> {
        Exact {
            inner: inner.take(size),
            left: size,
        }
    }
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let n = match self.inner.read(buf)? {
            0 => {
                let n = buf
                    .len()
                    .min(usize::try_from(self.left).unwrap_or(usize::MAX));
                buf[..n].fill(0);
                n
            }
            n => n,
        };
        self.left -= n as u64;
        Ok(n)
    }
}
