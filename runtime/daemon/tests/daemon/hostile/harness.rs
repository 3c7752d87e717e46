//! The hostile tests' daemon: a `berth daemon` process of its own (this test binary re-run as
//! the ignored test [`hostile_daemon_child`], which calls `berth_daemon::run` as `berth
//! daemon` does, configured through environment variables), and the client side of it: raw
//! requests, `/proc` readings (VmHWM, threads, limits), its log, and a teardown that stops it
//! and removes its cgroup parent.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::{fixtures, read_reply, send, Reply};

/// The most resident memory the daemon may have used at its peak through any one attack.
const PEAK_RSS_LIMIT_KIB: u64 = 256 * 1024;

const CHILD: &str = "hostile::harness::hostile_daemon_child";
const ENV_SOCKET: &str = "BERTH_HOSTILE_SOCKET";
const ENV_ROOT: &str = "BERTH_HOSTILE_ROOT";
const ENV_CGROUP: &str = "BERTH_HOSTILE_CGROUP";
const ENV_HEADER_TIMEOUT_MS: &str = "BERTH_HOSTILE_HEADER_TIMEOUT_MS";
const ENV_MAX_CONNECTIONS: &str = "BERTH_HOSTILE_MAX_CONNECTIONS";

/// The daemon process of the hostile tests; it does nothing unless a hostile test started it.
#[test]
#[ignore = "the daemon process the hostile tests start, not a test of its own"]
fn hostile_daemon_child() {
    let Some(socket) = std::env::var_os(ENV_SOCKET) else {
        eprintln!("{CHILD}: only the hostile tests run this, as their daemon process");
        return;
    };
    let var = |name: &str| std::env::var(name).ok();
    let mut config = berth_daemon::DaemonConfig::new(PathBuf::from(var(ENV_ROOT).unwrap()));
    config.hosts = vec![format!("unix://{}", PathBuf::from(socket).display())];
    config.cgroup_parent = PathBuf::from(var(ENV_CGROUP).unwrap());
    if let Some(ms) = var(ENV_HEADER_TIMEOUT_MS) {
        config.limits.header_read_timeout = Duration::from_millis(ms.parse().unwrap());
    }
    if let Some(n) = var(ENV_MAX_CONNECTIONS) {
        config.limits.max_connections = Some(n.parse().unwrap());
    }
    berth_daemon::init_logging("info").unwrap();
    berth_daemon::run(config).unwrap();
}

/// A `berth daemon` process on a temp socket and root; SIGTERM when dropped, then its cgroup
/// parent is removed.
pub(super) struct Hostile {
    dir: tempfile::TempDir,
    socket: PathBuf,
    child: Child,
    cgroup: String,
}

/// How a test wants its daemon.
#[derive(Default)]
pub(super) struct Setup {
    /// Load the toolbox and hello-world fixtures first (needs root).
    pub images: bool,
    pub header_timeout: Option<Duration>,
    pub max_connections: Option<usize>,
    /// `prlimit --nofile=SOFT:HARD` around the daemon.
    pub open_files: Option<(u64, u64)>,
}

