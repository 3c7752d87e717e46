//! Hostile archives and crashes, through the public API: tar bombs refused with dockerd's words
//! in bounded memory, decompression bombs stopped by the space limits, the root's lock and
//! modes, damaged records quarantined instead of stopping the store, the `rmi` and pull race,
//! and `fsck`. Every hostile case also checks that nothing is left behind.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use berth_core::{ErrorKind, Kind};
use berth_store::{
    fsck, ImageError, LoadOptions, NoContainers, Problem, Repair, Severity, SpaceLimits, Store,
    StoreOptions,
};

use super::{base, docker_save, gzip, image, import, open, pull, r, tar_of, Built};

/// dockerd 20.10's `docker load` text for every archive below whose tar headers Go refuses
/// (checked against the reference dockerd with the same archives).
const DOCKERD_FIELD_TOO_LONG: &str =
    "Error processing tar file(exit status 1): archive/tar: header field too long";

// ------------------------------------------------------------------------- hostile archives

/// A header block of any type flag and size, as a tar writer would make it.
fn header(name: &str, kind: u8, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(1_600_000_000);
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// One gzip member of `n` MiB of `byte`: repeated back to back (Go and the store read gzip
/// members one after another), it makes a bomb of any size from a few kilobytes each.
fn gzip_mib(byte: u8, n: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![byte; 1 << 20];
    for _ in 0..n {
        gz.write_all(&chunk).unwrap();
    }
    gz.finish().unwrap()
}

/// The gzip stream of `head` followed by `mib` MiB of `byte`, built in kilobytes.
fn gzip_bomb(head: &[u8], byte: u8, mib: usize) -> Vec<u8> {
    let mut bomb = gzip(head);
    let member = gzip_mib(byte, 1);
    for _ in 0..mib {
        bomb.extend_from_slice(&member);
    }
    bomb
}

/// The archive of the issue: its first header a GNU long name claiming 768 MiB, all of which
/// follows (768 MiB of `a`), gzip-compressed to under a megabyte.
fn long_name_bomb() -> Vec<u8> {
    gzip_bomb(&header("././@LongLink", b'L', 768 << 20), b'a', 768)
}

/// A plain archive whose first header is an extension header of `kind` claiming 768 MiB,
/// with 3 MiB of it present.
fn plain_bomb(kind: u8) -> Vec<u8> {
    let mut bytes = header("././@LongLink", kind, 768 << 20);
    bytes.extend(vec![b'a'; 3 << 20]);
    bytes
}

/// A `docker save` archive whose one layer is `layer` (a tar, taken as it is).
fn save_with_layer(layer: &[u8], tag: &str) -> Vec<u8> {
    let built = Built {
        config: serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [berth_store::Digest::of(layer).to_string()]},
        }))
        .unwrap(),
        manifest: Vec::new(),
        layers: Vec::new(),
        tars: vec![layer.to_vec()],
    };
    docker_save(&[(&built, &[tag])])
}

/// A layer whose one file carries a PAX header of `records` records of `key_prefix<N>`.
fn pax_layer(key_prefix: &str, records: usize) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let keys: Vec<String> = (0..records).map(|i| format!("{key_prefix}{i}")).collect();
    builder
        .append_pax_extensions(keys.iter().map(|k| (k.as_str(), &b"x"[..])))
        .unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(5);
    h.set_mode(0o644);
    builder.append_data(&mut h, "f", &b"hello"[..]).unwrap();
    builder.into_inner().unwrap()
}

