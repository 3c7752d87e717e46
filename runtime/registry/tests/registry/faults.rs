//! What goes wrong between client and registry: nothing listening, no such host, a mirror
//! without the image, blobs redirected to storage on another host, transient 5xx/429
//! answers, a body cut off midway, and manifests that are not manifests.

use crate::support::free_port;
use crate::support::image::{Image, Pusher, OCI_MANIFEST};
use crate::support::process::Registry;
use crate::support::server::{cut, full, json, response, serve, Body};
use crate::{amd64, client, read_all, reference, require_registry};
use berth_core::{ErrorKind, Kind};
use berth_registry::{BasicCredentials, ClientConfig, Credentials, RegistryError};
use bytes::Bytes;
use hyper::{Request, Response};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_nobody_listens_on_is_unavailable_with_the_cause() {
    let port = free_port();
    let err = client(ClientConfig::default())
        .resolve(&reference(&format!("127.0.0.1:{port}/x")), &amd64())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(
        err.to_string(),
        format!("Get \"http://127.0.0.1:{port}/v2/\": dial tcp 127.0.0.1:{port}: connect: connection refused")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_whose_name_does_not_resolve_is_unavailable() {
    let err = client(ClientConfig::default())
        .resolve(&reference("nosuchhost.invalid/x:1"), &amd64())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.to_string()
            .starts_with("Get \"https://nosuchhost.invalid/v2/\": "),
        "{err}"
    );
}

/// dockerd's `--registry-mirror`: Hub images go to the mirrors in order; a mirror that lacks
/// the image passes the pull on. With only such a mirror, the error is Docker Hub's (which
/// no test machine reaches), not the mirror's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_serve_hub_images_and_fall_through_when_they_lack_them() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let empty = Registry::start(tmp.path(), &tmp.path().join("empty"), "");
    let full_mirror = Registry::start(tmp.path(), &tmp.path().join("full"), "");
    let image = Image::new("linux/amd64", &[("m", b"from the mirror")], OCI_MANIFEST);
    Pusher::new(&full_mirror.url())
        .image("library/mirrored", "1", &image)
        .await;

    let mirrors = vec![empty.url(), full_mirror.url()];
    let c = client(ClientConfig {
        mirrors,
        ..ClientConfig::default()
    });
    let resolved = c.resolve(&reference("mirrored:1"), &amd64()).await.unwrap();
    assert!(resolved.repository.is_mirror());
    assert_eq!(
        resolved.repository.base_url().as_str(),
        format!("{}/", full_mirror.url())
    );
    assert_eq!(resolved.repository.path(), "library/mirrored");
    let layer = read_all(
        c.blob_verified(&resolved.repository, &resolved.layers[0])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(layer, image.layers[0].bytes);

    let only_empty = client(ClientConfig {
        mirrors: vec![empty.url()],
        ..ClientConfig::default()
    });
    let err = only_empty
        .resolve(&reference("mirrored:1"), &amd64())
        .await
        .unwrap_err();
    assert!(
        !err.to_string().contains(&empty.addr),
        "the mirror's error must not be the one reported: {err}"
    );
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.to_string()
            .starts_with("Get \"https://registry-1.docker.io/v2/\": "),
        "{err}"
    );
}

