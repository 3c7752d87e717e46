//! `load`: images from a `docker save` archive (`manifest.json`, the classic layout or the
//! OCI-style `blobs/` one) or from an OCI image layout (`index.json`), as a directory, a tar
//! file (plain, gzip or zstd) or a stream, with no registry involved. This is how `berth
//! conform`'s embedded engine gets its fixture images. It owns finding the images in an
//! archive and the lines Docker prints (`Loaded image: ...`); registering them goes through
//! the same import path as `pull`.

mod docker;
mod oci;
mod source;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use berth_core::{ErrorKind, Kind};

use crate::error::ImageError;
use crate::image::ImageId;
use crate::import::{ImportError, ImportPlan};
use crate::layer::LayerError;
use crate::space::{space_error, SpaceError};
use crate::spool::Spool;
use crate::store::Store;
use crate::tar_guard::{fault_of, TarFault, TarGuard};
use crate::unpack::compress::{self, Compression};
use crate::unpack::UnpackError;
use berth_core::reference::{Reference, ReferenceError};
use source::{DirSource, Source, TarSource};

/// What went wrong loading an archive.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("opening {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("reading archive member {member:?}: {source}")]
    Read {
        member: String,
        #[source]
        source: io::Error,
    },
    /// The archive broke a limit dockerd's tar reader enforces; the text is dockerd's.
    #[error("Error processing tar file(exit status 1): {fault}")]
    Archive { fault: TarFault },
    #[error("archive member {member:?} not found")]
    Missing { member: String },
    #[error("{reason}")]
    Format { reason: String },
    #[error("{reason}")]
    Unsupported { reason: String },
    #[error(transparent)]
    Space(#[from] SpaceError),
    #[error(transparent)]
    Layer(LayerError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Image(#[from] ImageError),
}

impl Kind for LoadError {
    fn kind(&self) -> ErrorKind {
        match self {
            LoadError::Io { .. } => ErrorKind::System,
            LoadError::Read { .. }
            | LoadError::Archive { .. }
            | LoadError::Missing { .. }
            | LoadError::Format { .. } => ErrorKind::InvalidParameter,
            LoadError::Unsupported { .. } => ErrorKind::NotImplemented,
            LoadError::Space(e) => e.kind(),
            LoadError::Layer(e) => e.kind(),
            LoadError::Import(e) => e.kind(),
            LoadError::Reference(e) => e.kind(),
            LoadError::Image(e) => e.kind(),
        }
    }
}

/// How to name what is loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The repository for OCI layouts whose `org.opencontainers.image.ref.name` is a bare tag
    /// (`latest`). For a directory it defaults to the directory's name (the fixture builder
    /// writes one layout per repository, named after it).
    pub repository: Option<String>,
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// The lines `docker load` prints, in order.
    pub lines: Vec<String>,
    /// Every image loaded, in archive order.
    pub images: Vec<ImageId>,
}

impl Store {
    /// Loads every image of the archive or layout at `path` (a directory or a tar file).
    pub fn load(&self, path: &Path, options: &LoadOptions) -> Result<LoadReport, LoadError> {
        if path.is_dir() {
            let mut options = options.clone();
            if options.repository.is_none() {
                options.repository = path.file_name().map(|n| n.to_string_lossy().into_owned());
            }
            return self.load_from(&DirSource::new(path), &options);
        }
        let file = File::open(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.load_file(file, path, options)
    }

    /// Loads from a stream (an upload): it is spooled to a temporary file first, because a
    /// `docker save` archive lists its manifest last. The spool is bounded by the store's
    /// space limits.
    pub fn load_stream<R: Read>(
        &self,
        mut reader: R,
        options: &LoadOptions,
    ) -> Result<LoadReport, LoadError> {
        let limits = self.inner.options.limits;
        let spool = Spool::fill(self.root(), "the uploaded archive", limits, &mut reader)
            .map_err(|e| read_error(Path::new("-"), e))?;
        let file = spool.open().map_err(io_error(spool.path()))?;
        self.load_file(file, spool.path(), options)
    }

    fn load_file(
        &self,
        file: File,
        path: &Path,
        options: &LoadOptions,
    ) -> Result<LoadReport, LoadError> {
        let mut head = [0u8; 8];
        let n = file.read_at(&mut head, 0).map_err(io_error(path))?;
        let compression = compress::detect(&head[..n]).map_err(|name| LoadError::Unsupported {
            reason: format!("{name}-compressed archives are not supported"),
        })?;
        if compression == Compression::None {
            let source = TarSource::index(file).map_err(|e| read_error(path, e))?;
            return self.load_from(&source, options);
        }
        // A compressed archive cannot be read by offset: inflate it to a spool file once, as
        // far as the store's space limits allow, through the tar guard so that a hostile
        // header stops the inflation at once rather than after it is written out.
        let decoder = compress::decoder(compression, BufReader::new(file))
            .map_err(|e| read_error(path, e))?;
        let mut decoder = TarGuard::new(decoder);
        let limits = self.inner.options.limits;
        let spool = Spool::fill(self.root(), "the inflated archive", limits, &mut decoder)
            .map_err(|e| read_error(path, e))?;
        let file = spool.open().map_err(io_error(spool.path()))?;
        let source = TarSource::index(file).map_err(|e| read_error(path, e))?;
        self.load_from(&source, options)
    }

    fn load_from(
        &self,
        source: &dyn Source,
        options: &LoadOptions,
    ) -> Result<LoadReport, LoadError> {
        if source.exists("manifest.json") {
            docker::load(self, source)
        } else if source.exists("index.json") {
            oci::load(self, source, options)
        } else {
            Err(LoadError::Unsupported {
                reason: "archive has neither manifest.json nor index.json (the pre-1.10 docker save format is not supported)".into(),
            })
        }
    }
}

/// A failure reading the archive at `path`: the tar guard's refusals and the space limits
/// keep their own variants.
fn read_error(path: &Path, source: io::Error) -> LoadError {
    if let Some(fault) = fault_of(&source) {
        return LoadError::Archive { fault };
    }
    if space_error(&source).is_some() {
        if let Some(Ok(space)) = source.into_inner().map(|e| e.downcast::<SpaceError>()) {
            return LoadError::Space(*space);
        }
        unreachable!("space_error found a SpaceError inside");
    }
    LoadError::Read {
        member: path.display().to_string(),
        source,
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A layer that failed to unpack. Dockerd's `load` names no layer (that is pull's wording),
/// and reports a tar fault in a layer with the same words as one in the archive itself.
fn layer_error(e: ImportError) -> LoadError {
    match e {
        ImportError::Layer {
            source: LayerError::Unpack(UnpackError::Archive { fault }),
            ..
        } => LoadError::Archive { fault },
        ImportError::Layer { source, .. } => LoadError::Layer(source),
        other => LoadError::Import(other),
    }
}

/// Docker's lines for one loaded image's tags, in tag order: a warning when a tag moves away
/// from another image, then `Loaded image: <tag>`.
fn tag_lines(store: &Store, plan: &ImportPlan, tags: &[Reference], lines: &mut Vec<String>) {
    for tag in tags {
        if let Some(old) = store.target(tag).filter(|old| old != plan.image_id()) {
            lines.push(format!(
                "The image {} already exists, renaming the old one with ID {old} to empty string",
                tag.familiar()
            ));
        }
        lines.push(format!("Loaded image: {}", tag.familiar()));
    }
}

/// Unpacks the layers of `plan` that are not present yet, reading layer `i` from member
/// `members[i]`, on up to one thread per core. The first failure stops handing out work.
fn unpack_missing(
    plan: &ImportPlan,
    source: &dyn Source,
    members: &[String],
) -> Result<(), LoadError> {
    let mut todo: Vec<usize> = Vec::new();
    for (i, layer) in plan.layers().iter().enumerate() {
        let duplicate = todo
            .iter()
            .any(|&j| plan.layers()[j].diff_id == layer.diff_id);
        if !layer.present && !duplicate {
            todo.push(i);
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || -> Result<(), LoadError> {
        while !failed.load(Ordering::Relaxed) {
            let Some(&i) = todo.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let result = source
                .open(&members[i])
                .and_then(|reader| plan.unpack_layer(i, reader).map_err(layer_error));
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            result?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores.min(todo.len()))
            .map(|_| scope.spawn(work))
            .collect();
        let results: Vec<_> = workers
            .into_iter()
            .map(|w| w.join().expect("layer unpack thread panicked"))
            .collect();
        results.into_iter().collect()
    })
}
