//! `berth daemon` end to end: a real daemon on a temp socket over a temp root, driven with raw
//! HTTP over `UnixStream` (and TLS over TCP): ping headers, version gating, 400s that never
//! reach the engine, 404 texts, a create/start/wait/logs/rm round trip on real containers,
//! attach before start, wait next-exit, pull streaming from the fixture registry, mutual TLS,
//! plain TCP refused off loopback, and the conformance basics scenario over mutual TLS. Tests
//! needing root, the fixtures or the registry print one line and pass without them, unless
//! `BERTH_REQUIRE_ALL=1`, when they fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use berth_daemon::{DaemonConfig, TlsFiles};
use berth_testkit::{is_root, root_or_skip, skip};
use serde_json::Value;

/// Hostile clients against a daemon process of its own.
#[path = "daemon/hostile/mod.rs"]
mod hostile;
#[path = "daemon/load.rs"]
mod load;

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn fixtures() -> PathBuf {
    match std::env::var_os("BERTH_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fixtures"),
    }
}

/// True when containers can run: root and the fixture images.
fn ready(test: &str) -> bool {
    let missing = if !is_root() {
        Some("needs root".to_string())
    } else {
        ["toolbox", "hello-world"]
            .iter()
            .find(|n| !fixtures().join(n).join("index.json").exists())
            .map(|n| format!("fixture {n} missing (run scripts/fixtures)"))
    };
    !skip(test, missing)
}

/// A daemon on its own thread, socket and root; stopped (SIGTERM path) when dropped.
struct Daemon {
    dir: tempfile::TempDir,
    socket: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), berth_daemon::DaemonError>>>,
}

impl Daemon {
    fn start() -> Daemon {
        Daemon::start_with(|_| {})
    }

    /// Starts with `tweak` applied to the config, the fixtures loaded first.
    fn start_with(tweak: impl FnOnce(&mut DaemonConfig)) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("berth-daemon-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let cgroup_parent = PathBuf::from(format!("berth-daemon-test-{}-{n}", std::process::id()));
        if fixtures().join("toolbox/index.json").exists() && is_root() {
            let mut options = berth_runtime::engine::EngineOptions::new(&root);
            options.cgroup_parent = cgroup_parent.clone();
            let engine = berth_runtime::engine::Engine::open(options).unwrap();
            for name in ["toolbox", "hello-world"] {
                engine.load(&fixtures().join(name)).unwrap();
            }
        }
        let socket = dir.path().join("run/berth.sock");
        let mut config = DaemonConfig::new(root);
        config.hosts = vec![format!("unix://{}", socket.display())];
        config.cgroup_parent = cgroup_parent;
        tweak(&mut config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(berth_daemon::serve(config, async {
                let _ = stopped.await;
            }))
        });
        let mut daemon = Daemon {
            dir,
            socket,
            stop: Some(stop),
            thread: Some(thread),
        };
        for _ in 0..800 {
            if UnixStream::connect(&daemon.socket).is_ok() {
                return daemon;
            }
            if daemon.thread.as_ref().is_some_and(|t| t.is_finished()) {
                let ended = daemon.thread.take().map(|t| t.join());
                panic!("the daemon stopped before listening: {ended:?}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the daemon did not start listening");
    }

    fn connect(&self) -> UnixStream {
        let s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    }

    fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> Reply {
        let mut s = self.connect();
        send(&mut s, method, path, body, &[]);
        read_reply(&mut BufReader::new(s))
    }

    fn json(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let r = self.call(method, path, body.map(str::as_bytes));
        let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (r.status, v)
    }

    /// Creates a toolbox container running `argv` and answers its ID.
    fn create(&self, argv: &[&str], extra: &str) -> String {
        let body = format!(
            r#"{{"Image":"toolbox","Cmd":{}{extra}}}"#,
            serde_json::to_string(argv).unwrap()
        );
        let (status, v) = self.json("POST", "/v1.41/containers/create", Some(&body));
        assert_eq!(status, 201, "{v}");
        v["Id"].as_str().unwrap().to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = &self.dir;
    }
}

/// A whole HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn send(s: &mut impl Write, method: &str, path: &str, body: Option<&[u8]>, headers: &[&str]) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: d\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if let Some(b) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    if !headers.iter().any(|h| h.starts_with("Connection")) {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    if let Some(b) = body {
        // A client may stop reading an oversized body early; the daemon answers anyway.
        let _ = s.write_all(b);
    }
}

