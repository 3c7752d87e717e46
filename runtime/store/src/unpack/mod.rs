//! Layer unpack: one streaming pass per layer from the compressed bytes to files on disk.
//!
//! ```text
//! reader -> sha256 (blob digest) -> gzip | zstd | plain -> sha256 (DiffID) -> tar -> entries
//! ```
//!
//! It owns that pipeline, the extraction rules (whiteouts as overlayfs expects them, owners,
//! modes, xattrs, times, hard links, device nodes as root) and the confinement of every write
//! to the directory it is given. It never holds a whole blob in memory, never writes outside
//! that directory, and never decides where layers live or whether a partial result is kept:
//! the caller hands it an empty directory and discards it on error.

pub(crate) mod compress;
mod entry;
mod extract;
mod meta;
mod secure;
mod whiteout;

use std::io::{self, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};

use crate::digest::{Digest, HashingReader};
use crate::space::{space_error, Capped, SpaceError, SpaceGuard, SpaceLimits};
use crate::tar_guard::{self, fault_of, TarFault};
pub use compress::Compression;
use extract::{Extract, Rules};
use secure::Beneath;

/// The read-ahead between pipeline stages; large reads keep the inflater and hasher busy.
const BUF: usize = 256 * 1024;

/// What went wrong unpacking a layer.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("layer entry {path:?} would escape the layer directory: {reason}")]
    Escape { path: String, reason: String },
    #[error("layer entry {path:?}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("layer entry {path:?}: {what} needs root")]
    NeedsRoot { path: String, what: &'static str },
    #[error("layer is {name}-compressed, which berth does not read")]
    Compression { name: &'static str },
    /// A member of an archive extracted into a directory would reach outside it (moby's
    /// `breakoutError`); the text is dockerd's.
    #[error("Error processing tar file(exit status 1): {message}")]
    Breakout { message: String },
    /// The archive broke a limit dockerd's tar reader enforces; the text is dockerd's.
    #[error("Error processing tar file(exit status 1): {fault}")]
    Archive { fault: TarFault },
    #[error("reading layer stream: {source}")]
    Stream {
        #[source]
        source: io::Error,
    },
    #[error("layer DiffID mismatch: expected {expected}, got {actual}")]
    DiffId { expected: Digest, actual: Digest },
    #[error("layer blob digest mismatch: expected {expected}, got {actual}")]
    Blob { expected: Digest, actual: Digest },
    #[error("unpacking layer entry {path:?}: {source}")]
    Entry {
        path: String,
        #[source]
        source: io::Error,
    },
    /// A limit on what a layer may write (size cap, free space) was reached.
    #[error(transparent)]
    Space(#[from] SpaceError),
    #[error("layer directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Kind for UnpackError {
    fn kind(&self) -> ErrorKind {
        match self {
            UnpackError::Escape { .. }
            | UnpackError::Invalid { .. }
            | UnpackError::DiffId { .. }
            | UnpackError::Blob { .. }
            | UnpackError::Archive { .. }
            | UnpackError::Breakout { .. } => ErrorKind::InvalidParameter,
            UnpackError::NeedsRoot { .. } => ErrorKind::Forbidden,
            UnpackError::Compression { .. } => ErrorKind::NotImplemented,
            UnpackError::Stream { source } => stream_kind(source),
            UnpackError::Space(e) => e.kind(),
            UnpackError::Entry { .. } | UnpackError::Io { .. } => ErrorKind::System,
        }
    }
}

/// A broken connection feeding the stream is the source being unavailable; anything else
/// (corrupt deflate data, a truncated or malformed archive) is bad input.
fn stream_kind(e: &io::Error) -> ErrorKind {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionReset
        | K::ConnectionAborted
        | K::TimedOut
        | K::BrokenPipe
        | K::NotConnected => ErrorKind::Unavailable,
        _ => ErrorKind::InvalidParameter,
    }
}

/// A failure reading the layer stream; the tar guard's refusals and the size cap keep their
/// own variants.
pub(crate) fn stream(source: io::Error) -> UnpackError {
    if let Some(fault) = fault_of(&source) {
        return UnpackError::Archive { fault };
    }
    if space_error(&source).is_none() {
        return UnpackError::Stream { source };
    }
    match source
        .into_inner()
        .map(|inner| inner.downcast::<SpaceError>())
    {
        Some(Ok(space)) => UnpackError::Space(*space),
        _ => unreachable!("space_error found a SpaceError inside"),
    }
}

/// What the caller knows about the layer in advance; each known digest is verified.
#[derive(Debug, Clone, Default)]
pub struct UnpackOptions {
    /// The DiffID from the image config's `rootfs.diff_ids`.
    pub diff_id: Option<Digest>,
    /// The blob digest from the manifest's layer descriptor.
    pub blob: Option<Digest>,
    /// Flush the filesystem (`syncfs`) before returning, so that a layer published afterwards
    /// survives a power cut with its content.
    pub sync: bool,
    /// How much the layer may expand to and write, and the free space it must leave.
    pub limits: SpaceLimits,
}

/// What one unpack produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedLayer {
    pub diff_id: Digest,
    pub blob: Digest,
    pub compression: Compression,
    /// Bytes of the stream as received.
    pub compressed_size: u64,
    /// Bytes of the uncompressed tar.
    pub tar_size: u64,
    /// Docker's layer size: the sizes of the regular files and symlinks it leaves on disk,
    /// hard links counted once (what overlay2's `directory.Size` reports).
    pub size: u64,
}

