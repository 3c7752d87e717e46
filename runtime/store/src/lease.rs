//! Layer leases: a container's hold on the layers of the image it was created from, recorded as
//! `leases/<owner>.json`. Docker's container RW layer holds a reference on its image's top
//! layer, so `rmi -f` of an image a container still uses deletes the image but keeps its
//! layers; a lease is that reference. A lease is either recorded on disk (a container's: it
//! outlives the process) or held in memory only ([`LeaseKind::Transient`], for a hold that a
//! restart must drop anyway, such as the one between resolving an image and creating the
//! container; it costs no write and no fsync on the create path). This module owns the lease
//! records and the store calls that take and drop them; it never looks at what the owner does
//! with the directories.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::digest::{chain_ids, Digest};
use crate::error::ImageError;
use crate::image::ImageId;
use crate::record::{self, io_at, RecordError};
use crate::store::{used_chain_ids, used_diff_ids, Store};

/// One owner's hold on a stack of layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub image: ImageId,
    /// The image's DiffIDs, bottom first.
    pub diff_ids: Vec<Digest>,
}

/// How long a lease lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseKind {
    /// Recorded as `leases/<owner>.json` (atomically and durably): it holds across restarts
    /// until released.
    Durable,
    /// Held in memory only: it ends when released or when the process ends.
    Transient,
}

/// The `leases/` directory and its records, plus the transient leases.
#[derive(Debug)]
pub struct Leases {
    dir: PathBuf,
    leases: BTreeMap<String, Lease>,
    /// The owners in `leases` whose lease has no record.
    transient: BTreeSet<String>,
}

impl Leases {
    pub fn open(root: &Path) -> Result<Leases, RecordError> {
        let dir = root.join("leases");
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        crate::atomic::remove_temps(&dir).map_err(io_at(&dir))?;
        let mut leases = BTreeMap::new();
        for entry in fs::read_dir(&dir).map_err(io_at(&dir))? {
            let path = entry.map_err(io_at(&dir))?.path();
            let Some(owner) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if let Some(lease) = record::read::<Lease>(&path)? {
                leases.insert(owner.to_owned(), lease);
            }
        }
        Ok(Leases {
            dir,
            leases,
            transient: BTreeSet::new(),
        })
    }

    pub fn diff_ids(&self) -> impl Iterator<Item = &Digest> {
        self.leases.values().flat_map(|l| l.diff_ids.iter())
    }

    pub fn stacks(&self) -> impl Iterator<Item = &[Digest]> {
        self.leases.values().map(|l| l.diff_ids.as_slice())
    }

    fn add(&mut self, owner: &str, lease: Lease, kind: LeaseKind) -> Result<(), RecordError> {
        let had_record = self.leases.contains_key(owner) && !self.transient.contains(owner);
        match kind {
            LeaseKind::Durable => {
                record::write(&self.path(owner), &lease)?;
                self.transient.remove(owner);
            }
            LeaseKind::Transient => {
                // A durable lease turned transient must not come back after a restart.
                if had_record {
                    self.remove_record(owner)?;
                }
                self.transient.insert(owner.to_owned());
            }
        }
        self.leases.insert(owner.to_owned(), lease);
        Ok(())
    }

    fn remove(&mut self, owner: &str) -> Result<Option<Lease>, RecordError> {
        let Some(lease) = self.leases.remove(owner) else {
            return Ok(None);
        };
        if !self.transient.remove(owner) {
            self.remove_record(owner)?;
        }
        Ok(Some(lease))
    }

    fn remove_record(&self, owner: &str) -> Result<(), RecordError> {
        let path = self.path(owner);
        fs::remove_file(&path).map_err(io_at(&path))
    }

    fn path(&self, owner: &str) -> PathBuf {
        self.dir.join(format!("{owner}.json"))
    }
}

/// Owners become file names, so only a conservative alphabet is accepted.
fn check_owner(owner: &str) -> Result<(), ImageError> {
    let ok = !owner.is_empty()
        && !owner.starts_with('.')
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    match ok {
        true => Ok(()),
        false => Err(ImageError::InvalidOwner {
            owner: owner.to_owned(),
        }),
    }
}

impl Store {
    /// Takes (or replaces) `owner`'s durable lease on the layers of `image` and returns their
    /// `diff` directories in overlayfs `lowerdir` order, top layer first.
    pub fn lease_layers(&self, owner: &str, image: &ImageId) -> Result<Vec<PathBuf>, ImageError> {
        self.lease_layers_as(owner, image, LeaseKind::Durable)
    }

    /// [`Store::lease_layers`] with a lease of the given kind.
    pub fn lease_layers_as(
        &self,
        owner: &str,
        image: &ImageId,
        kind: LeaseKind,
    ) -> Result<Vec<PathBuf>, ImageError> {
        check_owner(owner)?;
        let mut state = self.lock();
        let Some(found) = state.images.get(image) else {
            return Err(ImageError::NotFound {
                name: image.to_string(),
            });
        };
        let lease = Lease {
            image: image.clone(),
            diff_ids: found.record.diff_ids.clone(),
        };
        let dirs = lease
            .diff_ids
            .iter()
            .rev()
            .map(|d| self.inner.layers.diff_dir(d))
            .collect();
        state.leases.add(owner, lease, kind)?;
        Ok(dirs)
    }

    /// Drops `owner`'s lease and removes the layers nothing else holds; returns the ChainIDs
    /// released, top first. Dropping a lease that does not exist does nothing.
    pub fn release_layers(&self, owner: &str) -> Result<Vec<Digest>, ImageError> {
        check_owner(owner)?;
        let mut state = self.lock();
        let Some(lease) = state.leases.remove(owner)? else {
            return Ok(Vec::new());
        };
        let still_chains = used_chain_ids(&state);
        let released = chain_ids(&lease.diff_ids)
            .into_iter()
            .rev()
            .filter(|c| !still_chains.contains(c))
            .collect();
        let still_diffs = used_diff_ids(&state);
        for diff in lease.diff_ids.iter().filter(|d| !still_diffs.contains(*d)) {
            self.inner.layers.remove(diff)?;
        }
        Ok(released)
    }
}