/// Reads the status line and headers.
fn read_head(r: &mut impl BufRead) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            return (status, headers);
        }
        let (k, v) = l.split_once(':').unwrap();
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
}

fn read_reply(r: &mut impl BufRead) -> Reply {
    let (status, headers) = read_head(r);
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    reply.body = read_body(r, &reply);
    reply
}

fn read_body(r: &mut impl BufRead, head: &Reply) -> Vec<u8> {
    let mut body = Vec::new();
    if head.header("Transfer-Encoding") == Some("chunked") {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                return body;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    match head.header("Content-Length") {
        Some(n) => {
            body.resize(n.parse().unwrap(), 0);
            r.read_exact(&mut body).unwrap();
        }
        None => {
            let _ = r.read_to_end(&mut body);
        }
    }
    body
}

/// Splits a multiplexed stream into (stream, payload) frames.
fn frames(mut data: &[u8]) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let n = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as usize;
        out.push((
            data[0],
            String::from_utf8_lossy(&data[8..8 + n]).into_owned(),
        ));
        data = &data[8 + n..];
    }
    out
}

#[test]
fn ping_answers_with_dockers_headers() {
    if !ready("ping_answers_with_dockers_headers") {
        return;
    }
    let d = Daemon::start();
    let r = d.call("HEAD", "/_ping", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Api-Version"), Some("1.53"));
    assert_eq!(r.header("Ostype"), Some("linux"));
    assert_eq!(r.header("Docker-Experimental"), Some("false"));
    assert_eq!(r.header("Pragma"), Some("no-cache"));
    assert_eq!(
        r.header("Cache-Control"),
        Some("no-cache, no-store, must-revalidate")
    );
    assert_eq!(d.call("GET", "/v1.24/_ping", None).body, b"OK");
    let (_, v) = d.json("GET", "/version", None);
    assert_eq!(
        (v["ApiVersion"].as_str(), v["MinAPIVersion"].as_str()),
        (Some("1.53"), Some("1.24"))
    );
}

#[test]
fn versions_gate_fields_and_too_new_is_400() {
    if !ready("versions_gate_fields_and_too_new_is_400") {
        return;
    }
    let d = Daemon::start();
    let (status, v) = d.json("GET", "/v1.99/version", None);
    assert_eq!(status, 400);
    assert_eq!(
        v["message"],
        "client version 1.99 is too new. Maximum supported API version is 1.53"
    );
    let (_, old) = d.json("GET", "/v1.43/images/json", None);
    let (_, new) = d.json("GET", "/v1.44/images/json", None);
    assert!(old[0].get("VirtualSize").is_some(), "{old}");
    assert!(new[0].get("VirtualSize").is_none(), "{new}");
    let (_, old) = d.json("GET", "/v1.44/images/toolbox/json", None);
    let (_, new) = d.json("GET", "/v1.45/images/toolbox/json", None);
    assert!(old.get("ContainerConfig").is_some() && new.get("ContainerConfig").is_none());
    let id = d.create(&["/toolbox", "exit", "0"], "");
    let (_, old) = d.json("GET", &format!("/v1.51/containers/{id}/json"), None);
    let (_, new) = d.json("GET", &format!("/v1.52/containers/{id}/json"), None);
    assert!(old["NetworkSettings"].get("Bridge").is_some(), "{old}");
    assert!(new["NetworkSettings"].get("Bridge").is_none(), "{new}");
    let (_, old) = d.json(
        "GET",
        "/v1.50/images/json?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D",
        None,
    );
    let (_, new) = d.json("GET", "/v1.51/images/json", None);
    let toolbox = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|i| i["RepoTags"][0] == "toolbox:latest")
            .map(|i| i["Containers"].clone())
    };
    assert_eq!(
        (toolbox(&old), toolbox(&new)),
        (Some((-1).into()), Some(1.into()))
    );
    let (status, v) = d.json("GET", "/v1.41/nope", None);
    assert_eq!(
        (status, v["message"].as_str()),
        (404, Some("page not found"))
    );
}

