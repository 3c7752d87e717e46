//! Manifest formats: which ones we ask for, how we tell them apart and how we parse them.
//! Docker schema 2 manifests and manifest lists have the same shape as OCI manifests and
//! indexes, so both parse into `oci_spec`'s types; the media type is kept as received.
//! Schema 1 is refused with dockerd 28's text. Nothing here touches the network.

use crate::error::RegistryError;
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header of a manifest request: every format we can pull, as dockerd sends it
/// (one type per header value, joined here).
pub const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json";

/// Manifests larger than this are refused before they are parsed (containerd uses 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Image configs larger than this are refused (they are read into memory).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// A parsed manifest document: an image manifest or an index of them (boxed: they are
/// large and the enum is moved around).
#[derive(Debug, Clone)]
pub enum Manifest {
    Image {
        media_type: String,
        manifest: Box<ImageManifest>,
    },
    Index {
        media_type: String,
        index: Box<ImageIndex>,
    },
}

/// Which of the two shapes a media type names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Image,
    Index,
    Schema1,
}

fn shape_of(media_type: &str) -> Option<Shape> {
    match media_type {
        DOCKER_MANIFEST | OCI_MANIFEST => Some(Shape::Image),
        DOCKER_MANIFEST_LIST | OCI_INDEX => Some(Shape::Index),
        DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED => Some(Shape::Schema1),
        _ => None,
    }
}

/// Just enough of any manifest to decide its shape when the Content-Type does not say.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sniff {
    schema_version: Option<u32>,
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
    config: Option<serde_json::Value>,
}

/// Parses manifest bytes. `content_type` is the response's Content-Type (parameters already
/// stripped); the document's own `mediaType`, then its fields, decide when that is generic.
/// `what` names the manifest in errors.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    what: &str,
) -> Result<Manifest, RegistryError> {
    let invalid = |reason: String| RegistryError::InvalidManifest {
        what: what.to_owned(),
        reason,
    };
    let sniff: Sniff = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    let declared = content_type
        .filter(|t| shape_of(t).is_some())
        .map(str::to_owned);
    let media_type = declared
        .or_else(|| sniff.media_type.clone())
        .unwrap_or_default();
    let shape = match (shape_of(&media_type), sniff.schema_version) {
        (_, Some(1)) => Some(Shape::Schema1),
        (Some(shape), _) => Some(shape),
        (None, _) if sniff.manifests.is_some() => Some(Shape::Index),
        (None, _) if sniff.config.is_some() => Some(Shape::Image),
        (None, _) => None,
    };
    match shape {
        Some(Shape::Schema1) => Err(RegistryError::Schema1 {
            reference: what.to_owned(),
        }),
        Some(Shape::Image) => {
            let manifest: ImageManifest =
                serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
            let media_type = if media_type.is_empty() {
                OCI_MANIFEST.to_owned()
            } else {
                media_type
            };
            Ok(Manifest::Image {
                media_type,
                manifest: Box::new(manifest),
            })
        }
        Some(Shape::Index) => {
            let index: ImageIndex =
                serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
            let media_type = if media_type.is_empty() {
                OCI_INDEX.to_owned()
            } else {
                media_type
            };
            Ok(Manifest::Index {
                media_type,
                index: Box::new(index),
            })
        }
        None => Err(RegistryError::UnsupportedMediaType {
            media_type: if media_type.is_empty() {
                "(none)".to_owned()
            } else {
                media_type
            },
        }),
    }
}

/// True when a descriptor in an index points at something we can follow.
pub fn is_manifest_type(media_type: &str) -> bool {
    matches!(shape_of(media_type), Some(Shape::Image | Shape::Index))
}

/// Checks what the client relies on before it fetches anything a manifest names: sha256
/// digests (the only ones we can verify) and a config.
pub fn check_image(manifest: &ImageManifest, what: &str) -> Result<(), RegistryError> {
    if manifest.schema_version() != 2 {
        return Err(RegistryError::InvalidManifest {
            what: what.to_owned(),
            reason: format!("unsupported schemaVersion {}", manifest.schema_version()),
        });
    }
    std::iter::once(manifest.config())
        .chain(manifest.layers())
        .try_for_each(check_descriptor)
}

/// A descriptor we will fetch must have a sha256 digest, which oci-spec has already checked
/// to be 64 lowercase hex digits.
pub fn check_descriptor(descriptor: &Descriptor) -> Result<(), RegistryError> {
    match descriptor.digest().algorithm() {
        oci_spec::image::DigestAlgorithm::Sha256 => Ok(()),
        _ => Err(RegistryError::UnsupportedDigest {
            digest: descriptor.digest().to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn image_json(media_type: Option<&str>) -> String {
        let mt = media_type
            .map(|m| format!(r#""mediaType":"{m}","#))
            .unwrap_or_default();
        format!(
            r#"{{"schemaVersion":2,{mt}"config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:{HEX}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":3,"digest":"sha256:{HEX}"}}]}}"#
        )
    }

    #[test]
    fn docker_schema2_parses_as_an_image_and_keeps_its_media_type() {
        let json = image_json(Some(DOCKER_MANIFEST));
        let Manifest::Image {
            media_type,
            manifest,
        } = parse(json.as_bytes(), None, "x").unwrap()
        else {
            panic!()
        };
        assert_eq!(media_type, DOCKER_MANIFEST);
        assert_eq!(manifest.layers().len(), 1);
        check_image(&manifest, "x").unwrap();
    }

    #[test]
    fn content_type_wins_and_fields_decide_when_nothing_is_declared() {
        let json = image_json(None);
        let Manifest::Image { media_type, .. } =
            parse(json.as_bytes(), Some(OCI_MANIFEST), "x").unwrap()
        else {
            panic!()
        };
        assert_eq!(media_type, OCI_MANIFEST);
        let Manifest::Image { media_type, .. } =
            parse(json.as_bytes(), Some("application/json"), "x").unwrap()
        else {
            panic!()
        };
        assert_eq!(media_type, OCI_MANIFEST);
        let index = r#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            parse(index.as_bytes(), None, "x").unwrap(),
            Manifest::Index { .. }
        ));
    }

    #[test]
    fn schema1_and_garbage_are_refused_as_invalid_parameters() {
        use berth_core::{ErrorKind, Kind};
        let s1 = r#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#;
        let err = parse(s1.as_bytes(), None, "docker.io/library/x:y").unwrap_err();
        assert!(
            err.to_string()
                .contains("schema 1 support has been removed"),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        let err = parse(b"not json", Some(OCI_MANIFEST), "x:y").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert!(
            err.to_string().starts_with("invalid manifest x:y: "),
            "{err}"
        );
        let err = parse(
            br#"{"schemaVersion":2,"config":{"size":"x"}}"#,
            Some(OCI_MANIFEST),
            "x",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        let err = parse(br#"{"schemaVersion":2}"#, Some("text/plain"), "x").unwrap_err();
        assert_eq!(err.to_string(), "unsupported media type (none)");
    }

    #[test]
    fn non_sha256_digests_are_refused() {
        let json = image_json(Some(OCI_MANIFEST)).replacen(
            &format!("sha256:{HEX}"),
            &format!("sha512:{HEX}{HEX}"),
            1,
        );
        let Manifest::Image { manifest, .. } = parse(json.as_bytes(), None, "x").unwrap() else {
            panic!()
        };
        assert!(matches!(
            check_image(&manifest, "x"),
            Err(RegistryError::UnsupportedDigest { .. })
        ));
    }
}