impl Hostile {
    pub(super) fn start(setup: Setup) -> Hostile {
        let dir = tempfile::Builder::new()
            .prefix("berth-hostile-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        let cgroup = format!("berth-hostile-{}-{}", std::process::id(), unique());
        if setup.images {
            let mut options = berth_runtime::engine::EngineOptions::new(&root);
            options.cgroup_parent = PathBuf::from(&cgroup);
            let engine = berth_runtime::engine::Engine::open(options).unwrap();
            for name in ["toolbox", "hello-world"] {
                engine.load(&fixtures().join(name)).unwrap();
            }
        }
        let socket = dir.path().join("run/berth.sock");
        let exe = std::env::current_exe().unwrap();
        let mut command = match setup.open_files {
            Some((soft, hard)) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={soft}:{hard}")).arg("--").arg(exe);
                c
            }
            None => Command::new(exe),
        };
        command
            .args([
                CHILD,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV_SOCKET, &socket)
            .env(ENV_ROOT, &root)
            .env(ENV_CGROUP, &cgroup)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("daemon.log")).unwrap());
        if let Some(t) = setup.header_timeout {
            command.env(ENV_HEADER_TIMEOUT_MS, t.as_millis().to_string());
        }
        if let Some(n) = setup.max_connections {
            command.env(ENV_MAX_CONNECTIONS, n.to_string());
        }
        let child = command.spawn().unwrap();
        let mut d = Hostile {
            dir,
            socket,
            child,
            cgroup,
        };
        for _ in 0..800 {
            if UnixStream::connect(&d.socket).is_ok() {
                return d;
            }
            if let Ok(Some(status)) = d.child.try_wait() {
                panic!(
                    "the daemon exited ({status}) before listening:\n{}",
                    d.log()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the daemon did not start listening:\n{}", d.log());
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// Whether the daemon's log says `needle`, waiting a bounded while for it to appear.
    pub(super) fn logs_eventually(&self, needle: &str) -> bool {
        for _ in 0..400 {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }

    pub(super) fn connect(&self) -> UnixStream {
        let s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        s
    }

    /// One request on its own connection, with `headers` and a raw `body` sent as given.
    pub(super) fn raw(&self, method: &str, path: &str, headers: &[&str], body: &[u8]) -> Reply {
        let mut s = self.connect();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n");
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.write_all(body);
        read_reply(&mut BufReader::new(s))
    }

    pub(super) fn json(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let mut s = self.connect();
        send(&mut s, method, path, body.map(str::as_bytes), &[]);
        let r = read_reply(&mut BufReader::new(s));
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    /// Answers `(status, message)` of an error answer.
    pub(super) fn error(&self, method: &str, path: &str) -> (u16, String) {
        let (status, v) = self.json(method, path, None);
        (
            status,
            v["message"].as_str().unwrap_or_default().to_string(),
        )
    }

    pub(super) fn create(&self, argv: &[&str], extra: &str) -> String {
        let body = format!(
            r#"{{"Image":"toolbox","Cmd":{}{extra}}}"#,
            serde_json::to_string(argv).unwrap()
        );
        let (status, v) = self.json("POST", "/containers/create", Some(&body));
        assert_eq!(status, 201, "{v}");
        v["Id"].as_str().unwrap().to_string()
    }

    pub(super) fn run(&self, argv: &[&str], extra: &str) -> String {
        let id = self.create(argv, extra);
        let (status, v) = self.json("POST", &format!("/containers/{id}/start"), None);
        assert_eq!(status, 204, "{v}");
        id
    }

    /// The daemon still answers: `_ping` is `OK` (bounded by the read timeout).
    pub(super) fn still_answers(&self) {
        let mut s = self.connect();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        send(&mut s, "GET", "/_ping", None, &[]);
        let r = read_reply(&mut BufReader::new(s));
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"OK"[..]),
            "{}",
            self.log()
        );
    }

    /// A line of `/proc/<pid>/status`, in its unit (kB for memory).
    pub(super) fn status_field(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid()));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Checks (and prints, for the record) the peak resident memory so far.
    pub(super) fn peak_memory_is_bounded(&self, test: &str) {
        let peak = self.status_field("VmHWM");
        eprintln!("{test}: daemon VmHWM {peak} kB");
        assert!(
            peak < PEAK_RSS_LIMIT_KIB,
            "{test}: the daemon's peak RSS was {peak} kB"
        );
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let pid = rustix::process::Pid::from_raw(self.pid() as i32);
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        // Shutdown stops running containers, SIGKILL after 10 s for those that ignore TERM.
        let exited = (0..1200).any(|_| {
            let done = matches!(self.child.try_wait(), Ok(Some(_)));
            if !done {
                std::thread::sleep(Duration::from_millis(25));
            }
            done
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        remove_cgroups(&self.cgroup);
    }
}

/// Removes the (empty) cgroup parent the daemon used, in every hierarchy, deepest first.
fn remove_cgroups(name: &str) {
    pub(super) fn remove(dir: &std::path::Path) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    remove(&entry.path());
                }
            }
        }
        let _ = std::fs::remove_dir(dir);
    }
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
        return;
    };
    for hierarchy in hierarchies.flatten() {
        let dir = hierarchy.path().join(name);
        if dir.is_dir() {
            remove(&dir);
        }
    }
    remove(&PathBuf::from("/sys/fs/cgroup").join(name));
}

fn unique() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// `filters=` for a query string.
pub(super) fn filters(json: &Value) -> String {
    let text = json.to_string();
    let encoded = percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC);
    format!("filters={encoded}")
}

/// Lifts this test process's own open-file limit, for tests that hold many sockets.
pub(super) fn raise_own_open_files() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    );
}
