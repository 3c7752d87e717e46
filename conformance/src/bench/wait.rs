//! A `wait` request registered before `start`, as the docker CLI does it for `run`: the engine
//! sends the answer's head as soon as the wait is in place (API 1.30 and later), so reading the
//! head first (the client's [`Client::begin_head`]) guarantees the exit cannot be missed, and
//! the body is read once the container exits.

use std::time::{Duration, Instant};

use crate::api::http::{Client, PendingResponse};

/// A wait whose head has arrived; `finish` blocks until the container exits.
#[derive(Debug)]
pub struct PendingWait {
    pending: PendingResponse,
}

/// Why the wait failed, as text for the caller's error.
pub type WaitFailure = String;

impl PendingWait {
    /// Sends `POST /containers/{id}/wait?condition=next-exit` and reads the answer's head.
    pub fn register(client: &Client, id: &str) -> Result<PendingWait, WaitFailure> {
        let client = client.clone().with_timeout(Some(Duration::from_secs(120)));
        let path = format!("/containers/{id}/wait?condition=next-exit");
        let pending = client
            .begin_head("POST", &path)
            .map_err(|e| e.to_string())?;
        if pending.status != 200 {
            return Err(format!("wait answered {}", pending.status));
        }
        Ok(PendingWait { pending })
    }

    /// Blocks until the engine reports the exit; returns when it arrived and the exit code.
    pub fn finish(self) -> Result<(Instant, i64), WaitFailure> {
        let response = self.pending.finish().map_err(|e| e.to_string())?;
        let arrived = Instant::now();
        Ok((arrived, status_code(&response.body)?))
    }
}

/// The `StatusCode` of a wait body, or the error it reports.
fn status_code(body: &[u8]) -> Result<i64, WaitFailure> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("wait body {:?}: {e}", String::from_utf8_lossy(body)))?;
    if let Some(message) = value["Error"]["Message"].as_str().filter(|m| !m.is_empty()) {
        return Err(format!("wait reported {message:?}"));
    }
    value["StatusCode"]
        .as_i64()
        .ok_or_else(|| format!("wait body without StatusCode: {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_reported_errors_are_read_from_the_body() {
        assert_eq!(status_code(b"{\"Error\":null,\"StatusCode\":3}\n"), Ok(3));
        assert_eq!(status_code(b"{\"StatusCode\":0}"), Ok(0));
        assert!(status_code(b"").is_err());
        assert!(status_code(b"{\"Error\":{\"Message\":\"gone\"},\"StatusCode\":0}").is_err());
    }
}
