//! `images`: the image list with the classic store's rule for untagged images (shown without
//! `-a` only when nothing has them as parent), newest config `created` first.

use crate::model::Model;
use crate::response::ImageSummary;

impl Model {
    /// `docker images [-a] [REFERENCE]`. With a reference, as dockerd's `Images`: an image is
    /// listed when one of its references matches (the whole familiar reference, or its name),
    /// and it shows only the references that match; untagged images are never listed then.
    pub(crate) fn image_list(&self, all: bool, reference: Option<&str>) -> Vec<ImageSummary> {
        let mut list: Vec<ImageSummary> = Vec::with_capacity(self.store.len());
        for stored in self.store.stored() {
            let image = &stored.image;
            if stored.refs.is_empty()
                && (reference.is_some() || (!all && !stored.children.is_empty()))
            {
                continue;
            }
            let (mut repo_tags, mut repo_digests) = (Vec::new(), Vec::new());
            for entry in self.store.refs_of(&image.id) {
                if let Some(wanted) = reference {
                    let familiar: &str = &entry.familiar;
                    if wanted != familiar && wanted != familiar_name(familiar) {
                        continue;
                    }
                }
                match entry.reference.is_canonical() {
                    true => repo_digests.push(entry.familiar.clone()),
                    false => repo_tags.push(entry.familiar.clone()),
                }
            }
            if reference.is_some() && repo_tags.is_empty() && repo_digests.is_empty() {
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
        list.sort_unstable_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        list
    }
}

/// The repository part of a familiar reference (`hello-world` of `hello-world:latest` or of
/// `hello-world@sha256:...`; a registry's port is not a tag).
fn familiar_name(familiar: &str) -> &str {
    if let Some((name, _)) = familiar.split_once('@') {
        return name;
    }
    match familiar.rfind(':') {
        Some(i) if !familiar[i..].contains('/') => &familiar[..i],
        _ => familiar,
    }
}