/// Nothing of a refused load or pull is left: no image, layer, blob, spool or ingest file.
fn assert_nothing_left(store: &Store) {
    assert!(store.images().is_empty());
    assert!(
        store.layers().list().unwrap().is_empty(),
        "a layer was kept"
    );
    for dir in ["tmp", "ingest", "blobs/sha256"] {
        let left: Vec<_> = fs::read_dir(store.root().join(dir)).unwrap().collect();
        assert!(left.is_empty(), "{dir}/ holds {left:?}");
    }
    let temps: Vec<_> = fs::read_dir(store.root().join("layers"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(temps.is_empty(), "layers/ holds {temps:?}");
}

fn load_bytes(store: &Store, dir: &Path, name: &str, bytes: &[u8]) -> berth_store::LoadError {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    store
        .load(&path, &LoadOptions::default())
        .expect_err("hostile archive loaded")
}

#[test]
fn load_refuses_the_768_mib_long_name_archive_with_dockers_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let err = load_bytes(&store, dir.path(), "bomb.tar.gz", &long_name_bomb());
    assert_eq!(err.to_string(), DOCKERD_FIELD_TOO_LONG);
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_nothing_left(&store);
}

#[test]
fn load_refuses_every_oversized_extension_header_kind_in_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    for kind in [b'L', b'K', b'x', b'g'] {
        let err = load_bytes(&store, dir.path(), "bomb.tar", &plain_bomb(kind));
        assert_eq!(
            err.to_string(),
            DOCKERD_FIELD_TOO_LONG,
            "type {}",
            kind as char
        );
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert_nothing_left(&store);
    }
}

#[test]
fn load_refuses_a_layer_holding_a_pax_bomb_with_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    // Two MiB of PAX records, all present: over Go's cap, so refused before it is read.
    let mut layer = header("PaxHeaders/f", b'x', 2 << 20);
    layer.extend(vec![b'\n'; 2 << 20]);
    layer.extend(tar_of(&[("f", b"x")]));
    let err = load_bytes(
        &store,
        dir.path(),
        "pax.tar",
        &save_with_layer(&layer, "pax:1"),
    );
    assert_eq!(err.to_string(), DOCKERD_FIELD_TOO_LONG);
    assert_nothing_left(&store);
}

#[test]
fn a_pax_header_of_many_small_records_under_the_cap_loads_as_in_dockerd() {
    // 50 000 records (about 900 KiB): dockerd loads this archive.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let layer = pax_layer("comment", 50_000);
    assert!(layer.len() < 1 << 20 && layer.len() > 800 << 10);
    let path = dir.path().join("many.tar");
    fs::write(&path, save_with_layer(&layer, "many:records")).unwrap();
    let report = store.load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(report.lines, ["Loaded image: many:records"]);
    let diff = store.layers().diff_dir(&berth_store::Digest::of(&layer));
    assert_eq!(fs::read(diff.join("f")).unwrap(), b"hello");
}

// ---------------------------------------------------------------------- decompression bombs

fn capped(dir: &Path, max: u64) -> Store {
    let options = StoreOptions {
        sync_layers: false,
        limits: SpaceLimits {
            max_bytes: Some(max),
            ..SpaceLimits::default()
        },
        ..StoreOptions::default()
    };
    Store::open_with(dir, options).unwrap()
}

/// A layer of one file of `mib` MiB of zeros, gzip-compressed, and its DiffID.
fn zero_layer(mib: usize) -> (Vec<u8>, String) {
    use sha2::Digest as _;
    let head = header("zeros", b'0', (mib as u64) << 20);
    let mut hasher = sha2::Sha256::new();
    hasher.update(&head);
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        hasher.update(&zeros);
    }
    hasher.update([0u8; 1024]);
    let mut gz = gzip_bomb(&head, 0, mib);
    gz.extend(gzip(&[0u8; 1024]));
    (gz, format!("sha256:{:x}", hasher.finalize()))
}

/// An image (as a registry serves it) whose one layer is `gz` with DiffID `diff_id`.
fn image_of_layer(gz: Vec<u8>, diff_id: &str) -> Built {
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": berth_store::Digest::of(&config).to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": berth_store::Digest::of(&gz).to_string(), "size": gz.len()}],
    }))
    .unwrap();
    Built {
        config,
        manifest,
        layers: vec![gz],
        tars: Vec::new(),
    }
}

