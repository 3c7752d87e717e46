//! `docker save` archives: `manifest.json` lists each image's config, tags and layer members
//! (`<id>/layer.tar` in the classic layout, `blobs/sha256/<hex>` in the OCI-style one Docker 25+
//! writes). Loading follows moby 20.10's `tarexporter.Load`: layers verified against the
//! config's DiffIDs, tags applied (moving them from other images with Docker's warning), parent
//! links kept only between images of the same archive, and `Loaded image ID:` lines printed
//! only when the last image had no tags.

use serde::Deserialize;

use super::source::Source;
use super::{tag_lines, unpack_missing, LoadError, LoadReport};
use crate::config::ImageConfig;
use crate::digest::Digest;
use crate::image::ImageId;
use crate::store::Store;
use berth_core::reference::Reference;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
    #[serde(default)]
    parent: Option<String>,
}

pub fn load(store: &Store, source: &dyn Source) -> Result<LoadReport, LoadError> {
    let manifest = source.read("manifest.json")?;
    let items: Vec<ManifestItem> =
        serde_json::from_slice(&manifest).map_err(|e| LoadError::Format {
            reason: format!("invalid manifest.json: {e}"),
        })?;
    let mut report = LoadReport::default();
    let mut id_lines = Vec::new();
    let mut tagged = 0;
    let mut parents = Vec::new();
    for item in &items {
        let tags = parse_tags(item)?;
        let id = load_one(store, source, item, &tags, &mut report.lines)?;
        id_lines.push(format!("Loaded image ID: {id}"));
        tagged = tags.len();
        parents.push((id.clone(), item.parent.clone()));
        report.images.push(id);
    }
    for (child, parent) in parents {
        let parent = parent.and_then(|p| p.parse::<ImageId>().ok());
        // Docker keeps a parent link only when the parent came in the same archive.
        if let Some(parent) = parent.filter(|p| report.images.contains(p) && *p != child) {
            store.set_parent(&child, &parent)?;
        }
    }
    if tagged == 0 {
        report.lines.extend(id_lines);
    }
    Ok(report)
}

fn load_one(
    store: &Store,
    source: &dyn Source,
    item: &ManifestItem,
    tags: &[Reference],
    lines: &mut Vec<String>,
) -> Result<ImageId, LoadError> {
    let config = source.read(&item.config)?;
    let layer_count = ImageConfig::parse(&config)
        .map(|c| c.rootfs.diff_ids.len())
        .map_err(|e| LoadError::Format {
            reason: format!("invalid image config {}: {e}", item.config),
        })?;
    if layer_count != item.layers.len() {
        return Err(LoadError::Format {
            reason: format!(
                "invalid manifest, layers length mismatch: expected {}, got {layer_count}",
                item.layers.len()
            ),
        });
    }
    let blobs = item.layers.iter().map(|l| (blob_digest(l), 0)).collect();
    let plan = store.begin_import_config(&config, blobs)?;
    unpack_missing(&plan, source, &item.layers)?;
    tag_lines(store, &plan, tags, lines);
    Ok(plan.finish(tags)?)
}

/// An OCI-style member name (`blobs/sha256/<hex>`) names the layer blob's digest.
fn blob_digest(member: &str) -> Option<Digest> {
    let hex = member.strip_prefix("blobs/sha256/")?;
    Digest::from_hex(hex).ok()
}

fn parse_tags(item: &ManifestItem) -> Result<Vec<Reference>, LoadError> {
    let mut tags = Vec::new();
    for text in item.repo_tags.iter().flatten() {
        let tag: Reference = text.parse()?;
        if tag.is_digest() {
            return Err(LoadError::Format {
                reason: format!("invalid tag {text:?}"),
            });
        }
        tags.push(tag);
    }
    Ok(tags)
}
