//! A minimal blocking HTTP/1.1 client for the Docker Engine API over a unix socket: one
//! connection per request, `Content-Length` and chunked bodies, and the connection upgrade that
//! `attach` uses. The harness is sequential, so blocking I/O keeps it simple and exact.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a request failed below the level of an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot connect to {path}: {source}")]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{method} {target}: {source}")]
    Io {
        method: String,
        target: String,
        source: std::io::Error,
    },
    #[error("{method} {target}: malformed response: {what}")]
    Malformed {
        method: String,
        target: String,
        what: String,
    },
}

/// An HTTP answer: status, headers (names lowercased) and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Docker's error body `{"message": ...}`, or the raw body when it is not JSON.
    pub fn message(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).trim().to_string())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A Docker Engine API endpoint reached through a unix socket, at one pinned API version.
#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
    version: String,
    timeout: Duration,
}

impl Client {
    pub fn new(socket: impl AsRef<Path>, version: &str) -> Client {
        Client {
            socket: socket.as_ref().to_path_buf(),
            version: version.to_string(),
            timeout: Duration::from_secs(60),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Sends one request and reads the whole answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, HttpError> {
        let target = format!("/v{}{path}", self.version);
        let mut stream = self.send(method, &target, body, &[])?;
        read_response(&mut stream, method, &target)
    }

    /// Sends a request that upgrades the connection (attach) and returns the raw stream once
    /// the engine answered `101`, or the error answer.
    pub fn upgrade(&self, path: &str) -> Result<Result<UnixStream, Response>, HttpError> {
        let target = format!("/v{}{path}", self.version);
        let headers = [("Connection", "Upgrade"), ("Upgrade", "tcp")];
        let stream = self.send("POST", &target, None, &headers)?;
        let mut reader = BufReader::new(stream);
        let (status, response_headers) = read_head(&mut reader, "POST", &target)?;
        if status == 101 {
            if !reader.buffer().is_empty() {
                return Err(malformed("POST", &target, "bytes after the upgrade head"));
            }
            return Ok(Ok(reader.into_inner()));
        }
        let body = read_body(&mut reader, &response_headers, "POST", &target)?;
        Ok(Err(Response {
            status,
            headers: response_headers,
            body,
        }))
    }

    /// Starts a request whose answer comes later (`wait`): returns the connection so the caller
    /// can read the answer with [`Client::finish`] or cancel it by shutting the socket down.
    pub fn begin(&self, method: &str, path: &str) -> Result<(UnixStream, String), HttpError> {
        let target = format!("/v{}{path}", self.version);
        Ok((self.send(method, &target, None, &[])?, target))
    }

    /// Reads the answer to a request started with [`Client::begin`].
    pub fn finish(mut stream: UnixStream, target: &str) -> Result<Response, HttpError> {
        read_response(&mut stream, "POST", target)
    }

    fn send(
        &self,
        method: &str,
        target: &str,
        body: Option<&serde_json::Value>,
        extra: &[(&str, &str)],
    ) -> Result<UnixStream, HttpError> {
        let io = |source| HttpError::Io {
            method: method.to_string(),
            target: target.to_string(),
            source,
        };
        let mut stream =
            UnixStream::connect(&self.socket).map_err(|source| HttpError::Connect {
                path: self.socket.clone(),
                source,
            })?;
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: docker\r\nUser-Agent: berth-conformance\r\n"
        );
        if extra.is_empty() {
            head.push_str("Connection: close\r\n");
        }
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if body.is_some() {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(payload.as_bytes()).map_err(io)?;
        Ok(stream)
    }
}

fn malformed(method: &str, target: &str, what: &str) -> HttpError {
    HttpError::Malformed {
        method: method.to_string(),
        target: target.to_string(),
        what: what.to_string(),
    }
}

fn read_response(
    stream: &mut UnixStream,
    method: &str,
    target: &str,
) -> Result<Response, HttpError> {
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_head(&mut reader, method, target)?;
    let body = read_body(&mut reader, &headers, method, target)?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn read_head(
    reader: &mut impl BufRead,
    method: &str,
    target: &str,
) -> Result<(u16, Vec<(String, String)>), HttpError> {
    let io = |source| HttpError::Io {
        method: method.to_string(),
        target: target.to_string(),
        source,
    };
    let mut line = String::new();
    reader.read_line(&mut line).map_err(io)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| malformed(method, target, &format!("status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn read_body(
    reader: &mut impl BufRead,
    headers: &[(String, String)],
    method: &str,
    target: &str,
) -> Result<Vec<u8>, HttpError> {
    let io = |source| HttpError::Io {
        method: method.to_string(),
        target: target.to_string(),
        source,
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).map_err(io)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| malformed(method, target, &format!("chunk size {size_line:?}")))?;
            if size == 0 {
                let mut trailer = String::new();
                reader.read_line(&mut trailer).map_err(io)?;
                return Ok(body);
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).map_err(io)?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf).map_err(io)?;
        }
    }
    match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(length) => {
            body.resize(length, 0);
            reader.read_exact(&mut body).map_err(io)?;
        }
        None => {
            reader.read_to_end(&mut body).map_err(io)?;
        }
    }
    Ok(body)
}

/// Which stream a multiplexed frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    Stdout,
    Stderr,
}

/// Splits Docker's multiplexed stream (8-byte header: stream, 0, 0, 0, big-endian length).
pub fn demultiplex(mut bytes: &[u8]) -> Vec<(Frame, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 8 {
        let length = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let end = (8 + length).min(bytes.len());
        let stream = if bytes[0] == 2 {
            Frame::Stderr
        } else {
            Frame::Stdout
        };
        frames.push((stream, bytes[8..end].to_vec()));
        bytes = &bytes[end..];
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_by_their_headers() {
        let mut bytes = vec![1, 0, 0, 0, 0, 0, 0, 3];
        bytes.extend_from_slice(b"hi\n");
        bytes.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 2]);
        bytes.extend_from_slice(b"e\n");
        let frames = demultiplex(&bytes);
        assert_eq!(
            frames,
            vec![
                (Frame::Stdout, b"hi\n".to_vec()),
                (Frame::Stderr, b"e\n".to_vec())
            ]
        );
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let raw = b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
        let headers = vec![("transfer-encoding".to_string(), "chunked".to_string())];
        let body = read_body(&mut BufReader::new(&raw[..]), &headers, "GET", "/x").unwrap();
        assert_eq!(body, b"Wikipedia");
    }
}
