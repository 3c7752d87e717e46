//! Resolution of a reference to one platform's image: the manifest the reference names
//! (by tag or digest), the platform's entry when that is an index or manifest list, and
//! the image config, each size-limited and digest-checked. Endpoints are tried in dockerd's
//! order with its fallback rules; the error of the last endpoint tried is the one reported.

use crate::client::{header, Client, Repository};
use crate::error::{request_label, ApiError, RegistryError};
use crate::http::read_api_error;
use crate::manifest::{self, Manifest};
use crate::platform::Platform;
use crate::verify::verify_bytes;
use berth_core::{Digest, Reference};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use oci_spec::image::{Descriptor, ImageManifest};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode, Url};

/// A manifest document as received, with its verified digest.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub digest: Digest,
    pub media_type: String,
    pub bytes: Bytes,
}

/// What a reference resolved to for one platform.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub reference: Reference,
    /// Where it was found; pass it to [`Client::blob`].
    pub repository: Repository,
    /// The index or manifest list the reference named, if it named one.
    pub index: Option<RawManifest>,
    /// The platform's image manifest.
    pub manifest: RawManifest,
    pub image: ImageManifest,
    pub config: Descriptor,
    pub config_bytes: Bytes,
    /// Layers bottom first, as in the manifest.
    pub layers: Vec<Descriptor>,
}

impl Resolved {
    /// The digest the reference points at: the index's when there is one. This is what
    /// dockerd prints as `Digest:` and records in `RepoDigests`.
    pub fn digest(&self) -> &Digest {
        self.index
            .as_ref()
            .map_or(&self.manifest.digest, |i| &i.digest)
    }

    /// The platform manifest's own digest.
    pub fn manifest_digest(&self) -> &Digest {
        &self.manifest.digest
    }
}

