//! `container prune` and `image prune`, as dockerd 20.10 does them (daemon/prune.go and
//! daemon/images/image_prune.go): every container that is not running, and every dangling image
//! (or, with `dangling=false`, every image) that no container uses, within the `until` and
//! `label` filters. An object another client removed or still needs meanwhile (a conflict) is
//! skipped, not reported. The space reclaimed is the containers' writable layers and the image
//! layers that left the store.

use std::collections::{BTreeMap, BTreeSet};

use berth_core::{ErrorKind, Kind};
use berth_store::{DeleteRecord, ListOptions};

use super::{Engine, EngineError};

/// The filters both prunes take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneFilters {
    /// Only objects created before this instant (Unix nanoseconds).
    pub until: Option<i128>,
    /// `label=KEY[=VALUE]`: every one must match.
    pub labels: Vec<String>,
    /// `label!=KEY[=VALUE]`: objects matching all of them are kept.
    pub not_labels: Vec<String>,
    /// Images only: untagged images alone (the default), or every unused image.
    pub dangling_only: bool,
}

impl Default for PruneFilters {
    fn default() -> PruneFilters {
        PruneFilters {
            until: None,
            labels: Vec::new(),
            not_labels: Vec::new(),
            dangling_only: true,
        }
    }
}

impl PruneFilters {
    /// moby's `matchLabels`, after its `until` check (created after `until` is kept).
    fn admits(&self, created: Option<i128>, labels: &BTreeMap<String, String>) -> bool {
        if let (Some(until), Some(created)) = (self.until, created) {
            if created > until {
                return false;
            }
        }
        match_kv_list(&self.labels, labels)
            && (self.not_labels.is_empty() || !match_kv_list(&self.not_labels, labels))
    }
}

/// moby's `filters.MatchKVList`: no filter matches everything; otherwise every `KEY` must be
/// present and every `KEY=VALUE` present with that value.
pub fn match_kv_list(filters: &[String], labels: &BTreeMap<String, String>) -> bool {
    if filters.is_empty() {
        return true;
    }
    !labels.is_empty()
        && filters.iter().all(|f| match f.split_once('=') {
            Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
            None => labels.contains_key(f.as_str()),
        })
}

/// What `POST /containers/prune` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainersPruned {
    /// Full IDs, in the order they were removed.
    pub deleted: Vec<String>,
    pub space_reclaimed: u64,
}

/// What `POST /images/prune` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagesPruned {
    pub deleted: Vec<DeleteRecord>,
    pub space_reclaimed: u64,
}

impl Engine {
    /// `docker container prune`: removes every container that is not running.
    pub fn prune_containers(
        &self,
        filters: &PruneFilters,
    ) -> Result<ContainersPruned, EngineError> {
        let mut pruned = ContainersPruned::default();
        for c in self.ps(true) {
            if c.state.status.is_running() {
                continue;
            }
            let created = c.config.created.unix_nanos();
            if !filters.admits(created, &c.config.config.labels) {
                continue;
            }
            // Read by descriptors: a container started since the listing may be changing it.
            let size = self.containers.size_rw(c.config.id.as_str()).unwrap_or(0);
            match self.rm(c.config.id.as_str(), false) {
                Ok(()) => {
                    pruned.deleted.push(c.config.id.to_string());
                    pruned.space_reclaimed += size;
                }
                Err(e) if skippable(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(pruned)
    }

    /// `docker image prune [-a]`: removes the unused images the filters admit, by each of
    /// their references (or by ID when they have none), pruning untagged parents as `rmi` does.
    pub fn prune_images(&self, filters: &PruneFilters) -> Result<ImagesPruned, EngineError> {
        self.release_orphaned_leases(false)?;
        let layers_before = self.layer_sizes();
        let used: BTreeSet<String> = self
            .ps(true)
            .into_iter()
            .map(|c| c.config.image_id)
            .collect();
        let candidates = self.store.list(ListOptions {
            // dangling-only looks at the top of each chain (moby's `Heads`), `-a` at every image.
            all: !filters.dangling_only,
            dangling: None,
        });
        let mut pruned = ImagesPruned::default();
        for image in candidates {
            let id = image.id.to_string();
            let created = i128::from(image.created) * 1_000_000_000;
            let labels = image.labels.clone().unwrap_or_default();
            if used.contains(&id) || !filters.admits(Some(created), &labels) {
                continue;
            }
            if filters.dangling_only && !image.repo_tags.is_empty() {
                continue;
            }
            let names: Vec<String> = match image.is_untagged() {
                true => vec![id],
                false => image
                    .repo_tags
                    .iter()
                    .chain(&image.repo_digests)
                    .cloned()
                    .collect(),
            };
            for name in names {
                match self.rmi(&name, false) {
                    Ok(records) => pruned.deleted.extend(records),
                    Err(e) if skippable(&e) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let layers_after = self.layer_sizes();
        pruned.space_reclaimed = layers_before
            .iter()
            .filter(|(diff_id, _)| !layers_after.contains_key(*diff_id))
            .map(|(_, size)| size)
            .sum();
        Ok(pruned)
    }

    /// Every unpacked layer's size, by DiffID. Only the reclaimed-space figure depends on it,
    /// so a layer that cannot be read counts as nothing rather than failing the prune.
    fn layer_sizes(&self) -> BTreeMap<String, u64> {
        let layers = self.store.layers();
        let listed = layers.list().unwrap_or_default();
        listed
            .into_iter()
            .filter_map(|diff_id| {
                let size = layers.record(&diff_id).ok()?.size;
                Some((diff_id.to_string(), size))
            })
            .collect()
    }
}

/// A conflict or a vanished object: moby's `imageDeleteFailed` and the container prune skip
/// these and go on.
fn skippable(e: &EngineError) -> bool {
    matches!(e.kind(), ErrorKind::Conflict | ErrorKind::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn label_filters_match_as_mobys_match_kv_list() {
        let l = labels(&[("a", "1"), ("b", "")]);
        assert!(match_kv_list(&[], &BTreeMap::new()));
        assert!(match_kv_list(&strings(&["a", "b="]), &l));
        assert!(match_kv_list(&strings(&["a=1"]), &l));
        assert!(!match_kv_list(&strings(&["a=2"]), &l));
        assert!(!match_kv_list(&strings(&["a", "c"]), &l));
        assert!(!match_kv_list(&strings(&["a"]), &BTreeMap::new()));
    }

    #[test]
    fn until_and_negated_labels_keep_objects() {
        let f = PruneFilters {
            until: Some(100),
            not_labels: strings(&["keep"]),
            ..PruneFilters::default()
        };
        assert!(f.admits(Some(100), &BTreeMap::new()));
        assert!(!f.admits(Some(101), &BTreeMap::new()));
        assert!(!f.admits(Some(1), &labels(&[("keep", "")])));
        assert!(f.admits(Some(1), &labels(&[("other", "")])));
    }
}
