//! `images`: the image list with the classic store's rule for untagged images (shown without
//! `-a` only when nothing has them as parent), newest config `created` first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::ids::ImageId;
use crate::model::Model;
use crate::response::ImageSummary;

impl Model {
    pub(crate) fn image_list(&self, all: bool) -> Vec<ImageSummary> {
        // One pass each over references and parents keeps the listing linear in the store.
        type Refs = (Vec<Arc<str>>, Vec<Arc<str>>);
        let mut refs: BTreeMap<&ImageId, Refs> = BTreeMap::new();
        for entry in self.refs.values() {
            let (tags, digests) = refs.entry(&entry.image).or_default();
            match entry.reference.is_canonical() {
                true => digests.push(entry.familiar.clone()),
                false => tags.push(entry.familiar.clone()),
            }
        }
        let parents: BTreeSet<&ImageId> = self
            .images
            .values()
            .filter_map(|i| i.parent.as_ref())
            .collect();
        let mut list: Vec<ImageSummary> = Vec::with_capacity(self.images.len());
        for image in self.images.values() {
            let (repo_tags, repo_digests) = refs.remove(&image.id).unwrap_or_default();
            let untagged = repo_tags.is_empty() && repo_digests.is_empty();
            if untagged && !all && parents.contains(&image.id) {
                continue;
            }
            list.push(ImageSummary {
                id: image.id.clone(),
                parent: image.parent.clone(),
                repo_tags,
                repo_digests,
                created: image.created,
                size: image.size(),
            });
        }
        list.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        list
    }
}
