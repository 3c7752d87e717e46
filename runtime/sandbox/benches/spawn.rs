//! Spawn busybox `true` in a prepared overlay and wait for it: the sandbox's share of a warm
//! `docker run --rm`. Three network modes (fresh namespace, host, prepared namespace), then a
//! per-step breakdown (median of each step over 200 spawns) printed to stderr. Needs root.
//!
//! On the shared 2-core VM (load 3-4), the step that differs between a fresh network
//! namespace and the host's is `clone`: 0.52 ms against 0.12 ms, so creating the namespace
//! costs about 0.4 ms. `NetnsPool` (used by the lifecycle) prepares namespaces in the
//! background so that a start joins one with `setns` for a few microseconds instead.
//!
//! One cost these back-to-back loops hide: the first write into a v1 `cgroup.procs` after the
//! cgroup subsystem was idle for a while takes the global threadgroup rwsem for writing, which
//! waits for an RCU grace period (measured: median 10 ms after 20 ms of quiet, 0.02 ms when the
//! previous attach was under 5 ms earlier). A lone `docker run` paid it. Now the child is born
//! in its v2 directory (`clone3` with `CLONE_INTO_CGROUP`, which takes the rwsem only for
//! reading) and joins a v1 hierarchy only for a limit that hierarchy enforces, so these
//! limit-less spawns write no `cgroup.procs` at all; a container with a memory, pids or cpu
//! limit on a hybrid host still pays it once.

use std::fs;
use std::os::fd::OwnedFd;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use berth_sandbox::{
    CgroupSpec, HostConfig, Limits, Network, PreparedNetns, RootfsSpec, Sandbox, Spec, Stdio, User,
};
use criterion::{criterion_group, criterion_main, Criterion};

struct Fixture {
    _dir: tempfile::TempDir,
    spec: Spec,
    sandbox: Sandbox,
}

fn fixture(network: Network) -> Fixture {
    let dir = tempfile::Builder::new()
        .prefix("berth-bench-")
        .tempdir()
        .unwrap();
    let layer = dir.path().join("layer");
    fs::create_dir_all(layer.join("bin")).unwrap();
    fs::copy("/bin/busybox", layer.join("bin/busybox")).unwrap();
    symlink("busybox", layer.join("bin/true")).unwrap();
    for d in ["upper", "work", "rootfs"] {
        fs::create_dir(dir.path().join(d)).unwrap();
    }
    let spec = Spec {
        rootfs: RootfsSpec {
            lower_dirs: vec![layer],
            upper_dir: dir.path().join("upper"),
            work_dir: dir.path().join("work"),
            mount_point: dir.path().join("rootfs"),
            volatile: true,
        },
        argv: vec!["/bin/true".into()],
        env: vec!["PATH=/bin".into()],
        cwd: "/".into(),
        hostname: "b3nch0000000".into(),
        user: User::default(),
        network,
        limits: Limits::default(),
        binds: Vec::new(),
        cgroup: CgroupSpec {
            parent: PathBuf::from(format!("berth-bench-{}", std::process::id())),
            name: "c".into(),
        },
        seccomp: Default::default(),
        no_new_privileges: false,
    };
    Fixture {
        _dir: dir,
        spec,
        sandbox: Sandbox::new(HostConfig::standard()),
    }
}

fn null_stdio() -> Stdio {
    let null = || {
        OwnedFd::from(
            fs::File::options()
                .read(true)
                .write(true)
                .open("/dev/null")
                .unwrap(),
        )
    };
    Stdio::Fds {
        stdin: null(),
        stdout: null(),
        stderr: null(),
    }
}

/// One spawn + wait + cleanup: the spawn's step timings, the spawn, the wait, the cleanup.
fn run_once(f: &Fixture) -> (Vec<(&'static str, Duration)>, Duration, Duration, Duration) {
    let mut running = f.sandbox.spawn(&f.spec, null_stdio()).unwrap();
    let steps = running.timings().steps();
    let spawn_total = running.timings().total();
    let t = std::time::Instant::now();
    let exit = running.wait().unwrap();
    let waited = t.elapsed();
    assert_eq!(exit.code, 0);
    running.cleanup().unwrap();
    (steps, spawn_total, waited, t.elapsed() - waited)
}

fn remove_parent(f: &Fixture) {
    for c in ["memory", "pids", "cpu", "devices", "unified"] {
        let _ = fs::remove_dir(
            Path::new("/sys/fs/cgroup")
                .join(c)
                .join(&f.spec.cgroup.parent),
        );
    }
}

fn median(v: Vec<Duration>) -> Duration {
    percentile(v, 50)
}

fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort_unstable();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn breakdown(label: &str, f: &Fixture, rounds: usize) {
    let mut per_step: Vec<(&'static str, Vec<Duration>)> = Vec::new();
    let (mut spawns, mut waits, mut cleanups, mut totals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (steps, spawn, wait, cleanup) = run_once(f);
        for (i, (name, d)) in steps.into_iter().enumerate() {
            if per_step.len() <= i {
                per_step.push((name, Vec::new()));
            }
            per_step[i].1.push(d);
        }
        spawns.push(spawn);
        waits.push(wait);
        cleanups.push(cleanup);
        totals.push(spawn + wait + cleanup);
    }
    eprintln!("\n== {label}: median of {rounds} spawns of busybox true ==");
    for (name, ds) in per_step {
        eprintln!("  {:>9.1} us  {name}", median(ds).as_secs_f64() * 1e6);
    }
    eprintln!(
        "  {:>9.1} us  = spawn (until exec'd)",
        median(spawns).as_secs_f64() * 1e6
    );
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    eprintln!(
        "  {:>9.1} us  wait (exit, namespace teardown)",
        us(median(waits))
    );
    eprintln!("  {:>9.1} us  cleanup (cgroup rmdir)", us(median(cleanups)));
    eprintln!(
        "  {:>9.1} us  total  (p90 {:.1} us, p99 {:.1} us)",
        us(median(totals.clone())),
        us(percentile(totals.clone(), 90)),
        us(percentile(totals, 99))
    );
}

fn bench(c: &mut Criterion) {
    if !berth_testkit::is_root() {
        eprintln!("skipped spawn bench: needs root");
        return;
    }
    let mut group = c.benchmark_group("sandbox");
    group.sample_size(30);
    let isolated = fixture(Network::Isolated);
    group.bench_function("spawn_wait_true/netns", |b| b.iter(|| run_once(&isolated)));
    let host = fixture(Network::Host);
    group.bench_function("spawn_wait_true/host_net", |b| b.iter(|| run_once(&host)));
    let prepared = fixture(Network::Host);
    group.bench_function("spawn_wait_true/prepared_netns", |b| {
        b.iter_batched(
            || {
                let mut spec = prepared.spec.clone();
                spec.network =
                    Network::Prepared(Arc::new(PreparedNetns::create(Path::new("/proc")).unwrap()));
                spec
            },
            |spec| {
                let mut running = prepared.sandbox.spawn(&spec, null_stdio()).unwrap();
                running.wait().unwrap();
                running.cleanup().unwrap();
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
    breakdown("fresh network namespace", &isolated, 200);
    breakdown("host network", &host, 200);
    let mut durable = fixture(Network::Host);
    durable.spec.rootfs.volatile = false;
    breakdown(
        "host network, non-volatile overlay (syncfs on exit)",
        &durable,
        200,
    );
    remove_parent(&durable);
    for f in [&isolated, &host, &prepared] {
        remove_parent(f);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