/// A registry front that wants Basic auth and redirects blob GETs to "storage" on another
/// host (`localhost` instead of `127.0.0.1`, another port), as registries backed by object
/// storage do. The storage must never see the registry credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_redirects_are_followed_without_the_authorization_header() {
    let image = Image::new("linux/amd64", &[("r", b"redirected layer")], OCI_MANIFEST);
    let blobs: Arc<Vec<(String, Vec<u8>)>> = Arc::new(
        image
            .layers
            .iter()
            .chain([&image.config])
            .map(|b| (b.digest.clone(), b.bytes.clone()))
            .collect(),
    );
    let storage_seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let (seen, store) = (storage_seen.clone(), blobs.clone());
    let storage = serve(move |req: Request<hyper::body::Incoming>| {
        let (seen, store) = (seen.clone(), store.clone());
        async move {
            seen.lock().unwrap().push(
                req.headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned()),
            );
            let digest = req.uri().path().trim_start_matches("/storage/").to_owned();
            match store.iter().find(|(d, _)| *d == digest) {
                Some((_, bytes)) => response(200, &[], full(bytes.clone())),
                None => response(404, &[], full("")),
            }
        }
    })
    .await;
    let storage_port = storage.addr.port();
    let good = BasicCredentials::new("alice", "secret").header_value();
    let manifest = image.manifest.bytes.clone();
    let front = serve(move |req: Request<hyper::body::Incoming>| {
        let (good, manifest) = (good.clone(), manifest.clone());
        async move {
            let authorized = req
                .headers()
                .get("authorization")
                .is_some_and(|v| v.to_str().unwrap() == good);
            let path = req.uri().path().to_owned();
            if !authorized {
                return response(
                    401,
                    &[("www-authenticate", "Basic realm=\"fake\"")],
                    full(""),
                );
            }
            match path.as_str() {
                "/v2/" => response(200, &[], full("{}")),
                "/v2/img/manifests/v1" => {
                    response(200, &[("content-type", OCI_MANIFEST)], full(manifest))
                }
                p if p.starts_with("/v2/img/blobs/") => {
                    let location = format!(
                        "http://localhost:{storage_port}/storage/{}",
                        &p["/v2/img/blobs/".len()..]
                    );
                    response(307, &[("location", &location)], full(""))
                }
                _ => response(404, &[], full("")),
            }
        }
    })
    .await;

    let mut credentials = Credentials::none();
    credentials.insert(
        &front.addr.to_string(),
        BasicCredentials::new("alice", "secret"),
    );
    let c = client(ClientConfig {
        credentials,
        ..ClientConfig::default()
    });
    let resolved = c
        .resolve(&reference(&format!("{}/img:v1", front.addr)), &amd64())
        .await
        .unwrap();
    assert_eq!(
        resolved.config_bytes.as_ref(),
        image.config.bytes.as_slice(),
        "the config came through the redirect"
    );
    let layer = read_all(
        c.blob_verified(&resolved.repository, &resolved.layers[0])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(layer, image.layers[0].bytes);
    let seen = storage_seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "config and layer were fetched from storage");
    assert!(
        seen.iter().all(Option::is_none),
        "storage saw credentials: {seen:?}"
    );
}

/// What the flaky proxy does to requests for one path.
#[derive(Default)]
struct Faults {
    /// Answer this many requests with this status before forwarding.
    failures: AtomicUsize,
    status: u16,
    /// Cut the first forwarded full answer after this many bytes.
    cut_after: Option<usize>,
    cut_done: AtomicUsize,
    /// Every request seen: its `Range` header, or `-` for none.
    seen: Mutex<Vec<String>>,
}

/// A proxy in front of a real registry that injects faults into requests for `path`.
async fn flaky_proxy(
    upstream: String,
    path: String,
    faults: Arc<Faults>,
) -> crate::support::server::Server {
    let http = reqwest::Client::new();
    serve(move |req: Request<hyper::body::Incoming>| {
        let (http, upstream, path, faults) =
            (http.clone(), upstream.clone(), path.clone(), faults.clone());
        async move { proxy(&http, &upstream, &path, &faults, req).await }
    })
    .await
}

async fn proxy(
    http: &reqwest::Client,
    upstream: &str,
    path: &str,
    faults: &Faults,
    req: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let targeted = req.uri().path() == path;
    let range = req
        .headers()
        .get("range")
        .map(|v| v.to_str().unwrap().to_owned());
    if targeted {
        faults
            .seen
            .lock()
            .unwrap()
            .push(range.clone().unwrap_or_else(|| "-".into()));
        let left = faults.failures.load(Ordering::SeqCst);
        if left > 0 {
            faults.failures.store(left - 1, Ordering::SeqCst);
            return json(
                faults.status,
                serde_json::json!({"errors":[{"code":"UNAVAILABLE","message":"try again"}]}),
            );
        }
    }
    let mut forward = http.get(format!("{upstream}{}", req.uri()));
    for name in ["accept", "range", "authorization"] {
        if let Some(value) = req.headers().get(name) {
            forward = forward.header(name, value.to_str().unwrap());
        }
    }
    let answer = forward.send().await.unwrap();
    let status = answer.status().as_u16();
    let mut headers: Vec<(String, String)> = Vec::new();
    for name in [
        "content-type",
        "docker-content-digest",
        "content-range",
        "www-authenticate",
    ] {
        if let Some(v) = answer.headers().get(name) {
            headers.push((name.into(), v.to_str().unwrap().into()));
        }
    }
    let body: Bytes = answer.bytes().await.unwrap();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match faults.cut_after {
        Some(n)
            if targeted
                && range.is_none()
                && faults.cut_done.fetch_add(1, Ordering::SeqCst) == 0 =>
        {
            let mut with_length = header_refs.clone();
            let length = body.len().to_string();
            with_length.push(("content-length", &length));
            response(status, &with_length, cut(body.slice(..n)))
        }
        _ => response(status, &header_refs, full(body)),
    }
}

