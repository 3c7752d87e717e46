//! Where `load` reads an archive's members from: a directory, or a tar file indexed once so
//! that members are read in place by offset (no copy to a temporary directory, and several
//! layers can be read at once). Member names are cleaned and may not leave the archive: an
//! absolute name or one with `..` above the top is refused. It owns member lookup only; it
//! never interprets a member.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::LoadError;

/// Members bigger than this are never read whole (configs and manifests are kilobytes).
const SMALL_LIMIT: u64 = 64 * 1024 * 1024;
/// Symlinks between members (old `docker save` links duplicate layers) are followed this far.
const MAX_LINKS: usize = 8;

/// An archive's members.
pub trait Source: Sync {
    /// A reader of member `name`.
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, LoadError>;

    fn exists(&self, name: &str) -> bool;

    /// A whole small member (a manifest, a config, `index.json`).
    fn read(&self, name: &str) -> Result<Vec<u8>, LoadError> {
        let mut bytes = Vec::new();
        self.open(name)?
            .take(SMALL_LIMIT)
            .read_to_end(&mut bytes)
            .map_err(|source| LoadError::Read {
                member: name.to_owned(),
                source,
            })?;
        Ok(bytes)
    }
}

/// `a/./b//c` → `a/b/c`; absolute names and `..` past the top are refused.
pub fn clean(name: &str) -> Result<String, LoadError> {
    let mut parts: Vec<&str> = Vec::new();
    if name.starts_with('/') {
        return Err(outside(name));
    }
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or_else(|| outside(name))?;
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

fn outside(name: &str) -> LoadError {
    LoadError::Format {
        reason: format!("member {name:?} points outside the archive"),
    }
}

/// An unpacked archive or an OCI layout directory.
#[derive(Debug)]
pub struct DirSource {
    dir: PathBuf,
}

impl DirSource {
    pub fn new(dir: &Path) -> DirSource {
        DirSource {
            dir: dir.to_owned(),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, LoadError> {
        Ok(self.dir.join(clean(name)?))
    }
}

impl Source for DirSource {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, LoadError> {
        let path = self.path(name)?;
        let file = File::open(&path).map_err(|source| LoadError::Read {
            member: name.to_owned(),
            source,
        })?;
        Ok(Box::new(file))
    }

    fn exists(&self, name: &str) -> bool {
        self.path(name).is_ok_and(|p| p.is_file())
    }
}

#[derive(Debug, Clone)]
enum Member {
    Data { offset: u64, size: u64 },
    Link(String),
}

/// An uncompressed tar file, indexed by member name.
#[derive(Debug)]
pub struct TarSource {
    file: File,
    members: HashMap<String, Member>,
}

impl TarSource {
    /// Indexes every member of `file` (one pass over the headers, seeking over the data).
    pub fn index(file: File) -> io::Result<TarSource> {
        let mut members = HashMap::new();
        let mut archive = crate::tar_guard::archive(&file);
        for entry in archive.entries_with_seek()? {
            let entry = entry?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Ok(name) = clean(&raw) else { continue };
            let member = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::Data {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                tar::EntryType::Symlink => {
                    let target = link_target(&entry);
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    Member::Link(format!("{dir}/{target}"))
                }
                tar::EntryType::Link => Member::Link(link_target(&entry)),
                _ => continue,
            };
            members.insert(name, member);
        }
        Ok(TarSource { file, members })
    }

    fn find(&self, name: &str) -> Result<(u64, u64), LoadError> {
        let mut current = clean(name)?;
        for _ in 0..MAX_LINKS {
            match self.members.get(&current) {
                Some(Member::Data { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link(target)) => current = clean(target)?,
                None => break,
            }
        }
        Err(LoadError::Missing {
            member: name.to_owned(),
        })
    }
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

impl Source for TarSource {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, LoadError> {
        let (offset, size) = self.find(name)?;
        Ok(Box::new(ReadAt {
            file: &self.file,
            pos: offset,
            end: offset + size,
        }))
    }

    fn exists(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }
}

/// A window of a file read by position, so several readers share one descriptor.
struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end - self.pos).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_refuses_escapes() {
        assert_eq!(clean("./a//b").unwrap(), "a/b");
        assert_eq!(clean("a/../b").unwrap(), "b");
        assert!(clean("../x").is_err());
        assert!(clean("/etc/passwd").is_err());
    }

    #[test]
    fn tar_members_are_read_in_place_and_links_followed() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "a/layer.tar", &b"hello"[..])
            .unwrap();
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        builder
            .append_link(&mut link, "b/layer.tar", "../a/layer.tar")
            .unwrap();
        let bytes = builder.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        std::fs::write(&path, bytes).unwrap();
        let source = TarSource::index(File::open(&path).unwrap()).unwrap();
        assert_eq!(source.read("a/layer.tar").unwrap(), b"hello");
        assert_eq!(source.read("b/layer.tar").unwrap(), b"hello");
        assert!(!source.exists("c"));
    }
}
