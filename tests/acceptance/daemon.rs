//! A fresh `berth daemon` for one walk: a temp root and socket, pulling through the fixture
//! registry as its mirror. Started by the test, stopped with SIGTERM (then SIGKILL after a
//! bound) when dropped; its log is kept for failure messages.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::prereq;

/// How long the daemon may take to answer `_ping`, and to exit after SIGTERM.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct BerthDaemon {
    child: Child,
    dir: tempfile::TempDir,
}

impl BerthDaemon {
    /// Starts `berth daemon` and waits until it answers `_ping`; the error carries its log.
    pub fn start(registry: &str) -> Result<BerthDaemon, String> {
        let dir = tempfile::Builder::new()
            .prefix("berth-walk-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let log = std::fs::File::create(dir.path().join("daemon.log"))
            .map_err(|e| format!("daemon log: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("daemon log: {e}"))?;
        let socket = dir.path().join("berth.sock");
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("daemon")
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .arg("--root")
            .arg(dir.path().join("root"))
            .arg("--registry-mirror")
            .arg(format!("http://{registry}"))
            .arg("--insecure-registry")
            .arg(registry)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start berth daemon: {e}"))?;
        let mut daemon = BerthDaemon { child, dir };
        daemon.wait_ready()?;
        Ok(daemon)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            if prereq::ping(&self.socket()) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("berth daemon exited ({status}): {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "berth daemon did not answer _ping within {START_TIMEOUT:?}: {}",
            self.log()
        ))
    }

    /// The daemon's socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("berth.sock")
    }

    /// The daemon's root directory.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The last lines the daemon logged.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Scratch space for the walk's output files.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for BerthDaemon {
    fn drop(&mut self) {
        // SIGTERM through kill(1): the daemon's clean shutdown (stop containers, flush state)
        // is part of what runs here; SIGKILL only when that hangs.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < STOP_TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("berth daemon ignored SIGTERM for {STOP_TIMEOUT:?}; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
