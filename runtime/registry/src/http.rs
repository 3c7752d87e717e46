//! One HTTP exchange, retried: [`Net::send`] sends a request until it gets a response that is
//! not a transient failure or the retry policy runs out, and reads error bodies. It knows
//! nothing about manifests, blobs or credentials; the callers decide what a status means.

use crate::error::{request_label, ApiError, RegistryError};
use crate::retry::{self, RetryPolicy};
use crate::transport::{HttpClients, TransportPolicy};
use futures_util::StreamExt;
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, Url};

/// Error bodies larger than this are cut (they are only read for their message).
const MAX_ERROR_BODY: usize = 64 << 10;

/// The transport settings and clients every request goes through.
#[derive(Debug)]
pub(crate) struct Net {
    pub policy: TransportPolicy,
    pub clients: HttpClients,
    pub retry: RetryPolicy,
}

impl Net {
    /// Sends `method url` with `headers` until a non-transient answer, sleeping between tries.
    /// Once the tries are used up, a transient status is returned as the response it was; a
    /// transport failure becomes [`RegistryError::Unreachable`].
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: &HeaderMap,
    ) -> Result<Response, RegistryError> {
        let client = self.clients.for_url(&self.policy, url);
        let mut retry = 0;
        loop {
            let last_try = retry + 1 >= self.retry.attempts;
            let result = client
                .request(method.clone(), url.clone())
                .headers(headers.clone())
                .send()
                .await;
            match result {
                Ok(response) if last_try || !retry::is_transient_status(response.status()) => {
                    return Ok(response)
                }
                Ok(response) => {
                    tracing::debug!(%url, status = %response.status(), "transient status, retrying")
                }
                Err(err) if last_try || !retry::is_transient_error(&err) => {
                    let request = request_label(&method, url);
                    return Err(RegistryError::Unreachable {
                        request,
                        cause: retry::describe(&err, url),
                    });
                }
                Err(err) => tracing::debug!(%url, error = %err, "transient failure, retrying"),
            }
            retry += 1;
            tokio::time::sleep(self.retry.backoff(retry)).await;
        }
    }
}

/// Reads a registry's error body (`{"errors":[{"code","message"}]}`, or a token service's
/// `{"details": "..."}`), at most 64 KiB of it.
pub(crate) async fn read_api_error(response: Response) -> Option<ApiError> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ERROR_BODY {
            break;
        }
    }
    parse_api_error(&body)
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
    details: Option<String>,
}

#[derive(serde::Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The first error of a body, as dockerd reports only the first (and logs the others).
pub(crate) fn parse_api_error(body: &[u8]) -> Option<ApiError> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    if let Some(first) = parsed.errors.into_iter().next() {
        let code = if first.code.is_empty() {
            "UNKNOWN".to_owned()
        } else {
            first.code
        };
        return Some(ApiError {
            code,
            message: first.message,
        });
    }
    parsed
        .details
        .filter(|d| !d.is_empty())
        .map(|d| ApiError::new("UNAUTHORIZED", &d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_of_a_registry_body_and_token_service_details() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}},{"code":"X","message":"y"}]}"#;
        assert_eq!(
            parse_api_error(body),
            Some(ApiError::new("MANIFEST_UNKNOWN", "manifest unknown"))
        );
        let hub = br#"{"details":"incorrect username or password"}"#;
        assert_eq!(
            parse_api_error(hub).unwrap().to_string(),
            "unauthorized: incorrect username or password"
        );
        assert_eq!(parse_api_error(b"<html>"), None);
        assert_eq!(parse_api_error(br#"{"errors":[]}"#), None);
    }
}
