//! `commit`'s layer: a container's overlay upper directory as an uncompressed tar in OCI form.
//! overlayfs records a deletion as a 0/0 character device and a replaced directory as one with
//! `trusted.overlay.opaque=y`; the OCI layer format says `.wh.<name>` and `<dir>/.wh..wh..opq`
//! instead. Entries are sorted so the same changes give the same bytes (and the same diff ID).
//! The upper dir is read by descriptors ([`crate::tree`]), so nothing outside it can be read.
//! This module only writes the tar: it never pauses a container (the `commit` verb does) and
//! never builds an image config (the image store's job).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rustix::fs::Stat;
use sha2::{Digest, Sha256};

use crate::tar_members;
use crate::tree::{self, Entry, Kind};

const OPAQUE: &str = ".wh..wh..opq";
const WHITEOUT: &str = ".wh.";

/// What a commit's layer tar holds (what `Containers::commit_layer` wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedLayer {
    /// `sha256:<hex>` of the uncompressed tar (the layer's DiffID).
    pub diff_id: String,
    pub size: u64,
    /// False when the container changed nothing (dockerd then adds no layer).
    pub changed: bool,
}

/// Tars `upper` into `out`, translating overlay whiteouts to OCI ones. The tree is read by
/// descriptors ([`tree`]), so a container that changes it meanwhile cannot make this read
/// anything outside it: a directory swapped for a symlink is recorded as the symlink.
pub fn write_layer(upper: &Path, out: &mut dyn Write) -> io::Result<CommittedLayer> {
    let mut hashing = HashingWriter {
        inner: out,
        hash: Sha256::new(),
        size: 0,
    };
    let mut changed = false;
    let mut builder = tar::Builder::new(&mut hashing);
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    tree::walk(upper, &mut |rel, entry| {
        changed = true;
        append(&mut builder, rel, entry, &mut links)
    })?;
    builder.into_inner()?;
    Ok(CommittedLayer {
        diff_id: format!("sha256:{:x}", hashing.hash.finalize()),
        size: hashing.size,
        changed,
    })
}

fn append(
    builder: &mut tar::Builder<&mut HashingWriter<'_>>,
    rel: &Path,
    entry: &Entry,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> io::Result<()> {
    let stat = entry.stat();
    match entry.kind() {
        Kind::Whiteout => {
            let name = rel.file_name().unwrap_or_default().to_string_lossy();
            let wh = rel.with_file_name(format!("{WHITEOUT}{name}"));
            builder.append_data(&mut marker(stat), wh, io::empty())
        }
        Kind::Dir => {
            tar_members::append(builder, rel, entry, links)?;
            if entry.is_opaque() {
                builder.append_data(&mut marker(stat), rel.join(OPAQUE), io::empty())?;
            }
            Ok(())
        }
        _ => tar_members::append(builder, rel, entry, links),
    }
}

/// An empty regular file header for a whiteout marker, owned like what it marks.
fn marker(stat: &Stat) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(u64::try_from(stat.st_mtime).unwrap_or(0));
    h
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Swaps `w/d` (a directory) and `w/l` (a link to the host's `/etc`) atomically until
    /// told to stop, leaving `d` a link most of the time and a directory for a moment: a walk
    /// by path that saw the directory then reads through the link for long enough to take
    /// what is behind it. A container can do this to its own upper dir.
    fn swapper(upper: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
        let w = upper.join("w");
        std::thread::spawn(move || {
            let mut swaps = 0;
            while !stop.load(Ordering::Relaxed) {
                for hold in [Duration::from_millis(5), Duration::from_micros(3)] {
                    rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        w.join("d"),
                        rustix::fs::CWD,
                        w.join("l"),
                        rustix::fs::RenameFlags::EXCHANGE,
                    )
                    .unwrap();
                    let since = Instant::now();
                    while since.elapsed() < hold {
                        std::hint::spin_loop();
                    }
                }
                swaps += 1;
            }
            swaps
        })
    }

    /// Regression: the walk by path could list the host's `/etc` through `w/d` once it had
    /// become the link, putting host files into the layer and into `diff` (it did within
    /// seconds). The host's `/etc` rather than `/`: a walk by path through `/` fails on
    /// `/proc`'s churn before it returns, `/etc` it walks whole.
    #[test]
    fn a_directory_swapped_for_a_link_to_the_host_mid_walk_never_takes_host_files() {
        let dir = tempfile::tempdir().unwrap();
        let upper = dir.path();
        fs::create_dir_all(upper.join("w/d")).unwrap();
        fs::write(upper.join("w/d/f"), "mine").unwrap();
        std::os::unix::fs::symlink("/etc", upper.join("w/l")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = swapper(upper, stop.clone());
        let allowed = ["w/", "w/d", "w/d/", "w/d/f", "w/l", "w/l/", "w/l/f"];
        for _ in 0..3000 {
            let mut tar_bytes = Vec::new();
            write_layer(upper, &mut tar_bytes).unwrap();
            for entry in tar::Archive::new(&tar_bytes[..]).entries().unwrap() {
                let entry = entry.unwrap();
                let path = entry.path().unwrap().to_string_lossy().into_owned();
                assert!(allowed.contains(&path.as_str()), "{path} in the layer");
                if entry.header().entry_type() == tar::EntryType::Symlink {
                    assert_eq!(entry.link_name().unwrap().unwrap(), Path::new("/etc"));
                }
            }
            let changes = crate::upper_changes::changes(upper, &[]).unwrap();
            for c in changes {
                let known = ["/w", "/w/d", "/w/d/f", "/w/l", "/w/l/f"];
                assert!(known.contains(&c.path.as_str()), "{c:?}");
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert!(swaps.join().unwrap() > 0);
    }
}