#[test]
fn a_gzip_bomb_layer_stops_at_the_configured_cap() {
    let dir = tempfile::tempdir().unwrap();
    let store = capped(&dir.path().join("store"), 64 << 20);
    let (gz, diff_id) = zero_layer(256);
    assert!(gz.len() < 1 << 20, "the bomb is {} bytes", gz.len());
    let built = image_of_layer(gz, &diff_id);
    let plan = store.begin_import(&built.manifest, &built.config).unwrap();
    let err = plan.unpack_layer(0, &built.layers[0][..]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    assert_eq!(
        err.to_string(),
        "failed to register layer: layer expands to more than the limit of 67108864 bytes"
    );
    drop(plan);
    assert_nothing_left(&store);
}

#[test]
fn a_compressed_archive_that_inflates_past_the_cap_is_refused_and_its_spool_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = capped(&dir.path().join("store"), 32 << 20);
    // A valid tar header for a 128 MiB file, then the zeros: only the inflation can stop it.
    let bomb = gzip_bomb(&header("big", b'0', 128 << 20), 0, 128);
    let err = load_bytes(&store, dir.path(), "bomb.tar.gz", &bomb);
    assert_eq!(
        err.to_string(),
        "the inflated archive expands to more than the limit of 33554432 bytes"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_nothing_left(&store);
}

#[test]
fn a_file_bigger_than_the_free_space_is_refused_before_any_of_it_is_written() {
    // A GNU sparse file of 1 TiB with one block of data: a 2 KiB layer that would write
    // out a terabyte of zeros. Its declared size is checked against the free space first.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(512);
    h.set_mode(0o644);
    let gnu = h.as_gnu_mut().unwrap();
    gnu.name[..4].copy_from_slice(b"huge");
    gnu.realsize = octal12(1 << 40);
    gnu.sparse[0].offset = octal12((1 << 40) - 512);
    gnu.sparse[0].numbytes = octal12(512);
    h.set_cksum();
    let mut tar = h.as_bytes().to_vec();
    tar.extend(vec![1u8; 512]);
    tar.extend(vec![0u8; 1024]);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let built = image_of_layer(gzip(&tar), &berth_store::Digest::of(&tar).to_string());
    let plan = store.begin_import(&built.manifest, &built.config).unwrap();
    let err = plan.unpack_layer(0, &built.layers[0][..]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::System, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("failed to register layer: no space left for layer in ")
            && text.contains("1099511627776 more bytes"),
        "{text}"
    );
    drop(plan);
    assert_nothing_left(&store);
}

/// A 12-byte tar number in GNU's base-256 form (octal stops at 8 GiB).
fn octal12(n: u64) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[0] = 0x80;
    out[4..].copy_from_slice(&n.to_be_bytes());
    out
}

#[test]
fn files_streaming_in_stop_when_the_free_space_reaches_the_reserve() {
    // The reserve set 160 MiB under what is free now: 1 GiB of zeros in 4 MiB files (each
    // small enough to pass the up-front check) must stop after about 160 MiB.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    fs::create_dir_all(&root).unwrap();
    let free = berth_store::space::available(&root).unwrap();
    let options = StoreOptions {
        sync_layers: false,
        limits: SpaceLimits {
            max_bytes: None,
            min_free: free.saturating_sub(160 << 20),
        },
        ..StoreOptions::default()
    };
    let store = Store::open_with(&root, options).unwrap();
    let mut gz = Vec::new();
    let member = gzip_mib(0, 4);
    for i in 0..256 {
        gz.extend(gzip(&header(&format!("f{i}"), b'0', 4 << 20)));
        gz.extend_from_slice(&member);
    }
    // The DiffID does not matter: the unpack must stop long before it is checked.
    let built = image_of_layer(gz, &berth_store::Digest::of(b"unknown").to_string());
    let plan = store.begin_import(&built.manifest, &built.config).unwrap();
    let err = plan.unpack_layer(0, &built.layers[0][..]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::System, "{err}");
    assert!(err.to_string().contains("no space left for layer"), "{err}");
    drop(plan);
    assert_nothing_left(&store);
}

// ------------------------------------------------------------------------ bounded memory

/// Runs `test` of this binary alone in a child process (where it does its work) and answers
/// the child's peak resident set (`VmHWM`) in bytes.
fn child_peak_rss(test: &str) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("BERTH_PEAK_RSS_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{test} failed in the child: {stdout}");
    let kib: u64 = stdout
        .lines()
        .find_map(|l| l.split("VmHWM-kB=").nth(1))
        .unwrap_or_else(|| panic!("{test} reported no peak: {stdout}"))
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// In the child only: the peak resident set so far, printed for the parent.
fn report_peak_rss() {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib = line.split_whitespace().nth(1).unwrap();
    println!("\nVmHWM-kB={kib}");
}

fn in_child() -> bool {
    std::env::var_os("BERTH_PEAK_RSS_CHILD").is_some()
}

