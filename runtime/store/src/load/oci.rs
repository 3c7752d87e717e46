//! OCI image layouts (`oci-layout`, `index.json`, `blobs/`). Each manifest the index lists is
//! one image (a nested index is resolved to the host's platform); its name comes from the
//! `io.containerd.image.name` annotation, or from `org.opencontainers.image.ref.name`, which is
//! either a full reference or a bare tag applied to the repository the caller names.

use std::collections::HashMap;

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest, MediaType};

use super::source::Source;
use super::{tag_lines, unpack_missing, LoadError, LoadOptions, LoadReport};
use crate::digest::Digest;
use crate::image::ImageId;
use crate::store::Store;
use berth_core::reference::Reference;

const CONTAINERD_NAME: &str = "io.containerd.image.name";
const REF_NAME: &str = "org.opencontainers.image.ref.name";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Nested indexes deeper than this are refused rather than followed.
const MAX_DEPTH: usize = 4;

pub fn load(
    store: &Store,
    source: &dyn Source,
    options: &LoadOptions,
) -> Result<LoadReport, LoadError> {
    let index = parse_index(&source.read("index.json")?)?;
    let mut report = LoadReport::default();
    for top in index.manifests() {
        let tags = names(top, options)?;
        let manifest = resolve_platform(source, top, 0)?;
        let id = load_manifest(store, source, &manifest, &tags, &mut report.lines)?;
        if tags.is_empty() {
            report.lines.push(format!("Loaded image ID: {id}"));
        }
        report.images.push(id);
    }
    Ok(report)
}

fn load_manifest(
    store: &Store,
    source: &dyn Source,
    descriptor: &Descriptor,
    tags: &[Reference],
    lines: &mut Vec<String>,
) -> Result<ImageId, LoadError> {
    let manifest_bytes = read_blob(source, descriptor)?;
    let manifest =
        ImageManifest::from_reader(&manifest_bytes[..]).map_err(|e| LoadError::Format {
            reason: format!("invalid image manifest: {e}"),
        })?;
    let config = read_blob(source, manifest.config())?;
    let plan = store.begin_import(&manifest_bytes, &config)?;
    let members: Vec<String> = manifest.layers().iter().map(blob_member).collect();
    unpack_missing(&plan, source, &members)?;
    tag_lines(store, &plan, tags, lines);
    Ok(plan.finish(tags)?)
}

/// Follows a descriptor through nested indexes to the manifest for this host's platform.
fn resolve_platform(
    source: &dyn Source,
    descriptor: &Descriptor,
    depth: usize,
) -> Result<Descriptor, LoadError> {
    if !is_index(descriptor.media_type()) {
        return Ok(descriptor.clone());
    }
    if depth >= MAX_DEPTH {
        return Err(LoadError::Format {
            reason: "image indexes nested too deeply".into(),
        });
    }
    let index = parse_index(&read_blob(source, descriptor)?)?;
    let chosen = index
        .manifests()
        .iter()
        .find(|d| matches_host(d))
        .ok_or_else(|| LoadError::Unsupported {
            reason: format!(
                "no manifest for linux/{} in {}",
                host_arch(),
                descriptor.digest()
            ),
        })?;
    resolve_platform(source, chosen, depth + 1)
}

fn is_index(media: &MediaType) -> bool {
    matches!(media, MediaType::ImageIndex) || media.to_string() == DOCKER_LIST
}

/// A descriptor without a platform matches anything (single-platform indexes omit it).
fn matches_host(descriptor: &Descriptor) -> bool {
    match descriptor.platform() {
        None => true,
        Some(p) => p.os().to_string() == "linux" && p.architecture().to_string() == host_arch(),
    }
}

/// The host's architecture in OCI (Go) terms.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The tags a top-level index entry asks for.
fn names(descriptor: &Descriptor, options: &LoadOptions) -> Result<Vec<Reference>, LoadError> {
    let empty = HashMap::new();
    let annotations = descriptor.annotations().as_ref().unwrap_or(&empty);
    if let Some(full) = annotations.get(CONTAINERD_NAME) {
        return Ok(vec![full.parse()?]);
    }
    let Some(name) = annotations.get(REF_NAME) else {
        return Ok(Vec::new());
    };
    if name.contains(['/', ':', '@']) {
        return Ok(vec![name.parse()?]);
    }
    match &options.repository {
        Some(repository) => Ok(vec![repository.parse::<Reference>()?.with_tag(name)?]),
        None => Ok(Vec::new()),
    }
}

fn parse_index(bytes: &[u8]) -> Result<ImageIndex, LoadError> {
    ImageIndex::from_reader(bytes).map_err(|e| LoadError::Format {
        reason: format!("invalid image index: {e}"),
    })
}

fn blob_member(descriptor: &Descriptor) -> String {
    let digest = descriptor.digest();
    format!("blobs/{}/{}", digest.algorithm(), digest.digest())
}

/// Reads a small blob (index, manifest, config) and checks it against its descriptor.
fn read_blob(source: &dyn Source, descriptor: &Descriptor) -> Result<Vec<u8>, LoadError> {
    let bytes = source.read(&blob_member(descriptor))?;
    let expected: Digest =
        descriptor
            .digest()
            .to_string()
            .parse()
            .map_err(|e| LoadError::Format {
                reason: format!("descriptor digest: {e}"),
            })?;
    let actual = Digest::of(&bytes);
    if actual != expected {
        return Err(LoadError::Format {
            reason: format!("blob digest mismatch: expected {expected}, got {actual}"),
        });
    }
    Ok(bytes)
}