impl Client {
    /// Resolves a reference (by tag or digest) to the manifest for `platform`, with its
    /// config. Endpoints are tried in order; like dockerd, the error of the last one tried
    /// is the one reported.
    pub async fn resolve(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<Resolved, RegistryError> {
        let endpoints = {
            let plain = self.inner.plain_hosts.lock().expect("plain hosts lock");
            self.inner
                .net
                .policy
                .endpoints(reference, |host| plain.contains(host))
        };
        // Hosts whose HTTPS endpoint answered over HTTP: their plain-HTTP endpoint is
        // skipped, as dockerd's `confirmedTLSRegistries` does, so that a real answer (such
        // as "manifest unknown") is not replaced by a failure of the wrong scheme.
        let mut tls_confirmed: Vec<String> = Vec::new();
        let mut last_error = None;
        for endpoint in endpoints {
            let repository = Repository {
                endpoint,
                path: reference.path().to_owned(),
            };
            let https = repository.base_url().scheme() == "https";
            if !https && tls_confirmed.contains(&repository.host()) {
                continue;
            }
            match self.resolve_at(&repository, reference, platform).await {
                Ok(resolved) => {
                    self.remember_scheme(&repository);
                    return Ok(resolved);
                }
                Err(err) if may_fall_back(&err) => {
                    tracing::info!(endpoint = %repository.base_url(), error = %err, "trying the next endpoint");
                    if https && !matches!(err, RegistryError::Unreachable { .. }) {
                        tls_confirmed.push(repository.host());
                    }
                    last_error = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        Err(last_error.expect("endpoints() always returns at least the registry itself"))
    }

    async fn resolve_at(
        &self,
        repo: &Repository,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<Resolved, RegistryError> {
        let target = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.to_owned(),
            (None, None) => {
                let reason = "neither a tag nor a digest".to_owned();
                return Err(RegistryError::InvalidReference {
                    reference: reference.to_string(),
                    reason,
                });
            }
        };
        let what = reference.to_string();
        let top = self.fetch_manifest(repo, reference, &target).await?;
        let (index, manifest, image) =
            match manifest::parse(&top.bytes, Some(&top.media_type), &what)? {
                Manifest::Image { manifest, .. } => (None, top, *manifest),
                Manifest::Index { index, .. } => {
                    let chosen = platform.matcher().select(&index).cloned().ok_or_else(|| {
                        RegistryError::NoMatchingPlatform {
                            platform: platform.normalized().to_string(),
                        }
                    })?;
                    let (raw, image) = self
                        .fetch_platform_manifest(repo, reference, &chosen)
                        .await?;
                    (Some(top), raw, image)
                }
            };
        manifest::check_image(&image, &what)?;
        let config = image.config().clone();
        let config_bytes = self
            .small_blob(repo, &config, manifest::MAX_CONFIG_BYTES)
            .await?;
        let layers = image.layers().clone();
        Ok(Resolved {
            reference: reference.clone(),
            repository: repo.clone(),
            index,
            manifest,
            image,
            config,
            config_bytes,
            layers,
        })
    }

    /// Fetches the manifest an index entry names; it must be an image manifest of the
    /// announced size.
    async fn fetch_platform_manifest(
        &self,
        repo: &Repository,
        reference: &Reference,
        chosen: &Descriptor,
    ) -> Result<(RawManifest, ImageManifest), RegistryError> {
        manifest::check_descriptor(chosen)?;
        let raw = self
            .fetch_manifest(repo, reference, chosen.digest().as_ref())
            .await?;
        let what = format!("{}@{}", reference.path(), chosen.digest());
        if raw.bytes.len() as u64 != chosen.size() {
            let (expected, actual) = (chosen.size(), raw.bytes.len() as u64);
            return Err(RegistryError::SizeMismatch {
                what: "manifest",
                digest: what,
                expected,
                actual,
            });
        }
        match manifest::parse(&raw.bytes, Some(&raw.media_type), &what)? {
            Manifest::Image { manifest, .. } => Ok((raw, *manifest)),
            Manifest::Index { .. } => Err(RegistryError::InvalidManifest {
                what,
                reason: "an index inside an index is not supported".into(),
            }),
        }
    }

    /// GETs `manifests/<target>`, checks its size and digest (against the target when it is
    /// a digest, and against `Docker-Content-Digest` when the registry sends one).
    pub async fn fetch_manifest(
        &self,
        repo: &Repository,
        reference: &Reference,
        target: &str,
    ) -> Result<RawManifest, RegistryError> {
        let url = repo.url(&format!("manifests/{target}"));
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(manifest::ACCEPT));
        let response = self.get(repo, &url, headers).await?;
        if response.status() != StatusCode::OK {
            return Err(manifest_error(response, reference, &url).await);
        }
        let media_type = content_type(&response);
        let announced = header(&response, "docker-content-digest");
        let label = format!("manifest {}", reference.familiar());
        let bytes = read_limited(response, manifest::MAX_MANIFEST_BYTES, &label, &url).await?;
        let digest = Digest::of(&bytes);
        // What the registry names may use any algorithm; `verify_bytes` refuses all but sha256.
        for expected in [Some(target), announced.as_deref()].into_iter().flatten() {
            if let Ok(expected) = expected.parse::<oci_spec::image::Digest>() {
                verify_bytes("manifest", &expected, &bytes)?;
            }
        }
        Ok(RawManifest {
            digest,
            media_type,
            bytes,
        })
    }

    /// A whole small blob (an image config), verified.
    async fn small_blob(
        &self,
        repo: &Repository,
        descriptor: &Descriptor,
        limit: u64,
    ) -> Result<Bytes, RegistryError> {
        if descriptor.size() > limit {
            return Err(RegistryError::TooLarge {
                what: format!("blob {}", descriptor.digest()),
                limit,
            });
        }
        let mut stream = self.blob_verified(repo, descriptor).await?;
        let mut out = BytesMut::with_capacity(descriptor.size() as usize);
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }
}

/// dockerd moves to the next endpoint after any error except an unsupported format, which
/// another endpoint would serve the same way.
fn may_fall_back(err: &RegistryError) -> bool {
    !matches!(
        err,
        RegistryError::UnsupportedMediaType { .. } | RegistryError::Schema1 { .. }
    )
}

/// A manifest request's failure, as dockerd's `TranslatePullError` words it.
async fn manifest_error(response: Response, reference: &Reference, url: &Url) -> RegistryError {
    let status = response.status();
    let api = read_api_error(response).await;
    match api.as_ref().map(|a| a.code.as_str()) {
        Some("MANIFEST_UNKNOWN") => RegistryError::ManifestUnknown {
            reference: reference.familiar(),
            cause: api.unwrap(),
        },
        Some("NAME_UNKNOWN") => RegistryError::RepositoryUnknown {
            name: reference.familiar_name(),
            cause: api.unwrap(),
        },
        Some("DENIED") => RegistryError::AccessDenied {
            name: reference.familiar_name(),
            cause: api.unwrap(),
        },
        _ if status == StatusCode::NOT_FOUND => RegistryError::ManifestUnknown {
            reference: reference.familiar(),
            cause: ApiError::new("MANIFEST_UNKNOWN", "manifest unknown"),
        },
        _ => RegistryError::UnexpectedStatus {
            request: request_label(&Method::GET, url),
            status: status.as_u16(),
            cause: api,
        },
    }
}

/// The media type of a response, without parameters.
fn content_type(response: &Response) -> String {
    let value = header(response, CONTENT_TYPE.as_str()).unwrap_or_default();
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Reads a whole response body of at most `limit` bytes.
async fn read_limited(
    response: Response,
    limit: u64,
    what: &str,
    url: &Url,
) -> Result<Bytes, RegistryError> {
    let too_large = || RegistryError::TooLarge {
        what: what.to_owned(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| RegistryError::Interrupted {
            request: request_label(&Method::GET, url),
            cause: crate::retry::describe(&err, url),
        })?;
        body.extend_from_slice(&chunk);
        if body.len() as u64 > limit {
            return Err(too_large());
        }
    }
    Ok(body.freeze())
}
