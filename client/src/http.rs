//! A small blocking HTTP/1.1 client for the Docker Engine API over a unix socket, plain TCP or
//! TLS: one connection per request, `Content-Length` and chunked bodies read whole or streamed,
//! and the connection upgrade that `attach` uses. Blocking I/O keeps the CLI and the harness
//! simple and exact; nothing here knows what the endpoints mean.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::transport::{Connection, Endpoint, Host};

/// Why a request failed below the level of an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot connect to {host}: {source}")]
    Connect { host: Host, source: std::io::Error },
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
        find_header(&self.headers, name)
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

/// An answer whose body is read as it arrives (pull progress, `logs -f`, `wait`).
#[derive(Debug)]
pub struct Streaming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Streaming {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Reads the rest of the body, for an error answer.
    pub fn into_response(mut self) -> std::io::Result<Response> {
        let mut body = Vec::new();
        self.body.read_to_end(&mut body)?;
        Ok(Response {
            status: self.status,
            headers: self.headers,
            body,
        })
    }
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    None,
    Json(&'a serde_json::Value),
    /// Raw bytes with their content type (an image tarball for `load`).
    Bytes(&'a [u8], &'a str),
}

/// A Docker Engine API endpoint at one API version (`""` for unversioned paths).
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
    version: String,
    timeout: Option<Duration>,
    user_agent: String,
}

impl Client {
    /// A unix-socket endpoint, with a 60-second read timeout.
    pub fn new(socket: impl AsRef<Path>, version: &str) -> Client {
        Client::with_endpoint(Endpoint::unix(socket.as_ref()), version)
    }

    /// Any endpoint, with a 60-second read timeout.
    pub fn with_endpoint(endpoint: Endpoint, version: &str) -> Client {
        Client {
            endpoint,
            version: version.to_string(),
            timeout: Some(Duration::from_secs(60)),
            user_agent: "berth-conformance".to_string(),
        }
    }

    /// The same endpoint with another read timeout (`None` waits forever, as `logs -f` must).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Client {
        self.timeout = timeout;
        self
    }

    pub fn with_user_agent(mut self, agent: &str) -> Client {
        self.user_agent = agent.to_string();
        self
    }

    /// The same endpoint at another API version.
    pub fn with_version(mut self, version: &str) -> Client {
        self.version = version.to_string();
        self
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    fn target(&self, path: &str) -> String {
        if self.version.is_empty() {
            path.to_string()
        } else {
            format!("/v{}{path}", self.version)
        }
    }

    /// Opens a raw connection to the endpoint.
    pub fn connect(&self) -> Result<Connection, HttpError> {
        self.endpoint
            .connect()
            .map_err(|source| HttpError::Connect {
                host: self.endpoint.host.clone(),
                source,
            })
    }

    /// `GET /_ping`, unversioned, as every client starts.
    pub fn ping(&self) -> Result<Response, HttpError> {
        let mut stream = self.send("GET", "/_ping", Payload::None, &[])?;
        read_response(&mut stream, "GET", "/_ping")
    }

    /// Sends one request and reads the whole answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, HttpError> {
        let payload = body.map_or(Payload::None, Payload::Json);
        self.request_with(method, path, payload)
    }

    /// Sends one request with any payload and reads the whole answer.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        payload: Payload<'_>,
    ) -> Result<Response, HttpError> {
        let target = self.target(path);
        let mut stream = self.send(method, &target, payload, &[])?;
        read_response(&mut stream, method, &target)
    }

    /// Sends one request and returns the answer with its body still to be read.
    pub fn stream(
        &self,
        method: &str,
        path: &str,
        payload: Payload<'_>,
    ) -> Result<Streaming, HttpError> {
        let target = self.target(path);
        let stream = self.send(method, &target, payload, &[])?;
        let mut reader = BufReader::new(stream);
        let (status, headers) = read_head(&mut reader, method, &target)?;
        let body = Body::new(reader, &headers);
        Ok(Streaming {
            status,
            headers,
            body,
        })
    }

    /// Sends a request that upgrades the connection (attach) and returns the raw stream once
    /// the engine answered `101`, or the error answer.
    pub fn upgrade(&self, path: &str) -> Result<Result<Upgraded, Response>, HttpError> {
        self.upgrade_with(path, Payload::None)
    }

    /// [`Client::upgrade`] with a request body: `exec/{id}/start` takes its options as JSON on
    /// the very request that is upgraded.
    pub fn upgrade_with(
        &self,
        path: &str,
        payload: Payload<'_>,
    ) -> Result<Result<Upgraded, Response>, HttpError> {
        let target = self.target(path);
        let headers = [("Connection", "Upgrade"), ("Upgrade", "tcp")];
        let stream = self.send("POST", &target, payload, &headers)?;
        let mut reader = BufReader::new(stream);
        let (status, response_headers) = read_head(&mut reader, "POST", &target)?;
        if status == 101 {
            // An exec's first output may share the packet of the head: keep it.
            let early = reader.buffer().to_vec();
            return Ok(Ok(Upgraded {
                early,
                offset: 0,
                connection: reader.into_inner(),
            }));
        }
        let body = read_body(&mut reader, &response_headers, "POST", &target)?;
        Ok(Err(Response {
            status,
            headers: response_headers,
            body,
        }))
    }

    /// Sends a request and reads only its head; the body follows with
    /// [`PendingResponse::finish`]. For `wait`: the daemon registers the wait before it sends
    /// the head, so once this returns the wait is in place (docker CLI 28 likewise waits for the
    /// head before it starts the container).
    pub fn begin_head(&self, method: &str, path: &str) -> Result<PendingResponse, HttpError> {
        let target = self.target(path);
        let stream = self.send(method, &target, Payload::None, &[])?;
        let mut reader = BufReader::new(stream);
        let (status, headers) = read_head(&mut reader, method, &target)?;
        Ok(PendingResponse {
            reader,
            status,
            headers,
            method: method.to_string(),
            target,
        })
    }

    fn send(
        &self,
        method: &str,
        target: &str,
        payload: Payload<'_>,
        extra: &[(&str, &str)],
    ) -> Result<Connection, HttpError> {
        let io = |source| HttpError::Io {
            method: method.to_string(),
            target: target.to_string(),
            source,
        };
        let mut stream = self.connect()?;
        stream.set_read_timeout(self.timeout).map_err(io)?;
        let json;
        let (bytes, content_type): (&[u8], Option<&str>) = match payload {
            Payload::None => (&[], None),
            Payload::Json(value) => {
                json = value.to_string();
                (json.as_bytes(), Some("application/json"))
            }
            Payload::Bytes(bytes, content_type) => (bytes, Some(content_type)),
        };
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: {}\r\n",
            self.user_agent
        );
        if extra.is_empty() {
            head.push_str("Connection: close\r\n");
        }
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(content_type) = content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(bytes).map_err(io)?;
        stream.flush().map_err(io)?;
        Ok(stream)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A response body read as it arrives: chunked, sized, or up to the connection's end.
