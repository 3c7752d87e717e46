//! Pulls from a plain loopback registry: by tag, by digest, through indexes and manifest
//! lists with platform selection, and the texts of unknown tags and repositories.

use crate::support::image::{
    index, skopeo_push, write_layout, Image, Pusher, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX,
    OCI_MANIFEST,
};
use crate::support::process::Registry;
use crate::{amd64, client, read_all, reference, require_registry};
use berth_core::{ErrorKind, Kind};
use berth_registry::{ClientConfig, Platform};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_by_tag_of_a_skopeo_pushed_image_gives_manifest_config_and_layers() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    let image = Image::new(
        "linux/amd64",
        &[("hello", b"hello world\n"), ("etc/motd", b"berth\n")],
        OCI_MANIFEST,
    );
    let layout = tmp.path().join("layout");
    write_layout(&layout, &image, "v1");
    skopeo_push(&layout, "v1", &registry.addr, "hello");

    let client = client(ClientConfig::default());
    let resolved = client
        .resolve(&reference(&format!("{}/hello:v1", registry.addr)), &amd64())
        .await
        .unwrap();

    assert_eq!(resolved.digest().to_string(), image.manifest.digest);
    assert_eq!(
        resolved.manifest_digest().to_string(),
        image.manifest.digest
    );
    assert!(resolved.index.is_none());
    assert_eq!(
        resolved.manifest.bytes.as_ref(),
        image.manifest.bytes.as_slice()
    );
    assert_eq!(resolved.manifest.media_type, OCI_MANIFEST);
    assert_eq!(resolved.config.digest().to_string(), image.config.digest);
    assert_eq!(
        resolved.config_bytes.as_ref(),
        image.config.bytes.as_slice()
    );
    let layers: Vec<(String, u64, String)> = resolved
        .layers
        .iter()
        .map(|l| (l.digest().to_string(), l.size(), l.media_type().to_string()))
        .collect();
    let want: Vec<(String, u64, String)> = image
        .layers
        .iter()
        .map(|l| (l.digest.clone(), l.bytes.len() as u64, l.media_type.clone()))
        .collect();
    assert_eq!(layers, want);
    // A loopback registry speaking plain HTTP is reached after the HTTPS try fails.
    assert_eq!(
        resolved.repository.base_url().as_str(),
        format!("http://{}/", registry.addr)
    );
    for (descriptor, blob) in resolved.layers.iter().zip(&image.layers) {
        let bytes = read_all(
            client
                .blob_verified(&resolved.repository, descriptor)
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(bytes, blob.bytes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_by_digest_checks_the_digest_and_unknown_digests_are_not_found() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    let image = Image::new("linux/amd64", &[("a", b"by digest")], DOCKER_MANIFEST);
    Pusher::new(&registry.url())
        .image("bydigest", "latest", &image)
        .await;
    let client = client(ClientConfig::default());

    let by_digest = reference(&format!(
        "{}/bydigest@{}",
        registry.addr, image.manifest.digest
    ));
    let resolved = client.resolve(&by_digest, &amd64()).await.unwrap();
    assert_eq!(resolved.digest().to_string(), image.manifest.digest);
    assert_eq!(resolved.manifest.media_type, DOCKER_MANIFEST);
    assert_eq!(
        resolved.config_bytes.as_ref(),
        image.config.bytes.as_slice()
    );

    let missing = format!("sha256:{}", "0".repeat(64));
    let err = client
        .resolve(
            &reference(&format!("{}/bydigest@{missing}", registry.addr)),
            &amd64(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        format!(
            "manifest for {}/bydigest@{missing} not found: manifest unknown: manifest unknown",
            registry.addr
        )
    );
}

/// Four platform images behind an OCI index and behind a Docker manifest list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_and_manifest_lists_pick_the_platform_and_its_variant() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    let pusher = Pusher::new(&registry.url());
    let platforms = [
        "linux/amd64",
        "linux/arm/v6",
        "linux/arm/v7",
        "linux/arm64/v8",
    ];
    for (list_type, manifest_type, tag) in [
        (OCI_INDEX, OCI_MANIFEST, "oci"),
        (DOCKER_LIST, DOCKER_MANIFEST, "docker"),
    ] {
        let images: Vec<Image> = platforms
            .iter()
            .map(|p| Image::new(p, &[("platform", p.as_bytes())], manifest_type))
            .collect();
        for (i, image) in images.iter().enumerate() {
            pusher.image("multi", &format!("{tag}-{i}"), image).await;
        }
        let list = index(
            images
                .iter()
                .zip(platforms)
                .map(|(img, p)| img.index_entry(p))
                .collect(),
            list_type,
        );
        pusher.manifest("multi", tag, &list).await;

        let client = client(ClientConfig::default());
        let r = reference(&format!("{}/multi:{tag}", registry.addr));
        // wanted platform -> index of the image it must get
        for (wanted, expected) in [
            ("linux/amd64", 0),
            ("linux/arm/v7", 2),
            ("linux/arm/v6", 1),
            ("linux/arm/v8", 2),
            ("linux/arm64", 3),
        ] {
            let resolved = client
                .resolve(&r, &wanted.parse::<Platform>().unwrap())
                .await
                .unwrap();
            assert_eq!(
                resolved.config.digest().to_string(),
                images[expected].config.digest,
                "{tag} {wanted}"
            );
            assert_eq!(
                resolved.digest().to_string(),
                list.digest,
                "{tag} {wanted}: the reference's digest is the list's"
            );
            assert_eq!(
                resolved.manifest_digest().to_string(),
                images[expected].manifest.digest
            );
            assert_eq!(resolved.index.as_ref().unwrap().media_type, list_type);
        }
        let err = client
            .resolve(&r, &"linux/s390x".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            "no matching manifest for linux/s390x in the manifest list entries"
        );
    }
}

/// dockerd 20.10 against a direct registry (observations §8): 404 with "manifest unknown"
/// twice, for an unknown repository as for an unknown tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tags_and_repositories_read_as_dockerd_reports_them() {
    require_registry!();
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path(), &tmp.path().join("data"), "");
    Pusher::new(&registry.url())
        .image(
            "bb",
            "latest",
            &Image::new("linux/amd64", &[("x", b"x")], OCI_MANIFEST),
        )
        .await;
    let client = client(ClientConfig::default());
    for (name, familiar) in [("nosuch", "nosuch:latest"), ("bb:nope", "bb:nope")] {
        let err = client
            .resolve(&reference(&format!("{}/{name}", registry.addr)), &amd64())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "manifest for {}/{familiar} not found: manifest unknown: manifest unknown",
                registry.addr
            )
        );
    }
}