#[test]
fn bad_requests_are_400_and_unknown_containers_404() {
    if !ready("bad_requests_are_400_and_unknown_containers_404") {
        return;
    }
    let d = Daemon::start();
    let (status, v) = d.json("POST", "/containers/create", Some("{\"Image\": "));
    assert_eq!(status, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("JSON"), "{v}");
    let big = format!(r#"{{"Image":"toolbox","Env":["{}"]}}"#, "x".repeat(2 << 20));
    let r = d.call("POST", "/containers/create", Some(big.as_bytes()));
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let (status, v) = d.json("POST", "/containers/nope/stop?t=soon", None);
    assert_eq!(status, 400, "{v}");
    let (status, v) = d.json("GET", "/containers/nope/json", None);
    assert_eq!(
        (status, v["message"].as_str()),
        (404, Some("No such container: nope"))
    );
    // None of the refused creates reached the engine.
    let (_, list) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
}

#[test]
fn create_start_wait_logs_rm_round_trip() {
    if !ready("create_start_wait_logs_rm_round_trip") {
        return;
    }
    let d = Daemon::start();
    let id = d.create(
        &["/toolbox", "out", "a", "err", "b", "exit", "3"],
        r#","Labels":{"x":"y"}"#,
    );
    assert_eq!(
        d.call("POST", &format!("/containers/{id}/start"), None)
            .status,
        204
    );
    let (status, v) = d.json("POST", &format!("/containers/{id}/wait"), None);
    assert_eq!(
        (status, &v),
        (200, &serde_json::json!({"StatusCode": 3, "Error": null}))
    );
    let r = d.call(
        "GET",
        &format!("/v1.42/containers/{id}/logs?stdout=1&stderr=1"),
        None,
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("application/vnd.docker.multiplexed-stream")
    );
    // stdout and stderr are two pipes: their relative order is not fixed.
    let mut got = frames(&r.body);
    got.sort();
    assert_eq!(got, [(1, "a\n".into()), (2, "b\n".into())]);
    let (_, list) = d.json(
        "GET",
        "/containers/json?all=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D",
        None,
    );
    assert_eq!(
        list[0]["Names"][0].as_str().unwrap().chars().next(),
        Some('/')
    );
    assert!(
        list[0]["Status"]
            .as_str()
            .unwrap()
            .starts_with("Exited (3) "),
        "{list}"
    );
    let (_, c) = d.json("GET", &format!("/containers/{}/json", &id[..12]), None);
    assert_eq!(c["HostConfig"]["LogConfig"]["Type"], "json-file");
    assert_eq!(c["State"]["ExitCode"], 3);
    // What the sandbox applies (current Docker's list), as dockerd lists its defaults.
    assert_eq!(c["HostConfig"]["MaskedPaths"][0], "/proc/asound");
    assert_eq!(
        c["HostConfig"]["MaskedPaths"],
        serde_json::json!(berth_sandbox::default_masked_paths())
    );
    assert_eq!(
        c["HostConfig"]["MaskedPaths"][11],
        "/sys/devices/virtual/powercap"
    );
    assert_eq!(c["HostConfig"]["ReadonlyPaths"][4], "/proc/sysrq-trigger");
    // The files the start wrote and bound over /etc, in the container's directory.
    let log = c["LogPath"].as_str().unwrap();
    let dir = std::path::Path::new(log).parent().unwrap();
    assert_eq!(c["HostsPath"], dir.join("hosts").to_str().unwrap());
    assert_eq!(c["HostnamePath"], dir.join("hostname").to_str().unwrap());
    assert_eq!(
        c["ResolvConfPath"],
        dir.join("resolv.conf").to_str().unwrap()
    );
    assert_eq!(
        d.call("DELETE", &format!("/containers/{id}"), None).status,
        204
    );
    assert_eq!(
        d.call("GET", &format!("/containers/{id}/json"), None)
            .status,
        404
    );
}

/// A `docker save` archive of `hostile:fifo`: one layer whose `/etc/passwd` is a FIFO.
fn fifo_passwd_archive() -> Vec<u8> {
    use sha2::Digest;
    let mut layer = tar::Builder::new(Vec::new());
    for (name, kind) in [
        ("etc", tar::EntryType::Directory),
        ("etc/passwd", tar::EntryType::Fifo),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(0o755);
        h.set_size(0);
        layer.append_data(&mut h, name, std::io::empty()).unwrap();
    }
    let layer = layer.into_inner().unwrap();
    let hex = |b: &[u8]| format!("{:x}", sha2::Sha256::digest(b));
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["true"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", hex(&layer))]},
    });
    let config = serde_json::to_vec(&config).unwrap();
    let manifest = serde_json::json!([{
        "Config": format!("{}.json", hex(&config)),
        "RepoTags": ["hostile:fifo"],
        "Layers": [format!("{}/layer.tar", hex(&layer))],
    }]);
    let mut archive = tar::Builder::new(Vec::new());
    for (name, data) in [
        (format!("{}.json", hex(&config)), config.clone()),
        (format!("{}/layer.tar", hex(&layer)), layer.clone()),
        (
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).unwrap(),
        ),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        archive.append_data(&mut h, name, &data[..]).unwrap();
    }
    archive.into_inner().unwrap()
}

