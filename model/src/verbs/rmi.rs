//! `rmi`: moby 20.10's `ImageDelete`, rule for rule. By reference it untags first (refusing
//! when that would orphan an image a container uses); by ID it removes every reference when
//! they are all in one repository; then the image goes unless a conflict stops it, releasing
//! layers nothing else holds and pruning untagged parents. Conflicts name "the first"
//! container using the image, which in Docker is map order: the model accepts any of them.

use crate::error::ModelError;
use crate::ids::ImageId;
use crate::model::{Answer, Model};
use crate::mutation::Mutation;
use crate::response::{DeleteItem, Response};
use berth_format::reference::{is_image_id_prefix, Reference};

/// An `rmi` failure, with the equally valid messages Docker may pick instead.
struct Rejected {
    error: ModelError,
    alternatives: Vec<ModelError>,
}

impl From<ModelError> for Rejected {
    fn from(error: ModelError) -> Self {
        Rejected {
            error,
            alternatives: Vec::new(),
        }
    }
}

/// What stands in the way of deleting an image.
struct Conflict {
    hard: bool,
    /// A container uses the image (as opposed to references or children).
    used: bool,
    whys: Vec<String>,
}

/// Which conflicts a check looks for (moby's `conflictType` bits).
#[derive(Clone, Copy)]
struct Mask {
    child: bool,
    running: bool,
    reference: bool,
    stopped: bool,
}

const HARD: Mask = Mask {
    child: true,
    running: true,
    reference: false,
    stopped: false,
};
const ALL: Mask = Mask {
    child: true,
    running: true,
    reference: true,
    stopped: true,
};

impl Model {
    pub(crate) fn rmi_all(&mut self, targets: &[String], force: bool) -> Answer {
        let mut results = Vec::new();
        let mut racing: Option<(usize, Vec<ModelError>)> = None;
        for (i, target) in targets.iter().enumerate() {
            match self.rmi_one(target, force) {
                Ok(items) => results.push((target.clone(), Ok(Response::ImageDeleted(items)))),
                Err(rejected) => {
                    if racing.is_none() && !rejected.alternatives.is_empty() {
                        racing = Some((i, rejected.alternatives));
                    }
                    results.push((target.clone(), Err(rejected.error)));
                }
            }
        }
        let Some((at, alternatives)) = racing else {
            return Answer::One(Ok(Response::PerTarget(results)));
        };
        let mut branches = vec![(
            Ok(Response::PerTarget(results.clone())),
            Box::new(self.clone()),
        )];
        for error in alternatives {
            let mut other = results.clone();
            other[at].1 = Err(error);
            branches.push((Ok(Response::PerTarget(other)), Box::new(self.clone())));
        }
        Answer::Any(branches)
    }

    fn rmi_one(&mut self, arg: &str, force: bool) -> Result<Vec<DeleteItem>, Rejected> {
        let id = self.find_image(arg)?;
        let mut records = Vec::new();
        let refs = self.refs_to(&id);
        let mut quiet = false;
        if !is_image_id_prefix(id.as_str(), arg) {
            if !force && is_single_reference(&refs) {
                self.check_untag(arg, &id)?;
            }
            let removed: Reference = arg
                .parse::<Reference>()
                .map_err(|e| self.profile.reference_error(&e.to_string()))?;
            let removed = removed.with_default_tag();
            self.store.remove_ref(&removed.to_string());
            records.push(DeleteItem::Untagged(removed.familiar()));
            self.drop_orphaned_digests(&id, &removed, &mut records);
            if !self.refs_to(&id).is_empty() {
                return Ok(records);
            }
            quiet = true;
        } else if is_single_reference(&refs) {
            let mask = if force {
                HARD
            } else {
                Mask {
                    reference: false,
                    ..ALL
                }
            };
            if let Some(conflict) = self.conflict(&id, mask) {
                return Err(self.rejection(&id, conflict));
            }
            self.untag_all(&id, &mut records);
        }
        self.delete_image(&id, force, quiet, &mut records)?;
        Ok(records)
    }

    /// Untagging the only reference of an image a container uses needs `-f`.
    fn check_untag(&self, arg: &str, id: &ImageId) -> Result<(), Rejected> {
        let mut errors = self
            .containers
            .values()
            .filter(|c| c.image_id() == id)
            .map(|c| self.profile.untag_conflict(arg, c.id.short(), id.short()));
        match errors.next() {
            Some(error) => Err(Rejected {
                error,
                alternatives: errors.collect(),
            }),
            None => Ok(()),
        }
    }

