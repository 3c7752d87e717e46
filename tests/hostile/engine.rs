//! The engines the hostile suite runs against, reached the way any client reaches them: raw
//! HTTP/1.1 over the Engine API's unix socket, every read bounded by a timeout. A berth daemon
//! is started by the suite (its pid gives its peak memory); the reference dockerd is the one
//! `scripts/refdockerd` runs.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which engine a case runs against: where the two answer differently, a case says both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Berth,
    Dockerd,
}

#[derive(Debug)]
pub struct Engine {
    pub kind: Kind,
    pub socket: PathBuf,
    daemon: Option<(Child, tempfile::TempDir)>,
}

/// One answer: status, and the body (de-chunked).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl Engine {
    /// A fresh `berth daemon` on a temp root, pulling through the fixture registry.
    pub fn berth(registry: &str) -> Engine {
        let dir = tempfile::Builder::new()
            .prefix("berth-hostile-")
            .tempdir()
            .unwrap();
        let log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
        let socket = dir.path().join("berth.sock");
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["daemon", "-H"])
            .arg(format!("unix://{}", socket.display()))
            .arg("--root")
            .arg(dir.path().join("root"))
            .arg("--registry-mirror")
            .arg(format!("http://{registry}"))
            .arg("--insecure-registry")
            .arg(registry)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("berth daemon");
        let engine = Engine {
            kind: Kind::Berth,
            socket,
            daemon: Some((child, dir)),
        };
        let start = Instant::now();
        while engine.ping(Duration::from_secs(1)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "berth daemon did not answer: {}",
                engine.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        engine
    }

    pub fn dockerd(socket: &Path) -> Engine {
        Engine {
            kind: Kind::Dockerd,
            socket: socket.to_path_buf(),
            daemon: None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Berth => "berth",
            Kind::Dockerd => "dockerd 20.10",
        }
    }

    /// A request with a body; `Connection: close`, the whole answer read within `limit`.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        limit: Duration,
    ) -> Result<Reply, String> {
        let mut stream = UnixStream::connect(&self.socket).map_err(|e| format!("connect: {e}"))?;
        stream.set_read_timeout(Some(limit)).unwrap();
        stream.set_write_timeout(Some(limit)).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n");
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let deadline = Instant::now() + limit;
        // An engine may answer (and close) before the whole body is sent: what it answered
        // counts, so a failed send still reads the answer.
        let sent = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body));
        let mut raw = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) => return Err(format!("no complete answer within {limit:?}: {e}")),
            }
            if Instant::now() > deadline {
                return Err(format!("no complete answer within {limit:?}"));
            }
        }
        match (parse_reply(&raw), sent) {
            (Ok(reply), _) => Ok(reply),
            (Err(_), Err(e)) => Err(format!("send: {e}")),
            (Err(e), Ok(())) => Err(e),
        }
    }

    /// A JSON request (or none), answered within 30 s.
    pub fn call(&self, method: &str, path: &str, json: Option<&str>) -> Reply {
        let (ct, body) = match json {
            Some(j) => (Some("application/json"), j.as_bytes()),
            None => (None, &b""[..]),
        };
        self.call_with(method, path, ct, body, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{} {method} {path}: {e}", self.name()))
    }

    /// `GET /_ping` on a new connection, answered `OK` within `limit`.
    pub fn ping(&self, limit: Duration) -> Result<(), String> {
        let r = self.call_with("GET", "/_ping", None, b"", limit)?;
        match (r.status, r.body.as_slice()) {
            (200, b"OK") => Ok(()),
            _ => Err(format!("_ping answered {} {}", r.status, r.text())),
        }
    }

    /// What the suite asks after every case: `_ping` within a second, `ps` within two.
    pub fn still_answers(&self) -> Result<(), String> {
        self.ping(Duration::from_secs(1))
            .map_err(|e| format!("_ping: {e}"))?;
        let r = self.call_with(
            "GET",
            "/containers/json?all=1",
            None,
            b"",
            Duration::from_secs(2),
        )?;
        if r.status != 200 {
            return Err(format!("ps answered {}: {}", r.status, r.text()));
        }
        Ok(())
    }

    /// The daemon's peak resident memory so far (VmHWM), for the berth daemon the suite runs.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let (child, _) = self.daemon.as_ref()?;
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    }

    /// The berth daemon's root, where a case looks for what a hostile layer wrote.
    pub fn root(&self) -> Option<PathBuf> {
        self.daemon.as_ref().map(|(_, dir)| dir.path().join("root"))
    }

    pub fn log(&self) -> String {
        let Some((_, dir)) = &self.daemon else {
            return String::new();
        };
        let text = std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Pulls `image` through the engine's mirror.
    pub fn pull(&self, image: &str) {
        let r = self.call(
            "POST",
            &format!("/images/create?fromImage={image}&tag=latest"),
            None,
        );
        assert!(
            r.status == 200 && !r.text().contains("errorDetail"),
            "{} pull {image}: {}",
            self.name(),
            r.text()
        );
    }

    /// Loads a `docker save` archive; the streamed answer's text.
    pub fn load(&self, archive: &[u8]) -> Reply {
        self.call_with(
            "POST",
            "/images/load?quiet=1",
            Some("application/x-tar"),
            archive,
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("{} load: {e}", self.name()))
    }

    /// Creates a container from a JSON config; its ID.
    pub fn create(&self, name: &str, config: &serde_json::Value) -> String {
        let r = self.call(
            "POST",
            &format!("/containers/create?name={name}"),
            Some(&config.to_string()),
        );
        assert_eq!(r.status, 201, "{} create {name}: {}", self.name(), r.text());
        r.json()["Id"].as_str().unwrap().to_string()
    }

    pub fn remove_container(&self, name: &str) {
        let _ = self.call_with(
            "DELETE",
            &format!("/containers/{name}?force=1&v=1"),
            None,
            b"",
            Duration::from_secs(30),
        );
    }

    pub fn remove_image(&self, name: &str) {
        let _ = self.call_with(
            "DELETE",
            &format!("/images/{name}?force=1"),
            None,
            b"",
            Duration::from_secs(30),
        );
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let Some((child, _)) = &mut self.daemon else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn parse_reply(raw: &[u8]) -> Result<Reply, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Ok(Reply { status, body })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let stop = (start + size).min(rest.len());
        body.extend_from_slice(&rest[start..stop]);
        rest = &rest[(stop + 2).min(rest.len())..];
    }
    body
}
