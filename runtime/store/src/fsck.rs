//! `fsck`: a read-only check of a store that is not open, for crash tests and for people. It
//! takes the root's lock (so nothing changes underneath it, and a store in use is refused) and
//! reports, without repairing anything, every way the store differs from what the store's
//! writes promise: dangling references, image records without their config or layers
//! (half-registered images), missing blobs, layers no record holds, leftover temporary files.
//!
//! Each [`Problem`] has a [`Severity`]. A crash may leave *leftovers* at any instant (a partial
//! ingest, an unpack's temporary directory, a layer whose image record was removed just before
//! the crash); the next open removes them. *Damage* is what no crash may leave, because records
//! are written after what they refer to and removed before it; the next open quarantines or
//! drops the damaged records (see [`crate::Repair`]), and their records then show as
//! *repaired*. This module owns that classification; it never writes to the store.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use berth_core::{ErrorKind, Kind};

use crate::atomic::TEMP_PREFIX;
use crate::config::ImageConfig;
use crate::digest::Digest;
use crate::image::{self, ImageId, ImageRecord};
use crate::lease::Lease;
use crate::lock::{RootLock, LOCK_FILE};
use crate::record;
use crate::references::References;

/// How bad a problem is; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// What a crash may leave; the next open removes it.
    Leftover,
    /// What an earlier open already set aside (a quarantined record).
    Repaired,
    /// What no crash may leave.
    Damage,
}

/// One way the store differs from what its writes promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A `.tmp-*` entry: an atomic write or an unpack that never finished.
    TempFile { path: PathBuf },
    /// A blob write that never finished (`ingest/`).
    PartialIngest { path: PathBuf },
    /// An upload or inflated archive `load` never finished with (`tmp/`).
    SpoolFile { path: PathBuf },
    /// A layer no image record and no lease refers to.
    UnreferencedLayer { diff_id: Digest },
    /// A blob no image record refers to.
    UnreferencedBlob { digest: Digest },
    /// A record an earlier open moved to `images/quarantine/`.
    QuarantinedRecord { path: PathBuf },
    /// An image record that cannot be read.
    UnreadableRecord { path: PathBuf, reason: String },
    /// An image record whose file name is not its image's ID.
    MisnamedRecord { path: PathBuf, image: ImageId },
    /// A dangling image record: its config blob is missing.
    MissingConfig { image: ImageId },
    /// An image record whose config blob does not parse.
    InvalidConfig { image: ImageId, reason: String },
    /// A blob whose content does not hash to its name.
    CorruptBlob { digest: Digest, actual: Digest },
    /// A half-registered image: a layer of it is not unpacked.
    MissingLayer { image: ImageId, diff_id: Digest },
    /// A manifest or kept layer blob an image record lists is missing.
    MissingBlob { image: ImageId, digest: Digest },
    /// A layer directory without its record or its `diff/`, or whose record names another
    /// layer.
    IncompleteLayer { diff_id: Digest, reason: String },
    /// A tag or digest reference to an image that is not in the store.
    DanglingReference { reference: String, image: ImageId },
    /// `repositories.json` cannot be read.
    UnreadableReferences { reason: String },
    /// A lease record that cannot be read.
    UnreadableLease { path: PathBuf, reason: String },
    /// A lease on a layer that is not there: its owner cannot run.
    LeasedLayerMissing { owner: String, diff_id: Digest },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        use Problem as P;
        match self {
            P::TempFile { .. }
            | P::PartialIngest { .. }
            | P::SpoolFile { .. }
            | P::UnreferencedLayer { .. }
            | P::UnreferencedBlob { .. } => Severity::Leftover,
            P::QuarantinedRecord { .. } => Severity::Repaired,
            _ => Severity::Damage,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Problem as P;
        match self {
            P::TempFile { path } => write!(f, "temporary file {}", path.display()),
            P::PartialIngest { path } => write!(f, "partial ingest {}", path.display()),
            P::SpoolFile { path } => write!(f, "spool file {}", path.display()),
            P::UnreferencedLayer { diff_id } => write!(f, "layer {diff_id} is unreferenced"),
            P::UnreferencedBlob { digest } => write!(f, "blob {digest} is unreferenced"),
            P::QuarantinedRecord { path } => write!(f, "quarantined record {}", path.display()),
            P::UnreadableRecord { path, reason } => {
                write!(f, "image record {} is unreadable: {reason}", path.display())
            }
            P::MisnamedRecord { path, image } => {
                write!(f, "image record {} is for image {image}", path.display())
            }
            P::MissingConfig { image } => write!(f, "image {image}: config blob missing"),
            P::InvalidConfig { image, reason } => {
                write!(f, "image {image}: config is not valid: {reason}")
            }
            P::CorruptBlob { digest, actual } => {
                write!(f, "blob {digest} holds content hashing to {actual}")
            }
            P::MissingLayer { image, diff_id } => {
                write!(f, "image {image}: layer {diff_id} missing")
            }
            P::MissingBlob { image, digest } => write!(f, "image {image}: blob {digest} missing"),
            P::IncompleteLayer { diff_id, reason } => write!(f, "layer {diff_id}: {reason}"),
            P::DanglingReference { reference, image } => {
                write!(f, "reference {reference} points to missing image {image}")
            }
            P::UnreadableReferences { reason } => {
                write!(f, "repositories.json is unreadable: {reason}")
            }
            P::UnreadableLease { path, reason } => {
                write!(f, "lease {} is unreadable: {reason}", path.display())
            }
            P::LeasedLayerMissing { owner, diff_id } => {
                write!(f, "lease {owner}: layer {diff_id} missing")
            }
        }
    }
}

