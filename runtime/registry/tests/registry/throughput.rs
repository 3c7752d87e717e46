//! A measurement, not a test of speed (TESTING.md: no wall-clock assertions): how long
//! resolve plus a verified 40 MB blob take from a loopback docker-registry. Run with
//! `cargo test -p berth-registry --release --test registry -- --ignored --nocapture measure`.
//! The bytes are counted, not kept: the store writes them to a file as they come, so
//! collecting 40 MB in memory here would measure the allocator instead of the client.

use crate::support::image::{noise, Image, Pusher, OCI_MANIFEST};
use crate::support::process::Registry;
use crate::{amd64, client, reference, require_registry};
use berth_registry::ClientConfig;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by hand"]
async fn measure_resolve_and_a_40mb_blob() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    let content = noise(40_000_000, 42);
    let image = Image::new("linux/amd64", &[("big", &content)], OCI_MANIFEST);
    Pusher::new(&registry.url()).image("big", "1", &image).await;
    let size = image.layers[0].bytes.len() as f64;
    let r = reference(&format!("{}/big:1", registry.addr));
    let mut runs = Vec::new();
    for _ in 0..5 {
        // A fresh client each time: includes the /v2/ ping and the HTTPS-then-HTTP probe.
        let c = client(ClientConfig::default());
        let start = Instant::now();
        let resolved = c.resolve(&r, &amd64()).await.unwrap();
        let resolve = start.elapsed();
        let verified = count(
            c.blob_verified(&resolved.repository, &resolved.layers[0])
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        let total = start.elapsed();
        assert_eq!(verified as f64, size);
        let raw_start = Instant::now();
        let raw = count(
            c.blob(&resolved.repository, &resolved.layers[0])
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        let raw_time = raw_start.elapsed();
        assert_eq!(raw as f64, size);
        runs.push((resolve, total, raw_time));
    }
    let curl = curl_seconds(&format!(
        "{}/v2/big/blobs/{}",
        registry.url(),
        image.layers[0].digest
    ));
    runs.sort_by_key(|r| r.1);
    let (resolve, total, raw) = runs[runs.len() / 2];
    let mb = size / 1e6;
    println!(
        "median of 5: resolve {:.1} ms; resolve + verified {mb:.1} MB blob {:.1} ms = {:.0} MB/s; unverified blob alone {:.1} ms = {:.0} MB/s",
        resolve.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        mb / total.as_secs_f64(),
        raw.as_secs_f64() * 1e3,
        mb / raw.as_secs_f64()
    );
    if let Some(curl) = curl {
        println!(
            "baseline: curl -o /dev/null of the same blob {:.1} ms = {:.0} MB/s",
            curl * 1e3,
            mb / curl
        );
    }
}

/// Median of 5 `curl` downloads of a URL to /dev/null, if curl is installed.
fn curl_seconds(url: &str) -> Option<f64> {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let out = std::process::Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{time_total}", url])
                .output()
                .ok()?;
            String::from_utf8(out.stdout).ok()?.trim().parse().ok()
        })
        .collect::<Option<_>>()?;
    times.sort_by(f64::total_cmp);
    Some(times[2])
}

/// Consumes a stream, returning how many bytes it gave.
async fn count<S>(mut stream: S) -> Result<usize, berth_registry::RegistryError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, berth_registry::RegistryError>> + Unpin,
{
    use futures_util::StreamExt;
    let mut n = 0;
    while let Some(chunk) = stream.next().await {
        n += chunk?.len();
    }
    Ok(n)
}
