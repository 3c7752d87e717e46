//! `images`: the image list with the classic store's rule for untagged images (shown without
//! `-a` only when nothing has them as parent), newest config `created` first.

use crate::model::Model;
use crate::response::ImageSummary;

impl Model {
    pub(crate) fn image_list(&self, all: bool) -> Vec<ImageSummary> {
        let mut list: Vec<ImageSummary> = Vec::new();
        for image in self.images.values() {
            let (repo_tags, repo_digests) = self.repo_refs(&image.id);
            let untagged = repo_tags.is_empty() && repo_digests.is_empty();
            if untagged && !all && self.children(&image.id).next().is_some() {
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
