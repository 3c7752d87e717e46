//! A `wait` request registered before `start`, as the docker CLI does it for `run`: the engine
//! sends the answer's head as soon as the wait is in place (API 1.30 and later), so reading the
//! head first guarantees the exit cannot be missed, and the body is read once the container
//! exits. The shared client reads whole answers only, hence this small raw request.

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use crate::api::http::Client;
use berth_client::transport::Connection;

/// A wait whose head has arrived; `finish` blocks until the container exits.
#[derive(Debug)]
pub struct PendingWait {
    reader: BufReader<Connection>,
}

/// Why the wait failed, as text for the caller's error.
pub type WaitFailure = String;

impl PendingWait {
    /// Sends `POST /containers/{id}/wait?condition=next-exit` and reads the answer's head.
    pub fn register(client: &Client, version: &str, id: &str) -> Result<PendingWait, WaitFailure> {
        let mut stream = client.connect().map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(|e| e.to_string())?;
        let head = format!(
            "POST /v{version}/containers/{id}/wait?condition=next-exit HTTP/1.1\r\nHost: docker\r\n\
             User-Agent: berth-bench\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        stream
            .write_all(head.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.split_whitespace().nth(1) != Some("200") {
            return Err(format!("wait answered {:?}", line.trim()));
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err("wait closed before its body".into());
            }
            if line.trim().is_empty() {
                break;
            }
        }
        Ok(PendingWait { reader })
    }

    /// Blocks until the engine reports the exit; returns when it arrived and the exit code.
    pub fn finish(mut self) -> Result<(Instant, i64), WaitFailure> {
        let mut body = Vec::new();
        self.reader
            .read_to_end(&mut body)
            .map_err(|e| e.to_string())?;
        let arrived = Instant::now();
        Ok((arrived, status_code(&body)?))
    }
}

/// The `StatusCode` of a wait body, chunked or not: the JSON object is found between the first
/// `{` and the last `}`, since chunk sizes never contain braces.
fn status_code(body: &[u8]) -> Result<i64, WaitFailure> {
    let text = String::from_utf8_lossy(body);
    let object = match (text.find('{'), text.rfind('}')) {
        (Some(start), Some(end)) if start < end => &text[start..=end],
        _ => return Err(format!("wait body without JSON: {text:?}")),
    };
    let value: serde_json::Value = serde_json::from_str(object).map_err(|e| e.to_string())?;
    if let Some(message) = value["Error"]["Message"].as_str().filter(|m| !m.is_empty()) {
        return Err(format!("wait reported {message:?}"));
    }
    value["StatusCode"]
        .as_i64()
        .ok_or_else(|| format!("wait body without StatusCode: {object}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_read_from_chunked_and_plain_bodies() {
        let chunked = b"1e\r\n{\"Error\":null,\"StatusCode\":3}\n\r\n0\r\n\r\n";
        assert_eq!(status_code(chunked), Ok(3));
        assert_eq!(status_code(b"{\"StatusCode\":0}"), Ok(0));
        assert!(status_code(b"").is_err());
        assert!(status_code(b"{\"Error\":{\"Message\":\"gone\"},\"StatusCode\":0}").is_err());
    }
}