/// The child half of the memory test; does nothing unless run by it.
#[test]
fn child_loads_the_long_name_bomb() {
    if !in_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let bomb = long_name_bomb();
    reset_peak_rss();
    let err = load_bytes(&store, dir.path(), "bomb.tar.gz", &bomb);
    assert_eq!(err.to_string(), DOCKERD_FIELD_TOO_LONG);
    report_peak_rss();
}

/// The child half of the memory test; does nothing unless run by it.
#[test]
fn child_unpacks_a_layer_with_many_pax_records() {
    if !in_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    // The same 900 KiB PAX header on twenty files (an 18 MB layer, written straight to
    // disk): the memory for one header, not twenty.
    let layer = dir.path().join("layer.tar");
    let mut builder = tar::Builder::new(std::io::BufWriter::new(fs::File::create(&layer).unwrap()));
    let keys: Vec<String> = (0..50_000).map(|i| format!("comment{i}")).collect();
    for i in 0..20 {
        builder
            .append_pax_extensions(keys.iter().map(|k| (k.as_str(), &b"x"[..])))
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(1);
        h.set_mode(0o644);
        builder
            .append_data(&mut h, format!("f{i}"), &b"x"[..])
            .unwrap();
    }
    builder.into_inner().unwrap().flush().unwrap();
    let archive = dir.path().join("save.tar");
    save_with_layer_file(&layer, &archive, "pax:many");
    reset_peak_rss();
    store.load(&archive, &LoadOptions::default()).unwrap();
    report_peak_rss();
}

/// A `docker save` archive at `out` whose one layer is the tar file `layer`, streamed.
fn save_with_layer_file(layer: &Path, out: &Path, tag: &str) {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut fs::File::open(layer).unwrap(), &mut hasher).unwrap();
    let diff_id = format!("sha256:{:x}", hasher.finalize());
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    let config_name = format!("{}.json", berth_store::Digest::of(&config).hex());
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": [tag], "Layers": ["l/layer.tar"]}
    ]))
    .unwrap();
    let mut builder = tar::Builder::new(fs::File::create(out).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, name, data).unwrap();
    };
    add(&config_name, &config);
    add("manifest.json", &manifest);
    builder.append_path_with_name(layer, "l/layer.tar").unwrap();
    builder.finish().unwrap();
}

/// In the child only: forgets the peak so far (Linux's `clear_refs` 5), so that building the
/// test's archive does not count.
fn reset_peak_rss() {
    let _ = fs::write("/proc/self/clear_refs", "5");
}

#[test]
fn hostile_archives_are_refused_in_bounded_memory() {
    // The 768 MiB long name took the daemon to 2.7 GB before the guard; now the refusal
    // costs what reading the header costs.
    let bomb = child_peak_rss("hardening::child_loads_the_long_name_bomb");
    eprintln!("peak RSS loading the long-name bomb: {} KiB", bomb / 1024);
    assert!(bomb < 100 << 20, "peak RSS {bomb} bytes");
    // Twenty files each with a 900 KiB PAX header: one header at a time.
    let pax = child_peak_rss("hardening::child_unpacks_a_layer_with_many_pax_records");
    eprintln!(
        "peak RSS loading 20 x 900 KiB PAX headers: {} KiB",
        pax / 1024
    );
    assert!(pax < 100 << 20, "peak RSS {pax} bytes");
}

// ------------------------------------------------------------------------- lock and modes

#[test]
fn a_second_open_of_a_store_in_use_is_refused_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path());
    // The first store is mid-pull: a blob being written, a layer being unpacked.
    let built = base("busy");
    let plan = first.begin_import(&built.manifest, &built.config).unwrap();
    let mut writer = first
        .blobs()
        .writer(&berth_store::Digest::of(&built.layers[0]), None)
        .unwrap();
    writer.write_all(&built.layers[0][..10]).unwrap();
    fs::create_dir(dir.path().join("layers/.tmp-unpacking-1-1")).unwrap();
    let before = tree(dir.path());

    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, ImageError::Locked { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().ends_with("/.lock"), "{err}");
    assert_eq!(
        tree(dir.path()),
        before,
        "the refused open changed the store"
    );

    drop((writer, plan, first));
    let again = open(dir.path());
    assert!(again.images().is_empty());
}

