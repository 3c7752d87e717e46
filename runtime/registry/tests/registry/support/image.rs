//! Test images built in memory: uncompressed tar layers, a config naming the platform, an
//! OCI manifest; indexes over several of them. Pushed straight through the distribution API
//! (monolithic blob uploads, manifest PUTs) or written as an OCI layout for skopeo.

use berth_registry::verify::sha256_digest;
use serde_json::json;
use std::path::Path;
use std::process::Command;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

#[derive(Debug, Clone)]
pub struct Blob {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub digest: String,
}

impl Blob {
    pub fn new(media_type: &str, bytes: Vec<u8>) -> Blob {
        Blob {
            media_type: media_type.to_owned(),
            digest: sha256_digest(&bytes),
            bytes,
        }
    }

    pub fn descriptor(&self) -> serde_json::Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len()})
    }
}

#[derive(Debug, Clone)]
pub struct Image {
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub manifest: Blob,
}

/// A tar holding one file `name` with `content`.
pub fn tar_layer(name: &str, content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    builder
        .append_data(&mut header, name, content)
        .expect("append to tar");
    builder.into_inner().expect("finish tar")
}

/// Deterministic incompressible-looking bytes (xorshift), `len` of them.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

impl Image {
    /// An image for `os/arch[/variant]` whose layers are tars of the given files.
    pub fn new(platform: &str, files: &[(&str, &[u8])], manifest_type: &str) -> Image {
        let layers: Vec<Blob> = files
            .iter()
            .map(|(name, content)| {
                Blob::new(
                    "application/vnd.oci.image.layer.v1.tar",
                    tar_layer(name, content),
                )
            })
            .collect();
        let mut parts = platform.split('/');
        let (os, arch, variant) = (parts.next().unwrap(), parts.next().unwrap(), parts.next());
        let mut config = json!({
            "architecture": arch,
            "os": os,
            "config": {"Cmd": ["/hello"]},
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>()},
        });
        if let Some(v) = variant {
            config["variant"] = v.into();
        }
        let config_type = if manifest_type == DOCKER_MANIFEST {
            "application/vnd.docker.container.image.v1+json"
        } else {
            "application/vnd.oci.image.config.v1+json"
        };
        let config = Blob::new(config_type, serde_json::to_vec(&config).unwrap());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": config.descriptor(),
            "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        let manifest = Blob::new(manifest_type, serde_json::to_vec(&manifest).unwrap());
        Image {
            config,
            layers,
            manifest,
        }
    }

    /// An index entry pointing at this image for `os/arch[/variant]`.
    pub fn index_entry(&self, platform: &str) -> serde_json::Value {
        let mut parts = platform.split('/');
        let mut p = json!({"os": parts.next().unwrap(), "architecture": parts.next().unwrap()});
        if let Some(v) = parts.next() {
            p["variant"] = v.into();
        }
        let mut entry = self.manifest.descriptor();
        entry["platform"] = p;
        entry
    }
}

/// An index (or Docker manifest list) over entries.
pub fn index(entries: Vec<serde_json::Value>, media_type: &str) -> Blob {
    let doc = json!({"schemaVersion": 2, "mediaType": media_type, "manifests": entries});
    Blob::new(media_type, serde_json::to_vec(&doc).unwrap())
}

/// Pushes through the distribution API of an open registry (no auth).
pub struct Pusher {
    http: reqwest::Client,
    base: String,
}

impl Pusher {
    pub fn new(base: &str) -> Pusher {
        Pusher {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub async fn blob(&self, repo: &str, blob: &Blob) {
        let start = self
            .http
            .post(format!("{}/v2/{repo}/blobs/uploads/", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 202, "start upload");
        let location = start.headers()["location"].to_str().unwrap().to_owned();
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self
            .http
            .put(format!("{location}{sep}digest={}", blob.digest))
            .header("content-type", "application/octet-stream")
            .body(blob.bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "finish upload of {}", blob.digest);
    }

    pub async fn manifest(&self, repo: &str, tag: &str, manifest: &Blob) {
        let put = self
            .http
            .put(format!("{}/v2/{repo}/manifests/{tag}", self.base))
            .header("content-type", &manifest.media_type)
            .body(manifest.bytes.clone())
            .send()
            .await
            .unwrap();
        let status = put.status();
        assert_eq!(
            status,
            201,
            "put manifest {repo}:{tag}: {}",
            put.text().await.unwrap_or_default()
        );
    }

    pub async fn image(&self, repo: &str, tag: &str, image: &Image) {
        for blob in image.layers.iter().chain([&image.config]) {
            self.blob(repo, blob).await;
        }
        self.manifest(repo, tag, &image.manifest).await;
    }
}

/// Writes an OCI image layout holding `image` as `tag`.
pub fn write_layout(dir: &Path, image: &Image, tag: &str) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for blob in image.layers.iter().chain([&image.config, &image.manifest]) {
        std::fs::write(
            blobs.join(blob.digest.trim_start_matches("sha256:")),
            &blob.bytes,
        )
        .unwrap();
    }
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut entry = image.manifest.descriptor();
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    let index = json!({"schemaVersion": 2, "manifests": [entry]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// `skopeo copy oci:<layout>:<tag> docker://<addr>/<name>:<tag>`, digests preserved.
pub fn skopeo_push(layout: &Path, tag: &str, addr: &str, name: &str) {
    let policy = layout.with_extension("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let output = Command::new("skopeo")
        .arg("--policy")
        .arg(&policy)
        .args([
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
        ])
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{addr}/{name}:{tag}"))
        .output()
        .expect("run skopeo");
    assert!(
        output.status.success(),
        "skopeo copy failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