/// Unpacks the layer stream `reader` into the existing, empty directory `dir`, verifying the
/// digests in `options`. On error `dir` holds an unspecified part of the layer: discard it.
pub fn unpack_into<R: Read>(
    reader: R,
    dir: &Path,
    options: &UnpackOptions,
) -> Result<UnpackedLayer, UnpackError> {
    let root = Beneath::open(dir).map_err(|source| UnpackError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut compressed = HashingReader::new(reader);
    let head = compress::read_head(&mut compressed).map_err(stream)?;
    let compression = compress::detect(&head).map_err(|name| UnpackError::Compression { name })?;
    let input = BufReader::with_capacity(BUF, Cursor::new(head).chain(&mut compressed));
    let inflated = compress::decoder(compression, input).map_err(stream)?;
    let mut plain = HashingReader::new(Capped::new(inflated, "layer", options.limits.max_bytes));
    let space = SpaceGuard::new(dir, "layer", options.limits);
    let size = extract_all(&root, space, Rules::LAYER, Default::default(), &mut plain)?;
    let (diff_id, tar_size) = plain.finish().map_err(stream)?;
    let (blob, compressed_size) = compressed.finish().map_err(stream)?;
    verify(options, &blob, &diff_id)?;
    if options.sync {
        rustix::fs::syncfs(root.root()).map_err(|e| UnpackError::Io {
            path: dir.to_owned(),
            source: e.into(),
        })?;
    }
    Ok(UnpackedLayer {
        diff_id,
        blob,
        compression,
        compressed_size,
        tar_size,
        size,
    })
}

fn extract_all<R: Read>(
    root: &Beneath,
    space: SpaceGuard,
    rules: Rules,
    base: secure::RelPath,
    plain: &mut R,
) -> Result<u64, UnpackError> {
    let mut archive = tar_guard::archive(BufReader::with_capacity(BUF, plain));
    let mut extract = Extract::new(root, space, rules);
    extract.base = base;
    for entry in archive.entries().map_err(stream)? {
        let mut entry = entry.map_err(stream)?;
        entry::apply(&mut extract, &mut entry)?;
    }
    extract.finish()
}

/// How `docker cp` extracts into a container ([`extract_archive`]).
#[derive(Debug, Clone, Default)]
pub struct ArchiveOptions {
    /// dockerd's `noOverwriteDirNonDir`: a directory is never replaced by a non-directory,
    /// nor the reverse.
    pub no_overwrite_dir_non_dir: bool,
    /// dockerd's `copyUIDGID`: every member owned by this uid and gid.
    pub owner: Option<(u32, u32)>,
    /// How much the archive may expand to and write, and the free space it must leave.
    pub limits: SpaceLimits,
}

/// Extracts an archive (plain, gzip or zstd) into the directory `dest` (already resolved,
/// relative to `root`) of a container's root, with the same confinement, caps and per-member rules as a layer, except that `.wh.`
/// names are plain files (dockerd's `Untar`) and an existing tree is merged into.
/// `space_dir` is a host directory on the filesystem the writes land on. On error part of
/// the archive may have been written, as with dockerd.
pub fn extract_archive<R: Read>(
    reader: R,
    root: std::os::fd::OwnedFd,
    dest: &Path,
    space_dir: &Path,
    options: &ArchiveOptions,
) -> Result<u64, UnpackError> {
    let root = Beneath::in_root(root);
    let base = dest.as_os_str().as_encoded_bytes();
    let start = base.iter().take_while(|b| **b == b'/').count();
    let base = secure::RelPath::clean(&base[start..]).map_err(|p| UnpackError::Escape {
        path: dest.display().to_string(),
        reason: p.describe().into(),
    })?;
    let mut input = reader;
    let head = compress::read_head(&mut input).map_err(stream)?;
    let compression = compress::detect(&head).map_err(|name| UnpackError::Compression { name })?;
    let input = BufReader::with_capacity(BUF, Cursor::new(head).chain(input));
    let inflated = compress::decoder(compression, input).map_err(stream)?;
    let mut plain = Capped::new(inflated, "archive", options.limits.max_bytes);
    let space = SpaceGuard::new(space_dir, "archive", options.limits);
    let rules = Rules {
        whiteouts: false,
        no_overwrite_dir_non_dir: options.no_overwrite_dir_non_dir,
        owner: options.owner,
    };
    extract_all(&root, space, rules, base, &mut plain)
}

/// The blob digest is checked first: when the compressed bytes are wrong, that is the fault to
/// report, not the DiffID that follows from it.
fn verify(options: &UnpackOptions, blob: &Digest, diff_id: &Digest) -> Result<(), UnpackError> {
    if let Some(expected) = options.blob.as_ref().filter(|e| *e != blob) {
        return Err(UnpackError::Blob {
            expected: expected.clone(),
            actual: blob.clone(),
        });
    }
    if let Some(expected) = options.diff_id.as_ref().filter(|e| *e != diff_id) {
        return Err(UnpackError::DiffId {
            expected: expected.clone(),
            actual: diff_id.clone(),
        });
    }
    Ok(())
}

/// Whether this process may create device nodes, whiteouts and files owned by others.
pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(test)]
mod tests;