    /// After a tag goes, digest references of the same repository go too when no other tag
    /// of that repository still points at the image.
    fn drop_orphaned_digests(
        &mut self,
        id: &ImageId,
        removed: &Reference,
        records: &mut Vec<DeleteItem>,
    ) {
        let refs = self.refs_to(id);
        let tag_left = refs
            .iter()
            .any(|r| !r.is_canonical() && r.name() == removed.name());
        if tag_left {
            return;
        }
        for digest_ref in refs
            .iter()
            .filter(|r| r.is_canonical() && r.name() == removed.name())
        {
            self.store.remove_ref(&digest_ref.to_string());
            records.push(DeleteItem::Untagged(digest_ref.familiar()));
        }
    }

    fn untag_all(&mut self, id: &ImageId, records: &mut Vec<DeleteItem>) {
        for reference in self.refs_to(id) {
            self.store.remove_ref(&reference.to_string());
            records.push(DeleteItem::Untagged(reference.familiar()));
        }
    }

    /// moby's `imageDeleteHelper`, with parent pruning.
    fn delete_image(
        &mut self,
        id: &ImageId,
        force: bool,
        quiet: bool,
        records: &mut Vec<DeleteItem>,
    ) -> Result<(), Rejected> {
        let mask = if force { HARD } else { ALL };
        if let Some(conflict) = self.conflict(id, mask) {
            if quiet && (!self.is_dangling(id) || conflict.used) {
                return Ok(());
            }
            return Err(self.rejection(id, conflict));
        }
        let parent = self
            .store
            .get(id)
            .expect("checked by the caller")
            .parent
            .clone();
        self.untag_all(id, records);
        let image = self.store.remove(id).expect("checked by the caller");
        records.push(DeleteItem::Deleted(id.clone()));
        // Layers the deleted image held alone are released, top first, as the layer store does.
        for chain in image.chain.iter().rev().filter(|c| !self.chain_held(c)) {
            records.push(DeleteItem::Deleted(chain.clone()));
        }
        match parent {
            Some(parent) if self.store.contains(&parent) => {
                self.delete_image(&parent, false, true, records)
            }
            _ => Ok(()),
        }
    }

    fn is_dangling(&self, id: &ImageId) -> bool {
        self.store.refs_of(id).next().is_none() && !self.store.has_children(id)
    }

    /// The first conflict in moby's order: children, running containers, references, stopped
    /// containers. Container conflicts list every container that could be named.
    fn conflict(&self, id: &ImageId, mask: Mask) -> Option<Conflict> {
        if mask.child && self.store.has_children(id) && !self.mutated(Mutation::NoChildConflict) {
            return Some(Conflict {
                hard: true,
                used: false,
                whys: vec!["image has dependent child images".into()],
            });
        }
        let users = |running: bool| -> Vec<String> {
            self.containers
                .values()
                .filter(|c| c.image_id() == id && c.state.is_running() == running)
                .map(|c| c.id.short().to_string())
                .collect()
        };
        let running = users(true);
        if mask.running && !running.is_empty() {
            let whys = running
                .iter()
                .map(|c| format!("image is being used by running container {c}"))
                .collect();
            return Some(Conflict {
                hard: true,
                used: true,
                whys,
            });
        }
        if mask.reference && self.store.refs_of(id).next().is_some() {
            return Some(Conflict {
                hard: false,
                used: false,
                whys: vec!["image is referenced in multiple repositories".into()],
            });
        }
        let stopped = users(false);
        if mask.stopped && !stopped.is_empty() {
            let whys = stopped
                .iter()
                .map(|c| format!("image is being used by stopped container {c}"))
                .collect();
            return Some(Conflict {
                hard: false,
                used: true,
                whys,
            });
        }
        None
    }

    fn rejection(&self, id: &ImageId, conflict: Conflict) -> Rejected {
        let mut errors = conflict
            .whys
            .iter()
            .map(|why| self.profile.delete_conflict(id.short(), conflict.hard, why));
        let error = errors.next().expect("a conflict has a reason");
        Rejected {
            error,
            alternatives: errors.collect(),
        }
    }

    /// References to `id`, sorted by their full form as moby's reference store sorts them.
    pub(crate) fn refs_to(&self, id: &ImageId) -> Vec<Reference> {
        self.store
            .refs_of(id)
            .map(|e| e.reference.clone())
            .collect()
    }
}

/// moby's `isSingleReference`: exactly one tag (plus any digests of that same repository), or
/// digests of one repository only.
fn is_single_reference(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical_repos = std::collections::BTreeSet::new();
    for r in refs {
        if r.is_canonical() {
            canonical_repos.insert(r.name());
        } else if single.is_none() {
            single = Some(r);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&refs[0]);
    canonical_repos.len() == 1 && canonical_repos.contains(&single.name())
}
