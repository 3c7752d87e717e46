//! `images`: the image list with Docker 20.10's rules (daemon/images/images.go). Tags and
//! digests come from the reference store; an image with neither is "untagged" and is listed
//! only with `all` or when it has no children; `dangling=true` keeps images without children
//! and without tags (a digest-only image counts as dangling). Newest config `created` first.
//! It owns selection and order; it never renders (`<none>:<none>` and the per-API-version
//! null/empty choices belong to the API layer, which sees empty lists here).

use std::collections::BTreeMap;

use crate::image::{Image, ImageId};
use crate::store::{State, Store};

/// Which images to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListOptions {
    /// `-a`: include untagged images that have children.
    pub all: bool,
    /// The `dangling` filter: `Some(true)` only dangling, `Some(false)` no untagged images.
    pub dangling: Option<bool>,
}

/// One image of the list (the fields of `GET /images/json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSummary {
    pub id: ImageId,
    pub parent_id: Option<ImageId>,
    /// Familiar `repo:tag`, sorted by full name; empty when untagged.
    pub repo_tags: Vec<String>,
    /// Familiar `repo@sha256:...`; empty when none.
    pub repo_digests: Vec<String>,
    /// The config's `created` in Unix seconds.
    pub created: i64,
    pub size: u64,
    pub virtual_size: u64,
    pub labels: Option<BTreeMap<String, String>>,
}

impl ImageSummary {
    /// Neither tags nor digests: what the CLI shows as `<none> <none>`.
    pub fn is_untagged(&self) -> bool {
        self.repo_tags.is_empty() && self.repo_digests.is_empty()
    }
}

impl Store {
    /// The image list; see the module docs.
    pub fn list(&self, options: ListOptions) -> Vec<ImageSummary> {
        let state = self.lock();
        let dangling_only = options.dangling == Some(true);
        let mut out: Vec<(i64, ImageSummary)> = Vec::new();
        for image in state.images.values() {
            let children = has_children(&state, image.id());
            if dangling_only && children {
                continue;
            }
            let summary = summarise(&state, image);
            if summary.is_untagged() {
                if (children && !options.all) || options.dangling == Some(false) {
                    continue;
                }
            } else if dangling_only && !summary.repo_tags.is_empty() {
                continue;
            }
            out.push((summary.created, summary));
        }
        // Docker's sort is not stable; the ID breaks ties so the order is reproducible.
        out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        out.into_iter().map(|(_, s)| s).collect()
    }
}

fn summarise(state: &State, image: &Image) -> ImageSummary {
    let refs = state.refs.of(image.id());
    let (digests, tags): (Vec<_>, Vec<_>) = refs.iter().partition(|r| r.is_digest());
    ImageSummary {
        id: image.id().clone(),
        parent_id: image.record.parent.clone(),
        repo_tags: tags.iter().map(|r| r.familiar()).collect(),
        repo_digests: digests.iter().map(|r| r.familiar()).collect(),
        created: image.created().unix_seconds(),
        size: image.record.size,
        virtual_size: image.record.size,
        labels: image.config.config.as_ref().and_then(|c| c.labels.clone()),
    }
}

pub(crate) fn has_children(state: &State, id: &ImageId) -> bool {
    state
        .images
        .values()
        .any(|i| i.record.parent.as_ref() == Some(id))
}