/// Two 500s before the first byte, then a body cut after 100 KiB: the client retries, then
/// resumes with a Range request, and the bytes still verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_downloads_retry_server_errors_and_resume_after_a_cut() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    let big = crate::support::image::noise(1 << 20, 7);
    let image = Image::new("linux/amd64", &[("big", &big)], OCI_MANIFEST);
    Pusher::new(&registry.url())
        .image("flaky", "1", &image)
        .await;
    let layer = &image.layers[0];
    let faults = Arc::new(Faults {
        failures: AtomicUsize::new(2),
        status: 500,
        cut_after: Some(100 << 10),
        ..Faults::default()
    });
    let path = format!("/v2/flaky/blobs/{}", layer.digest);
    let proxy = flaky_proxy(registry.url(), path, faults.clone()).await;

    let c = client(ClientConfig::default());
    let resolved = c
        .resolve(&reference(&format!("{}/flaky:1", proxy.addr)), &amd64())
        .await
        .unwrap();
    let bytes = read_all(
        c.blob_verified(&resolved.repository, &resolved.layers[0])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(bytes.len(), layer.bytes.len());
    assert!(bytes == layer.bytes);
    let seen = faults.seen.lock().unwrap().clone();
    assert_eq!(
        seen[..3],
        ["-", "-", "-"],
        "two failed tries and the cut one: {seen:?}"
    );
    assert_eq!(seen.len(), 4, "{seen:?}");
    let resumed_at: usize = seen[3]
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .unwrap()
        .parse()
        .unwrap();
    assert!(resumed_at > 0 && resumed_at <= 100 << 10, "{seen:?}");
}

/// 429 on the manifest is retried; a registry that keeps answering 503 is given up on after
/// the policy's tries, as Unavailable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_answers_are_retried_a_bounded_number_of_times() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    let image = Image::new("linux/amd64", &[("x", b"x")], OCI_MANIFEST);
    Pusher::new(&registry.url())
        .image("busy", "1", &image)
        .await;
    let path = "/v2/busy/manifests/1".to_owned();

    let once = Arc::new(Faults {
        failures: AtomicUsize::new(1),
        status: 429,
        ..Faults::default()
    });
    let proxy = flaky_proxy(registry.url(), path.clone(), once.clone()).await;
    let resolved = client(ClientConfig::default())
        .resolve(&reference(&format!("{}/busy:1", proxy.addr)), &amd64())
        .await
        .unwrap();
    assert_eq!(resolved.digest().to_string(), image.manifest.digest);
    assert_eq!(once.seen.lock().unwrap().len(), 2);

    let always = Arc::new(Faults {
        failures: AtomicUsize::new(usize::MAX),
        status: 503,
        ..Faults::default()
    });
    let proxy = flaky_proxy(registry.url(), path, always.clone()).await;
    let err = client(ClientConfig::default())
        .resolve(&reference(&format!("{}/busy:1", proxy.addr)), &amd64())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        matches!(err, RegistryError::UnexpectedStatus { status: 503, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("unexpected status code 503: unavailable: try again"),
        "{err}"
    );
    assert_eq!(
        always.seen.lock().unwrap().len(),
        4,
        "the test policy allows 4 tries"
    );
}

/// A fake registry serving a broken manifest, a schema 1 manifest, and wrong bytes for a
/// digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_mismatched_manifests_are_refused() {
    let wrong_digest = format!("sha256:{}", "a".repeat(64));
    let fake = serve(|req: Request<hyper::body::Incoming>| async move {
        match req.uri().path() {
            "/v2/" => response(200, &[], full("{}")),
            "/v2/bad/manifests/garbage" => response(
                200,
                &[("content-type", OCI_MANIFEST)],
                full(r#"{"schemaVersion":2,"config":"#),
            ),
            "/v2/bad/manifests/s1" => response(
                200,
                &[(
                    "content-type",
                    "application/vnd.docker.distribution.manifest.v1+prettyjws",
                )],
                full(r#"{"schemaVersion":1,"name":"bad","tag":"s1","fsLayers":[]}"#),
            ),
            p if p.starts_with("/v2/bad/manifests/sha256:") => response(
                200,
                &[("content-type", OCI_MANIFEST)],
                full(r#"{"schemaVersion":2}"#),
            ),
            _ => response(404, &[], full("")),
        }
    })
    .await;
    let c = client(ClientConfig::default());
    let resolve = |tail: String| {
        let c = c.clone();
        let addr = fake.addr;
        async move {
            c.resolve(&reference(&format!("{addr}/bad{tail}")), &amd64())
                .await
                .unwrap_err()
        }
    };
    let err = resolve(":garbage".into()).await;
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("invalid manifest {}/bad:garbage: ", fake.addr)),
        "{err}"
    );
    let err = resolve(":s1".into()).await;
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    assert!(
        err.to_string()
            .contains("schema 1 support has been removed"),
        "{err}"
    );
    let err = resolve(format!("@{wrong_digest}")).await;
    assert!(
        matches!(
            err,
            RegistryError::DigestMismatch {
                what: "manifest",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "manifest verification failed for digest {wrong_digest}"
        )),
        "{err}"
    );
}
