//! A warm `docker run` of busybox in process: create, start, wait for the exit, read the
//! output back from the json-file log, remove. The image layer is built once; every iteration
//! pays for the records (`config.json` fsynced at create; the state renamed into place, not
//! fsynced, at start and exit), the cgroup, the sandbox spawn (joining a network namespace from
//! the pool), the exit watcher (a kept container's overlay is not volatile, so its exit syncs
//! the upper dir's filesystem) and the removal (a rename; the tree is deleted in the
//! background). Needs root (prints one line and does nothing otherwise).
//!
//! `busybox_true`, criterion median, old and new binaries alternated on the shared 2-core VM
//! (load 3-5): 5.64 and 5.17 ms before, 4.50 and 4.12 ms after (the after build also carries
//! the new /etc/hosts, /etc/hostname and /etc/resolv.conf files, about 0.5 ms of start).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{
    Containers, CreateOptions, ImageConfig, ImageInfo, Images, Resolved, StoreOptions,
    WaitCondition,
};
use berth_sandbox::HostConfig;
use criterion::{criterion_group, criterion_main, Criterion};

#[derive(Debug)]
struct Busybox(PathBuf);

#[derive(Debug, thiserror::Error)]
#[error("No such image: {0}")]
struct NoSuchImage(String);

impl Kind for NoSuchImage {
    fn kind(&self) -> ErrorKind {
        ErrorKind::NotFound
    }
}

impl Images for Busybox {
    type Error = NoSuchImage;
    type Lease = ();

    fn resolve(&self, reference: &str) -> Result<Resolved<()>, NoSuchImage> {
        if reference != "busybox" {
            return Err(NoSuchImage(reference.into()));
        }
        let image = ImageInfo {
            id: format!("sha256:{}", "b".repeat(64)),
            layer_dirs: vec![self.0.clone()],
            config: ImageConfig {
                cmd: vec!["sh".into()],
                env: vec!["PATH=/bin".into()],
                ..ImageConfig::default()
            },
        };
        Ok(Resolved { image, lease: () })
    }
}

fn run_once(c: &Containers<Busybox>, argv: &[&str]) -> String {
    let id = c
        .create(CreateOptions {
            image: "busybox".into(),
            cmd: argv.iter().map(|s| s.to_string()).collect(),
            ..CreateOptions::default()
        })
        .unwrap();
    c.start(id.as_str()).unwrap();
    let deadline = Some(Instant::now() + Duration::from_secs(10));
    let exit = c
        .wait(id.as_str(), WaitCondition::NotRunning, deadline)
        .unwrap();
    assert_eq!(exit.map(|e| e.status_code), Some(0));
    let out: String = c
        .logs(id.as_str())
        .unwrap()
        .into_iter()
        .map(|e| e.bytes)
        .collect();
    c.remove(id.as_str(), false).unwrap();
    out
}

fn bench(cr: &mut Criterion) {
    if !berth_testkit::is_root() {
        eprintln!("skipped lifecycle_start: needs root");
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("berth-lc-bench-")
        .tempdir()
        .unwrap();
    let layer = dir.path().join("layer");
    fs::create_dir_all(layer.join("bin")).unwrap();
    fs::copy("/bin/busybox", layer.join("bin/busybox")).unwrap();
    for applet in ["true", "echo", "sh"] {
        symlink("busybox", layer.join("bin").join(applet)).unwrap();
    }
    let options = StoreOptions {
        root: dir.path().join("containers"),
        cgroup_parent: PathBuf::from(format!("berth-lc-bench-{}", std::process::id())),
        host: HostConfig::standard(),
    };
    let c = Containers::open(options.clone(), Busybox(layer)).unwrap();
    assert_eq!(run_once(&c, &["echo", "hello"]), "hello\n");
    let mut group = cr.benchmark_group("lifecycle_start");
    group.sample_size(50);
    group.bench_function("busybox_true", |b| b.iter(|| run_once(&c, &["true"])));
    group.bench_function("busybox_echo_hello", |b| {
        b.iter(|| run_once(&c, &["echo", "hello"]))
    });
    group.finish();
    c.shutdown(Duration::from_secs(1));
    for h in [
        "memory",
        "pids",
        "cpu",
        "cpu,cpuacct",
        "devices",
        "unified",
        "",
    ] {
        let _ = fs::remove_dir(
            PathBuf::from("/sys/fs/cgroup")
                .join(h)
                .join(&options.cgroup_parent),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
