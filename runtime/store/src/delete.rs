//! `rmi`: moby 20.10's `ImageDelete`, step for step (daemon/images/image_delete.go).
//!
//! By reference: refuse when it is the image's only reference and a container uses the image
//! (unless forced); untag it, and drop the same repository's digest references when no tag of
//! that repository remains; then try to delete the image *quietly* (any conflict just keeps
//! it). By ID: when the image's references amount to a single one, check conflicts first and
//! untag them all; then delete, reporting conflicts. Hard conflicts (children, a running
//! container) cannot be forced; soft ones (other references, a stopped container) can. After a
//! delete the parent is pruned quietly if it is now unreferenced and unused.
//!
//! It owns that algorithm and the `Untagged:`/`Deleted:` records; containers are asked about
//! through `ImageUsers` only, while the store lock is held (so an implementation must not call
//! back into the store).

use std::collections::BTreeSet;

use crate::error::{ConflictReason, ImageError};
use crate::image::ImageId;
use crate::list::has_children;
use crate::store::{resolve_in, used_blobs, used_chain_ids, used_diff_ids, State, Store};
use berth_core::reference::Reference;

/// A container that uses an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUser {
    /// The container's full ID.
    pub container: String,
    pub running: bool,
}

/// The container half's answer to "which containers use image X?".
pub trait ImageUsers {
    fn containers_using(&self, image: &ImageId) -> Vec<ImageUser>;
}

/// For a store with no containers (tests, `load`, a plain image tool).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContainers;

impl ImageUsers for NoContainers {
    fn containers_using(&self, _image: &ImageId) -> Vec<ImageUser> {
        Vec::new()
    }
}

/// One line of `rmi` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteRecord {
    /// A reference removed, in Docker's familiar form (`alpine:latest`).
    Untagged(String),
    /// An image ID or a released layer ChainID (`sha256:...`).
    Deleted(String),
}

/// Which conflicts a check looks for (moby's `conflictType` mask).
#[derive(Debug, Clone, Copy)]
struct Mask {
    children: bool,
    running: bool,
    references: bool,
    stopped: bool,
}

const HARD: Mask = Mask {
    children: true,
    running: true,
    references: false,
    stopped: false,
};

impl Mask {
    fn with_soft(self, references: bool, stopped: bool) -> Mask {
        Mask {
            references,
            stopped,
            ..self
        }
    }
}

impl Store {
    /// Deletes `name` as `docker rmi [-f]` does (prune is what the CLI always asks for unless
    /// `--no-prune`). Returns the records in Docker's order.
    pub fn delete(
        &self,
        name: &str,
        force: bool,
        prune: bool,
        users: &dyn ImageUsers,
    ) -> Result<Vec<DeleteRecord>, ImageError> {
        let mut state = self.lock();
        let id = resolve_in(&state, name)?;
        let mut run = Deletion {
            store: self,
            state: &mut state,
            users,
            prune,
            records: Vec::new(),
        };
        let quiet = !is_id_prefix(&id, name);
        if quiet {
            if !run.untag_reference(&id, name, force)? {
                return Ok(run.records);
            }
        } else {
            run.untag_single_reference(&id, force)?;
        }
        run.delete_image(&id, force, quiet)?;
        Ok(run.records)
    }
}

/// One `rmi` in progress: the locked state, the container oracle and the records so far.
struct Deletion<'a> {
    store: &'a Store,
    state: &'a mut State,
    users: &'a dyn ImageUsers,
    prune: bool,
    records: Vec<DeleteRecord>,
}

