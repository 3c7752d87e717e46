//! Retries with exponential backoff, for failures that a second try can cure: a connection
//! reset or cut short, a timeout, `429 Too Many Requests` and `500/502/503/504`. A refused
//! connection, a DNS failure or a TLS failure are not retried: they say the registry is not
//! there, and the user should hear so at once. This module also words transport failures as
//! dockerd does (`dial tcp 127.0.0.1:1: connect: connection refused`).

use reqwest::{StatusCode, Url};
use std::error::Error as StdError;
use std::time::Duration;

/// How often and how patiently to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 means no retry).
    pub attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Five tries, 250 ms doubling up to 4 s (7.75 s of waiting at most).
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// One try, no retry.
    pub fn none() -> Self {
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The pause before try number `retry + 1` (`retry` counts from 1).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Statuses worth another try.
pub fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Transport errors worth another try (see the module doc).
pub fn is_transient_error(err: &reqwest::Error) -> bool {
    if err.is_timeout() {
        return true;
    }
    if is_refused(err) || is_dns(err) || is_tls(err) || err.is_builder() || err.is_redirect() {
        return false;
    }
    let messages = chain(err);
    let cut_short = messages.iter().any(|m| {
        m.contains("connection closed before message completed")
            || m.contains("connection reset")
            || m.contains("end of file before message length reached")
            || m.contains("error reading a body")
            || m.contains("broken pipe")
    });
    cut_short
        || err.is_body()
        || err.is_request()
        || io_kinds(err).iter().any(|k| {
            use std::io::ErrorKind::*;
            matches!(
                k,
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | TimedOut
            )
        })
}

fn sources(err: &reqwest::Error) -> impl Iterator<Item = &(dyn StdError + 'static)> {
    let mut next = err.source();
    std::iter::from_fn(move || {
        let current = next?;
        next = current.source();
        Some(current)
    })
}

fn chain(err: &reqwest::Error) -> Vec<String> {
    sources(err).map(|e| e.to_string()).collect()
}

fn io_kinds(err: &reqwest::Error) -> Vec<std::io::ErrorKind> {
    sources(err)
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .map(|e| e.kind())
        .collect()
}

fn is_refused(err: &reqwest::Error) -> bool {
    io_kinds(err).contains(&std::io::ErrorKind::ConnectionRefused)
}

fn is_dns(err: &reqwest::Error) -> bool {
    err.is_connect()
        && chain(err)
            .iter()
            .any(|m| m.starts_with("dns error") || m.contains("failed to lookup address"))
}

/// rustls is not a direct dependency, so TLS failures are recognised by their texts.
fn is_tls(err: &reqwest::Error) -> bool {
    chain(err).iter().any(|m| {
        m.contains("InvalidContentType")
            || m.contains("invalid peer certificate")
            || m.contains("tls handshake")
    })
}

/// The cause part of dockerd's message for a failed request, e.g.
/// `dial tcp 127.0.0.1:1: connect: connection refused`.
pub fn describe(err: &reqwest::Error, url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let addr = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
    let messages = chain(err);
    if is_refused(err) {
        return format!("dial tcp {addr}: connect: connection refused");
    }
    if is_dns(err) {
        let cause = messages.last().cloned().unwrap_or_default();
        return format!("dial tcp: lookup {host}: {cause}");
    }
    if messages.iter().any(|m| m.contains("InvalidContentType")) {
        return "http: server gave HTTP response to HTTPS client".to_owned();
    }
    if messages.iter().any(|m| m.contains("UnknownIssuer")) {
        return "x509: certificate signed by unknown authority".to_owned();
    }
    if err.is_timeout() {
        return format!("net/http: timeout talking to {addr}");
    }
    let mut parts: Vec<String> = Vec::new();
    for m in messages {
        // Each layer tends to repeat its source's text; keep the chain readable.
        if !parts.last().is_some_and(|p| p.contains(&m)) {
            parts.push(m);
        }
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ms: Vec<u128> = (1..=6).map(|r| p.backoff(r).as_millis()).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 4000]);
        assert_eq!(p.backoff(200), Duration::from_secs(4));
    }

    #[test]
    fn only_overload_and_gateway_statuses_are_transient() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_transient_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 416, 501] {
            assert!(
                !is_transient_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[tokio::test]
    async fn refused_connections_are_worded_as_dockerd_words_them_and_not_retried() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = Url::parse(&format!("http://127.0.0.1:{port}/v2/")).unwrap();
        let err = reqwest::Client::new()
            .get(url.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            describe(&err, &url),
            format!("dial tcp 127.0.0.1:{port}: connect: connection refused")
        );
        assert!(!is_transient_error(&err));
    }
}