/// Regression: a start reading an image's FIFO /etc/passwd blocked forever holding the
/// container registry, so `ps` hung and SIGTERM could not stop the daemon. Now the start
/// fails at once with a clear 500, `ps` answers throughout, and the daemon stops.
#[test]
fn a_fifo_passwd_fails_its_start_and_never_blocks_ps_or_shutdown() {
    if !ready("a_fifo_passwd_fails_its_start_and_never_blocks_ps_or_shutdown") {
        return;
    }
    let d = Daemon::start();
    let r = d.call("POST", "/images/load?quiet=1", Some(&fifo_passwd_archive()));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sleeper = d.create(&["/toolbox", "sleep", "1000"], "");
    assert_eq!(
        d.call("POST", &format!("/containers/{sleeper}/start"), None)
            .status,
        204
    );
    let body = r#"{"Image":"hostile:fifo","User":"nobody"}"#;
    let (status, v) = d.json("POST", "/containers/create", Some(body));
    assert_eq!(status, 201, "{v}");
    let hostile = v["Id"].as_str().unwrap().to_string();
    let d = std::sync::Arc::new(d);
    let (tx, rx) = std::sync::mpsc::channel();
    let starter = d.clone();
    std::thread::spawn(move || {
        let answer = starter.json("POST", &format!("/containers/{hostile}/start"), None);
        drop(starter);
        let _ = tx.send(answer);
    });
    // `ps` while the start runs (the daemon's client reads time out after 30 s).
    let (status, list) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(2)));
    let (status, v) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the hostile start never answered");
    assert_eq!(
        (status, v["message"].as_str()),
        (
            500,
            Some("unable to find user nobody: open /etc/passwd: not a regular file")
        )
    );
    let (_, list) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    // The SIGTERM path: stop the daemon (it stops the sleeper) within a bound.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(std::sync::Arc::into_inner(d).expect("the only owner left"));
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the daemon did not stop");
}

