//! What the acceptance walks need from the machine: root (the berth daemon runs containers),
//! the docker CLI 28 at `/usr/local/bin/docker` (or `BERTH_DOCKER_CLI`), the fixture registry
//! (`BERTH_REGISTRY`, else `scripts/registry addr`) and the reference dockerd (`BERTH_REF_SOCKET`,
//! default `/tmp/berth-ref/docker.sock`). A missing one skips the test with one line, or fails
//! it under `BERTH_REQUIRE_ALL=1`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The services and tools one walk runs against.
#[derive(Debug, Clone)]
pub struct Setup {
    pub docker_cli: PathBuf,
    pub registry: String,
    pub reference: PathBuf,
}

/// The setup, or `None` after one line on stderr (a panic under `BERTH_REQUIRE_ALL=1`).
pub fn ready(test: &str) -> Option<Setup> {
    let setup = Setup {
        docker_cli: std::env::var_os("BERTH_DOCKER_CLI")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/local/bin/docker")),
        registry: registry_addr(),
        reference: berth_testkit::reference_socket(),
    };
    let Some(why) = missing(&setup) else {
        crate::confine::install();
        return Some(setup);
    };
    berth_testkit::skip(test, Some(why));
    None
}

/// `BERTH_REGISTRY`, else what `scripts/registry addr` says, else the first port it tries.
fn registry_addr() -> String {
    if let Some(addr) = std::env::var("BERTH_REGISTRY")
        .ok()
        .filter(|r| !r.is_empty())
    {
        return addr;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/registry");
    std::process::Command::new(script)
        .arg("addr")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "127.0.0.1:5000".to_string())
}

fn missing(setup: &Setup) -> Option<String> {
    if !berth_testkit::is_root() {
        return Some("needs root".to_string());
    }
    if !setup.docker_cli.is_file() {
        return Some(format!("no docker CLI at {}", setup.docker_cli.display()));
    }
    if !registry_answers(&setup.registry) {
        return Some(format!(
            "no registry at {} (scripts/registry start)",
            setup.registry
        ));
    }
    if !ping(&setup.reference) {
        return Some(format!(
            "no reference dockerd at {} (scripts/refdockerd start)",
            setup.reference.display()
        ));
    }
    None
}

/// One HTTP/1.0 request on a stream; the whole answer as text.
fn http(mut stream: impl Read + Write, request: &str) -> Option<String> {
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

fn registry_answers(addr: &str) -> bool {
    let Ok(stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    http(stream, "GET /v2/ HTTP/1.0\r\n\r\n")
        .is_some_and(|a| a.starts_with("HTTP/1.") && a.contains(" 200 "))
}

/// True when an Engine API answers `GET /_ping` with `OK` on the socket.
pub fn ping(socket: &Path) -> bool {
    let Ok(stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    http(stream, "GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        .is_some_and(|a| a.starts_with("HTTP/1.") && a.contains(" 200 ") && a.ends_with("OK"))
}
