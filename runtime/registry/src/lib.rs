//! berth-registry: a client for the OCI distribution API v2, as dockerd uses it to pull.
//! It resolves a reference (tag or digest) to a platform's manifest and config, streams
//! blobs with retries and resumption, authenticates (Basic, bearer tokens, credentials from
//! a docker `config.json`), follows dockerd's transport rules (HTTPS by default, plain HTTP
//! only for loopback or insecure registries, mirrors for Docker Hub) and reports failures
//! with Docker's error kinds and texts. It also owns Docker's JSON progress messages and a
//! renderer that draws them as the docker CLI does. It stores nothing: the store verifies
//! and keeps what this crate fetches.

mod auth;
mod blob;
mod challenge;
mod client;
mod credentials;
mod error;
mod http;
pub mod manifest;
pub mod platform;
pub mod progress;
pub mod reference;
mod resolve;
mod retry;
mod transport;
pub mod verify;

pub use blob::BlobStream;
pub use challenge::{parse as parse_challenge, Challenge};
pub use client::{Client, ClientConfig, Repository};
pub use credentials::{BasicCredentials, Credentials};
pub use error::{ApiError, RegistryError};
pub use platform::Platform;
pub use resolve::{RawManifest, Resolved};
pub use retry::RetryPolicy;
pub use transport::TransportPolicy;
pub use verify::{verified, DigestVerifier, Verified};

// References and resolved digests are the runtime's one vocabulary (berth-core); manifests and
// their descriptors stay oci-spec's document types.
pub use berth_core::{Digest, Reference};
pub use oci_spec::image::{Descriptor, ImageManifest};