/// `HostConfig.SecurityOpt` as dockerd 20.10 takes it: checked at create (500 with its text),
/// shown back by inspect exactly as sent (`null`, `[]`, the list), and a profile decoded at
/// start, where a bad one fails the start with dockerd's text and leaves the container
/// created with exit code 128.
#[test]
fn security_options_are_checked_recorded_and_applied() {
    if !ready("security_options_are_checked_recorded_and_applied") {
        return;
    }
    let d = Daemon::start();
    let create = |opts: &str| {
        let body = format!(
            r#"{{"Image":"toolbox","Cmd":["/toolbox","out","x"],"HostConfig":{{"SecurityOpt":{opts}}}}}"#
        );
        d.json("POST", "/v1.41/containers/create", Some(&body))
    };
    for (opts, message) in [
        (r#"["foo"]"#, r#"invalid --security-opt 1: "foo""#),
        (r#"["foo=bar"]"#, r#"invalid --security-opt 2: "foo=bar""#),
        (
            r#"["no-new-privileges=maybe"]"#,
            r#"invalid --security-opt 2: "no-new-privileges=maybe""#,
        ),
    ] {
        let (status, v) = create(opts);
        assert_eq!((status, v["message"].as_str()), (500, Some(message)));
    }
    for opts in [
        "null",
        "[]",
        r#"["no-new-privileges:true","seccomp=unconfined"]"#,
    ] {
        let (status, v) = create(opts);
        assert_eq!(status, 201, "{v}");
        let id = v["Id"].as_str().unwrap();
        let (_, c) = d.json("GET", &format!("/containers/{id}/json"), None);
        let sent: Value = serde_json::from_str(opts).unwrap();
        assert_eq!(c["HostConfig"]["SecurityOpt"], sent);
    }
    let (_, v) = create(r#"["seccomp={bad"]"#);
    let id = v["Id"].as_str().unwrap();
    let (status, v) = d.json("POST", &format!("/containers/{id}/start"), None);
    let text = "Decoding seccomp profile failed: invalid character 'b' looking for beginning of \
                object key string";
    assert_eq!((status, v["message"].as_str()), (500, Some(text)));
    let (_, c) = d.json("GET", &format!("/containers/{id}/json"), None);
    assert_eq!(c["State"]["Status"], "created");
    assert_eq!(c["State"]["ExitCode"], 128);
    assert_eq!(c["State"]["Error"], text);
    let (_, info) = d.json("GET", "/info", None);
    assert_eq!(
        info["SecurityOptions"],
        serde_json::json!(["name=seccomp,profile=default"])
    );
}

/// Regression: `info` said `"CgroupVersion": "2"` on every host; on a hybrid host (v1
/// controllers, v2 at `/sys/fs/cgroup/unified`) dockerd 20.10 says "1". Both engines run on the
/// same host, so berth must say what the reference dockerd says.
#[test]
fn info_reports_the_hosts_cgroup_version_as_dockerd_does() {
    let test = "info_reports_the_hosts_cgroup_version_as_dockerd_does";
    let reference = berth_testkit::reference_socket();
    let missing = (!reference.exists()).then(|| {
        format!(
            "no reference dockerd at {} (scripts/refdockerd start)",
            reference.display()
        )
    });
    if !ready(test) || skip(test, missing) {
        return;
    }
    let mut s = UnixStream::connect(&reference).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    send(&mut s, "GET", "/v1.41/info", None, &["Connection: close"]);
    let dockerd: Value = serde_json::from_slice(&read_reply(&mut BufReader::new(s)).body).unwrap();
    let d = Daemon::start();
    let (_, info) = d.json("GET", "/info", None);
    assert_eq!(info["CgroupVersion"], dockerd["CgroupVersion"]);
    // berth writes cgroupfs itself and has no systemd driver.
    assert_eq!(info["CgroupDriver"], "cgroupfs");
}

/// Sends an attach upgrade and reads the 101.
fn attach(d: &Daemon, id: &str) -> BufReader<UnixStream> {
    let mut s = d.connect();
    send(
        &mut s,
        "POST",
        &format!("/v1.50/containers/{id}/attach?stream=1&stdout=1&stderr=1"),
        None,
        &["Connection: Upgrade", "Upgrade: tcp"],
    );
    let mut r = BufReader::new(s);
    let (status, headers) = read_head(&mut r);
    assert_eq!(status, 101, "{headers:?}");
    r
}

#[test]
fn attach_before_start_gets_the_output() {
    if !ready("attach_before_start_gets_the_output") {
        return;
    }
    let d = Daemon::start();
    let id = d.create(&["/toolbox", "out", "hello", "err", "oops"], "");
    let mut stream = attach(&d, &id);
    assert_eq!(
        d.call("POST", &format!("/containers/{id}/start"), None)
            .status,
        204
    );
    let mut data = Vec::new();
    stream.read_to_end(&mut data).unwrap();
    let mut got = frames(&data);
    got.sort();
    assert_eq!(got, [(1, "hello\n".into()), (2, "oops\n".into())]);
}

#[test]
fn wait_next_exit_answers_headers_first_and_body_at_exit() {
    if !ready("wait_next_exit_answers_headers_first_and_body_at_exit") {
        return;
    }
    let d = Daemon::start();
    let id = d.create(&["/toolbox", "exit", "7"], "");
    let mut s = d.connect();
    send(
        &mut s,
        "POST",
        &format!("/containers/{id}/wait?condition=next-exit"),
        None,
        &[],
    );
    let mut r = BufReader::new(s);
    let (status, headers) = read_head(&mut r);
    assert_eq!(status, 200);
    assert_eq!(
        d.call("POST", &format!("/containers/{id}/start"), None)
            .status,
        204
    );
    let head = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    let body: Value = serde_json::from_slice(&read_body(&mut r, &head)).unwrap();
    assert_eq!(body["StatusCode"], 7);
    // A dropped wait costs nothing: the daemon still answers at once.
    let mut s = d.connect();
    send(
        &mut s,
        "POST",
        &format!("/containers/{id}/wait?condition=next-exit"),
        None,
        &[],
    );
    drop(s);
    assert_eq!(d.call("GET", "/_ping", None).status, 200);
}

/// The fixture registry's address, from `BERTH_REGISTRY` or `scripts/registry addr`.
fn registry(test: &str) -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = std::env::var("BERTH_REGISTRY").ok().or_else(|| {
        let out = std::process::Command::new(root.join("scripts/registry"))
            .arg("addr")
            .output()
            .ok()?;
        let addr = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !addr.is_empty()).then_some(addr)
    });
    match found {
        Some(addr) => Some(addr),
        None => {
            skip(
                test,
                Some("no fixture registry (scripts/registry start)".into()),
            );
            None
        }
    }
}

#[test]
fn pull_streams_dockers_progress_lines() {
    let test = "pull_streams_dockers_progress_lines";
    if !ready(test) {
        return;
    }
    let Some(addr) = registry(test) else { return };
    let d = Daemon::start_with(|c| {
        c.registry_mirrors = vec![format!("http://{addr}")];
        c.insecure_registries = vec![addr.clone()];
    });
    let r = d.call("POST", "/images/create?fromImage=busybox&tag=latest", None);
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    let lines: Vec<Value> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["status"], "Pulling from library/busybox");
    assert_eq!(lines[0]["id"], "latest");
    assert!(
        lines.iter().any(|l| l["status"] == "Pull complete"),
        "{text}"
    );
    let last = lines.last().unwrap()["status"].as_str().unwrap();
    assert_eq!(last, "Status: Downloaded newer image for busybox:latest");
    // A failure before the first progress line is a plain error answer, not a 200 stream
    // (the mirror lacks it and Docker Hub is unreachable offline: 404 or 503).
    let (status, v) = d.json(
        "POST",
        "/images/create?fromImage=no-such-image&tag=latest",
        None,
    );
    assert!(status >= 400, "{status} {v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files in `dir`.
fn certificates(dir: &Path) -> TlsFiles {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).unwrap();
        dir.join(name)
    };
    let leaf = |name: &str, san: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(san)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        write(&format!("{name}.pem"), cert.pem());
        write(&format!("{name}-key.pem"), key.serialize_pem());
    };
    leaf("server", vec!["127.0.0.1".into()]);
    leaf("client", vec!["client".into()]);
    TlsFiles {
        ca: write("ca.pem", ca_cert.pem()),
        cert: dir.join("server.pem"),
        key: dir.join("server-key.pem"),
    }
}

