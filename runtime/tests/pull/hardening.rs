//! Hostile images through a real pull, and crash consistency around pulls: images whose one
//! layer is a tar bomb or a gzip bomb are pushed to the test registry through the
//! distribution API and pulled, and each must fail with dockerd's words (or a clear limit),
//! in bounded memory, leaving nothing behind. A second engine opening a root mid-pull is
//! refused without touching the pull's files, and `rmi` racing pulls of the same image never
//! leaves the store damaged or unopenable.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_core::{ErrorKind, Kind};
use berth_runtime::engine::{Engine, EngineOptions};
use berth_store::{fsck, NoContainers, SpaceLimits, Store, StoreOptions};
use sha2::{Digest as _, Sha256};

use super::{fixture, pulled, registry};

/// What dockerd 20.10 answers for a pull of each tar bomb below (checked against the
/// reference dockerd with the same images).
const DOCKERD_FIELD_TOO_LONG: &str = "failed to register layer: Error processing tar file(exit \
     status 1): archive/tar: header field too long";

// ------------------------------------------------------------------ pushing hostile images

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// One HTTP/1.1 request on its own connection; answers the status and the whole response.
fn http(addr: &str, method: &str, target: &str, headers: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, text)
}

/// Uploads one blob (monolithic: a POST for the session, a PUT with the digest).
fn push_blob(addr: &str, repo: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let (status, response) = http(addr, "POST", &format!("/v2/{repo}/blobs/uploads/"), "", b"");
    assert_eq!(status, 202, "{response}");
    let location = response
        .lines()
        .find_map(|l| l.strip_prefix("Location: "))
        .unwrap()
        .trim();
    let location = location
        .strip_prefix(&format!("http://{addr}"))
        .unwrap_or(location);
    let sep = if location.contains('?') { '&' } else { '?' };
    let target = format!("{location}{sep}digest={digest}");
    let headers = "Content-Type: application/octet-stream\r\n";
    let (status, response) = http(addr, "PUT", &target, headers, bytes);
    assert_eq!(status, 201, "{response}");
    digest
}

/// Pushes `repo:latest`: one layer (`gz`, any bytes) whose config claims DiffID `diff_id`.
fn push_image(addr: &str, repo: &str, gz: &[u8], diff_id: &str) -> String {
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["/x"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": push_blob(addr, repo, &config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": push_blob(addr, repo, gz), "size": gz.len()}],
    }))
    .unwrap();
    let headers = "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n";
    let target = format!("/v2/{repo}/manifests/latest");
    let (status, response) = http(addr, "PUT", &target, headers, &manifest);
    assert_eq!(status, 201, "{response}");
    format!("{addr}/{repo}:latest")
}

