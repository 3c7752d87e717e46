//! Unpack throughput of the `big` fixture image (four gzip layers, ~40 MB uncompressed, ~4,000
//! files, symlinks, a hard link, whiteouts, an opaque directory), from memory into a fresh
//! layer store in a temporary directory, compared with the single-core bound of the same
//! bytes: sha256 of the compressed stream + inflate + sha256 of the tar, with nothing written.
//!
//! The layers come from `target/fixtures/big` when `scripts/fixtures` has built it (or from
//! `$BERTH_FIXTURES_DIR`), otherwise the bench builds `big` itself with `berth-fixtures`.
//! Throughput is reported in uncompressed (tar) bytes for every case, so the numbers compare
//! directly. Layers are published without `syncfs` (a flush measures the disk, not the code).

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_fixtures::{build_fixture, BuildOptions, Built, Fixture, FixtureImage, FixtureSet};
use berth_store::{Digest, LayerStore, UnpackOptions};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flate2::bufread::MultiGzDecoder;
use sha2::{Digest as _, Sha256};

/// The big image's layers, compressed, in memory, with their DiffIDs.
struct Big {
    layers: Vec<(Vec<u8>, Digest)>,
    tar_bytes: u64,
    _built: Option<tempfile::TempDir>,
}

fn fixtures_dir() -> PathBuf {
    std::env::var_os("BERTH_FIXTURES_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fixtures"),
        PathBuf::from,
    )
}

fn load_big() -> Big {
    let dir = fixtures_dir();
    let prebuilt = FixtureSet::load(&dir)
        .ok()
        .and_then(|set| set.get("big", "latest").cloned());
    let (image, out, built) = match prebuilt {
        Some(image) => (image, dir, None),
        None => {
            let temp = tempfile::tempdir().expect("temp dir");
            eprintln!(
                "target/fixtures/big not built; building it in {}",
                temp.path().display()
            );
            let image = build_here(temp.path());
            (image, temp.path().to_owned(), Some(temp))
        }
    };
    let blobs = out.join(&image.layout).join("blobs/sha256");
    let layers: Vec<(Vec<u8>, Digest)> = image
        .layers
        .iter()
        .map(|l| {
            let bytes = std::fs::read(blobs.join(l.digest.hex())).expect("layer blob");
            (bytes, l.diff_id.to_string().parse().expect("diff id"))
        })
        .collect();
    let tar_bytes = image.layers.iter().map(|l| l.uncompressed_size).sum();
    Big {
        layers,
        tar_bytes,
        _built: built,
    }
}

fn build_here(out: &Path) -> FixtureImage {
    let opts = BuildOptions {
        out: out.to_owned(),
        toolbox: PathBuf::new(),
        busybox: PathBuf::new(),
    };
    match build_fixture(Fixture::Big, &opts).expect("build big") {
        Built::Images(mut images) => images.remove(0),
        Built::Skipped(s) => panic!("big skipped: {}", s.reason),
    }
}

/// Unpacks every layer of `big` into a new store under `dir`, one after another.
fn unpack_sequential(big: &Big, dir: &Path) {
    let store = LayerStore::open(dir, false).expect("layer store");
    for (bytes, diff_id) in &big.layers {
        let options = UnpackOptions {
            diff_id: Some(diff_id.clone()),
            ..UnpackOptions::default()
        };
        store.unpack(&bytes[..], &options).expect("unpack");
    }
}

/// The same, one thread per layer (what a pull does).
fn unpack_parallel(big: &Big, dir: &Path) {
    let store = LayerStore::open(dir, false).expect("layer store");
    std::thread::scope(|s| {
        for (bytes, diff_id) in &big.layers {
            let store = &store;
            s.spawn(move || {
                let options = UnpackOptions {
                    diff_id: Some(diff_id.clone()),
                    ..UnpackOptions::default()
                };
                store.unpack(&bytes[..], &options).expect("unpack");
            });
        }
    });
}

/// The single-core bound: hash compressed, inflate, hash uncompressed, write nothing.
fn hash_inflate_hash(big: &Big) -> u64 {
    let mut total = 0;
    for (bytes, _) in &big.layers {
        let compressed = Sha256::digest(bytes);
        let mut inflater =
            MultiGzDecoder::new(io::BufReader::with_capacity(256 * 1024, &bytes[..]));
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = inflater.read(&mut buf).expect("inflate");
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            total += n as u64;
        }
        criterion::black_box((compressed, hasher.finalize()));
    }
    total
}

fn bench(c: &mut Criterion) {
    let big = load_big();
    let compressed: usize = big.layers.iter().map(|(b, _)| b.len()).sum();
    eprintln!(
        "big: {} layers, {:.1} MB compressed, {:.1} MB uncompressed",
        big.layers.len(),
        compressed as f64 / 1e6,
        big.tar_bytes as f64 / 1e6
    );
    let mut group = c.benchmark_group("unpack_big");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(big.tar_bytes));
    group.bench_function("bound_sha256_inflate_sha256", |b| {
        b.iter(|| hash_inflate_hash(&big))
    });
    group.bench_function("unpack_sequential", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                unpack_sequential(&big, dir.path());
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("unpack_parallel", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                unpack_parallel(&big, dir.path());
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