impl Deletion<'_> {
    /// The by-reference half: refuses to leave an image some container uses without any
    /// reference (unless forced), untags, and returns whether no reference is left (then the
    /// image is deleted, quietly).
    fn untag_reference(
        &mut self,
        id: &ImageId,
        name: &str,
        force: bool,
    ) -> Result<bool, ImageError> {
        if !force && is_single_reference(&self.state.refs.of(id)) {
            if let Some(user) = self.users.containers_using(id).into_iter().next() {
                return Err(ImageError::ReferenceInUse {
                    reference: name.to_owned(),
                    container: user.container,
                    image: id.clone(),
                });
            }
        }
        let parsed: Reference = name.parse()?;
        self.untag(&parsed)?;
        let mut remaining = self.state.refs.of(id);
        let same_repo_tag = remaining
            .iter()
            .any(|r| !r.is_digest() && r.name() == parsed.name());
        if !parsed.is_digest() && !same_repo_tag {
            // No tag of this repository is left: its digest references go too.
            let (digests, others): (Vec<_>, Vec<_>) = remaining
                .into_iter()
                .partition(|r| r.is_digest() && r.name() == parsed.name());
            for r in &digests {
                self.untag(r)?;
            }
            remaining = others;
        }
        Ok(remaining.is_empty())
    }

    /// The by-ID half: when the references amount to one, conflicts are checked before any of
    /// them is removed, then all are.
    fn untag_single_reference(&mut self, id: &ImageId, force: bool) -> Result<(), ImageError> {
        let refs = self.state.refs.of(id);
        if !is_single_reference(&refs) {
            return Ok(());
        }
        let mask = HARD.with_soft(false, !force);
        if let Some(reason) = conflict(self.state, id, mask, self.users) {
            return Err(ImageError::Conflict {
                image: id.clone(),
                reason,
            });
        }
        refs.iter().try_for_each(|r| self.untag(r))
    }

    /// moby's `imageDeleteHelper`: a quiet delete keeps an image with a conflict unless it is
    /// dangling and unused, in which case the conflict is reported after all.
    fn delete_image(&mut self, id: &ImageId, force: bool, quiet: bool) -> Result<(), ImageError> {
        let mask = HARD.with_soft(!force, !force);
        if let Some(reason) = conflict(self.state, id, mask, self.users) {
            if quiet && (!is_dangling(self.state, id) || reason.is_use()) {
                return Ok(());
            }
            return Err(ImageError::Conflict {
                image: id.clone(),
                reason,
            });
        }
        let parent = self.state.images[id].record.parent.clone();
        for r in self.state.refs.of(id) {
            self.untag(&r)?;
        }
        let released = self.remove_image(id)?;
        self.records.push(DeleteRecord::Deleted(id.to_string()));
        self.records
            .extend(released.into_iter().map(DeleteRecord::Deleted));
        match parent {
            Some(parent) if self.prune && self.state.images.contains_key(&parent) => {
                self.delete_image(&parent, false, true)
            }
            _ => Ok(()),
        }
    }

    fn untag(&mut self, reference: &Reference) -> Result<(), ImageError> {
        self.state.refs.remove(reference)?;
        self.records
            .push(DeleteRecord::Untagged(reference.familiar()));
        Ok(())
    }

    /// Removes the image record, then the layers and blobs nothing else holds. Returns the
    /// released layers' ChainIDs, top first, as Docker's layer store reports them.
    fn remove_image(&mut self, id: &ImageId) -> Result<Vec<String>, ImageError> {
        let inner = &self.store.inner;
        let image = self.state.images.remove(id).expect("resolved images exist");
        inner.records.remove(id)?;
        let chains = used_chain_ids(self.state);
        let released = image
            .chain_ids()
            .into_iter()
            .rev()
            .filter(|c| !chains.contains(c))
            .map(|c| c.to_string())
            .collect();
        let diffs = used_diff_ids(self.state);
        for diff in image.record.diff_ids.iter().filter(|d| !diffs.contains(*d)) {
            inner.layers.remove(diff)?;
        }
        let blobs = used_blobs(self.state);
        let mine = [id.digest()]
            .into_iter()
            .chain(&image.record.manifest)
            .chain(&image.record.layer_blobs)
            .collect::<BTreeSet<_>>();
        for blob in mine.into_iter().filter(|b| !blobs.contains(*b)) {
            inner.blobs.delete(blob)?;
        }
        Ok(released)
    }
}

/// moby's `checkImageDeleteConflict`, in its order: children, running container, references,
/// stopped container.
fn conflict(
    state: &State,
    id: &ImageId,
    mask: Mask,
    users: &dyn ImageUsers,
) -> Option<ConflictReason> {
    if mask.children && has_children(state, id) {
        return Some(ConflictReason::Children);
    }
    let using = if mask.running || mask.stopped {
        users.containers_using(id)
    } else {
        Vec::new()
    };
    if let Some(u) = using.iter().find(|u| u.running).filter(|_| mask.running) {
        return Some(ConflictReason::RunningContainer {
            container: u.container.clone(),
        });
    }
    if mask.references && state.refs.any(id) {
        return Some(ConflictReason::MultipleRepositories);
    }
    let stopped = using.iter().find(|u| !u.running).filter(|_| mask.stopped);
    stopped.map(|u| ConflictReason::StoppedContainer {
        container: u.container.clone(),
    })
}

/// moby's `imageIsDangling`: no references and no children.
fn is_dangling(state: &State, id: &ImageId) -> bool {
    !state.refs.any(id) && !has_children(state, id)
}

/// moby's `isImageIDPrefix`: whether `name` is a prefix of the ID with or without `sha256:`.
fn is_id_prefix(id: &ImageId, name: &str) -> bool {
    let full = id.to_string();
    full.starts_with(name) || id.digest().hex().starts_with(name)
}

/// moby's `isSingleReference`: all references are in one repository and at most one of them is
/// a tag. False for no references.
fn is_single_reference(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical = BTreeSet::new();
    for r in refs {
        if r.is_digest() {
            canonical.insert(r.name());
        } else if single.is_none() {
            single = Some(r);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&refs[0]);
    canonical.len() == 1 && canonical.contains(&single.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;

    fn r(s: &str) -> Reference {
        s.parse().unwrap()
    }

    #[test]
    fn single_reference_is_one_tag_plus_its_repositorys_digests() {
        let d = Digest::of(b"m");
        assert!(!is_single_reference(&[]));
        assert!(is_single_reference(&[r("bb")]));
        assert!(is_single_reference(&[r("bb"), r("bb").with_digest(&d)]));
        assert!(!is_single_reference(&[r("bb"), r("cc").with_digest(&d)]));
        assert!(!is_single_reference(&[r("m64:one"), r("m64:two")]));
        assert!(is_single_reference(&[r("bb").with_digest(&d)]));
    }

    #[test]
    fn id_prefix_accepts_both_forms() {
        let id = ImageId::new(Digest::of(b"x"));
        let hex = id.digest().hex().to_owned();
        assert!(is_id_prefix(&id, &hex[..5]));
        assert!(is_id_prefix(&id, &format!("sha256:{}", &hex[..3])));
        assert!(!is_id_prefix(&id, "bb"));
    }
}
