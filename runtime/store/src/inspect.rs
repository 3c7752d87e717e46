//! `image inspect` and `history`: the data of `GET /images/{name}/json` and
//! `GET /images/{name}/history` as Docker 20.10 computes them (`LookupImage`,
//! `ImageHistory`). Field names serialise as the Engine API spells them, for API 1.41; the API
//! layer drops what newer versions removed. It owns gathering the data; it never formats for a
//! terminal.

use serde::Serialize;

use crate::config::RunConfig;
use crate::error::ImageError;
use crate::image::Image;
use crate::store::{resolve_in, State, Store};
use berth_core::Timestamp;

/// `GET /images/{name}/json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub parent: String,
    pub comment: String,
    pub created: String,
    pub container: String,
    pub container_config: RunConfig,
    pub docker_version: String,
    pub author: String,
    pub config: Option<RunConfig>,
    pub architecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    pub os: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    pub size: u64,
    pub virtual_size: u64,
    #[serde(rename = "RootFS")]
    pub root_fs: RootFsInspect,
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootFsInspect {
    #[serde(rename = "Type")]
    pub kind: String,
    pub layers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    pub last_tag_time: String,
}

/// One row of `GET /images/{name}/history`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryItem {
    /// The image ID for rows that belong to a local image, else `<missing>`.
    pub id: String,
    pub created: i64,
    pub created_by: String,
    /// Familiar tags (no digests) of that image, or none.
    pub tags: Option<Vec<String>>,
    pub size: u64,
    pub comment: String,
}

impl Store {
    /// Inspect data of the image `name` resolves to.
    pub fn inspect(&self, name: &str) -> Result<ImageInspect, ImageError> {
        let state = self.lock();
        let id = resolve_in(&state, name)?;
        Ok(inspect_image(&state, &state.images[&id]))
    }

    /// The history of the image `name` resolves to, newest first (Docker's `ImageHistory`).
    pub fn history(&self, name: &str) -> Result<Vec<HistoryItem>, ImageError> {
        let state = self.lock();
        let id = resolve_in(&state, name)?;
        let image = &state.images[&id];
        let mut rows = self.history_rows(image)?;
        let mut current = Some(image);
        for row in &mut rows {
            let Some(owner) = current else { break };
            row.id = owner.id().to_string();
            let tags: Vec<String> = state
                .refs
                .of(owner.id())
                .iter()
                .filter(|r| !r.is_digest())
                .map(|r| r.familiar())
                .collect();
            row.tags = (!tags.is_empty()).then_some(tags);
            current = owner
                .record
                .parent
                .as_ref()
                .and_then(|p| state.images.get(p));
        }
        Ok(rows)
    }

    /// One row per config history entry, with the size of the layer a non-empty entry made.
    fn history_rows(&self, image: &Image) -> Result<Vec<HistoryItem>, ImageError> {
        let mut layers = image.record.diff_ids.iter();
        let mut rows = Vec::new();
        for entry in &image.config.history {
            let size = match entry.empty_layer {
                true => 0,
                false => match layers.next() {
                    Some(diff) => self.inner.layers.record(diff)?.size,
                    None => 0,
                },
            };
            let created = entry.created.as_deref().and_then(Timestamp::parse);
            rows.push(HistoryItem {
                id: "<missing>".into(),
                created: created.unwrap_or(Timestamp::ZERO).unix_seconds(),
                created_by: entry.created_by.clone().unwrap_or_default(),
                tags: None,
                size,
                comment: entry.comment.clone().unwrap_or_default(),
            });
        }
        rows.reverse();
        Ok(rows)
    }
}

fn inspect_image(state: &State, image: &Image) -> ImageInspect {
    let config = &image.config;
    let refs = state.refs.of(image.id());
    let (digests, tags): (Vec<_>, Vec<_>) = refs.iter().partition(|r| r.is_digest());
    // Docker falls back to the last history entry's comment when the config has none.
    let comment = match config.comment.as_deref().unwrap_or_default() {
        "" => config
            .history
            .last()
            .and_then(|h| h.comment.clone())
            .unwrap_or_default(),
        c => c.to_owned(),
    };
    ImageInspect {
        id: image.id().to_string(),
        repo_tags: tags.iter().map(|r| r.familiar()).collect(),
        repo_digests: digests.iter().map(|r| r.familiar()).collect(),
        parent: image
            .record
            .parent
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        comment,
        created: image.created().rfc3339_nano(),
        container: config.container.clone().unwrap_or_default(),
        container_config: config.container_config.clone().unwrap_or_default(),
        docker_version: config.docker_version.clone().unwrap_or_default(),
        author: config.author.clone().unwrap_or_default(),
        config: config.config.clone(),
        architecture: config.architecture.clone(),
        variant: config.variant.clone().unwrap_or_default(),
        os: config.os.clone(),
        os_version: config.os_version.clone().unwrap_or_default(),
        size: image.record.size,
        virtual_size: image.record.size,
        root_fs: RootFsInspect {
            kind: config.rootfs.kind.clone(),
            layers: image
                .record
                .diff_ids
                .iter()
                .map(ToString::to_string)
                .collect(),
        },
        metadata: Metadata {
            last_tag_time: image
                .record
                .last_tag_time
                .clone()
                .unwrap_or_else(|| Timestamp::ZERO.rfc3339_nano()),
        },
    }
}
