//! `commit`'s layer: the container's overlay upper directory as an uncompressed tar in OCI
//! form. overlayfs records a deletion as a 0/0 character device and a replaced directory as
//! one with `trusted.overlay.opaque=y`; the OCI layer format says `.wh.<name>` and
//! `<dir>/.wh..wh..opq` instead. Entries are sorted so the same changes give the same bytes
//! (and the same diff ID). Building the image config from the layer is the image store's job.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;

const OPAQUE: &str = ".wh..wh..opq";
const WHITEOUT: &str = ".wh.";

/// What [`Containers::commit_layer`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedLayer {
    /// `sha256:<hex>` of the uncompressed tar (the layer's DiffID).
    pub diff_id: String,
    pub size: u64,
    /// False when the container changed nothing (dockerd then adds no layer).
    pub changed: bool,
}

impl<I: Images> Containers<I> {
    /// Writes the container's filesystem changes to `out` as an OCI layer tar.
    pub fn commit_layer(
        &self,
        reference: &str,
        out: &mut dyn Write,
    ) -> Result<CommittedLayer, LifecycleError> {
        let upper = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            reg.entries[&id].dir.upper()
        };
        write_layer(&upper, out).map_err(|e| LifecycleError::io("commit", upper, e))
    }
}

/// Tars `upper` into `out`, translating overlay whiteouts to OCI ones.
pub fn write_layer(upper: &Path, out: &mut dyn Write) -> io::Result<CommittedLayer> {
    let mut hashing = HashingWriter {
        inner: out,
        hash: Sha256::new(),
        size: 0,
    };
    let mut paths = Vec::new();
    walk(upper, Path::new(""), &mut paths)?;
    let changed = !paths.is_empty();
    let mut builder = tar::Builder::new(&mut hashing);
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    for rel in &paths {
        append(&mut builder, upper, rel, &mut links)?;
    }
    builder.into_inner()?;
    Ok(CommittedLayer {
        diff_id: format!("sha256:{:x}", hashing.hash.finalize()),
        size: hashing.size,
        changed,
    })
}

/// Every path under `dir`, a directory right before its contents, names sorted.
pub(crate) fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(root.join(rel))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort();
    for name in names {
        let child = rel.join(&name);
        out.push(child.clone());
        if fs::symlink_metadata(root.join(&child))?.is_dir() {
            walk(root, &child, out)?;
        }
    }
    Ok(())
}

fn append(
    builder: &mut tar::Builder<&mut HashingWriter<'_>>,
    root: &Path,
    rel: &Path,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> io::Result<()> {
    let full = root.join(rel);
    let meta = fs::symlink_metadata(&full)?;
    let ft = meta.file_type();
    if ft.is_char_device() && meta.rdev() == 0 {
        let name = rel.file_name().unwrap_or_default().to_string_lossy();
        let wh = rel.with_file_name(format!("{WHITEOUT}{name}"));
        return builder.append_data(&mut marker(&meta), wh, io::empty());
    }
    let mut header = tar::Header::new_ustar();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    if ft.is_dir() {
        header.set_size(0);
        builder.append_data(&mut header, dir_name(rel), io::empty())?;
        if is_opaque(&full) {
            builder.append_data(&mut marker(&meta), rel.join(OPAQUE), io::empty())?;
        }
        return Ok(());
    }
    if ft.is_symlink() {
        let target = fs::read_link(&full)?;
        header.set_size(0);
        return builder.append_link(&mut header, rel, target);
    }
    if ft.is_file() && meta.nlink() > 1 {
        if let Some(first) = links.get(&(meta.dev(), meta.ino())) {
            header.set_entry_type(tar::EntryType::Link);
            header.set_size(0);
            return builder.append_link(&mut header, rel, first);
        }
        links.insert((meta.dev(), meta.ino()), rel.to_path_buf());
    }
    if ft.is_file() {
        return builder.append_data(&mut header, rel, fs::File::open(&full)?);
    }
    // Devices and fifos: the header says all there is.
    header.set_size(0);
    builder.append_data(&mut header, rel, io::empty())
}

/// An empty regular file header for a whiteout marker, owned like what it marks.
fn marker(meta: &fs::Metadata) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(meta.mtime().max(0) as u64);
    h
}

fn dir_name(rel: &Path) -> PathBuf {
    let mut s = rel.as_os_str().to_owned();
    s.push("/");
    PathBuf::from(s)
}

/// overlayfs marks a directory that replaced a lower one with `trusted.overlay.opaque=y`
/// (`x` on newer kernels means something else: "has whiteouts", not opaque).
pub(crate) fn is_opaque(dir: &Path) -> bool {
    let mut buf = [0u8; 4];
    matches!(
        rustix::fs::lgetxattr(dir, "trusted.overlay.opaque", &mut buf[..]),
        Ok(1) if buf[0] == b'y'
    )
}

struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hash: Sha256,
    size: u64,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