fn tls_client(dir: &Path, with_cert: bool) -> rustls::ClientConfig {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    match with_cert {
        true => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(dir.join("client.pem")).unwrap()],
                PrivateKeyDer::from_pem_file(dir.join("client-key.pem")).unwrap(),
            )
            .unwrap(),
        false => builder.with_no_client_auth(),
    }
}

/// `GET /_ping` over TLS; `Err` when the daemon refused the connection.
fn tls_ping(addr: &str, config: rustls::ClientConfig) -> std::io::Result<Vec<u8>> {
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn tcp_needs_mutual_tls() {
    let test = "tcp_needs_mutual_tls";
    if !root_or_skip(test) {
        return;
    }
    let certs_dir = tempfile::tempdir().unwrap();
    let files = certificates(certs_dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let d = Daemon::start_with(|c| {
        c.hosts.push(format!("tcp://{addr}"));
        c.tls = Some(files);
    });
    let answer = tls_ping(&addr, tls_client(certs_dir.path(), true)).unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.ends_with("OK"),
        "{text}"
    );
    let refused = tls_ping(&addr, tls_client(certs_dir.path(), false));
    assert!(
        refused.is_err(),
        "a client without a certificate was served: {refused:?}"
    );
    drop(d);
}

#[test]
fn tls_handshake_that_never_finishes_is_dropped() {
    let test = "tls_handshake_that_never_finishes_is_dropped";
    if !root_or_skip(test) {
        return;
    }
    let certs_dir = tempfile::tempdir().unwrap();
    let files = certificates(certs_dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let d = Daemon::start_with(|c| {
        c.hosts.push(format!("tcp://{addr}"));
        c.tls = Some(files);
        c.limits.tls_handshake_timeout = Duration::from_millis(300);
    });
    // Connects and never says hello: the daemon hangs up.
    let mut silent = std::net::TcpStream::connect(&addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 16];
    let read = silent.read(&mut buf);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut),
        "{read:?}"
    );
    // A real client is still served.
    let answer = tls_ping(&addr, tls_client(certs_dir.path(), true)).unwrap();
    assert!(String::from_utf8_lossy(&answer).ends_with("OK"));
    drop(d);
}

