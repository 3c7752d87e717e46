//! A cold pull of the `big` fixture from the local registry (`scripts/registry start`) into
//! an empty store per iteration: resolve, download, verify and unpack every layer. The
//! registry address comes from `BERTH_REGISTRY` or `scripts/registry addr`; without one the
//! bench says so and measures nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use berth_registry::{Client, ClientConfig, Platform};
use berth_runtime::pull::pull;
use berth_store::Store;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn registry() -> Option<String> {
    if let Ok(addr) = std::env::var("BERTH_REGISTRY") {
        return Some(addr);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/registry");
    let out = Command::new(script).arg("addr").output().ok()?;
    let addr = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !addr.is_empty()).then_some(addr)
}

/// The compressed size of `big`, for MB/s: one pull to learn it (and to warm the registry).
fn compressed_size(runtime: &tokio::runtime::Runtime, client: &Client, reference: &str) -> u64 {
    let remote = berth_registry::reference::parse(reference).expect("reference");
    let resolved = runtime
        .block_on(client.resolve(&remote, &Platform::host()))
        .expect("resolve big");
    resolved.layers.iter().map(|l| l.size()).sum()
}

fn pull_big_cold(c: &mut Criterion) {
    let Some(addr) = registry() else {
        eprintln!("pull_big_cold: no registry (scripts/fixtures; scripts/registry start)");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let client = Client::new(ClientConfig::default()).expect("client");
    let reference = format!("{addr}/big:latest");
    let size = compressed_size(&runtime, &client, &reference);
    let mut group = c.benchmark_group("pull");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(size));
    // Stores are deleted only after the last sample: ext4 skips inodes freed in the last
    // minute when it allocates, so deleting a store right before the next pull made that pull
    // scan thousands of them and measured the allocator rather than the pull.
    let mut kept = Vec::new();
    group.bench_function("big_cold", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("temp dir");
                let store = Store::open(dir.path()).expect("store");
                let mut quiet = |_| {};
                let started = Instant::now();
                runtime
                    .block_on(pull(
                        &client,
                        &store,
                        &reference,
                        &Platform::host(),
                        &mut quiet,
                    ))
                    .expect("pull big");
                spent += started.elapsed();
                kept.push(dir);
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, pull_big_cold);
criterion_main!(benches);
