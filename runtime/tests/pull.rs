//! `pull` against the real fixture registry (`scripts/fixtures`, then `scripts/registry
//! start`): every fixture lands in a fresh store with its pinned image ID, the progress stream
//! reads as dockerd's, and failures (unknown tag, tampered blob) leave the store as it was.
//! Without a registry each test says so in one line and passes, unless `BERTH_REQUIRE_ALL=1`,
//! where it fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use berth_core::ErrorKind;
use berth_registry::progress::ProgressMessage;
use berth_registry::{Client, ClientConfig, Platform};
use berth_runtime::pull::{pull, PullError, PullOutcome, PullStatus};
use berth_store::{ListOptions, Reference, Store};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

#[path = "pull/hardening.rs"]
mod hardening;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// The fixture registry's `127.0.0.1:PORT` and the pinned fixtures, or `None` after saying
/// why (a failure instead under `BERTH_REQUIRE_ALL=1`).
fn registry() -> Option<(String, Value)> {
    let found = std::env::var("BERTH_REGISTRY").ok().or_else(|| {
        let out = Command::new(root().join("scripts/registry"))
            .arg("addr")
            .output()
            .ok()?;
        let addr = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !addr.is_empty()).then_some(addr)
    });
    let fixtures = std::fs::read(target_dir().join("fixtures/fixtures.json")).ok();
    match (found, fixtures) {
        (Some(addr), Some(json)) => Some((addr, serde_json::from_slice(&json).unwrap())),
        _ => {
            let why = "no fixture registry (scripts/fixtures; scripts/registry start)";
            berth_testkit::skip("", Some(why.to_string()));
            None
        }
    }
}

fn fixture<'a>(fixtures: &'a Value, name: &str, tag: &str) -> &'a Value {
    fixtures["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name && i["tag"] == tag)
        .unwrap_or_else(|| panic!("fixture {name}:{tag}"))
}

/// A pull with its progress lines as `id: status`.
async fn pulled(store: &Store, reference: &str) -> (Result<PullOutcome, PullError>, Vec<String>) {
    let client = Client::new(ClientConfig::default()).unwrap();
    let mut lines = Vec::new();
    let mut sink = |m: ProgressMessage| lines.push(format!("{}: {}", m.id, m.status));
    let result = pull(&client, store, reference, &Platform::host(), &mut sink).await;
    (result, lines)
}

fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn layer_lines(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| !l.starts_with(": ") && !l.contains("Pulling from"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fixture_pulls_into_a_fresh_store_with_its_pinned_id() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    for image in fixtures["images"].as_array().unwrap() {
        let (name, tag) = (
            image["name"].as_str().unwrap(),
            image["tag"].as_str().unwrap(),
        );
        let (_dir, store) = fresh_store();
        let reference = format!("{addr}/{name}:{tag}");
        let (result, lines) = pulled(&store, &reference).await;
        let outcome = result.unwrap_or_else(|e| panic!("{reference}: {e}"));
        assert_eq!(
            outcome.id.to_string(),
            image["config_digest"],
            "{reference}"
        );
        assert_eq!(outcome.digest.to_string(), image["manifest_digest"]);
        assert_eq!(outcome.status, PullStatus::Downloaded);
        assert_eq!(
            outcome.layers_fetched,
            image["layers"].as_array().unwrap().len()
        );
        let tagged: Reference = reference.parse().unwrap();
        let by_digest = tagged.with_digest(&outcome.digest);
        assert_eq!(store.references(&outcome.id), {
            let mut both = vec![tagged, by_digest];
            both.sort();
            both
        });
        assert_eq!(lines[0], format!("{tag}: Pulling from {name}"));
        assert_eq!(
            lines[lines.len() - 2..],
            [
                format!(": Digest: {}", image["manifest_digest"].as_str().unwrap()),
                format!(": Status: Downloaded newer image for {reference}"),
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_follows_dockerds_order_for_each_layer() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    let (_dir, store) = fresh_store();
    let (result, lines) = pulled(&store, &format!("{addr}/big")).await;
    result.unwrap();
    let layers = fixture(&fixtures, "big", "latest")["layers"]
        .as_array()
        .unwrap();
    let mut last_complete = 0;
    for (i, layer) in layers.iter().enumerate() {
        let id = &layer["digest"].as_str().unwrap()[7..19];
        let at = |status: &str| {
            lines
                .iter()
                .position(|l| l == &format!("{id}: {status}"))
                .unwrap_or_else(|| panic!("no {id}: {status} in {lines:#?}"))
        };
        let order = [
            at("Pulling fs layer"),
            at("Verifying Checksum"),
            at("Download complete"),
            at("Extracting"),
            at("Pull complete"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{id}: {order:?}");
        assert_eq!(lines.contains(&format!("{id}: Waiting")), i >= 3, "{id}");
        assert!(lines.contains(&format!("{id}: Downloading")));
        assert!(
            order[4] > last_complete,
            "Pull complete must go bottom first"
        );
        last_complete = order[4];
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pulling_by_digest_records_the_digest_reference_only() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    let big = fixture(&fixtures, "big", "latest");
    let digest = big["manifest_digest"].as_str().unwrap();
    let (_dir, store) = fresh_store();
    let reference = format!("{addr}/big@{digest}");
    let (result, lines) = pulled(&store, &reference).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.id.to_string(), big["config_digest"]);
    assert_eq!(store.references(&outcome.id), [reference.parse().unwrap()]);
    assert_eq!(lines[0], format!("{digest}: Pulling from big"));
    assert_eq!(
        lines.last().unwrap(),
        &format!(": Status: Downloaded newer image for {reference}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_pull_is_up_to_date_and_fetches_nothing() {
    let Some((addr, _)) = registry() else { return };
    let (_dir, store) = fresh_store();
    let reference = format!("{addr}/toolbox:latest");
    pulled(&store, &reference).await.0.unwrap();
    let (result, lines) = pulled(&store, &reference).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.status, PullStatus::UpToDate);
    assert_eq!(outcome.layers_fetched, 0);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(layer_lines(&lines).is_empty(), "{lines:#?}");
    assert_eq!(
        lines[2],
        format!(": Status: Image is up to date for {reference}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_layer_shared_with_an_earlier_pull_already_exists() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    let (_dir, store) = fresh_store();
    pulled(&store, &format!("{addr}/hello-world"))
        .await
        .0
        .unwrap();
    let (result, lines) = pulled(&store, &format!("{addr}/hello-world:base")).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.status, PullStatus::Downloaded);
    assert_eq!(outcome.layers_fetched, 0);
    let base = fixture(&fixtures, "hello-world", "base");
    let id = &base["layers"][0]["digest"].as_str().unwrap()[7..19];
    assert_eq!(layer_lines(&lines), [&format!("{id}: Already exists")]);
    assert_eq!(store.images().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_tag_is_not_found_in_dockerds_words_and_stores_nothing() {
    let Some((addr, _)) = registry() else { return };
    let (_dir, store) = fresh_store();
    let (result, lines) = pulled(&store, &format!("{addr}/hello-world:nope")).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        format!(
            "manifest for {addr}/hello-world:nope not found: manifest unknown: manifest unknown"
        )
    );
    assert!(lines.is_empty(), "{lines:#?}");
    assert!(store.images().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_registry_is_unavailable() {
    // Port 1 on loopback: nothing listens there.
    let (_dir, store) = fresh_store();
    let (result, _) = pulled(&store, "127.0.0.1:1/hello-world").await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Unavailable);
}

/// A tampered gzip header (its MTIME byte, which decoders ignore) leaves a layer that unpacks
/// fine but has another digest: only the digest check can catch it.
#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_blob_names_both_digests_and_registers_nothing() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    let layer = &fixture(&fixtures, "hello-world", "latest")["layers"][1];
    let expected = layer["digest"].as_str().unwrap().to_owned();
    let proxy = TamperingProxy::start(&addr, &expected, 4);
    let (_dir, store) = fresh_store();
    let (result, _) = pulled(&store, &format!("{}/hello-world", proxy.addr)).await;
    let err = result.unwrap_err();
    let actual = proxy.tampered_digest().expect("the proxy served the blob");
    assert_ne!(actual, expected);
    let text = err.to_string();
    assert!(text.contains(&expected) && text.contains(&actual), "{text}");
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert!(store.images().is_empty());
    assert!(store.list(ListOptions::default()).is_empty());
}

/// A byte flipped mid-stream breaks the deflate data: the pull fails and registers nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_blob_corrupted_midstream_registers_nothing() {
    let Some((addr, fixtures)) = registry() else {
        return;
    };
    let layer = &fixture(&fixtures, "hello-world", "latest")["layers"][1];
    let digest = layer["digest"].as_str().unwrap();
    let middle = layer["size"].as_u64().unwrap() as usize / 2;
    let proxy = TamperingProxy::start(&addr, digest, middle);
    let (_dir, store) = fresh_store();
    let (result, _) = pulled(&store, &format!("{}/hello-world", proxy.addr)).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    assert!(store.images().is_empty());
    // Reopening collects whatever the failed pull left unpublished; still nothing listed.
    let root = store.root().to_owned();
    drop(store);
    let reopened = Store::open(&root).unwrap();
    assert!(reopened.images().is_empty());
}

/// A loopback HTTP proxy in front of the registry that flips one byte of one blob.
struct TamperingProxy {
    addr: String,
    tampered: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl TamperingProxy {
    fn start(upstream: &str, digest: &str, offset: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let tampered: std::sync::Arc<std::sync::Mutex<Option<String>>> = Default::default();
        let (upstream, suffix) = (upstream.to_owned(), format!("/blobs/{digest}"));
        let seen = std::sync::Arc::clone(&tampered);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, suffix, seen) = (upstream.clone(), suffix.clone(), seen.clone());
                std::thread::spawn(move || relay(client, &upstream, &suffix, offset, &seen));
            }
        });
        TamperingProxy { addr, tampered }
    }

    fn tampered_digest(&self) -> Option<String> {
        self.tampered.lock().unwrap().clone()
    }
}

/// Relays one request (the proxy answers `Connection: close`, so there is one per
/// connection), flipping the byte at `offset` of the body when the path ends with `suffix`.
fn relay(
    mut client: TcpStream,
    upstream: &str,
    suffix: &str,
    offset: usize,
    seen: &std::sync::Mutex<Option<String>>,
) {
    // The client tries HTTPS first; a TLS ClientHello (0x16) is refused at once, as the
    // registry does, rather than left waiting for an HTTP head that never comes.
    let mut first = [0u8; 1];
    if client.peek(&mut first).unwrap_or(0) == 0 || first[0] == 0x16 {
        return;
    }
    let head = read_head(&mut client);
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
    if path.ends_with(suffix) && response.starts_with(b"HTTP/1.1 200") {
        response[body_at + offset] ^= 0x01;
        let digest = format!("sha256:{:x}", Sha256::digest(&response[body_at..]));
        *seen.lock().unwrap() = Some(digest);
    }
    let _ = client.write_all(&response);
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}