#[test]
fn plain_tcp_is_refused_off_loopback() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt
        .block_on(berth_daemon::listen::bind_all(
            &["tcp://0.0.0.0:0".into()],
            None,
        ))
        .unwrap_err();
    assert!(e.to_string().contains("without TLS"), "{e}");
    let ok = rt.block_on(berth_daemon::listen::bind_all(
        &["tcp://127.0.0.1:0".into()],
        None,
    ));
    assert!(ok.is_ok());
}

#[test]
fn stdin_written_and_closed_before_start_reaches_the_container() {
    if !ready("stdin_written_and_closed_before_start_reaches_the_container") {
        return;
    }
    let d = Daemon::start();
    let extra = r#","OpenStdin":true,"StdinOnce":true,"AttachStdin":true"#;
    let id = d.create(&["/toolbox", "cat", "/dev/stdin"], extra);
    let mut s = d.connect();
    send(
        &mut s,
        "POST",
        &format!("/v1.50/containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1"),
        None,
        &["Connection: Upgrade", "Upgrade: tcp"],
    );
    let mut r = BufReader::new(s.try_clone().unwrap());
    assert_eq!(read_head(&mut r).0, 101);
    // As `echo piped | docker run -i`: everything written and the write side closed first.
    s.write_all(b"piped\n").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(
        d.call("POST", &format!("/containers/{id}/start"), None)
            .status,
        204
    );
    let mut data = Vec::new();
    r.read_to_end(&mut data).unwrap();
    assert_eq!(frames(&data), [(1, "piped\n".into())]);
}

