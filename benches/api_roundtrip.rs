//! `api_roundtrip`: one container's life through `berth daemon`'s socket, as an SDK drives it:
//! `POST /containers/create` (hello-world), `POST .../start`, `POST .../wait` (answered at
//! exit), `DELETE /containers/{id}`, over the blocking Engine API client every berth tool uses.
//! The daemon runs in this process on a temporary root with the fixture image loaded, so the
//! number is the API layer plus the runtime, without a CLI's process start. Compare with
//! `start_warm` (the runtime alone) to see what HTTP costs.
//!
//! Needs root and the fixtures (`scripts/fixtures`); without them it says so and measures
//! nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_client::http::Client;
use berth_daemon::DaemonConfig;
use berth_runtime::engine::{Engine, EngineOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    match std::env::var_os("BERTH_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fixtures"),
    }
}

fn missing() -> Option<String> {
    if !berth_testkit::is_root() {
        return Some("needs root".into());
    }
    let layout = fixtures().join("hello-world/index.json");
    (!layout.exists()).then(|| format!("{} missing (run scripts/fixtures)", layout.display()))
}

/// A daemon serving on a temp socket from a thread; stopped and cleaned up on drop.
struct Daemon {
    socket: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("berth-api-bench-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().join("root");
        let cgroup_parent = PathBuf::from(format!("berth-api-bench-{}", std::process::id()));
        let mut options = EngineOptions::new(&root);
        options.cgroup_parent = cgroup_parent.clone();
        let engine = Engine::open(options).expect("engine opens");
        engine
            .load(&fixtures().join("hello-world"))
            .expect("hello-world loads");
        drop(engine);
        let socket = dir.path().join("berth.sock");
        let mut config = DaemonConfig::new(root);
        config.hosts = vec![format!("unix://{}", socket.display())];
        config.cgroup_parent = cgroup_parent;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            let served = runtime.block_on(berth_daemon::serve(config, async {
                let _ = stopped.await;
            }));
            served.expect("the daemon serves");
        });
        let daemon = Daemon {
            socket,
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        };
        for _ in 0..500 {
            if daemon.socket.exists() {
                return daemon;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the daemon did not come up at {}", daemon.socket.display());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One create, start, wait, remove; panics on any answer a daemon should not give.
fn roundtrip(client: &Client) {
    let created = client
        .request(
            "POST",
            "/containers/create",
            Some(&json!({"Image": "hello-world"})),
        )
        .expect("create sent");
    assert_eq!(created.status, 201, "create: {}", created.message());
    let id = created
        .json()
        .and_then(|v: Value| v["Id"].as_str().map(str::to_string))
        .expect("an Id");
    let started = client
        .request("POST", &format!("/containers/{id}/start"), None)
        .expect("start sent");
    assert_eq!(started.status, 204, "start: {}", started.message());
    let waited = client
        .request("POST", &format!("/containers/{id}/wait"), None)
        .expect("wait sent");
    assert_eq!(waited.status, 200, "wait: {}", waited.message());
    let removed = client
        .request("DELETE", &format!("/containers/{id}"), None)
        .expect("delete sent");
    assert_eq!(removed.status, 204, "delete: {}", removed.message());
}

fn bench(c: &mut Criterion) {
    if let Some(why) = missing() {
        eprintln!("api_roundtrip: skipped, {why}");
        return;
    }
    let daemon = Daemon::start();
    let client = Client::new(&daemon.socket, "1.53");
    let mut group = c.benchmark_group("api_roundtrip");
    group.sample_size(50);
    group.bench_function("create_start_wait_rm_hello_world", |b| {
        b.iter(|| roundtrip(&client))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
