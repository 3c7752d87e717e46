//! The registry client's errors. Each variant carries the context a user needs (reference,
//! URL, digest) and answers its [`ErrorKind`]. Texts follow dockerd's where dockerd has one
//! (`manifest for X not found: manifest unknown: manifest unknown`), so that the daemon can
//! pass them through unchanged. This module never decides what to retry; `retry.rs` does.

use berth_core::{ErrorKind, Kind};
use std::fmt;

/// One entry of a registry's `{"errors":[{"code","message","detail"}]}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code as the registry sent it, e.g. `MANIFEST_UNKNOWN`.
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: &str) -> Self {
        ApiError {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// Rendered as distribution's `errcode.Error` does: the code in lower case with spaces, a
/// colon, the message (`manifest unknown: manifest unknown`).
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.replace('_', " ").to_lowercase();
        write!(f, "{code}: {}", self.message)
    }
}

/// Everything the registry client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The repository exists (or may) but the tag or digest does not.
    #[error("manifest for {reference} not found: {cause}")]
    ManifestUnknown { reference: String, cause: ApiError },

    #[error("repository {name} not found: {cause}")]
    RepositoryUnknown { name: String, cause: ApiError },

    /// dockerd reports DENIED as not found: the registry will not say which it is.
    #[error(
        "pull access denied for {name}, repository does not exist or may require 'docker login': {cause}"
    )]
    AccessDenied { name: String, cause: ApiError },

    #[error("blob {digest} not found: {cause}")]
    BlobUnknown { digest: String, cause: ApiError },

    #[error("no matching manifest for {platform} in the manifest list entries")]
    NoMatchingPlatform { platform: String },

    /// The registry or its token service refused the credentials (or their absence).
    #[error("{request}: {cause}")]
    Unauthorized { request: String, cause: ApiError },

    /// No HTTP exchange happened: connection refused, DNS failure, TLS failure, timeout.
    #[error("{request}: {cause}")]
    Unreachable { request: String, cause: String },

    /// The registry answered with a status we have no better name for (after retries).
    #[error("{request}: unexpected status code {status}{}", detail_suffix(.cause))]
    UnexpectedStatus {
        request: String,
        status: u16,
        cause: Option<ApiError>,
    },

    /// The response was cut off after retries and resumptions ran out.
    #[error("{request}: {cause}")]
    Interrupted { request: String, cause: String },

    #[error("invalid manifest {what}: {reason}")]
    InvalidManifest { what: String, reason: String },

    #[error("unsupported media type {media_type}")]
    UnsupportedMediaType { media_type: String },

    #[error(
        "Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of {reference} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/"
    )]
    Schema1 { reference: String },

    /// Content whose sha256 is not the one asked for; `what` is `manifest` or `blob`.
    #[error("{what} verification failed for digest {expected}: content has digest {actual}")]
    DigestMismatch {
        what: &'static str,
        expected: String,
        actual: String,
    },

    #[error("{what} {digest} has size {actual}, expected {expected}")]
    SizeMismatch {
        what: &'static str,
        digest: String,
        expected: u64,
        actual: u64,
    },

    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },

    #[error("unsupported digest {digest}: only sha256 is supported")]
    UnsupportedDigest { digest: String },

    #[error("invalid reference {reference}: {reason}")]
    InvalidReference { reference: String, reason: String },

    #[error("invalid registry configuration: {reason}")]
    InvalidConfig { reason: String },

    #[error("reading credentials from {path}: {reason}")]
    Credentials { path: String, reason: String },

    #[error("{request}: invalid token response: {reason}")]
    InvalidToken { request: String, reason: String },

    #[error("building the HTTP client: {reason}")]
    ClientBuild { reason: String },
}

fn detail_suffix(cause: &Option<ApiError>) -> String {
    cause.as_ref().map(|c| format!(": {c}")).unwrap_or_default()
}

impl Kind for RegistryError {
    fn kind(&self) -> ErrorKind {
        use RegistryError::*;
        match self {
            ManifestUnknown { .. }
            | RepositoryUnknown { .. }
            | AccessDenied { .. }
            | BlobUnknown { .. }
            | NoMatchingPlatform { .. } => ErrorKind::NotFound,
            Unauthorized { .. } => ErrorKind::Unauthorized,
            Unreachable { .. } | Interrupted { .. } => ErrorKind::Unavailable,
            UnexpectedStatus { status, .. } => status_kind(*status),
            InvalidManifest { .. }
            | UnsupportedMediaType { .. }
            | Schema1 { .. }
            | TooLarge { .. }
            | UnsupportedDigest { .. }
            | InvalidReference { .. }
            | InvalidConfig { .. }
            | Credentials { .. } => ErrorKind::InvalidParameter,
            DigestMismatch { .. }
            | SizeMismatch { .. }
            | InvalidToken { .. }
            | ClientBuild { .. } => ErrorKind::System,
        }
    }
}

/// The kind of an HTTP status we could not attribute more precisely. 5xx and 429 are the
/// registry being unable to serve us right now, which retries did not cure.
fn status_kind(status: u16) -> ErrorKind {
    match status {
        400 => ErrorKind::InvalidParameter,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        429 | 500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::System,
    }
}

/// dockerd's `url.Error` prefix for a request: `Get "https://host/v2/"`.
pub(crate) fn request_label(method: &reqwest::Method, url: &reqwest::Url) -> String {
    let method = method.as_str();
    let mut label = String::with_capacity(method.len() + url.as_str().len() + 3);
    label.push_str(&method[..1]);
    label.push_str(&method[1..].to_lowercase());
    label.push_str(&format!(" \"{url}\""));
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_unknown_reads_as_dockerd_says_it() {
        let err = RegistryError::ManifestUnknown {
            reference: "127.0.0.1:5055/bb:nope".into(),
            cause: ApiError::new("MANIFEST_UNKNOWN", "manifest unknown"),
        };
        assert_eq!(
            err.to_string(),
            "manifest for 127.0.0.1:5055/bb:nope not found: manifest unknown: manifest unknown"
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn request_label_is_gos_url_error_prefix() {
        let url = reqwest::Url::parse("https://registry-1.docker.io/v2/").unwrap();
        assert_eq!(
            request_label(&reqwest::Method::GET, &url),
            "Get \"https://registry-1.docker.io/v2/\""
        );
        assert_eq!(
            request_label(&reqwest::Method::HEAD, &url),
            "Head \"https://registry-1.docker.io/v2/\""
        );
    }

    #[test]
    fn unexpected_statuses_map_to_kinds() {
        let err = |status| RegistryError::UnexpectedStatus {
            request: "Get \"x\"".into(),
            status,
            cause: None,
        };
        assert_eq!(err(503).kind(), ErrorKind::Unavailable);
        assert_eq!(err(429).kind(), ErrorKind::Unavailable);
        assert_eq!(err(403).kind(), ErrorKind::Forbidden);
        assert_eq!(err(418).kind(), ErrorKind::System);
        assert_eq!(
            err(503).to_string(),
            "Get \"x\": unexpected status code 503"
        );
    }
}
