//! Debian's `docker-registry` (distribution 2.8) as a child process with its own config,
//! bound to 127.0.0.1 on a free port, storage in a directory the test owns. Dropping the
//! guard kills and reaps it.

use super::free_port;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Registry {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl Registry {
    /// Starts a registry over `storage` with extra config appended after `http: addr:`
    /// (top-level `auth:`, or `  tls:` indented into `http:`), writing its config and logs
    /// under `dir`. Waits (bounded) until `/v2/` answers.
    pub fn start(dir: &Path, storage: &Path, extra_config: &str) -> Registry {
        let mut last_log = String::new();
        for attempt in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            let config = dir.join(format!("config-{attempt}.yml"));
            std::fs::write(&config, config_text(storage, &addr, extra_config))
                .expect("write registry config");
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(
                    std::fs::File::create(dir.join(format!("registry-{attempt}.err")))
                        .expect("create log"),
                )
                .spawn()
                .expect("spawn docker-registry");
            let mut registry = Registry { child, addr };
            if registry.wait_ready(Duration::from_secs(10)) {
                return registry;
            }
            last_log = std::fs::read_to_string(dir.join(format!("registry-{attempt}.err")))
                .unwrap_or_default();
            // Another process may have taken the port: try another one.
        }
        panic!("docker-registry did not come up; last stderr:\n{last_log}");
    }

    /// True once `/v2/` answers at all (200 or 401); false if the process died or time ran out.
    fn wait_ready(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if answers(&self.addr) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(storage: &Path, addr: &str, extra: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: {addr}\n{extra}",
        storage.display()
    )
}

/// A raw HTTP/1.0 GET of `/v2/`, so that readiness does not depend on the client under
/// test. Any HTTP answer means the server is up: 200 or 401, or 400 from a TLS listener.
fn answers(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream
        .write_all(b"GET /v2/ HTTP/1.0\r\nHost: x\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 7];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1."
}