/// Every path under `root` with its size, sorted.
fn tree(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            out.push((entry.path(), if meta.is_dir() { 0 } else { meta.len() }));
        }
    }
    out.sort();
    out
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

#[test]
fn the_store_is_private_to_its_owner_as_dockerds_root_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let store = open(&root);
    pull(&store, &base("modes"), "modes");
    assert_eq!(mode(&root), 0o710);
    for (sub, want) in [
        ("blobs", 0o700),
        ("blobs/sha256", 0o700),
        ("ingest", 0o700),
        ("tmp", 0o700),
        ("images", 0o700),
        ("leases", 0o700),
        ("layers", 0o710),
    ] {
        assert_eq!(mode(&root.join(sub)), want, "{sub}");
    }
    for layer in store.layers().list().unwrap() {
        let dir = root.join("layers").join(layer.hex());
        assert_eq!(mode(&dir), 0o710, "{}", dir.display());
        assert_eq!(mode(&dir.join("layer.json")), 0o600);
    }
    for file in ["repositories.json", ".lock"] {
        assert_eq!(mode(&root.join(file)), 0o600, "{file}");
    }
    for sub in ["blobs/sha256", "images"] {
        for entry in fs::read_dir(root.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

#[test]
fn a_store_created_world_readable_is_tightened_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    drop(open(&root));
    for sub in ["", "blobs", "layers", "images", "tmp"] {
        fs::set_permissions(root.join(sub), fs::Permissions::from_mode(0o777)).unwrap();
    }
    drop(open(&root));
    assert_eq!(mode(&root), 0o710);
    assert_eq!(mode(&root.join("blobs")), 0o700);
    assert_eq!(mode(&root.join("layers")), 0o710);
    assert_eq!(mode(&root.join("images")), 0o700);
    assert_eq!(mode(&root.join("tmp")), 0o700);
}

// --------------------------------------------------------------- damaged records and races

#[test]
fn a_dangling_image_record_is_quarantined_instead_of_refusing_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let keep = base("stays");
    let broken = image(
        "2026-01-02T00:00:00Z",
        &[&[("only", b"mine")]],
        "loses-its-config",
    );
    {
        let store = open(dir.path());
        pull(&store, &keep, "stays");
        pull(&store, &broken, "broken");
    }
    let config = dir
        .path()
        .join("blobs/sha256")
        .join(broken.id().digest().hex());
    fs::remove_file(config).unwrap();

    let report = fsck(dir.path()).unwrap();
    assert_eq!(
        report.damage(),
        [&Problem::MissingConfig { image: broken.id() }],
        "{:?}",
        report.problems
    );

    let store = open(dir.path());
    assert_eq!(store.resolve("stays").unwrap(), keep.id());
    assert!(store.resolve("broken").is_err());
    let moved = dir
        .path()
        .join("images/quarantine")
        .join(format!("{}.json", broken.id().digest().hex()));
    let repairs = store.repairs();
    assert!(
        matches!(&repairs[0], Repair::QuarantinedImage { moved_to, reason, .. }
            if *moved_to == moved && reason.starts_with("config: blob")),
        "{repairs:?}"
    );
    let dropped: Vec<_> = repairs
        .iter()
        .filter_map(|r| match r {
            Repair::DroppedReference { reference, .. } => Some(reference.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        dropped.len(),
        2,
        "the tag and the digest reference: {dropped:?}"
    );
    assert!(moved.is_file());
    drop(store);

    let report = fsck(dir.path()).unwrap();
    assert!(report.damage().is_empty(), "{:?}", report.problems);
    assert_eq!(report.of(Severity::Repaired).len(), 1);
    assert_eq!(report.of(Severity::Leftover), Vec::<&Problem>::new());
}

#[test]
fn a_half_registered_image_is_quarantined_and_its_other_layers_collected() {
    let dir = tempfile::tempdir().unwrap();
    let two = image(
        "2026-01-03T00:00:00Z",
        &[&[("a", b"1")], &[("b", b"2")]],
        "two-layers",
    );
    {
        let store = open(dir.path());
        pull(&store, &two, "two");
    }
    let second = berth_store::Digest::of(&two.tars[1]);
    fs::remove_dir_all(dir.path().join("layers").join(second.hex())).unwrap();
    let report = fsck(dir.path()).unwrap();
    assert_eq!(
        report.damage(),
        [&Problem::MissingLayer {
            image: two.id(),
            diff_id: second
        }]
    );
    let store = open(dir.path());
    assert!(store.images().is_empty());
    assert!(store.layers().list().unwrap().is_empty());
}

/// Regression: an `rmi` between a pull's `begin_import` (which found the image already there)
/// and its `finish` deleted the config blob, and `finish` registered the image again without
/// it; the next open then refused to start.
#[test]
fn an_rmi_racing_a_pull_of_the_same_image_leaves_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let built = base("raced");
    {
        let store = open(dir.path());
        pull(&store, &built, "raced");
        let plan = store.begin_import(&built.manifest, &built.config).unwrap();
        assert!(plan.image_exists());
        let deleted = store.delete("raced", false, true, &NoContainers).unwrap();
        assert!(deleted.len() > 2, "{deleted:?}");
        plan.finish(&[r("raced")]).unwrap();
    }
    let report = fsck(dir.path()).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let store = open(dir.path());
    assert!(store.repairs().is_empty(), "{:?}", store.repairs());
    assert_eq!(store.resolve("raced").unwrap(), built.id());
    assert!(store.inspect("raced").is_ok());
}

#[test]
fn rmi_and_import_of_one_image_racing_on_threads_never_leave_damage() {
    let dir = tempfile::tempdir().unwrap();
    let built = base("threads");
    for round in 0..20 {
        let store = open(dir.path());
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..10 {
                    let plan = store.begin_import(&built.manifest, &built.config).unwrap();
                    if !plan.layers()[0].present {
                        // The layer may vanish with an rmi; it is then unpacked again.
                        let _ = plan.unpack_layer(0, &built.layers[0][..]);
                    }
                    let _ = plan.finish(&[r("threads")]);
                }
            });
            s.spawn(|| {
                for _ in 0..10 {
                    let _ = store.delete("threads", true, true, &NoContainers);
                    std::thread::yield_now();
                }
            });
        });
        drop(store);
        let report = fsck(dir.path()).unwrap();
        assert!(
            report.damage().is_empty(),
            "round {round}: {:?}",
            report.problems
        );
    }
}

