//! The daemon under test and the CLI that drives it: start on a root, run a client command
//! (bounded in time), kill the daemon with SIGKILL in the middle of a command, restart it on
//! the same root, stop it cleanly.

use std::io::Read;
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::workload::Expect;

const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// No command of the workload takes long; one that hangs this long is a failure in itself.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Root and the registry answering, or `None` after one line (a panic under
/// `BERTH_REQUIRE_ALL=1`). Gives the registry's address.
pub fn prerequisites(test: &str) -> Option<String> {
    let registry = registry_addr();
    let missing = if !berth_testkit::is_root() {
        Some("needs root".to_string())
    } else if !registry_answers(&registry) {
        Some(format!(
            "no registry at {registry} (scripts/registry start)"
        ))
    } else {
        None
    };
    (!berth_testkit::skip(test, missing)).then_some(registry)
}

/// How a command the kill landed in ended.
#[derive(Debug)]
pub enum Outcome {
    /// The CLI reported success: the daemon answered before it died.
    Succeeded,
    /// The CLI failed: the kill (or the daemon) cut it short.
    CutShort,
}

impl Outcome {
    pub fn expect(&self) -> Expect {
        match self {
            Outcome::Succeeded => Expect::Done,
            Outcome::CutShort => Expect::Unknown,
        }
    }
}

#[derive(Debug)]
pub struct Daemon {
    child: Child,
    dir: PathBuf,
    registry: String,
}

impl Daemon {
    /// Starts `berth daemon` with its root and socket in `dir` and waits for `_ping`.
    pub fn start(dir: &Path, registry: &str) -> Daemon {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("daemon.log"))
            .expect("daemon log");
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("daemon")
            .arg("-H")
            .arg(format!("unix://{}", dir.join("berth.sock").display()))
            .arg("--root")
            .arg(dir.join("root"))
            .arg("--registry-mirror")
            .arg(format!("http://{registry}"))
            .arg("--insecure-registry")
            .arg(registry)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("daemon log"))
            .stderr(log)
            .spawn()
            .expect("cannot start berth daemon");
        let mut daemon = Daemon {
            child,
            dir: dir.to_path_buf(),
            registry: registry.to_string(),
        };
        daemon.wait_ready();
        daemon
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            if ping(&self.socket()) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("berth daemon exited ({status}):\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "berth daemon did not answer _ping within {START_TIMEOUT:?}:\n{}",
            self.log()
        );
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("berth.sock")
    }

    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// Runs the berth CLI against this daemon to its end (bounded).
    pub fn cli(&self, args: &[String]) -> ExitStatus {
        let mut child = self.spawn_cli(args);
        wait_bounded(&mut child, COMMAND_TIMEOUT)
            .unwrap_or_else(|| panic!("`berth {}` hung for {COMMAND_TIMEOUT:?}", args.join(" ")))
    }

    /// The CLI's exit status and standard output.
    pub fn cli_output(&self, args: &[&str]) -> (bool, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("-H")
            .arg(format!("unix://{}", self.socket().display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("berth CLI");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// Starts the CLI, kills the daemon with SIGKILL after `delay`, and tells how the CLI ended.
    pub fn cli_killed_after(&mut self, args: &[String], delay: Duration) -> Outcome {
        let mut cli = self.spawn_cli(args);
        std::thread::sleep(delay);
        self.child.kill().expect("SIGKILL the daemon");
        self.child.wait().expect("reap the daemon");
        let status = wait_bounded(&mut cli, COMMAND_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "`berth {}` did not end after its daemon was killed",
                args.join(" ")
            )
        });
        if status.success() {
            Outcome::Succeeded
        } else {
            Outcome::CutShort
        }
    }

    /// A new daemon on the same root (this one is already dead, or gets SIGKILLed).
    pub fn restart(mut self) -> Daemon {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        Daemon::start(&self.dir, &self.registry)
    }

    /// SIGTERM, the daemon's clean shutdown, and its exit (bounded).
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        if wait_bounded(&mut self.child, STOP_TIMEOUT).is_none() {
            panic!("berth daemon ignored SIGTERM for {STOP_TIMEOUT:?}");
        }
    }

    /// The last lines of the daemon's log.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn spawn_cli(&self, args: &[String]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("-H")
            .arg(format!("unix://{}", self.socket().display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("berth CLI")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // A panicking test must not leave a daemon (and its containers) behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
            if wait_bounded(&mut self.child, STOP_TIMEOUT).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn registry_addr() -> String {
    if let Some(addr) = std::env::var("BERTH_REGISTRY")
        .ok()
        .filter(|r| !r.is_empty())
    {
        return addr;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/registry");
    Command::new(script)
        .arg("addr")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "127.0.0.1:5000".to_string())
}

fn registry_answers(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    use std::io::Write;
    if stream.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.") && answer.contains(" 200 ")
}

fn ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    use std::io::Write;
    if stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.contains(" 200 ") && answer.ends_with("OK")
}