/// A header block of any type flag and size.
fn header(name: &str, kind: u8, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(size);
    h.set_mode(0o644);
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    h.as_bytes().to_vec()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// `head` then `mib` MiB of `byte`, as repeated gzip members: any size in kilobytes.
fn gzip_bomb(head: &[u8], byte: u8, mib: usize) -> Vec<u8> {
    let mut bomb = gzip(head);
    let member = gzip(&vec![byte; 1 << 20]);
    for _ in 0..mib {
        bomb.extend_from_slice(&member);
    }
    bomb
}

/// The archive as a layer: a GNU long name claiming 768 MiB, all of it present.
fn long_name_layer() -> Vec<u8> {
    gzip_bomb(&header("././@LongLink", b'L', 768 << 20), b'a', 768)
}

/// A store root and what it holds once a pull failed: nothing of the pull must remain.
fn assert_nothing_left(store: &Store) {
    assert!(store.images().is_empty());
    for dir in ["layers", "ingest", "tmp", "blobs/sha256"] {
        let left: Vec<_> = std::fs::read_dir(store.root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{dir}/ holds {left:?}");
    }
}

fn fresh(limits: SpaceLimits) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        limits,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), options).unwrap();
    (dir, store)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_long_name_bomb_is_refused_with_dockers_text() {
    let Some((addr, _)) = registry() else { return };
    let image = push_image(
        &addr,
        "berth-hostile/long-name",
        &long_name_layer(),
        &sha256(b"x"),
    );
    let (_dir, store) = fresh(SpaceLimits::default());
    let err = pulled(&store, &image).await.0.unwrap_err();
    assert_eq!(err.to_string(), DOCKERD_FIELD_TOO_LONG);
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_nothing_left(&store);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_pax_bomb_is_refused_with_dockers_text() {
    let Some((addr, _)) = registry() else { return };
    let mut layer = header("PaxHeaders/f", b'x', 2 << 20);
    layer.extend(vec![b'\n'; 2 << 20]);
    let image = push_image(&addr, "berth-hostile/pax", &gzip(&layer), &sha256(&layer));
    let (_dir, store) = fresh(SpaceLimits::default());
    let err = pulled(&store, &image).await.0.unwrap_err();
    assert_eq!(err.to_string(), DOCKERD_FIELD_TOO_LONG);
    assert_nothing_left(&store);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_gzip_bomb_stops_at_the_stores_cap() {
    let Some((addr, _)) = registry() else { return };
    // One file of 512 MiB of zeros: half a megabyte on the wire.
    let gz = gzip_bomb(&header("zeros", b'0', 512 << 20), 0, 512);
    assert!(gz.len() < 1 << 20);
    let image = push_image(&addr, "berth-hostile/gzip", &gz, &sha256(b"never checked"));
    let limits = SpaceLimits {
        max_bytes: Some(64 << 20),
        ..SpaceLimits::default()
    };
    let (_dir, store) = fresh(limits);
    let err = pulled(&store, &image).await.0.unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to register layer: layer expands to more than the limit of 67108864 bytes"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_nothing_left(&store);
}

// --------------------------------------------------------------------------- bounded memory

/// The child half of the memory test; does nothing unless run by it.
#[tokio::test(flavor = "multi_thread")]
async fn child_pulls_the_long_name_bomb() {
    let Ok(image) = std::env::var("BERTH_PEAK_RSS_CHILD") else {
        return;
    };
    let (_dir, store) = fresh(SpaceLimits::default());
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let err = pulled(&store, &image).await.0.unwrap_err();
    assert_eq!(err.to_string(), DOCKERD_FIELD_TOO_LONG);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    println!("\nVmHWM-kB={}", line.split_whitespace().nth(1).unwrap());
}

#[test]
fn a_pulled_long_name_bomb_is_refused_in_bounded_memory() {
    let Some((addr, _)) = registry() else { return };
    let image = push_image(
        &addr,
        "berth-hostile/long-name",
        &long_name_layer(),
        &sha256(b"x"),
    );
    let test = "hardening::child_pulls_the_long_name_bomb";
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("BERTH_PEAK_RSS_CHILD", &image)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let kib: u64 = stdout
        .lines()
        .find_map(|l| l.split("VmHWM-kB=").nth(1))
        .unwrap_or_else(|| panic!("no peak reported: {stdout}"))
        .trim()
        .parse()
        .unwrap();
    eprintln!("peak RSS pulling the long-name bomb: {kib} KiB");
    assert!(kib < 100 << 10, "peak RSS {kib} KiB");
}

// ------------------------------------------------------------------------ the root's lock

/// A proxy to the registry that sends the first half of some blobs, then holds the rest back
/// until released: a pull frozen mid-layer.
struct PausingProxy {
    addr: String,
    paused: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
}

impl PausingProxy {
    fn start(upstream: &str, digests: &[&str]) -> PausingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let paused = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let upstream = upstream.to_owned();
        let suffixes: Arc<Vec<String>> =
            Arc::new(digests.iter().map(|d| format!("/blobs/{d}")).collect());
        let (p, r) = (Arc::clone(&paused), Arc::clone(&release));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, suffixes) = (upstream.clone(), Arc::clone(&suffixes));
                let (p, r) = (Arc::clone(&p), Arc::clone(&r));
                std::thread::spawn(move || relay_paused(client, &upstream, &suffixes, &p, &r));
            }
        });
        PausingProxy {
            addr,
            paused,
            release,
        }
    }
}