// --------------------------------------------------------------------------------- fsck

#[test]
fn fsck_sorts_crash_leftovers_from_damage_and_a_reopen_clears_the_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let kept = base("kept");
    {
        let store = open(root);
        import(&store, &kept, &[r("kept")]);
        // What a crash in the middle of an import leaves: a published layer and blobs (its
        // config, manifest and layer blob) that no record refers to yet.
        let orphan = image("2026-01-04T00:00:00Z", &[&[("o", b"o")]], "orphan");
        store
            .layers()
            .unpack(&orphan.layers[0][..], &Default::default())
            .unwrap();
        for blob in [&orphan.config, &orphan.manifest, &orphan.layers[0]] {
            store.blobs().put(blob).unwrap();
        }
    }
    fs::create_dir(root.join("layers/.tmp-crash-1-1")).unwrap();
    fs::write(root.join("ingest/.tmp-abc-1-1"), b"part").unwrap();
    fs::write(root.join("tmp/.tmp-spool-1-1"), b"upload").unwrap();

    let report = fsck(root).unwrap();
    let leftovers: Vec<String> = report
        .of(Severity::Leftover)
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(report.damage().is_empty(), "{:?}", report.problems);
    assert_eq!(leftovers.len(), 7, "{leftovers:#?}");
    assert!(leftovers[0].starts_with("temporary file") && leftovers[0].contains(".tmp-crash"));
    assert!(leftovers.iter().any(|l| l.starts_with("partial ingest")));
    assert!(leftovers.iter().any(|l| l.starts_with("spool file")));
    assert!(leftovers
        .iter()
        .any(|l| l.ends_with("is unreferenced") && l.starts_with("layer")));
    let unreferenced_blobs = leftovers.iter().filter(|l| l.starts_with("blob")).count();
    assert_eq!(
        unreferenced_blobs, 3,
        "the orphan's config, manifest and layer blob"
    );

    drop(open(root));
    let report = fsck(root).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!((report.images, report.layers), (1, 1));
}

#[test]
fn fsck_refuses_a_store_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let err = fsck(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    drop(store);
    assert!(fsck(dir.path()).unwrap().is_clean());
}