/// The start request's `Tty`, not the exec's, decides the framing (dockerd's
/// `postContainerExecStart`): an SDK that starts a TTY exec without a TTY of its own reads
/// stdcopy frames, and one that asks for a TTY reads the raw terminal.
#[test]
fn exec_output_is_framed_by_the_start_requests_tty() {
    if !ready("exec_output_is_framed_by_the_start_requests_tty") {
        return;
    }
    let d = Daemon::start();
    let id = d.create(&["/toolbox", "sleep"], "");
    assert_eq!(
        d.call("POST", &format!("/containers/{id}/start"), None)
            .status,
        204
    );
    let start = |start_tty: bool| {
        let exec =
            r#"{"AttachStdout":true,"AttachStderr":true,"Tty":true,"Cmd":["/toolbox","out","hi"]}"#;
        let (status, v) = d.json("POST", &format!("/containers/{id}/exec"), Some(exec));
        assert_eq!(status, 201, "{v}");
        let body = format!(r#"{{"Detach":false,"Tty":{start_tty}}}"#);
        let exec_id = v["Id"].as_str().unwrap();
        d.call(
            "POST",
            &format!("/v1.41/exec/{exec_id}/start"),
            Some(body.as_bytes()),
        )
    };
    let framed = start(false);
    assert_eq!(
        framed.status,
        200,
        "{}",
        String::from_utf8_lossy(&framed.body)
    );
    assert_eq!(
        framed.header("Content-Type"),
        Some("application/vnd.docker.raw-stream")
    );
    assert_eq!(frames(&framed.body), [(1, "hi\r\n".into())]);
    assert_eq!(start(true).body, b"hi\r\n");
    d.call("POST", &format!("/containers/{id}/kill"), None);
}

/// The conformance harness drives the daemon over TCP with mutual TLS, as it would any remote
/// Docker engine: the shipped basics scenario must agree with the model step for step.
#[test]
fn the_basics_scenario_agrees_with_the_model_over_mutual_tls() {
    let test = "the_basics_scenario_agrees_with_the_model_over_mutual_tls";
    if !ready(test) {
        return;
    }
    let Some(registry) = registry(test) else {
        return;
    };
    let certs_dir = tempfile::tempdir().unwrap();
    let files = certificates(certs_dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let reg = registry.clone();
    let d = Daemon::start_with(|c| {
        c.hosts.push(format!("tcp://127.0.0.1:{port}"));
        c.tls = Some(files);
        c.registry_mirrors = vec![format!("http://{reg}")];
        c.insecure_registries = vec![reg];
    });
    let client_files = berth_client::tls::TlsFiles {
        ca: Some(certs_dir.path().join("ca.pem")),
        cert: Some(certs_dir.path().join("client.pem")),
        key: Some(certs_dir.path().join("client-key.pem")),
    };
    let endpoint = berth_client::transport::Endpoint {
        host: format!("tcp://127.0.0.1:{port}").parse().unwrap(),
        tls: Some(std::sync::Arc::new(
            berth_client::tls::TlsSettings::load(&client_files).unwrap(),
        )),
    };
    let mut engine = berth_conformance::api::ApiEngine::with_endpoint(
        "berth daemon over TLS",
        endpoint,
        Some(registry),
    )
    .with_fixtures(&fixtures());
    let mut model = berth_conformance::model_engine::ModelEngine::new(
        berth_model::Profile::Docker2010,
        berth_model::Catalog::fixtures(),
        0,
    );
    let templates: Vec<String> = berth_conformance::scenario::basics()
        .iter()
        .map(|c| c.to_shell())
        .collect();
    let known = berth_conformance::known::shipped();
    let summary =
        berth_conformance::session::run_script(&mut model, &mut engine, &templates, &known)
            .expect("every step reached the daemon over TLS");
    let table = berth_conformance::report::table(std::slice::from_ref(&summary));
    assert_eq!(summary.disagreements(), 0, "{table}");
    assert_eq!(summary.steps, templates.len(), "{table}");
    drop(d);
}