fn relay_paused(
    mut client: TcpStream,
    upstream: &str,
    suffixes: &[String],
    paused: &AtomicBool,
    release: &AtomicBool,
) {
    let mut first = [0u8; 1];
    if client.peek(&mut first).unwrap_or(0) == 0 || first[0] == 0x16 {
        return;
    }
    let head = super::read_head(&mut client);
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let forwarded: String = head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let mut server = TcpStream::connect(upstream).unwrap();
    write!(server, "{forwarded}Connection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    server.read_to_end(&mut response).unwrap();
    let body_at = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let path = path.split('?').next().unwrap_or_default();
    let held = suffixes.iter().any(|s| path.ends_with(s.as_str()));
    if !(held && response.starts_with(b"HTTP/1.1 200")) {
        let _ = client.write_all(&response);
        return;
    }
    let half = body_at + (response.len() - body_at) / 2;
    let _ = client.write_all(&response[..half]);
    let _ = client.flush();
    paused.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !release.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = client.write_all(&response[half..]);
}

/// Every path under `root`, sorted.
fn paths(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
            out.insert(entry.path());
        }
    }
    out
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Regression: `Engine::open` collected `ingest/` and unreferenced layers and blobs before it
/// took the root's lock, so a second daemon on the same root destroyed the first one's pull.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_engine_opening_a_root_mid_pull_is_refused_and_deletes_nothing() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    // Every layer is held back halfway: the pull stops with blobs half-written in `ingest/`
    // and layers half-unpacked in `layers/.tmp-*`, and stays so until released.
    let layers = fixture(&fixtures, "big", "latest")["layers"]
        .as_array()
        .unwrap();
    let digests: Vec<&str> = layers
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    let proxy = PausingProxy::start(&addr, &digests);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let store = Store::open(&root).unwrap();
    let pulling = {
        let (store, image) = (store.clone(), format!("{}/big", proxy.addr));
        tokio::spawn(async move { pulled(&store, &image).await.0 })
    };
    wait_for("the pull to stop mid-layer", || {
        proxy.paused.load(Ordering::SeqCst)
            && std::fs::read_dir(root.join("ingest")).unwrap().count() > 0
    });
    // Until the unpackers have taken in all they were sent.
    let mut before = paths(&root);
    wait_for("the pull to stand still", || {
        std::thread::sleep(Duration::from_millis(300));
        let now = paths(&root);
        std::mem::replace(&mut before, now) == before
    });
    let in_flight: Vec<_> = before
        .iter()
        .filter(|p| p.starts_with(root.join("ingest")) || p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(!in_flight.is_empty(), "nothing in flight");

    let err = Engine::open(EngineOptions::new(&root)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("is in use"), "{err}");
    let after = paths(&root);
    let gone: Vec<_> = before.difference(&after).collect();
    let added: Vec<_> = after.difference(&before).collect();
    assert!(
        gone.is_empty() && added.is_empty(),
        "the refused engine changed the root: gone {} (first {:?}), added {added:?}",
        gone.len(),
        gone.first()
    );

    proxy.release.store(true, Ordering::SeqCst);
    let outcome = pulling.await.unwrap().unwrap();
    assert_eq!(
        store.resolve(&format!("{}/big", proxy.addr)).unwrap(),
        outcome.id
    );
    drop(store);
    let report = fsck(&root).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

// ------------------------------------------------------------------------ rmi racing pull

/// Regression: an `rmi` racing a pull of the same image could register the image over a
/// config blob it had just deleted; the daemon then refused to start. Each round races a pull
/// against an `rmi -f` started a little later each time, then checks the store closed and
/// reopened: no damage, nothing to repair.
#[tokio::test(flavor = "multi_thread")]
async fn rmi_racing_pulls_of_the_same_image_never_leave_the_store_unopenable() {
    let Some((addr, _)) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let image = format!("{addr}/hello-world:latest");
    let mut outcomes = (0, 0);
    for round in 0..40u64 {
        let store = Store::open(&root).unwrap();
        assert!(
            store.repairs().is_empty(),
            "round {round}: {:?}",
            store.repairs()
        );
        let rmi = {
            let (store, image) = (store.clone(), image.clone());
            tokio::task::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(round % 10 * 4));
                store.delete(&image, true, true, &NoContainers).is_ok()
            })
        };
        let pull = pulled(&store, &image).await.0;
        let removed = rmi.await.unwrap();
        outcomes.0 += u32::from(pull.is_ok());
        outcomes.1 += u32::from(removed);
        drop(store);
        let report = fsck(&root).unwrap();
        assert!(
            report.damage().is_empty(),
            "round {round}: {:?}",
            report.problems
        );
    }
    eprintln!(
        "40 rounds: {} pulls succeeded, {} rmis removed the image",
        outcomes.0, outcomes.1
    );
    let store = Store::open(&root).unwrap();
    assert!(store.repairs().is_empty());
}
