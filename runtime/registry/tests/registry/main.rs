//! berth-registry against real registries: Debian's `docker-registry` started per test on a
//! free loopback port (plain, htpasswd and token auth), and in-test fakes for what a stock
//! registry will not do (redirects to storage, flaky answers, malformed manifests). Tests
//! that need the registry skip with one line when it is missing, and fail when
//! `BERTH_REQUIRE_ALL=1`.

mod support;

mod auth;
mod faults;
mod pull;
mod throughput;
mod tls;

use berth_registry::{Client, ClientConfig, Reference, RetryPolicy};
use bytes::BytesMut;
use futures_util::StreamExt;
use std::time::Duration;

/// A client with short backoffs and connect timeouts, so failure tests run fast.
pub fn client(config: ClientConfig) -> Client {
    Client::new(ClientConfig {
        retry: RetryPolicy {
            attempts: 4,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
        },
        connect_timeout: Duration::from_secs(3),
        ..config
    })
    .unwrap()
}

pub fn reference(s: &str) -> Reference {
    berth_registry::reference::parse(s).unwrap()
}

pub fn amd64() -> berth_registry::Platform {
    berth_registry::Platform::new("linux", "amd64", "")
}

/// Reads a whole (verified) blob stream.
pub async fn read_all<S>(mut stream: S) -> Result<Vec<u8>, berth_registry::RegistryError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, berth_registry::RegistryError>> + Unpin,
{
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out.to_vec())
}
