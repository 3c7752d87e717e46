//! `images`: the image list with the classic store's rule for untagged images (shown without
//! `-a` only when nothing has them as parent), newest config `created` first.

use crate::model::Model;
use crate::response::ImageSummary;

impl Model {
    pub(crate) fn image_list(&self, all: bool) -> Vec<ImageSummary> {
        let mut list: Vec<ImageSummary> = Vec::with_capacity(self.store.len());
        for stored in self.store.stored() {
            let image = &stored.image;
            if stored.refs.is_empty() && !all && !stored.children.is_empty() {
                continue;
            }
            let (mut repo_tags, mut repo_digests) = (Vec::new(), Vec::new());
            for entry in self.store.refs_of(&image.id) {
                match entry.reference.is_canonical() {
                    true => repo_digests.push(entry.familiar.clone()),
                    false => repo_tags.push(entry.familiar.clone()),
                }
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
        list.sort_unstable_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        list
    }
}