#[derive(Debug)]
pub enum Body {
    Chunked {
        reader: BufReader<Connection>,
        left: usize,
        done: bool,
    },
    Sized(std::io::Take<BufReader<Connection>>),
    ToEnd(BufReader<Connection>),
}

impl Body {
    fn new(reader: BufReader<Connection>, headers: &[(String, String)]) -> Body {
        if find_header(headers, "transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            return Body::Chunked {
                reader,
                left: 0,
                done: false,
            };
        }
        match find_header(headers, "content-length").and_then(|v| v.parse::<u64>().ok()) {
            Some(length) => Body::Sized(reader.take(length)),
            None => Body::ToEnd(reader),
        }
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Body::Sized(r) => r.read(buf),
            Body::ToEnd(r) => r.read(buf),
            Body::Chunked { reader, left, done } => {
                if *done || buf.is_empty() {
                    return Ok(0);
                }
                if *left == 0 {
                    *left = next_chunk_size(reader)?;
                    if *left == 0 {
                        *done = true;
                        return Ok(0);
                    }
                }
                let want = buf.len().min(*left);
                let read = reader.read(&mut buf[..want])?;
                if read == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                *left -= read;
                if *left == 0 {
                    let mut crlf = [0u8; 2];
                    reader.read_exact(&mut crlf)?;
                }
                Ok(read)
            }
        }
    }
}

/// Reads a chunk-size line (and the trailer after the last chunk).
fn next_chunk_size(reader: &mut impl BufRead) -> std::io::Result<usize> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let size =
        usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("chunk size {line:?}"),
            )
        })?;
    if size == 0 {
        let mut trailer = String::new();
        reader.read_line(&mut trailer)?;
    }
    Ok(size)
}

fn malformed(method: &str, target: &str, what: &str) -> HttpError {
    HttpError::Malformed {
        method: method.to_string(),
        target: target.to_string(),
        what: what.to_string(),
    }
}

/// A connection after `101 Switching Protocols`. What the engine sent right behind the head
/// (an exec's first output can share its packet) is read first, then the connection itself.
#[derive(Debug)]
pub struct Upgraded {
    early: Vec<u8>,
    offset: usize,
    connection: Connection,
}

impl Upgraded {
    /// The connection, for what reading does not cover (a clone for stdin, shutting down).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

impl Read for Upgraded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.offset < self.early.len() {
            let n = buf.len().min(self.early.len() - self.offset);
            buf[..n].copy_from_slice(&self.early[self.offset..self.offset + n]);
            self.offset += n;
            return Ok(n);
        }
        self.connection.read(buf)
    }
}

/// A response whose head has arrived and whose body has not (see [`Client::begin_head`]).
#[derive(Debug)]
pub struct PendingResponse {
    reader: BufReader<Connection>,
    pub status: u16,
    headers: Vec<(String, String)>,
    method: String,
    target: String,
}

impl PendingResponse {
    /// The connection, to cancel the wait for the body by shutting it down.
    pub fn connection(&self) -> &Connection {
        self.reader.get_ref()
    }

    /// Reads the body (blocking until the daemon sends it).
    pub fn finish(mut self) -> Result<Response, HttpError> {
        let body = read_body(&mut self.reader, &self.headers, &self.method, &self.target)?;
        Ok(Response {
            status: self.status,
            headers: self.headers,
            body,
        })
    }
}

fn read_response(
    stream: &mut Connection,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        let raw = b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
        let headers = vec![("transfer-encoding".to_string(), "chunked".to_string())];
        let body = read_body(&mut BufReader::new(&raw[..]), &headers, "GET", "/x").unwrap();
        assert_eq!(body, b"Wikipedia");
    }
}