/// What [`fsck`] found, in a stable order (by kind of check, then by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    pub problems: Vec<Problem>,
    /// Image records that stand.
    pub images: usize,
    pub layers: usize,
    pub blobs: usize,
}

impl FsckReport {
    /// Nothing at all to report.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems no crash may cause.
    pub fn damage(&self) -> Vec<&Problem> {
        self.of(Severity::Damage)
    }

    /// The problems of one severity.
    pub fn of(&self, severity: Severity) -> Vec<&Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity() == severity)
            .collect()
    }
}

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum FsckError {
    #[error("store {} is in use: another process holds its lock", root.display())]
    Locked { root: PathBuf },
    #[error("fsck {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Kind for FsckError {
    fn kind(&self) -> ErrorKind {
        match self {
            FsckError::Locked { .. } => ErrorKind::Conflict,
            FsckError::Io { .. } => ErrorKind::System,
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> FsckError + '_ {
    move |source| FsckError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Checks the store at `root` (which no process may have open) and reports what is wrong.
/// It changes nothing (it creates the lock file if there was none).
pub fn fsck(root: &Path) -> Result<FsckReport, FsckError> {
    if !root.is_dir() {
        return Err(io_at(root)(io::ErrorKind::NotFound.into()));
    }
    let _lock = RootLock::acquire(root)
        .map_err(io_at(root))?
        .ok_or_else(|| FsckError::Locked {
            root: root.to_owned(),
        })?;
    let mut check = Check::new(root);
    check.leftovers()?;
    check.images()?;
    check.references();
    check.leases()?;
    check.layers()?;
    check.blobs()?;
    Ok(check.report)
}

/// One run of the checks and what they found so far.
struct Check<'a> {
    root: &'a Path,
    report: FsckReport,
    /// Standing image records.
    records: BTreeMap<ImageId, ImageRecord>,
    /// Layers and blobs something refers to.
    used_layers: BTreeSet<Digest>,
    used_blobs: BTreeSet<Digest>,
}

impl<'a> Check<'a> {
    fn new(root: &'a Path) -> Check<'a> {
        Check {
            root,
            report: FsckReport::default(),
            records: BTreeMap::new(),
            used_layers: BTreeSet::new(),
            used_blobs: BTreeSet::new(),
        }
    }

    fn add(&mut self, problem: Problem) {
        self.report.problems.push(problem);
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    fn layer_dir(&self, diff_id: &Digest) -> PathBuf {
        self.root.join("layers").join(diff_id.hex())
    }

    /// Temporary entries, partial ingests and spool files.
    fn leftovers(&mut self) -> Result<(), FsckError> {
        for dir in ["", "layers", "images", "leases", "blobs/sha256"] {
            for path in entries(&self.root.join(dir))? {
                if name_of(&path).starts_with(TEMP_PREFIX) {
                    self.add(Problem::TempFile { path });
                }
            }
        }
        for path in entries(&self.root.join("ingest"))? {
            self.add(Problem::PartialIngest { path });
        }
        for path in entries(&self.root.join(crate::spool::DIR))? {
            self.add(Problem::SpoolFile { path });
        }
        Ok(())
    }

    /// Image records: readable, well named, config present and valid, layers and blobs there.
    fn images(&mut self) -> Result<(), FsckError> {
        let dir = self.root.join("images");
        if !dir.is_dir() {
            return Ok(());
        }
        for path in entries(&dir.join(image::QUARANTINE))? {
            self.add(Problem::QuarantinedRecord { path });
        }
        let loaded = image::load_each(&dir).map_err(|e| io_at(&dir)(io::Error::other(e)))?;
        for (path, read) in loaded {
            match read {
                Ok(record) => self.image(path, record),
                Err(e) => self.add(Problem::UnreadableRecord {
                    path,
                    reason: e.to_string(),
                }),
            }
        }
        self.report.images = self.records.len();
        Ok(())
    }

    fn image(&mut self, path: PathBuf, record: ImageRecord) {
        let id = record.id.clone();
        if name_of(&path) != format!("{}.json", id.digest().hex()) {
            self.add(Problem::MisnamedRecord { path, image: id });
            return;
        }
        self.used_layers.extend(record.diff_ids.iter().cloned());
        self.used_blobs.insert(id.digest().clone());
        let pinned = record.manifest.iter().chain(&record.layer_blobs);
        self.used_blobs.extend(pinned.cloned());
        match fs::read(self.blob_path(id.digest())) {
            Err(_) => self.add(Problem::MissingConfig { image: id.clone() }),
            Ok(bytes) => self.config(&id, &bytes),
        }
        for diff_id in &record.diff_ids {
            if !self.layer_dir(diff_id).join("layer.json").is_file() {
                self.add(Problem::MissingLayer {
                    image: id.clone(),
                    diff_id: diff_id.clone(),
                });
            }
        }
        for digest in record.manifest.iter().chain(&record.layer_blobs) {
            if !self.blob_path(digest).is_file() {
                self.add(Problem::MissingBlob {
                    image: id.clone(),
                    digest: digest.clone(),
                });
            }
        }
        self.records.insert(id, record);
    }

    /// A config blob: it must hash to the image ID and parse.
    fn config(&mut self, id: &ImageId, bytes: &[u8]) {
        let actual = Digest::of(bytes);
        if &actual != id.digest() {
            self.add(Problem::CorruptBlob {
                digest: id.digest().clone(),
                actual,
            });
        } else if let Err(e) = ImageConfig::parse(bytes) {
            self.add(Problem::InvalidConfig {
                image: id.clone(),
                reason: e.to_string(),
            });
        }
    }

    /// References to images whose record is not there.
    fn references(&mut self) {
        let refs = match References::read(self.root) {
            Ok(refs) => refs,
            Err(e) => {
                let reason = e.to_string();
                return self.add(Problem::UnreadableReferences { reason });
            }
        };
        let dangling: Vec<Problem> = refs
            .all()
            .filter(|(_, id)| !self.records.contains_key(id))
            .map(|(r, id)| Problem::DanglingReference {
                reference: r.familiar(),
                image: id.clone(),
            })
            .collect();
        self.report.problems.extend(dangling);
    }

    /// Lease records: readable, and their layers there.
    fn leases(&mut self) -> Result<(), FsckError> {
        for path in entries(&self.root.join("leases"))? {
            let name = name_of(&path);
            let Some(owner) = name.strip_suffix(".json") else {
                continue;
            };
            let owner = owner.to_owned();
            let lease = match record::read::<Lease>(&path) {
                Ok(Some(lease)) => lease,
                Ok(None) => continue,
                Err(e) => {
                    let reason = e.to_string();
                    self.add(Problem::UnreadableLease { path, reason });
                    continue;
                }
            };
            for diff_id in lease.diff_ids {
                if !self.layer_dir(&diff_id).join("layer.json").is_file() {
                    self.add(Problem::LeasedLayerMissing {
                        owner: owner.clone(),
                        diff_id: diff_id.clone(),
                    });
                }
                self.used_layers.insert(diff_id);
            }
        }
        Ok(())
    }

    /// Layer directories: complete, and referred to.
    fn layers(&mut self) -> Result<(), FsckError> {
        for path in entries(&self.root.join("layers"))? {
            let Ok(diff_id) = Digest::from_hex(&name_of(&path)) else {
                continue;
            };
            self.report.layers += 1;
            if let Some(reason) = incomplete(&path, &diff_id) {
                self.add(Problem::IncompleteLayer {
                    diff_id: diff_id.clone(),
                    reason,
                });
            }
            if !self.used_layers.contains(&diff_id) {
                self.add(Problem::UnreferencedLayer { diff_id });
            }
        }
        Ok(())
    }

    /// Blobs: referred to (content is checked for configs, in `config`).
    fn blobs(&mut self) -> Result<(), FsckError> {
        for path in entries(&self.root.join("blobs/sha256"))? {
            let Ok(digest) = Digest::from_hex(&name_of(&path)) else {
                continue;
            };
            self.report.blobs += 1;
            if !self.used_blobs.contains(&digest) {
                self.add(Problem::UnreferencedBlob { digest });
            }
        }
        Ok(())
    }
}

/// Why a published layer directory is not whole, if it is not.
fn incomplete(dir: &Path, diff_id: &Digest) -> Option<String> {
    if !dir.join("diff").is_dir() {
        return Some("diff/ missing".into());
    }
    match record::read::<crate::layer::LayerRecord>(&dir.join("layer.json")) {
        Ok(Some(r)) if &r.diff_id == diff_id => None,
        Ok(Some(r)) => Some(format!("layer.json is for {}", r.diff_id)),
        Ok(None) => Some("layer.json missing".into()),
        Err(e) => Some(e.to_string()),
    }
}

/// The entries of `dir`, sorted; none when it does not exist.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, FsckError> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at(dir)(e)),
    };
    let mut paths = Vec::new();
    for entry in read {
        let path = entry.map_err(io_at(dir))?.path();
        if name_of(&path) != LOCK_FILE {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
